"""The hyperparameters of a training run: each setting's rules written once, validated once,
in one frozen object.

:data:`SETTINGS` says, for every field of :class:`TrainConfig`, what values are allowed,
which ones the Train page offers, what a shared link calls it and whether it can change
while a run trains. The config's own checks, the Train page's widgets and the parsing of
settings from a link (core.presets) all read it, so a bound is never typed twice.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, fields

from core.i18n import Msg


@dataclass(frozen=True)
class Setting:
    """The rules of one setting. ``high=None``: bounded by the training set (batch size)."""

    field: str  # the TrainConfig field
    query: str  # its name in a shared link: ?lr=0.1
    label: Msg  # its name on the Train page
    whole: bool  # a whole number?
    low: float
    high: float | None
    choices: tuple[float, ...] | None = None  # what the Train page offers (None: any value)
    live: bool = False  # can it change while a run trains (the next batch uses it)?
    term: str = ""  # what an error message calls it (default: the field's name)

    @property
    def offered(self) -> tuple[float, float | None]:
        """The range a page or a link may set: the choices' span, or the allowed range."""
        return (min(self.choices), max(self.choices)) if self.choices else (self.low, self.high)

    def check(self, value) -> float:
        """``value`` as this setting's type, or ValueError saying what is wrong: the one
        check of a setting, for a new config and for a change while a run trains."""
        name = self.term or self.field
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise ValueError(f"{name} must be a number, got {value!r}")
        if not math.isfinite(value):
            raise ValueError(f"{name} must be {self.describe_range()} (a finite number), "
                             f"got {value!r}")
        if not self.low <= value <= (math.inf if self.high is None else self.high):
            raise ValueError(f"{name} must be {self.describe_range()}, got {value:g}")
        if self.whole and value != int(value):
            raise ValueError(f"{name} must be a whole number, got {value!r}")
        return int(value) if self.whole else float(value)

    def describe_range(self) -> str:
        """"between 1 and 10,000", "at least 1", ... as the error messages say it."""
        fmt = (lambda v: f"{int(v):,}") if self.whole else (lambda v: f"{v:g}")
        if self.high is None:
            return f"at least {fmt(self.low)}"
        return f"between {fmt(self.low)} and {fmt(self.high)}"


LEARNING_RATES = (1e-4, 2e-4, 5e-4, 1e-3, 2e-3, 5e-3, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1.0,
                  2.0, 5.0, 10.0)
LAMBDAS = (0.0, 1e-6, 1e-5, 1e-4, 1e-3, 1e-2, 0.1, 1.0)
SETTINGS = {s.field: s for s in (
    Setting("epochs", "epochs", Msg("Epochs"), True, 1, 10_000),
    Setting("learning_rate", "lr", Msg("Learning rate"), False, 1e-6, 1e3, LEARNING_RATES,
            live=True),
    Setting("l2", "l2", Msg("L2 lambda"), False, 0.0, 1e2, LAMBDAS, live=True,
            term="l2 lambda"),
    Setting("batch_size", "batch", Msg("Batch size"), True, 1, None),
    Setting("seed", "seed", Msg("Seed"), True, 0, 2**32 - 1),
)}
LEARNING_RATE_RANGE = (SETTINGS["learning_rate"].low, SETTINGS["learning_rate"].high)
MAX_EPOCHS = SETTINGS["epochs"].high


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
            object.__setattr__(self, f.name, SETTINGS[f.name].check(getattr(self, f.name)))

    def check_fits(self, n_train: int) -> None:
        """Raise ValueError if the batch is larger than the training set."""
        if self.batch_size > n_train:
            raise ValueError(
                f"batch_size {self.batch_size:,} is larger than the {n_train:,} training images"
            )

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, d: dict) -> TrainConfig:
        names = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in d.items() if k in names})

    def describe(self) -> Msg:
        """The settings in words, e.g. "200 epochs, learning rate 0.1, lambda 0.0001, ..."."""
        return Msg("{epochs} epochs, learning rate {lr:g}, lambda {l2:g}, batch {batch}, "
                   "seed {seed}", epochs=self.epochs, lr=self.learning_rate, l2=self.l2,
                   batch=self.batch_size, seed=self.seed)
