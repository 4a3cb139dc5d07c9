"""A free app host, simulated (issue 24 item 4): Streamlit Community Cloud and a Hugging Face
Streamlit Space install ``requirements.txt`` with pip into a fresh environment and run
``streamlit run app.py``: no run.sh, no apt, no warm-up by serve.py, the checkout read-only,
a user that is not root, and only a temporary folder to write to.

Here: a fresh venv in a temporary folder (the system's python3, the project's Python version),
``pip install -r requirements.txt`` and nothing else, the checkout copied read-only and owned
by root, the server run as ``nobody`` with no HOME and only its own temporary folder writable
(TMPDIR), under the hosts' larger memory cap (RLIMIT_AS, see MEMORY_CAP_MB). Every page
opens without an exception, a run trains through the Train page, a class opens with its
SQLite file in the temporary folder, and a ``CLASSROOM_DB_URL`` given as a Streamlit secret
(``.streamlit/secrets.toml``, what the hosts' secrets settings write) moves the database.

We cannot reach the real hosts from here: their sleep after idle hours, their proxies and
their exact limits are not simulated. Fails (never skips) without runuser or network access
to the packages.
"""

from __future__ import annotations

import asyncio
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest
from hosting_support import (
    PAGES,
    bare_env,
    make_read_only,
    nobody_server,
    open_a_class,
    read_only_copy,
    runuser,
    train_once,
    traversable,
    visit,
    writable_by_nobody,
)

from support.e2e import ROOT, server_exceptions
from support.load_protocol import rss_mb

UID = 65534  # nobody
PIP_TIMEOUT = 900  # s: a first install downloads ~250 MB of wheels; pip's cache makes it ~1 min
# Streamlit Community Cloud's largest allowance (2.7 GB of memory), as an address-space
# limit on the server process (RLIMIT_AS), which also bounds what the process may reserve
# without touching: numba's LLVM and the BLAS thread buffers reserve well above what they use.
MEMORY_CAP_MB = 2700


def _system_python() -> str:
    """The system's python3 of the project's version: the one nobody can run."""
    version = f"python{sys.version_info.major}.{sys.version_info.minor}"
    found = shutil.which(version, path="/usr/local/bin:/usr/bin:/bin")
    assert found, f"no system {version} to make the host's venv from"
    return found


@pytest.fixture(scope="module")
def host():
    """(the venv's bin folder, the test's base folder)."""
    runuser()
    base = Path(tempfile.mkdtemp(prefix="wac-piponly-", dir="/tmp"))
    base.chmod(0o755)
    try:
        venv = base / "venv"
        subprocess.run([_system_python(), "-m", "venv", str(venv)], check=True)
        subprocess.run([str(venv / "bin" / "pip"), "install", "-q", "--disable-pip-version-check",
                        "-r", str(ROOT / "requirements.txt")], check=True, timeout=PIP_TIMEOUT)
        make_read_only(venv)
        yield venv / "bin", base
    finally:
        shutil.rmtree(base, ignore_errors=True)


def _prepare(host, secrets: str | None = None) -> tuple[Path, Path, dict[str, str]]:
    """A read-only copy of the checkout (with ``secrets`` as .streamlit/secrets.toml), a
    fresh temporary folder for nobody, and the environment: no HOME, TMPDIR only."""
    _, base = host
    tmp = writable_by_nobody(Path(tempfile.mkdtemp(prefix="tmp-", dir=base)))
    copy = Path(tempfile.mkdtemp(prefix="app-", dir=base))
    copy.chmod(0o755)
    read_only_copy(copy)
    if secrets is not None:
        target = copy / ".streamlit" / "secrets.toml"
        target.parent.chmod(0o755)
        target.write_text(secrets)
        make_read_only(copy / ".streamlit")
    traversable(copy)
    return copy, tmp, bare_env(TMPDIR=str(tmp))


def _capped(argv: list[str]) -> list[str]:
    """``argv`` under the memory cap (prlimit, util-linux)."""
    return ["/usr/bin/prlimit", f"--as={MEMORY_CAP_MB * 1024 * 1024}", "--", *argv]


def _server_pid(runner: int) -> int:
    """The server's pid: the Python below runuser and prlimit (prlimit execs it)."""
    children = Path(f"/proc/{runner}/task/{runner}/children").read_text().split()
    assert children, "runuser has no child"
    return int(children[0])


@pytest.mark.timeout(1500)
def test_pip_install_then_streamlit_run_works_read_only_as_nobody(host):
    copy, tmp, env = _prepare(host)
    bin_dir, base = host
    log = base / "server.log"
    argv = _capped([str(bin_dir / "streamlit"), "run", "app.py"])
    with nobody_server(argv, copy, env, log, timeout=180) as (url, proc):
        errors = {page or "train": asyncio.run(visit(url, page)) for page in PAGES}
        result = train_once(url, epochs=2, timeout=300)
        class_errors, shown = asyncio.run(open_a_class(url))
        pid = _server_pid(proc.pid)
        memory = rss_mb(pid)
        limit = Path(f"/proc/{pid}/limits").read_text()
        status = dict(line.split(":", 1) for line in
                      Path(f"/proc/{pid}/status").read_text().splitlines() if ":" in line)
        assert proc.poll() is None, log.read_text()
    text = log.read_text()
    print(f"\nserver RSS after the pages, a run and a class: {memory:.0f} MB; address space "
          f"at most {status['VmPeak'].strip()} (cap {MEMORY_CAP_MB} MB)")
    assert f"{MEMORY_CAP_MB * 1024 * 1024}" in limit  # the cap was on the server itself
    assert not any(errors.values()), (errors, text[-3000:])
    assert not result.errors and result.finished, (result.errors, text[-3000:])
    assert not class_errors and any("classroom?class=" in s for s in shown), class_errors
    private = tmp / f"watch-a-classifier-{UID}"
    assert (private / "classroom" / "classes.sqlite3").stat().st_size > 0
    assert any((private / "numba").rglob("*.nbi")), "numba cached nothing"
    assert not server_exceptions(text), text[-3000:]
    assert not any(p.stat().st_uid == UID for p in copy.rglob("*"))  # nothing in the code


@pytest.mark.timeout(600)
def test_a_streamlit_secret_names_the_class_database(host):
    """CLASSROOM_DB_URL in the host's secrets (a root-level key of secrets.toml, which
    Streamlit copies into the environment at start) is where classes go: PostgreSQL on a
    real host; an SQLite file outside the temporary folder here."""
    bin_dir, base = host
    keep = writable_by_nobody(Path(tempfile.mkdtemp(prefix="keep-", dir=base)))
    copy, tmp, env = _prepare(host, f'CLASSROOM_DB_URL = "sqlite:///{keep}/classes.sqlite3"\n')
    log = base / "secret-server.log"
    with nobody_server([str(bin_dir / "streamlit"), "run", "app.py"], copy, env, log,
                       timeout=180) as (url, _proc):
        class_errors, shown = asyncio.run(open_a_class(url))
    assert not class_errors and any("classroom?class=" in s for s in shown), class_errors
    assert (keep / "classes.sqlite3").stat().st_size > 0
    assert not (tmp / f"watch-a-classifier-{UID}" / "classroom").exists()
