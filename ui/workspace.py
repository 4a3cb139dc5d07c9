"""Which browser this is: the key of its workspace (core.workspaces), kept in a cookie.

Why a cookie. Streamlit sends the page's cookies with the websocket's first request
(``st.context.cookies``), so a reloaded or reopened tab is recognised before the page
draws anything: its runs are there on the very first run of the page. A key in the link
would hand the workspace to whoever the link is shared with (a settings link must stay a
settings link); the browser's local storage would need a component and a round trip before
the page knows whose it is.

How it is set. Streamlit cannot set a cookie from the server, so the first page of a new
browser sets it with one line of script (``st.html(..., unsafe_allow_javascript=True)``,
in the page itself; the script holds nothing but the key we made). The cookie:

- ``wcl_workspace=<32 random characters>``: a key from core.workspaces.new_key, 192 bits,
  so nobody guesses another browser's; a value of any other shape is ignored;
- ``Path=/``, ``SameSite=Lax`` (never sent by another site's requests), ``Max-Age`` 7 days
  (the workspace itself is dropped after 2 idle hours; the key is then reused for a new one);
- not ``HttpOnly`` (the script sets it) and not ``Secure`` (a school server is often plain
  http). It carries no data, only the key.

A browser that refuses cookies still works: every session is then a workspace of its own,
as before this module.
"""

from __future__ import annotations

import streamlit as st

from core.workspaces import new_key, valid_key

COOKIE = "wcl_workspace"
COOKIE_DAYS = 7
_KEY = "_workspace_key"  # st.session_state: this session's key
_SENT = "_workspace_cookie_sent"  # st.session_state: the cookie is known to be in the browser


def browser_key() -> str:
    """This browser's workspace key: the cookie's, or a new one (then :func:`set_cookie`
    puts it in the browser). Settled on the session's first run."""
    key = st.session_state.get(_KEY)
    if key is None:
        cookie = _cookie()
        key = cookie if valid_key(cookie) else new_key()
        st.session_state[_KEY] = key
        st.session_state[_SENT] = key == cookie
    return key


def set_cookie() -> None:
    """Put this session's key in the browser's cookie, if it is not there yet: a script
    that sets it, drawn on every run of this session (a rerun that replaced it before it
    ran cannot lose it; the next session finds the cookie and draws nothing)."""
    if st.session_state.get(_SENT, True):
        return
    key = browser_key()  # 32 characters of [A-Za-z0-9_-]: nothing to escape
    st.html("<script>document.cookie = '" + f"{COOKIE}={key}; Path=/; SameSite=Lax; "
            f"Max-Age={COOKIE_DAYS * 86400}" + "';</script>", unsafe_allow_javascript=True)


def _cookie() -> str | None:
    """The workspace cookie the browser sent, or None (no request: AppTest, or none sent)."""
    try:
        return st.context.cookies.get(COOKIE)
    except Exception:  # no request behind this session
        return None
