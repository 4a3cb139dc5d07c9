"""The projector view (views/projector.py, ``/projector?class=CODE``): a class's board for
the big screen, read from the back of a room.

Full screen, no sidebar, no header, no tools and no key: the join code in letters about
200 px tall, the join link, a QR code of it (segno), and the live board (a fragment that
reads the class again every PROJECTOR_SECONDS): the counts, the best runs, the challenge,
the scatter, and the spotlight the teacher picked on the Class page (core.spotlight).
``&names=0`` hides the nicknames (a public display: "student 1", "student 2", ...);
``&axis=l2`` puts lambda across. Anyone with the code may see the board (students do), so
the view needs nothing else; whatever the address holds is checked and bounded.

The teacher's side is here too: :func:`teacher_panel` (the link, the names switch and the
spotlight picker, in the teacher's tools) and :func:`spotlight_button` (under a run's
curves on the teacher's board).
"""

from __future__ import annotations

import io
from urllib.parse import urlencode, urlsplit, urlunsplit

import numpy as np
import segno
import streamlit as st

from core.board_scatter import X_AXES
from core.class_board import anonymised, board_figure, history_from_curves, markdown_literal
from core.class_scores import SCORES, best_on_handwriting
from core.classroom import ClassroomError
from core.figures import curves_figure
from core.spotlight import SPOTLIGHTS
from ui.board_summary import board_summary
from ui.classroom import CLASS_QUERY, Membership, reporting, store
from ui.i18n import current, tr, url_params
from ui.network import student_page_url

PROJECTOR_SECONDS = 3.0  # the projector reads the board again this often
NAMES_QUERY, AXIS_QUERY = "names", "axis"
CODE_CHARS = 12  # the most of ?class= read (a code has 6 letters, dashes and spaces allowed)
QR_PX = 250  # the QR code's side on the screen
DRAWING_PX = 280  # a spotlighted drawing's side
CHART_PX = 420  # the scatter's height: the whole board fits a 1080-pixel screen
CURVES_PX = 280  # a spotlighted run's curves
CSS = """<style>
[data-testid="stSidebar"], [data-testid="stSidebarCollapsedControl"],
[data-testid="stHeader"], [data-testid="stToolbar"], [data-testid="stDecoration"]
{display: none !important;}
[data-testid="stMainBlockContainer"] {padding: 0.8rem 2.5rem 0.5rem; max-width: 100%;}
.join-code {font-size: 190px; font-weight: 800; letter-spacing: 0.08em; line-height: 0.95;
            font-family: "DejaVu Sans Mono", "Noto Sans Mono", monospace; color: #111;}
.join-link {font-size: 40px; line-height: 1.2; word-break: break-all; color: #111;}
.join-hint {font-size: 34px !important; line-height: 1.2; color: #333;}
[data-testid="stMetricValue"], [data-testid="stMetricValue"] * {font-size: 3.2rem !important;
                                                                line-height: 1.15;}
[data-testid="stMetricLabel"] p {font-size: 1.4rem !important;}
[data-testid="stMarkdownContainer"] p {font-size: 1.5rem;}
[data-testid="stAlert"] p {font-size: 1.6rem !important; margin: 0;}
.qr-hint {text-align: center; font-size: 28px !important;}
</style>"""


def hide_chrome() -> None:
    """No sidebar, header or toolbar: the board fills the screen."""
    st.markdown(CSS, unsafe_allow_html=True)


def page_link(page: str, code: str, page_url: str | None, extra: dict | None = None) -> str:
    """The address of ``page`` ("classroom", "projector") of this app for the class
    ``code``, beside the page ``page_url`` (st.context.url: same host, same base path), in
    this session's language; a relative address when the page's own is unknown."""
    parts = urlsplit(page_url or "")
    query = urlencode({CLASS_QUERY: code, **url_params(), **(extra or {})})
    if not parts.netloc:
        return f"/{page}?{query}"
    path = parts.path.rsplit("/", 1)[0] + "/" + page
    return urlunsplit((parts.scheme, parts.netloc, path, query, ""))


