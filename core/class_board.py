"""The class board of Classroom mode as data and figures: no Streamlit, testable on its own.

The pages (ui/class_page.py) read a class from :mod:`core.classroom` and hand the entries
here: :func:`board_figure` (every shared run: a setting on a log axis, test accuracy up),
:func:`board_rows` (the sortable table), :func:`history_from_curves` (a shared run's curves
in the form :func:`core.figures.curves_figure` draws), :func:`class_set_evaluation` (a model
on the class's own drawings), :func:`markdown_literal` (user text shown as typed: from
core.markup), and counts in words (:func:`meeting_challenge`, :func:`runs_deleted`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace

import numpy as np

from core.board_scatter import X_AXES, ZERO_LAMBDA_AT, board_figure  # noqa: F401 (re-exported)
from core.classroom import Challenge, RunEntry
from core.classroom.handwriting import HandScore
from core.i18n import ENGLISH, Msg, Translator
from core.markup import markdown_literal  # noqa: F401 (the pages' import)
from core.metrics import Evaluation
from core.model import SoftmaxWeights
from core.preprocess import PREPROCESSINGS

# The board table's columns (board_rows' keys) as people read them.
BOARD_COLUMNS = {"student": Msg("student"), "test acc": Msg("test acc"),
                 "learning rate": Msg("learning rate"), "lambda": Msg("lambda"),
                 "epochs": Msg("epochs"), "meets challenge": Msg("meets challenge"),
                 "diverged": Msg("diverged"), "valid acc": Msg("valid acc"),
                 "train acc": Msg("train acc"), "batch": Msg("batch"), "digits": Msg("digits"),
                 "handwriting": Msg("our handwriting")}


def _counted(n: int, none: Msg, one: Msg, many: Msg) -> Msg:
    """The sentence for ``n`` things in words: none, one or many (no "run(s)")."""
    return none if n <= 0 else one if n == 1 else many


def meeting_challenge(n: int) -> Msg:
    """How many of the board's runs meet the challenge, in words."""
    return _counted(n, Msg("No run meets it yet."), Msg("1 run meets it: the gold star."),
                    Msg("{n} runs meet it: the gold stars.", n=n))


def runs_deleted(n: int) -> Msg:
    """What clearing the board did, in words: ``n`` runs deleted, the drawings kept."""
    return _counted(n, Msg("The board had no runs to delete; drawings stay."),
                    Msg("1 run deleted; drawings stay."),
                    Msg("{n} runs deleted; drawings stay.", n=n))


def board_rows(entries: Sequence[RunEntry], challenge: Challenge | None = None,
               handwriting: Mapping[str, HandScore | None] | None = None) -> list[dict]:
    """The board's table: one row per run, oldest first, so a row keeps its place while
    runs are added (the table sorts itself when a column's header is clicked). With
    ``handwriting`` ({run id: score}, core.class_scores) a column "handwriting" holds each
    run's accuracy on the class's drawings when it was shared (None: not scored)."""
    rows = []
    for e in entries:
        r = e.run
        row = {"student": e.nickname, "test acc": r.test_acc, "learning rate": r.learning_rate,
               "lambda": r.l2, "epochs": r.epochs_done}
        if handwriting is not None:
            score = handwriting.get(r.run_id)
            row["handwriting"] = None if score is None else score.accuracy
        if challenge is not None:
            row["meets challenge"] = challenge.is_met(r)
        row.update({"diverged": r.diverged, "valid acc": r.valid_acc, "train acc": r.train_acc,
                    "batch": r.batch_size,
                    "digits": PREPROCESSINGS.get(r.preprocessing, r.preprocessing),
                    "run_id": r.run_id, "shared_at": e.shared_at})
        rows.append(row)
    return rows


def anonymised(entries: Sequence[RunEntry], tr: Translator = ENGLISH) -> list[RunEntry]:
    """``entries`` with each nickname replaced by "student 1", "student 2", ... in the order
    the students first shared (for a public display: ``/projector?...&names=0``)."""
    numbers: dict[str, int] = {}
    return [replace(e, nickname=tr("student {n}", n=numbers.setdefault(e.nickname,
                                                                         len(numbers) + 1)))
            for e in entries]


@dataclass(frozen=True)
class CurvePoint:
    """One epoch of a shared run's curves, with the attributes curves_figure reads."""

    epoch: int
    train_loss: float | None
    train_acc: float | None
    valid_loss: float | None
    valid_acc: float | None


def history_from_curves(curves: Mapping[str, Sequence]) -> list[CurvePoint]:
    """A shared run's curves (ClassroomStore.run_curves) as a history for curves_figure;
    a curve the run did not share is drawn as a gap."""
    epochs = list(curves.get("epoch", []))

    def values(name: str) -> list:
        got = list(curves.get(name, []))
        return got if len(got) == len(epochs) else [None] * len(epochs)

    names = ("train_loss", "train_acc", "valid_loss", "valid_acc")
    columns = [values(n) for n in names]
    return [CurvePoint(int(e), *(c[i] for c in columns)) for i, e in enumerate(epochs)]


def class_set_evaluation(model: SoftmaxWeights, images: np.ndarray,
                         labels: np.ndarray) -> Evaluation | None:
    """The model on the class's drawings (``images`` (n, 784) uint8 as centred like MNIST,
    prepared as the model's own preprocessing says); None without drawings."""
    if len(labels) == 0:
        return None
    return Evaluation(model.read(np.asarray(images, np.uint8))[1], np.asarray(labels))
