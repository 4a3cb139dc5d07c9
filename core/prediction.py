"""Predict, then run (issue 25, item 1): a student commits a guess before Start and the
guess is scored against what the run reached.

A :class:`Prediction` is either

- ``kind == ACCURACY``: the validation accuracy the run will reach, in percent (``value``);
- ``kind == RELATIVE``: "higher", "lower" or "about the same" (``direction``) as the last
  run's validation accuracy (``baseline``, a fraction in [0, 1], kept when the guess is made).

:func:`score` compares a prediction with the result (a fraction in [0, 1]) and says how it
went, e.g. "off by 1.2 points" or "right: higher". Everything here is pure: the page keeps
the predictions (ui.prediction) and translates the :class:`core.i18n.Msg` texts.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace

from core.i18n import Msg

__all__ = ["ACCURACY", "DIRECTIONS", "KEPT", "REASON_CHARS", "RELATIVE", "SAME_POINTS",
           "Prediction", "Score", "actual_direction", "attach", "guess_text", "make_prediction",
           "outcome", "resolve", "score",
           "table_rows"]

ACCURACY = "accuracy"
RELATIVE = "relative"
DIRECTIONS = {"higher": Msg("higher"), "lower": Msg("lower"), "same": Msg("about the same")}
SAME_POINTS = 0.5  # within half a point of the last run counts as "about the same"
REASON_CHARS = 120  # a reason is one line
KEPT = 50  # the most predictions a session keeps (the oldest go first)


@dataclass(frozen=True)
class Prediction:
    """One committed guess. ``ticket`` is the run it was made for (None until Start);
    ``result`` the run's final validation accuracy (a fraction) once it has ended."""

    kind: str
    value: float | None = None  # ACCURACY: percent, 0..100
    direction: str | None = None  # RELATIVE: a key of DIRECTIONS
    baseline: float | None = None  # RELATIVE: the last run's validation accuracy, 0..1
    reason: str = ""
    ticket: int | None = None
    result: float | None = None


@dataclass(frozen=True)
class Score:
    """How a prediction went: ``right`` for a relative guess (None for a number), ``points``
    how far a number was from the result, ``text`` the verdict to show."""

    text: Msg
    right: bool | None
    points: float | None


def make_prediction(kind: str, value: float | None = None, direction: str | None = None,
                    reason: str = "", baseline: float | None = None) -> Prediction:
    """A checked prediction; ValueError (a message for the student) when it cannot be one.
    The reason is put on one line and cut to :data:`REASON_CHARS` characters."""
    reason = " ".join(str(reason or "").split())[:REASON_CHARS]
    if kind == ACCURACY:
        if value is None or not math.isfinite(value) or not 0.0 <= value <= 100.0:
            raise ValueError(Msg("A predicted accuracy is a number from 0 to 100 %."))
        return Prediction(ACCURACY, value=float(value), reason=reason)
    if kind == RELATIVE:
        if direction not in DIRECTIONS:
            raise ValueError(Msg("Choose higher, lower or about the same."))
        if baseline is None or not 0.0 <= baseline <= 1.0:
            raise ValueError(Msg("There is no last run to compare with."))
        return Prediction(RELATIVE, direction=direction, baseline=float(baseline), reason=reason)
    raise ValueError(Msg("Unknown kind of prediction."))


def actual_direction(baseline: float, result: float) -> str:
    """"higher", "lower" or "same": ``result`` against ``baseline`` (fractions), with
    :data:`SAME_POINTS` points either way counted as the same."""
    change = 100.0 * (result - baseline)
    if change > SAME_POINTS:
        return "higher"
    return "lower" if change < -SAME_POINTS else "same"


def score(prediction: Prediction, result: float) -> Score:
    """``prediction`` against the run's validation accuracy ``result`` (a fraction)."""
    if prediction.kind == ACCURACY:
        points = abs(prediction.value - 100.0 * result)
        if points < 0.05:
            return Score(Msg("spot on"), None, points)
        return Score(Msg("off by {points:.1f} points", points=points), None, points)
    actual = actual_direction(prediction.baseline, result)
    if actual == prediction.direction:
        return Score(Msg("right: {direction}", direction=DIRECTIONS[actual]), True, None)
    return Score(Msg("wrong: it was {direction}", direction=DIRECTIONS[actual]), False, None)


def guess_text(prediction: Prediction) -> Msg:
    """The guess as a short text: "92.0 %" or "higher than 91.3 %"."""
    if prediction.kind == ACCURACY:
        return Msg("{value:.1f} %", value=prediction.value)
    return Msg("{direction} than {baseline:.1f} %", direction=DIRECTIONS[prediction.direction],
               baseline=100.0 * prediction.baseline)


def attach(predictions: list, ticket: int) -> list:
    """The list with its pending prediction (the last, without a ticket) given to the run
    ``ticket``; unchanged when none is pending. At most :data:`KEPT` kept."""
    if predictions and predictions[-1].ticket is None:
        predictions = [*predictions[:-1], replace(predictions[-1], ticket=ticket)]
    return predictions[-KEPT:]


def resolve(predictions: list, ticket: int, result: float) -> list:
    """The list with the prediction for run ``ticket`` given its ``result``."""
    return [replace(p, result=result) if p.ticket == ticket and p.result is None else p
            for p in predictions]


def outcome(predictions: list, ticket: int) -> Prediction | None:
    """The prediction made for run ``ticket``, if any."""
    return next((p for p in reversed(predictions) if p.ticket == ticket), None)


def table_rows(predictions: list, names: dict, tr) -> list[dict]:
    """"How good is my intuition?": one row per scored prediction, oldest first, with the
    run's name (``names``: ticket -> a name), the guess, the result and the verdict."""
    rows = []
    for p in predictions:
        if p.result is None:
            continue
        rows.append({tr("Run"): tr(names.get(p.ticket, str(p.ticket))),
                     tr("My prediction"): tr(guess_text(p)),
                     tr("Validation accuracy"): f"{100.0 * p.result:.1f} %",
                     tr("Verdict"): tr(score(p, p.result).text),
                     tr("Why I thought so"): p.reason})
    return rows
