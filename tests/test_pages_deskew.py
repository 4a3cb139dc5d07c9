"""Deskewing in the dashboard (Streamlit AppTest): the Train page's switch, its lesson and its
link, and every page feeding a model the images it was trained on (deskewed or not)."""

from __future__ import annotations

import sys
from types import SimpleNamespace

import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

from apptest_support import TIMEOUT, app, click, go, model_select, session_of  # noqa: F401
from conftest import ROOT
from core.canvas import preprocess_canvas
from core.preprocess import DESKEW, NO_PREPROCESSING, prepare_images


@pytest.fixture(scope="module")
def models():
    from core.model_file import load_model

    return {key: load_model(ROOT / "data" / f"{key}_model.npz")
            for key in ("default", "deskewed")}


def _caption(at: AppTest, start: str) -> str:
    found = [c.value for c in at.caption if c.value.startswith(start)]
    assert found, [c.value for c in at.caption]
    return found[0]


def test_the_bundled_deskewed_model_is_scored_on_deskewed_test_digits(app, mnist, models):
    deskewed = mnist.prepared(DESKEW)
    model = models["deskewed"]
    assert model.preprocessing == DESKEW
    right = model.score(deskewed.features("test"), deskewed.y_test)
    plain_input = model.score(mnist.features("test"), mnist.y_test)  # what it must never get
    assert right > 0.95 and plain_input < right - 0.02
    go(app, "views/results.py")
    model_select(app).set_value("deskewed").run()
    caption = _caption(app, "Model: Pre-trained: the same on deskewed digits")
    assert f"Test accuracy **{right:.2%}**" in caption and "MNIST, deskewed" in caption
    model_select(app).set_value("default").run()  # and the article's model: plain digits
    plain = models["default"].score(mnist.features("test"), mnist.y_test)
    caption = _caption(app, "Model: Pre-trained: the tutorial's")
    assert f"Test accuracy **{plain:.2%}**" in caption and "deskewed" not in caption


def test_how_it_works_shows_a_deskewing_model_the_deskewed_digit(app, mnist, models):
    go(app, "views/results.py")
    model_select(app).set_value("deskewed").run()
    go(app, "views/how_it_works.py")
    assert "test image is deskewed first" in _caption(app, "Model: Pre-trained: the same")
    index = app.number_input(key="lesson_index").value
    x = mnist.prepared(DESKEW).features("test")[index]
    proba = models["deskewed"].predict_proba(x[None])[0]
    metric = [m.value for m in app.metric if m.label.startswith("Probability of the true class")]
    assert metric == [f"{proba[mnist.y_test[index]]:.1%}"]


def _draw(app, monkeypatch, rgba):
    go(app, "views/draw.py")
    monkeypatch.setattr(sys.modules["streamlit_drawable_canvas"], "st_canvas",
                        lambda **kwargs: SimpleNamespace(image_data=rgba))
    app.run()
    assert not app.exception and not app.error


def _leaning_seven() -> np.ndarray:
    """A 7 drawn leaning right on the 280x280 canvas, as the canvas returns it (RGBA)."""
    from PIL import Image, ImageDraw

    image = Image.new("L", (280, 280), 0)
    ImageDraw.Draw(image).line([(90, 50), (210, 50), (100, 240)], fill=255, width=20,
                               joint="curve")
    grey = np.asarray(image)
    return np.dstack([grey, grey, grey, np.full_like(grey, 255)])


@pytest.mark.parametrize("key", ["deskewed", "default"])
def test_draw_feeds_each_model_its_own_preprocessing(app, monkeypatch, models, key):
    """A deskewing model sees the drawing deskewed (its 5th step), with the why map computed
    on that image; the article's model sees it as MNIST's recipe leaves it, in 4 steps."""
    model, rgba = models[key], _leaning_seven()
    go(app, "views/draw.py")  # picked on the Draw page, whose own default is the deskewed one
    model_select(app).set_value(key).run()
    _draw(app, monkeypatch, rgba)
    seen = prepare_images(preprocess_canvas(rgba), model.preprocessing)
    if key == "deskewed":
        assert not np.allclose(seen, preprocess_canvas(rgba))
    proba = model.predict_proba(seen.reshape(1, -1))[0]
    prediction = [m for m in app.metric if m.label == "Prediction"]
    assert prediction[0].value == str(proba.argmax())
    assert f"{proba.max():.0%} sure" in prediction[0].proto.delta
    steps = [m.value for m in app.markdown if m.value.startswith("model says")]
    assert len(steps) == (5 if key == "deskewed" else 4)
    assert steps[-1] == f"model says **{proba.argmax()}** ({proba.max():.0%})"
    why_picker = [s for s in app.selectbox if s.label.startswith("Why ")]
    q = why_picker[0].value  # "Why p and not q": the map is x * (W_p - W_q), x as seen
    from core.explain import explain

    why = explain(model, seen.reshape(-1), int(proba.argmax()), q)
    markdown = [m.value for m in app.markdown if "score gap, exactly" in m.value][0]
    assert f"**{why.logit_gap:+.3f}**" in markdown


