"""The systemd unit for a school server (deploy/watch-a-classifier.service, issue 24 item 2):
it has what the issue asks (a dedicated user, ProtectSystem=strict, state and cache folders
wired to CLASSROOM_DIR and NUMBA_CACHE_DIR, Restart=on-failure, run.sh's server settings),
``systemd-analyze verify`` accepts it, and the server started as that unit starts it (the
same command, exactly the unit's environment, the code read-only, as an unprivileged user)
trains a run through the page and keeps its class database and compiled step where the unit
says. systemd itself cannot run services in this container (no init), so the last part is
played by runuser as ``nobody``, with the folders systemd would make."""

from __future__ import annotations

import asyncio
import re
import shlex
import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest
from hosting_support import (
    as_nobody,
    nobody_python,
    open_a_class,
    read_only_copy,
    runuser,
    train_once,
    traversable,
    writable_by_nobody,
)

from support.e2e import ROOT, SERVER_ENV, free_port, server_exceptions

UNIT = ROOT / "deploy" / "watch-a-classifier.service"
INSTALLED = "/opt/watch-a-classifier"  # where the unit expects the checkout


def parse_unit(text: str) -> dict[str, dict[str, list[str]]]:
    """A unit file as {section: {key: [values, in order]}} (systemd's INI: keys repeat;
    comments start with # or ;; a line ending in a backslash continues)."""
    sections: dict[str, dict[str, list[str]]] = {}
    current = None
    for line in text.replace("\\\n", " ").splitlines():
        line = line.strip()
        if not line or line[0] in "#;":
            continue
        if line.startswith("[") and line.endswith("]"):
            current = sections.setdefault(line[1:-1], {})
            continue
        key, sep, value = line.partition("=")
        assert sep and current is not None, f"not a unit line: {line!r}"
        current.setdefault(key.strip(), []).append(value.strip())
    return sections


def unit_environment(service: dict[str, list[str]], state: Path, cache: Path) -> dict[str, str]:
    """The variables the unit's Environment= lines set, with %S and %C (systemd's state and
    cache roots) replaced by ``state`` and ``cache``."""
    env: dict[str, str] = {}
    for line in service.get("Environment", []):
        for pair in shlex.split(line):
            name, _, value = pair.partition("=")
            env[name] = value.replace("%S", str(state)).replace("%C", str(cache))
    return env


def test_the_unit_has_what_a_locked_down_server_needs():
    service = parse_unit(UNIT.read_text())["Service"]
    assert service["DynamicUser"] == ["yes"] or service.get("User")
    assert service["ProtectSystem"] == ["strict"]
    assert service["StateDirectory"] == ["watch-a-classifier"]
    assert service["CacheDirectory"] == ["watch-a-classifier"]
    assert service["Restart"] == ["on-failure"]
    env = unit_environment(service, Path("/var/lib"), Path("/var/cache"))
    assert env["CLASSROOM_DIR"] == "/var/lib/watch-a-classifier"
    assert env["NUMBA_CACHE_DIR"].startswith("/var/cache/watch-a-classifier")
    for name, value in SERVER_ENV.items():  # run.sh's server settings
        assert env[name] == value, name
    argv = shlex.split(service["ExecStart"][0])
    assert argv[0] == f"{INSTALLED}/.venv/bin/python" and argv[1] == "serve.py"
    assert service["WorkingDirectory"] == [INSTALLED]  # .streamlit/config.toml applies


def test_systemd_analyze_verify_accepts_the_unit(tmp_path):
    """``systemd-analyze verify`` on the unit with its paths pointed at a real checkout (it
    checks that ExecStart's program exists)."""
    analyze = shutil.which("systemd-analyze")
    assert analyze, "systemd-analyze is missing: apt-get install -y systemd"
    unit = tmp_path / UNIT.name
    python = tmp_path / "checkout" / ".venv" / "bin" / "python"
    python.parent.mkdir(parents=True)
    python.symlink_to(shutil.which("python3"))
    unit.write_text(UNIT.read_text().replace(INSTALLED, str(tmp_path / "checkout")))
    done = subprocess.run([analyze, "verify", str(unit)], capture_output=True, text=True,
                          cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert "watch-a-classifier.service" not in done.stderr, done.stderr  # no complaint


@pytest.mark.timeout(420)
def test_the_server_runs_with_exactly_the_units_environment(tmp_path_factory):
    runuser()
    base = Path(tempfile.mkdtemp(prefix="wac-unit-", dir="/tmp"))
    base.chmod(0o755)
    try:
        _serve_as_the_unit(base)
    finally:
        shutil.rmtree(base, ignore_errors=True)


def _serve_as_the_unit(base: Path) -> None:
    service = parse_unit(UNIT.read_text())["Service"]
    code = read_only_copy(base / "app")
    traversable(code)
    python = nobody_python(base)
    # what systemd makes before it starts the service: the state and cache folders, owned
    # by the service's user
    state, cache = base / "state", base / "cache"
    for root in (state, cache):
        writable_by_nobody(root / "watch-a-classifier")
    env = unit_environment(service, state, cache)
    # what systemd itself puts in a service's environment (a dynamic user's home is /)
    env.update(PATH="/usr/local/bin:/usr/bin:/bin", HOME="/", LANG="C.UTF-8",
               STATE_DIRECTORY=str(state / "watch-a-classifier"),
               CACHE_DIRECTORY=str(cache / "watch-a-classifier"))
    port = free_port()
    argv = shlex.split(service["ExecStart"][0])
    argv = [*python, *argv[1:]]
    argv = [re.sub(r"^0\.0\.0\.0$", "127.0.0.1", a) for a in argv]  # loopback in a test
    argv[argv.index("--server.port") + 1] = str(port)
    log = base / "server.log"
    with log.open("w") as out:
        proc = subprocess.Popen(as_nobody(argv, env), cwd=code, stdout=out,
                                stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        _wait_for_health(url, proc, log)
        result = train_once(url, epochs=2)
        class_errors, _ = asyncio.run(open_a_class(url))
    finally:
        proc.terminate()
        proc.wait(timeout=20)
    text = log.read_text()
    assert not result.errors and result.finished, (result.errors, text[-3000:])
    assert not class_errors, class_errors
    assert (state / "watch-a-classifier" / "classes.sqlite3").stat().st_size > 0
    assert any((cache / "watch-a-classifier" / "numba").rglob("*.nbi")), text[-2000:]
    assert not server_exceptions(text), text[-3000:]


def _wait_for_health(url: str, proc: subprocess.Popen, log: Path, timeout: float = 120):
    import time
    import urllib.request

    deadline = time.monotonic() + timeout
    while True:
        try:
            urllib.request.urlopen(f"{url}/_stcore/health", timeout=2)
            return
        except OSError:
            assert proc.poll() is None, log.read_text()
            assert time.monotonic() < deadline, log.read_text()
            time.sleep(0.3)
