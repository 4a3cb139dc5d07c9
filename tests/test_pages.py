"""The dashboard's pages, run by Streamlit's own test driver (``streamlit.testing.v1.AppTest``).

AppTest executes app.py in-process, as a real server would for one browser session: widgets
are set and clicked from Python and the page's elements are read back. Training runs on the
job's worker thread, as in the app; a test waits for it with ``job.join`` and then re-runs
the script to render the final state.

The shipped model's figures (its mistakes, accuracy, pages of mistakes) are computed here
from data/default_model.npz and the bundled MNIST with core/, never copied from the page, so
the tests still hold when the model is retrained.

The page scripts live in ``views/``, not ``pages/``: Streamlit treats an app whose entry
point sits next to a folder named ``pages/`` as an old-style multipage app until the entry
point calls st.navigation, so a deep link on a fresh server ran a page without app.py.
``test_deep_link_on_a_fresh_server_...`` guards against that coming back.
"""

from __future__ import annotations

import ast
import base64
import json
import math
import statistics
import sys
from types import SimpleNamespace

import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

from apptest_support import TIMEOUT, app, model_select, session_of, stop_training, wait_for  # noqa: F401
from apptest_support import button as _button
from apptest_support import click as _click
from apptest_support import go as _go
from conftest import ROOT

N_TEST = 10_000  # MNIST's test set


def _results_page_size() -> int:
    """PAGE_SIZE of views/results.py (digits per page), read without running the page."""
    for node in ast.parse((ROOT / "views" / "results.py").read_text()).body:
        names = [getattr(t, "id", "") for t in getattr(node, "targets", [])]
        if isinstance(node, ast.Assign) and names == ["PAGE_SIZE"]:
            return ast.literal_eval(node.value)
    raise AssertionError("views/results.py no longer sets PAGE_SIZE")


PAGE_SIZE = _results_page_size()


# ------------------------------------------------------------------ fixtures and helpers


@pytest.fixture(scope="module")
def default_eval():
    """The shipped model's predictions on the bundled MNIST test set, computed with core/."""
    from core.data import load_mnist
    from core.metrics import evaluate
    from core.model_file import load_model

    data = load_mnist()
    model = load_model(ROOT / "data" / "default_model.npz")
    ev = evaluate(model, data.features("test"), data.y_test)
    assert len(ev.y_true) == N_TEST
    return model, data, ev


@pytest.fixture(scope="module")
def default_wrong(default_eval) -> int:
    """How many test digits the shipped model gets wrong."""
    _, _, ev = default_eval
    return int(np.sum(ev.y_pred != ev.y_true))


def _chart(at: AppTest, key: str) -> dict:
    """The plotly figure of the chart with ``key``, as the browser would receive it."""
    charts = [c for c in at.get("plotly_chart") if c.key == key]
    assert len(charts) == 1, f"expected one plotly chart {key!r}, got {len(charts)}"
    spec = charts[0].proto.spec

    # json.loads would accept NaN / Infinity; a browser's JSON.parse does not
    def no_constant(name):
        raise AssertionError(f"chart {key!r} holds {name}, which is not JSON")

    return json.loads(spec, parse_constant=no_constant)


def _array(values) -> np.ndarray:
    """A trace's data: plotly sends NumPy arrays as {"dtype", "bdata" (base64)}, lists as is."""
    if isinstance(values, dict):
        return np.frombuffer(base64.b64decode(values["bdata"]), dtype=values["dtype"])
    return np.asarray(values)


def _set_training(at: AppTest, *, epochs: int, batch: int = 100, lr: float = 0.1,
                  l2: float = 1e-4) -> None:
    at.number_input(key="epochs").set_value(epochs)
    at.number_input(key="batch").set_value(batch)
    at.select_slider(key="lr").set_value(lr)
    at.select_slider(key="l2").set_value(l2)
    at.run()  # as a user would: the settings first, then a click on Start
    assert not at.exception, at.exception


def _start(at: AppTest):
    """Click Start; returns the session's new job (already training or queued)."""
    _click(at, "Start")
    job = session_of(at).job
    assert job is not None
    return job


def _train_to_the_end(at: AppTest, **settings):
    """Start a run with ``settings``, wait for its thread and render the final page."""
    _set_training(at, **settings)
    job = _start(at)
    job.join(TIMEOUT)
    assert not job.alive, "training did not end in time"
    at.run()
    assert not at.exception, at.exception
    return job


