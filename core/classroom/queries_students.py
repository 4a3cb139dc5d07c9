"""The store's queries on a class's students: joining (with its per-class quotas), the
teacher's roster, "training now" heartbeats, and removing students.

Plain functions over an open connection inside the store's transaction; ``now`` and the
bounds are passed in."""

from __future__ import annotations

import hashlib
import hmac

from sqlalchemy import Connection, delete, func, insert, select, update

from core.classroom import schema as db
from core.classroom.errors import LimitReached
from core.classroom.limits import Limits
from core.classroom.lookup import count, refuse_closed
from core.classroom.records import StudentEntry
from core.i18n import Msg

CLIENT_CHARS = 512  # a client string is cut to this before it is hashed


def client_hash(secret: str, client: str) -> str:
    """A client's mark in a class: HMAC-SHA256 keyed by the class's secret key hash, 32 hex
    characters (the client string itself, e.g. an address, is never stored)."""
    return hmac.new(secret.encode(), str(client)[:CLIENT_CHARS].encode(),
                    hashlib.sha256).hexdigest()[:32]


def student_by_key(conn: Connection, class_id: int, key: str):
    """The student row whose nickname key is ``key`` in the class, or None."""
    return conn.execute(select(db.students).where(
        db.students.c.class_id == class_id, db.students.c.nickname_key == key)).first()


def may_add_student(conn: Connection, cls, limits: Limits, mark: str | None) -> None:
    """Refuse a new student in the class of row ``cls``: closed, joins stopped, full, or
    the client's share of it (``mark``: its hash) used up (LimitReached)."""
    refuse_closed(cls)
    if cls.joins_closed:
        raise LimitReached(Msg("Class {code} takes no new students right now (the "
                               "teacher stopped joining). Students already in it can "
                               "rejoin with their nickname.", code=cls.code))
    if count(conn, db.students, class_id=cls.id) >= limits.students:
        raise LimitReached(Msg("Class {code} is full ({n} students). Ask your "
                               "teacher.", code=cls.code, n=limits.students))
    if mark is None:
        return
    most = limits.nicknames_per_client
    if count(conn, db.students, class_id=cls.id, client=mark) >= most:
        raise LimitReached(Msg("This browser already joined class {code} under {n} "
                               "nicknames, the most one browser may use: rejoin with one "
                               "of them, or ask your teacher.", code=cls.code, n=most))


def insert_student(conn: Connection, class_id: int, nickname: str, key: str, now: float,
                   mark: str | None):
    """Store a new student; returns their row."""
    conn.execute(insert(db.students).values(class_id=class_id, nickname=nickname,
                                            nickname_key=key, joined_at=now, client=mark))
    return student_by_key(conn, class_id, key)


def per_student(conn: Connection, table, class_id: int) -> dict[int, int]:
    """{student id: number of rows of ``table``} in the class."""
    query = (select(table.c.student_id, func.count()).where(table.c.class_id == class_id)
             .group_by(table.c.student_id))
    return dict(conn.execute(query).all())


def roster(conn: Connection, class_id: int, since: float) -> list[StudentEntry]:
    """The class's students in the order they joined, with their counts; training now
    means a heartbeat at or after ``since``."""
    n_runs = per_student(conn, db.runs, class_id)
    n_drawings = per_student(conn, db.drawings, class_id)
    rows = conn.execute(select(db.students).where(db.students.c.class_id == class_id)
                        .order_by(db.students.c.joined_at, db.students.c.id)).all()
    return [StudentEntry(r.nickname, r.joined_at, n_runs.get(r.id, 0), n_drawings.get(r.id, 0),
                         r.training_at is not None and r.training_at >= since) for r in rows]


def training_count(conn: Connection, class_id: int, since: float) -> int:
    """How many of the class's students sent a "training now" heartbeat since ``since``."""
    return conn.execute(select(func.count()).select_from(db.students).where(
        db.students.c.class_id == class_id, db.students.c.training_at >= since)).scalar_one()


def set_heartbeat(conn: Connection, student_id: int, now: float | None,
                  server: str | None) -> None:
    """Set (``now``, by ``server``) or clear (None) a student's "training now" heartbeat."""
    conn.execute(update(db.students).where(db.students.c.id == student_id)
                 .values(training_at=now, training_by=server))


def forget_heartbeats(conn: Connection, server: str) -> None:
    """Clear every heartbeat the server named ``server`` left."""
    conn.execute(update(db.students).where(db.students.c.training_by == server)
                 .values(training_at=None, training_by=None))


def delete_students(conn: Connection, class_id: int, keys: list[str]) -> int:
    """Delete the class's students with these nickname keys (and by cascade all they
    shared); returns how many."""
    if not keys:
        return 0
    return conn.execute(delete(db.students).where(
        db.students.c.class_id == class_id, db.students.c.nickname_key.in_(keys))).rowcount


def state(conn: Connection, student_id: int):
    """The student's state row (claim, seen_at, sharing), made if missing."""
    query = select(db.student_state).where(db.student_state.c.student_id == student_id)
    row = conn.execute(query).first()
    if row is None:
        conn.execute(insert(db.student_state).values(student_id=student_id))
        row = conn.execute(query).one()
    return row


def set_state(conn: Connection, student_id: int, **values) -> None:
    """Update the student's state row (made first if missing)."""
    state(conn, student_id)
    conn.execute(update(db.student_state).where(db.student_state.c.student_id == student_id)
                 .values(**values))


def claim_free(row, claim_hash: str | None, now: float, gone_after: float) -> bool:
    """May the browser with ``claim_hash`` use a nickname whose state is ``row``? Yes when
    no browser holds it, this one does, or the holder was last seen ``gone_after`` seconds
    ago or more."""
    return (claim_hash is None or row.claim is None or row.claim == claim_hash
            or (row.seen_at or 0.0) <= now - gone_after)


def student_row(conn: Connection, student):
    """The row of a Student (a page's record) if they are still in their class, or None."""
    return conn.execute(select(db.students).where(
        db.students.c.id == student.student_id,
        db.students.c.class_id == student.class_id)).first()
