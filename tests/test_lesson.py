"""The "How it works" lesson: its live numbers are the model's own, its code is the project's
own, and the page renders them (AppTest, through a tiny navigation script like app.py's)."""

from __future__ import annotations

import importlib
import inspect
import math

import numpy as np
import pytest

from apptest_support import session_of
from conftest import ROOT
from core.lesson import (
    FLOAT32_EXP_LIMIT,
    code_snippets,
    naive_softmax,
    overflow_demo,
    source_snippet,
    walkthrough,
)
from core.metrics import evaluate
from core.model import LOG_CLIP, SoftmaxWeights, softmax
from core.model_file import load_model, model_from_bytes

PAGE = ROOT / "views" / "how_it_works.py"
STEPS = ("scale", "flatten", "onehot", "split", "linear", "softmax", "cross_entropy", "l2",
         "gradient", "sgd", "evaluate")


@pytest.fixture(scope="module")
def model(trained_run):
    return trained_run.snapshot


@pytest.fixture(scope="module")
def test_eval(model, mnist):
    return evaluate(model, mnist.features("test"), mnist.y_test)


@pytest.fixture(scope="module")
def wrong_index(test_eval):
    return int(np.flatnonzero(test_eval.y_pred != test_eval.y_true)[0])


# ------------------------------------------------------------------ the live values


@pytest.mark.parametrize("which", ["first", "a mistake"])
def test_walkthrough_values_are_consistent(model, mnist, wrong_index, which):
    i = 0 if which == "first" else wrong_index
    w = walkthrough(model, mnist, i)
    x32 = mnist.features("test")[i]
    y = int(mnist.y_test[i])

    # scale, flatten, one-hot, split
    assert w.label == y and w.raw.dtype == np.uint8 and w.x.shape == (784,)
    np.testing.assert_allclose(w.x, x32, atol=1e-7)
    assert w.x.min() >= 0 and w.x.max() <= 1 and w.raw.max() > 1
    r, c = w.pixel
    assert w.pixel_index == 28 * r + c and w.x[w.pixel_index] == w.raw[w.pixel_index] / 255
    np.testing.assert_array_equal(w.row_raw, mnist.x_test[i].reshape(28, 28)[w.row, w.row_cols])
    assert w.onehot.sum() == 1 and w.onehot[y] == 1
    assert (w.n_train, w.n_valid, w.n_test) == (50_000, 10_000, 10_000)

    # the linear model and the softmax: the model's own numbers
    np.testing.assert_allclose(w.logits, model.logits(x32)[0], rtol=1e-5, atol=1e-5)
    assert w.shifted.max() == 0
    np.testing.assert_allclose(w.exp_shifted / w.exp_shifted.sum(), w.proba)
    assert w.proba.sum() == pytest.approx(1.0, abs=1e-12)
    np.testing.assert_allclose(w.proba, model.predict_proba(x32[None, :])[0], atol=1e-6)
    assert w.prediction == model.predict(x32[None, :])[0] and w.correct == (which == "first")

    # cross-entropy with the clipped log, the L2 term
    assert w.cross_entropy == pytest.approx(-math.log(max(w.proba[y], LOG_CLIP)))
    assert w.l2 == model.config["l2"] == 1e-4
    assert w.l2_term == pytest.approx(0.5 * w.l2 * float(np.sum(model.W.astype(float) ** 2)))
    assert w.objective == pytest.approx(w.cross_entropy + w.l2_term)
    assert w.objective == pytest.approx(model.loss(x32, [y], w.l2), rel=1e-5)

    # the gradient is model.gradients' (computed in float32 there)
    loss, dW, db = model.gradients(x32[None, :], np.array([y]), w.l2)
    np.testing.assert_allclose(w.dW, dW, atol=1e-6)
    np.testing.assert_allclose(w.db, db, atol=1e-6)
    np.testing.assert_allclose(w.delta, w.proba - w.onehot)

    # one SGD step with the configured learning rate lowers this image's loss
    assert w.learning_rate == model.config["learning_rate"] == 0.1
    assert w.cross_entropy_after < w.cross_entropy
    assert w.objective_after < w.objective
    assert w.proba_after[y] > w.proba[y]

    # evaluation on the whole test set
    ev = evaluate(model, mnist.features("test"), mnist.y_test)
    assert (w.test_accuracy, w.n_test_wrong) == (ev.accuracy, ev.n_wrong)


def test_the_model_itself_is_not_changed(model, mnist):
    W, b = model.W.copy(), model.b.copy()
    walkthrough(model, mnist, 3)
    np.testing.assert_array_equal(model.W, W)
    np.testing.assert_array_equal(model.b, b)


