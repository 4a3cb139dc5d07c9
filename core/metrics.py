"""Scoring a trained model: loss, accuracy, confusion matrix, per-class accuracy."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from core.model import SoftmaxWeights, cross_entropy


@dataclass(frozen=True)
class Evaluation:
    """A model's predictions on one labelled set, with the numbers derived from them."""

    proba: np.ndarray  # (n, K) class probabilities
    y_true: np.ndarray  # (n,) true class indices

    @property
    def y_pred(self) -> np.ndarray:
        return self.proba.argmax(axis=1)

    @property
    def accuracy(self) -> float:
        return float(np.mean(self.y_pred == self.y_true))

    @property
    def loss(self) -> float:
        return cross_entropy(self.proba, self.y_true)

    @property
    def n_wrong(self) -> int:
        return int(np.sum(self.y_pred != self.y_true))

    def confusion(self) -> np.ndarray:
        return confusion_matrix(self.y_true, self.y_pred, self.proba.shape[1])


def evaluate(model: SoftmaxWeights, x: np.ndarray, y: np.ndarray) -> Evaluation:
    """Run the model on every image of (x, y) once."""
    return Evaluation(model.predict_proba(x), np.asarray(y))


def accuracy(model: SoftmaxWeights, x: np.ndarray, y: np.ndarray) -> float:
    """The fraction of images whose most probable class is the true one."""
    return float(np.mean(model.predict(x) == np.asarray(y)))


def split_accuracy(model: SoftmaxWeights, data, split: str) -> float:
    """Accuracy on a whole split of ``data`` (a core.data.Dataset), scaled to [0, 1] a
    chunk at a time (:meth:`core.data.Dataset.feature_chunks`) rather than as a float32
    copy of the split (157 MB for MNIST's training set): the server never keeps one."""
    labels = data.labels(split)
    correct = 0
    for start, x in data.feature_chunks(split):
        correct += int(np.sum(model.predict(x) == labels[start:start + len(x)]))
    return correct / len(labels) if len(labels) else float("nan")


def evaluate_split(model: SoftmaxWeights, data, split: str = "test") -> Evaluation:
    """:func:`evaluate` on a whole split of ``data`` (a core.data.Dataset), its images
    scaled a chunk at a time: the same probabilities, (n, K), without a float32 copy of
    the split (31 MB for MNIST's 10,000 test digits)."""
    chunks = [model.predict_proba(x) for _, x in data.feature_chunks(split)]
    proba = np.concatenate(chunks) if chunks else np.empty((0, model.n_classes))
    return Evaluation(proba, np.asarray(data.labels(split)))


def confusion_matrix(y_true: np.ndarray, y_pred: np.ndarray, n_classes: int = 10) -> np.ndarray:
    """C[i, j] = how many images of true class i were predicted as class j.

    Each (i, j) pair is numbered i * K + j and counted with one bincount.
    """
    pairs = np.asarray(y_true, np.int64) * n_classes + np.asarray(y_pred, np.int64)
    return np.bincount(pairs, minlength=n_classes * n_classes).reshape(n_classes, n_classes)


def per_class_accuracy(cm: np.ndarray) -> np.ndarray:
    """For each true class, the fraction predicted correctly (the recall): C[i, i] / row sum."""
    totals = cm.sum(axis=1)
    return np.divide(np.diag(cm), totals, out=np.zeros(len(cm)), where=totals > 0)


def select_examples(ev: Evaluation, correct: bool, true_class: int | None = None,
                    pred_class: int | None = None, order: str = "confident") -> np.ndarray:
    """Indices of the test images to show: right (``correct``) or wrong ones, optionally of
    one true and/or predicted class, sorted by the model's confidence in its prediction
    (``"confident"``: most confident first, ``"unsure"``: least first, ``"index"``: test-set
    order). Most confident mistakes are the most instructive ones."""
    pred = ev.y_pred
    keep = (pred == ev.y_true) if correct else (pred != ev.y_true)
    if true_class is not None:
        keep &= ev.y_true == true_class
    if pred_class is not None:
        keep &= pred == pred_class
    idx = np.flatnonzero(keep)
    if order == "index":
        return idx
    confidence = ev.proba[idx, pred[idx]]
    ranked = np.argsort(-confidence if order == "confident" else confidence, kind="stable")
    return idx[ranked]
