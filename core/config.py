"""The hyperparameters of a training run, validated once, in one frozen object."""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, fields

LEARNING_RATE_RANGE = (1e-6, 1e3)
L2_MAX = 1e2
MAX_EPOCHS = 10_000


@dataclass(frozen=True)
class TrainConfig:
    """Everything that defines a run. Defaults are the tutorial's settings.

    - ``epochs``: full passes over the 50,000 training images.
    - ``learning_rate``: the SGD step size; W -= learning_rate * dL/dW.
    - ``l2``: lambda, the weight of the (lambda/2)||W||^2 penalty that pulls weights to 0.
    - ``batch_size``: images per gradient step (the tutorial did not say; 100).
    - ``seed``: fixes the initial weights and the order of the batches.
    """

    epochs: int = 200
    learning_rate: float = 0.1
    l2: float = 1e-4
    batch_size: int = 100
    seed: int = 34

    def __post_init__(self) -> None:
        for f in fields(self):
            value = getattr(self, f.name)
            want = int if f.type in ("int", int) else float
            if isinstance(value, bool) or not isinstance(value, (int, float)):
                raise ValueError(f"{f.name} must be a number, got {value!r}")
            if want is int and value != int(value):
                raise ValueError(f"{f.name} must be a whole number, got {value!r}")
            if not math.isfinite(value):
                raise ValueError(f"{f.name} must be finite, got {value!r}")
            object.__setattr__(self, f.name, want(value))
        lo, hi = LEARNING_RATE_RANGE
        if not lo <= self.learning_rate <= hi:
            raise ValueError(f"learning_rate must be between {lo:g} and {hi:g}, got {self.learning_rate:g}")
        if not 0 <= self.l2 <= L2_MAX:
            raise ValueError(f"l2 (lambda) must be between 0 and {L2_MAX:g}, got {self.l2:g}")
        if not 1 <= self.epochs <= MAX_EPOCHS:
            raise ValueError(f"epochs must be between 1 and {MAX_EPOCHS:,}, got {self.epochs}")
        if self.batch_size < 1:
            raise ValueError(f"batch_size must be at least 1, got {self.batch_size}")
        if not 0 <= self.seed < 2**32:
            raise ValueError(f"seed must be between 0 and 2**32 - 1, got {self.seed}")

    def check_fits(self, n_train: int) -> None:
        """Raise ValueError if the batch is larger than the training set."""
        if self.batch_size > n_train:
            raise ValueError(
                f"batch_size {self.batch_size:,} is larger than the {n_train:,} training images"
            )

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, d: dict) -> "TrainConfig":
        names = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in d.items() if k in names})
