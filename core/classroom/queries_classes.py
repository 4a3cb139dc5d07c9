"""The store's queries on a class as a whole: opening one, the teacher key's failed
attempts, the teacher's actions on the class, and deleting expired classes.

Plain functions over an open connection (the transaction, its locks and the mapping of
database failures belong to ``core.classroom.store.ClassroomStore``); times are Unix
seconds passed in, so nothing here reads a clock."""

from __future__ import annotations

from sqlalchemy import Connection, delete, func, insert, select, update

from core.classroom import schema as db
from core.classroom.identity import new_join_code
from core.classroom.lookup import count

NEW_CODE_TRIES = 20  # a fresh join code collides with a live one about once in 10^7 classes


def insert_class(conn: Connection, key_hash: str, now: float, expires: float) -> str | None:
    """Store a new class under a fresh join code: the code, or None if no free one was
    found in NEW_CODE_TRIES draws."""
    for _ in range(NEW_CODE_TRIES):
        code = new_join_code()
        if not count(conn, db.classes, code=code):
            conn.execute(insert(db.classes).values(code=code, key_hash=key_hash,
                                                created_at=now, expires_at=expires))
            return code
    return None


def key_failures(conn: Connection, class_id: int, since: float) -> tuple[int, float | None]:
    """(how many wrong teacher keys were tried after ``since``, when the last one was)."""
    return tuple(conn.execute(
        select(func.count(), func.max(db.key_failures.c.at)).where(
            db.key_failures.c.class_id == class_id, db.key_failures.c.at > since)).one())


def record_key_attempt(conn: Connection, class_id: int, right: bool, now: float,
                       window: float) -> None:
    """A right key clears the class's failures; a wrong one is recorded (and failures
    older than ``window`` seconds are forgotten)."""
    failures = delete(db.key_failures).where(db.key_failures.c.class_id == class_id)
    if right:
        conn.execute(failures)
        return
    conn.execute(failures.where(db.key_failures.c.at <= now - window))
    conn.execute(insert(db.key_failures).values(class_id=class_id, at=now))


def update_class(conn: Connection, class_id: int, **values) -> None:
    """Set columns of one class's row (challenge, joins_closed, closed_at, ...)."""
    conn.execute(update(db.classes).where(db.classes.c.id == class_id).values(**values))


def delete_runs(conn: Connection, class_id: int) -> int:
    """Delete every shared run of the class; returns how many."""
    return conn.execute(delete(db.runs).where(db.runs.c.class_id == class_id)).rowcount


def delete_class(conn: Connection, class_id: int) -> None:
    """Delete the class and (by cascade) every row in it."""
    conn.execute(delete(db.classes).where(db.classes.c.id == class_id))


def delete_expired(conn: Connection, now: float) -> int:
    """Delete every class expired at ``now`` with all its rows; returns how many went."""
    return conn.execute(delete(db.classes).where(db.classes.c.expires_at <= now)).rowcount


def insert_session(conn: Connection, class_id: int, token_hash: str, expires: float) -> None:
    """Keep a teacher's browser logged in until ``expires`` (the token's SHA-256 only)."""
    conn.execute(insert(db.teacher_sessions).values(class_id=class_id, token_hash=token_hash,
                                                    expires_at=expires))


def session_alive(conn: Connection, class_id: int, token_hash: str, now: float) -> bool:
    """Is there a teacher session of the class with this token hash, not expired?"""
    return conn.execute(select(db.teacher_sessions.c.id).where(
        db.teacher_sessions.c.class_id == class_id,
        db.teacher_sessions.c.token_hash == token_hash,
        db.teacher_sessions.c.expires_at > now)).first() is not None


def delete_session(conn: Connection, token_hash: str) -> None:
    """End a teacher session (log out)."""
    conn.execute(delete(db.teacher_sessions).where(
        db.teacher_sessions.c.token_hash == token_hash))


def remember_deleted(conn: Connection, code: str, until: float) -> None:
    """Remember until ``until`` that the teacher deleted the class with this code."""
    conn.execute(delete(db.deleted_codes).where(db.deleted_codes.c.code == code))
    conn.execute(insert(db.deleted_codes).values(code=code, until=until))


def forget_old(conn: Connection, now: float) -> None:
    """Drop expired teacher sessions and deleted codes past their time."""
    conn.execute(delete(db.teacher_sessions).where(db.teacher_sessions.c.expires_at <= now))
    conn.execute(delete(db.deleted_codes).where(db.deleted_codes.c.until <= now))
