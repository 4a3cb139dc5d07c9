"""What the board and the teacher's export read from a class beyond ``ClassroomStore.board``:
each run's score on the class's handwriting, and every run's curves, through the store's
public API only (``runs``, ``run_curves``, ``check_teacher``; core/classroom/store.py is
not changed for them).

A run's handwriting score lives in its curves (core.classroom.handwriting), which the
board's listing leaves out. A shared run never changes, so :class:`HandwritingScores`
reads the curves of each run once per process and keeps its score (a bounded LRU of
``(class code, run id)``): a board refreshed every 3 s asks the database only about runs
it has not seen. Several replicas each keep their own; nothing goes stale, since runs are
immutable (a deleted run simply stops being asked for).
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Sequence

from core.classroom import ClassroomStore, RunEntry, RunNotFound
from core.classroom.export import curves_csv
from core.classroom.handwriting import HandScore, handwriting_score

SCORES_KEPT = 50_000  # (class, run) scores a process remembers: ~5 MB at most
NEW_PER_CALL = 200  # the most runs' curves one board refresh reads (the rest: next time)


class HandwritingScores:
    """Thread-safe, bounded memory of runs' handwriting scores (None: the run has none)."""

    def __init__(self, kept: int = SCORES_KEPT) -> None:
        self.kept = kept
        self._scores: OrderedDict[tuple[str, str], HandScore | None] = OrderedDict()
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self._scores)

    def _known(self, code: str, run_ids: Sequence[str]) -> dict[str, HandScore | None]:
        with self._lock:
            found = {}
            for run_id in run_ids:
                key = (code, run_id)
                if key in self._scores:
                    self._scores.move_to_end(key)
                    found[run_id] = self._scores[key]
            return found

    def _keep(self, code: str, run_id: str, score: HandScore | None) -> None:
        with self._lock:
            self._scores[(code, run_id)] = score
            while len(self._scores) > self.kept:
                self._scores.popitem(last=False)

    def scores(self, store: ClassroomStore, code: str,
               entries: Sequence[RunEntry]) -> dict[str, HandScore | None]:
        """{run id: its score or None} for the board's ``entries``; runs not seen before
        are read from the store (at most NEW_PER_CALL of them per call, the others are
        missing from the answer until a later call)."""
        ids = [e.run.run_id for e in entries]
        found = self._known(code, ids)
        for run_id in [i for i in ids if i not in found][:NEW_PER_CALL]:
            try:
                found[run_id] = handwriting_score(store.run_curves(code, run_id))
            except RunNotFound:  # cleared since the board was read
                continue
            self._keep(code, run_id, found[run_id])
        return found


SCORES = HandwritingScores()  # the process's


def best_on_handwriting(entries: Sequence[RunEntry],
                        scores: dict[str, HandScore | None]) -> tuple[RunEntry, HandScore] | None:
    """The run with the best handwriting score (the earliest among equals), or None."""
    scored = [(e, scores[e.run.run_id]) for e in entries if scores.get(e.run.run_id)]
    return max(scored, key=lambda pair: pair[1].accuracy, default=None)


def class_curves_csv(store: ClassroomStore, code: str, key: str) -> str:
    """Every run's curves as the teacher's long CSV (core.classroom.export.curves_csv),
    after the teacher key is checked. One read per run: built when the teacher asks."""
    store.check_teacher(code, key)  # a logged-in teacher: never held up by guessers
    pairs = []
    for entry in store.runs(code):
        try:
            pairs.append((entry, store.run_curves(code, entry.run.run_id)))
        except RunNotFound:
            continue
    return curves_csv(pairs)
