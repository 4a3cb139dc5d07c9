"""The Weights page: W's columns as templates, one shared symmetric colour scale, exact replay."""

from __future__ import annotations

import base64
import json
import textwrap
import time

import numpy as np
import plotly.graph_objects as go
import pytest

from apptest_support import session_of
from conftest import ROOT
from core.config import TrainConfig
from core.jobs import RunSlots, TrainingJob
from core.snapshots import WeightHistory, nearest_epoch
from core.style import DIVERGING_SCALE
from core.train import TrainingRun
from core.weights_view import (
    history_limit,
    norms_figure,
    replay,
    symmetric_limit,
    weight_images,
    weight_norms,
    weights_figure,
)
from ui.epoch_follower import EpochFollower

NAMES = [str(k) for k in range(10)]


def _random_W(seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).normal(size=(784, 10)).astype(np.float32)


# ------------------------------------------------------------------ core


def test_panels_are_exactly_the_columns_of_W():
    W = _random_W()
    images = weight_images(W)
    assert images.shape == (10, 28, 28)
    for k in range(10):
        np.testing.assert_array_equal(images[k], W[:, k].reshape(28, 28))
    # pixel (r, c) of template k is the weight of input pixel r * 28 + c for class k
    assert images[3, 5, 7] == W[5 * 28 + 7, 3]
    with pytest.raises(ValueError, match="square"):
        weight_images(np.zeros((783, 10)))
    with pytest.raises(ValueError, match="2-D"):
        weight_images(np.zeros(784))


def test_the_figure_shows_the_templates_upright_on_one_symmetric_scale():
    W = _random_W()
    fig = weights_figure(W, NAMES)
    heatmaps = fig["data"]
    assert len(heatmaps) == 10 and all(t["type"] == "heatmap" for t in heatmaps)
    for k, t in enumerate(heatmaps):
        np.testing.assert_array_equal(t["z"], W[:, k].reshape(28, 28))  # exact, no rounding
        assert t["coloraxis"] == "coloraxis"  # all on one shared colour axis: one colour bar
    layout = fig["layout"]
    limit = symmetric_limit(W)
    assert layout["coloraxis"]["cmin"] == -limit and layout["coloraxis"]["cmax"] == limit
    assert layout["coloraxis"]["colorscale"] is DIVERGING_SCALE
    scale = dict((pos, colour) for pos, colour in DIVERGING_SCALE)
    assert scale[0.5] == "#ffffff"  # white at 0 ...
    assert scale[0.0] == "#053061" and scale[1.0] == "#67001f"  # ... blue below, red above
    titles = [a["text"] for a in layout["annotations"]]
    assert titles == [f"<b>{k}</b>" for k in NAMES]
    for n in ["", *map(str, range(2, 11))]:
        x, y = layout[f"xaxis{n}"], layout[f"yaxis{n}"]
        assert y["scaleanchor"] == f"x{n}"  # square pixels
        assert y["range"][0] > y["range"][1]  # row 0 at the top: digits stand upright
        assert x["showticklabels"] is False and y["showticklabels"] is False
    # two rows of five: the first five panels share a row above the last five
    tops = [layout[f"yaxis{n}"]["domain"][1] for n in ["", *map(str, range(2, 11))]]
    assert len(set(tops[:5])) == 1 and len(set(tops[5:])) == 1 and tops[0] > tops[5]
    go.Figure(fig)  # a valid plotly figure (raises otherwise)
    fixed = weights_figure(W, NAMES, limit=2.5)
    assert fixed["layout"]["coloraxis"]["cmax"] == 2.5
    with pytest.raises(ValueError):
        weights_figure(W, NAMES[:9])


def test_symmetric_limit_is_the_99th_percentile_so_an_outlier_does_not_wash_out_the_rest():
    W = np.random.default_rng(1).uniform(-1, 1, size=(784, 10))
    expected = np.percentile(np.abs(W), 99)
    W[0, 0] = 1000.0  # one wild pixel
    limit = symmetric_limit(W)
    assert limit == pytest.approx(expected, rel=0.01) and limit < 1
    assert symmetric_limit(-W) == limit  # symmetric: the sign does not matter
    assert symmetric_limit(np.zeros((784, 10))) == 1.0  # still a valid scale
    only_one = np.zeros((784, 10))
    only_one[5, 5] = -0.3
    assert symmetric_limit(only_one) == pytest.approx(0.3)  # percentile 0: fall back to max


def test_no_nan_reaches_the_figure_even_for_broken_weights():
    W = _random_W()
    W[0, 0], W[1, 2], W[2, 3] = np.nan, np.inf, -np.inf
    fig = weights_figure(W, NAMES)
    spec = json.dumps(fig, default=lambda a: a.tolist())
    assert "NaN" not in spec and "Infinity" not in spec
    assert fig["data"][0]["z"][0][0] is None  # drawn as a gap
    assert np.isfinite(fig["layout"]["coloraxis"]["cmax"])
    go.Figure(fig)


