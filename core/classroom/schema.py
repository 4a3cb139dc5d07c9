"""The class database: where it is, its tables, and how it is opened and upgraded.

**Where.** ``CLASSROOM_DB_URL`` (any SQLAlchemy URL, e.g.
``postgresql+psycopg://user:password@host/classroom``) when set; otherwise one SQLite file,
``$CLASSROOM_DIR/classes.sqlite3``, ``CLASSROOM_DIR`` defaulting to ``classroom-data/`` in the
project (git ignores it) when the checkout is writable, else XDG's state folder or the
temporary folder (core.paths.classroom_dir says which). SQLite needs nothing installed or
started and serves one server; several replicas share one PostgreSQL.

**SQLite settings**, on every connection: WAL journal (readers never wait for the writer),
a busy timeout (a writer waits for another instead of failing at once), foreign keys on
(deleting a class deletes its rows), and write transactions that take the write lock when
they begin (``BEGIN IMMEDIATE``), so two writers never deadlock upgrading a read lock.

**SQLite file modes.** The file is opened ``mode=rw`` (made once, at start, if missing), so
a file deleted under a running server is never silently made again; a file this process
cannot write opens ``mode=ro`` (and ``immutable=1`` when its folder is read-only too).

**PostgreSQL timeouts.** A statement, a lock wait and an idle transaction end on the server
(``statement_timeout``, ``lock_timeout``, ``idle_in_transaction_session_timeout``), TCP
keep-alives and ``tcp_user_timeout`` find a peer gone from the network, and every wait for
the server's answer ends after SOCKET_TIMEOUT_S (a server stopped or hung, which TCP cannot
see): "unavailable" within seconds instead of a page that hangs.

**Versions.** The ``schema_version`` table holds one number. At start, :func:`is_current`
reads it; unless it is current, :func:`prepare` runs in one write transaction: it creates
any missing table, records :data:`SCHEMA_VERSION` in a new database, and upgrades an older
one by running ``MIGRATIONS[n]`` (version n to n + 1, given the connection) for each version
in between. A database newer than this code is refused. On PostgreSQL an advisory lock
makes replicas starting together prepare it one at a time. A current database that is
read-only can still be read.
"""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Callable
from pathlib import Path
from urllib.parse import quote

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    Connection,
    Double,
    Engine,
    ForeignKey,
    Integer,
    LargeBinary,
    MetaData,
    SmallInteger,
    String,
    Table,
    Text,
    UniqueConstraint,
    create_engine,
    event,
    false,
    insert,
    inspect,
    make_url,
    select,
    text,
    true,
    update,
)

from core.classroom.errors import ClassroomUnavailable
from core.classroom.identity import nickname_key
from core.paths import classroom_dir

ROOT = Path(__file__).resolve().parents[2]
DEFAULT_DIR = ROOT / "classroom-data"
DB_FILE = "classes.sqlite3"
BUSY_TIMEOUT_MS = 10_000  # how long an SQLite writer waits for another before giving up
CONNECT_TIMEOUT_S = 5  # how long to wait for a PostgreSQL server that does not answer
STATEMENT_TIMEOUT_MS = 5_000  # PostgreSQL ends a statement (or a lock wait) after this
IDLE_TRANSACTION_MS = 60_000  # ... and a session idle inside a transaction after this
SOCKET_TIMEOUT_S = 8.0  # the longest any call waits for PostgreSQL's answer (it hangs)
WRITE = "classroom_write"  # execution option: this transaction will write
ADVISORY_LOCK = 0x636C6173  # "clas": PostgreSQL advisory lock held while preparing
SCHEMA_VERSION = 2

metadata = MetaData()


def _owner(name: str, table: str) -> Column:
    """Column ``name``: a not-null reference to a row of ``table``, deleted with that row."""
    return Column(name, ForeignKey(f"{table}.id", ondelete="CASCADE"), nullable=False,
                  index=True)


schema_version = Table("schema_version", metadata, Column("version", Integer, nullable=False))
classes = Table(
    "classes", metadata,
    Column("id", Integer, primary_key=True),
    Column("code", String(16), nullable=False, unique=True),
    Column("key_hash", String(255), nullable=False),
    Column("created_at", Double, nullable=False),
    Column("expires_at", Double, nullable=False, index=True),
    Column("closed_at", Double),
    Column("challenge", Text),  # JSON (core.classroom.challenge), NULL: none
    Column("joins_closed", Boolean, nullable=False, server_default=false()),  # version 2
)
students = Table(
    "students", metadata,
    Column("id", Integer, primary_key=True),
    _owner("class_id", "classes"),
    Column("nickname", String(100), nullable=False),
    Column("nickname_key", String(400), nullable=False),
    Column("joined_at", Double, nullable=False),
    Column("training_at", Double),  # the last "training now" heartbeat, NULL: not training
    Column("client", String(64)),  # version 2: a keyed hash of who joined (never an address)
    Column("training_by", String(64)),  # version 2: the server that sent the heartbeat
    UniqueConstraint("class_id", "nickname_key"),
)


