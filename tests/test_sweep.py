"""Sweeps: real short sweeps on MNIST, cancelling, the slot queue, the figure of a real sweep,
the pace an estimate is made from, and the page. (The figure, table and sentences on hand-made
points: test_sweep_report.py; the lifecycle a sweep shares with training jobs: test_tasks.py.)

The sweeps that run to the end train one epoch per point, with batches of 500 (a fraction of
a second per point) except on the page, which uses its own defaults; that is enough to separate
lambda = 0 from lambda = 1 by a wide margin. Those that test cancelling are given more epochs
than they are let finish.
"""

from __future__ import annotations

import json
import threading
import time

import numpy as np
import plotly.graph_objects as go
import pytest
from streamlit.testing.v1 import AppTest

from apptest_support import session_of
from conftest import ROOT
from core.config import TrainConfig
from core.jobs import RunSlots, TrainingJob, Watchdog
from core.metrics import evaluate
from core.presets import LAMBDAS, LEARNING_RATES
from core.run_state import RunStatus
from core.sweep import Pace, Sweep, default_values, recorded_pace
from core.sweep_report import interpret, sweep_figure, table_rows
from core.train import TrainingRun

FAST = TrainConfig(epochs=1, batch_size=500)
TIMEOUT = 120


def _wait_for(condition, timeout=30.0):
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.01)


def _no_nan(fig: dict) -> None:
    """Valid plotly, and nothing a browser would have to parse as NaN or Infinity."""
    go.Figure(fig)  # raises on anything plotly does not know
    text = json.dumps(fig)
    assert "NaN" not in text and "Infinity" not in text


@pytest.fixture(scope="module")
def lambda_sweep(mnist):
    """lambda 0, 0.01, 1 for one epoch each, with the busiest moment of the slots recorded."""
    slots = RunSlots(capacity=4)
    sweep = Sweep("l2", [1.0, 0.0, 0.01], mnist, slots, base=FAST)  # sorted by the sweep
    busiest, stop = [0], threading.Event()

    def sample():
        while not stop.is_set():
            busiest[0] = max(busiest[0], slots.busy)
            time.sleep(0.002)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    sweep.start()
    sweep.join(TIMEOUT)
    stop.set()
    sampler.join()
    sweep.busiest = busiest[0]
    return sweep


# ------------------------------------------------------------------ a real sweep


def test_a_small_lambda_sweep_finishes_with_one_result_per_value(lambda_sweep):
    s = lambda_sweep
    assert not s.alive and s.finished and not s.cancelled and s.error is None
    assert [p.value for p in s.results] == [0.0, 0.01, 1.0]
    assert (s.points_done, s.total, s.progress) == (3, 3, 1.0)
    for p in s.results:
        assert p.status is RunStatus.FINISHED and p.epochs == 1 and p.seconds > 0
        for acc in (p.train_acc, p.valid_acc, p.test_acc):
            assert 0 < acc < 1
    assert s.describe() == "3 of 3 points done"


def test_a_large_lambda_shrinks_the_weights_and_underfits(lambda_sweep):
    none, _, large = lambda_sweep.results
    assert large.weight_norm < 0.2 * none.weight_norm
    assert large.train_acc < none.train_acc - 0.05  # train accuracy falls too: underfitting,
    assert large.valid_acc < none.valid_acc - 0.05  # not overfitting
    text = interpret(lambda_sweep.results, "l2")
    assert "came with lambda = 0" in text and "underfits" in text and "NaN" not in text


def test_scores_are_those_of_the_final_weights_on_each_set(lambda_sweep, mnist):
    for p in lambda_sweep.results:
        test = evaluate(p.model, mnist.features("test"), mnist.y_test).accuracy
        valid = evaluate(p.model, mnist.features("valid"), mnist.y_valid).accuracy
        train = evaluate(p.model, mnist.features("train"), mnist.y_train).accuracy
        assert (p.test_acc, p.valid_acc, p.train_acc) == (test, valid, train)
        assert p.weight_norm == pytest.approx(float(np.linalg.norm(p.model.W)), rel=1e-6)
    # the same as training that value on its own: the sweep adds nothing of its own
    run = TrainingRun(mnist, TrainConfig(epochs=1, batch_size=500, l2=0.01))
    run.run()
    alone = evaluate(run.model, mnist.features("test"), mnist.y_test).accuracy
    assert lambda_sweep.results[1].test_acc == pytest.approx(alone, abs=1e-4)


def test_train_accuracy_is_on_the_whole_training_set_not_the_running_average(lambda_sweep, mnist):
    p = lambda_sweep.results[0]
    running = TrainingRun(mnist, TrainConfig(epochs=1, batch_size=500, l2=0.0))
    running.run()
    # with one epoch the running average includes the first, untrained batches: far lower
    assert p.train_acc > running.history[-1].train_acc + 0.01


def test_a_sweep_never_takes_more_than_one_slot(lambda_sweep):
    assert lambda_sweep.busiest == 1
    assert lambda_sweep.slots.busy == 0