def _count_line(at: AppTest) -> str:
    """The Results page's "**N kind of 10,000**" line."""
    lines = [m.value for m in at.markdown if f" of {N_TEST:,}**" in m.value]
    assert len(lines) == 1, [m.value for m in at.markdown]
    return lines[0]


def _results_caption(at: AppTest) -> str:
    captions = [c.value for c in at.caption if c.value.startswith("Model: ")]
    assert len(captions) == 1, [c.value for c in at.caption]
    return captions[0]


def _digit_buttons(at: AppTest) -> list:
    return [b for b in at.button if (b.key or "").startswith("digit-")]


def _big_image_caption(at: AppTest) -> str:
    captions = [c for img in at.image for c in img.captions if c.startswith("test image #")]
    assert len(captions) == 1, captions
    return captions[0]


def _start_long_run_then_stop(at: AppTest):
    """Start a run far too long to finish, let it train one epoch, press Stop."""
    _set_training(at, epochs=200, batch=10)
    job = _start(at)
    wait_for(lambda: len(job.run.history) >= 1, "the first epoch")
    _click(at, "Stop")
    job.join(TIMEOUT)
    assert not job.alive, "Stop did not end the run"
    at.run()
    assert not at.exception, at.exception
    return job


# ------------------------------------------------------------------ every page


@pytest.mark.parametrize("page, title", [
    ("views/train.py", "Train a softmax regression"),
    ("views/results.py", "Results on the test set"),
    ("views/draw.py", "Draw a digit"),
])
def test_every_page_renders_its_title_and_the_shared_sidebar(app, page, title):
    _go(app, page)
    assert [t.value for t in app.title] == [title]
    sidebar = {s.label: s for s in app.sidebar.selectbox}
    assert sidebar["Dataset"].value == "mnist"
    draws = page == "views/draw.py"  # Draw's own default: the model that reads drawings best
    assert sidebar["Model shown on Results and Draw"].value == ("deskewed" if draws else "default")


def test_results_of_the_shipped_model(app, default_eval, default_wrong):
    _, _, ev = default_eval
    accuracy = (N_TEST - default_wrong) / N_TEST
    assert accuracy == pytest.approx(ev.accuracy) and 0 < default_wrong < N_TEST / 2
    _go(app, "views/results.py")
    assert _count_line(app).startswith(f"**{default_wrong:,} incorrect of 10,000**")
    caption = _results_caption(app)
    assert "Pre-trained" in caption and f"Test accuracy **{accuracy:.2%}**" in caption
    assert f"{N_TEST - default_wrong:,} correct, {default_wrong:,} incorrect" in caption
    assert len(_digit_buttons(app)) == min(default_wrong, PAGE_SIZE)  # the first page
    pages = math.ceil(default_wrong / PAGE_SIZE)
    assert [n.label for n in app.number_input] == ([f"Page (of {pages})"] if pages > 1 else [])


# ------------------------------------------------------------------ Train


def test_train_two_epochs_shows_the_result_and_one_point_per_epoch(app):
    job = _train_to_the_end(app, epochs=2, batch=500)

    assert job.run.status.value == "finished" and job.error is None
    assert [m.epoch for m in job.run.history] == [1, 2]
    assert len(app.success) == 1
    assert f"Test accuracy: **{job.test_accuracy:.2%}**" in app.success[0].value
    assert 0.8 < job.test_accuracy < 0.95
    metrics = {m.label: m.value for m in app.metric}
    assert metrics["Epochs done"] == "2 / 2"
    assert metrics["Validation accuracy"] == f"{job.run.history[-1].valid_acc:.2%}"
    # one figure of speed, the same in the metric and in the line, and labelled
    per_epoch = metrics["Seconds per epoch"]  # the median: its help and the line say so
    assert per_epoch == f"{statistics.median(m.seconds for m in job.run.history):.3g}"
    assert f"Finished 2 epochs (median {per_epoch} s per epoch)." in app.success[0].value

    traces = _chart(app, "curves")["data"]
    assert len(traces) == 4  # train and validation, loss and accuracy
    for trace in traces:
        assert trace["x"] == [1, 2]
        assert len(trace["y"]) == 2
    expected = {("train", "loss"), ("valid", "loss"), ("train", "acc"), ("valid", "acc")}
    plotted = set()
    for split, metric in expected:
        want = [getattr(m, f"{split}_{metric}") for m in job.run.history]
        if any(np.allclose(t["y"], want) for t in traces):
            plotted.add((split, metric))
    assert plotted == expected, "each of the four curves holds its history column"

    # The controls are back: a finished run can be continued, here by one epoch.
    assert not _button(app, "Start").disabled and not _button(app, "Continue").disabled
    app.number_input(key="more_epochs").set_value(1)
    _click(app, "Continue")
    job.join(TIMEOUT)
    app.run()
    assert job.run.status.value == "finished" and len(job.run.history) == 3
    assert all(t["x"] == [1, 2, 3] for t in _chart(app, "curves")["data"])


