"""Softmax regression (multinomial logistic regression), written out in NumPy.

The model has one weight matrix ``W`` (n_features x K; 784 x 10 for MNIST) and one bias
vector ``b`` (K). For an example ``x`` (a row of n_features numbers: for an image, its 784
pixel values in [0, 1]) it computes K scores, the *logits*

    z = x W + b,

and turns them into probabilities with the softmax

    p_k = exp(z_k) / sum_j exp(z_j).

Training minimises the mean cross-entropy between ``p`` and the true class ``y``,

    L = -(1/B) sum_n log p_{n, y_n}  +  (lambda / 2) ||W||^2,

whose gradient has a famously simple form: with ``delta = p - onehot(y)``,

    dL/dW = x^T delta / B + lambda W,      dL/db = mean over the batch of delta.

:class:`SoftmaxWeights` is that model as the dashboard, the command line and the lessons use
it: the weights and what they mean (class names, the settings they were trained with, the
preprocessing their images went through), and the maths above. It only holds weights: the
engine (:mod:`core.train`, :mod:`core.sgd`) trains them, :mod:`core.model_file` saves and
loads them, and :class:`core.estimator.SoftmaxRegression` wraps them as a scikit-learn
classifier for whoever calls ``fit``. Nothing here imports scikit-learn.
"""

from __future__ import annotations

import copy
from dataclasses import fields

import numpy as np

from core.canvas import MNIST_SIDE
from core.config import TrainConfig
from core.preprocess import NO_PREPROCESSING, check_preprocessing, prepare_images

LOG_CLIP = 1e-10  # log(p) is taken of max(p, 1e-10), so a confident mistake costs <= 23.03


def softmax(z: np.ndarray) -> np.ndarray:
    """Row-wise softmax, computed stably.

    ``exp`` overflows for logits above ~88 in float32. Subtracting each row's maximum first
    changes nothing mathematically (the factor exp(-max) cancels between numerator and
    denominator) but makes the largest exponent exp(0) = 1, so nothing overflows.
    """
    with np.errstate(over="ignore", under="ignore", invalid="ignore"):  # exp(-huge) = 0 is right
        big = np.finfo(z.dtype).max if z.dtype.kind == "f" else np.finfo(np.float64).max
        z = np.nan_to_num(z, nan=0.0, posinf=big, neginf=-big)  # a last guard for absurd input
        z = z - z.max(axis=-1, keepdims=True)
        np.exp(z, out=z)
    z /= z.sum(axis=-1, keepdims=True)
    return z


def cross_entropy(proba: np.ndarray, y: np.ndarray) -> float:
    """Mean of -log p[n, y_n], with the log clipped at 1e-10 so it never returns inf."""
    picked = proba[np.arange(len(y)), y]
    return float(-np.mean(np.log(np.maximum(picked, LOG_CLIP))))


def _check_x(x: np.ndarray, n_features: int) -> np.ndarray:
    """``x`` as (n, n_features); a 1-D ``x`` is one example (the lesson's maths uses it)."""
    x = np.asarray(x)
    if x.ndim == 1:
        x = x[None, :]
    if x.ndim != 2 or x.shape[1] != n_features:
        raise ValueError(
            f"expected examples of shape (n, {n_features}), one a row (an image flattened: "
            f"28x28 -> 784 values 0-1), got {x.shape}; reshape with x.reshape(len(x), -1)"
        )
    return x


