"""The browser's cookies: read when a session starts, written by one line of script.

Streamlit sends the page's cookies with the websocket's first request
(``st.context.cookies``) but cannot set one from the server. A cookie is therefore asked
for with :func:`write` during a run and put in the browser by :func:`render` (app.py, once
per full run, at the end of the sidebar): one ``<script>`` in the page
(``st.html(..., unsafe_allow_javascript=True)``) that sets every pending cookie. Only
values of our own making, checked against :data:`VALUE`, are ever written; a cookie that
comes back in another shape is ignored (anyone can type a cookie).

Every cookie is ``Path=/; SameSite=Lax``: sent to this server only, never with another
site's requests. Users: :mod:`ui.workspace` (which browser this is) and
:mod:`ui.class_session` (a teacher's session).
"""

from __future__ import annotations

import re
from collections.abc import Mapping

import streamlit as st

VALUE = re.compile(r"[A-Za-z0-9_:-]{16,80}")  # what a cookie of ours may hold
_PENDING = "_cookie_writes"  # st.session_state: name -> (value, seconds)


def sent() -> Mapping[str, str]:
    """The cookies the browser sent when this session started (none outside a server)."""
    try:
        return st.context.cookies
    except Exception:  # noqa: BLE001 - no request behind this session (AppTest, bare run)
        return {}


def read(name: str) -> str | None:
    """Our cookie ``name`` if the browser sent it well-formed, else None."""
    value = sent().get(name)
    return value if isinstance(value, str) and VALUE.fullmatch(value) else None


def write(name: str, value: str, seconds: int) -> None:
    """Ask the browser to keep ``name=value`` for ``seconds`` (0 and an empty value: delete
    it), from the next :func:`render` on."""
    if value and not VALUE.fullmatch(value):
        raise ValueError(f"not a cookie value of ours: {value!r}")
    st.session_state.setdefault(_PENDING, {})[name] = (value, int(seconds))


def render() -> None:
    """Put the pending cookies in the browser: one script, drawn on every full run of the
    session (a rerun that replaced it before it ran cannot lose a write)."""
    pending = st.session_state.get(_PENDING)
    if not pending:
        return
    lines = [f'document.cookie = "{name}={value}; Path=/; Max-Age={seconds}; SameSite=Lax";'
             for name, (value, seconds) in sorted(pending.items())]
    st.html(f"<script>{' '.join(lines)}</script>", unsafe_allow_javascript=True)
