"""A bounded record of the weights after each epoch, for replaying how a model learned.

One 784 x 10 float32 snapshot is 31 KB. A run keeps at most ``capacity`` of them: when
full, every second snapshot of the older half is dropped (epoch 0 and the newest are
always kept), so a long run ends up with dense recent epochs and sparser early ones.
"""

from __future__ import annotations

import numpy as np


def nearest_epoch(epochs, epoch: int) -> int:
    """Of the kept ``epochs``, the one closest to ``epoch`` (ties go to the earlier)."""
    return min(epochs, key=lambda e: (abs(e - epoch), e))


class WeightHistory:
    """Exact copies of (W, b) keyed by epoch (0 = the initial weights)."""

    def __init__(self, capacity: int = 40):
        if capacity < 4:
            raise ValueError("capacity must be at least 4")
        self.capacity = capacity
        self._store: dict[int, tuple[np.ndarray, np.ndarray]] = {}

    def add(self, epoch: int, W: np.ndarray, b: np.ndarray) -> None:
        self._store[epoch] = (np.array(W, copy=True), np.array(b, copy=True))
        if len(self._store) > self.capacity:
            self._thin()

    def _thin(self) -> None:
        epochs = sorted(self._store)
        older = epochs[1:len(epochs) // 2]  # never epoch 0, never the recent half
        for e in older[1::2]:
            del self._store[e]

    @property
    def epochs(self) -> list[int]:
        return sorted(self._store)

    def get(self, epoch: int) -> tuple[np.ndarray, np.ndarray]:
        """The weights saved for ``epoch`` (KeyError if that epoch was thinned out)."""
        return self._store[epoch]

    def trim_to(self, keep: int) -> None:
        """Keep only the last ``keep`` snapshots (and epoch 0): for runs put aside."""
        epochs = self.epochs
        for e in epochs[1:-keep] if keep else epochs[1:]:
            del self._store[e]

    def __len__(self) -> int:
        return len(self._store)
