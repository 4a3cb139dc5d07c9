"""Accessibility glue (issue 23): the page's language for screen readers, the "Reduce
motion" setting (and the browser's own prefers-reduced-motion), and a polite live region
that says when an epoch has finished.

Streamlit writes ``<html lang="en">`` into every page, so a screen reader would read the
Japanese pages with an English voice. A tiny script, mounted on every run (a Streamlit
component of version 2: it runs in the page itself, no iframe), sets the document's
``lang`` to the session's language and reports back whether the browser asks for reduced
motion.
"""

from __future__ import annotations

import time

import streamlit as st

from core.i18n import Msg
from ui.i18n import language, tr

REDUCE_MOTION_WIDGET = "_reduce_motion"
MOTION_CHOSEN = "_motion_chosen"  # st.session_state: the student used the switch
BROWSER_REDUCED = "_browser_reduced_motion"  # st.session_state: what the browser asked for
ANNOUNCED = "_announced"  # st.session_state: (text, when) of the live region's last words
ANNOUNCE_SECONDS = 5.0  # the live region speaks at most this often (not chatty)
REDUCED_SECONDS = 5.0  # with reduced motion, live charts redraw at most this often

_PAGE_JS = """
export default function(component) {
    const { data, setStateValue } = component;
    const root = document.documentElement;
    if (data && data.lang && root.getAttribute('lang') !== data.lang) {
        root.setAttribute('lang', data.lang);
    }
    if (!window.__a11yScrollables) {
        // A formula or code block is a scroll box (overflow: auto): when it is wider than its
        // column a keyboard user must be able to focus it to scroll it (WCAG 2.1.1). Whether it
        // scrolls changes with the fonts and the window, so every one gets a tab stop.
        const mark = () => {
            document.querySelectorAll('.katex-display, .stCode pre').forEach(el => {
                if (!el.hasAttribute('tabindex')) {
                    el.setAttribute('tabindex', '0');
                }
            });
            // The drawing canvas's toolbar (in its own shadow root): 24 px targets (2.5.8).
            // A shadow root's changes do not reach an observer of the body: each root is
            // watched itself, as it appears (its toolbar may be drawn later).
            document.querySelectorAll('[data-testid="stBidiComponentIsolated"]').forEach(host => {
                const root = host.shadowRoot;
                if (!root) {
                    return;
                }
                if (!watched.has(root)) {
                    watched.add(root);
                    observer.observe(root, {childList: true, subtree: true});
                }
                if (root.querySelector('.dc-icon-button')
                        && !root.querySelector('style[data-a11y]')) {
                    const style = document.createElement('style');
                    style.setAttribute('data-a11y', '');
                    style.textContent = '.dc-icon-button {min-width: 24px; min-height: 24px;}';
                    root.appendChild(style);
                }
            });
        };
        const watched = new WeakSet();
        let timer = null;
        const observer = new MutationObserver(() => {
            clearTimeout(timer);
            timer = setTimeout(mark, 150);
        });
        window.__a11yScrollables = observer;
        observer.observe(document.body, {childList: true, subtree: true});
        window.addEventListener('resize', mark);
        mark();
    }
    // Reported only when it differs from what the server assumes (no reduced motion): a
    // report is a rerun, and one on every first load could cut short a click made meanwhile.
    const reduced = window.matchMedia('(prefers-reduced-motion: reduce)').matches;
    if (data && Boolean(data.reduced) !== reduced) {
        setStateValue('reduced', reduced);
    }
}
"""
_page_script = st.components.v2.component("mnist_a11y_page", js=_PAGE_JS)


# Code blocks: Streamlit's syntax colours are fixed (the theme does not reach them), and
# its blue, green, grey and orange tokens read 2.3-3.7:1 on the code background; these
# darker ones read 4.6:1 or more.
CODE_COLOURS = """<style>
.stCode .token.keyword, .stCode .token.function, .stCode .token.class-name {color: #0b5cad;}
.stCode .token.string, .stCode .token.string-interpolation {color: #0a7a32;}
.stCode .token.comment {color: #5b5f6e;}
.stCode .token.number, .stCode .token.boolean {color: #0d6b5e;}
.stCode .token.operator, .stCode .token.decorator {color: #a94400;}
</style>"""


def page_setup() -> None:
    """Set the page's ``lang`` (again after every run: a rerun may redraw the page) and
    learn the browser's prefers-reduced-motion (assumed off until the browser says it is
    on); darker colours for code."""
    st.html(CODE_COLOURS)
    known = bool(st.session_state.get(BROWSER_REDUCED))
    result = _page_script(key="_a11y_page", data={"lang": language(), "reduced": known},
                          default={"reduced": known}, on_reduced_change=_on_browser_motion,
                          height=0)
    reported = getattr(result, "reduced", None)
    if reported is not None:
        st.session_state[BROWSER_REDUCED] = bool(reported)


def _on_browser_motion() -> None:
    result = st.session_state.get("_a11y_page")
    reported = getattr(result, "reduced", None) if result is not None else None
    if reported is not None:
        st.session_state[BROWSER_REDUCED] = bool(reported)


def motion_setting() -> None:
    """The sidebar's "Reduce motion" switch: as the browser asks (prefers-reduced-motion)
    until the student switches it."""
    if not st.session_state.get(MOTION_CHOSEN):  # follows the browser until switched
        st.session_state[REDUCE_MOTION_WIDGET] = bool(st.session_state.get(BROWSER_REDUCED))
    st.toggle(tr("Reduce motion"), key=REDUCE_MOTION_WIDGET,
              on_change=lambda: st.session_state.update({MOTION_CHOSEN: True}),
              help=tr("Live charts redraw every {seconds:g} s instead of twice a second, "
                      "without animation.", seconds=REDUCED_SECONDS))


def reduced_motion() -> bool:
    """Does this session want less motion (its switch, or else its browser's setting)?"""
    if REDUCE_MOTION_WIDGET in st.session_state:
        return bool(st.session_state[REDUCE_MOTION_WIDGET])
    return bool(st.session_state.get(BROWSER_REDUCED))


def calmer(seconds: float | None) -> float | None:
    """A live part's refresh interval, slowed to :data:`REDUCED_SECONDS` for reduced motion."""
    if seconds is None or not reduced_motion():
        return seconds
    return max(seconds, REDUCED_SECONDS)


def still(spec: dict) -> dict:
    """A plotly figure dict without animated transitions when motion is reduced."""
    if reduced_motion():
        spec = {**spec, "layout": {**spec.get("layout", {}), "transition": {"duration": 0}}}
    return spec


def announce(text: Msg | str, final: bool = False) -> None:
    """A polite live region (role="status"): a screen reader says ``text`` when the user
    is idle. Not chatty: new words at most every :data:`ANNOUNCE_SECONDS`, except ``final``
    ones (the run ended), which are said at once."""
    shown = tr(text)
    last_text, last_time = st.session_state.get(ANNOUNCED, ("", 0.0))
    now = time.monotonic()
    if shown != last_text and (final or now - last_time >= ANNOUNCE_SECONDS):
        st.session_state[ANNOUNCED] = (shown, now)
        last_text = shown
    st.markdown(f'<div role="status" aria-live="polite" aria-atomic="true" '
                f'class="a11y-status">{_escape(last_text)}</div>', unsafe_allow_html=True)


def _escape(text: str) -> str:
    return (text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
            .replace('"', "&quot;"))
