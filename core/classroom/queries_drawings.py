"""The store's queries on the class set of drawings: adding one (idempotent, within the
student's quota) and reading them, with or without their pixels.

Plain functions over an open connection inside the store's transaction."""

from __future__ import annotations

from sqlalchemy import Connection, insert, select

from core.classroom import schema as db
from core.classroom.queries_runs import already_shared, check_quota
from core.classroom.records import Student
from core.i18n import Msg


def insert_drawing(conn: Connection, student: Student, drawing_id: str, label: int,
                   image: bytes, raw: bytes, now: float, most: int) -> bool:
    """Store a checked drawing: True, or False if this student already added this id."""
    if already_shared(conn, db.drawings, "drawing_id", student, drawing_id,
                      Msg("Another student already added a drawing with this id.")):
        return False
    check_quota(conn, db.drawings, student, most, "drawings")
    conn.execute(insert(db.drawings).values(
        class_id=student.class_id, student_id=student.student_id, drawing_id=drawing_id,
        added_at=now, label=label, image=image, raw=raw))
    return True


def drawing_rows(conn: Connection, class_id: int, pixels: bool) -> list:
    """The class's drawings with nicknames, oldest first (with their bytes if asked)."""
    extra = [db.drawings.c.image, db.drawings.c.raw] if pixels else []
    return conn.execute(
        select(db.drawings.c.drawing_id, db.drawings.c.label, db.drawings.c.added_at,
               db.students.c.nickname, *extra)
        .join(db.students, db.students.c.id == db.drawings.c.student_id)
        .where(db.drawings.c.class_id == class_id)
        .order_by(db.drawings.c.added_at, db.drawings.c.id)).all()
