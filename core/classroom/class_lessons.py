"""The two class lessons of issue 25, as pure values: one prediction question for the whole
class, and a class experiment (a sweep run by thirty students, one grid value each).

**A question** (:class:`Question`) is tied to a preset (core.presets.PRESETS): "lambda =
0.1: what test accuracy will it reach?". Students answer with a predicted accuracy in
percent; the real results are the class's shared runs with the preset's settings (learning
rate, lambda, batch size, epochs: :func:`matches`). :func:`histogram` counts answers in
bins of :data:`BIN_POINTS` points for the board.

**An experiment** (:class:`Experiment`) varies one setting of :data:`EXPERIMENT_SETTINGS`
over a log-spaced grid (:func:`log_grid`) with every other setting, the seed included,
fixed. Each student gets one grid value: the least-covered one, the smallest first
(:func:`least_covered`). :func:`curve` gathers the shared runs that match a grid value, and
says which values are still missing.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field

from core.classroom.errors import InvalidInput
from core.config import SETTINGS, TrainConfig
from core.i18n import Msg
from core.presets import PRESETS

__all__ = ["BIN_POINTS", "EXPERIMENT_SETTINGS", "MAX_POINTS", "QUESTION_CHARS", "Experiment",
           "Question", "check_answer", "check_experiment", "check_question", "curve",
           "histogram", "least_covered", "log_grid", "matches"]

QUESTION_CHARS = 200
REASON_CHARS = 120
BIN_POINTS = 2.0  # the board's histogram: answers counted in bins this wide (points)
MAX_POINTS = 12  # the most values in an experiment's grid
EXPERIMENT_SETTINGS = {"l2": Msg("lambda"), "learning_rate": Msg("learning rate"),
                       "batch_size": Msg("batch size"), "epochs": Msg("epochs")}
MATCHED = ("learning_rate", "l2", "batch_size", "epochs")  # what makes a run "the preset's"
WHOLE = ("batch_size", "epochs")
MAX_BATCH = 50_000  # batch size has no upper bound of its own: the training set's size


def _same(a: float, b: float) -> bool:
    return math.isclose(float(a), float(b), rel_tol=1e-9, abs_tol=1e-15)


@dataclass(frozen=True)
class Question:
    """The class's prediction question: its ``text`` (as the teacher typed it), the
    ``preset`` it is tied to, and that preset's settings (TrainConfig fields)."""

    text: str
    preset: str
    settings: dict = field(default_factory=dict)

    def to_json(self) -> str:
        return json.dumps({"text": self.text, "preset": self.preset, "settings": self.settings})

    @staticmethod
    def from_json(text: str) -> Question:
        data = json.loads(text)
        return Question(data["text"], data["preset"], data["settings"])


def check_question(text: str, preset: str) -> Question:
    """A question for ``preset`` (a key of PRESETS); its text on one line, at most
    :data:`QUESTION_CHARS` characters. InvalidInput otherwise."""
    if preset not in PRESETS:
        raise InvalidInput(Msg("Pick one of the lessons for the question."))
    text = " ".join(str(text or "").split())[:QUESTION_CHARS]
    if not text:
        raise InvalidInput(Msg("Type the question the class should answer."))
    return Question(text, preset, PRESETS[preset].config().to_dict())


def check_answer(value: float, reason: str = "") -> tuple[float, str]:
    """A predicted accuracy (percent, 0..100) and a one-line reason, checked."""
    try:
        value = float(value)
    except (TypeError, ValueError):
        value = math.nan
    if not 0.0 <= value <= 100.0:
        raise InvalidInput(Msg("A predicted accuracy is a number from 0 to 100 %."))
    return value, " ".join(str(reason or "").split())[:REASON_CHARS]


def matches(settings: dict, run, fields=MATCHED) -> bool:
    """Was ``run`` (a SharedRun) trained with ``settings`` for each of ``fields``?"""
    return all(_same(getattr(run, f), settings[f]) for f in fields
               if getattr(run, f) is not None)