@pytest.mark.parametrize("l2, advice, nan_loss", [
    (1e-4, "Try a learning rate of 1.", False),  # lr 10: the loss grows far above its start
    (1.0, "Try lambda below 0.1.", True),  # lr x lambda = 10: the weights blow up, NaN
])
def test_too_large_a_step_is_explained_not_a_crash(app, l2, advice, nan_loss):
    job = _train_to_the_end(app, epochs=10, lr=10.0, l2=l2)  # lambda 1e-4: diverges in epoch 5

    assert job.run.status.value == "diverged"
    epochs = [m.epoch for m in job.run.history]
    assert epochs == list(range(1, len(epochs) + 1)) and len(epochs) < 10
    losses = [job.run.history[-1].train_loss, job.run.history[-1].valid_loss]
    assert (not all(map(math.isfinite, losses))) == nan_loss
    assert not app.exception
    errors = [e.value for e in app.error]
    assert len(errors) == 1, errors
    assert "diverged" in errors[0] and advice in errors[0]
    retry = [b.label for b in app.button if b.label.startswith("Retry")]
    assert retry == ([] if nan_loss else ["Retry with learning rate 1"])
    traces = _chart(app, "curves")["data"]  # raises if the JSON holds NaN or Infinity
    for trace in traces:
        assert trace["x"] == epochs
        assert all(y is None or math.isfinite(y) for y in trace["y"])
    assert any(trace["y"][-1] is None for trace in traces) == nan_loss  # NaN: drawn as a gap
    assert _button(app, "Continue").disabled  # a diverged run cannot be continued
    assert not _button(app, "Start").disabled


def test_controls_while_training_pause_resume_and_stop(app):
    _set_training(app, epochs=200, batch=10)
    job = _start(app)
    assert job.alive
    wait_for(lambda: not job.queued, "a training slot")
    app.run()

    disabled = {w.key: w.disabled for w in [*app.number_input, *app.select_slider]}
    assert disabled == {"epochs": True, "batch": True, "seed": True, "more_epochs": True,
                        "l2": False, "lr": False}  # lr and lambda can change mid-run
    buttons = {b.label: b.disabled for b in app.button}
    assert buttons == {"Start": True, "Pause": False, "Stop": False, "Continue": True,
                       "Reset": True}
    assert len(app.get("progress")) == 1

    app.select_slider(key="lr").set_value(0.05).run()  # steers the running job
    assert job.run.learning_rate == 0.05
    app.select_slider(key="l2").set_value(1e-3).run()
    assert job.run.l2 == 1e-3
    assert [(c.setting, c.value) for c in job.run.changes] == [("learning_rate", 0.05),
                                                              ("l2", 1e-3)]
    assert [m.value for m in app.metric if m.label == "Lambda"] == ["0.001"]
    marks = [s for s in _chart(app, "curves")["layout"]["shapes"] if s["x0"] == s["x1"]]
    assert len(marks) == 4  # each change, on the loss and on the accuracy chart

    def progress():
        return len(job.run.history), job.run.batches_done

    _click(app, "Pause")
    assert job.run.status.value == "paused"
    assert _button(app, "Resume").disabled is False  # the Pause button became Resume
    # the worker finishes its batch (or epoch) and then holds before the next one
    wait_for(lambda: job.run.held.is_set(), "the paused worker to hold")
    held = progress()
    assert job.run.held.is_set() and progress() == held, "a paused run went on training"
    _click(app, "Resume")
    wait_for(lambda: progress() != held, "training to resume")
    assert job.run.status.value == "running"
    assert _button(app, "Pause")

    wait_for(lambda: len(job.run.history) >= 1, "the first epoch")
    _click(app, "Stop")
    job.join(TIMEOUT)
    assert not job.alive
    app.run()
    assert job.run.status.value == "stopped"
    assert [w.value for w in app.warning] == [job.run.message]
    assert "Stopped" in job.run.message
    assert not any(w.disabled for w in app.number_input)
    assert not _button(app, "Continue").disabled and not _button(app, "Start").disabled