def test_draw_deskews_the_drawing_once(app, monkeypatch):
    """What the model reads and the step-by-step row's last step are one deskewed image,
    computed once (the page used to deskew the drawing a second time for the row)."""
    from core import deskew

    go(app, "views/results.py")
    model_select(app).set_value("deskewed").run()
    drawings, deskew_batch = [], deskew._deskew_batch

    def counting(images, *args, **kwargs):
        if len(images) == 1:  # one drawing (the test set is deskewed in chunks, once)
            drawings.append(images.copy())
        return deskew_batch(images, *args, **kwargs)

    monkeypatch.setattr(deskew, "_deskew_batch", counting)
    _draw(app, monkeypatch, _leaning_seven())
    assert len([m for m in app.markdown if m.value.startswith("model says")]) == 5
    assert len(drawings) == 1


def test_the_deskewing_lesson_sets_the_switch_the_link_and_trains_on_deskewed_digits(app):
    app.selectbox(key="lesson").set_value("deskewing").run()
    assert app.toggle(key="deskew").value is True
    assert app.query_params["deskew"] in ("1", ["1"])
    assert any("91.6 %" in i.value for i in app.info)  # what to watch for
    app.number_input(key="epochs").set_value(1)
    app.number_input(key="batch").set_value(500)
    app.run()
    job = click(app, "Start") and session_of(app).job
    assert job.run.data.preprocessing == DESKEW and job.run.model.preprocessing == DESKEW
    job.join(TIMEOUT)
    app.run()
    go(app, "views/results.py")
    assert model_select(app).value == "current"
    assert model_select(app).options[0] == "This run: epoch 1 (finished), deskewed digits"
    assert "MNIST, deskewed" in _caption(app, "Model: This run")
    go(app, "views/train.py")  # the switch off again: the next run is plain
    app.toggle(key="deskew").set_value(False).run()
    assert "deskew" not in app.query_params
    assert session_of(app).preprocessing == NO_PREPROCESSING


def test_a_link_with_deskew_turns_the_switch_on():
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=TIMEOUT)
    at.query_params.update({"deskew": "1", "epochs": "5"})
    at.run()
    assert not at.exception
    assert at.toggle(key="deskew").value is True
    assert session_of(at).preprocessing == DESKEW


def test_pinned_runs_and_the_runs_table_say_which_digits_each_run_used(app):
    for deskew in (True, False):
        app.toggle(key="deskew").set_value(deskew)
        app.number_input(key="epochs").set_value(1)
        app.number_input(key="batch").set_value(500)
        app.run()
        click(app, "Start")
        session_of(app).job.join(TIMEOUT)
        app.run()
    pin = app.multiselect(key="pinned")
    assert [o for o in pin.options if o.endswith(", deskewed digits")] == pin.options  # run 1
    table = app.dataframe[-1].value  # the runs table, under the chart's own numbers
    assert list(table["digits"]) == ["deskewed", "as they are"]


def test_the_sweep_page_sweeps_deskewed_digits_and_says_so(app):
    go(app, "views/sweep.py")
    app.toggle(key="sweep_deskew").set_value(True)
    app.multiselect(key="sweep_values_l2").set_value([1e-4])
    app.number_input(key="sweep_epochs").set_value(1)
    app.run()
    next(b for b in app.button if b.label == "Start").click().run()
    sweep = session_of(app).sweep
    try:
        sweep.join(TIMEOUT)
        assert sweep.finished and sweep.data.preprocessing == DESKEW
        assert sweep.results[0].model.preprocessing == DESKEW
        app.run()
        assert "on MNIST, deskewed" in app.success[0].value
    finally:
        sweep.cancel()
