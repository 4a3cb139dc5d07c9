"""A class's data as CSV text for the teacher: its runs, and its drawings' metadata.

Times are written in ISO 8601, UTC. Nicknames are exported as typed, except that one
starting with = + - @ (or a tab or carriage return) gets a leading apostrophe: spreadsheet
programs would otherwise run it as a formula ("CSV injection").
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime

from core.classroom.challenge import Challenge
from core.classroom.shared import RunEntry, SharedRun

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
RUN_COLUMNS = ("nickname", "shared_at", *(
    f for f in SharedRun.__dataclass_fields__ if f != "curves"), "meets_challenge", "curves")
DRAWING_COLUMNS = ("drawing_id", "nickname", "label", "added_at")


def iso_time(seconds: float) -> str:
    """Unix seconds as e.g. "2026-11-30T13:05:20Z"."""
    return datetime.fromtimestamp(seconds, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def safe_text(value: str) -> str:
    """``value`` with an apostrophe in front if a spreadsheet would read it as a formula."""
    return "'" + value if value.startswith(FORMULA_STARTS) else value


def _table(columns: Sequence[str], rows: Iterable[Sequence]) -> str:
    """A CSV table with a header row."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(columns)
    writer.writerows(rows)
    return out.getvalue()


def runs_csv(entries: Sequence[tuple[RunEntry, str]], challenge: Challenge | None) -> str:
    """One row per shared run: ``entries`` are (run, its curves as stored JSON). Empty
    metrics are empty cells; ``meets_challenge`` is empty when the class has no challenge."""
    def row(entry: RunEntry, curves: str) -> list:
        values = {**entry.row(), "nickname": safe_text(entry.nickname),
                  "shared_at": iso_time(entry.shared_at), "curves": curves,
                  "meets_challenge": "" if challenge is None else challenge.is_met(entry.run)}
        return ["" if values[c] is None else values[c] for c in RUN_COLUMNS]

    return _table(RUN_COLUMNS, (row(e, c) for e, c in entries))


def drawings_csv(rows: Iterable) -> str:
    """One row per drawing (rows with ``drawing_id``, ``nickname``, ``label``, ``added_at``)."""
    return _table(DRAWING_COLUMNS, ((r.drawing_id, safe_text(r.nickname), r.label,
                                     iso_time(r.added_at)) for r in rows))
