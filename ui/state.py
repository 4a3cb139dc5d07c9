"""This browser session's state, in one place and typed: what the pages and ui keep across
reruns that is not a widget's value.

Streamlit re-runs a page from the top on every click, so anything that must outlive one run
lives in ``st.session_state``. Every such value is a field of :class:`SessionState`, kept
under the single key :data:`SESSION_KEY`; a page reads ``session().job`` rather than a
string key it has to spell the same as every other page. Widgets keep their values under
their own keys, which belong to the page that draws them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import streamlit as st

from core.preprocess import NO_PREPROCESSING

SESSION_KEY = "session"
UPLOAD_SOURCE = "upload"  # SessionState.source for the session's own uploaded dataset


@dataclass
class SessionState:
    """Everything a session keeps. Jobs, models and sweeps are core objects."""

    source: str = "mnist"  # the dataset: a core.data.load_source string, or UPLOAD_SOURCE
    source_error: str | None = None  # why the last dataset switch failed
    folder_text: str = ""  # the folder as typed (shown back: never its resolved path)
    uploaded_data: Any = None  # this session's uploaded core.data.Dataset (UPLOAD_SOURCE)
    data_upload_generation: int = 0  # a new dataset uploader (and its files let go)
    job: Any = None  # the current run: core.jobs.TrainingJob or None
    kept_runs: list = field(default_factory=list)  # earlier TrainingJobs, newest last
    model_choice: str = "current"  # which model Results, Draw, Weights... show
    uploaded: list = field(default_factory=list)  # (key, label, SoftmaxWeights)
    upload_error: str | None = None
    settings: dict | None = None  # the Train page's settings (TrainConfig fields)
    preset: str | None = None  # the lesson whose settings are in use
    preprocessing: str = NO_PREPROCESSING  # the Train page's digits: or DESKEW (core.preprocess)
    url_notes: list = field(default_factory=list)  # what the link's settings could not set
    train_error: str | None = None  # why Start or Continue was refused
    sweep: Any = None  # the current core.sweep.Sweep
    sweep_error: str | None = None
    weights_run_current: int | None = None  # Weights: the current run's ticket at the last run
    selected_digit: int | None = None  # Results: the test image whose details are shown
    canvas_generation: int = 0  # Draw: a new number gives a fresh, empty canvas
    live_figures: dict = field(default_factory=dict)  # key -> core.live_figure.LiveFigure
    eval_cache: dict = field(default_factory=dict)  # id(model) -> (model, Evaluation)
    followers: dict = field(default_factory=dict)  # slider key -> ui.epoch_follower
    classroom: Any = None  # the class this session is in: ui.classroom.Membership or None
    classroom_retry_at: float = 0.0  # a failed rejoin from the address: try again after this
    language: str | None = None  # "en" or "ja" (ui.i18n), settled on the session's first run


def session() -> SessionState:
    """This session's state, made on first use."""
    state = st.session_state.get(SESSION_KEY)
    if state is None:
        state = st.session_state[SESSION_KEY] = SessionState()
    return state
