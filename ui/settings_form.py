"""The Train page's settings: a lesson picker, one widget per setting, built from
core.config.SETTINGS (bounds, choices, which may change mid-run), and the "Deskew the
digits" switch, kept in the session and in the address bar."""

from __future__ import annotations

import streamlit as st

from core.config import SETTINGS, Setting, TrainConfig
from core.data import Dataset
from core.markup import markdown_literal
from core.preprocess import DESKEW, NO_PREPROCESSING
from core.presets import (
    DEFAULTS,
    DESKEW_QUERY,
    PRESETS,
    preprocessing_from_query,
    query_from_settings,
    settings_from_query,
)
from ui import classroom
from ui.caches import current_data
from ui.i18n import current, tr, url_params
from ui.runs import steer
from ui.state import session

LESSON_WIDGET = "lesson"
DESKEW_WIDGET = DESKEW_QUERY  # the switch's key, as the link names it
WIDTHS = {"epochs": 1, "learning_rate": 2, "l2": 2, "batch_size": 1, "seed": 1}
QUERY_CHARS = 100  # a setting in a link is a few characters: a longer value is cut to this


def load(params: dict[str, str], n_train: int) -> None:
    """On a first visit, the settings come from the link (with notes on what it could not
    set); afterwards from the session. They live in the session, not only in the widgets,
    because Streamlit forgets the state of widgets that are not on the page."""
    state = session()
    if state.settings is None:
        params = bounded(params)
        given, state.preset, state.url_notes = settings_from_query(params, n_train)
        state.settings = {**DEFAULTS.to_dict(), **given}
        state.preprocessing, notes = preprocessing_from_query(params, state.preset)
        state.url_notes += notes
    for s in SETTINGS.values():
        st.session_state[s.query] = state.settings[s.field]
    st.session_state[DESKEW_WIDGET] = state.preprocessing == DESKEW


def bounded(params: dict[str, str]) -> dict[str, str]:
    """The link's parameters, each name and value cut to QUERY_CHARS characters ("..." marks a
    cut value, which no setting accepts): a 100 KB value is never kept or shown in full."""
    cut = lambda v: v if len(v) <= QUERY_CHARS else v[:QUERY_CHARS] + "..."  # noqa: E731
    return {cut(str(k)): cut(str(v)) for k, v in params.items()}


def link_notes() -> None:
    """One warning for each thing the link could not set. The notes quote the link's values,
    which anyone can write: shown as typed (core.markup), never as markdown, so a crafted
    link cannot put a live link or an outside image into the app's own warning."""
    for note in session().url_notes:
        st.warning(tr("From the link: {note}.", note=markdown_literal(tr(note))))


def config(**override) -> TrainConfig:
    """The settings as a run's config (``override`` some of them)."""
    return TrainConfig(**{**session().settings, **override})


def training_data() -> Dataset:
    """The data a run started now trains on: the session's dataset, deskewed if the switch
    is on (digits only: the switch is not offered for other images)."""
    data = current_data()
    deskew = data.is_digits and session().preprocessing == DESKEW
    return current_data(DESKEW) if deskew else data


def lesson_picker(active: bool) -> None:
    state = session()
    lesson_col, watch_col = st.columns([1, 3])
    st.session_state[LESSON_WIDGET] = state.preset or "custom"
    lesson_col.selectbox(tr("Lesson"), ["custom", *PRESETS], key=LESSON_WIDGET, disabled=active,
                         on_change=_apply_preset,
                         format_func=_lesson_names().get)
    if state.preset:
        watch_col.info(tr("**What to watch for:** {watch}", watch=PRESETS[state.preset].watch))


def _lesson_names() -> dict[str, str]:
    """The lessons' titles in this session's language (a format_func is also called
    outside the script's run, where the session's language is unknown)."""
    t = current()
    return {"custom": t("Your own settings"), **{k: t(p.title) for k, p in PRESETS.items()}}


def setting_widgets(active: bool, n_train: int) -> None:
    """One widget per setting; those that can change mid-run stay enabled while training.
    The address bar then holds the settings, so a link reproduces them."""
    columns = st.columns([WIDTHS[f] for f in SETTINGS])
    for column, s in zip(columns, SETTINGS.values(), strict=True):
        with column:
            _widget(s, active, n_train)
    state = session()
    st.query_params.from_dict({**query_from_settings(config(), state.preset, state.preprocessing),
                               **classroom.url_params(),  # a reload stays in the class
                               **url_params()})  # ... and in its language


def deskew_switch(active: bool) -> None:
    """"Deskew the digits": train (and test) on the digits with their slant sheared away.
    Shown for digit datasets only; a run keeps the choice it started with."""
    if current_data().is_digits:
        st.toggle(tr("Deskew the digits"), key=DESKEW_WIDGET, on_change=_remember_deskew,
                  disabled=active,
                  help=tr("Shear every digit upright before training, and the test digits too "
                          "(a model trained so always reads its inputs deskewed). LeCun et al. "
                          "(1998): a linear classifier, 88.0 % -> 91.6 %."))


def _widget(s: Setting, active: bool, n_train: int) -> None:
    common = dict(key=s.query, on_change=_remember, args=(s,), disabled=active and not s.live,
                  help=tr("Can be changed while training: the next batch uses it.") if s.live
                  else None)
    if s.choices:
        st.select_slider(tr(s.label), s.choices, format_func=lambda v: f"{v:g}", **common)
    else:
        high = n_train if s.high is None else int(s.high)
        st.number_input(tr(s.label), int(s.low), high, **common)


def _remember(s: Setting) -> None:
    state = session()
    state.settings[s.field] = st.session_state[s.query]
    state.preset = None
    state.url_notes = []
    steer(s.field, st.session_state[s.query])


def _remember_deskew() -> None:
    state = session()
    state.preprocessing = DESKEW if st.session_state[DESKEW_WIDGET] else NO_PREPROCESSING
    state.preset = None
    state.url_notes = []


def _apply_preset() -> None:
    key = st.session_state[LESSON_WIDGET]
    if key in PRESETS:
        state = session()
        state.settings = PRESETS[key].config().to_dict()
        state.preprocessing = PRESETS[key].preprocessing
        state.preset = key
