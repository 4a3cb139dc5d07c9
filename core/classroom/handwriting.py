"""A shared run's score on the class's own handwriting, kept with the run's curves.

A shared run carries no weights (only settings, final numbers and curves), so the board
cannot score it on the class's drawings later. Instead the student's server scores it when
it shares it (:func:`score_drawings`, called by core.classroom.follower, which still holds
the model) on the drawings the class has at that moment, and the figure travels in the
run's curves JSON, the record's existing free-form field (no schema change): two extra
"curves", ``class_acc`` and ``class_n``, empty at every epoch but the last, where they
hold the accuracy (a fraction) and the number of drawings it was measured on.

:func:`handwriting_score` reads it back from curves (None for a run shared without one:
no drawings yet, not a digits dataset, or shared before this existed).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from core.metrics import Evaluation

CLASS_ACC, CLASS_N = "class_acc", "class_n"  # the curves' names
IMAGE_PIXELS = 784  # the drawings are 28x28: only a model of 784 inputs reads them


@dataclass(frozen=True)
class HandScore:
    """A run on the class's drawings: ``accuracy`` (0-1) on ``n`` drawings."""

    accuracy: float
    n: int


def score_drawings(model, images: np.ndarray, labels: np.ndarray) -> HandScore | None:
    """``model`` (a core.model.SoftmaxWeights) on the class's drawings: ``images`` (n, 784)
    uint8 centred like MNIST, ``labels`` (n,) digits. None without drawings or for a model
    that does not read 28x28 digits (10 classes, 784 inputs)."""
    labels = np.asarray(labels)
    if len(labels) == 0 or np.shape(model.W) != (IMAGE_PIXELS, 10):
        return None
    ev = Evaluation(model.read(np.asarray(images, np.uint8))[1], labels)
    return HandScore(ev.accuracy, len(labels))


def with_score(curves: Mapping[str, Sequence], score: HandScore | None) -> dict:
    """``curves`` with the score as two more curves, empty but for the last epoch."""
    out = dict(curves)
    n = len(out.get("epoch", ())) or max((len(v) for v in out.values()), default=0)
    if score is None or n == 0:
        return out
    out[CLASS_ACC] = [None] * (n - 1) + [round(score.accuracy, 6)]
    out[CLASS_N] = [None] * (n - 1) + [int(score.n)]
    return out


def _last(values) -> float | None:
    """The last value of a curve that is a number, or None."""
    for v in reversed(list(values or ())):
        if isinstance(v, (int, float)) and not isinstance(v, bool):
            return v
    return None


def handwriting_score(curves: Mapping[str, Sequence] | None) -> HandScore | None:
    """The score :func:`with_score` put in a run's curves, or None; a malformed one
    (hostile or damaged: out of range, negative) is None too."""
    if not curves:
        return None
    acc, n = _last(curves.get(CLASS_ACC)), _last(curves.get(CLASS_N))
    if acc is None or n is None or not 0 <= acc <= 1 or n < 1:
        return None
    return HandScore(float(acc), int(n))