def test_one_sgd_step_lowers_the_loss_of_every_digit_tried(model, mnist, test_eval):
    wrong = np.flatnonzero(test_eval.y_pred != test_eval.y_true)[:20]
    for i in [*range(30), *wrong]:
        w = walkthrough(model, mnist, int(i), learning_rate=0.1, evaluation=test_eval)
        assert w.objective_after < w.objective, i
        assert w.cross_entropy_after < w.cross_entropy, i


def test_learning_rate_and_lambda_can_be_overridden(model, mnist, test_eval):
    w = walkthrough(model, mnist, 0, learning_rate=0.01, l2=0.0, evaluation=test_eval)
    assert (w.learning_rate, w.l2, w.l2_term) == (0.01, 0.0, 0.0)
    assert w.objective == pytest.approx(w.cross_entropy)


def test_walkthrough_rejects_a_bad_index(model, mnist):
    with pytest.raises(ValueError, match="between 0 and 9999"):
        walkthrough(model, mnist, 10_000)


def test_a_model_without_config_gets_the_tutorial_settings(model, mnist, test_eval):
    bare = SoftmaxWeights(model.W, model.b)
    w = walkthrough(bare, mnist, 0, evaluation=test_eval)
    assert (w.learning_rate, w.l2) == (0.1, 1e-4)


# ------------------------------------------------------------------ why the max is subtracted


def test_naive_softmax_overflows_where_the_stable_one_does_not(model, mnist):
    demo = overflow_demo()  # made-up logits
    assert demo.naive_failed and np.isnan(demo.naive).all() and np.isinf(demo.naive_exp).all()
    assert np.isfinite(demo.stable).all()
    np.testing.assert_allclose(demo.stable, demo.expected, rtol=1e-6)
    assert demo.stable.sum() == pytest.approx(1.0, rel=1e-6)

    logits = model.logits(mnist.features("test")[0])[0]  # a real digit's logits, + 100
    demo = overflow_demo(logits, shift=100.0)
    assert demo.big.dtype == np.float32 and demo.big.max() > FLOAT32_EXP_LIMIT
    assert demo.naive_failed
    np.testing.assert_allclose(demo.stable, model.predict_proba(mnist.features("test")[:1])[0],
                               atol=1e-5)


def test_naive_softmax_is_right_when_nothing_overflows():
    z = np.array([[3.0, 1.0, -2.0], [0.5, 0.5, 0.5]], np.float32)
    np.testing.assert_allclose(naive_softmax(z), softmax(z), rtol=1e-6)
    assert not overflow_demo([3.0, 1.0, -2.0], shift=0.0).naive_failed


# ------------------------------------------------------------------ the project's own code


def _resolve(name: str):
    """'core.model.SoftmaxWeights.gradients' -> that function (a property's getter)."""
    parts = name.split(".")
    for k in range(len(parts), 0, -1):
        try:
            obj = importlib.import_module(".".join(parts[:k]))
        except ImportError:
            continue
        for attr in parts[k:]:
            obj = inspect.getattr_static(obj, attr) if inspect.isclass(obj) else getattr(obj, attr)
        return getattr(obj, "fget", obj)
    raise ImportError(name)


def test_every_step_has_real_source_of_the_named_functions():
    snippets = code_snippets()
    assert tuple(snippets) == STEPS
    for step, group in snippets.items():
        assert group, step
        for s in group:
            lines = [ln for ln in s.code.splitlines() if ln.strip() and ln != "..."]
            assert 1 <= len(lines) <= 14, (step, s.code)
            assert '"""' not in s.code, f"{step}: the docstring should be stripped"
            source = inspect.getsource(_resolve(s.name))
            for ln in lines:
                assert ln.strip() in source, (step, s.name, ln)
            file_lines = (ROOT / s.path).read_text().splitlines()
            assert file_lines[s.line - 1].strip().startswith(lines[0].strip()), (step, s.name)
            assert "# noqa" not in s.code


def test_snippets_hold_the_key_lines():
    s = {k: "\n".join(x.code for x in v) for k, v in code_snippets().items()}
    assert "/= np.float32(255.0)" in s["scale"]
    assert "reshape(len(a), -1)" in s["flatten"]
    assert "np.eye" in s["onehot"] and "-= 1" in s["onehot"]
    assert "train_test_split" in s["split"] and "RandomState(seed).permutation" in s["split"]
    assert "@ self.W + self.b" in s["linear"]
    assert "z.max(axis=-1" in s["softmax"]
    assert "LOG_CLIP" in s["cross_entropy"]
    assert "0.5 * l2" in s["l2"]
    assert "x.T @ delta" in s["gradient"]
    assert "-= grad_WT" in s["sgd"] and "self.eps * dW" in s["sgd"]
    assert "predict_proba" in s["evaluate"] and "y_pred == self.y_true" in s["evaluate"]


