"""README's first command on a stock Debian Python: a fresh clone started with
``PYTHON=/usr/bin/python3 bash run.sh app`` builds its own virtual environment (.venv),
installs the requirements into it and serves the dashboard; a second start reuses the
environment and installs nothing.

Debian's /usr/bin/python3 is "externally managed" (PEP 668): pip refuses to install into
it, so this only works if run.sh really keeps everything in .venv. The test checks that
precondition first, and fails (never skips) when /usr/bin/python3 is missing.

The clone is of HEAD: what is not committed (run.sh included) is not tested. Slow: the first
start pip-installs every requirement into a new environment (about a minute from a nearby
package index, several from PyPI). The clone, its .venv included, is deleted at the end.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from support.e2e import ROOT, free_port

SYSTEM_PYTHON = "/usr/bin/python3"
INSTALLING = "Installing Python packages"  # run.sh prints it only when it installs
CREATING = "Creating the virtual environment"
FIRST_START_TIMEOUT = 30 * 60  # a fresh .venv: pip downloads and installs every requirement
SECOND_START_TIMEOUT = 3 * 60  # nothing to install: only Streamlit's start-up
# Variables that would point run.sh or the new environment at this test run's own Python.
NOT_PASSED_ON = {"VIRTUAL_ENV", "VENV", "PYTHON", "PYTHONPATH", "PYTHONHOME", "PYTHONSTARTUP",
                 "OPENBLAS_NUM_THREADS", "MALLOC_ARENA_MAX"}


def _environment() -> dict[str, str]:
    """This machine's environment (pip's settings included), less anything that ties the
    child to the test's virtual environment or configures Streamlit behind run.sh's back."""
    env = {k: v for k, v in os.environ.items()
           if k not in NOT_PASSED_ON and not k.startswith("STREAMLIT_")}
    own_bin = str(Path(sys.prefix) / "bin")
    env["PATH"] = os.pathsep.join(p for p in env.get("PATH", "").split(os.pathsep) if p != own_bin)
    env["PYTHON"] = SYSTEM_PYTHON
    return env


def _stop(proc: subprocess.Popen) -> None:
    """End run.sh and everything it started (its own process group), whatever state it is in."""
    for sig, wait in ((signal.SIGTERM, 30), (signal.SIGKILL, 10)):
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, sig)
        try:
            proc.wait(timeout=wait)
            break
        except subprocess.TimeoutExpired:
            continue
    with contextlib.suppress(ProcessLookupError):  # anything of the group still left
        os.killpg(proc.pid, signal.SIGKILL)


def _healthy(port: int) -> bool:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/_stcore/health", timeout=5) as r:
            return r.status == 200 and r.read().decode().strip() == "ok"
    except OSError:
        return False


@contextlib.contextmanager
def _run_app(clone: Path, log: Path):
    """``bash run.sh app`` on a free loopback port; yields (process, port). Always stopped."""
    port = free_port()
    with log.open("w") as out:
        proc = subprocess.Popen(
            ["bash", "run.sh", "app", "--server.port", str(port), "--server.headless", "true",
             "--server.address", "127.0.0.1"],
            cwd=clone, env=_environment(), stdin=subprocess.DEVNULL, stdout=out,
            stderr=subprocess.STDOUT, start_new_session=True)
    try:
        yield proc, port
    finally:
        _stop(proc)


def _wait_until_healthy(proc: subprocess.Popen, port: int, log: Path, timeout: float) -> float:
    """Poll /_stcore/health until it answers "ok"; returns the seconds it took."""
    t0 = time.monotonic()
    while not _healthy(port):
        assert proc.poll() is None, (
            f"run.sh exited with {proc.returncode} before serving:\n{log.read_text()[-5000:]}")
        assert time.monotonic() - t0 < timeout, (
            f"no healthy server on port {port} after {timeout:.0f} s:\n{log.read_text()[-5000:]}")
        time.sleep(0.5)
    return time.monotonic() - t0


def _check_serving(proc: subprocess.Popen, port: int, clone: Path, log: Path) -> str:
    """The output names the address, and the server is the clone's own .venv Python."""
    text = log.read_text()
    assert f"Starting the dashboard: open http://127.0.0.1:{port}" in text, text
    cmdline = Path(f"/proc/{proc.pid}/cmdline").read_bytes().split(b"\0")
    assert Path(f"/proc/{proc.pid}/cwd").resolve() == clone.resolve()
    assert cmdline[0].decode().endswith(".venv/bin/python"), cmdline
    assert cmdline[1] == b"serve.py", cmdline  # streamlit run app.py, caches warmed
    return text


@pytest.mark.timeout(FIRST_START_TIMEOUT + SECOND_START_TIMEOUT + 300)
def test_a_fresh_clone_starts_on_debians_python_and_a_second_start_installs_nothing(tmp_path):
    # The preconditions that make this test mean something.
    assert Path(SYSTEM_PYTHON).exists(), f"{SYSTEM_PYTHON} is missing: apt-get install -y python3"
    stdlib = subprocess.run(
        [SYSTEM_PYTHON, "-c", "import sysconfig; print(sysconfig.get_path('stdlib'))"],
        capture_output=True, text=True, check=True).stdout.strip()
    marker = Path(stdlib) / "EXTERNALLY-MANAGED"
    assert marker.exists(), f"{marker} is missing: {SYSTEM_PYTHON} is not PEP 668's Debian Python"

    # A clean clone of HEAD: no .venv, no stamps, nothing beside it (no ../shared).
    clone = tmp_path / "clone"
    subprocess.run(["git", "clone", "--quiet", str(ROOT), str(clone)], check=True,
                   capture_output=True)
    assert not (clone / ".venv").exists() and not (tmp_path / "shared").exists()
    assert (clone / "data" / "mnist").is_dir() and (clone / "data" / "default_model.npz").is_file()
    base_python = os.path.realpath(SYSTEM_PYTHON)
    try:
        first_log, second_log = tmp_path / "first.log", tmp_path / "second.log"
        with _run_app(clone, first_log) as (proc, port):
            first_s = _wait_until_healthy(proc, port, first_log, FIRST_START_TIMEOUT)
            text = _check_serving(proc, port, clone, first_log)
            assert CREATING in text and INSTALLING in text, text
        assert (clone / ".venv" / ".base-python").read_text().strip() == base_python
        assert (clone / ".venv" / ".installed-app").is_file()

        with _run_app(clone, second_log) as (proc, port):
            second_s = _wait_until_healthy(proc, port, second_log, SECOND_START_TIMEOUT)
            text = _check_serving(proc, port, clone, second_log)
            assert INSTALLING not in text and CREATING not in text, text
        print(f"\nfirst start (new .venv, pip install) to healthy: {first_s:.0f} s; "
              f"second start: {second_s:.1f} s")
    finally:
        shutil.rmtree(clone, ignore_errors=True)
