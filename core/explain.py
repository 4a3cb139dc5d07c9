"""Why did the model say p and not q? An exact, per-pixel answer for a linear model.

A class score (logit) is a sum over pixels plus a bias:  z_c = sum_i x_i W_ic + b_c.
So the gap between two classes splits exactly into one term per pixel plus a bias term:

    z_p - z_q = sum_i x_i (W_ip - W_iq)  +  (b_p - b_q).

Pixel i pushes towards p when x_i (W_ip - W_iq) > 0 and towards q when it is < 0; pixels
with no ink (x_i = 0) contribute nothing. Unlike saliency maps for deep networks, this is
not an approximation: the numbers add up to the logit gap.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from core.model import SoftmaxWeights


@dataclass(frozen=True)
class Explanation:
    """The account of why class ``p`` scored above (or below) class ``q`` for image ``x``."""

    p: int
    q: int
    contributions: np.ndarray  # (784,) x_i (W_ip - W_iq), float64
    bias_difference: float  # b_p - b_q
    logit_gap: float  # z_p - z_q, computed directly from the model

    @property
    def for_p(self) -> float:
        """Total of the pixels that pushed towards p."""
        return float(self.contributions[self.contributions > 0].sum())

    @property
    def for_q(self) -> float:
        """Total of the pixels that pushed towards q (a negative number)."""
        return float(self.contributions[self.contributions < 0].sum())

    def image(self) -> np.ndarray:
        return self.contributions.reshape(28, 28)


def runner_up(proba: np.ndarray) -> int:
    """The second most probable class."""
    return int(np.argsort(proba)[-2])


def explain(model: SoftmaxWeights, x: np.ndarray, p: int, q: int) -> Explanation:
    """Split the logit gap z_p - z_q of image ``x`` (784 values in [0, 1]) into pixels + bias.

    Computed in float64 so that the parts add up to the whole to ~1e-12.
    """
    x = np.asarray(x, dtype=np.float64).reshape(-1)
    W, b = model.W.astype(np.float64), model.b.astype(np.float64)
    if x.shape != (W.shape[0],):
        raise ValueError(f"x must hold {W.shape[0]} pixel values, got {x.size}")
    for c in (p, q):
        if not 0 <= c < W.shape[1]:
            raise ValueError(f"class {c} out of range 0-{W.shape[1] - 1}")
    z = x @ W + b
    return Explanation(p, q, x * (W[:, p] - W[:, q]), float(b[p] - b[q]), float(z[p] - z[q]))