def test_continue_after_stop_trains_again(app):
    job = _start_long_run_then_stop(app)
    done = len(job.run.history)
    app.number_input(key="more_epochs").set_value(1)
    _click(app, "Continue")
    wait_for(lambda: len(job.run.history) > done, "a further epoch")
    assert job.run.history[done].epoch == done + 1


def test_continue_after_stop_trains_exactly_the_more_epochs(app):
    job = _start_long_run_then_stop(app)
    done = len(job.run.history)
    app.number_input(key="more_epochs").set_value(1)
    _click(app, "Continue")
    assert job.run.target_epochs == done + 1
    job.join(TIMEOUT)
    assert len(job.run.history) == done + 1


def test_train_settings_survive_a_visit_to_another_page_during_a_run(app):
    # Streamlit forgets the state of widgets that are not drawn in a run, e.g. on another page.
    _set_training(app, epochs=150, batch=10, lr=0.5)
    job = _start(app)
    _go(app, "views/results.py")
    _go(app, "views/train.py")
    assert job.alive
    assert app.number_input(key="epochs").value == job.run.target_epochs == 150
    assert app.number_input(key="batch").value == job.run.config.batch_size == 10
    assert app.select_slider(key="lr").value == job.run.learning_rate == 0.5


# ------------------------------------------------------------------ Results


def test_results_filters_change_what_is_shown(app, default_eval, default_wrong):
    _, _, ev = default_eval
    _go(app, "views/results.py")

    app.segmented_control(key="kind").set_value("Correct").run()
    assert _count_line(app).startswith(f"**{N_TEST - default_wrong:,} correct of 10,000**")
    assert all(b.label[2] == b.label[6] for b in _digit_buttons(app))  # "T:k P:k"

    app.segmented_control(key="kind").set_value("Incorrect")
    app.selectbox(key="true_class").set_value(4)
    app.selectbox(key="pred_class").set_value(9).run()
    assert not app.exception
    n_4_as_9 = int(np.sum((ev.y_true == 4) & (ev.y_pred == 9)))
    assert n_4_as_9 > 1
    assert _count_line(app).startswith(f"**{n_4_as_9} incorrect of 10,000** with these filters")
    buttons = _digit_buttons(app)
    assert len(buttons) == min(n_4_as_9, PAGE_SIZE)
    assert {b.label for b in buttons} == {"T:4 P:9"}
    indices = [int(b.key.removeprefix("digit-")) for b in buttons]
    assert all(ev.y_true[i] == 4 and ev.y_pred[i] == 9 for i in indices)
    confidence = ev.proba[indices, 9]
    assert np.all(np.diff(confidence) <= 0), "most confident mistakes first"
    assert _big_image_caption(app) == f"test image #{indices[0]}: T:4 P:9"

    buttons[-1].click().run()  # select another digit
    assert _big_image_caption(app) == f"test image #{indices[-1]}: T:4 P:9"
    assert app.session_state["session"].selected_digit == indices[-1]

    app.selectbox(key="order").set_value("index").run()
    shown = [int(b.key.removeprefix("digit-")) for b in _digit_buttons(app)]
    assert shown == sorted(indices)


def test_results_show_the_model_chosen_in_the_sidebar(app, default_wrong):
    job = _train_to_the_end(app, epochs=2, batch=500)
    wrong = round((1 - job.test_accuracy) * N_TEST)
    assert wrong != default_wrong
    _go(app, "views/results.py")
    model = model_select(app)
    assert len(model.options) == 3  # the run, the article's model, the deskewed one
    assert model.options[0] == "This run: epoch 2 (finished)" and "Pre-trained" in model.options[1]

    model.set_value("current").run()
    assert _results_caption(app).startswith("Model: This run: epoch 2 (finished).")
    assert _count_line(app).startswith(f"**{wrong:,} incorrect of 10,000**")

    model_select(app).set_value("default").run()
    assert "Pre-trained" in _results_caption(app)
    assert _count_line(app).startswith(f"**{default_wrong:,} incorrect of 10,000**")

    model_select(app).set_value("current").run()
    assert _count_line(app).startswith(f"**{wrong:,} incorrect of 10,000**")


