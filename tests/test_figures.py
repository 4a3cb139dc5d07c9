"""The figure builders: one point per epoch, no NaN ever reaches a chart."""

from __future__ import annotations

import json
import math

import numpy as np
import plotly.graph_objects as go
import pytest

from core.figures import (
    confusion_figure,
    curves_figure,
    grid_columns,
    per_class_figure,
    probability_figure,
    upscale,
)
from core.run_state import EpochMetrics
from core.style import PREDICTION_COLOUR, VERDICTS


def _history(n, bad_epoch=None):
    nan = float("nan")
    return [EpochMetrics(e, nan if e == bad_epoch else 1 / e, 0.9,
                         math.inf if e == bad_epoch else 0.5, 0.91, 0.1, 0.05)
            for e in range(1, n + 1)]


def test_curves_hold_one_point_per_epoch_and_no_nan():
    fig = curves_figure(_history(5, bad_epoch=5))
    assert len(fig["data"]) == 4
    for trace in fig["data"]:
        assert trace["x"] == [1, 2, 3, 4, 5] and len(trace["y"]) == 5
    spec = json.dumps(fig)
    assert "NaN" not in spec and "Infinity" not in spec
    assert fig["data"][0]["y"][4] is None  # the diverged epoch is a gap
    go.Figure(fig)  # a valid plotly figure (raises otherwise)


def test_empty_history_gives_empty_axes_with_a_hint():
    fig = curves_figure([])
    assert all(t["x"] == [] for t in fig["data"])
    assert any("after the first epoch" in a["text"] for a in fig["layout"]["annotations"])


def test_probability_confusion_and_per_class_figures():
    proba = np.array([0.05, 0.7, 0.25] + [0.0] * 7)
    fig = probability_figure(proba, [str(i) for i in range(10)], true_class=2)
    assert fig.layout.title.text.startswith("prediction: 1 (70%)")
    assert fig.data[0].marker.line.width[2] == 3
    cm = np.diag([5, 6, 7]) + 1
    trace = confusion_figure(cm, ["a", "b", "c"]).data[0]
    assert list(trace.text) == [str(c) for c in cm.reshape(-1)]
    assert [tuple(c) for c in trace.customdata[:4]] == [(0, 0, 6), (0, 1, 1), (0, 2, 1), (1, 0, 1)]
    assert len(per_class_figure(np.array([0.9, 0.8, 1.0]), ["a", "b", "c"]).data[0].x) == 3
    big = upscale(np.eye(28), 3)
    assert big.shape == (84, 84) and big.dtype == np.uint8 and big.max() == 255


def test_right_and_wrong_are_told_by_a_colour_blind_safe_pair_and_a_symbol():
    right, wrong = VERDICTS[True], VERDICTS[False]
    assert (right.colour, wrong.colour) == ("#0072B2", "#D55E00")  # Okabe-Ito blue, vermillion
    assert (right.label, wrong.label) == ("✓ right", "✗ wrong")
    names = [str(i) for i in range(10)]
    proba = np.array([0.05, 0.7, 0.25] + [0.0] * 7)

    bars = probability_figure(proba, names, true_class=2)  # wrong: 1 predicted, 2 true
    colours, text = list(bars.data[0].marker.color), list(bars.data[0].text)
    assert colours[1] == wrong.colour and text[1] == "✗ 70%"
    assert list(bars.data[0].marker.line.width) == [0, 0, 3] + [0] * 7  # the true class outlined
    ticks = list(bars.layout.xaxis.ticktext)
    assert "true" in ticks[2] and not [t for k, t in enumerate(ticks) if "true" in t and k != 2]
    assert "✗ wrong" in bars.layout.title.text and "the true class is 2" in bars.layout.title.text
    # marked even when the model gave it nothing (an outline on a zero bar does not show)
    assert "true" in probability_figure(proba, names, 9).layout.xaxis.ticktext[9]

    bars = probability_figure(proba, names, true_class=1)  # right
    colours, text = list(bars.data[0].marker.color), list(bars.data[0].text)
    assert colours[1] == right.colour and text[1] == "✓ 70%" and "✓ right" in bars.layout.title.text
    assert "true class is" not in bars.layout.title.text

    bars = probability_figure(proba, names)  # a drawing: no truth, neither right nor wrong
    assert list(bars.data[0].marker.color)[1] == PREDICTION_COLOUR
    assert bars.data[0].text[1] == "70%" and "right" not in bars.layout.title.text
    assert "wrong" not in bars.layout.title.text

    for fig in (probability_figure(proba, names, 2), probability_figure(proba, names, 1)):
        spec = fig.to_json().lower()
        for green_or_red in ("#2ca02c", "#d62728", "green", '"red"'):  # the old pair
            assert green_or_red not in spec


