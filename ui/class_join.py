"""The Class page for a session in no class: join one (the code from a link filled in), or,
for a teacher, open one or log in; and why a link's join failed or this session was taken
out of its class, in the page's body (a tablet's sidebar is folded away)."""

from __future__ import annotations

import streamlit as st

from ui.classroom import CLASS_QUERY, gone_notice, join, open_class, reporting, teacher_login
from ui.i18n import tr


def welcome() -> None:
    """Join a class (code from the link) or, for a teacher, open one or log in."""
    gone_notice()
    join_col, teacher_col = st.columns(2, gap="large")
    with join_col:
        st.header(tr("Join your class"))
        with st.form("class_join"):
            code = st.text_input(tr("Class code"), value=st.query_params.get(CLASS_QUERY, ""),
                                 max_chars=12, placeholder=tr("e.g. {code}", code="K7QMXD"))
            nick = st.text_input(tr("Your nickname"), max_chars=24,
                                 help=tr("1-24 characters, any script. No account: the same "
                                         "nickname from this browser later puts you back in "
                                         "the class."))
            if st.form_submit_button(tr("Join"), type="primary"):
                with reporting():
                    join(code, nick)
                    st.rerun()
    with teacher_col:
        st.header(tr("Teachers"))
        if st.button(tr("Open a class"), icon=":material/add_circle:", type="primary"):
            with reporting():
                open_class()
                st.rerun()
        with st.form("class_teacher"):
            st.caption(tr("Or log in to a class you opened, with its teacher key."))
            code = st.text_input(tr("Class code"), value=st.query_params.get(CLASS_QUERY, ""),
                                 max_chars=12, key="teacher_code")
            key = st.text_input(tr("Teacher key"), type="password")
            if st.form_submit_button(tr("Log in as the teacher")):
                with reporting():
                    teacher_login(code, key)
                    st.rerun()