def test_a_diverging_learning_rate_is_recorded_as_diverged_without_nan(mnist):
    s = Sweep("learning_rate", [0.1, 1000], mnist, RunSlots(2), base=FAST)
    s.start()
    s.join(TIMEOUT)
    assert s.finished and s.error is None
    ok, blown = s.results
    assert ok.status is RunStatus.FINISHED and 0.8 < ok.valid_acc < 1
    assert blown.status is RunStatus.DIVERGED and "diverged" in blown.message
    assert (blown.train_acc, blown.valid_acc, blown.test_acc, blown.weight_norm, blown.model) == (
        None, None, None, None, None)
    assert "NaN" not in json.dumps([p.to_dict() for p in s.results])
    fig = sweep_figure(s.results, "learning_rate", s.values)
    _no_nan(fig)
    assert any("diverged" in a["text"] for a in fig["layout"]["annotations"])
    assert "1000 diverged" in interpret(s.results, "learning_rate")
    rows = table_rows(s.results, "learning_rate")
    assert rows[1]["test accuracy %"] is None and rows[1]["status"] == "diverged"
    assert rows[0]["test accuracy %"] == round(100 * ok.test_acc, 2)


def test_a_finished_point_records_the_pace_of_this_server(lambda_sweep, mnist):
    pace = recorded_pace(mnist, 500)  # FAST's batch size (the latest sweep with it)
    assert pace is not None and pace.epoch > 0 and pace.overhead >= 0
    assert pace.seconds(1, 1) < 60  # one epoch of 50,000 images and the scoring
    assert recorded_pace(mnist, 7) is None  # never measured
    assert Pace(epoch=0.5, overhead=0.25).seconds(points=7, epochs=5) == 7 * (5 * 0.5 + 0.25)
    assert lambda_sweep.message == "" and lambda_sweep.seconds >= sum(
        p.seconds for p in lambda_sweep.results)


# ------------------------------------------------------------------ cancelling and limits


def test_cancel_mid_sweep_stops_promptly_and_skips_the_rest(mnist):
    slots = RunSlots(capacity=2)
    s = Sweep("l2", [0.0, 1e-3, 0.1, 1.0], mnist, slots,
              base=TrainConfig(epochs=10, batch_size=500))
    s.start()
    _wait_for(lambda: s.points_done == 1 and s.current_run is not None
              and s.current_value == 1e-3 and s.current_run.batches_done > 0, timeout=60)
    assert s.describe().startswith("point 2 of 4: lambda = 0.001, epoch ")
    assert 0.25 < s.progress < 0.5
    s.cancel()
    s.join(10)
    assert not s.alive  # promptly: the interrupted run stops mid-way (epochs_done < 10 below)
    assert s.cancelled and not s.finished and s.error is None
    assert [p.value for p in s.results] == [0.0]  # the interrupted point is dropped
    assert s.current_run.status is RunStatus.STOPPED and s.current_run.epochs_done < 10
    assert slots.busy == 0
    s.start()  # a sweep runs once
    assert not s.alive


def test_a_sweep_waits_in_the_same_queue_as_training_jobs(mnist):
    slots = RunSlots(capacity=1)
    blocker = TrainingJob(TrainingRun(mnist, TrainConfig(epochs=50, batch_size=100)), slots)
    blocker.start()
    _wait_for(lambda: not blocker.queued and blocker.run.batches_done > 0)
    s = Sweep("l2", [0.0, 1.0], mnist, slots, base=FAST)
    s.start()
    try:
        _wait_for(lambda: s.ahead() == 0)
        time.sleep(0.5)
        assert s.queued and s.ahead() == 0 and s.points_done == 0 and s.current_run is None
        assert s.describe() == "point 1 of 2: lambda = 0, waiting for a training slot"
        assert slots.busy == 1 and blocker.alive
    finally:
        blocker.stop()
    blocker.join(30)
    s.join(TIMEOUT)
    assert s.finished and not s.queued and s.ahead() is None and slots.busy == 0


def test_cancel_while_queued_leaves_the_queue(mnist):
    slots = RunSlots(capacity=1)
    blocker = TrainingJob(TrainingRun(mnist, TrainConfig(epochs=50, batch_size=100)), slots)
    blocker.start()
    _wait_for(lambda: not blocker.queued)
    s = Sweep("l2", [0.0, 1.0], mnist, slots, base=FAST)
    s.start()
    _wait_for(lambda: s.ahead() == 0)
    s.cancel()
    s.join(5)
    blocker.stop()
    blocker.join(30)
    assert not s.alive and s.results == [] and slots.ahead_of(s.ticket) is None


def test_the_watchdog_cancels_a_sweep_whose_tab_closed(mnist):
    connected = {"yes": True}
    s = Sweep("l2", [0.0, 1.0], mnist, RunSlots(2), base=TrainConfig(epochs=50),
              owner_alive=lambda: connected["yes"])
    watchdog = Watchdog(interval=1000, grace=30)  # checked by hand below
    s.start()
    watchdog.watch(s)
    _wait_for(lambda: s.current_run is not None and s.current_run.batches_done > 0)
    connected["yes"] = False
    assert watchdog.check(now=0) == []
    assert watchdog.check(now=31) == [s]
    s.join(10)
    assert not s.alive and s.cancelled and "tab" in s.message and s.results == []


