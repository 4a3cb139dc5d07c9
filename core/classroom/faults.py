"""What the store does when the class database fails: classify, log, pause, tell.

- **Classify.** A value the database refuses (too long, malformed: a DataError) is the
  typist's error, :class:`~core.classroom.errors.InvalidInput`; a unique-key race is a
  :class:`~core.classroom.errors.Conflict`; only a database that cannot be reached, read or
  written (down, hung, read-only, full disk, busy) is
  :class:`~core.classroom.errors.ClassroomUnavailable`.
- **Tell.** The driver's own words (host, port, file paths) go to the server's log
  (``logging``, logger ``core.classroom``); students and the teacher read a plain reason:
  "it does not answer", "it is read-only", "the disk is full", ...
- **Pause.** After a failure the store does not ask the database again for
  ``Limits.retry_seconds`` (a PostgreSQL server that does not answer costs every call
  seconds): a failed *write* pauses writes only, and reads go on; a failed read pauses
  both. The pause belongs to one store, i.e. one database of one server process.
- **Watch the SQLite file.** :class:`FileWatch` remembers which file (device and inode) the
  store opened; a file deleted or replaced under a running server (``git clean -fdx``)
  stops every write, which would go to a file no one will see again, and says so.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from pathlib import Path

from sqlalchemy.exc import DataError, IntegrityError, SQLAlchemyError

from core.classroom.errors import ClassroomUnavailable, Conflict, InvalidInput
from core.i18n import Msg

log = logging.getLogger("core.classroom")

# (words in the driver's message, the plain reason shown): the first that matches is shown.
REASONS = (
    (("readonly", "read-only", "read only"), Msg("it is read-only")),
    (("disk is full", "no space", "disk full", "database or disk is full"),
     Msg("the disk is full")),
    (("locked", "busy", "lock timeout", "could not obtain lock"), Msg("it is busy")),
    (("timeout", "timed out", "did not answer", "canceling statement"),
     Msg("it does not answer")),
)
UNREACHABLE = Msg("it cannot be reached")
VALUE_REFUSED = Msg("The class database refused a value (too long or not valid): please "
                    "change what you typed.")
CONFLICT = Msg("Someone changed the class at the same moment: please try again.")
FILE_LOST = Msg("The class database file was deleted or replaced while the dashboard was "
                "running: nothing more is written, so that nothing is lost without a word. "
                "Ask whoever runs the server to restore it or restart the dashboard.")
READ_ONLY = Msg("The class database is read-only on this server: the board can be read, "
                "but nothing new is saved (no new classes, students, runs or drawings).")


def driver_detail(exc: BaseException) -> str:
    """The driver's own message's first line (for the log only: it may name hosts)."""
    orig = getattr(exc, "orig", None) or exc
    lines = str(orig).strip().splitlines()
    return lines[0] if lines else type(orig).__name__


def plain_reason(exc: BaseException) -> Msg:
    """Why the database failed, in words without hosts, ports or paths."""
    detail = driver_detail(exc).lower()
    for words, reason in REASONS:
        if any(w in detail for w in words):
            return reason
    return UNREACHABLE


def _is_dbapi_error(exc: BaseException, kind: str) -> bool:
    """Is ``exc`` (or what it wraps) a PEP 249 exception named ``kind`` (e.g. DataError)?"""
    orig = getattr(exc, "orig", None) or exc
    return any(c.__name__ == kind for c in type(orig).__mro__)


class Outages:
    """The store's pauses after failures (see the module's docstring). Thread-safe."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self._until = {False: (0.0, ""), True: (0.0, "")}  # write? -> (monotonic, message)
        self._lock = threading.Lock()

    def check(self, write: bool) -> None:
        """ClassroomUnavailable at once while this kind of call is paused."""
        until, message = self._until[write]
        wait = until - time.monotonic()
        if wait > 0:
            raise ClassroomUnavailable(Msg("{reason}; trying again in {wait:.0f} s",
                                           reason=message, wait=max(wait, 1)))

    def record(self, write: bool, message: str) -> None:
        """Pause writes (a failed write) or everything (a failed read)."""
        until = time.monotonic() + self.seconds
        with self._lock:
            for kind in ((True,) if write else (False, True)):
                if self._until[kind][0] < until:
                    self._until[kind] = (until, message)


def unavailable(exc: BaseException, write: bool) -> ClassroomUnavailable:
    """The plain ClassroomUnavailable for a database failure; the detail goes to the log."""
    log.warning("class database %s failed: %s: %s", "write" if write else "read",
                type(getattr(exc, "orig", None) or exc).__name__, driver_detail(exc))
    reason = plain_reason(exc)
    return ClassroomUnavailable(
        Msg("The class database cannot be written: {reason}", reason=reason) if write else
        Msg("The class database cannot be read: {reason}", reason=reason))


def classify(exc: BaseException, write: bool) -> Exception | None:
    """The ClassroomError a database exception stands for (None: not a database failure,
    let it through). DataErrors and IntegrityErrors are never an outage."""
    if isinstance(exc, DataError) or _is_dbapi_error(exc, "DataError"):
        log.info("class database refused a value: %s", driver_detail(exc))
        return InvalidInput(VALUE_REFUSED)
    if isinstance(exc, IntegrityError) or _is_dbapi_error(exc, "IntegrityError"):
        return Conflict(CONFLICT)
    if isinstance(exc, (SQLAlchemyError, OSError)) or _is_dbapi_error(exc, "Error"):
        return unavailable(exc, write)
    return None


class FileWatch:
    """The identity (device, inode) of the SQLite file the store opened, checked again
    before every write: ``lost`` once the path names another file or none."""

    def __init__(self, path: str | os.PathLike) -> None:
        self.path = Path(path)
        stat = self.path.stat()
        self.identity = (stat.st_dev, stat.st_ino)
        self.lost = False

    def same_file(self) -> bool:
        """Is the path still the file that was opened? (Remembers a loss for good.)"""
        if not self.lost:
            try:
                stat = self.path.stat()
                self.lost = (stat.st_dev, stat.st_ino) != self.identity
            except OSError:
                self.lost = True
            if self.lost:
                log.error("class database file %s was deleted or replaced: writes stopped",
                          self.path)
        return not self.lost

    def check(self) -> None:
        """ClassroomUnavailable once the file is lost."""
        if not self.same_file():
            raise ClassroomUnavailable(FILE_LOST)
