"""The class database's connection: the engine, its transactions, and its failures.

:class:`Database` opens the engine once (an SQLite file this process cannot write opens
read-only), creates or upgrades the schema (core.classroom.schema), and gives transactions
(:meth:`Database.transaction`) in which any database failure (server down or hung,
read-only file, full disk, lock timeout, the SQLite file deleted) becomes
ClassroomUnavailable, a refused value InvalidInput, a unique-key race Conflict (see
core.classroom.faults). After a failure it pauses writes (a failed write) or everything (a
failed read) for ``retry_seconds``: :meth:`check` refuses at once while paused."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import Connection

from core.classroom import schema as db
from core.classroom.errors import ClassroomError, ClassroomUnavailable
from core.classroom.faults import FILE_LOST, READ_ONLY, FileWatch, Outages, classify
from core.i18n import Msg


class Database:
    """One SQLAlchemy URL's engine and its outages (thread-safe once prepared)."""

    def __init__(self, url: str, retry_seconds: float) -> None:
        self.url = url
        self.engine = None
        self.outages = Outages(retry_seconds)
        self.file: FileWatch | None = None  # the SQLite file opened (None: not SQLite)
        self.read_only = False  # an SQLite file this process cannot write: opened to read

    def prepare(self) -> None:
        """Create the engine, then the schema unless it is current (see
        core.classroom.schema). A current read-only database still opens, for reading."""
        with self.guard(write=False):
            if self.engine is None:
                self._open_engine()
            with self.engine.connect() as conn:
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
        self.file = FileWatch(path) if path is not None else None
        self.read_only, self.engine = read_only, engine

    def problem(self) -> Msg | None:
        """Opened read-only, or its file deleted or replaced while running (None: fine)."""
        if self.read_only:
            return READ_ONLY
        if self.file is not None and not self.file.same_file():
            return FILE_LOST
        return None

    def dispose(self) -> None:
        """Close every pooled connection (later transactions reconnect)."""
        if self.engine is not None:
            self.engine.dispose()

    @contextmanager
    def guard(self, write: bool) -> Iterator[None]:
        """Turn database failures into ClassroomErrors (and pause after an outage);
        ClassroomErrors pass through."""
        try:
            yield
        except ClassroomError:
            raise
        except Exception as exc:
            mapped = classify(exc, write)
            if mapped is None:
                raise
            if isinstance(mapped, ClassroomUnavailable):
                self.outages.record(write, mapped.args[0])
            raise mapped from None

    def check(self, write: bool) -> None:
        """ClassroomUnavailable at once while paused after a failure."""
        self.outages.check(write)

    def _check_writable(self) -> None:
        """ClassroomUnavailable before a write to a read-only or lost SQLite file."""
        if self.read_only:
            raise ClassroomUnavailable(READ_ONLY)
        if self.file is not None:
            self.file.check()

    @contextmanager
    def transaction(self, write: bool) -> Iterator[Connection]:
        """A connection in a transaction (a writing one takes its lock at once), committed
        when the block ends without error. Call :meth:`prepare` first."""
        if write:
            self._check_writable()
        with self.guard(write), self.engine.connect() as conn:
            if write:
                conn.execution_options(**{db.WRITE: True})
            with conn.begin():
                yield conn
