"""The "Why p and not q?" picker follows each new image's runner-up.

Its default q is the runner-up: the second most probable class, the one the model nearly
said. That default belongs to one image. A student who draws a new digit (Draw) or clicks
another test digit (Results) asks about a new image, and the picker must offer that image's
runner-up, not the q of the image before. Only a q the student picks for an image stays,
and only while that image is shown.

Run by Streamlit's own test driver (see tests/apptest_support.py); the drawing canvas is
replaced by one that returns a test digit drawn 10x larger, as the real canvas returns it.
"""

from __future__ import annotations

import sys
from types import SimpleNamespace

import numpy as np
import pytest

from apptest_support import app, go, model_select  # noqa: F401
from conftest import ROOT


@pytest.fixture(scope="module")
def default_model():
    from core.model_file import load_model

    return load_model(ROOT / "data" / "default_model.npz")


def _canvas_rgba(digit: np.ndarray) -> np.ndarray:
    """A 28x28 test digit as the 280x280 canvas returns it: RGBA, white ink on black, opaque."""
    grey = np.kron(digit.reshape(28, 28), np.ones((10, 10), np.uint8))
    return np.dstack([grey, grey, grey, np.full_like(grey, 255)])


def _picker(at):
    """The one "Why p and not..." selectbox on the page."""
    found = [s for s in at.selectbox if s.label.startswith("Why ")]
    assert len(found) == 1, [s.label for s in at.selectbox]
    return found[0]


def _asked(at, names) -> tuple[int, int]:
    """(p, q) as the page asks it: the picker's label and value, and the score-gap table,
    which must agree."""
    picker = _picker(at)
    p = names.index(picker.label.removeprefix("Why ").removesuffix(" and not..."))
    q = picker.value
    assert [m.value for m in at.markdown if f"= z{names[p]} - z{names[q]}**" in m.value], \
        "the score-gap table does not explain the pair the picker shows"
    return p, q


def _two_images(probas: list[np.ndarray]) -> tuple[int, int, int]:
    """Indices a, b of two images and a class ``pick`` such that the bug would show: a's
    runner-up is still offered for b but is not b's runner-up, and ``pick`` (a student's
    choice for b) is neither image's runner-up nor either prediction."""
    from core.explain import runner_up

    for a, pa in enumerate(probas):
        for b, pb in enumerate(probas):
            ra, rb = runner_up(pa), runner_up(pb)
            pred_a, pred_b = int(pa.argmax()), int(pb.argmax())
            if ra != rb and ra != pred_b:
                pick = next((k for k in range(10) if k not in {ra, rb, pred_a, pred_b}), None)
                if pick is not None:
                    return a, b, pick
    raise AssertionError("no two images with different runner-ups")


def test_draw_a_new_digit_resets_the_picker_to_its_runner_up(app, mnist, default_model,
                                                             monkeypatch):
    from core.canvas import preprocess_canvas
    from core.explain import runner_up

    names = list(mnist.class_names)
    drawings = [_canvas_rgba(mnist.x_test[i]) for i in range(8)]
    probas = [default_model.predict_proba(preprocess_canvas(d).reshape(1, -1))[0] for d in drawings]
    a, b, pick = _two_images(probas)
    canvas = SimpleNamespace(image_data=drawings[a])

    go(app, "views/draw.py")  # imports streamlit_drawable_canvas (it needs a running app)
    model_select(app).set_value("default").run()  # the article's model, not Draw's default
    monkeypatch.setattr(sys.modules["streamlit_drawable_canvas"], "st_canvas",
                        lambda **kwargs: canvas)
    app.run()
    assert _asked(app, names) == (probas[a].argmax(), runner_up(probas[a]))

    canvas.image_data = drawings[b]  # the student draws another digit
    app.run()
    assert not app.exception
    assert _asked(app, names) == (probas[b].argmax(), runner_up(probas[b]))

    _picker(app).set_value(pick).run()  # the student asks about another class...
    assert _asked(app, names) == (probas[b].argmax(), pick)
    app.run()  # ...and it stays while the drawing stays (e.g. the page reruns)
    assert _asked(app, names) == (probas[b].argmax(), pick)

    canvas.image_data = drawings[a]  # a new drawing: a new question, back to its runner-up
    app.run()
    assert _asked(app, names) == (probas[a].argmax(), runner_up(probas[a]))


def test_results_another_digit_resets_the_picker_to_its_runner_up(app, mnist, default_model):
    from core.explain import runner_up
    from core.metrics import evaluate, select_examples

    names = list(mnist.class_names)
    ev = evaluate(default_model, mnist.features("test"), mnist.y_test)
    first_page = select_examples(ev, False, order="confident")[:40]  # what the page shows
    a, b, pick = _two_images([ev.proba[i] for i in first_page])
    a, b = int(first_page[a]), int(first_page[b])

    go(app, "views/results.py")
    app.button(key=f"digit-{a}").click().run()
    assert _asked(app, names) == (ev.y_pred[a], runner_up(ev.proba[a]))

    app.button(key=f"digit-{b}").click().run()  # another test digit
    assert _asked(app, names) == (ev.y_pred[b], runner_up(ev.proba[b]))

    _picker(app).set_value(pick).run()
    assert _asked(app, names) == (ev.y_pred[b], pick)
    app.selectbox(key="order").set_value("unsure").run()  # the grid changes, the digit stays
    assert app.session_state["session"].selected_digit == b
    assert _asked(app, names) == (ev.y_pred[b], pick)

    app.selectbox(key="order").set_value("confident").run()  # a back on the page
    app.button(key=f"digit-{a}").click().run()
    assert _asked(app, names) == (ev.y_pred[a], runner_up(ev.proba[a]))
