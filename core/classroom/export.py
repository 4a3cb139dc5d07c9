"""A class's data as CSV text for the teacher: its runs, their curves, and its drawings' list.

Three files, each one table a spreadsheet opens as it is:

- the runs (:func:`runs_csv`): one row per shared run, its settings and final numbers, and
  its score on the class's handwriting when it was shared (``handwriting_acc`` on
  ``handwriting_n`` drawings: core.classroom.handwriting);
- the curves (:func:`curves_csv`), in long format, one row per run, epoch and metric:
  ``nickname, run_id, epoch, metric, value`` (a pivot table or ``pandas.pivot`` makes any
  wide view of it), so the main table stays one line per run;
- the drawings (:func:`drawings_csv`): one row per drawing, no pixels.

Every file starts with a UTF-8 byte order mark, so Excel (Japanese Windows included, which
otherwise reads CSV as Shift-JIS) shows たろう, not mojibake; Python's ``csv`` reads it with
``encoding="utf-8-sig"``. Times are UTC, said in the column's name (``shared_at_utc``) and in
the value (ISO 8601 with ``Z``). Nicknames are exported as typed, except that one starting
with = + - @ (or a tab or carriage return) gets a leading apostrophe: spreadsheet programs
would otherwise run it as a formula ("CSV injection").
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime

from core.classroom.challenge import Challenge
from core.classroom.handwriting import CLASS_ACC, CLASS_N, handwriting_score
from core.classroom.shared import RunEntry, SharedRun, unpack_curves

BOM = "\ufeff"  # UTF-8's byte order mark: Excel then reads the file as UTF-8
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
RUN_COLUMNS = ("nickname", "shared_at_utc", *(
    f for f in SharedRun.__dataclass_fields__ if f != "curves"), "meets_challenge",
    "handwriting_acc", "handwriting_n")
CURVE_COLUMNS = ("nickname", "run_id", "epoch", "metric", "value")
DRAWING_COLUMNS = ("drawing_id", "nickname", "label", "added_at_utc")
NOT_METRICS = ("epoch", CLASS_ACC, CLASS_N)  # curves that are not a metric by epoch


def iso_time(seconds: float) -> str:
    """Unix seconds as e.g. "2026-11-30T13:05:20Z" (UTC)."""
    return datetime.fromtimestamp(seconds, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def safe_text(value: str) -> str:
    """``value`` with an apostrophe in front if a spreadsheet would read it as a formula."""
    return "'" + value if value.startswith(FORMULA_STARTS) else value


def _table(columns: Sequence[str], rows: Iterable[Sequence]) -> str:
    """A CSV table with a header row, after a byte order mark."""
    out = io.StringIO()
    out.write(BOM)
    writer = csv.writer(out)
    writer.writerow(columns)
    writer.writerows(rows)
    return out.getvalue()


def runs_csv(entries: Sequence[tuple[RunEntry, str]], challenge: Challenge | None) -> str:
    """One row per shared run: ``entries`` are (run, its curves as stored JSON). Empty
    metrics are empty cells; ``meets_challenge`` is empty when the class has no challenge,
    ``handwriting_*`` when the run was shared without a score on the class's drawings."""
    def row(entry: RunEntry, curves: str) -> list:
        hand = handwriting_score(unpack_curves(curves))
        values = {**entry.row(), "nickname": safe_text(entry.nickname),
                  "shared_at_utc": iso_time(entry.shared_at),
                  "meets_challenge": "" if challenge is None else challenge.is_met(entry.run),
                  "handwriting_acc": None if hand is None else hand.accuracy,
                  "handwriting_n": None if hand is None else hand.n}
        return ["" if values[c] is None else values[c] for c in RUN_COLUMNS]

    return _table(RUN_COLUMNS, (row(e, c) for e, c in entries))


def _curve_rows(entry: RunEntry, curves: dict) -> Iterable[list]:
    """A run's curves as long rows: one per epoch and metric with a value."""
    epochs = curves.get("epoch", [])
    nick = safe_text(entry.nickname)
    for metric, values in curves.items():
        if metric in NOT_METRICS or len(values) != len(epochs):
            continue
        for epoch, value in zip(epochs, values, strict=True):
            if value is not None:
                yield [nick, entry.run.run_id, epoch, metric, value]


def curves_csv(entries: Iterable[tuple[RunEntry, dict]]) -> str:
    """Every run's curves in long format (``nickname, run_id, epoch, metric, value``):
    ``entries`` are (run, its curves as ``ClassroomStore.run_curves`` gives them); an
    empty value (a diverged epoch) is left out."""
    return _table(CURVE_COLUMNS, (r for e, c in entries for r in _curve_rows(e, c)))


def drawings_csv(rows: Iterable) -> str:
    """One row per drawing (rows with ``drawing_id``, ``nickname``, ``label``, ``added_at``)."""
    return _table(DRAWING_COLUMNS, ((r.drawing_id, safe_text(r.nickname), r.label,
                                     iso_time(r.added_at)) for r in rows))


EXPERIMENT_COLUMNS = ("setting", "value", "nickname", "run_id", "seed", "train_acc",
                      "valid_acc", "test_acc")


def experiment_csv(board) -> str:
    """The class experiment (core.classroom.lessons.ExperimentBoard): one row per run by
    grid value, then one row (no run) for each value still missing; None: the header only."""
    if board is None:
        return _table(EXPERIMENT_COLUMNS, [])
    name = board.experiment.setting
    rows = [[name, value, safe_text(e.nickname), e.run.run_id, e.run.seed,
             *("" if getattr(e.run, k) is None else getattr(e.run, k)
               for k in ("train_acc", "valid_acc", "test_acc"))] for value, e in board.points]
    rows += [[name, value, "", "", "", "", "", ""] for value in board.missing]
    return _table(EXPERIMENT_COLUMNS, rows)
