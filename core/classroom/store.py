"""ClassroomStore: every read and write of the class database, one transaction per call.

This module holds the facade: opening the database, transactions, failures and locks. The
SQL itself lives in plain functions over a connection, one module per job:
``core.classroom.lookup`` (find a class or a student: the checks every call starts with),
``queries_classes`` (opening a class, teacher key attempts, the teacher's actions),
``queries_students`` (joining, the roster, heartbeats), ``queries_runs`` (sharing, the
board) and ``queries_drawings`` (the class set); the values returned are in
``core.classroom.records``.

Each public method opens a transaction, checks what the call needs (the class exists and has
not expired, is still open, the student is still in it, the teacher key is right, a quota is
not used up) and raises a :class:`~core.classroom.errors.ClassroomError` otherwise. Any
database failure (server down or hung, read-only file, full disk, lock timeout, the SQLite
file deleted) becomes :class:`~core.classroom.errors.ClassroomUnavailable`, a value the
database refuses becomes InvalidInput, never a SQLAlchemy exception; after a failure the
store pauses writes (a failed write) or everything (a failed read) for
``Limits.retry_seconds`` (see core.classroom.faults).

Floods: a client (an opaque string the page gives: one per browser or address) may add at
most ``Limits.client_joins`` new nicknames per ``client_join_window`` seconds on this server
and hold at most ``Limits.nicknames_per_client`` in a class (stored as a keyed hash, never
the string itself); the teacher can stop new joins and remove many students at once.

Concurrency: quotas are counted and rows inserted in one transaction that holds a lock, so
forty students sharing at once lose and duplicate nothing. On SQLite a writing transaction
holds the database's write lock (``BEGIN IMMEDIATE``); on PostgreSQL it locks the class's
row (``FOR UPDATE`` to join or for teacher actions, ``FOR SHARE`` to share) and the
student's row (``FOR UPDATE``), always class first, so they cannot deadlock.
"""

from __future__ import annotations

import contextlib
import socket
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from sqlalchemy import Connection, select

from core.classroom import queries_classes as classes
from core.classroom import queries_drawings as drawings
from core.classroom import queries_moderation as moderation
from core.classroom import queries_runs as runs
from core.classroom import queries_students as students
from core.classroom import schema as db
from core.classroom.database import Database
from core.classroom.drawings import ClassDrawings, check_drawing, drawings_from_rows
from core.classroom.errors import (
    Blocked,
    ClassroomUnavailable,
    Conflict,
    NicknameTaken,
    NotInClass,
    RunNotFound,
)
from core.classroom.identity import (
    check_nickname,
    hash_key,
    new_teacher_key,
    nickname_key,
    refuse_reserved,
)
from core.classroom.join_limiter import JoinLimiter
from core.classroom.lessons import ClassLessons
from core.classroom.limits import Limits, limits_from_environment
from core.classroom.lookup import count, find_class, find_student
from core.classroom.records import (
    Board,
    ClassExport,
    ClassInfo,
    NewClass,
    Student,
    StudentEntry,
    class_info,
)
from core.classroom.shared import RunEntry, SharedRun, check_run, pack_curves, unpack_curves
from core.classroom.teacher import TeacherActions, token_hash
from core.i18n import Msg

DAY = 86_400.0
CLAIM_GONE_SECONDS = 600.0  # a nickname's browser unseen this long: another may take it

def _blocked(nickname: str, code: str) -> Blocked:
    return Blocked(Msg('The teacher removed "{nickname}" from class {code} and blocked the '
                       "nickname: ask your teacher.", nickname=nickname, code=code))


__all__ = ["Board", "ClassExport", "ClassInfo", "ClassroomStore", "NewClass", "Student",
           "StudentEntry"]


