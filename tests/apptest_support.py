"""Driving the dashboard with Streamlit's own test driver (``streamlit.testing.v1.AppTest``).

AppTest executes app.py in-process, as a real server would for one browser session: widgets
are set and clicked from Python and the page's elements are read back. Training runs on the
job's worker thread, as in the app; a test waits for it and then re-runs the script.
"""

from __future__ import annotations

import time

import pytest
from streamlit.testing.v1 import AppTest

from conftest import ROOT

TIMEOUT = 60  # seconds for one script run and for one training job to end


def stop_training(at: AppTest) -> None:
    """Stop every training thread this session started, so none outlives its test."""
    state = session_of(at)
    jobs = [state.job] if state.job is not None else []
    jobs += list(state.kept_runs)
    for job in jobs:
        job.stop()
    for job in jobs:
        job.join(TIMEOUT)


@pytest.fixture
def app():
    """A fresh session on the Train page (the default page)."""
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=TIMEOUT)
    at.run()
    assert not at.exception, at.exception
    try:
        yield at
    finally:
        stop_training(at)


def go(at: AppTest, page: str) -> AppTest:
    at.switch_page(page).run()
    assert not at.exception, at.exception
    return at


def button(at: AppTest, label: str):
    found = [b for b in at.button if b.label == label]
    assert found, f"no button {label!r}; buttons: {[b.label for b in at.button]}"
    return found[0]


def click(at: AppTest, label: str) -> AppTest:
    button(at, label).click().run()
    assert not at.exception, at.exception
    return at


def wait_for(condition, what: str = "condition", timeout: float = TIMEOUT) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.02)


def model_select(at: AppTest):
    """The sidebar's "Model shown on Results and Draw" selectbox (its key changes with the
    choices, so it is found by label)."""
    found = [s for s in at.sidebar.selectbox if s.label == "Model shown on Results and Draw"]
    assert len(found) == 1, [s.label for s in at.sidebar.selectbox]
    return found[0]


def session_of(at):
    """The app's typed session state (ui.state.SessionState), made if the app has not run yet,
    so that a test can set up a session (a run, a dataset) before the first run."""
    from ui.state import SESSION_KEY, SessionState

    if SESSION_KEY not in at.session_state:
        at.session_state[SESSION_KEY] = SessionState()
    return at.session_state[SESSION_KEY]
