"""Reading a sweep (core.sweep_report): the figure, the table and the sentences, on hand-made
points, so no training is needed. The figure of a real sweep is checked in test_sweep.py."""

from __future__ import annotations

import json
import math
from types import SimpleNamespace

import plotly.graph_objects as go
import pytest

from core.run_state import RunStatus
from core.sweep import PARAMETERS, Pace, SweepPoint
from core.sweep_report import axis_positions, interpret, plan, sweep_figure, table_rows


def _no_nan(fig: dict) -> None:
    """Valid plotly, and nothing a browser would have to parse as NaN or Infinity."""
    go.Figure(fig)  # raises on anything plotly does not know
    text = json.dumps(fig)
    assert "NaN" not in text and "Infinity" not in text


def _point(value, acc=None, norm=None, status=RunStatus.FINISHED):
    accs = (None, None, None) if acc is None else (acc + 0.01, acc, acc - 0.005)
    return SweepPoint(value, status, *accs, norm, 1, 0.1)


def test_zero_sits_one_decade_left_of_the_smallest_positive_value():
    pos = axis_positions([0.0, 1e-5, 1e-3, 1.0])
    assert pos[1e-5] == pytest.approx(-5) and pos[1.0] == pytest.approx(0)
    assert pos[0.0] == pytest.approx(-6)
    assert list(axis_positions([0.0])) == [0.0]  # zero alone still gets a place


def test_figure_keeps_its_axis_while_points_arrive_and_never_shows_nan():
    values = [0.0, 1e-4, 1e-2, 1.0]
    empty = sweep_figure([], "l2", values)
    _no_nan(empty)
    assert empty["layout"]["xaxis"]["ticktext"] == ["0", "0.0001", "0.01", "1"]
    assert "appear" in empty["layout"]["annotations"][-1]["text"]
    partial = sweep_figure([_point(0.0, 0.9, 10.0), _point(1e-4, float("nan"), math.inf)], "l2",
                           values)
    _no_nan(partial)
    assert partial["layout"]["xaxis"]["range"] == empty["layout"]["xaxis"]["range"]
    lr = sweep_figure([_point(0.1, 0.9, 10.0), _point(10.0, status=RunStatus.DIVERGED)],
                      "learning_rate")
    _no_nan(lr)
    assert "learning rate" in lr["layout"]["xaxis"]["title"]["text"]
    assert lr["layout"]["shapes"] == []  # no zero to set apart


def test_interpretation_names_the_best_value_and_spots_overfitting():
    overfit = [SweepPoint(0.0, RunStatus.FINISHED, 0.99, 0.90, 0.89, 30.0, 5, 1.0),
               SweepPoint(0.01, RunStatus.FINISHED, 0.93, 0.92, 0.92, 8.0, 5, 1.0),
               SweepPoint(1.0, RunStatus.FINISHED, 0.75, 0.74, 0.75, 1.0, 5, 1.0)]
    text = interpret(overfit, "l2")
    assert "best validation accuracy, 92.0%, came with lambda = 0.01" in text
    assert "lambda = 0 training accuracy is 9.0% above validation accuracy: overfitting" in text
    assert "From lambda = 1 up" in text and "underfits" in text
    slow = [SweepPoint(0.001, RunStatus.FINISHED, 0.80, 0.80, 0.80, 4.0, 5, 1.0),
            SweepPoint(0.1, RunStatus.FINISHED, 0.92, 0.92, 0.92, 9.0, 5, 1.0)]
    assert "too small" in interpret(slow, "learning_rate", epochs=5)
    assert "diverged" in interpret([_point(10.0, status=RunStatus.DIVERGED)], "learning_rate")
    assert interpret([], "l2") == "No point has finished yet."
    assert interpret([_point(0.0, 0.915)], "l2").startswith("Only lambda = 0 finished: ")
    tie = [_point(0.0, 0.915), _point(1e-5, 0.9145), _point(1e-3, 0.90)]
    assert "lambda = 0 (1e-05 is within 0.1% of it)." in interpret(tie, "l2")
    assert set(PARAMETERS) == {"l2", "learning_rate"}


def test_the_model_size_in_the_sentences_is_that_of_the_dataset(mnist):
    flat = [_point(0.0, 0.915), _point(1e-3, 0.914)]  # no overfitting anywhere
    assert "with 7,850 weights for 50,000 images this model hardly overfits" in interpret(
        flat, "l2", data=mnist)
    tiny = SimpleNamespace(n_features=3, n_classes=2, y_train=list(range(40)))
    assert "with 8 weights for 40 images this model" in interpret(flat, "l2", data=tiny)
    assert "every lambda: this model hardly overfits" in interpret(flat, "l2")  # no dataset


def test_the_lambda_sentences_and_the_learning_rate_sentences():
    lam = [_point(0.0, 0.92), _point(0.1, 0.85), _point(1.0, 0.70)]
    text = interpret(lam, "l2")
    assert "From lambda = 0.1 up" in text and "down to 71.0% train / 70.0% validation" in text
    lr = [_point(0.001, 0.70), _point(0.01, 0.80), _point(0.1, 0.92), _point(5.0, 0.85)]
    text = interpret(lr, "learning_rate", epochs=3)
    assert "With learning rate 0.001 to 0.01 the steps are too small to get far in 3 epochs" in text
    assert "With learning rate 5 the steps overshoot" in text
    assert "epochs" not in interpret(lr, "learning_rate")


def test_table_rows_are_sorted_rounded_and_gaps_are_none():
    rows = table_rows([_point(1.0, 0.9, 2.34567), _point(0.0, status=RunStatus.DIVERGED)], "l2")
    assert [r["lambda"] for r in rows] == ["0", "1"]
    assert rows[0]["train accuracy %"] is None and rows[0]["status"] == "diverged"
    assert rows[1]["validation accuracy %"] == 90.0 and rows[1]["weight norm ||W||"] == 2.346
    with pytest.raises(ValueError, match="parameter"):
        sweep_figure([], "epochs")


def test_the_plan_counts_the_work_and_gives_a_time_only_from_a_measured_pace(mnist):
    assert plan("l2", 7, 5, mnist, None) == (
        "7 values of lambda, 5 epochs each: 35 passes over the 50,000 training images.")
    timed = plan("learning_rate", 2, 1, mnist, Pace(epoch=0.4, overhead=0.1))
    assert timed.startswith("2 values of learning rate, 1 epoch each: 2 passes over the ")
    assert "about 1 s at the pace of the latest sweep on this server" in timed
    assert "about 4 min" in plan("l2", 8, 50, mnist, Pace(epoch=0.6, overhead=0.5))
    tiny = SimpleNamespace(y_train=list(range(40)))
    assert plan("l2", 1, 1, tiny, None) == (
        "1 value of lambda, 1 epoch each: 1 pass over the 40 training images.")
    assert plan("l2", 0, 5, mnist, None) == "Choose at least one value."
