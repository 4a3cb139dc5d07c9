"""Softmax regression (multinomial logistic regression), written out in NumPy.

The model has one weight matrix ``W`` (784 x K) and one bias vector ``b`` (K). For an image
``x`` (a row of 784 pixel values in [0, 1]) it computes K scores, the *logits*

    z = x W + b,

and turns them into probabilities with the softmax

    p_k = exp(z_k) / sum_j exp(z_j).

Training minimises the mean cross-entropy between ``p`` and the true class ``y``,

    L = -(1/B) sum_n log p_{n, y_n}  +  (lambda / 2) ||W||^2,

whose gradient has a famously simple form: with ``delta = p - onehot(y)``,

    dL/dW = x^T delta / B + lambda W,      dL/db = mean over the batch of delta.
"""

from __future__ import annotations

import io
import json
import os
from pathlib import Path

import numpy as np

LOG_CLIP = 1e-10  # log(p) is taken of max(p, 1e-10), so a confident mistake costs <= 23.03
MAX_MODEL_BYTES = 5_000_000  # a 784x10 float32 model is 32 KB; refuse anything absurd


class ModelFileError(ValueError):
    """A model file could not be loaded. The message says what is wrong with it."""


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
    x = np.asarray(x)
    if x.ndim == 1:
        x = x[None, :]
    if x.ndim != 2 or x.shape[1] != n_features:
        raise ValueError(
            f"expected images of shape (n, {n_features}) (flattened 28x28, values 0-1), "
            f"got {x.shape}; reshape with x.reshape(len(x), -1)"
        )
    return x


