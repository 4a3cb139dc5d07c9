"""Which browser this is: the key of its workspace (core.workspaces), kept in a cookie.

Why a cookie. Streamlit sends the page's cookies with the websocket's first request
(``st.context.cookies``), so a reloaded or reopened tab is recognised before the page
draws anything: its runs are there on the very first run of the page. A key in the link
would hand the workspace to whoever the link is shared with (a settings link must stay a
settings link); the browser's local storage would need a component and a round trip before
the page knows whose it is.

How it is set: by :mod:`ui.cookies` (one line of script in the page, since Streamlit
cannot set a cookie from the server). The cookie:

- ``wcl_workspace=<32 random characters>``: a key from core.workspaces.new_key, 192 bits,
  so nobody guesses another browser's; a value of any other shape is ignored;
- ``Path=/``, ``SameSite=Lax`` (never sent by another site's requests), ``Max-Age`` a year
  (the workspace itself is dropped after 2 idle hours; the key is then reused for a new
  one, and stays this browser's secret for Classroom mode: ui.class_session);
- not ``HttpOnly`` (the script sets it) and not ``Secure`` (a school server is often plain
  http). It carries no data, only the key.

A browser that refuses cookies still works: every session is then a workspace of its own,
as before this module.
"""

from __future__ import annotations

import streamlit as st

from core.workspaces import new_key, valid_key
from ui import cookies

COOKIE = "wcl_workspace"
COOKIE_DAYS = 365
_KEY = "_workspace_key"  # st.session_state: this session's key
_SENT = "_workspace_key_sent"  # st.session_state: the browser sent that key (it was here before)


def browser_key() -> str:
    """This browser's workspace key: the cookie's, or a new one that the browser is asked
    to keep (:func:`ui.cookies.write`). Settled on the session's first run."""
    key = st.session_state.get(_KEY)
    if key is None:
        sent = cookies.read(COOKIE)
        key = sent if valid_key(sent) else new_key()
        st.session_state[_KEY] = key
        st.session_state[_SENT] = key == sent
        if key != sent:
            cookies.write(COOKIE, key, COOKIE_DAYS * 86_400)
    return key


def known_browser() -> bool:
    """Did this browser bring a workspace key of ours (it has been here before)?"""
    browser_key()
    return bool(st.session_state.get(_SENT))
