"""The teacher's moderation queries: delete one run or one drawing, block or unblock a
nickname, release a nickname from the browser that holds it.

Plain functions over an open connection inside the store's transaction (the teacher's
credential is checked by the store first)."""

from __future__ import annotations

from sqlalchemy import Connection, delete, insert, select, update

from core.classroom import schema as db


def delete_item(conn: Connection, table, id_column: str, class_id: int, item_id: str) -> bool:
    """Delete one run (table runs, "run_id") or drawing (drawings, "drawing_id") of the
    class; False if there was none with that id."""
    return conn.execute(delete(table).where(table.c.class_id == class_id,
                                            table.c[id_column] == str(item_id))).rowcount > 0


def block(conn: Connection, class_id: int, key: str, nickname: str) -> None:
    """Refuse this nickname key in the class from now on (idempotent)."""
    if not is_blocked(conn, class_id, key):
        conn.execute(insert(db.blocked).values(class_id=class_id, nickname_key=key,
                                               nickname=nickname))


def unblock(conn: Connection, class_id: int, key: str) -> bool:
    """Let the nickname key join again; False if it was not blocked."""
    return conn.execute(delete(db.blocked).where(db.blocked.c.class_id == class_id,
                                                 db.blocked.c.nickname_key == key)).rowcount > 0


def is_blocked(conn: Connection, class_id: int, key: str) -> bool:
    """Did the teacher block this nickname key in the class?"""
    return conn.execute(select(db.blocked.c.id).where(
        db.blocked.c.class_id == class_id, db.blocked.c.nickname_key == key)).first() is not None


def blocked_names(conn: Connection, class_id: int) -> list[str]:
    """The nicknames blocked in the class, as they were typed, in the order blocked."""
    return list(conn.execute(select(db.blocked.c.nickname).where(
        db.blocked.c.class_id == class_id).order_by(db.blocked.c.id)).scalars())


def release(conn: Connection, student_id: int) -> None:
    """Free a student's nickname from the browser that holds it (the next one takes it)."""
    conn.execute(update(db.student_state).where(db.student_state.c.student_id == student_id)
                 .values(claim=None))
