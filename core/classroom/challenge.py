"""A class's challenge: a goal a shared run must reach, under optional constraints.

The teacher sets one per class, e.g. preset "lambda too high", text "Beat 92 % without
turning lambda below 0.001", goal ``Condition("test_acc", ">=", 0.92)`` and constraint
``Condition("l2", ">=", 1e-3)``. :meth:`Challenge.is_met` tells whether a run meets it: the
goal and every constraint hold, and the run did not diverge. A metric the run does not
have (None) never meets a condition.
"""

from __future__ import annotations

import json
import math
import operator
from dataclasses import dataclass

from core.classroom.errors import InvalidInput
from core.classroom.shared import SharedRun

OPERATORS = {">=": operator.ge, "<=": operator.le, ">": operator.gt, "<": operator.lt}
SYMBOLS = {">=": "≥", "<=": "≤", ">": ">", "<": "<"}
# What a condition may test, and its name in words.
FIELDS = {"test_acc": "test accuracy", "valid_acc": "validation accuracy",
          "train_acc": "training accuracy", "test_loss": "test loss",
          "valid_loss": "validation loss", "train_loss": "training loss",
          "learning_rate": "learning rate", "l2": "lambda", "batch_size": "batch size",
          "epochs": "epochs", "epochs_done": "epochs done"}
MAX_TEXT = 1000
MAX_PRESET = 60


@dataclass(frozen=True)
class Condition:
    """``run.<field> <op> value``, e.g. Condition("test_acc", ">=", 0.92)."""

    field: str
    op: str
    value: float

    def holds(self, run: SharedRun) -> bool:
        """Does the run's value of ``field`` satisfy it? False when the run lacks the value."""
        mine = getattr(run, self.field)
        return mine is not None and OPERATORS[self.op](mine, self.value)

    def describe(self) -> str:
        """In words, e.g. "test accuracy ≥ 0.92"."""
        return f"{FIELDS[self.field]} {SYMBOLS[self.op]} {self.value:g}"


@dataclass(frozen=True)
class Challenge:
    """The class's challenge: a preset name, the teacher's text, a goal and constraints."""

    preset: str
    text: str
    goal: Condition
    constraints: tuple[Condition, ...] = ()

    def is_met(self, run: SharedRun) -> bool:
        """True when the run did not diverge and the goal and every constraint hold."""
        return not run.diverged and all(c.holds(run) for c in (self.goal, *self.constraints))

    def describe(self) -> str:
        """The target in words, e.g. "test accuracy ≥ 0.92 with lambda ≥ 0.001"."""
        target = self.goal.describe()
        if self.constraints:
            target += " with " + " and ".join(c.describe() for c in self.constraints)
        return target

    def to_json(self) -> str:
        """The stored form (see :func:`challenge_from_json`)."""
        return json.dumps({"preset": self.preset, "text": self.text, "goal": _cond(self.goal),
                           "constraints": [_cond(c) for c in self.constraints]})


def _cond(c: Condition) -> list:
    return [c.field, c.op, c.value]


def challenge_from_json(text: str) -> Challenge:
    """The Challenge stored by :meth:`Challenge.to_json`."""
    d = json.loads(text)
    return Challenge(d["preset"], d["text"], Condition(*d["goal"]),
                     tuple(Condition(*c) for c in d["constraints"]))


def _check_condition(c: Condition) -> Condition:
    """``c`` with a float value, or InvalidInput naming what is wrong."""
    if not isinstance(c, Condition) or c.field not in FIELDS:
        raise InvalidInput(f"A challenge can test only: {', '.join(FIELDS)}.")
    if c.op not in OPERATORS:
        raise InvalidInput(f"A challenge compares with {', '.join(OPERATORS)}, not {c.op!r}.")
    if isinstance(c.value, bool) or not isinstance(c.value, (int, float)) or not math.isfinite(
            c.value):
        raise InvalidInput(f"A challenge's target must be a finite number, got {c.value!r}.")
    return Condition(c.field, c.op, float(c.value))


def check_challenge(ch: Challenge) -> Challenge:
    """``ch`` checked: known fields and operators, finite numbers, text and preset not too
    long (the text may have new lines; escaping it is the page's job)."""
    if not isinstance(ch.preset, str) or len(ch.preset) > MAX_PRESET:
        raise InvalidInput(f"A challenge's preset name has at most {MAX_PRESET} characters.")
    if not isinstance(ch.text, str) or len(ch.text) > MAX_TEXT:
        raise InvalidInput(f"A challenge's text has at most {MAX_TEXT} characters.")
    return Challenge(ch.preset, ch.text, _check_condition(ch.goal),
                     tuple(_check_condition(c) for c in ch.constraints))
