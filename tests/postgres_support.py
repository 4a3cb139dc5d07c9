"""A throw-away PostgreSQL server for the tests: started in a temporary folder, stopped and
deleted after.

It uses the distribution's server binaries (Debian's ``postgresql`` package puts them in
/usr/lib/postgresql/<version>/bin; ``bash run.sh test`` installs it), never a system
service. PostgreSQL refuses to run as root, so when the tests run as root, initdb and
pg_ctl run as the ``postgres`` user (``runuser -u postgres --``; :func:`runuser` finds it in
/usr/sbin or /sbin too, which a plain login shell's PATH leaves out) in a folder it owns. The
server listens on a free loopback port (its unix socket in that folder too), trusts local
connections, and skips fsync: it holds test data only.

When the binaries are missing, :func:`postgres_bin` raises :class:`PostgresMissing` saying
how to install them: the tests fail, they are never skipped.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import tempfile
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from support.e2e import free_port

SEARCH = "/usr/lib/postgresql/*/bin"  # Debian and Ubuntu keep one folder per major version
DATABASE = "classroom"
START_TIMEOUT = 60  # seconds for pg_ctl to see the server accept connections
# Settings for a server that holds only test data: no waiting for the disk.
SERVER_OPTIONS = ("-c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off "
                  "-c full_page_writes=off -c max_connections=100")


SYSTEM_BIN = ("/usr/sbin", "/sbin", "/usr/bin", "/bin")  # where Debian keeps runuser


class PostgresMissing(RuntimeError):
    """PostgreSQL's server binaries (or, as root, runuser) are not installed."""


def runuser() -> str:
    """The path of ``runuser`` (util-linux), searched on PATH and then in the system folders
    (Debian keeps it in /usr/sbin, outside a plain user's PATH); PostgresMissing if absent."""
    search = os.pathsep.join([os.environ.get("PATH", ""), *SYSTEM_BIN])
    found = shutil.which("runuser", path=search)
    if found is None:
        raise PostgresMissing("runuser is not installed (util-linux): the tests run "
                              "PostgreSQL as the postgres user with it. apt-get install -y "
                              "util-linux")
    return found


def _version(folder: Path) -> tuple[int, ...]:
    """The version in /usr/lib/postgresql/<version>/bin, as numbers to sort by."""
    return tuple(int(n) for n in re.findall(r"\d+", folder.parent.name))


def postgres_bin() -> Path:
    """The folder holding initdb and pg_ctl (``PG_BINDIR`` if set, else the newest version
    under /usr/lib/postgresql), or PostgresMissing with the command that installs them."""
    chosen = os.environ.get("PG_BINDIR")
    folders = [Path(chosen)] if chosen else sorted(Path("/").glob(SEARCH.lstrip("/")),
                                                   key=_version, reverse=True)
    for folder in folders:
        if (folder / "initdb").is_file() and (folder / "pg_ctl").is_file():
            return folder
    raise PostgresMissing(
        "PostgreSQL is not installed: the classroom store's tests need its server binaries "
        f"(initdb, pg_ctl in {SEARCH}). `bash run.sh test` installs them; by hand: "
        "apt-get install -y --no-install-recommends postgresql")


class TempPostgres:
    """A PostgreSQL server of its own: ``start()`` gives its SQLAlchemy URL, ``stop()``
    stops it (fast shutdown) and deletes its folder."""

    def __init__(self) -> None:
        self.bin = postgres_bin()
        self.folder: Path | None = None
        self.port = 0
        self._as = [runuser(), "-u", "postgres", "--"] if os.geteuid() == 0 else []

    @property
    def data(self) -> Path:
        return self.folder / "data"

    def _run(self, *args: str) -> None:
        """Run a PostgreSQL program (as postgres when we are root); fail with its output."""
        done = subprocess.run([*self._as, *args], capture_output=True, text=True, timeout=120)
        if done.returncode:
            log = self.folder / "server.log"
            extra = log.read_text(errors="replace")[-2000:] if log.exists() else ""
            raise RuntimeError(f"{' '.join(args)} failed ({done.returncode}):\n"
                               f"{done.stdout}{done.stderr}{extra}")

    def _make_folder(self) -> None:
        """A private temporary folder, owned by postgres when we are root."""
        self.folder = Path(tempfile.mkdtemp(prefix="classroom-pg-"))
        if self._as:
            shutil.chown(self.folder, "postgres", "postgres")
        self.folder.chmod(0o700)

    def start(self) -> str:
        """Create the cluster and the database, start the server; return its URL."""
        self._make_folder()
        self.port = free_port()
        self._run(str(self.bin / "initdb"), "-D", str(self.data), "-U", "postgres",
                  "-A", "trust", "-E", "UTF8", "--locale=C.UTF-8", "--no-sync",
                  "--no-instructions")
        self._run(str(self.bin / "pg_ctl"), "-D", str(self.data), "-l",
                  str(self.folder / "server.log"), "-w", "-t", str(START_TIMEOUT),
                  "-o", f"-p {self.port} -k {self.folder} {SERVER_OPTIONS}", "start")
        self._run(str(self.bin / "createdb"), "-h", "127.0.0.1", "-p", str(self.port),
                  "-U", "postgres", DATABASE)
        return self.url

    @property
    def url(self) -> str:
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/{DATABASE}"

    def fresh_url(self) -> str:
        """The URL of a new, empty schema in the database: each test gets its own tables
        (PostgreSQL's search_path set through the connection's options)."""
        import psycopg

        name = f"t_{uuid.uuid4().hex[:16]}"
        with psycopg.connect(f"host=127.0.0.1 port={self.port} user=postgres "
                             f"dbname={DATABASE}", autocommit=True) as conn:
            conn.execute(f"CREATE SCHEMA {name}")
        return f"{self.url}?options=-csearch_path%3D{name}"

    def stop(self) -> None:
        """Stop the server (if it runs) and delete its folder."""
        if self.folder is None:
            return
        if (self.data / "postmaster.pid").exists():
            self._run(str(self.bin / "pg_ctl"), "-D", str(self.data), "-m", "fast", "-w",
                      "stop")
        shutil.rmtree(self.folder, ignore_errors=True)
        self.folder = None


@contextmanager
def running_postgres() -> Iterator[TempPostgres]:
    """A started TempPostgres, stopped (and its folder deleted) on leaving; a test fails,
    never skips, when PostgreSQL is not installed."""
    import pytest

    try:
        server = TempPostgres()
    except PostgresMissing as exc:
        pytest.fail(str(exc))
    try:
        server.start()
    except BaseException:
        server.stop()
        raise
    try:
        yield server
    finally:
        server.stop()
