"""ClassroomStore: every read and write of the class database, one transaction per call.

Each public method opens a transaction, checks what the call needs (the class exists and has
not expired, is still open, the student is still in it, the teacher key is right, a quota is
not used up) and raises a :class:`~core.classroom.errors.ClassroomError` otherwise. Any
database failure (server down, read-only file, full disk, lock timeout) becomes
:class:`~core.classroom.errors.ClassroomUnavailable`, never a SQLAlchemy exception.

Concurrency: quotas are counted and rows inserted in one transaction that holds a lock, so
forty students sharing at once lose and duplicate nothing. On SQLite a writing transaction
holds the database's write lock (``BEGIN IMMEDIATE``); on PostgreSQL it locks the class's
row (``FOR UPDATE`` to join or for teacher actions, ``FOR SHARE`` to share) and the
student's row (``FOR UPDATE``), always class first, so they cannot deadlock.
"""

from __future__ import annotations

import contextlib
import math
import statistics
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from sqlalchemy import Connection, delete, func, insert, select, update
from sqlalchemy.exc import IntegrityError, SQLAlchemyError

from core.classroom import export
from core.classroom import schema as db
from core.classroom.challenge import Challenge, challenge_from_json, check_challenge
from core.classroom.drawings import ClassDrawings, check_drawing, drawings_from_rows
from core.classroom.errors import (
    ClassClosed,
    ClassNotFound,
    ClassroomError,
    ClassroomUnavailable,
    Conflict,
    InvalidInput,
    LimitReached,
    NotInClass,
    RunNotFound,
    TooManyAttempts,
    WrongTeacherKey,
)
from core.classroom.identity import (
    check_nickname,
    hash_key,
    key_matches,
    new_join_code,
    new_teacher_key,
    nickname_key,
    normalise_code,
)
from core.classroom.limits import Limits, limits_from_environment
from core.classroom.shared import (
    RunEntry,
    SharedRun,
    check_run,
    pack_curves,
    run_from_columns,
    unpack_curves,
)
from core.i18n import Msg

DAY = 86_400.0
NEW_CODE_TRIES = 20  # a fresh join code collides with a live one about once in 10^7 classes
RUN_COLUMNS = [c for c in db.runs.c if c.name in SharedRun.__dataclass_fields__]
QUOTA_WORDS = {"runs": Msg("runs"), "drawings": Msg("drawings")}  # in LimitReached


@dataclass(frozen=True)
class NewClass:
    """A class just opened. Show ``teacher_key`` to the teacher once: only its hash is kept."""

    code: str
    teacher_key: str
    expires_at: float


@dataclass(frozen=True)
class Student:
    """A student in a class, as a page keeps it in its session (a rejoin gives the same)."""

    code: str
    nickname: str
    class_id: int
    student_id: int


@dataclass(frozen=True)
class ClassInfo:
    """What anyone with the code may know about a class. Times are Unix seconds."""

    code: str
    created_at: float
    expires_at: float
    closed: bool
    challenge: Challenge | None


@dataclass(frozen=True)
class StudentEntry:
    """A student as the teacher's list shows them: how much they shared, training now?"""

    nickname: str
    joined_at: float
    runs: int
    drawings: int
    training_now: bool


@dataclass(frozen=True)
class Board:
    """The class's board at a glance. ``best`` is the run with the highest test accuracy
    (the earliest among equals); the median is over runs that have a test accuracy;
    ``meeting_challenge`` counts runs that meet the challenge (0 without one). ``entries``
    are the runs themselves (as :meth:`ClassroomStore.runs` gives them) and ``challenge``
    the class's, read in the same transaction: the board page needs nothing else."""

    runs: int
    students: int
    training_now: int
    best: RunEntry | None
    median_test_acc: float | None
    meeting_challenge: int
    closed: bool
    entries: list[RunEntry]
    challenge: Challenge | None