def qr_png(text: str) -> bytes:
    """A QR code of ``text`` as a PNG (segno; error correction M, a 4-module quiet zone)."""
    out = io.BytesIO()
    segno.make(text, error="m", micro=False).save(out, kind="png", scale=10, border=4)
    return out.getvalue()


def _query_code() -> str | None:
    code = (st.query_params.get(CLASS_QUERY) or "").strip()[:CODE_CHARS]
    return code or None


def show() -> None:
    """The whole projector view (views/projector.py)."""
    hide_chrome()
    code = _query_code()
    if code is None:
        st.title(tr("Projector"))
        st.info(tr("Open this view from the Class page (teacher's tools, Projector): its "
                   "address names the class."))
        return
    with reporting():
        info = store().class_info(code)  # the code as stored: [A-Z0-9] only
        _header(info.code)
        names = st.query_params.get(NAMES_QUERY) != "0"
        axis = st.query_params.get(AXIS_QUERY)
        axis = axis if axis in X_AXES else "learning_rate"
        st.fragment(_live, run_every=PROJECTOR_SECONDS)(info.code, names, axis)


def _header(code: str) -> None:
    """The join code, huge; the join link; its QR code."""
    link = page_link("classroom", code, student_page_url())  # not localhost: core.network
    text, qr = st.columns([4, 1], vertical_alignment="center")
    hint = tr("Join the class with this code")
    with text:
        st.markdown(f'<div class="join-hint">{_escape(hint)}</div>'
                    f'<div class="join-code">{code}</div>'
                    f'<div class="join-link">{_escape(link)}</div>', unsafe_allow_html=True)
    qr.image(qr_png(link), width=QR_PX, alt=tr("QR code of the join link {link}", link=link))
    scan = tr("Scan to join")
    qr.markdown(f'<div class="join-hint qr-hint">{_escape(scan)}</div>',
                unsafe_allow_html=True)


def _escape(text: str) -> str:
    """Text for HTML (the link holds only what page_link made, but never trust it)."""
    return (text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
            .replace('"', "&quot;"))


def _live(code: str, names: bool, axis: str) -> None:
    """The board's figures, scatter and spotlight (one fragment run)."""
    with reporting():
        summary = store().board(code)
        scores = SCORES.scores(store(), code, summary.entries)
        entries = summary.entries if names else anonymised(summary.entries, current())
        spot = SPOTLIGHTS.get(code)
        board_summary(summary, best_on_handwriting(entries, scores),
                      best=_entry_of(entries, summary.best), wide=True)
        chart, side = st.columns([5, 2]) if spot else (st.container(), None)
        figure = board_figure(entries, axis, summary.challenge, spot and spot.item_id,
                              height=CHART_PX, tr=current())
        chart.plotly_chart(_own_type(figure), key="projector_scatter", theme=None,
                           config={"displayModeBar": False},
                           alt=tr("The class's {n} shared runs: test accuracy against the "
                                  "setting.", n=summary.runs))
        if side is not None:
            with side:
                _spotlight(code, spot, entries, names)


def _own_type(figure: dict) -> dict:
    """The figure in its own large type (Streamlit's chart theme would shrink it), on
    white, its legend above the plot."""
    figure["layout"].update(template="plotly_white", paper_bgcolor="white",
                            legend=dict(orientation="h", y=1.02, yanchor="bottom", x=0,
                                        font=dict(size=18)))
    return figure


def _entry_of(entries, best):
    """``best`` as it is in ``entries`` (anonymised or not)."""
    if best is None:
        return None
    return next((e for e in entries if e.run.run_id == best.run.run_id), best)