class ClassroomStore(TeacherActions, ClassLessons):
    """The class database. Thread-safe: one store per process, shared by every session.

    ``url``: a SQLAlchemy URL (default: :func:`core.classroom.schema.default_url`).
    ``limits``: the bounds (default: :class:`Limits`, its days from ``CLASSROOM_DAYS``).
    ``clock``: returns the time in Unix seconds (tests pass a fake one).
    ``server``: this server's name on its heartbeats (default: the host's name). A store
    starting clears the "training now" heartbeats its name left: a server that starts has no
    run training yet, so a run its previous process (ended by kill -9) was training no
    longer counts. Replicas on one host share the name: their heartbeats come back with
    their next beat.
    Creating a store touches nothing; the first call (or :meth:`start`) opens the database,
    creates or upgrades its schema and deletes expired classes, and is retried by the next
    call if the database was unavailable.
    """

    def __init__(self, url: str | None = None, *, limits: Limits | None = None,
                 clock: Callable[[], float] = time.time, server: str | None = None) -> None:
        self.url = url or db.default_url()
        self.server = (server or socket.gethostname() or "server")[:64]
        self.limits = limits or limits_from_environment()
        self._clock = clock
        self._db = Database(self.url, self.limits.retry_seconds)
        self._started = False
        self._start_lock = threading.Lock()
        self._joins = JoinLimiter(self.limits.client_joins, self.limits.client_join_window)

    # ----------------------------------------------------------------- opening, transactions

    def start(self) -> None:
        """Open the database, create or upgrade its schema and delete expired classes (once).

        A database that is current but read-only still opens, for reading: only the
        schema's creation or upgrade needs to write, and the clean-up is skipped then."""
        with self._start_lock:
            if self._started:
                return
            self._db.prepare()
            self._started = True
        with contextlib.suppress(ClassroomUnavailable):
            self.cleanup_expired()
            self._forget_own_heartbeats()

    def _forget_own_heartbeats(self) -> None:
        """Clear the heartbeats this server's name left (see the class's docstring)."""
        with self._tx(write=True) as conn:
            students.forget_heartbeats(conn, self.server)

    def problem(self) -> Msg | None:
        """What the teacher should know about the database (None: all is well): opened
        read-only, or its file deleted or replaced while running. Opens the store."""
        self.start()
        return self._db.problem()

    def dispose(self) -> None:
        """Close every pooled connection (the store can still be used: it reconnects)."""
        self._db.dispose()

    @property
    def read_only(self) -> bool:
        """Was the SQLite file opened read-only (this process cannot write it)?"""
        return self._db.read_only

    @property
    def _engine(self):
        return self._db.engine

    @contextmanager
    def _tx(self, write: bool) -> Iterator[Connection]:
        """A connection in a transaction, committed when the block ends without error
        (refused at once while paused, or for a write the file cannot take)."""
        self._db.check(write)
        self.start()
        with self._db.transaction(write) as conn:
            yield conn

    def _now(self) -> float:
        return float(self._clock())

    def _class(self, conn: Connection, code: str, lock: str | None = None):
        """The live class's row (see core.classroom.lookup.find_class)."""
        return find_class(conn, code, self._now(), self.limits.class_days, lock)

    def _student(self, conn: Connection, student: Student, lock: bool = False):
        """The student's row in their open class (see core.classroom.lookup.find_student)."""
        return find_student(conn, student, self._now(), self.limits.class_days, lock)

    # ----------------------------------------------------------------- classes and students

    def create_class(self) -> NewClass:
        """Open a new class: a fresh join code, and a teacher key to show once."""
        key = new_teacher_key()
        key_hash, now = hash_key(key), self._now()
        expires = now + self.limits.class_days * DAY
        with self._tx(write=True) as conn:
            code = classes.insert_class(conn, key_hash, now, expires)
        if code is None:
            raise Conflict(Msg("No free join code was found: please try again."))
        return NewClass(code, key, expires)

    def class_info(self, code: str) -> ClassInfo:
        """The class's code, times, open or closed, and challenge; ClassNotFound if none."""
        with self._tx(write=False) as conn:
            return class_info(self._class(conn, code))

    def join(self, code: str, nickname: str, client: str | None = None,
             claim: str | None = None) -> Student:
        """Join a class (code in any case) under a nickname; the same code and nickname
        (ignoring case, width and look-alike letters) give back the same student, also once
        the class is closed. New students are refused by a closed or full class, one whose
        teacher stopped new joins, and a ``client`` (the page's opaque name for a browser or
        address) that added too many nicknames lately or holds too many in the class.
        Nicknames kept for the teacher and nicknames the teacher blocked are refused.

        ``claim``: the browser's own secret (a page passes one; only its SHA-256 is kept).
        The first browser to join with a nickname holds it: another browser's claim is
        refused (NicknameTaken) unless the teacher released it or the holder has not been
        seen (:meth:`touch`) for ``CLAIM_GONE_SECONDS``. Without a claim nothing is checked."""
        nickname = check_nickname(nickname, self.limits.nickname_chars)
        refuse_reserved(nickname)
        same, mark = nickname_key(nickname), claim and token_hash(claim)
        with self._tx(write=True) as conn:
            cls = self._class(conn, code, lock="update")
            if moderation.is_blocked(conn, cls.id, same):
                raise (_blocked(nickname, cls.code))
            row = students.student_by_key(conn, cls.id, same)
            if row is None:
                row = self._add_student(conn, cls, nickname, same, client)
            state = self._take(conn, cls.code, row, mark)
        return Student(cls.code, row.nickname, cls.id, row.id, bool(state.sharing))

    def _add_student(self, conn: Connection, cls, nickname: str, same: str,
                     client: str | None):
        mark = None if client is None else students.client_hash(cls.key_hash, client)
        students.may_add_student(conn, cls, self.limits, mark)
        if client is not None:
            self._joins.count(client)
        return students.insert_student(conn, cls.id, nickname, same, self._now(), mark)

    def _take(self, conn: Connection, code: str, row, mark: str | None):
        """The student's state once the browser with claim hash ``mark`` holds the
        nickname (NicknameTaken if another browser holds it)."""
        now, state = self._now(), students.state(conn, row.id)
        if not students.claim_free(state, mark, now, CLAIM_GONE_SECONDS):
            raise NicknameTaken(Msg('"{nickname}" is already used in class {code} by another '
                                    "browser. Pick another nickname, or ask your teacher to "
                                    "release it.", nickname=row.nickname, code=code))
        if mark is not None:
            students.set_state(conn, row.id, claim=mark, seen_at=now)
        return students.state(conn, row.id)

    def touch(self, student: Student, claim: str | None = None) -> None:
        """The student's browser is still here (pages call it every minute; see
        :meth:`join`), after the checks of :meth:`check_student`."""
        with self._tx(write=True) as conn:
            row = self._check_member(conn, student, claim)
            students.set_state(conn, row.id, seen_at=self._now())

    def check_student(self, student: Student, claim: str | None = None) -> None:
        """Is the student still in their class, from this browser? A read, cheap enough for
        every few seconds: ClassDeleted, NotInClass or Blocked (the teacher removed them),
        NicknameTaken (another browser took the nickname over). A closed class is fine."""
        with self._tx(write=False) as conn:
            self._check_member(conn, student, claim)

    def _check_member(self, conn: Connection, student: Student, claim: str | None):
        find_class(conn, student.code, self._now(), self.limits.class_days)
        row = self._membership(conn, student)
        mark = claim and token_hash(claim)
        held = conn.execute(select(db.student_state.c.claim).where(
            db.student_state.c.student_id == row.id)).scalar()
        if mark is not None and held is not None and held != mark:
            raise NicknameTaken(Msg('Another browser now uses "{nickname}" in class {code}.',
                                    nickname=student.nickname, code=student.code))
        return row

    def _membership(self, conn: Connection, student: Student):
        """The student's row, or Blocked / NotInClass saying the teacher removed them."""
        row = students.student_row(conn, student)
        if row is not None:
            return row
        if moderation.is_blocked(conn, student.class_id, nickname_key(student.nickname)):
            raise (_blocked(student.nickname, student.code))
        raise NotInClass(Msg('The teacher removed "{nickname}" from class {code}: join again '
                             "to take part.", nickname=student.nickname, code=student.code))

    def set_sharing(self, student: Student, sharing: bool) -> None:
        """Remember the student's choice to share their runs or not (kept across reloads:
        :meth:`join` gives it back as ``Student.sharing``). Works in a closed class too."""
        with self._tx(write=True) as conn:
            find_class(conn, student.code, self._now(), self.limits.class_days)
            students.set_state(conn, self._membership(conn, student).id, sharing=bool(sharing))

    def students(self, code: str) -> list[StudentEntry]:
        """The class's students in the order they joined, with their counts."""
        since = self._now() - self.limits.training_seconds
        with self._tx(write=False) as conn:
            return students.roster(conn, self._class(conn, code).id, since)

    def set_training(self, student: Student, training: bool) -> None:
        """Set (True: now) or clear the student's "training now" heartbeat. A page sets it
        again at least every ``Limits.training_seconds`` while a run trains."""
        with self._tx(write=True) as conn:
            self._student(conn, student)
            students.set_heartbeat(conn, student.student_id, self._now() if training else None,
                                   self.server if training else None)

    # ----------------------------------------------------------------- runs and the board

    def share_run(self, student: Student, run: SharedRun) -> bool:
        """Put a run on the class's board. True if stored now, False if this run id was
        already shared by this student (nothing changes: a retry is harmless)."""
        run = check_run(run)
        curves = pack_curves(run.curves, self.limits)
        with self._tx(write=True) as conn:
            self._student(conn, student, lock=True)
            return runs.insert_run(conn, student, run, curves, self._now(),
                                   self.limits.runs_per_student)

    def runs(self, code: str) -> list[RunEntry]:
        """Every run shared in the class, oldest first, with nicknames (no curves)."""
        with self._tx(write=False) as conn:
            return runs.class_runs(conn, self._class(conn, code).id)

    def run_curves(self, code: str, run_id: str) -> dict[str, list[float | None]]:
        """One shared run's curves: {"epoch": [...], "train_loss": [...], ...}."""
        with self._tx(write=False) as conn:
            text = runs.curves_json(conn, self._class(conn, code).id, run_id)
        if text is None:
            raise RunNotFound(Msg("This run is no longer on the board."))
        return unpack_curves(text)

    def board(self, code: str) -> Board:
        """The board's summary: counts, the best run, the median test accuracy, how many
        train now (a heartbeat within ``Limits.training_seconds``), how many meet the
        challenge; with the runs and the challenge it was computed from."""
        since = self._now() - self.limits.training_seconds
        with self._tx(write=False) as conn:
            cls = self._class(conn, code)
            entries = runs.class_runs(conn, cls.id)
            n_students = count(conn, db.students, class_id=cls.id)
            training = students.training_count(conn, cls.id, since)
        return runs.summarise(cls, entries, n_students, training)

    # ----------------------------------------------------------------- drawings

    def add_drawing(self, student: Student, image, raw, label: int,
                    drawing_id: str | None = None) -> bool:
        """Add a drawing to the class set: ``image`` the 28x28 uint8 the model saw, ``raw``
        the drawing as 56x56 uint8 (see drawings.shrink_drawing), ``label`` the digit the
        student confirmed. ``drawing_id`` (default: a new uuid) makes a retry harmless:
        True if stored now, False if this student already added it."""
        image_bytes, raw_bytes, label = check_drawing(image, raw, label)
        drawing_id = drawing_id or uuid.uuid4().hex
        with self._tx(write=True) as conn:
            self._student(conn, student, lock=True)
            return drawings.insert_drawing(conn, student, drawing_id, label, image_bytes,
                                           raw_bytes, self._now(),
                                           self.limits.drawings_per_student)

    def drawings(self, code: str) -> ClassDrawings:
        """The class set, oldest first, as NumPy arrays (see ClassDrawings)."""
        with self._tx(write=False) as conn:
            rows = drawings.drawing_rows(conn, self._class(conn, code).id, pixels=True)
        return drawings_from_rows(rows)

    # ----------------------------------------------------------------- privacy

    def cleanup_expired(self, now: float | None = None) -> int:
        """Delete every class that has expired at ``now`` (default: the clock) with all its
        rows; returns how many classes went. Called by :meth:`start`."""
        now = self._now() if now is None else float(now)
        with self._tx(write=True) as conn:
            classes.forget_old(conn, now)
            return classes.delete_expired(conn, now)