def test_sidebar_names_the_model_the_pages_show(app):
    _train_to_the_end(app, epochs=1, batch=500)
    _go(app, "views/results.py")
    assert _results_caption(app).startswith("Model: This run")
    assert model_select(app).value == "current"


# ------------------------------------------------------------------ Draw


def test_draw_without_ink_shows_no_prediction(app):
    _go(app, "views/draw.py")
    infos = [i.value for i in app.info]
    assert len(infos) == 1 and "Draw a digit" in infos[0]
    assert "Prediction" not in [m.label for m in app.metric]
    assert not app.error
    assert any(c.value.startswith("Model: Pre-trained") for c in app.caption)


def test_draw_a_digit_gets_the_models_prediction(app, default_eval, monkeypatch):
    """The canvas is replaced by one that returns test digit #0 (a 7) drawn 10x larger, as
    the real canvas would return it: RGBA, white ink on black, opaque."""
    from core.canvas import preprocess_canvas

    model, data, _ = default_eval
    digit = data.x_test[0].reshape(28, 28)
    grey = np.kron(digit, np.ones((10, 10), np.uint8))
    rgba = np.dstack([grey, grey, grey, np.full_like(grey, 255)])
    proba = model.predict_proba(preprocess_canvas(rgba).reshape(1, -1))[0]
    assert data.y_test[0] == 7 and proba.argmax() == 7

    _go(app, "views/draw.py")  # imports streamlit_drawable_canvas (it needs a running app)
    model_select(app).set_value("default").run()  # the article's model, not Draw's default
    monkeypatch.setattr(sys.modules["streamlit_drawable_canvas"], "st_canvas",
                        lambda **kwargs: SimpleNamespace(image_data=rgba))
    app.run()
    assert not app.exception and not app.error
    assert not [i.value for i in app.info if "Draw a digit" in i.value]
    prediction = [m for m in app.metric if m.label == "Prediction"]
    assert len(prediction) == 1
    assert prediction[0].value == "7"
    assert f"{proba[7]:.0%} sure" in prediction[0].proto.delta
    why = [m.value for m in app.markdown if "= z7 - z" in m.value]
    assert len(why) == 1  # the exact account of why 7 and not the runner-up
    assert _chart(app, "draw-why-map")["data"][0]["type"] == "heatmap"
    bars = _chart(app, "draw-proba")["data"]
    assert len(bars) == 1 and np.allclose(_array(bars[0]["y"]), proba, atol=1e-6)


# ------------------------------------------------------------------ deep links


def test_deep_link_on_a_fresh_server_shows_the_shared_sidebar():
    # No first run: like the first request of a new server process, straight to /results.
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=TIMEOUT)
    at.switch_page("views/results.py").run()
    assert not at.exception
    assert [t.value for t in at.title] == ["Results on the test set"]
    assert "Model shown on Results and Draw" in [s.label for s in at.sidebar.selectbox]


# ------------------------------------------------------------------ other datasets


def test_fashion_mnist_uses_its_class_names_and_never_a_digit_model(app):
    from core.data import FASHION_NAMES

    app.selectbox(key="_source_select").set_value("fashion").run()
    assert not app.exception and session_of(app).source == "fashion"
    assert any(c.value.startswith("Fashion-MNIST: 50,000 training images") for c in app.caption)
    _go(app, "views/results.py")
    assert any("no model for this dataset yet" in i.value for i in app.info)  # not the digit model
    _go(app, "views/train.py")
    app.number_input(key="epochs").set_value(1)
    app.number_input(key="batch").set_value(500)
    app.run()
    _click(app, "Start")
    session_of(app).job.join(TIMEOUT)
    _go(app, "views/results.py")
    labels = [b.label for b in app.button if b.label.startswith("T:")]
    assert labels and all(any(f"T:{n} " in lab for n in FASHION_NAMES) for lab in labels)
    _go(app, "views/draw.py")
    assert any("meant for digits" in w.value for w in app.warning)
