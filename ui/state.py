"""This browser session's state, in one place and typed: what the pages and ui keep across
reruns that is not a widget's value.

Streamlit re-runs a page from the top on every click, so anything that must outlive one run
lives in ``st.session_state``. Every such value is a field of :class:`SessionState`, kept
under the single key :data:`SESSION_KEY`; a page reads ``session().job`` rather than a
string key it has to spell the same as every other page. Widgets keep their values under
their own keys, which belong to the page that draws them.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

import streamlit as st

from core.preprocess import NO_PREPROCESSING
from core.workspaces import Workspaces
from ui.workspace import browser_key, known_browser

SESSION_KEY = "session"
TAB_KEY = "tab"
_TOUCHED = "_workspace_touched"  # st.session_state: when this tab last marked it used
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
    eval_cache: dict = field(default_factory=dict)  # id(model) -> (model, Evaluation)
    classroom: Any = None  # the class this session is in: ui.classroom.Membership or None
    classroom_retry_at: float = 0.0  # a failed rejoin from the address: try again after this
    language: str | None = None  # "en" or "ja" (ui.i18n), settled on the session's first run
    pinned: list = field(default_factory=list)  # the runs pinned under the live one (tickets)
    runs_started: int = 0  # how many runs this browser started (they are named run 1, 2, ...)
    run_numbers: dict = field(default_factory=dict)  # a run's ticket -> its number here
    tabs: set = field(default_factory=set)  # the ids of the sessions (tabs) that used it
    returning: bool = False  # this session found the workspace made by an earlier one
    work_lost: bool = False  # this browser's earlier workspace is gone (a restart, or idle)
    predictions: list = field(default_factory=list)  # core.prediction.Prediction, newest last

    @property
    def holds_work(self) -> bool:
        """Has anything been done here worth keeping (core.workspaces drops empty
        workspaces first when it needs room)?"""
        return any((self.job, self.kept_runs, self.uploaded, self.uploaded_data, self.sweep,
                    self.classroom, self.pinned))

    def close(self) -> None:
        """The workspace is dropped: stop what it still runs (its jobs and its sweep)."""
        for task in [self.job, *self.kept_runs, self.sweep]:
            if task is not None and getattr(task, "alive", False):
                task.stop("the workspace was idle too long")


@dataclass
class TabState:
    """What one tab keeps for itself (ui.state.tab)."""

    live_figures: dict = field(default_factory=dict)  # key -> core.live_figure.LiveFigure
    followers: dict = field(default_factory=dict)  # slider key -> ui.epoch_follower


WORKSPACES = Workspaces(holds=lambda state: state.holds_work)  # key -> SessionState
TOUCH_SECONDS = 60  # a page in use marks its workspace used at most this often


def session() -> SessionState:
    """This browser's state: its workspace (core.workspaces), the same object after a
    reload, a reopened tab or a dropped connection (ui.workspace says how the browser is
    recognised). Found or made on the session's first use; a run the watchdog paused while
    nobody watched goes on (:func:`ui.runs.reclaim` on the first page run)."""
    state = st.session_state.get(SESSION_KEY)
    if state is None:
        for dropped in WORKSPACES.dropped():  # idle for hours or pushed out: stop their runs
            dropped.close()
        key = browser_key()
        state, state.returning = WORKSPACES.get(key, SessionState)
        # a browser that was here before, whose workspace the server no longer has: it
        # restarted, or the workspace was idle for hours; the sidebar says so once
        state.work_lost = known_browser() and not state.returning
        state.tabs.add(_session_id())
        st.session_state[SESSION_KEY] = state
        st.session_state[_TOUCHED] = time.monotonic()
    elif time.monotonic() - st.session_state.get(_TOUCHED, 0.0) > TOUCH_SECONDS:
        WORKSPACES.touch(browser_key())
        st.session_state[_TOUCHED] = time.monotonic()
    return state


def tab() -> TabState:
    """What belongs to this tab alone, not to the browser's workspace: the live charts'
    redraw caches and the Weights page's epoch followers (two tabs of one browser draw
    their own)."""
    state = st.session_state.get(TAB_KEY)
    if state is None:
        state = st.session_state[TAB_KEY] = TabState()
    return state


def _session_id() -> str | None:
    """This websocket session's id (None outside a server, e.g. AppTest)."""
    from streamlit.runtime.scriptrunner import get_script_run_ctx

    ctx = get_script_run_ctx()
    return None if ctx is None else ctx.session_id
