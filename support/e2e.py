"""Starting the real Streamlit server and Debian's chromium, for the browser, proxy and load
tests and the benchmarks (bench/)."""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = "/usr/bin/chromium"
# The server's environment, as `bash run.sh app` sets it (tests/test_load.py checks they agree).
SERVER_ENV = {"OPENBLAS_NUM_THREADS": "1", "MALLOC_ARENA_MAX": "2"}
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def streamlit_server(extra_env: dict | None = None):
    """Run the dashboard as ``bash run.sh app`` does (serve.py) on a free loopback port;
    yields (url, process, log path)."""
    port = free_port()
    env = {**os.environ, **SERVER_ENV, **(extra_env or {})}
    log = Path(tempfile.mkstemp(prefix="streamlit-", suffix=".log")[1])
    proc = subprocess.Popen(
        [sys.executable, "serve.py", "--server.port", str(port),
         "--server.address", "127.0.0.1", "--server.headless", "true"],
        cwd=ROOT, env=env, stdout=log.open("w"), stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                urllib.request.urlopen(f"{url}/_stcore/health", timeout=2)
                break
            except OSError as err:
                if proc.poll() is not None:
                    raise RuntimeError(f"streamlit exited: {log.read_text()}") from None
                if time.monotonic() > deadline:
                    raise RuntimeError("streamlit did not start within 60 s") from err
                time.sleep(0.3)
        yield url, proc, log
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()


@contextlib.contextmanager
def checked_server(extra_env: dict | None = None):
    """:func:`streamlit_server` for a test module: yields its URL, and fails the test at the
    end if the server died or wrote a traceback to its log meanwhile."""
    with streamlit_server(extra_env) as (url, proc, log):
        yield url
        assert proc.poll() is None, "the server died during the tests"
        text = log.read_text()
        assert not server_exceptions(text), text[-5000:]


# Known and harmless: Streamlit 1.67's websocket handler (starlette_websocket.py) logs this
# pair when a tab closes while the server is still sending to it: receive_bytes() raises
# WebSocketDisconnected (a RuntimeError), the handler then calls close() on the closed socket.
BENIGN_SERVER_EXCEPTIONS = ("starlette.websockets.WebSocketDisconnected:",)


def server_exceptions(log: str, ignore: tuple[str, ...] = BENIGN_SERVER_EXCEPTIONS) -> list[str]:
    """The exception line ending each traceback in a server log, known harmless ones left out."""
    found, in_traceback = [], False
    for line in log.splitlines():
        if line.startswith("Traceback (most recent call last)"):
            in_traceback = True
        elif in_traceback and line and not line[0].isspace():
            in_traceback = False
            if not line.startswith(ignore):
                found.append(line)
    return found


@contextlib.contextmanager
def chromium():
    """A headless Debian chromium driven by playwright."""
    if not Path(CHROMIUM).exists():
        raise RuntimeError(f"{CHROMIUM} is missing: apt-get install -y chromium")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


def settle(page, timeout: int = 30_000) -> None:
    """Wait until Streamlit has finished the current script run."""
    page.wait_for_function(
        "() => !document.querySelector('[data-testid=\"stStatusWidget\"]')", timeout=timeout)


# no element of an earlier run is left: while a run draws, an element whose place moved is
# drawn anew and its old copy stays (marked stale) until the run ends
NO_STALE = "() => !document.querySelector('[data-stale=\"true\"]')"


def drawn(page, timeout: int = 30_000) -> None:
    """Wait until the page is drawn for good: the script run is over, the elements of the
    last run are gone (they fade out, then go), no chart is a grey skeleton, every image has
    arrived and the fonts are loaded (for screenshots and measurements)."""
    settle(page, timeout)
    for condition in (NO_STALE,
                      "() => !document.querySelector('[data-testid=\"stSkeleton\"]')",
                      """() => [...document.querySelectorAll('[data-testid="stImage"] img')]
                               .every(img => img.complete)"""):
        page.wait_for_function(condition, timeout=timeout)
    page.wait_for_load_state("networkidle")
    page.evaluate("document.fonts.ready.then(() => true)")


def open_page(page, url: str, path: str = "") -> None:
    page.goto(f"{url}/{path}")
    page.get_by_role("heading", level=1).first.wait_for(timeout=30_000)
    settle(page)


def set_number(page, label: str, value: int) -> None:
    """Type ``value`` into the number box ``label`` (its one copy: none left stale) and
    commit it with Enter."""
    page.wait_for_function(NO_STALE, timeout=30_000)
    box = page.get_by_label(label, exact=True)
    box.fill(str(value))
    box.press("Enter")
    settle(page)