def test_norms_and_history_limit_follow_the_kept_epochs(trained_run):
    norms = weight_norms(trained_run.weights)
    assert [e for e, _ in norms] == trained_run.weights.epochs == [0, 1, 2, 3]
    for epoch, norm in norms:
        assert norm == pytest.approx(float(np.linalg.norm(trained_run.weights.get(epoch)[0])))
    assert norms[-1][1] > norms[0][1]  # training grows the weights out of the small random start
    assert history_limit(trained_run.weights) == max(
        symmetric_limit(trained_run.weights.get(e)[0]) for e in trained_run.weights.epochs)
    fig = norms_figure(norms, selected_epoch=2)
    assert fig["data"][0]["x"] == [0, 1, 2, 3] and fig["data"][1]["x"] == [2]
    go.Figure(fig)


def test_replay_gives_the_exact_weights_of_each_epoch(mnist):
    run = TrainingRun(mnist, TrainConfig(epochs=3, batch_size=1000))
    seen = {0: run.model.W.copy()}
    for m in run.iter_epochs():
        seen[m.epoch] = run.model.W.copy()
    assert run.weights.epochs == [0, 1, 2, 3]
    for epoch, W in seen.items():
        np.testing.assert_array_equal(run.weights.get(epoch)[0], W)
        kept, replayed = replay(run.weights, epoch)
        assert kept == epoch
        np.testing.assert_array_equal(replayed, W)
        shown = weights_figure(replayed, run.model.class_names)["data"]
        for k in range(10):
            np.testing.assert_array_equal(shown[k]["z"], W[:, k].reshape(28, 28))
    assert not np.array_equal(seen[0], seen[3])


def test_replay_of_a_thinned_out_epoch_snaps_to_the_closest_kept_one():
    history = WeightHistory(capacity=10)
    for e in range(100):
        history.add(e, np.full((4, 1), e, np.float32), np.zeros(1, np.float32))
    missing = next(e for e in range(100) if e not in history.epochs)
    kept, W = replay(history, missing)
    assert kept == nearest_epoch(history.epochs, missing) and W[0, 0] == kept


def test_the_epoch_slider_follows_training_and_tells_echoes_from_the_user():
    f = EpochFollower(grace=2.0)
    assert f.step(None, [0], now=0.0) == (0, True)  # a fresh slider: put it on the newest
    assert f.step(0, [0, 1], now=0.5) == (1, True)  # a new epoch: follow it
    assert f.step(0, [0, 1, 2], now=1.0) == (2, True)  # 0 again: a stale echo, not the user
    assert f.follow and f.sent == [0, 1, 2]
    assert f.step(1, [0, 1, 2, 3], now=1.5) == (3, True)  # an echo confirms older writes
    assert f.sent == [1, 2, 3]
    assert f.step(3, [0, 1, 2, 3, 4], now=2.0) == (4, True) and f.sent == [3, 4]
    # the user drags to epoch 0, which the page did write once, but the browser had
    # already confirmed a later value, so 0 can no longer be an echo: the user's
    assert f.step(0, [0, 1, 2, 3, 4], now=2.5) == (0, False) and not f.follow
    assert f.step(0, [0, 1, 2, 3, 4, 5], now=3.0) == (0, False)  # stays put as epochs come
    # a write that was on its way when the user moved lands afterwards: ignored, undone
    assert f.step(4, [0, 1, 2, 3, 4, 5], now=3.2) == (0, True) and not f.follow
    assert f.step(2, range(7), now=4.0) == (2, False)  # the user again, another epoch
    # dragged to the right end as the browser showed it, one epoch old by now: follow
    assert f.step(5, range(7), now=4.5) == (6, True) and f.follow
    # on a slow run, an epoch that was the newest long ago is just an older epoch
    assert f.step(6, range(8), now=5.0) == (7, True)
    assert f.step(7, range(8), now=59.5) == (7, False)  # the browser has it; nothing to write
    assert f.step(6, range(8), now=60.0) == (6, False) and not f.follow


def test_a_pinned_epoch_that_is_thinned_out_moves_to_the_closest_kept_one():
    f = EpochFollower()
    f.step(None, [0, 10, 20, 30], now=0.0)
    assert f.step(10, [0, 10, 20, 30], now=1.0) == (10, False)
    assert f.step(10, [0, 9, 12, 20, 31], now=1.5) == (9, True)  # ties go to the earlier
    assert f.step(9, [0, 9, 12, 20, 31], now=2.0) == (9, False)


# ------------------------------------------------------------------ the page (AppTest)


def _page(tmp_path):
    """The Weights page under navigation, as app.py will run it once it lists the page."""
    from streamlit.testing.v1 import AppTest

    entry = tmp_path / "weights_entry.py"
    entry.write_text(textwrap.dedent(f"""
        import sys
        sys.path.insert(0, {str(ROOT)!r})
        import streamlit as st
        st.navigation([st.Page({str(ROOT / 'views' / 'weights.py')!r})]).run()
    """))
    return AppTest.from_file(str(entry), default_timeout=120)


