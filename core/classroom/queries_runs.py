"""The store's queries on shared runs: sharing one (idempotent, within the student's quota),
listing the class's runs, one run's curves, and the board's summary.

Plain functions over an open connection inside the store's transaction."""

from __future__ import annotations

import statistics

from sqlalchemy import Connection, insert, select

from core.classroom import schema as db
from core.classroom.errors import Conflict, LimitReached
from core.classroom.lookup import count
from core.classroom.records import Board, Student, class_challenge
from core.classroom.shared import RunEntry, SharedRun, run_from_columns
from core.i18n import Msg

RUN_COLUMNS = [c for c in db.runs.c if c.name in SharedRun.__dataclass_fields__]
QUOTA_WORDS = {"runs": Msg("runs"), "drawings": Msg("drawings")}  # in LimitReached


def check_quota(conn: Connection, table, student: Student, limit: int, what: str) -> None:
    """LimitReached when the student already has ``limit`` rows in ``table``."""
    if count(conn, table, student_id=student.student_id) >= limit:
        raise LimitReached(Msg("You have shared {n} {what}, the most one student can have "
                               "in a class. Ask your teacher to make room.", n=limit,
                               what=QUOTA_WORDS.get(what, what)))


def already_shared(conn: Connection, table, id_column: str, student: Student, item_id: str,
                   conflict: Msg) -> bool:
    """Has this student already stored the item with this id in ``table`` (a retry)?
    Conflict (with message ``conflict``) if another student of the class has."""
    owner = conn.execute(select(table.c.student_id).where(
        table.c.class_id == student.class_id, table.c[id_column] == item_id)).scalar()
    if owner is not None and owner != student.student_id:
        raise Conflict(conflict)
    return owner is not None


def insert_run(conn: Connection, student: Student, run: SharedRun, curves: str, now: float,
               most: int) -> bool:
    """Store a checked run with its packed curves: True, or False if this student already
    shared this run id (a retry); Conflict or LimitReached as the store says."""
    if already_shared(conn, db.runs, "run_id", student, run.run_id,
                      Msg("Another student already shared a run with this id.")):
        return False
    check_quota(conn, db.runs, student, most, "runs")
    conn.execute(insert(db.runs).values(class_id=student.class_id, student_id=student.student_id,
                                        shared_at=now, curves=curves, **run.columns()))
    return True


def class_runs(conn: Connection, class_id: int, with_curves: bool = False) -> list:
    """The class's runs as RunEntry, oldest first (with their curves' JSON if asked:
    (entry, json) pairs)."""
    extra = [db.runs.c.curves] if with_curves else []
    rows = conn.execute(
        select(db.students.c.nickname, db.runs.c.shared_at, *RUN_COLUMNS, *extra)
        .join(db.students, db.students.c.id == db.runs.c.student_id)
        .where(db.runs.c.class_id == class_id)
        .order_by(db.runs.c.shared_at, db.runs.c.id)).all()
    entries = [RunEntry(r.nickname, r.shared_at, run_from_columns(r._mapping)) for r in rows]
    return list(zip(entries, (r.curves for r in rows), strict=True)) if with_curves else entries


def curves_json(conn: Connection, class_id: int, run_id: str) -> str | None:
    """One shared run's curves as stored (JSON), or None if the run is not on the board."""
    return conn.execute(select(db.runs.c.curves).where(
        db.runs.c.class_id == class_id, db.runs.c.run_id == str(run_id))).scalar()


def summarise(cls, entries: list[RunEntry], n_students: int, training: int) -> Board:
    """The Board of the class of row ``cls`` from its runs and counts."""
    challenge = class_challenge(cls)
    scored = [e for e in entries if e.run.test_acc is not None]
    best = max(scored, key=lambda e: e.run.test_acc, default=None)  # first of equals
    median = statistics.median(e.run.test_acc for e in scored) if scored else None
    met = sum(challenge.is_met(e.run) for e in entries) if challenge else 0
    return Board(len(entries), n_students, training, best, median, met,
                 cls.closed_at is not None, entries, challenge)
