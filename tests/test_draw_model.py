"""The Draw page's own default model (issue 25, item 6), in Streamlit's AppTest: the shipped
model that reads drawn digits best, said so on the page and in the sidebar, while the other
pages keep the article's model; a student's own pick wins everywhere."""

from __future__ import annotations

import sys
from types import SimpleNamespace

import numpy as np
import pytest

from apptest_support import app, go, model_select  # noqa: F401
from conftest import ROOT
from ui.models import DEFAULT_MODEL, PAGE_MODELS, page_model

SAYS_SO = "This page reads drawings with this model by default"


@pytest.fixture(scope="module")
def drawn_scores():
    """bench.drawn_digits on both shipped models, strokes restroked as the Draw page does."""
    from bench.drawn_digits import MODELS, score
    from core.model_file import load_model

    models = {key: load_model(ROOT / "data" / f"{key}_model.npz")
              for key in ("default", "deskewed")}
    assert set(MODELS.values()) == {ROOT / "data" / f"{key}_model.npz" for key in models}
    return {key: score({key: model})[key]["all"] for key, model in models.items()}


def test_the_draw_pages_default_is_the_shipped_model_that_reads_drawings_best(drawn_scores):
    best = max(drawn_scores, key=drawn_scores.get)
    assert page_model("draw") == best == "deskewed"
    assert drawn_scores[best] > drawn_scores["default"]
    assert page_model("results") == page_model(None) == DEFAULT_MODEL == "default"
    assert set(PAGE_MODELS) == {"draw"}  # every other page: the article's model


def _captions(at) -> list[str]:
    return [c.value for c in at.caption]


def test_draw_shows_the_better_model_and_says_so_other_pages_the_articles(app):
    go(app, "views/draw.py")
    assert "Model: Pre-trained: the same on deskewed digits (draws better)" in _captions(app)
    assert any(c.startswith(SAYS_SO) for c in _captions(app))
    assert model_select(app).value == "deskewed"  # the sidebar shows what the page uses
    go(app, "views/results.py")
    assert model_select(app).value == "default"
    go(app, "views/draw.py")
    assert model_select(app).value == "deskewed"


def test_a_pick_wins_over_the_pages_default(app, monkeypatch):
    go(app, "views/draw.py")
    model_select(app).set_value("default").run()
    assert not app.exception
    assert "Model: Pre-trained: the tutorial's 200 epochs" in _captions(app)
    assert not any(c.startswith(SAYS_SO) for c in _captions(app))
    grey = np.zeros((280, 280), np.uint8)
    grey[40:240, 130:150] = 255  # a "1", so that the page reads a drawing
    rgba = np.dstack([grey, grey, grey, np.full_like(grey, 255)])
    monkeypatch.setattr(sys.modules["streamlit_drawable_canvas"], "st_canvas",
                        lambda **kwargs: SimpleNamespace(image_data=rgba))
    app.run()
    assert not app.exception and not app.error
    assert [m.value for m in app.metric if m.label == "Prediction"] == ["1"]
    # the article's model, not deskewing: a hint points to the page's default instead
    assert any("this page's default" in c for c in _captions(app))
    go(app, "views/results.py")
    assert model_select(app).value == "default"
    go(app, "views/draw.py")
    assert model_select(app).value == "default"  # the pick stays