class SoftmaxWeights:
    """A softmax regression's weights, what they mean, and the maths they compute.

    ``W`` (n_features, K) and ``b`` (K,) are used as they are, not copied (a training run's
    live model reads the trainer's arrays): float32 as trained, or float64 (the lesson's
    gradient check). ``class_names`` (K; default "0".."K-1") says what each class is;
    ``config``, the settings it was trained with (TrainConfig's fields, plus "dataset");
    ``preprocessing``, what its training images went through ("none" or "deskew"), and so
    what its inputs must go through too (:meth:`read`). Predictions are class indices.
    """

    def __init__(self, W: np.ndarray, b: np.ndarray,
                 class_names: tuple[str, ...] | None = None, config: dict | None = None,
                 preprocessing: str = NO_PREPROCESSING):
        W, b = np.asarray(W), np.asarray(b)
        if W.ndim != 2 or b.shape != (W.shape[1],):
            raise ValueError(f"W must be (features, classes) and b (classes,): "
                             f"got {W.shape}, {b.shape}")
        names = tuple(class_names) if class_names else tuple(str(k) for k in range(W.shape[1]))
        if len(names) != W.shape[1]:
            raise ValueError(f"{len(names)} class names for {W.shape[1]} classes")
        self.W, self.b, self.class_names = W, b, tuple(str(n) for n in names)
        self.config = dict(config or {})
        self.preprocessing = check_preprocessing(preprocessing)

    @staticmethod
    def initial_weights(n_features: int, n_classes: int,
                        rng: np.random.RandomState) -> tuple[np.ndarray, np.ndarray]:
        """The tutorial's start, in float64 as drawn: W ~ U(-0.08, 0.08), shape
        (n_features, n_classes), and b = 0, shape (n_classes,)."""
        return rng.uniform(-0.08, 0.08, size=(n_features, n_classes)), np.zeros(n_classes)

    @classmethod
    def initialise(cls, n_features: int = 784, n_classes: int = 10, seed: int = 34,
                   class_names: tuple[str, ...] | None = None,
                   rng: np.random.RandomState | None = None) -> SoftmaxWeights:
        """An untrained model: :meth:`initial_weights` from ``rng`` (by default NumPy's
        legacy generator seeded with ``seed``), as float32."""
        rng = rng if rng is not None else np.random.RandomState(seed)
        W, b = cls.initial_weights(n_features, n_classes, rng)
        return cls(W.astype(np.float32), b.astype(np.float32), class_names)

    @property
    def hyperparameters(self) -> TrainConfig | None:
        """The settings these weights were trained with, read from :attr:`config`
        (epochs, learning rate, lambda, batch size, seed), or None when the config does not
        record them all (an untrained model, weights made from arrays)."""
        names = [f.name for f in fields(TrainConfig)]
        if not all(name in self.config for name in names):
            return None
        try:
            return TrainConfig.from_dict(self.config)
        except (TypeError, ValueError):
            return None

    def __repr__(self) -> str:
        """``SoftmaxWeights(784x10, epochs=200, learning_rate=0.1, ...)``: the shape and the
        settings it was trained with (none for an untrained model), as they really were."""
        trained = self.hyperparameters
        settings = [] if trained is None else [f"{k}={v!r}" for k, v in trained.to_dict().items()]
        if self.preprocessing != NO_PREPROCESSING:
            settings.append(f"preprocessing={self.preprocessing!r}")
        shape = f"{self.n_features}x{self.n_classes}"
        return f"{type(self).__name__}({', '.join([shape, *settings])})"

    @property
    def n_features(self) -> int:
        return self.W.shape[0]

    @property
    def n_classes(self) -> int:
        return self.W.shape[1]

    # ----------------------------------------------------------------- the maths

    def logits(self, x: np.ndarray) -> np.ndarray:
        """z = x W + b, one row of K scores per example (a 1-D ``x`` is one example).

        Pixels are expected in [0, 1]; absurdly large inputs are computed in float64 so that
        the scores stay finite instead of overflowing float32.
        """
        x = _check_x(x, self.n_features)
        if x.size and np.abs(x).max() > 1e6:
            return x.astype(np.float64) @ self.W.astype(np.float64) + self.b
        return x.astype(self.W.dtype, copy=False) @ self.W + self.b

    def predict_proba(self, x: np.ndarray) -> np.ndarray:
        """Class probabilities, (n, K) for ``x`` (n, n_features); each row sums to 1."""
        return softmax(self.logits(x))

    def predict(self, x: np.ndarray) -> np.ndarray:
        """The most probable class of each example, (n,) class indices."""
        return self.predict_proba(x).argmax(axis=1)

    def score(self, x: np.ndarray, y: np.ndarray) -> float:
        """Accuracy: the fraction of ``x`` whose :meth:`predict` is ``y`` (class indices)."""
        return float(np.mean(self.predict(x) == np.asarray(y)))

    def read(self, images: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Raw images read as this model reads them: ``(inputs, proba)``.

        ``images``: one 28x28 image, or images (n, 28, 28) or rows (n, 784), uint8 0-255 or
        float 0-1, as a drawing or a dataset holds them. They are prepared as the model's
        training images were (its :attr:`preprocessing`, :func:`core.preprocess.prepare_images`)
        and scaled to 0-1: ``inputs`` (n, 784) float32 is what the model saw (show it with
        ``inputs[i].reshape(28, 28)``), ``proba`` (n, K) its probabilities. The one place
        where a page, the class board or a benchmark hands images to a model.
        """
        images = np.asarray(images)
        rows = images.reshape(-1, MNIST_SIDE * MNIST_SIDE)
        inputs = prepare_images(rows, self.preprocessing).astype(np.float32)
        if images.dtype == np.uint8:
            inputs /= np.float32(255)
        return inputs, self.predict_proba(inputs)

    def loss(self, x: np.ndarray, y: np.ndarray, l2: float = 0.0) -> float:
        """Mean cross-entropy on (x, y), plus (l2 / 2) ||W||^2 when l2 > 0."""
        ce = cross_entropy(softmax(self.logits(x)), np.asarray(y))
        return ce + 0.5 * l2 * float(np.sum(self.W.astype(np.float64) ** 2))

    def gradients(self, x: np.ndarray, y: np.ndarray, l2: float = 0.0):
        """Return ``(loss, dW, db)`` for one batch: x (B, n_features), y (B,) class indices;
        dW (n_features, K), db (K,).

        ``delta = p - onehot(y)`` is the derivative of the cross-entropy with respect to the
        logits; the chain rule through z = x W + b gives dW = x^T delta / B + l2 W and
        db = mean(delta). (The one-hot matrix is never built: subtracting 1 at the true
        class is the same thing.)
        """
        x = _check_x(x, self.n_features).astype(self.W.dtype, copy=False)
        y = np.asarray(y)
        proba = self.predict_proba(x)
        loss = cross_entropy(proba, y) + 0.5 * l2 * float(np.sum(self.W.astype(np.float64) ** 2))
        delta = proba
        delta[np.arange(len(y)), y] -= 1
        dW = x.T @ delta / len(y) + l2 * self.W
        db = delta.mean(axis=0)
        return loss, dW, db

    def copy(self) -> SoftmaxWeights:
        """An independent copy: weights, class names, config and preprocessing."""
        return copy.deepcopy(self)

    def is_finite(self) -> bool:
        return bool(np.isfinite(self.W).all() and np.isfinite(self.b).all())
