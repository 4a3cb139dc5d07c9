"""Finding a class's or a student's row inside a transaction, and counting rows: the checks
every store query starts with (ClassNotFound, ClassClosed, NotInClass).

Each function takes the open connection and ``now`` (Unix seconds): a class whose
``expires_at`` is past is not found. ``lock`` asks PostgreSQL to lock the class's row
("update" or "share"); SQLite's writing transactions already hold the database's lock."""

from __future__ import annotations

from sqlalchemy import Connection, func, select

from core.classroom import schema as db
from core.classroom.errors import ClassClosed, ClassDeleted, ClassNotFound, NotInClass
from core.classroom.identity import code_problem, normalise_code
from core.classroom.records import Student
from core.i18n import Msg


def find_class(conn: Connection, code: str, now: float, days: float, lock: str | None = None):
    """The row of the live class with this join code, locked ("update", "share") or not;
    if there is none, ClassNotFound saying why: a code of the wrong length, a class its
    teacher deleted (ClassDeleted), or else that classes end after ``days`` days."""
    found = normalise_code(code)
    if found is not None:
        query = select(db.classes).where(db.classes.c.code == found,
                                         db.classes.c.expires_at > now)
        if lock:
            query = query.with_for_update(read=lock == "share")
        row = conn.execute(query).first()
        if row is not None:
            return row
    problem = code_problem(code)
    if problem is not None:
        raise ClassNotFound(problem)
    if found is not None and conn.execute(select(db.deleted_codes.c.id).where(
            db.deleted_codes.c.code == found, db.deleted_codes.c.until > now)).first():
        raise ClassDeleted(Msg("The teacher deleted class {code}: it and everything in it "
                               "are gone.", code=found))
    shown = found or str(code).strip()[:12]
    raise ClassNotFound(Msg('There is no class with the code "{code}". Check the code with '
                            "your teacher (classes end after {days:g} days).", code=shown,
                            days=days))


def refuse_closed(row) -> None:
    """ClassClosed once the teacher has closed the class of this row."""
    if row.closed_at is not None:
        raise ClassClosed(Msg("Class {code} is closed: it takes no new students, runs or "
                              "drawings. You can still look at its board.", code=row.code))


def open_class(conn: Connection, code: str, now: float, days: float, lock: str | None = None):
    """The class's row, or ClassClosed once the teacher has closed it."""
    row = find_class(conn, code, now, days, lock)
    refuse_closed(row)
    return row


def find_student(conn: Connection, student: Student, now: float, days: float,
                 lock: bool = False):
    """The student's row in their class (which must be open), locked for update if asked;
    NotInClass if the teacher removed them."""
    open_class(conn, student.code, now, days, lock="share" if lock else None)
    query = select(db.students).where(db.students.c.id == student.student_id,
                                      db.students.c.class_id == student.class_id)
    row = conn.execute(query.with_for_update() if lock else query).first()
    if row is None:
        raise NotInClass(Msg('"{nickname}" is no longer in class {code}: join again to take '
                             "part.", nickname=student.nickname, code=student.code))
    return row


def count(conn: Connection, table, **where) -> int:
    """How many rows of ``table`` match column == value for each keyword."""
    query = select(func.count()).select_from(table)
    for column, value in where.items():
        query = query.where(table.c[column] == value)
    return conn.execute(query).scalar_one()
