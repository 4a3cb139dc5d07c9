"""Flip a digit: the smallest change to an image's pixels that makes a linear model answer q.

A softmax regression scores an image ``x`` (784 pixels in [0, 1], as the model reads it:
deskewed first for a model trained on deskewed digits) with logits z = x W + b. It answers
p = argmax z. The *gap* between p and another class q,

    g(x) = z_p - z_q = x . (w_p - w_q) + (b_p - b_q),

is linear in x, with gradient d = w_p - w_q (two columns of W: two templates). So the
cheapest way to close the gap is to move x straight against d: the step

    x' = x - t d,   t = g(x) / ||d||^2

makes g(x') = 0 exactly, and no shorter step does (the distance from x to the plane g = 0
is g(x) / ||d||). Pixels must stay in [0, 1], though: clipping x' shortens the step, so it
is repeated from where it ended, using only the pixels that can still move the right way
(a pixel already black cannot lose ink), until q wins. For one rival this is exactly the
closest image in the pixel box with g <= 0: that image is clip(x - t d, 0, 1) for the right t.
When a third class r overtakes q on the way, the next step works on the gap z_r - z_q
instead (one more plane to cross), so with several rivals it is a short path, not always the
shortest.

:func:`flip` returns the path as a :class:`Flip`: frames from "as it is" to "just flipped",
the image at the flip point, how many pixels changed and how much ink was added and removed.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

MARGIN = 1e-3  # q must win by this much (logit units), so float32 rounding cannot undo it
MAX_STEPS = 200  # projected steps before giving up (a few suffice for MNIST digits)
FRAMES = 11  # images along the path, "as it is" (0) to "just flipped" (FRAMES - 1)
VISIBLE = 1 / 255  # a pixel "changed" when it moved by at least one grey level


@dataclass(frozen=True)
class Flip:
    """The path from an image to the flip point.

    - ``frames`` (FRAMES, n_features): x + s (flipped - x) for s = 0 ... 1; the gap
      z_p - z_q is linear along them, so it falls steadily from ``gaps[0]`` to ``gaps[-1]``;
    - ``gaps`` (FRAMES,): z_p - z_q at each frame;
    - ``flipped`` (n_features,): the flip point (the last frame), classified q when
      ``reached``;
    - ``p``, ``q``: the class the model answers and the class it is pushed to;
    - ``pixels_changed``: pixels that moved by a grey level or more;
    - ``ink_added``, ``ink_removed``: the sum of the pixel increases and of the decreases
      (one fully inked pixel = 1; the image's own ink is ``ink_before``).
    """

    frames: np.ndarray
    gaps: np.ndarray
    flipped: np.ndarray
    p: int
    q: int
    reached: bool
    pixels_changed: int
    ink_added: float
    ink_removed: float
    ink_before: float

    @property
    def distance(self) -> float:
        """||flipped - x||: how far the image moved (in pixel units)."""
        return float(np.linalg.norm(self.frames[-1] - self.frames[0]))


def flip(model, x: np.ndarray, q: int) -> Flip:
    """Push ``x`` (n_features,) floats in [0, 1], as ``model`` (core.model.SoftmaxWeights)
    reads it) until the model answers ``q``. ValueError when q is out of range or already
    the model's answer."""
    W, b = np.asarray(model.W, np.float64), np.asarray(model.b, np.float64)
    x0 = np.clip(np.asarray(x, np.float64).reshape(-1), 0.0, 1.0)
    if x0.shape != (W.shape[0],):
        raise ValueError(f"expected an image of {W.shape[0]} pixels, got {np.shape(x)}")
    p = int(np.argmax(x0 @ W + b))
    if not 0 <= q < W.shape[1] or q == p:
        raise ValueError(f"q must be a class other than the answer {p}, got {q}")
    flipped, reached = _push(W, b, x0, q)
    s = np.linspace(0.0, 1.0, FRAMES)[:, None]
    frames = x0 + s * (flipped - x0)
    change = flipped - x0
    return Flip(frames=frames, gaps=frames @ (W[:, p] - W[:, q]) + b[p] - b[q],
                flipped=flipped, p=p, q=q, reached=reached,
                pixels_changed=int(np.sum(np.abs(change) >= VISIBLE)),
                ink_added=float(change[change > 0].sum()),
                ink_removed=float(-change[change < 0].sum()), ink_before=float(x0.sum()))


def _push(W: np.ndarray, b: np.ndarray, x: np.ndarray, q: int) -> tuple[np.ndarray, bool]:
    """Projected steps against the gradient of the gap to q's strongest rival, until q
    leads every other class by MARGIN. Returns (the image, whether q was reached)."""
    for _ in range(MAX_STEPS):
        z = x @ W + b
        rival = int(np.argmax(np.where(np.arange(len(z)) == q, -np.inf, z)))
        gap = z[rival] - z[q] + MARGIN
        if gap <= 0:
            return x, True
        d = W[:, rival] - W[:, q]
        free = ((d > 0) & (x > 0)) | ((d < 0) & (x < 1))  # pixels that can still move
        norm2 = float(np.sum(d[free] ** 2))
        if norm2 == 0.0:
            return x, False  # every pixel that could help is at its limit
        x = np.clip(x - np.where(free, d, 0.0) * (gap / norm2), 0.0, 1.0)
    return x, bool(np.argmax(x @ W + b) == q)

