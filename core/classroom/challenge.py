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
from core.i18n import Msg

OPERATORS = {">=": operator.ge, "<=": operator.le, ">": operator.gt, "<": operator.lt}
SYMBOLS = {">=": "≥", "<=": "≤", ">": ">", "<": "<"}
# What a condition may test, and its name in words.
FIELDS = {"test_acc": Msg("test accuracy"), "valid_acc": Msg("validation accuracy"),
          "train_acc": Msg("training accuracy"), "test_loss": Msg("test loss"),
          "valid_loss": Msg("validation loss"), "train_loss": Msg("training loss"),
          "learning_rate": Msg("learning rate"), "l2": Msg("lambda"),
          "batch_size": Msg("batch size"), "epochs": Msg("epochs"),
          "epochs_done": Msg("epochs done")}
ACCURACY_FIELDS = ("test_acc", "valid_acc", "train_acc")  # fractions, described as percentages
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

    def describe(self) -> Msg:
        """In words, e.g. "test accuracy ≥ 91.5 %" (an accuracy as a percentage, as every
        other accuracy is shown) or "lambda ≥ 0.001"."""
        if self.field in ACCURACY_FIELDS:
            return Msg("{field} {op} {percent:g} %", field=FIELDS[self.field],
                       op=SYMBOLS[self.op], percent=round(self.value * 100, 6))
        return Msg("{field} {op} {value:g}", field=FIELDS[self.field], op=SYMBOLS[self.op],
                   value=self.value)


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

    def describe(self) -> Msg:
        """The target in words, e.g. "test accuracy ≥ 92 % with lambda ≥ 0.001"."""
        if not self.constraints:
            return self.goal.describe()
        both = self.constraints[0].describe()
        for c in self.constraints[1:]:
            both = Msg("{first} and {second}", first=both, second=c.describe())
        return Msg("{goal} with {constraints}", goal=self.goal.describe(), constraints=both)

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