def _charts(at) -> list[dict]:
    return [json.loads(el.proto.spec) for el in at.get("plotly_chart")]


def _heatmaps(at) -> dict:
    return next(s for s in _charts(at) if s["data"][0]["type"] == "heatmap")


def _z(trace: dict) -> np.ndarray:
    """A heatmap's z as sent to the browser: plotly sends NumPy arrays as base64 typed arrays."""
    z = trace["z"]
    if isinstance(z, dict):
        shape = [int(n) for n in str(z["shape"]).split(",")]
        return np.frombuffer(base64.b64decode(z["bdata"]), dtype=z["dtype"]).reshape(shape)
    return np.array(z, dtype=float)


def test_page_shows_the_default_model_when_there_is_no_run(tmp_path):
    from core.model_file import load_model

    at = _page(tmp_path).run()
    assert not at.exception, at.exception
    assert at.title[0].value == "What the model has learned"
    spec = _heatmaps(at)
    assert len(spec["data"]) == 10
    W = load_model(ROOT / "data" / "default_model.npz").W
    np.testing.assert_array_equal(_z(spec["data"][7]), W[:, 7].reshape(28, 28))
    assert "Pre-trained" in spec["layout"]["title"]["text"]
    assert any("lambda 0.01" in i.value for i in at.info)


def test_page_replays_a_finished_run_epoch_by_epoch(tmp_path, trained_run):
    at = _page(tmp_path)
    session_of(at).job = TrainingJob(trained_run, RunSlots(1))  # finished, not alive
    at.run()
    assert not at.exception, at.exception
    slider = at.select_slider[0]
    assert slider.options == ["0 (initial)", "1", "2", "3"] and slider.value == 3  # the latest
    assert _heatmaps(at)["layout"]["title"]["text"] == "Epoch 3"
    slider.set_value(1).run()
    assert not at.exception, at.exception
    spec = _heatmaps(at)
    assert spec["layout"]["title"]["text"] == "Epoch 1"
    W1 = trained_run.weights.get(1)[0]
    for k in range(10):
        np.testing.assert_array_equal(_z(spec["data"][k]), W1[:, k].reshape(28, 28))
    at.toggle(key="weights_fixed_scale").set_value(True).run()
    assert _heatmaps(at)["layout"]["coloraxis"]["cmax"] == pytest.approx(
        history_limit(trained_run.weights))


def test_page_lets_you_compare_the_current_run_with_an_earlier_one(tmp_path, mnist, trained_run):
    current = TrainingRun(mnist, TrainConfig(epochs=2, l2=0.01, batch_size=1000))
    current.run()
    at = _page(tmp_path)
    session_of(at).kept_runs = [TrainingJob(trained_run, RunSlots(1))]
    session_of(at).job = TrainingJob(current, RunSlots(1))
    at.run()
    assert not at.exception, at.exception
    run_select = at.selectbox(key="weights_run")
    kept, this = session_of(at).kept_runs[0].ticket, session_of(at).job.ticket
    assert run_select.options == [
        f"run {this} (this run): lambda 0.01, learning rate 0.1",
        f"run {kept}: lambda 0.0001, learning rate 0.1, 3 epochs"]
    np.testing.assert_array_equal(_z(_heatmaps(at)["data"][0]),
                                  current.model.W[:, 0].reshape(28, 28))
    run_select.set_value(kept).run()
    assert not at.exception, at.exception
    assert _heatmaps(at)["layout"]["title"]["text"] == "Epoch 3"
    np.testing.assert_array_equal(_z(_heatmaps(at)["data"][0]),
                                  trained_run.weights.get(3)[0][:, 0].reshape(28, 28))


def test_page_follows_a_training_run_live_until_the_slider_is_moved(tmp_path, mnist):
    job = TrainingJob(TrainingRun(mnist, TrainConfig(epochs=500, batch_size=1000)), RunSlots(1))
    deadline = time.monotonic() + 120

    def next_epoch() -> None:
        n = len(job.run.history)
        while len(job.run.history) == n and time.monotonic() < deadline:
            time.sleep(0.02)

    job.start()
    try:
        next_epoch()
        at = _page(tmp_path)
        session_of(at).job = job
        at.run()
        assert not at.exception, at.exception
        slider = at.select_slider[0]
        first = slider.value
        assert first >= 1 and slider.options[-1] == str(first)
        assert "live, follows training" in _heatmaps(at)["layout"]["title"]["text"]
        next_epoch()
        at.run()  # the browser sends back the old "N - live": the slider moves on to the newest
        assert at.select_slider[0].value > first
        at.select_slider[0].set_value(0).run()  # look back
        assert _heatmaps(at)["layout"]["title"]["text"] == "Epoch 0 (initial random weights)"
        next_epoch()
        at.run()
        assert at.select_slider[0].value == 0  # stays put
        np.testing.assert_array_equal(_z(_heatmaps(at)["data"][4]),
                                      job.run.weights.get(0)[0][:, 4].reshape(28, 28))
    finally:
        job.stop()
        job.join(30)