def _shared(name: str, item_id: str, at: str, *columns: Column) -> Table:
    """A table of things students share in a class (runs, drawings): the class, the student,
    the page's id for the thing (unique in the class: a retry finds it), when it came."""
    return Table(name, metadata,
                 Column("id", Integer, primary_key=True),
                 _owner("class_id", "classes"),
                 _owner("student_id", "students"),
                 Column(item_id, String(64), nullable=False),
                 Column(at, Double, nullable=False),
                 *columns,
                 UniqueConstraint("class_id", item_id))


runs = _shared(
    "runs", "run_id", "shared_at",
    Column("dataset", String(40), nullable=False),
    Column("preprocessing", String(40), nullable=False),
    Column("learning_rate", Double, nullable=False),
    Column("l2", Double, nullable=False),
    Column("batch_size", Integer, nullable=False),
    Column("epochs", Integer, nullable=False),
    Column("seed", BigInteger),
    Column("epochs_done", Integer, nullable=False),
    *(Column(k, Double) for k in ("train_acc", "valid_acc", "test_acc",
                                   "train_loss", "valid_loss", "test_loss")),
    Column("diverged", Boolean, nullable=False),
    Column("curves", Text, nullable=False),  # compact JSON (core.classroom.shared)
)
drawings = _shared(
    "drawings", "drawing_id", "added_at",
    Column("label", SmallInteger, nullable=False),
    Column("image", LargeBinary, nullable=False),  # 28x28 uint8, the model's input
    Column("raw", LargeBinary, nullable=False),  # 56x56 uint8, the drawing shrunk
)
key_failures = Table(
    "key_failures", metadata,
    Column("id", Integer, primary_key=True),
    _owner("class_id", "classes"),
    Column("at", Double, nullable=False),
)


# Added without a version change (issue 21): new tables only, made by prepare() when
# missing (is_current() asks for every table), so no existing row changes.
student_state = Table(
    "student_state", metadata,  # what a student's own row did not hold at version 2
    Column("id", Integer, primary_key=True),
    Column("student_id", ForeignKey("students.id", ondelete="CASCADE"), nullable=False,
           unique=True),
    Column("claim", String(64)),  # SHA-256 of the browser's secret that holds the nickname
    Column("seen_at", Double),  # that browser's last sign of life
    Column("sharing", Boolean, nullable=False, server_default=true()),  # the student's choice
)
blocked = Table(
    "blocked", metadata,  # nicknames the teacher blocked: they cannot (re)join
    Column("id", Integer, primary_key=True),
    _owner("class_id", "classes"),
    Column("nickname_key", String(400), nullable=False),
    Column("nickname", String(100), nullable=False),
    UniqueConstraint("class_id", "nickname_key"),
)
teacher_sessions = Table(
    "teacher_sessions", metadata,  # a teacher's browser kept logged in (a cookie's token)
    Column("id", Integer, primary_key=True),
    _owner("class_id", "classes"),
    Column("token_hash", String(64), nullable=False, unique=True),  # SHA-256, hex
    Column("expires_at", Double, nullable=False),
)
deleted_codes = Table(
    "deleted_codes", metadata,  # classes the teacher deleted, so pages can say so
    Column("id", Integer, primary_key=True),
    Column("code", String(16), nullable=False, unique=True),
    Column("until", Double, nullable=False, index=True),  # forgotten then (its old expiry)
)

# Issue 25 (a class question, a class experiment): new tables, made like those above.
questions = Table("questions", metadata, Column("id", Integer, primary_key=True),
                  _owner("class_id", "classes"), Column("question", Text, nullable=False),
                  Column("asked_at", Double, nullable=False))  # JSON: core.classroom.class_lessons
answers = Table("answers", metadata, Column("id", Integer, primary_key=True),
                _owner("question_id", "questions"), _owner("student_id", "students"),
                Column("value", Double, nullable=False), Column("reason", Text, nullable=False),
                UniqueConstraint("question_id", "student_id"))
experiments = Table("experiments", metadata, Column("id", Integer, primary_key=True),
                    _owner("class_id", "classes"), Column("plan", Text, nullable=False),
                    Column("started_at", Double, nullable=False))
