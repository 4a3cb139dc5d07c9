"""The lessons a single student does (issue 25, items 3-5), driven in the app with AppTest,
in English and in Japanese: Change one thing (Train), Flip a digit (Results, Draw), One
step of SGD (How it works)."""

from __future__ import annotations

import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

from apptest_support import TIMEOUT, session_of, stop_training
from conftest import ROOT


def _app(language: str) -> AppTest:
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=TIMEOUT)
    if language == "ja":
        at.query_params["lang"] = "ja"
    at.run()
    assert not at.exception, at.exception
    return at


@pytest.fixture(params=["en", "ja"])
def at(request):
    app = _app(request.param)
    try:
        yield app
    finally:
        stop_training(app)


def _ja(at: AppTest) -> bool:
    return session_of(at).language == "ja"


def _click(at: AppTest, en: str, ja: str) -> None:
    label = ja if _ja(at) else en
    found = [b for b in at.button if b.label == label]
    assert found, f"no button {label!r}; buttons: {[b.label for b in at.button]}"
    found[0].click().run()
    assert not at.exception, at.exception


def _finish(at: AppTest, job) -> None:
    job.join(TIMEOUT)
    assert not job.alive, "training did not end in time"
    at.run()
    assert not at.exception, at.exception


def test_change_one_thing_starts_a_twin_with_the_same_seed_and_one_setting_changed(at):
    at.number_input(key="epochs").set_value(1)
    at.number_input(key="batch").set_value(500)
    at.number_input(key="seed").set_value(7)
    at.run()
    _click(at, "Start", "開始")
    first = session_of(at).job
    _finish(at, first)
    at.selectbox(key="one_change_setting").set_value("l2").run()
    value = [s for s in at.selectbox if s.key.startswith("one_change_value-l2")][0]
    value.set_value(1e-2).run()
    _click(at, "Change one thing", "ひとつだけ変える")
    twin = session_of(at).job
    assert twin is not first and twin.ticket != first.ticket
    a, b = first.run.config.to_dict(), twin.run.config.to_dict()
    assert {k for k in a if a[k] != b[k]} == {"l2"} and b["l2"] == 1e-2 and b["seed"] == 7
    _finish(at, twin)
    assert session_of(at).pinned == [first.ticket]
    caption = [i.value for i in at.info if "0.0001 -> 0.01" in i.value]
    assert caption, [i.value for i in at.info]
    if _ja(at):
        assert "λ" in caption[0] and "だけ" in caption[0]
    else:
        assert "only lambda changed, 0.0001 -> 0.01: test accuracy" in caption[0]


def _image_captions(at: AppTest) -> str:
    return " ".join(i.caption for e in at.get("image") for i in e.proto.imgs)


def _go(at: AppTest, page: str) -> None:
    at.switch_page(page).run()
    assert not at.exception, at.exception


def test_flip_a_drawing_on_the_draw_page(at, mnist, monkeypatch):
    """The canvas returns test digit #0 (a 7) drawn 10x larger; the flip lesson pushes it to
    the runner-up, and to a class picked in the target picker."""
    import sys
    from types import SimpleNamespace

    digit = mnist.x_test[0].reshape(28, 28)
    grey = np.kron(digit, np.ones((10, 10), np.uint8))
    rgba = np.dstack([grey, grey, grey, np.full_like(grey, 255)])
    _go(at, "views/draw.py")
    monkeypatch.setattr(sys.modules["streamlit_drawable_canvas"], "st_canvas",
                        lambda **kwargs: SimpleNamespace(image_data=rgba))
    at.run()
    assert not at.exception and not at.error
    picker = [s for s in at.selectbox if s.key.startswith("draw-flip-q:")]
    assert len(picker) == 1 and picker[0].value != 7
    assert at.select_slider(key="draw-flip-frame").value == 0  # "as it is" first
    shown = " ".join(m.value for m in at.markdown)
    assert ("画素" in shown) if _ja(at) else ("pixels** changed" in shown)
    picker[0].set_value(1).run()
    captions = _image_captions(at)
    assert ("1 と読む" in captions) if _ja(at) else ("just flipped: read as 1" in captions)
    captions = _image_captions(at)
    assert ("そのまま: 7 と読む" in captions) if _ja(at) else ("as it is: read as 7" in captions)
    at.select_slider(key="draw-flip-frame").set_value(10).run()
    captions = _image_captions(at)
    assert captions.count("反転した直後: 1 と読む" if _ja(at) else "just flipped: read as 1") == 2


def test_one_sgd_step_on_how_it_works_and_another(at):
    _go(at, "views/how_it_works.py")
    state = at.session_state["sgd_seen"]
    assert state["number"] == 1
    W0 = state["W"].copy()
    _click(at, "Another step", "もう1ステップ")
    state = at.session_state["sgd_seen"]
    assert state["number"] == 2 and not np.array_equal(state["W"], W0)
    captions = _image_captions(at)
    assert ("ステップ 2" in captions) if _ja(at) else ("Step 2: the batch, 100 training digits"
                                                      in captions)
    _click(at, "Start again", "最初から")
    assert at.session_state["sgd_seen"]["number"] == 1


def test_flip_the_selected_test_digit_on_the_results_page(at):
    """The selected test digit (the first wrong one of the shipped model) is flipped to its
    runner-up, then to another class picked: the flip point is read as the picked class."""
    _go(at, "views/results.py")
    picker = [s for s in at.selectbox if s.key.startswith("results-flip-q:")]
    assert len(picker) == 1
    for q in (picker[0].value, next(int(o.split(" ")[0]) for o in picker[0].options
                                    if int(o.split(" ")[0]) != picker[0].value)):
        picker[0].set_value(q).run()
        assert not at.exception, at.exception
        assert f"z{q}" in " ".join(m.value for m in at.markdown)
        captions = _image_captions(at)
        assert (f"反転した直後: {q} と読む" in captions) if _ja(at) else (
            f"just flipped: read as {q}" in captions)
        picker = [s for s in at.selectbox if s.key.startswith("results-flip-q:")]