def test_grid_columns_leave_room_for_the_longest_title():
    assert grid_columns(["T:2 P:7", "T:8 P:4"]) == 5  # digits: big on a projector, titles whole
    assert grid_columns(["T:Bag P:Coat"]) == 4
    assert grid_columns(["T:Dress P:Shirt"]) == 3
    assert grid_columns(["T:2 P:7", "T:Ankle boot P:Sneaker"]) == 2  # the longest decides
    assert grid_columns(["T:T-shirt/top P:Ankle boot"]) == 2  # never fewer than 2
    assert grid_columns([]) == 5


def test_why_contributions_add_up_to_the_logit_gap(mnist, trained_run):
    from core.explain import explain, runner_up

    model = trained_run.model
    x = mnist.features("test")[:50]
    proba = model.predict_proba(x)
    z = model.logits(x).astype(np.float64)
    for i in range(50):
        p, q = int(proba[i].argmax()), runner_up(proba[i])
        assert q != p and proba[i, q] == np.sort(proba[i])[-2]
        e = explain(model, x[i], p, q)
        assert abs(float(e.contributions.sum()) + e.bias_difference - e.logit_gap) < 1e-5
        assert abs(e.logit_gap - (z[i, p] - z[i, q])) < 1e-4
        assert e.logit_gap >= 0  # p is the prediction
        assert e.for_p >= 0 >= e.for_q
        blank = x[i].reshape(28, 28) == 0
        assert (e.image()[blank] == 0).all()  # no ink, no vote
    with pytest.raises(ValueError, match="out of range"):
        explain(model, x[0], 0, 10)


def test_split_accuracy_and_evaluate_split_match_evaluate_on_a_whole_float_copy(
        mnist, trained_run):
    """Scored a chunk at a time (no float32 copy of a split kept): the same numbers."""
    from core.metrics import evaluate, evaluate_split, split_accuracy

    model = trained_run.model
    train = split_accuracy(model, mnist, "train")
    x = mnist.x_train.astype(np.float32) / np.float32(255)
    assert train == evaluate(model, x, mnist.y_train).accuracy
    whole = evaluate(model, mnist.features("test"), mnist.y_test)
    assert split_accuracy(model, mnist, "test") == whole.accuracy
    chunked = evaluate_split(model, mnist, "test")
    np.testing.assert_array_equal(chunked.proba, whole.proba)
    np.testing.assert_array_equal(chunked.y_true, whole.y_true)


def test_settings_changed_mid_run_are_marked_on_both_charts():
    from core.run_state import SettingChange

    changes = [SettingChange(2.5, "learning_rate", 0.05), SettingChange(4.0, "l2", 1e-3)]
    fig = curves_figure(_history(5), changes=changes)
    lines = [s for s in fig["layout"]["shapes"] if s["x0"] == s["x1"]]
    assert sorted((s["x0"], s["xref"]) for s in lines) == [(2.5, "x"), (2.5, "x2"), (4.0, "x"),
                                                          (4.0, "x2")]
    labels = [a["text"] for a in fig["layout"]["annotations"] if a.get("x") in (2.5, 4.0)]
    assert sorted(labels) == ["lr 0.05", "lr 0.05", "λ 0.001", "λ 0.001"]
    assert all(y0 == 0 and y1 == 1 for y0, y1 in ((s["y0"], s["y1"]) for s in lines))
    go.Figure(fig)  # plotly accepts it
