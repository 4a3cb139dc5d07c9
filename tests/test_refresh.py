"""How often live views refresh (ui.refresh): slowly for a run waiting behind others, faster
when it trains, slower when the server is crowded; the sidebar's status line stays off the
Train page, which shows the run itself."""

from __future__ import annotations

import threading
from types import SimpleNamespace

import pytest

from apptest_support import app, go, session_of, wait_for  # noqa: F401 (fixture)
from core.config import TrainConfig
from core.data import load_source
from core.jobs import TrainingJob
from core.tasks import RunSlots
from core.train import TrainingRun
from ui import refresh


def _job(alive=True, queued=False, ahead=None):
    return SimpleNamespace(alive=alive, queued=queued, ahead=lambda: ahead)


@pytest.fixture
def slots(monkeypatch):
    slots = RunSlots(1)
    monkeypatch.setattr(refresh, "run_slots", lambda: slots)
    return slots


def test_no_refresh_without_a_live_run(slots):
    assert refresh.live_seconds(None) is None
    assert refresh.live_seconds(_job(alive=False)) is None


def test_a_run_waiting_behind_others_refreshes_slowly_the_next_in_line_does_not(slots):
    assert refresh.live_seconds(_job(queued=True, ahead=3)) == refresh.QUEUED_SECONDS
    assert refresh.waiting(_job(queued=True, ahead=3))
    # first in line (or not yet in the queue, just started): it trains any moment
    for ahead in (0, None):
        assert not refresh.waiting(_job(queued=True, ahead=ahead))
        assert refresh.live_seconds(_job(queued=True, ahead=ahead)) == refresh.LIVE_SECONDS


def test_a_training_run_refreshes_less_often_in_a_crowded_server(slots):
    assert refresh.live_seconds(_job()) == refresh.LIVE_SECONDS
    cancelled = threading.Event()
    assert slots.acquire(1, cancelled)
    waiter = threading.Thread(target=slots.acquire, args=(2, cancelled))
    waiter.start()
    try:
        wait_for(lambda: slots.ahead_of(2) == 0, "a second task to wait")
        assert slots.crowded
        assert refresh.live_seconds(_job()) == refresh.CROWDED_SECONDS
    finally:
        cancelled.set()
        waiter.join()
        slots.release(1)
    assert refresh.QUEUED_SECONDS > refresh.CROWDED_SECONDS > refresh.LIVE_SECONDS


def test_sidebar_status_line_is_on_other_pages_not_on_train(app):  # noqa: F811
    run = TrainingRun(load_source("mnist"), TrainConfig(epochs=1, batch_size=5000))
    state = session_of(app)
    state.job = TrainingJob(run, slots=RunSlots(1))  # never started: stays as it was made
    app.run()
    assert not [c.value for c in app.sidebar.caption if c.value.startswith("Training:")]
    go(app, "views/results.py")
    assert [c.value for c in app.sidebar.caption if c.value.startswith("Training:")]
