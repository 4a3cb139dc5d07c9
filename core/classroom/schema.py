"""The class database: where it is, its tables, and how it is opened and upgraded.

**Where.** ``CLASSROOM_DB_URL`` (any SQLAlchemy URL, e.g.
``postgresql+psycopg://user:password@host/classroom``) when set; otherwise one SQLite file,
``$CLASSROOM_DIR/classes.sqlite3``, ``CLASSROOM_DIR`` defaulting to ``classroom-data/`` in the
project (git ignores it). SQLite needs nothing installed or started and serves one server;
several replicas share one PostgreSQL.

**SQLite settings**, on every connection: WAL journal (readers never wait for the writer),
a busy timeout (a writer waits for another instead of failing at once), foreign keys on
(deleting a class deletes its rows), and write transactions that take the write lock when
they begin (``BEGIN IMMEDIATE``), so two writers never deadlock upgrading a read lock.

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
from collections.abc import Callable
from pathlib import Path

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
    insert,
    inspect,
    make_url,
    select,
    text,
    update,
)

from core.classroom.errors import ClassroomUnavailable

ROOT = Path(__file__).resolve().parents[2]
DEFAULT_DIR = ROOT / "classroom-data"
DB_FILE = "classes.sqlite3"
BUSY_TIMEOUT_MS = 10_000  # how long an SQLite writer waits for another before giving up
CONNECT_TIMEOUT_S = 5  # how long to wait for a PostgreSQL server that does not answer
WRITE = "classroom_write"  # execution option: this transaction will write
ADVISORY_LOCK = 0x636C6173  # "clas": PostgreSQL advisory lock held while preparing
SCHEMA_VERSION = 1
# MIGRATIONS[n](connection) upgrades a version-n database to n + 1 (none yet). New tables
# need no migration (prepare creates them); changes to existing tables do.
MIGRATIONS: dict[int, Callable[[Connection], None]] = {}

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
)
students = Table(
    "students", metadata,
    Column("id", Integer, primary_key=True),
    _owner("class_id", "classes"),
    Column("nickname", String(100), nullable=False),
    Column("nickname_key", String(400), nullable=False),
    Column("joined_at", Double, nullable=False),
    Column("training_at", Double),  # the last "training now" heartbeat, NULL: not training
    UniqueConstraint("class_id", "nickname_key"),
)
runs = Table(
    "runs", metadata,
    Column("id", Integer, primary_key=True),
    _owner("class_id", "classes"),
    _owner("student_id", "students"),
    Column("run_id", String(64), nullable=False),
    Column("shared_at", Double, nullable=False),
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
    UniqueConstraint("class_id", "run_id"),
)
drawings = Table(
    "drawings", metadata,
    Column("id", Integer, primary_key=True),
    _owner("class_id", "classes"),
    _owner("student_id", "students"),
    Column("drawing_id", String(64), nullable=False),
    Column("added_at", Double, nullable=False),
    Column("label", SmallInteger, nullable=False),
    Column("image", LargeBinary, nullable=False),  # 28x28 uint8, the model's input
    Column("raw", LargeBinary, nullable=False),  # 56x56 uint8, the drawing shrunk
    UniqueConstraint("class_id", "drawing_id"),
)
key_failures = Table(
    "key_failures", metadata,
    Column("id", Integer, primary_key=True),
    _owner("class_id", "classes"),
    Column("at", Double, nullable=False),
)


def default_url() -> str:
    """``CLASSROOM_DB_URL``, else the SQLite file in ``CLASSROOM_DIR`` (or classroom-data/)."""
    url = os.environ.get("CLASSROOM_DB_URL", "").strip()
    if url:
        return url
    folder = Path(os.environ.get("CLASSROOM_DIR", "").strip() or DEFAULT_DIR)
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


def _sqlite_begin(conn: Connection) -> None:
    """Begin an SQLite transaction, taking the write lock at once when it will write."""
    conn.exec_driver_sql("BEGIN IMMEDIATE" if conn.get_execution_options().get(WRITE)
                         else "BEGIN")


def make_engine(url: str) -> Engine:
    """An engine for ``url`` set up as the module's docstring says. Connects to nothing yet,
    but creates the SQLite file's folder."""
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite":
        return create_engine(url, pool_pre_ping=True, pool_size=5, max_overflow=15,
                             pool_timeout=30, connect_args={"connect_timeout": CONNECT_TIMEOUT_S})
    if parsed.database and parsed.database != ":memory:":
        Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(url, pool_size=5, max_overflow=15, pool_timeout=30,
                           connect_args={"check_same_thread": False,
                                         "timeout": BUSY_TIMEOUT_MS / 1000})
    event.listen(engine, "connect", _sqlite_connect)
    event.listen(engine, "begin", _sqlite_begin)
    return engine


def is_current(conn: Connection) -> bool:
    """Does the database already have this code's schema? (A read: a read-only database that
    is current can still be used.) Raises ClassroomUnavailable if it is newer than the code."""
    if not inspect(conn).has_table(schema_version.name):
        return False
    found = conn.execute(select(schema_version.c.version)).scalar()
    _refuse_newer(found)
    return found == SCHEMA_VERSION


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