assignments = Table("assignments", metadata, Column("id", Integer, primary_key=True),
                    _owner("experiment_id", "experiments"), _owner("student_id", "students"),
                    Column("point", Integer, nullable=False),
                    UniqueConstraint("experiment_id", "student_id"))


def _add_flood_guards(conn: Connection) -> None:
    """Version 1 -> 2 (issue 19): the teacher's "no new students" switch, the joining
    client's hash, the server that sent a "training now" heartbeat, and nickname keys that
    also fold look-alike letters (UTS #39 skeleton). Two students whose new keys collide
    keep their rows: the later one's key gets its row id appended, so neither is lost (the
    one who joined first is the one a rejoin finds)."""
    conn.execute(text("ALTER TABLE classes ADD COLUMN joins_closed BOOLEAN NOT NULL "
                      "DEFAULT FALSE"))
    conn.execute(text("ALTER TABLE students ADD COLUMN client VARCHAR(64)"))
    conn.execute(text("ALTER TABLE students ADD COLUMN training_by VARCHAR(64)"))
    rows = conn.execute(select(students.c.id, students.c.class_id, students.c.nickname)
                        .order_by(students.c.id)).all()
    conn.execute(update(students).values(nickname_key=students.c.id.cast(String)))
    taken = set()
    for row in rows:
        key = nickname_key(row.nickname)
        if (row.class_id, key) in taken:
            key = f"{key}#{row.id}"
        taken.add((row.class_id, key))
        conn.execute(update(students).where(students.c.id == row.id).values(nickname_key=key))


# MIGRATIONS[n](connection) upgrades a version-n database to n + 1. New tables need no
# migration (prepare creates them); changes to existing tables do.
MIGRATIONS: dict[int, Callable[[Connection], None]] = {1: _add_flood_guards}


def default_url() -> str:
    """``CLASSROOM_DB_URL``, else the SQLite file in ``CLASSROOM_DIR`` (or classroom-data/ in a
    writable checkout, else a writable folder: core.paths.classroom_dir)."""
    url = os.environ.get("CLASSROOM_DB_URL", "").strip()
    if url:
        return url
    folder = classroom_dir()
    return f"sqlite:///{folder.resolve() / DB_FILE}"


def _sqlite_connect(dbapi_connection, _record) -> None:
    """Per new SQLite connection: the driver leaves transactions to us; WAL, busy timeout,
    foreign keys."""
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    for pragma in ("journal_mode=WAL", f"busy_timeout={BUSY_TIMEOUT_MS}", "foreign_keys=ON",
                   "synchronous=NORMAL"):
        cursor.execute(f"PRAGMA {pragma}")
    cursor.close()


def _sqlite_read_only_connect(dbapi_connection, _record) -> None:
    """Per new read-only SQLite connection: no journal change (that would write)."""
    dbapi_connection.isolation_level = None
    dbapi_connection.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")


def _sqlite_begin(conn: Connection) -> None:
    """Begin an SQLite transaction, taking the write lock at once when it will write."""
    conn.exec_driver_sql("BEGIN IMMEDIATE" if conn.get_execution_options().get(WRITE)
                         else "BEGIN")


def sqlite_path(url: str) -> Path | None:
    """The file of an SQLite URL (None: not SQLite, in memory, or already a URI)."""
    parsed = make_url(url)
    name = parsed.database
    if parsed.get_backend_name() != "sqlite" or not name or name == ":memory:" \
            or name.startswith("file:"):
        return None
    return Path(name)


def sqlite_read_only(path: Path) -> bool:
    """Can this process not write the existing file (or make SQLite's -wal/-shm beside it)?"""
    return path.exists() and not (os.access(path, os.W_OK) and os.access(path.parent, os.W_OK))


def _sqlite_engine(url: str, read_only: bool) -> Engine:
    """An SQLite engine: the file opened read-write but never created behind our back
    (``mode=rw``: a file deleted while the server runs is not silently made again), or
    read-only (``mode=ro``; ``immutable=1`` too when SQLite's -shm file cannot be made, the
    only way SQLite reads a WAL database in a read-only folder)."""
    path = sqlite_path(url)
    if path is not None:
        if not read_only:
            path.parent.mkdir(parents=True, exist_ok=True)
            sqlite3.connect(path).close()  # create it once, now, if it is missing
        immutable = read_only and not (path.parent / f"{path.name}-shm").exists() \
            and not os.access(path.parent, os.W_OK)
        mode = "ro" + ("&immutable=1" if immutable else "") if read_only else "rw"
        url = f"sqlite:///file:{quote(str(path))}?mode={mode}&uri=true"
    engine = create_engine(url, pool_size=5, max_overflow=15, pool_timeout=30,
                           connect_args={"check_same_thread": False,
                                         "timeout": BUSY_TIMEOUT_MS / 1000})
    event.listen(engine, "connect", _sqlite_read_only_connect if read_only else _sqlite_connect)
    event.listen(engine, "begin", _sqlite_begin)
    return engine


