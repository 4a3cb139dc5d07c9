"""ClassroomStore: every read and write of the class database, one transaction per call.

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
import hashlib
import hmac
import math
import socket
import statistics
import threading
import time
import uuid
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from sqlalchemy import Connection, delete, func, insert, select, update

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
from core.classroom.faults import FILE_LOST, READ_ONLY, FileWatch, Outages, classify
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
CLIENT_CHARS = 512  # a client string is cut to this before it is hashed
CLIENTS_KEPT = 10_000  # the join limiter forgets the oldest clients beyond this


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
    joins_closed: bool = False  # the teacher stopped new students (rejoins still work)


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


def _challenge(row) -> Challenge | None:
    """The challenge stored in a class's row, or None."""
    return challenge_from_json(row.challenge) if row.challenge else None


def _info(row) -> ClassInfo:
    """ClassInfo from a class's row."""
    return ClassInfo(row.code, row.created_at, row.expires_at, row.closed_at is not None,
                     _challenge(row), bool(row.joins_closed))


def _client_hash(secret: str, client: str) -> str:
    """A client's mark in a class: HMAC-SHA256 keyed by the class's secret key hash, 32 hex
    characters (the client string itself, e.g. an address, is never stored)."""
    return hmac.new(secret.encode(), str(client)[:CLIENT_CHARS].encode(),
                    hashlib.sha256).hexdigest()[:32]