def test_bad_settings_fail_when_the_sweep_is_made(mnist):
    slots = RunSlots(1)
    with pytest.raises(ValueError, match="parameter"):
        Sweep("epochs", [1, 2], mnist, slots)
    with pytest.raises(ValueError, match="at least one"):
        Sweep("l2", [], mnist, slots)
    with pytest.raises(ValueError, match="learning_rate"):
        Sweep("learning_rate", [0.1, 1e4], mnist, slots)
    with pytest.raises(ValueError, match="batch_size"):
        Sweep("l2", [0.0], mnist, slots, base=TrainConfig(batch_size=60_000))


def test_default_values_are_offered_by_the_page():
    assert default_values("l2") == [0, 1e-5, 1e-4, 1e-3, 1e-2, 0.1, 1]
    assert default_values("learning_rate") == [0.001, 0.01, 0.1, 1, 5]
    assert set(default_values("l2")) <= set(LAMBDAS)
    assert set(default_values("learning_rate")) <= set(LEARNING_RATES)
    default_values("l2").append(99)  # a copy: the defaults cannot be changed by accident
    assert 99 not in default_values("l2")


# ------------------------------------------------------------------ the figure of a real sweep


def test_figure_of_a_real_sweep_is_valid_plotly_without_nan(lambda_sweep):
    fig = sweep_figure(lambda_sweep.results, "l2", lambda_sweep.values)
    _no_nan(fig)
    names = [t["name"] for t in fig["data"]]
    assert names == ["train accuracy", "validation accuracy", "test accuracy",
                     "weight norm ||W|| (right axis)"]
    norm = fig["data"][3]
    assert norm["yaxis"] == "y2" and norm["line"]["dash"] == "dash"
    assert fig["layout"]["yaxis2"]["overlaying"] == "y"
    assert fig["layout"]["xaxis"]["ticktext"] == ["0", "0.01", "1"]
    assert fig["layout"]["font"]["size"] >= 16
    assert len(fig["layout"]["title"]["text"]) < 60
    assert fig["layout"]["shapes"], "a dotted line sets lambda = 0 apart"
    assert any("best validation" in a["text"] for a in fig["layout"]["annotations"])


# ------------------------------------------------------------------ the page


@pytest.fixture
def sweep_page(tmp_path):
    """The Sweep page on its own (it is not in app.py's navigation yet)."""
    entry = tmp_path / "sweep_entry.py"
    entry.write_text(
        f"import sys\nsys.path.insert(0, {str(ROOT)!r})\nimport streamlit as st\n"
        f"st.navigation([st.Page({str(ROOT / 'views' / 'sweep.py')!r})]).run()\n")
    at = AppTest.from_file(str(entry), default_timeout=60)
    try:
        yield at
    finally:
        sweep = session_of(at).sweep
        if sweep is not None:
            sweep.cancel()
            sweep.join(30)


def test_sweep_page_runs_a_sweep_and_shows_the_figure_and_table(sweep_page):
    at = sweep_page.run()
    assert not at.exception, at.exception
    assert at.title[0].value.startswith("Sweep")
    assert at.multiselect(key="sweep_values_l2").value == default_values("l2")
    assert "Start" in at.info[0].value
    at.multiselect(key="sweep_values_l2").set_value([0.0, 1.0])
    at.number_input(key="sweep_epochs").set_value(1)
    at.run()
    next(b for b in at.button if b.label == "Start").click().run()
    assert not at.exception, at.exception
    sweep = session_of(at).sweep
    assert sweep.values == [0.0, 1.0] and sweep.base.epochs == 1
    sweep.join(TIMEOUT)
    assert sweep.finished, (sweep.error, sweep.message, sweep.results, sweep.cancelled)
    at.run()
    assert not at.exception, at.exception
    assert at.get("plotly_chart"), "the figure is shown"
    assert len(at.dataframe) == 1 and len(at.dataframe[0].value) == 2
    assert "Done: 2 values of lambda" in at.success[0].value
    assert any("best validation accuracy" in i.value for i in at.info)
    assert any("too little regularisation" in c.value for c in at.caption)
    assert not next(b for b in at.button if b.label == "Start").disabled


def test_sweep_page_says_how_much_work_the_chosen_values_and_epochs_are(sweep_page, mnist):
    at = sweep_page.run()
    assert not at.exception, at.exception
    n = len(default_values("l2"))
    assert (f"{n} values of lambda, 5 epochs each: {5 * n} passes over the "
            f"{len(mnist.y_train):,} training images") in at.info[0].value
    at.multiselect(key="sweep_values_l2").set_value([0.0, 1.0])
    at.number_input(key="sweep_epochs").set_value(3)
    at.run()
    text = at.info[0].value
    assert "2 values of lambda, 3 epochs each: 6 passes" in text
    assert "quarter" not in text  # no time typed by hand: one is given only once measured
    if recorded_pace(mnist, TrainConfig().batch_size) is not None:
        assert "at the pace of the latest sweep on this server" in text
