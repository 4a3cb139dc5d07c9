"""Text alternatives (core/describe.py, issue 23): the words say what the pictures and charts
show, on the shipped model and the real MNIST test set, in English and Japanese."""

from __future__ import annotations

import math

import numpy as np
import pytest

from core import describe
from core.i18n import ENGLISH, translator
from core.run_state import EpochMetrics
from support.e2e import ROOT

NAMES = [str(k) for k in range(10)]


@pytest.fixture(scope="module")
def shipped():
    from core.data import load_mnist
    from core.metrics import evaluate
    from core.model_file import load_model

    data = load_mnist()
    model = load_model(ROOT / "data" / "default_model.npz")
    return model, data, evaluate(model, data.features("test"), data.y_test)


def _epoch(n: int, valid_acc: float, valid_loss: float) -> EpochMetrics:
    return EpochMetrics(epoch=n, train_loss=valid_loss + 0.01, train_acc=valid_acc - 0.01,
                        valid_loss=valid_loss, valid_acc=valid_acc, learning_rate=0.1,
                        seconds=0.3)


def test_a_test_digit_says_true_predicted_verdict_and_confidence(shipped):
    _, _, ev = shipped
    wrong = int(np.flatnonzero(ev.y_true != ev.y_pred)[0])
    t, p = int(ev.y_true[wrong]), int(ev.y_pred[wrong])
    text = ENGLISH(describe.digit_alt(wrong, NAMES[t], NAMES[p], ev.proba[wrong, p]))
    assert text == (f"test digit {wrong:,}: true {t}, predicted {p}, wrong, "
                    f"{ev.proba[wrong, p]:.0%} sure")
    assert ENGLISH(describe.digit_alt(1234, "7", "7", 0.994)) == (
        "test digit 1,234: true 7, predicted 7, right, 99% sure")
    assert translator("ja")(describe.digit_alt(1234, "7", "2", 0.81)) != ENGLISH(
        describe.digit_alt(1234, "7", "2", 0.81))  # translated


def test_weight_templates_name_where_they_vote(shipped):
    """A 0's template votes against ink in the centre (its hole); a 1's votes for it."""
    model, _, _ = shipped
    zero = ENGLISH(describe.weights_alt("0", model.W[:, 0]))
    one = ENGLISH(describe.weights_alt("1", model.W[:, 1]))
    assert zero.startswith("weights for class 0:") and "centre most against it" in zero
    assert "ink in the centre votes most for it" in one
    low, high = model.W[:, 0].min(), model.W[:, 0].max()
    assert f"from {low:+.2f} to {high:+.2f}" in zero


def test_regions_follow_the_ink():
    image = np.zeros((28, 28))
    image[5:9, 18:23] = 1.0  # ink at the top right
    image[19:23, 5:9] = -1.0  # negative at the bottom left
    pro, contra = describe.strongest_regions(image)
    assert (pro, contra) == ("top right", "bottom left")
    with pytest.raises(ValueError, match="square"):
        describe.strongest_regions(np.zeros(100 + 1))


def test_a_why_map_names_both_classes_and_its_total(shipped):
    from core.explain import explain

    model, data, ev = shipped
    i = int(np.flatnonzero(ev.y_true != ev.y_pred)[0])
    p, q = int(ev.y_pred[i]), int(ev.y_true[i])
    why = explain(model, data.features("test")[i], p, q)
    text = ENGLISH(describe.why_alt(why.contributions, NAMES[p], NAMES[q]))
    assert text.startswith(f"map of why {p} and not {q}:")
    assert f"{why.contributions.sum():+.2f} towards {p}" in text


def test_curves_summary_gives_the_trend_the_best_epoch_and_the_loss():
    history = [_epoch(1, 0.894, 0.40), _epoch(2, 0.91, 0.33), _epoch(3, 0.925, 0.29),
               _epoch(4, 0.923, 0.28)]
    assert ENGLISH(describe.curves_summary(history)) == (
        "validation accuracy rose from 89.4% to 92.3% over 4 epochs, best 92.5% at epoch 3; "
        "validation loss went from 0.400 to 0.280")
    falling = [_epoch(1, 0.9, 0.3), _epoch(2, 0.5, 2.0)]
    assert "fell from 90.0% to 50.0%" in ENGLISH(describe.curves_summary(falling))
    assert "first one" in ENGLISH(describe.curves_summary([]))
    diverged = [_epoch(1, math.nan, math.nan)]
    assert "diverged" in ENGLISH(describe.curves_summary(diverged))
    rows = describe.curves_table(history + diverged)
    assert rows[0] == pytest.approx({"epoch": 1, "train loss": 0.41, "validation loss": 0.40,
                                     "train accuracy": 0.884, "validation accuracy": 0.894,
                                     "learning rate": 0.1})
    assert rows[-1]["validation loss"] is None  # NaN is an empty cell, never NaN


def test_probabilities_confusion_and_per_class_in_words(shipped):
    from core.metrics import per_class_accuracy

    _, _, ev = shipped
    cm = ev.confusion()
    text = ENGLISH(describe.confusion_summary(cm, NAMES))
    assert text.startswith(f"{10_000 - ev.n_wrong:,} of 10,000 test digits read right")
    off = cm - np.diag(np.diag(cm))
    t, p = np.unravel_index(np.argmax(off), cm.shape)
    assert f"most common mistakes: {t} read as {p} ({off[t, p]} times), " in text
    assert "、" in translator("ja")(describe.confusion_summary(cm, NAMES))  # a Japanese list
    rows = describe.confusion_table(cm, NAMES)
    assert rows[t][f"predicted {p}"] == off[t, p] and len(rows) == 10

    acc = per_class_accuracy(cm)
    summary = ENGLISH(describe.per_class_summary(acc, NAMES))
    assert f"from {acc.min():.1%} (class {acc.argmin()})" in summary
    assert f"to {acc.max():.1%} (class {acc.argmax()})" in summary

    proba = np.array([0.01, 0.02, 0.12, 0.0, 0.0, 0.0, 0.0, 0.81, 0.0, 0.04])
    assert ENGLISH(describe.probability_summary(proba, NAMES, 2)) == (
        "most likely 7 (81%), then 2 (12%) and 9 (4%); the true class is 2: wrong")
    assert describe.probability_table(proba, NAMES)[7] == {"class": "7", "probability": 0.81}


def test_weights_norms_and_sweep_tables(shipped):
    model, _, _ = shipped
    rows = describe.weights_table(model.W, NAMES)
    assert len(rows) == 10 and rows[0]["most against it"] == "centre"
    assert rows[1]["norm"] == pytest.approx(float(np.linalg.norm(model.W[:, 1])))
    norms = [(0, 0.0), (5, 7.5), (10, 9.25)]
    assert ENGLISH(describe.norms_summary(norms)) == (
        "the weight norm ||W|| went from 0.00 at epoch 0 to 9.25 at epoch 10")
    assert describe.norms_table(norms)[1] == {"epoch": 5, "norm": 7.5}


def test_class_drawings_and_the_board_in_words():
    assert ENGLISH(describe.class_drawing_alt("7", "2", 0.812)) == (
        "a class drawing labelled 7, read as 2: wrong (81% sure)")
    assert ENGLISH(describe.class_drawing_alt("7", "7")) == (
        "a class drawing labelled 7, read as 7: right")
    assert ENGLISH(describe.board_alt([0.121, None, 0.924])) == (
        "the class board: 3 shared runs, test accuracy from 12.1% to 92.4%; the table below "
        "lists them")
    assert "none scored yet" in ENGLISH(describe.board_alt([None]))