def histogram(values: list[float], width: float = BIN_POINTS) -> list[tuple[float, int]]:
    """Answers (percent) counted in bins ``width`` points wide: (bin's low end, count) for
    each non-empty bin, lowest first. 100 % falls in the last bin below it."""
    counts: dict[float, int] = {}
    for v in values:
        low = min(math.floor(v / width) * width, 100.0 - width)
        counts[low] = counts.get(low, 0) + 1
    return sorted(counts.items())


def log_grid(setting: str, low: float, high: float, points: int) -> list[float]:
    """``points`` values from ``low`` to ``high`` spaced evenly on a log scale (whole numbers
    for batch size and epochs, duplicates dropped), each within the setting's bounds."""
    if setting not in EXPERIMENT_SETTINGS:
        raise InvalidInput(Msg("Pick lambda, learning rate, batch size or epochs."))
    bounds = SETTINGS[setting]
    top = MAX_BATCH if bounds.high is None else bounds.high
    if not (2 <= points <= MAX_POINTS and 0 < low < high and bounds.low <= low <= high <= top):
        raise InvalidInput(Msg("Give a range from a positive low to a higher high value, within "
                               "the setting's limits ({low:g} to {high:g}), and 2 to {most} "
                               "values.", low=bounds.low, high=top, most=MAX_POINTS))
    step = (math.log10(high) - math.log10(low)) / (points - 1)
    values = [10 ** (math.log10(low) + i * step) for i in range(points)]
    if bounds.choices:  # the Train page offers these values only: the nearest on a log scale
        offered = [c for c in bounds.choices if c > 0]
        values = [min(offered, key=lambda c, v=v: abs(math.log10(c / v))) for v in values]
    values = [float(round(v)) if setting in WHOLE else float(f"{v:.3g}") for v in values]
    return sorted(set(values))


@dataclass(frozen=True)
class Experiment:
    """A class experiment: ``setting`` takes each of ``values``; every other setting (the
    seed too) is ``base``'s (TrainConfig fields)."""

    setting: str
    values: tuple
    base: dict

    def to_json(self) -> str:
        return json.dumps({"setting": self.setting, "values": list(self.values),
                           "base": self.base})

    @staticmethod
    def from_json(text: str) -> Experiment:
        data = json.loads(text)
        return Experiment(data["setting"], tuple(data["values"]), data["base"])

    def settings(self, point: int) -> dict:
        """The full settings (TrainConfig fields) of grid value number ``point``."""
        value = self.values[point]
        return {**self.base, self.setting: int(value) if self.setting in WHOLE else value}


def check_experiment(setting: str, low: float, high: float, points: int,
                     base: dict) -> Experiment:
    """An experiment over a log-spaced grid (see :func:`log_grid`); ``base`` checked as a
    TrainConfig (InvalidInput if it is not one)."""
    values = log_grid(setting, low, high, points)
    try:
        config = TrainConfig(**{k: base[k] for k in TrainConfig().to_dict()})
    except (KeyError, TypeError, ValueError) as exc:
        raise InvalidInput(Msg("The fixed settings are not valid.")) from exc
    return Experiment(setting, tuple(values), config.to_dict())


def least_covered(n_points: int, taken: list[int]) -> int:
    """The grid value to give next: the one fewest students have, the smallest first.
    ``taken``: the grid value numbers already given, one per student."""
    return min(range(n_points), key=lambda i: (taken.count(i), i))


def curve(experiment: Experiment, runs: list) -> tuple[list[tuple[float, object]], list[float]]:
    """(the shared runs of the experiment as (grid value, SharedRun) pairs ordered by value,
    the grid values no run has yet). A run belongs to a value when it was trained with that
    value's settings: the same four settings and the same seed."""
    fixed = [*MATCHED, "seed"]
    found = []
    for run in runs:
        for i, value in enumerate(experiment.values):
            if matches(experiment.settings(i), run, fixed) and run.seed is not None:
                found.append((value, run))
                break
    have = {v for v, _ in found}
    return sorted(found, key=lambda p: p[0]), [v for v in experiment.values if v not in have]