def _postgres_connect_args(url: str) -> dict:
    """libpq settings against a database that stops answering: a connect timeout, server-side
    statement, lock and idle-transaction timeouts (added to the URL's own ``options``), TCP
    keep-alives and a TCP user timeout (a peer gone from the network)."""
    options = make_url(url).query.get("options", "")
    options = " ".join(options) if isinstance(options, tuple) else options
    ours = (f"-c statement_timeout={STATEMENT_TIMEOUT_MS} -c lock_timeout={STATEMENT_TIMEOUT_MS} "
            f"-c idle_in_transaction_session_timeout={IDLE_TRANSACTION_MS}")
    return {"connect_timeout": CONNECT_TIMEOUT_S, "options": f"{options} {ours}".strip(),
            "keepalives": 1, "keepalives_idle": 10, "keepalives_interval": 5,
            "keepalives_count": 3, "tcp_user_timeout": int(SOCKET_TIMEOUT_S * 1000)}


def _timed_connection_class():
    """psycopg's Connection whose every wait for the server ends after SOCKET_TIMEOUT_S: a
    server that is alive to TCP but does not answer (stopped, swapping, hung) closes the
    connection with an OperationalError instead of hanging the page. (Keep-alives and TCP
    timeouts cannot see it: the server's kernel still acknowledges every packet.)"""
    import psycopg

    class TimedConnection(psycopg.Connection):
        def wait(self, gen, interval=0.1, timeout=None):
            try:
                return super().wait(gen, interval, SOCKET_TIMEOUT_S if timeout is None
                                    else timeout)
            except psycopg.errors.OperationalError as exc:
                if type(exc).__name__ != "_WaitTimeout":
                    raise
                self.pgconn.finish()  # in an unknown state: never used again
                raise psycopg.OperationalError(
                    f"the database did not answer within {SOCKET_TIMEOUT_S:g} s") from None

    return TimedConnection


def make_engine(url: str, read_only: bool = False) -> Engine:
    """An engine for ``url`` set up as the module's docstring says (SQLite: read-only if
    asked). Connects to nothing yet, but creates the SQLite file and its folder."""
    if make_url(url).get_backend_name() == "sqlite":
        return _sqlite_engine(url, read_only)
    engine = create_engine(url, pool_pre_ping=True, pool_size=5, max_overflow=15,
                           pool_timeout=30, connect_args=_postgres_connect_args(url))
    if make_url(url).get_driver_name() == "psycopg":
        timed = _timed_connection_class()
        event.listen(engine, "do_connect",
                     lambda _dialect, _record, cargs, cparams: timed.connect(*cargs, **cparams))
    return engine


def is_current(conn: Connection) -> bool:
    """Does the database already have this code's schema? (A read: a read-only database that
    is current can still be used.) Raises ClassroomUnavailable if it is newer than the code."""
    if not inspect(conn).has_table(schema_version.name):
        return False
    found = conn.execute(select(schema_version.c.version)).scalar()
    _refuse_newer(found)
    have = set(inspect(conn).get_table_names())
    return found == SCHEMA_VERSION and set(metadata.tables) <= have


def _refuse_newer(found: int | None) -> None:
    """ClassroomUnavailable if the database's schema is newer than this code knows."""
    if found is not None and found > SCHEMA_VERSION:
        raise ClassroomUnavailable(
            f"The class database was made by a newer version of this dashboard (schema "
            f"{found}; this one knows up to {SCHEMA_VERSION}). Update the dashboard.")


def prepare(conn: Connection) -> None:
    """Create, check or upgrade the schema (see the module's docstring), in ``conn``'s
    transaction."""
    if conn.dialect.name == "postgresql":
        conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": ADVISORY_LOCK})
    metadata.create_all(conn)
    found = conn.execute(select(schema_version.c.version)).scalar()
    if found is None:
        conn.execute(insert(schema_version).values(version=SCHEMA_VERSION))
        return
    _refuse_newer(found)
    for version in range(found, SCHEMA_VERSION):
        MIGRATIONS[version](conn)
    conn.execute(update(schema_version).values(version=SCHEMA_VERSION))