@dataclass(frozen=True)
class ClassExport:
    """A class's data as CSV text: one row per run, and one per drawing (no pixels)."""

    runs_csv: str
    drawings_csv: str


def _reason(exc: BaseException) -> str:
    """The first line of the driver's own message (no SQL, no parameters, no password)."""
    orig = getattr(exc, "orig", None) or exc
    lines = str(orig).strip().splitlines()
    return lines[0] if lines else type(orig).__name__


def _challenge(row) -> Challenge | None:
    """The challenge stored in a class's row, or None."""
    return challenge_from_json(row.challenge) if row.challenge else None


def _info(row) -> ClassInfo:
    """ClassInfo from a class's row."""
    return ClassInfo(row.code, row.created_at, row.expires_at, row.closed_at is not None,
                     _challenge(row))


class ClassroomStore:
    """The class database. Thread-safe: one store per process, shared by every session.

    ``url``: a SQLAlchemy URL (default: :func:`core.classroom.schema.default_url`).
    ``limits``: the bounds (default: :class:`Limits`, its days from ``CLASSROOM_DAYS``).
    ``clock``: returns the time in Unix seconds (tests pass a fake one).
    Creating a store touches nothing; the first call (or :meth:`start`) opens the database,
    creates or upgrades its schema and deletes expired classes, and is retried by the next
    call if the database was unavailable.
    """

    def __init__(self, url: str | None = None, *, limits: Limits | None = None,
                 clock: Callable[[], float] = time.time) -> None:
        self.url = url or db.default_url()
        self.limits = limits or limits_from_environment()
        self._clock = clock
        self._engine = None
        self._started = False
        self._start_lock = threading.Lock()

    # ----------------------------------------------------------------- opening, transactions

    def start(self) -> None:
        """Open the database, create or upgrade its schema and delete expired classes (once).

        A database that is current but read-only still opens, for reading: only the
        schema's creation or upgrade needs to write, and the clean-up is skipped then."""
        with self._start_lock:
            if self._started:
                return
            self._prepare()
            self._started = True
        with contextlib.suppress(ClassroomUnavailable):
            self.cleanup_expired()

    def _prepare(self) -> None:
        """Create the engine, then the schema unless it is current (see core.classroom.schema)."""
        with self._guard(write=True):
            if self._engine is None:
                self._engine = db.make_engine(self.url)
            with self._engine.connect() as conn:
                with conn.begin():
                    if db.is_current(conn):
                        return
                conn.execution_options(**{db.WRITE: True})
                with conn.begin():
                    db.prepare(conn)

    def dispose(self) -> None:
        """Close every pooled connection (the store can still be used: it reconnects)."""
        if self._engine is not None:
            self._engine.dispose()

    @contextmanager
    def _guard(self, write: bool) -> Iterator[None]:
        """Turn database failures into ClassroomUnavailable (and unique-key races into
        Conflict); ClassroomErrors pass through."""
        try:
            yield
        except ClassroomError:
            raise
        except IntegrityError:
            raise Conflict(Msg("Someone changed the class at the same moment: please try "
                               "again.")) from None
        except (SQLAlchemyError, OSError) as exc:
            raise self._unavailable(exc, write) from exc
        except Exception as exc:
            dbapi = getattr(getattr(self._engine, "dialect", None), "loaded_dbapi", None)
            if dbapi is not None and isinstance(exc, dbapi.Error):
                raise self._unavailable(exc, write) from exc
            raise

    @staticmethod
    def _unavailable(exc: BaseException, write: bool) -> ClassroomUnavailable:
        message = (Msg("The class database cannot be written: {reason}", reason=_reason(exc))
                   if write else
                   Msg("The class database cannot be read: {reason}", reason=_reason(exc)))
        return ClassroomUnavailable(message)

    @contextmanager
    def _tx(self, write: bool) -> Iterator[Connection]:
        """A connection in a transaction, committed when the block ends without error."""
        self.start()
        with self._guard(write), self._engine.connect() as conn:
            if write:
                conn.execution_options(**{db.WRITE: True})
            with conn.begin():
                yield conn

    def _now(self) -> float:
        return float(self._clock())

    # ----------------------------------------------------------------- looking things up

    def _class(self, conn: Connection, code: str, lock: str | None = None):
        """The row of the live class with this join code, locked ("update", "share") or not;
        ClassNotFound if there is none."""
        found = normalise_code(code)
        if found is not None:
            query = select(db.classes).where(db.classes.c.code == found,
                                             db.classes.c.expires_at > self._now())
            if lock:
                query = query.with_for_update(read=lock == "share")
            row = conn.execute(query).first()
            if row is not None:
                return row
        shown = found or str(code).strip()[:12]
        raise ClassNotFound(Msg('There is no class with the code "{code}". Check the code with '
                                "your teacher (classes end after {days:g} days).", code=shown,
                                days=self.limits.class_days))

    def _open_class(self, conn: Connection, code: str, lock: str | None = None):
        """The class's row, or ClassClosed once the teacher has closed it."""
        row = self._class(conn, code, lock)
        if row.closed_at is not None:
            raise ClassClosed(Msg("Class {code} is closed: it takes no new students, runs or "
                                  "drawings. You can still look at its board.", code=row.code))
        return row

    def _student(self, conn: Connection, student: Student, lock: bool = False):
        """The student's row in their class (which must be open), locked for update if asked;
        NotInClass if the teacher removed them."""
        self._open_class(conn, student.code, lock="share" if lock else None)
        query = select(db.students).where(db.students.c.id == student.student_id,
                                          db.students.c.class_id == student.class_id)
        row = conn.execute(query.with_for_update() if lock else query).first()
        if row is None:
            raise NotInClass(Msg('"{nickname}" is no longer in class {code}: join again to take '
                                 "part.", nickname=student.nickname, code=student.code))
        return row

    def _count(self, conn: Connection, table, **where) -> int:
        """How many rows of ``table`` match column == value for each keyword."""
        query = select(func.count()).select_from(table)
        for column, value in where.items():
            query = query.where(table.c[column] == value)
        return conn.execute(query).scalar_one()

    # ----------------------------------------------------------------- classes and students

    def create_class(self) -> NewClass:
        """Open a new class: a fresh join code, and a teacher key to show once."""
        key = new_teacher_key()
        key_hash = hash_key(key)
        now = self._now()
        expires = now + self.limits.class_days * DAY
        with self._tx(write=True) as conn:
            for _ in range(NEW_CODE_TRIES):
                code = new_join_code()
                if not self._count(conn, db.classes, code=code):
                    conn.execute(insert(db.classes).values(code=code, key_hash=key_hash,
                                                        created_at=now, expires_at=expires))
                    return NewClass(code, key, expires)
        raise Conflict(Msg("No free join code was found: please try again."))

    def class_info(self, code: str) -> ClassInfo:
        """The class's code, times, open or closed, and challenge; ClassNotFound if none."""
        with self._tx(write=False) as conn:
            return _info(self._class(conn, code))

    def join(self, code: str, nickname: str) -> Student:
        """Join a class (code in any case) under a nickname; the same code and nickname
        (ignoring case and width) give back the same student, also once the class is
        closed. New students are refused by a closed or full class."""
        nickname = check_nickname(nickname, self.limits.nickname_chars)
        same = nickname_key(nickname)
        with self._tx(write=True) as conn:
            cls = self._class(conn, code, lock="update")
            row = conn.execute(select(db.students).where(
                db.students.c.class_id == cls.id, db.students.c.nickname_key == same)).first()
            if row is None:
                self._open_class(conn, code)
                if self._count(conn, db.students, class_id=cls.id) >= self.limits.students:
                    raise LimitReached(Msg("Class {code} is full ({n} students). Ask your "
                                           "teacher.", code=cls.code, n=self.limits.students))
                conn.execute(insert(db.students).values(class_id=cls.id, nickname=nickname,
                                                     nickname_key=same, joined_at=self._now()))
                row = conn.execute(select(db.students).where(
                    db.students.c.class_id == cls.id, db.students.c.nickname_key == same)).one()
        return Student(cls.code, row.nickname, cls.id, row.id)

    def students(self, code: str) -> list[StudentEntry]:
        """The class's students in the order they joined, with their counts."""
        since = self._now() - self.limits.training_seconds
        with self._tx(write=False) as conn:
            cls = self._class(conn, code)
            n_runs = self._per_student(conn, db.runs, cls.id)
            n_drawings = self._per_student(conn, db.drawings, cls.id)
            rows = conn.execute(select(db.students).where(db.students.c.class_id == cls.id)
                                .order_by(db.students.c.joined_at, db.students.c.id)).all()
        return [StudentEntry(r.nickname, r.joined_at, n_runs.get(r.id, 0),
                             n_drawings.get(r.id, 0),
                             r.training_at is not None and r.training_at >= since) for r in rows]

    @staticmethod
    def _per_student(conn: Connection, table, class_id: int) -> dict[int, int]:
        """{student id: number of rows of ``table``} in the class."""
        query = (select(table.c.student_id, func.count()).where(table.c.class_id == class_id)
                 .group_by(table.c.student_id))
        return dict(conn.execute(query).all())

    def set_training(self, student: Student, training: bool) -> None:
        """Set (True: now) or clear the student's "training now" heartbeat. A page sets it
        again at least every ``Limits.training_seconds`` while a run trains."""
        with self._tx(write=True) as conn:
            self._student(conn, student)
            conn.execute(update(db.students).where(db.students.c.id == student.student_id)
                         .values(training_at=self._now() if training else None))

    # ----------------------------------------------------------------- runs and the board

    def share_run(self, student: Student, run: SharedRun) -> bool:
        """Put a run on the class's board. True if stored now, False if this run id was
        already shared by this student (nothing changes: a retry is harmless)."""
        run = check_run(run)
        curves = pack_curves(run.curves, self.limits)
        with self._tx(write=True) as conn:
            self._student(conn, student, lock=True)
            owner = conn.execute(select(db.runs.c.student_id).where(
                db.runs.c.class_id == student.class_id, db.runs.c.run_id == run.run_id)).scalar()
            if owner is not None:
                if owner != student.student_id:
                    raise Conflict(Msg("Another student already shared a run with this id."))
                return False
            self._check_quota(conn, db.runs, student, self.limits.runs_per_student, "runs")
            conn.execute(insert(db.runs).values(
                class_id=student.class_id, student_id=student.student_id,
                shared_at=self._now(), curves=curves, **run.columns()))
        return True

    def _check_quota(self, conn: Connection, table, student: Student, limit: int,
                     what: str) -> None:
        """LimitReached when the student already has ``limit`` rows in ``table``."""
        if self._count(conn, table, student_id=student.student_id) >= limit:
            raise LimitReached(Msg("You have shared {n} {what}, the most one student can have "
                                   "in a class. Ask your teacher to make room.", n=limit,
                                   what=QUOTA_WORDS.get(what, what)))

    def runs(self, code: str) -> list[RunEntry]:
        """Every run shared in the class, oldest first, with nicknames (no curves)."""
        with self._tx(write=False) as conn:
            return self._runs(conn, self._class(conn, code).id)

    def _runs(self, conn: Connection, class_id: int, with_curves: bool = False) -> list:
        """The class's runs as RunEntry (with their curves' JSON if asked: (entry, json))."""
        extra = [db.runs.c.curves] if with_curves else []
        rows = conn.execute(
            select(db.students.c.nickname, db.runs.c.shared_at, *RUN_COLUMNS, *extra)
            .join(db.students, db.students.c.id == db.runs.c.student_id)
            .where(db.runs.c.class_id == class_id)
            .order_by(db.runs.c.shared_at, db.runs.c.id)).all()
        entries = [RunEntry(r.nickname, r.shared_at, run_from_columns(r._mapping)) for r in rows]
        return list(zip(entries, (r.curves for r in rows), strict=True)) if with_curves else entries

    def run_curves(self, code: str, run_id: str) -> dict[str, list[float | None]]:
        """One shared run's curves: {"epoch": [...], "train_loss": [...], ...}."""
        with self._tx(write=False) as conn:
            cls = self._class(conn, code)
            text = conn.execute(select(db.runs.c.curves).where(
                db.runs.c.class_id == cls.id, db.runs.c.run_id == str(run_id))).scalar()
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
            entries = self._runs(conn, cls.id)
            n_students = self._count(conn, db.students, class_id=cls.id)
            training = conn.execute(select(func.count()).select_from(db.students).where(
                db.students.c.class_id == cls.id, db.students.c.training_at >= since)).scalar_one()
        challenge = _challenge(cls)
        scored = [e for e in entries if e.run.test_acc is not None]
        best = max(scored, key=lambda e: e.run.test_acc, default=None)  # first of equals
        median = statistics.median(e.run.test_acc for e in scored) if scored else None
        met = sum(challenge.is_met(e.run) for e in entries) if challenge else 0
        return Board(len(entries), n_students, training, best, median, met,
                     cls.closed_at is not None, entries, challenge)

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
            owner = conn.execute(select(db.drawings.c.student_id).where(
                db.drawings.c.class_id == student.class_id,
                db.drawings.c.drawing_id == drawing_id)).scalar()
            if owner is not None:
                if owner != student.student_id:
                    raise Conflict(Msg("Another student already added a drawing with this "
                                       "id."))
                return False
            self._check_quota(conn, db.drawings, student, self.limits.drawings_per_student,
                              "drawings")
            conn.execute(insert(db.drawings).values(
                class_id=student.class_id, student_id=student.student_id, drawing_id=drawing_id,
                added_at=self._now(), label=label, image=image_bytes, raw=raw_bytes))
        return True

    def drawings(self, code: str) -> ClassDrawings:
        """The class set, oldest first, as NumPy arrays (see ClassDrawings)."""
        with self._tx(write=False) as conn:
            return drawings_from_rows(self._drawing_rows(conn, self._class(conn, code).id,
                                                         pixels=True))

    @staticmethod
    def _drawing_rows(conn: Connection, class_id: int, pixels: bool) -> list:
        """The class's drawings with nicknames, oldest first (with their bytes if asked)."""
        extra = [db.drawings.c.image, db.drawings.c.raw] if pixels else []
        return conn.execute(
            select(db.drawings.c.drawing_id, db.drawings.c.label, db.drawings.c.added_at,
                   db.students.c.nickname, *extra)
            .join(db.students, db.students.c.id == db.drawings.c.student_id)
            .where(db.drawings.c.class_id == class_id)
            .order_by(db.drawings.c.added_at, db.drawings.c.id)).all()

    # ----------------------------------------------------------------- the teacher

    def verify_teacher(self, code: str, key: str) -> ClassInfo:
        """Check a teacher key (the teacher's log-in): the class's info, or WrongTeacherKey;
        TooManyAttempts after ``Limits.key_failures`` wrong keys within ``key_window``
        seconds, until ``key_lockout`` seconds after the last one. Failures are recorded in
        the database, so the pause holds across replicas; a right key clears them."""
        now = self._now()
        with self._tx(write=False) as conn:
            cls = self._class(conn, code)
            failures, last = conn.execute(
                select(func.count(), func.max(db.key_failures.c.at)).where(
                    db.key_failures.c.class_id == cls.id,
                    db.key_failures.c.at > now - self.limits.key_window)).one()
        if failures >= self.limits.key_failures and last + self.limits.key_lockout > now:
            wait = math.ceil(last + self.limits.key_lockout - now)
            raise TooManyAttempts(Msg("Too many wrong teacher keys for class {code}: wait "
                                      "{wait} seconds and try again.", code=cls.code,
                                      wait=wait), wait)
        right = key_matches(str(key), cls.key_hash)
        if failures or not right:
            self._record_key_attempt(cls.id, right, now)
        if not right:
            raise WrongTeacherKey(Msg("That is not the teacher key of class {code}.",
                                      code=cls.code))
        return _info(cls)

    def _record_key_attempt(self, class_id: int, right: bool, now: float) -> None:
        """A right key clears the class's failures; a wrong one is recorded (and failures
        older than the window are forgotten)."""
        with self._tx(write=True) as conn:
            failures = delete(db.key_failures).where(db.key_failures.c.class_id == class_id)
            if right:
                conn.execute(failures)
                return
            conn.execute(failures.where(db.key_failures.c.at <= now - self.limits.key_window))
            conn.execute(insert(db.key_failures).values(class_id=class_id, at=now))

    @contextmanager
    def _teacher(self, code: str, key: str) -> Iterator[tuple[Connection, object]]:
        """A write transaction on the class (locked) once the key is verified."""
        self.verify_teacher(code, key)
        with self._tx(write=True) as conn:
            yield conn, self._class(conn, code, lock="update")

    def set_challenge(self, code: str, key: str, challenge: Challenge | None) -> None:
        """Set the class's challenge (None removes it)."""
        stored = None if challenge is None else check_challenge(challenge).to_json()
        with self._teacher(code, key) as (conn, cls):
            conn.execute(update(db.classes).where(db.classes.c.id == cls.id)
                         .values(challenge=stored))

    def clear_board(self, code: str, key: str) -> int:
        """Delete every shared run of the class (drawings stay); returns how many."""
        with self._teacher(code, key) as (conn, cls):
            return conn.execute(delete(db.runs).where(db.runs.c.class_id == cls.id)).rowcount

    def remove_student(self, code: str, key: str, nickname: str) -> None:
        """Remove a student and everything they shared (runs and drawings). The nickname is
        matched like a rejoin (ignoring case). They may join again as a new student."""
        with self._teacher(code, key) as (conn, cls):
            gone = conn.execute(delete(db.students).where(
                db.students.c.class_id == cls.id,
                db.students.c.nickname_key == nickname_key(str(nickname)))).rowcount
        if not gone:
            raise InvalidInput(Msg('No student called "{nickname}" is in class {code}.',
                                   nickname=nickname, code=cls.code))

    def close_class(self, code: str, key: str) -> None:
        """Close the class: no new students, runs, drawings or heartbeats. It stays readable
        (board, runs, drawings, export) until it expires or is deleted."""
        with self._teacher(code, key) as (conn, cls):
            if cls.closed_at is None:
                conn.execute(update(db.classes).where(db.classes.c.id == cls.id)
                             .values(closed_at=self._now()))

    def delete_class(self, code: str, key: str) -> None:
        """Delete the class and every row in it now, without waiting for it to expire."""
        with self._teacher(code, key) as (conn, cls):
            conn.execute(delete(db.classes).where(db.classes.c.id == cls.id))

    def export_csv(self, code: str, key: str) -> ClassExport:
        """Everything in the class as CSV text (see core.classroom.export)."""
        with self._teacher(code, key) as (conn, cls):
            entries = self._runs(conn, cls.id, with_curves=True)
            drawing_rows = self._drawing_rows(conn, cls.id, pixels=False)
        challenge = _challenge(cls)
        return ClassExport(export.runs_csv(entries, challenge), export.drawings_csv(drawing_rows))

    # ----------------------------------------------------------------- privacy

    def cleanup_expired(self, now: float | None = None) -> int:
        """Delete every class that has expired at ``now`` (default: the clock) with all its
        rows; returns how many classes went. Called by :meth:`start`."""
        now = self._now() if now is None else float(now)
        with self._tx(write=True) as conn:
            return conn.execute(delete(db.classes).where(db.classes.c.expires_at <= now)).rowcount