class ClassroomStore:
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
        self._engine = None
        self._started = False
        self._start_lock = threading.Lock()
        self._outages = Outages(self.limits.retry_seconds)
        self._file: FileWatch | None = None  # the SQLite file opened (None: not SQLite)
        self.read_only = False  # an SQLite file this process cannot write: opened to read
        self._joins: dict[str, deque] = {}  # client -> times of its new nicknames
        self._joins_lock = threading.Lock()

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
            self._forget_own_heartbeats()

    def _forget_own_heartbeats(self) -> None:
        """Clear the heartbeats this server's name left (see the class's docstring)."""
        with self._tx(write=True) as conn:
            conn.execute(update(db.students).where(db.students.c.training_by == self.server)
                         .values(training_at=None, training_by=None))

    def _prepare(self) -> None:
        """Create the engine (an SQLite file this process cannot write opens read-only), then
        the schema unless it is current (see core.classroom.schema)."""
        with self._guard(write=False):
            if self._engine is None:
                self._open_engine()
            with self._engine.connect() as conn:
                with conn.begin():
                    if db.is_current(conn):
                        return
                if self.read_only:
                    raise ClassroomUnavailable(Msg("The class database is read-only and was "
                                                   "made by an older version: it cannot be "
                                                   "opened."))
                conn.execution_options(**{db.WRITE: True})
                with conn.begin():
                    db.prepare(conn)

    def _open_engine(self) -> None:
        """The engine, read-only or not, and the watch on the SQLite file."""
        path = db.sqlite_path(self.url)
        read_only = path is not None and db.sqlite_read_only(path)
        engine = db.make_engine(self.url, read_only)
        self._file = FileWatch(path) if path is not None else None
        self.read_only, self._engine = read_only, engine

    def problem(self) -> Msg | None:
        """What the teacher should know about the database (None: all is well): opened
        read-only, or its file deleted or replaced while running. Opens the store."""
        self.start()
        if self.read_only:
            return READ_ONLY
        if self._file is not None and not self._file.same_file():
            return FILE_LOST
        return None

    def dispose(self) -> None:
        """Close every pooled connection (the store can still be used: it reconnects)."""
        if self._engine is not None:
            self._engine.dispose()

    @contextmanager
    def _guard(self, write: bool) -> Iterator[None]:
        """Turn database failures into ClassroomUnavailable (and pause: see
        core.classroom.faults), refused values into InvalidInput, unique-key races into
        Conflict; ClassroomErrors pass through."""
        try:
            yield
        except ClassroomError:
            raise
        except Exception as exc:
            mapped = classify(exc, write)
            if mapped is None:
                raise
            if isinstance(mapped, ClassroomUnavailable):
                self._outages.record(write, mapped.args[0])
            raise mapped from None

    def _check_writable(self) -> None:
        """ClassroomUnavailable before a write to a read-only or lost SQLite file."""
        if self.read_only:
            raise ClassroomUnavailable(READ_ONLY)
        if self._file is not None:
            self._file.check()

    @contextmanager
    def _tx(self, write: bool) -> Iterator[Connection]:
        """A connection in a transaction, committed when the block ends without error
        (refused at once while paused, or for a write the file cannot take)."""
        self._outages.check(write)
        self.start()
        if write:
            self._check_writable()
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

    def join(self, code: str, nickname: str, client: str | None = None) -> Student:
        """Join a class (code in any case) under a nickname; the same code and nickname
        (ignoring case, width and look-alike letters) give back the same student, also once
        the class is closed. New students are refused by a closed or full class, one whose
        teacher stopped new joins, and a ``client`` (the page's opaque name for a browser or
        address) that added too many nicknames lately or holds too many in the class."""
        nickname = check_nickname(nickname, self.limits.nickname_chars)
        same = nickname_key(nickname)
        with self._tx(write=True) as conn:
            cls = self._class(conn, code, lock="update")
            row = conn.execute(select(db.students).where(
                db.students.c.class_id == cls.id, db.students.c.nickname_key == same)).first()
            if row is None:
                mark = None if client is None else _client_hash(cls.key_hash, client)
                self._may_add_student(conn, cls, code, mark)
                if client is not None:
                    self._count_join(client)
                conn.execute(insert(db.students).values(
                    class_id=cls.id, nickname=nickname, nickname_key=same,
                    joined_at=self._now(), client=mark))
                row = conn.execute(select(db.students).where(
                    db.students.c.class_id == cls.id, db.students.c.nickname_key == same)).one()
        return Student(cls.code, row.nickname, cls.id, row.id)

    def _may_add_student(self, conn: Connection, cls, code: str, mark: str | None) -> None:
        """Refuse a new student: class closed, joins stopped, class full, the client's share
        of the class used up (LimitReached), or its joins too fast (TooManyAttempts)."""
        self._open_class(conn, code)
        if cls.joins_closed:
            raise LimitReached(Msg("Class {code} takes no new students right now (the "
                                   "teacher stopped joining). Students already in it can "
                                   "rejoin with their nickname.", code=cls.code))
        if self._count(conn, db.students, class_id=cls.id) >= self.limits.students:
            raise LimitReached(Msg("Class {code} is full ({n} students). Ask your "
                                   "teacher.", code=cls.code, n=self.limits.students))
        if mark is None:
            return
        most = self.limits.nicknames_per_client
        if self._count(conn, db.students, class_id=cls.id, client=mark) >= most:
            raise LimitReached(Msg("This browser already joined class {code} under {n} "
                                   "nicknames, the most one browser may use: rejoin with one "
                                   "of them, or ask your teacher.", code=cls.code, n=most))

    def _count_join(self, client: str) -> None:
        """Record a new nickname from ``client`` on this server, or TooManyAttempts when it
        added ``Limits.client_joins`` within ``client_join_window`` seconds."""
        now, window = time.monotonic(), self.limits.client_join_window
        with self._joins_lock:
            times = self._joins.pop(client, None) or deque()
            while times and times[0] <= now - window:
                times.popleft()
            if len(times) >= self.limits.client_joins:
                self._joins[client] = times
                wait = math.ceil(times[0] + window - now)
                raise TooManyAttempts(Msg("Too many new nicknames from this browser: wait "
                                          "{wait} seconds and try again.", wait=wait), wait)
            times.append(now)
            self._joins[client] = times  # the most recent client last
            while len(self._joins) > CLIENTS_KEPT:
                self._joins.pop(next(iter(self._joins)))

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
                         .values(training_at=self._now() if training else None,
                                 training_by=self.server if training else None))

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
        matched like a rejoin (ignoring case). They may join again as a new student (unless
        the teacher stopped new joins)."""
        if not self.remove_students(code, key, [nickname]):
            raise InvalidInput(Msg('No student called "{nickname}" is in class {code}.',
                                   nickname=nickname, code=normalise_code(code) or code))

    def remove_students(self, code: str, key: str, nicknames: Iterable[str]) -> int:
        """Remove many students at once, with everything they shared; returns how many
        were removed (nicknames matched like a rejoin; unknown ones are ignored)."""
        keys = sorted({nickname_key(str(n)) for n in list(nicknames)[:self.limits.students * 4]})
        with self._teacher(code, key) as (conn, cls):
            if not keys:
                return 0
            return conn.execute(delete(db.students).where(
                db.students.c.class_id == cls.id,
                db.students.c.nickname_key.in_(keys))).rowcount

    def set_joining(self, code: str, key: str, open_: bool) -> None:
        """Let new students join (True) or stop them (False); students already in the class
        can always rejoin."""
        with self._teacher(code, key) as (conn, cls):
            conn.execute(update(db.classes).where(db.classes.c.id == cls.id)
                         .values(joins_closed=not open_))

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
        """Everything in the class as CSV text (see core.classroom.export). A read: it works
        while writes are paused or the database is read-only."""
        self.verify_teacher(code, key)
        with self._tx(write=False) as conn:
            cls = self._class(conn, code)
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
