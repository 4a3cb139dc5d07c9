"""Simulated hosts for the hosting tests (issue 24): a read-only copy of the checkout owned by
root, and a command run as the unprivileged user ``nobody`` with no home and a bare
environment, as a school server's service or a free app host would run the app.

Used by tests/test_readonly.py, tests/test_pip_only.py and tests/test_deploy.py.
"""

from __future__ import annotations

import contextlib
import os
import pwd
import shutil
import stat
import subprocess
import sys
import sysconfig
import time
import urllib.request
from pathlib import Path

from support.e2e import ROOT, free_port

USER = "nobody"
SYSTEM_BIN = ("/usr/sbin", "/sbin", "/usr/bin", "/bin")
BARE_PATH = "/usr/bin:/bin"


def runuser() -> str:
    """The path of util-linux's ``runuser`` (in /usr/sbin on Debian, off a user's PATH).
    Missing, it is an error, not a skip: apt-get install -y util-linux."""
    found = shutil.which("runuser", path=os.pathsep.join(
        [os.environ.get("PATH", ""), *SYSTEM_BIN]))
    if found is None:
        raise RuntimeError("runuser is not installed: apt-get install -y util-linux")
    if os.geteuid() != 0:
        raise RuntimeError("the hosting tests run the app as 'nobody' with runuser, which "
                           "needs root (bash run.sh test runs as root)")
    pwd.getpwnam(USER)  # KeyError if the user is missing
    return found


def as_nobody(argv: list[str], env: dict[str, str], **kwargs) -> list[str]:
    """``argv`` run as ``nobody`` with exactly ``env`` (env -i: nothing inherited)."""
    pairs = [f"{k}={v}" for k, v in env.items()]
    return [runuser(), "-u", USER, "--", "/usr/bin/env", "-i", *pairs, *argv]


def bare_env(**extra: str) -> dict[str, str]:
    """The environment of a service with no home: PATH and what the caller adds."""
    return {"PATH": BARE_PATH, "LANG": "C.UTF-8", **extra}


def _nobody_can_run(python: str) -> bool:
    return subprocess.run([runuser(), "-u", USER, "--", python, "-c", "1"],
                          capture_output=True).returncode == 0


def nobody_python(folder: Path) -> list[str]:
    """A Python that ``nobody`` can run with this project's packages: the running one when
    nobody may execute it, else a venv made in ``folder`` from the system's python3 of the
    same version whose .pth file points at this environment's site-packages (here the
    project's .venv links to a pyenv Python under /root, which only root may enter)."""
    if _nobody_can_run(sys.executable):
        return [sys.executable]
    version = f"python{sys.version_info.major}.{sys.version_info.minor}"
    system = shutil.which(version, path=BARE_PATH)
    if system is None:
        raise RuntimeError(f"nobody cannot run {sys.executable} and there is no /usr/bin/"
                           f"{version} to run the project's packages with")
    venv = folder / "venv"
    subprocess.run([system, "-m", "venv", "--without-pip", str(venv)], check=True)
    site = Path(sysconfig.get_paths()["purelib"])
    traversable(site)  # a checkout under /root, say: nobody could not import the packages
    (venv / "lib" / version / "site-packages" / "project-venv.pth").write_text(f"{site}\n")
    return [str(venv / "bin" / "python")]


def read_only_copy(dest: Path) -> Path:
    """The checkout's files (``git ls-files``, and those not yet added but not ignored, as a
    working tree holds them) plus data/, copied to ``dest``
    (owned by root) and made read-only for everyone (``chmod -R a-w``); ``dest`` itself
    stays traversable. Returns ``dest``."""
    files = subprocess.run(["git", "ls-files", "-z", "--cached", "--others",
                            "--exclude-standard"], cwd=ROOT, capture_output=True,
                           check=True).stdout.decode().split("\0")
    names = {f for f in files if f} | {str(p.relative_to(ROOT))
                                      for p in (ROOT / "data").rglob("*") if p.is_file()}
    for name in sorted(names):
        source = ROOT / name
        if not source.is_file():  # deleted in the working tree, not yet in git
            continue
        target = dest / name
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(source, target)
    make_read_only(dest)
    return dest


def make_read_only(folder: Path) -> None:
    """``chmod -R a-w folder``, and readable/traversable by all (a+rX)."""
    subprocess.run(["chmod", "-R", "a-w,a+rX", str(folder)], check=True)