def test_source_snippet_falls_back_to_the_whole_function_and_cuts_long_ones():
    whole = source_snippet(softmax, "a marker that is not there")
    assert whole.code.startswith("def softmax(") and "return z" in whole.code
    cut = source_snippet(model_from_bytes, max_lines=5)
    assert cut.code.endswith("\n...") and len(cut.code.splitlines()) == 6


# ------------------------------------------------------------------ the page (AppTest)

ENTRY = """
import sys
sys.path.insert(0, {root!r})
import streamlit as st
st.set_page_config(layout="wide")
st.navigation([st.Page({page!r}, title="How it works", default=True)]).run()
"""


@pytest.fixture
def entry(tmp_path):
    """A test-only stand-in for app.py whose navigation holds just this page."""
    script = tmp_path / "entry.py"
    script.write_text(ENTRY.format(root=str(ROOT), page=str(PAGE)))
    return script


def _app(entry):
    from streamlit.testing.v1 import AppTest

    return AppTest.from_file(str(entry), default_timeout=60)


def _column(at, label: str) -> np.ndarray:
    """The numbers of the per-class table column called ``label`` (shown as text)."""
    for t in at.table:
        frame = t.value
        if label in frame.columns:
            return np.array([float(v) for v in frame[label]])
    raise AssertionError(f"no table column {label!r}")


def _check_page(at, model, x) -> None:
    assert not at.exception, [e.value for e in at.exception]
    assert at.title[0].value == "How it works"
    assert len(at.latex) >= 11
    headings = [h.value for h in at.header if h.value[:1].isdigit()]  # the numbered steps
    assert len(headings) == 12 and headings[0].startswith("1.") and headings[-1].startswith("11.")
    proba = model.predict_proba(x[None, :])[0]
    np.testing.assert_allclose(_column(at, "p"), proba, atol=1e-4)
    np.testing.assert_allclose(_column(at, "z (logits)"), model.logits(x)[0], atol=1e-3)
    np.testing.assert_allclose(_column(at, "stable p"), proba, atol=1e-4)
    assert np.isnan(_column(at, "naive p")).any()
    assert len(at.code) >= 13


def test_page_shows_the_pretrained_model_by_default(entry, mnist):
    at = _app(entry).run()
    model = load_model(ROOT / "data" / "default_model.npz")
    _check_page(at, model, mnist.features("test")[0])
    ev = evaluate(model, mnist.features("test"), mnist.y_test)
    wrong = int(np.sum(ev.y_pred != mnist.y_test))
    shown = [m for m in at.metric if m.label == "Test accuracy"]
    assert len(shown) == 1
    assert shown[0].value == f"{(len(mnist.y_test) - wrong) / len(mnist.y_test):.2%}"
    assert f"{wrong:,} of {len(mnist.y_test):,} wrong" in shown[0].proto.delta


def test_page_follows_the_sessions_run_and_the_chosen_digit(entry, mnist, trained_run, test_eval):
    from core.jobs import RunSlots, TrainingJob

    at = _app(entry)
    session_of(at).job = TrainingJob(trained_run, RunSlots(1))  # finished, not started
    at.run()
    model = trained_run.snapshot
    _check_page(at, model, mnist.features("test")[0])

    at.number_input(key="lesson_index").set_value(8).run()
    _check_page(at, model, mnist.features("test")[8])
    assert at.metric[0].label == "True class" and at.metric[0].value == str(mnist.y_test[8])

    at.button[0].click().run()  # next mistake
    wrong = np.flatnonzero(test_eval.y_pred != test_eval.y_true)
    expected = int(wrong[wrong > 8][0])
    assert at.number_input(key="lesson_index").value == expected
    _check_page(at, model, mnist.features("test")[expected])


def test_page_without_a_model_says_so(entry):
    at = _app(entry)
    # the same files, named "mnist": no default model
    session_of(at).source = str(ROOT / "data" / "mnist")
    at.run()
    assert not at.exception
    assert "no model for this dataset" in at.info[0].value
    assert len(at.latex) == 0


def test_page_keeps_the_articles_words_and_computes_its_numbers(entry, mnist):
    from core.data import SPLIT_SEED

    at = _app(entry).run()
    assert not at.exception
    assert "same numbers as the article's code" in at.markdown[0].value
    captions = [c.value for c in at.caption]
    assert any(c.startswith("The tutorial's way: `core.tutorial.") for c in captions)
    assert any(c.startswith("This project's way, the same numbers: `core.data.split_validation`")
               for c in captions)
    n_train, n_valid, n_test = len(mnist.x_train), len(mnist.x_valid), len(mnist.x_test)
    split = next(m.value for m in at.markdown if "held out at random" in m.value)
    assert split.startswith(f"Of the {n_train + n_valid:,} training images, {n_valid:,} are ")
    assert f"(fixed seed {SPLIT_SEED})" in split and f"The {n_test:,} test images" in split
