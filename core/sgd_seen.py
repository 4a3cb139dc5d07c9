"""One step of SGD, seen: a real mini-batch, its gradient as ten images, the weights before
and after.

One step of the tutorial's training (see :mod:`core.model` for the maths) on a batch of B
images x (B, 784) with classes y:

    p     = softmax(x W + b)              what the model says now, (B, K)
    delta = p - onehot(y)                 how wrong, per class, (B, K)
    G     = x^T delta / B                 the gradient of the mean cross-entropy, (784, K)
    W'    = W - lr * (G + lambda W)       the step, with the L2 pull towards 0
    b'    = b - lr * mean(delta)

Column k of G is a 28x28 image, a *gradient template*: the batch's digits added up, each
weighted by how much too high (p_k > 0 for a digit that is not a k) or too low (p_k - 1 < 0
for a k) the model's probability of k was. The step *subtracts* it: the ks of the batch are
added into template k, the other digits that looked like a k are taken out.

:func:`start` gives the tutorial's first weights for a seed and :func:`batch_indices` its
batches in the tutorial's order (the first epoch's shuffle from the same random stream), so
step 1, 2, ... here are the first steps of a Train-page run with that seed. :func:`seen_step`
takes the step with the project's own trainer, :class:`core.sgd.SGD` (its readable NumPy
step), and returns everything a page shows as a :class:`SeenStep`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from core.model import SoftmaxWeights
from core.sgd import SGD
from core.style import DIVERGING_SCALE
from core.train import tutorial_stream


@dataclass(frozen=True)
class SeenStep:
    """One step: ``number`` (1 for the first), the batch ``indices`` (B,) into the training
    set, its ``images`` (B, n_features) in [0, 1] and ``labels`` (B,); ``gradient``
    (n_features, K) = x^T (p - y) / B (without the lambda W term); the weights ``W_before``,
    ``W_after`` (n_features, K, float64) and ``b_before``, ``b_after`` (K,); the batch's
    loss (cross-entropy + L2) and how many of its digits the model read right, before and
    after the step; the ``learning_rate`` and ``l2`` (lambda) used."""

    number: int
    indices: np.ndarray
    images: np.ndarray
    labels: np.ndarray
    gradient: np.ndarray
    W_before: np.ndarray
    W_after: np.ndarray
    b_before: np.ndarray
    b_after: np.ndarray
    loss_before: float
    loss_after: float
    right_before: int
    right_after: int
    learning_rate: float
    l2: float


def start(data, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """The tutorial's first weights for ``seed``: W (n_features, K) ~ U(-0.08, 0.08) and
    b = 0, drawn from the same stream a run with that seed draws them from (float64)."""
    rng = tutorial_stream(seed, len(data.y_train) + len(data.y_valid))
    W, b = SoftmaxWeights.initial_weights(data.n_features, data.n_classes, rng)
    return W.astype(np.float32).astype(np.float64), b


def batch_indices(data, seed: int, batch_size: int, number: int) -> np.ndarray:
    """The training images of step ``number`` (1, 2, ...) of the first epoch of a run with
    ``seed`` and ``batch_size``: after W, the stream draws the epoch's shuffle, and step k
    trains on its k-th slice. Past the epoch's last step it starts over (B,) int64."""
    rng = tutorial_stream(seed, len(data.y_train) + len(data.y_valid))
    rng.uniform(-0.08, 0.08, size=(data.n_features, data.n_classes))  # W comes first
    order = rng.permutation(len(data.y_train))
    n_steps = -(-len(order) // batch_size)
    k = (number - 1) % n_steps
    return order[k * batch_size:(k + 1) * batch_size].astype(np.int64)


def seen_step(data, W: np.ndarray, b: np.ndarray, indices: np.ndarray, learning_rate: float,
              l2: float, number: int = 1) -> SeenStep:
    """One SGD step from ``W``, ``b`` on the training images ``indices`` of ``data``, taken
    by :class:`core.sgd.SGD` exactly as a run takes it."""
    # only the batch is scaled to [0, 1]: data.features("train") would keep all 50,000
    x = data.x_train[indices].astype(np.float32) / np.float32(data.pixel_scale)
    y = data.y_train[indices]
    before = SoftmaxWeights(np.asarray(W, np.float64), np.asarray(b, np.float64))
    loss_before, full_gradient, _ = before.gradients(x.astype(np.float64), y, l2)
    gradient = full_gradient - l2 * before.W  # x^T (p - y) / B alone
    sgd = SGD(W, b, data.x_train, data.y_train, data.pixel_scale, learning_rate, l2,
              compiled=False)
    sgd.step(indices, np.empty(len(indices), np.float32), np.empty(len(indices), bool))
    after = SoftmaxWeights(sgd.master_WT.T.copy(), sgd.master_b.copy())
    return SeenStep(number=number, indices=indices, images=np.asarray(x), labels=y,
                    gradient=gradient, W_before=before.W, W_after=after.W, b_before=before.b,
                    b_after=after.b, loss_before=loss_before,
                    loss_after=after.loss(x.astype(np.float64), y, l2),
                    right_before=int(np.sum(before.predict(x) == y)),
                    right_after=int(np.sum(after.predict(x) == y)),
                    learning_rate=float(learning_rate), l2=float(l2))


def montage(images: np.ndarray, columns: int = 20, side: int = 28) -> np.ndarray:
    """The batch's digits side by side: (rows * side, columns * side) floats in [0, 1], a
    1-pixel grey line between digits; (B, side * side) images, any B >= 1."""
    n = len(images)
    rows = -(-n // columns)
    cell = side + 1
    out = np.full((rows * cell - 1, columns * cell - 1), 0.35, np.float32)
    for i, image in enumerate(np.asarray(images, np.float32).reshape(n, side, side)):
        r, c = divmod(i, columns)
        out[r * cell:r * cell + side, c * cell:c * cell + side] = image
    return out


def templates_rgb(W: np.ndarray, limit: float, scale: int = 3, gap: int = 6) -> np.ndarray:
    """The K columns of ``W`` (n_features = 784, K) as 28x28 pictures side by side, left to
    right, on one colour scale from -limit (blue) through 0 (white) to +limit (red), the
    Weights page's colours (core.style.DIVERGING_SCALE): (28 scale, K (28 scale + gap) - gap,
    3) uint8, white between the pictures. Values beyond the limit get the end colours."""
    K, side = W.shape[1], 28 * scale
    t = (np.clip(np.asarray(W, np.float64).T.reshape(K, 28, 28) / limit, -1, 1) + 1) / 2
    stops = np.array([s for s, _ in DIVERGING_SCALE])
    colours = np.array([[int(c[i:i + 2], 16) for i in (1, 3, 5)] for _, c in DIVERGING_SCALE],
                       float)
    rgb = np.stack([np.interp(t, stops, colours[:, ch]) for ch in range(3)], axis=-1)
    out = np.full((side, K * (side + gap) - gap, 3), 255, np.uint8)
    for k in range(K):
        out[:, k * (side + gap):k * (side + gap) + side] = np.kron(
            rgb[k], np.ones((scale, scale, 1))).astype(np.uint8)
    return out
