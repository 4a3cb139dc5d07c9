"""The figure builders: one point per epoch, no NaN ever reaches a chart."""

from __future__ import annotations

import json
import math

import numpy as np
import plotly.graph_objects as go

from core.figures import (confusion_figure, curves_figure, per_class_figure, probability_figure,
                          upscale)
from core.train import EpochMetrics


def _history(n, bad_epoch=None):
    nan = float("nan")
    return [EpochMetrics(e, nan if e == bad_epoch else 1 / e, 0.9, math.inf if e == bad_epoch else 0.5,
                         0.91, 0.1, 0.05) for e in range(1, n + 1)]


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
    assert fig.layout.title.text == "prediction: 1 (70%)"
    assert fig.data[0].marker.line.width[2] == 3
    cm = np.diag([5, 6, 7]) + 1
    assert confusion_figure(cm, ["a", "b", "c"]).data[0].text.tolist() == cm.tolist()
    assert len(per_class_figure(np.array([0.9, 0.8, 1.0]), ["a", "b", "c"]).data[0].x) == 3
    big = upscale(np.eye(28), 3)
    assert big.shape == (84, 84) and big.dtype == np.uint8 and big.max() == 255