class SoftmaxRegression:
    """A linear classifier with a softmax output, in the style of a scikit-learn estimator.

    ``W`` has shape (n_features, n_classes) and ``b`` shape (n_classes,); both float32 unless
    you pass float64 arrays (the gradient check does, for precision).
    """

    def __init__(self, W: np.ndarray, b: np.ndarray, class_names: tuple[str, ...] | None = None,
                 config: dict | None = None):
        W, b = np.asarray(W), np.asarray(b)
        if W.ndim != 2 or b.shape != (W.shape[1],):
            raise ValueError(f"W must be (features, classes) and b (classes,): got {W.shape}, {b.shape}")
        self.W, self.b = W, b
        self.class_names = tuple(class_names) if class_names else tuple(str(k) for k in range(W.shape[1]))
        if len(self.class_names) != W.shape[1]:
            raise ValueError(f"{len(self.class_names)} class names for {W.shape[1]} classes")
        self.config = dict(config or {})

    @staticmethod
    def initial_weights(n_features: int, n_classes: int,
                        rng: np.random.RandomState) -> tuple[np.ndarray, np.ndarray]:
        """The tutorial's start, in float64 as drawn: W ~ U(-0.08, 0.08), shape
        (n_features, n_classes), and b = 0, shape (n_classes,)."""
        return rng.uniform(-0.08, 0.08, size=(n_features, n_classes)), np.zeros(n_classes)

    @classmethod
    def initialise(cls, n_features: int = 784, n_classes: int = 10, seed: int = 34,
                   class_names: tuple[str, ...] | None = None,
                   rng: np.random.RandomState | None = None) -> "SoftmaxRegression":
        """An untrained model: :meth:`initial_weights` from ``rng`` (by default NumPy's
        legacy generator seeded with ``seed``), as float32."""
        rng = rng if rng is not None else np.random.RandomState(seed)
        W, b = cls.initial_weights(n_features, n_classes, rng)
        return cls(W.astype(np.float32), b.astype(np.float32), class_names)

    @property
    def n_features(self) -> int:
        return self.W.shape[0]

    @property
    def n_classes(self) -> int:
        return self.W.shape[1]

    def logits(self, x: np.ndarray) -> np.ndarray:
        """z = x W + b, one row of K scores per image.

        Pixels are expected in [0, 1]; absurdly large inputs are computed in float64 so that
        the scores stay finite instead of overflowing float32.
        """
        x = _check_x(x, self.n_features)
        if x.size and np.abs(x).max() > 1e6:
            return x.astype(np.float64) @ self.W.astype(np.float64) + self.b
        return x.astype(self.W.dtype, copy=False) @ self.W + self.b

    def predict_proba(self, x: np.ndarray) -> np.ndarray:
        """Class probabilities, shape (n, K); each row sums to 1."""
        return softmax(self.logits(x))

    def predict(self, x: np.ndarray) -> np.ndarray:
        """The most probable class index for each image."""
        return self.logits(x).argmax(axis=1)

    def loss(self, x: np.ndarray, y: np.ndarray, l2: float = 0.0) -> float:
        """Mean cross-entropy on (x, y), plus (l2 / 2) ||W||^2 when l2 > 0."""
        ce = cross_entropy(self.predict_proba(x), np.asarray(y))
        return ce + 0.5 * l2 * float(np.sum(self.W.astype(np.float64) ** 2))

    def gradients(self, x: np.ndarray, y: np.ndarray, l2: float = 0.0):
        """Return ``(loss, dW, db)`` for one batch.

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

    def copy(self) -> "SoftmaxRegression":
        return SoftmaxRegression(self.W.copy(), self.b.copy(), self.class_names, self.config)

    def is_finite(self) -> bool:
        return bool(np.isfinite(self.W).all() and np.isfinite(self.b).all())

    # ----------------------------------------------------------------- save / load

    def to_bytes(self) -> bytes:
        """The model as the bytes of an .npz file (W, b, class names, config as JSON)."""
        buf = io.BytesIO()
        np.savez_compressed(
            buf, W=self.W, b=self.b, class_names=np.array(self.class_names),
            config=np.array(json.dumps(self.config)),
        )
        return buf.getvalue()

    def save(self, path: str | os.PathLike) -> None:
        Path(path).write_bytes(self.to_bytes())

    @classmethod
    def from_bytes(cls, data: bytes, name: str = "model file",
                   expect_features: int | None = None,
                   expect_classes: int | None = None) -> "SoftmaxRegression":
        """Load and validate a model saved by :meth:`save`.

        Raises :class:`ModelFileError` if the file is too large, not an .npz, lacks W / b /
        class_names / config, has shapes that do not fit together (or do not fit
        ``expect_features`` / ``expect_classes``), or holds NaN or infinite weights.
        """
        if len(data) > MAX_MODEL_BYTES:
            raise ModelFileError(f"{name}: {len(data):,} bytes, too large for a model file "
                                 f"(limit {MAX_MODEL_BYTES:,})")
        try:
            with np.load(io.BytesIO(data), allow_pickle=False) as npz:
                arrays = {k: npz[k] for k in npz.files}
        except Exception:
            raise ModelFileError(f"{name}: not a valid .npz model file") from None
        missing = {"W", "b", "class_names", "config"} - arrays.keys()
        if missing:
            raise ModelFileError(f"{name}: missing {', '.join(sorted(missing))}; "
                                 "expected a file saved by this app")
        W, b = arrays["W"], arrays["b"]
        if W.ndim != 2 or b.shape != (W.shape[1],) or W.dtype.kind != "f" or b.dtype.kind != "f":
            raise ModelFileError(f"{name}: W {W.shape} and b {b.shape} must be float arrays "
                                 "of shapes (features, classes) and (classes,)")
        if expect_features is not None and W.shape[0] != expect_features:
            raise ModelFileError(f"{name}: made for {W.shape[0]} pixels, this data has {expect_features}")
        if expect_classes is not None and W.shape[1] != expect_classes:
            raise ModelFileError(f"{name}: has {W.shape[1]} classes, this data has {expect_classes}")
        if not (np.isfinite(W).all() and np.isfinite(b).all()):
            raise ModelFileError(f"{name}: weights contain NaN or infinity")
        names = tuple(str(s) for s in arrays["class_names"].reshape(-1))
        if len(names) != W.shape[1]:
            raise ModelFileError(f"{name}: {len(names)} class names for {W.shape[1]} classes")
        try:
            config = json.loads(str(arrays["config"]))
            assert isinstance(config, dict)
        except Exception:
            raise ModelFileError(f"{name}: its config is not a JSON object") from None
        return cls(W.astype(np.float32), b.astype(np.float32), names, config)

    @classmethod
    def load(cls, path: str | os.PathLike, **expect) -> "SoftmaxRegression":
        path = Path(path)
        try:
            size = path.stat().st_size
            if size > MAX_MODEL_BYTES:
                raise ModelFileError(f"{path}: {size:,} bytes, too large for a model file")
            data = path.read_bytes()
        except OSError as exc:
            raise ModelFileError(f"{path}: cannot read it ({exc.strerror})") from None
        return cls.from_bytes(data, str(path), **expect)
