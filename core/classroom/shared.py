"""A run as students share it: its settings, how it ended, and its curves, checked and packed.

:class:`SharedRun` is what a page hands to ``ClassroomStore.share_run`` and what the board
gives back (without curves in listings; ``run_curves`` loads them). Its ``run_id`` is chosen
by the page once per run (``uuid.uuid4().hex``), so sharing the same run twice, e.g. a retried
click, stores it once.

Curves are per-epoch lists (``{"train_loss": [...], "valid_acc": [...], ...}``) stored as
compact JSON: six significant digits, NaN and infinities as null, an ``"epoch"`` list added
(1, 2, 3, ... unless given), and runs longer than ``Limits.curve_points`` epochs thinned
evenly, the first and last epochs kept, so a 10,000-epoch run is shared as well as a short
one.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, fields, replace

import numpy as np

from core.classroom.errors import InvalidInput
from core.classroom.limits import Limits
from core.config import SETTINGS
from core.preprocess import PREPROCESSINGS

RUN_ID = re.compile(r"[A-Za-z0-9_-]{1,64}")
LABEL = re.compile(r"[A-Za-z0-9_.:+-]{1,40}")  # dataset names
CURVE_NAME = re.compile(r"[a-z][a-z0-9_]{0,31}")
MAX_CURVES = 12
ACCURACIES = ("train_acc", "valid_acc", "test_acc")
LOSSES = ("train_loss", "valid_loss", "test_loss")
SETTING_FIELDS = ("learning_rate", "l2", "batch_size", "epochs", "seed")


@dataclass(frozen=True)
class SharedRun:
    """One finished (or stopped) run as the class sees it. Accuracies are fractions (0.92)."""

    run_id: str
    dataset: str
    preprocessing: str
    learning_rate: float
    l2: float
    batch_size: int
    epochs: int
    seed: int | None
    epochs_done: int
    train_acc: float | None = None
    valid_acc: float | None = None
    test_acc: float | None = None
    train_loss: float | None = None
    valid_loss: float | None = None
    test_loss: float | None = None
    diverged: bool = False
    curves: Mapping[str, Sequence[float | None]] = field(default_factory=dict)

    def columns(self) -> dict:
        """Every field but the curves, e.g. for a table row or a database row."""
        return {f.name: getattr(self, f.name) for f in fields(self) if f.name != "curves"}


@dataclass(frozen=True)
class RunEntry:
    """A run on a class's board: who shared it, when (Unix seconds), and the run (no curves)."""

    nickname: str
    shared_at: float
    run: SharedRun

    def row(self) -> dict:
        """A flat dict, nickname first: what a board table or the CSV export shows."""
        return {"nickname": self.nickname, "shared_at": self.shared_at, **self.run.columns()}


def _setting(name: str, value):
    """``value`` checked by core.config's rule for that setting (the Train page's own)."""
    try:
        return SETTINGS[name].check(value)
    except ValueError as exc:
        raise InvalidInput(f"This run cannot be shared: {exc}.") from None


