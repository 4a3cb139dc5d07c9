"""Who this browser is in Classroom mode, kept across reloads without anything in a link.

Two cookies, written by a tiny script in an ``st.iframe`` of HTML (same origin as the
page, scripts allowed) and read back with ``st.context.cookies`` when the next session starts:

- ``mnist_browser``: a random per-browser secret (192 bits), the ``claim`` a student's join
  passes: the class store ties a nickname to the browser that took it (core.classroom:
  another browser is refused until the teacher releases the nickname or this browser has
  been gone 10 minutes). A link ``?class=...&nick=...`` alone is not a log-in.
- ``mnist_teacher``: ``CODE:token``, a teacher-session token (core.classroom.teacher; its
  hash is in the class database with an expiry), so a reload keeps the teacher logged in;
  the key itself is never stored in the browser, a link or the page. Log out deletes the
  session and the cookie.

Both are ``SameSite=Lax``, path ``/``; nothing here is shown on screen.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Mapping

import streamlit as st

BROWSER_COOKIE, TEACHER_COOKIE = "mnist_browser", "mnist_teacher"
BROWSER_DAYS, TEACHER_HOURS = 365, 12
SECRET_STATE, WRITES_STATE = "class_browser_secret", "class_cookie_writes"
TOKEN = re.compile(r"[A-Za-z0-9_:-]{16,80}")  # what a cookie of ours may hold


def cookies() -> Mapping[str, str]:
    """The cookies the browser sent when this session started (none outside a server)."""
    try:
        return st.context.cookies
    except Exception:  # noqa: BLE001 - no request (a bare script run): no cookies
        return {}


def _cookie(name: str) -> str | None:
    """Our cookie ``name`` if it is well-formed (a hostile value is ignored)."""
    value = cookies().get(name)
    return value if isinstance(value, str) and TOKEN.fullmatch(value) else None


def write_cookie(name: str, value: str, seconds: int) -> None:
    """Ask the browser to keep a cookie (``seconds`` 0: delete it), on the next render of
    :func:`render_cookie_writes`."""
    st.session_state.setdefault(WRITES_STATE, {})[name] = (value, int(seconds))


def render_cookie_writes() -> None:
    """Render the pending cookie writes as one invisible script (call once per full run)."""
    writes = st.session_state.get(WRITES_STATE)
    if not writes:
        return
    lines = [f'document.cookie = "{name}={value}; path=/; max-age={seconds}; SameSite=Lax";'
             for name, (value, seconds) in writes.items()
             if TOKEN.fullmatch(value) or not value]
    st.iframe(f"<script>{' '.join(lines)}</script>", height="content")


def browser_claim() -> str:
    """This browser's secret (from its cookie, or a new one the browser is asked to keep)."""
    secret = st.session_state.get(SECRET_STATE) or _cookie(BROWSER_COOKIE)
    if secret is None:
        secret = secrets.token_urlsafe(24)
        write_cookie(BROWSER_COOKIE, secret, BROWSER_DAYS * 86_400)
    st.session_state[SECRET_STATE] = secret
    return secret


def teacher_cookie() -> tuple[str, str] | None:
    """(code, token) of the teacher session this browser keeps, or None."""
    value = _cookie(TEACHER_COOKIE)
    if value is None or ":" not in value:
        return None
    code, token = value.split(":", 1)
    return code, token


def keep_teacher(code: str, token: str) -> None:
    """Keep the teacher logged in across reloads (see the module's docstring)."""
    write_cookie(TEACHER_COOKIE, f"{code}:{token}", TEACHER_HOURS * 3600)


def forget_teacher() -> None:
    """Log out: the browser deletes its teacher cookie."""
    write_cookie(TEACHER_COOKIE, "", 0)
