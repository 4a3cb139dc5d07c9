"""This session's language: chosen in the sidebar, first from the link's ``?lang=`` or the
browser's language, kept in the session and in the address bar (see core/i18n.py).

Pages write ``tr("English text", field=value)``; figures get :func:`translator`. The
language is per session: one server shows English and Japanese at once.
"""

from __future__ import annotations

import streamlit as st

from core.i18n import LANGUAGES, SOURCE_LANGUAGE, Translator, language_from_locale, translator
from ui.state import session

LANG_QUERY = "lang"  # ?lang=ja
LANGUAGE_WIDGET = "_language"


def language() -> str:
    """This session's language, settled on its first run: the link's, else the browser's."""
    state = session()
    if state.language is None:
        asked = st.query_params.get(LANG_QUERY)
        state.language = asked if asked in LANGUAGES else _browser_language()
    return state.language


def _browser_language() -> str:
    return language_from_locale(st.context.locale)


def current() -> Translator:
    """This session's translator, for figures and other core functions that take ``tr``."""
    return translator(language())


def tr(text: str, **fields) -> str:
    """``text`` (or a core.i18n.Msg) in this session's language, its fields filled in."""
    return current()(text, **fields)


def url_params() -> dict[str, str]:
    """The address's ``lang``, so that a link opens in the same language: left out for
    English when the browser's language is English too (the links stay as they were)."""
    lang = language()
    return {} if lang == SOURCE_LANGUAGE == _browser_language() else {LANG_QUERY: lang}


def keep_in_url() -> None:
    """Put the session's language in the address bar (a page switch clears it)."""
    wanted = url_params().get(LANG_QUERY)
    if st.query_params.get(LANG_QUERY) != wanted:
        if wanted is None:
            del st.query_params[LANG_QUERY]
        else:
            st.query_params[LANG_QUERY] = wanted


def language_picker() -> None:
    """English / 日本語: switching keeps every run and setting (they live in the session)."""
    st.session_state[LANGUAGE_WIDGET] = language()
    st.segmented_control(tr("Language"), list(LANGUAGES), format_func=LANGUAGES.get,
                         key=LANGUAGE_WIDGET, on_change=_on_pick, width="stretch")


def _on_pick() -> None:
    picked = st.session_state.get(LANGUAGE_WIDGET)
    if picked in LANGUAGES:  # None: the selected button clicked again, nothing changes
        session().language = picked