def writable_by_nobody(folder: Path) -> Path:
    """A folder that ``nobody`` owns (a stand-in for the host's writable /tmp)."""
    folder.mkdir(parents=True, exist_ok=True)
    entry = pwd.getpwnam(USER)
    os.chown(folder, entry.pw_uid, entry.pw_gid)
    folder.chmod(stat.S_IRWXU)
    return folder


def traversable(path: Path) -> None:
    """Fail early, with the reason, if ``nobody`` cannot reach ``path`` (a folder on the way
    closed to others, e.g. pytest's temporary folder under /tmp/pytest-of-root)."""
    for parent in [*reversed(path.parents), path]:
        mode = parent.stat().st_mode
        if not mode & stat.S_IXOTH:
            raise RuntimeError(f"{parent} is closed to other users (mode {oct(mode)})")


@contextlib.contextmanager
def nobody_server(argv: list[str], cwd: Path, env: dict[str, str], log: Path,
                  port: int | None = None, timeout: float = 120):
    """Start ``argv`` (a Streamlit server, its port ``port``) as nobody in ``cwd``; yields
    (url, process) once ``/_stcore/health`` answers; stops it at the end."""
    port = port or free_port()
    with log.open("w") as out:
        proc = subprocess.Popen(as_nobody([*argv, "--server.port", str(port),
                                           "--server.address", "127.0.0.1",
                                           "--server.headless", "true"], env),
                                cwd=cwd, stdout=out, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + timeout
        while True:
            try:
                urllib.request.urlopen(f"{url}/_stcore/health", timeout=2)
                break
            except OSError as err:
                if proc.poll() is not None:
                    raise RuntimeError(f"the server exited: {log.read_text()}") from None
                if time.monotonic() > deadline:
                    raise RuntimeError(f"no server within {timeout} s: {log.read_text()}") \
                        from err
                time.sleep(0.3)
        yield url, proc
    finally:
        proc.terminate()  # runuser passes SIGTERM on to the server
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=15)


# ------------------------------------------------------------------ what a visitor does

PAGES = ("", "results", "draw", "weights", "sweep", "how_it_works", "classroom")
KEY_WARNING = "**Write down your teacher key now.**"  # shown once to a teacher: expected


async def visit(url: str, page: str, timeout: float = 90) -> list[str]:
    """Open one page of the dashboard over Streamlit's websocket, as a browser tab does: the
    errors it saw (an exception drawn, an error or warning message, a failed run)."""
    from support.load_protocol import BrowserTab, LoadTestError

    tab = BrowserTab(url, timeout=timeout, page=page)
    try:
        async with tab.connect() as ws:
            tab.ws = ws
            await tab._full_rerun("load", time.monotonic() + timeout)
    except LoadTestError as exc:
        tab._error(f"{page or 'train'}: {exc}")
    return tab.result.errors


async def open_a_class(url: str, timeout: float = 90) -> tuple[list[str], list[str]]:
    """On the Class page, click "Open a class": (errors seen, other than the teacher key's
    one-time warning; the code blocks shown: the join link and the teacher key)."""
    from support.load_protocol import BrowserTab, LoadTestError

    tab = BrowserTab(url, timeout=timeout, page="classroom")
    try:
        async with tab.connect() as ws:
            tab.ws = ws
            deadline = time.monotonic() + timeout
            await tab._full_rerun("load", deadline)
            button = tab._widget("button", "Open a class")
            # new_session names the main script, not the page (the page comes in a message
            # BrowserTab does not read): ask for the Class page by name again
            tab.page_script_hash = ""
            await tab._full_rerun("open", deadline, trigger=button.button.id)
    except LoadTestError as exc:
        tab._error(f"open a class: {exc}")
    errors = [e for e in tab.result.errors if KEY_WARNING not in e]
    codes = [s.element.code.code_text for s in tab.page.values()
             if s.element.WhichOneof("type") == "code"]
    return errors, codes


def train_once(url: str, epochs: int = 2, timeout: float = 180):
    """One simulated student trains ``epochs`` epochs on the Train page; its UserResult."""
    import asyncio

    from support.load_client import SimulatedUser

    return asyncio.run(SimulatedUser(url, epochs=epochs, timeout=timeout).run())