def _spotlight(code: str, spot, entries, names: bool) -> None:
    """The run or drawing the teacher put in the spotlight (nothing if it is gone)."""
    if spot.kind == "run":
        entry = next((e for e in entries if e.run.run_id == spot.item_id), None)
        if entry is not None:
            _run_card(code, entry)
        return
    drawing = _drawing(code, spot.item_id)
    if drawing is not None:
        raw, label, nickname = drawing
        st.subheader(tr("Spotlight: a drawing by {who}", who=markdown_literal(nickname))
                     if names else tr("Spotlight: a drawing"))
        big = np.kron(raw, np.ones((DRAWING_PX // raw.shape[0],) * 2, np.uint8))
        st.image(big, width=DRAWING_PX, alt=tr("A drawing of the digit {label}", label=label))
        st.markdown(tr("### The digit {label}", label=label))


def _run_card(code: str, entry) -> None:
    r = entry.run
    st.subheader(tr("Spotlight: {who}", who=markdown_literal(entry.nickname)))
    acc = "-" if r.test_acc is None else f"{r.test_acc:.2%}"
    st.markdown(tr("**Test accuracy {acc}**  \nlr {lr:g}, λ {l2:g}, batch {batch}, {epochs} "
                   "epochs", acc=acc, lr=r.learning_rate, l2=r.l2, batch=r.batch_size,
                   epochs=r.epochs_done))
    curves = store().run_curves(code, r.run_id)
    figure = curves_figure(history_from_curves(curves), references=True, tr=current())
    figure["layout"].update(height=CURVES_PX, showlegend=False, template="plotly_white")
    st.plotly_chart(figure, key="projector_curves", theme=None,
                    config={"displayModeBar": False},
                    alt=tr("The run's loss and accuracy, epoch by epoch."))


@st.cache_data(ttl=60, max_entries=64, show_spinner=False)
def _drawing(code: str, drawing_id: str):
    """One drawing of the class: (raw 56x56 uint8, label, nickname), or None."""
    try:
        drawings = store().drawings(code)
    except ClassroomError:
        return None
    if drawing_id not in drawings.ids:
        return None
    i = drawings.ids.index(drawing_id)
    return drawings.raw[i], int(drawings.labels[i]), drawings.nicknames[i]


# ------------------------------------------------------------------ the teacher's side


def spotlight_button(code: str, run_id: str) -> None:
    """Under a run's curves on the teacher's board: put it on the projector."""
    if st.button(tr("Show this run on the projector"), key="spotlight_run",
                 icon=":material/co_present:"):
        SPOTLIGHTS.set(code, "run", run_id)
        st.toast(tr("On the projector within a few seconds."))


def teacher_panel(member: Membership) -> None:
    """The projector's link (with or without names) and the spotlight picker."""
    st.caption(tr("Open this link on the computer that drives the projector: the join code, "
                  "a QR code and the live board, full screen, with no tools and no key."))
    names = st.toggle(tr("Show nicknames on the projector"), value=True, key="projector_names")
    link = page_link("projector", member.code, st.context.url, {} if names else {"names": "0"})
    st.code(link, language=None)
    st.link_button(tr("Open the projector view"), link, icon=":material/co_present:")
    with reporting():
        _spotlight_picker(member.code)


def _spotlight_picker(code: str) -> None:
    runs = store().runs(code)
    drawings = store().drawings(code)
    options = {"": tr("(nothing)")}
    for e in reversed(runs):  # newest first
        acc = "-" if e.run.test_acc is None else f"{e.run.test_acc:.1%}"
        options[f"run:{e.run.run_id}"] = tr("run by {who}: {acc}, lr {lr:g}, λ {l2:g}",
                                            who=e.nickname, acc=acc, lr=e.run.learning_rate,
                                            l2=e.run.l2)
    for i in reversed(range(len(drawings))):
        options[f"drawing:{drawings.ids[i]}"] = tr("drawing by {who}: {label}",
                                                   who=drawings.nicknames[i],
                                                   label=int(drawings.labels[i]))
    spot = SPOTLIGHTS.get(code)
    now = f"{spot.kind}:{spot.item_id}" if spot else ""
    choice = st.selectbox(tr("Spotlight on the projector"), list(options),
                          index=list(options).index(now) if now in options else 0,
                          format_func=lambda k: options.get(k, k), key="projector_spotlight")
    if choice != now:
        if choice:
            kind, item = choice.split(":", 1)
            SPOTLIGHTS.set(code, kind, item)
        else:
            SPOTLIGHTS.clear(code)
        st.toast(tr("On the projector within a few seconds."))