def _fraction(name: str, value) -> float | None:
    """An accuracy as a float in [0, 1], None when unknown (None or NaN)."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 <= value <= 1:
        raise InvalidInput(f"This run cannot be shared: {name} must be between 0 and 1, "
                           f"got {value!r}.")
    return float(value)


def _loss(name: str, value) -> float | None:
    """A loss as a float >= 0, None when unknown or not finite (a diverged run's)."""
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value < 0:
        raise InvalidInput(f"This run cannot be shared: {name} must be a number >= 0, "
                           f"got {value!r}.")
    return float(value) if math.isfinite(value) else None


def _dataset(value) -> str:
    """A dataset name: 1-40 letters, digits or _ . : + -."""
    if not isinstance(value, str) or not LABEL.fullmatch(value):
        raise InvalidInput("This run cannot be shared: dataset must be a short name "
                           f"(letters, digits, _ . : + -), got {value!r}.")
    return value


def _preprocessing(value) -> str:
    """One of core.preprocess.PREPROCESSINGS ("none", "deskew")."""
    if value not in PREPROCESSINGS:
        raise InvalidInput(f"This run cannot be shared: preprocessing must be one of "
                           f"{', '.join(PREPROCESSINGS)}, got {value!r}.")
    return value


def check_run(run: SharedRun) -> SharedRun:
    """``run`` with every field checked and converted (floats, ints, None for unknown);
    InvalidInput names the first field that is wrong. The curves are checked by
    :func:`pack_curves`."""
    if not isinstance(run.run_id, str) or not RUN_ID.fullmatch(run.run_id):
        raise InvalidInput("This run cannot be shared: its id must be 1-64 letters, digits, "
                           "_ or - (e.g. a uuid).")
    settings = {k: _setting(k, getattr(run, k)) for k in SETTING_FIELDS if k != "seed"}
    seed = None if run.seed is None else _setting("seed", run.seed)
    done = run.epochs_done
    if isinstance(done, bool) or not isinstance(done, int) or not 0 <= done <= SETTINGS[
            "epochs"].high:
        raise InvalidInput(f"This run cannot be shared: epochs_done must be a whole number "
                           f"between 0 and {SETTINGS['epochs'].high:,}, got {done!r}.")
    return replace(run, dataset=_dataset(run.dataset),
                   preprocessing=_preprocessing(run.preprocessing), seed=seed,
                   **settings, **{k: _fraction(k, getattr(run, k)) for k in ACCURACIES},
                   **{k: _loss(k, getattr(run, k)) for k in LOSSES},
                   diverged=bool(run.diverged))


def _number(value) -> float | int | None:
    """One curve value: an int as it is, a float rounded to 6 significant digits, None for
    NaN, infinities and None."""
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float, np.number)):
        raise InvalidInput(f"This run cannot be shared: a curve holds {value!r}, not a number.")
    if isinstance(value, (int, np.integer)):
        return int(value)  # epochs stay whole numbers
    value = float(value)
    return float(f"{value:.6g}") if math.isfinite(value) else None


def thin_indices(n: int, points: int) -> list[int]:
    """At most ``points`` indices of 0..n-1, evenly spread, always with the first and last."""
    if n <= points:
        return list(range(n))
    return sorted({round(i * (n - 1) / (points - 1)) for i in range(points)})


def pack_curves(curves: Mapping[str, Sequence], limits: Limits) -> str:
    """The curves as the compact JSON stored with a run (see the module's docstring);
    InvalidInput when they are malformed or, thinned, still larger than the bound."""
    if not isinstance(curves, Mapping) or len(curves) > MAX_CURVES:
        raise InvalidInput(f"This run cannot be shared: its curves must be at most "
                           f"{MAX_CURVES} named lists.")
    if any(not isinstance(k, str) or not CURVE_NAME.fullmatch(k) for k in curves):
        raise InvalidInput("This run cannot be shared: a curve name must be lower-case "
                           "letters, digits and _.")
    lists = {k: list(v) for k, v in curves.items()}
    lengths = {len(v) for v in lists.values()}
    if len(lengths) > 1:
        raise InvalidInput("This run cannot be shared: its curves must all have one value "
                           "per epoch (their lengths differ).")
    n = lengths.pop() if lengths else 0
    lists.setdefault("epoch", list(range(1, n + 1)))
    keep = thin_indices(n, limits.curve_points)
    packed = {k: [_number(v[i]) for i in keep] for k, v in lists.items()}
    text = json.dumps(packed, separators=(",", ":"), allow_nan=False)
    if len(text) > limits.curves_bytes:
        raise InvalidInput(f"This run's curves are too large to share "
                           f"({len(text):,} bytes, at most {limits.curves_bytes:,}).")
    return text


def unpack_curves(text: str | None) -> dict[str, list[float | None]]:
    """The curves stored by :func:`pack_curves` (an empty dict for none)."""
    return json.loads(text) if text else {}


def run_from_columns(columns: Mapping) -> SharedRun:
    """A SharedRun (no curves) from a mapping with its column names, e.g. a database row."""
    return SharedRun(**{f.name: columns[f.name] for f in fields(SharedRun) if f.name != "curves"})

