"""Several replicas behind nginx with cookie-sticky sessions (deploy/, see deploy/README.md).

Two ``streamlit run app.py`` processes sharing ``server.cookieSecret``, Debian's nginx on a
free loopback port in front of them (config rendered from deploy/nginx.conf.template by
``deploy/replicas.sh render``), and Debian's chromium: two browsers behind the same
address must get different replicas, each must keep its own training run (across page
changes and a dropped websocket) and load its images from its own replica.

These tests need /usr/sbin/nginx and /usr/bin/chromium (``bash run.sh test`` installs
them); without them they fail, they do not skip.
"""

from __future__ import annotations

import contextlib
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from support.e2e import ROOT, free_port, server_exceptions, set_number, settle, streamlit_server

DEPLOY = ROOT / "deploy"
NGINX = shutil.which("nginx") or "/usr/sbin/nginx"
COOKIE = "st_replica"


# ------------------------------------------------------------------ set-up


def _wait_for_port(addr: str, proc: subprocess.Popen, log: Path, timeout: float = 20) -> None:
    host, port = addr.rsplit(":", 1)
    deadline = time.monotonic() + timeout
    while True:
        with contextlib.suppress(OSError), socket.create_connection((host, int(port)), timeout=1):
            return
        if proc.poll() is not None:
            raise RuntimeError(f"{proc.args} exited ({proc.returncode}): {log.read_text()}")
        if time.monotonic() > deadline:
            raise RuntimeError(f"nothing listens on {addr} after {timeout} s: {log.read_text()}")
        time.sleep(0.05)


class Nginx:
    """nginx in the foreground with its own prefix (config, logs, pid, temp dirs)."""

    def __init__(self, prefix: Path, listen: str, proc: subprocess.Popen):
        self.prefix, self.listen, self.proc = prefix, listen, proc
        self.url = f"http://{listen}"

    @property
    def access_log(self) -> str:
        return (self.prefix / "access.log").read_text()

    @property
    def error_log(self) -> str:
        return (self.prefix / "error.log").read_text()

    def reload(self) -> None:
        """Re-read the config: new workers; the old ones close their websockets after
        worker_shutdown_timeout, so every browser has to reconnect."""
        self.proc.send_signal(signal.SIGHUP)


@contextlib.contextmanager
def nginx(backends: list[str]):
    """Render the config for ``backends`` (r1, r2, ...) and run nginx on a free port."""
    assert Path(NGINX).exists(), f"{NGINX} is missing: apt-get install -y nginx"
    prefix = Path(tempfile.mkdtemp(prefix="nginx-"))
    prefix.chmod(0o755)  # as root, the workers run as nobody and create temp files here
    listen = f"127.0.0.1:{free_port()}"
    conf = prefix / "nginx.conf"
    conf.write_text(subprocess.run(
        ["bash", str(DEPLOY / "replicas.sh"), "render", listen, *backends],
        check=True, capture_output=True, text=True).stdout)
    err = prefix / "error.log"
    base = [NGINX, "-p", str(prefix), "-c", str(conf), "-e", str(err)]
    checked = subprocess.run([*base, "-t", "-q"], capture_output=True, text=True)
    assert checked.returncode == 0, checked.stderr + checked.stdout
    proc = subprocess.Popen([*base, "-g", "daemon off;"], stdout=subprocess.DEVNULL,
                            stderr=subprocess.STDOUT)
    server = Nginx(prefix, listen, proc)
    try:
        _wait_for_port(listen, proc, err)
        yield server
        assert proc.poll() is None, f"nginx died during the test: {server.error_log}"
        assert not re.search(r"\[(emerg|alert|crit)\]", server.error_log), server.error_log
    finally:
        if proc.poll() is None:
            proc.terminate()  # SIGTERM: fast shutdown
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        shutil.rmtree(prefix, ignore_errors=True)


@pytest.fixture(scope="module")
def replicas():
    """Two replicas on free loopback ports, one cookie secret: [(url, log path), ...]."""
    env = {"STREAMLIT_SERVER_COOKIE_SECRET": secrets.token_hex(32), "TRAINING_SLOTS": "1",
           "OPENBLAS_NUM_THREADS": "1", "MALLOC_ARENA_MAX": "2"}
    with contextlib.ExitStack() as stack:
        started = [stack.enter_context(streamlit_server(env)) for _ in range(2)]
        yield [(url, log) for url, _, log in started]
        for url, proc, log in started:
            assert proc.poll() is None, f"the replica at {url} died: {log.read_text()}"
            assert not server_exceptions(log.read_text()), log.read_text()[-5000:]


@pytest.fixture(scope="module")
def proxy(replicas):
    with nginx([url.removeprefix("http://") for url, _ in replicas]) as server:
        yield server


def _get(url: str, cookie: str | None = None):
    """(status, headers) of a GET; the body is read and dropped."""
    req = urllib.request.Request(url, headers={"Cookie": f"{COOKIE}={cookie}"} if cookie else {})
    try:
        with urllib.request.urlopen(req, timeout=10) as resp:
            resp.read()
            return resp.status, resp.headers
    except urllib.error.HTTPError as exc:
        return exc.code, exc.headers


def _set_cookie(headers) -> str | None:
    """The value our proxy sets for its cookie in this response, if it sets one."""
    for value in headers.get_all("Set-Cookie") or []:
        m = re.match(rf"{COOKIE}=([^;]*)", value)
        if m:
            return m.group(1)
    return None


# ------------------------------------------------------------------ browsers


class Student:
    """One browser (own context, own cookies) on the app through the proxy."""

    def __init__(self, browser, url: str, epochs: int):
        self.url, self.epochs = url, epochs
        self.context = browser.new_context(viewport={"width": 1400, "height": 1000})
        self.page = self.context.new_page()
        # (url, status, X-Replica, resource type) of every response the page got
        self.responses: list[tuple[str, int, str | None, str]] = []
        self.websockets = 0
        self.page.on("response", lambda r: self.responses.append(
            (r.url, r.status, r.headers.get("x-replica"), r.request.resource_type)))
        self.page.on("websocket", lambda ws: setattr(self, "websockets", self.websockets + 1))

    def open(self) -> None:
        """Load the Train page (returns once the HTML has come, with the proxy's cookie)."""
        self.page.goto(f"{self.url}/")

    def wait_open(self) -> str:
        """Wait for the page to render; return the replica the proxy says served it."""
        self.page.get_by_role("heading", level=1).first.wait_for(timeout=60_000)
        settle(self.page)
        self.replica = self.document_replica()
        cookies = {c["name"]: c["value"] for c in self.context.cookies()}
        assert cookies.get(COOKIE) == self.replica, (cookies, self.replica)
        return self.replica

    def document_replica(self) -> str | None:
        """The replica that served the page itself (the first document loaded)."""
        docs = [r for r in self.responses if r[3] == "document"]
        assert docs and docs[0][1] == 200, docs
        return docs[0][2]

    def start_training(self) -> None:
        set_number(self.page, "Epochs", self.epochs)
        self.page.get_by_role("button", name="Start").click()

    def wait_finished(self, timeout: int = 120_000) -> None:
        self.page.get_by_text(f"Finished {self.epochs} epochs").wait_for(timeout=timeout)

    def assert_own_run(self) -> None:
        """The Train page shows this browser's run, not the other one's."""
        body = self.page.inner_text("body")
        assert f"Finished {self.epochs} epochs" in body, body[:2000]
        assert f"Finished {self.other.epochs} epochs" not in body, body[:2000]

    def go(self, link: str, heading: str) -> None:
        self.page.get_by_role("link", name=link).click()
        self.page.get_by_role("heading", name=heading).wait_for(timeout=30_000)
        settle(self.page)

    def check_results_images(self) -> int:
        """Every st.image on Results has loaded (through the proxy, from our replica)."""
        page = self.page
        images = page.locator("[data-testid='stImage'] img")
        images.nth(9).wait_for(timeout=30_000)
        page.wait_for_function(
            """() => [...document.querySelectorAll("[data-testid='stImage'] img")]
                     .every(img => img.complete)""", timeout=30_000)
        widths = page.evaluate(
            """() => [...document.querySelectorAll("[data-testid='stImage'] img")]
                     .map(img => img.naturalWidth)""")
        assert widths and all(w > 0 for w in widths), widths
        media = [r for r in self.responses if "/media/" in r[0]]
        assert media, "no image came through the proxy"
        assert all(r[1] == 200 and r[2] == self.replica for r in media), \
            [r for r in media if r[1] != 200 or r[2] != self.replica][:5]
        # why stickiness matters: the other replica does not have our images
        image = page.locator("[data-testid='stImage'] img").first.evaluate("img => img.src")
        assert _get(image, cookie=self.replica)[0] == 200
        other = {"r1": "r2", "r2": "r1"}[self.replica]
        status, headers = _get(image, cookie=other)
        assert status == 404 and headers["X-Replica"] == other, (image, status)
        # the model shown is this browser's own run
        assert f"This run: epoch {self.epochs}" in page.inner_text("body")
        return len(widths)


def test_two_browsers_on_one_address_keep_their_own_replica_run_and_images(proxy, browser):
    a, b = Student(browser, proxy.url, 2), Student(browser, proxy.url, 3)
    a.other, b.other = b, a
    try:
        # both come from 127.0.0.1 (like a classroom behind one NAT address): the proxy
        # still deals them different replicas, by cookie (loaded one after the other, so
        # each replica's first session loads the dataset while the other one does too)
        a.open()
        b.open()
        assert {a.wait_open(), b.wait_open()} == {"r1", "r2"}, (a.replica, b.replica)
        a.start_training()
        b.start_training()  # both train at the same time, each on its own replica
        a.wait_finished()
        b.wait_finished()
        a.assert_own_run()
        b.assert_own_run()

        # change pages (same websocket): Results shows our own run with its images
        for s in (a, b):
            s.go("Results", "Results on the test set")
            assert s.check_results_images() >= 10
            s.go("Train", "Train a softmax regression")
            s.assert_own_run()

        # drop every websocket (nginx reload closes the old workers' connections after
        # worker_shutdown_timeout): each browser reconnects through the proxy, the cookie
        # takes it back to its replica, which resumes its session, run included
        sockets = (a.websockets, b.websockets)
        proxy.reload()
        for s, before in zip((a, b), sockets, strict=True):
            deadline = time.monotonic() + 30
            while s.websockets == before and time.monotonic() < deadline:
                s.page.wait_for_timeout(200)
            assert s.websockets > before, "the websocket was not reconnected"
        for s in (a, b):
            settle(s.page)
            s.go("Results", "Results on the test set")
            s.check_results_images()
            s.go("Train", "Train a softmax regression")
            s.wait_finished(timeout=30_000)
            s.assert_own_run()

        # a full reload is a new Streamlit session by design, but on the same replica,
        # which finds the browser's workspace (ui.workspace's cookie): its own run is there
        for s in (a, b):
            s.responses.clear()
            s.page.reload()
            s.page.get_by_role("heading", level=1).first.wait_for(timeout=30_000)
            settle(s.page)
            assert s.document_replica() == s.replica
            s.wait_finished(timeout=30_000)
            s.assert_own_run()
        a_replica, b_replica = a.replica, b.replica
    finally:
        a.context.close()
        b.context.close()

    # nginx logs a websocket when it closes: every /_stcore/stream of each browser went
    # to the replica its cookie named, none got a new cookie
    deadline = time.monotonic() + 10
    while True:
        streams = [line for line in proxy.access_log.splitlines() if "/_stcore/stream" in line]
        # 2 browsers x (first, reconnect, reload)
        if len(streams) >= 6 or time.monotonic() > deadline:
            break
        time.sleep(0.2)
    assert len(streams) >= 6, proxy.access_log
    for line in streams:
        m = re.search(r"cookie=(\S+) upstream=(\S+) replica=(\S+)", line)
        assert m and m.group(1) == m.group(3) in {a_replica, b_replica}, line
        assert " 101 " in line, line
    assert {re.search(r"cookie=(\S+)", line).group(1) for line in streams} == {"r1", "r2"}


# ------------------------------------------------------------------ plain HTTP


def test_new_clients_alternate_and_stick(proxy):
    seen = []
    for _ in range(4):
        status, headers = _get(proxy.url + "/")
        assert status == 200
        assert _set_cookie(headers) == headers["X-Replica"], headers
        seen.append(headers["X-Replica"])
    assert seen in (["r1", "r2"] * 2, ["r2", "r1"] * 2), seen
    for name in ("r1", "r2"):
        for path in ("/", "/_stcore/health", "/_stcore/host-config"):
            status, headers = _get(proxy.url + path, cookie=name)
            assert status == 200 and headers["X-Replica"] == name, (path, name, dict(headers))
            assert _set_cookie(headers) is None, dict(headers)  # already right: not re-sent
    # a forged or stale value is never used as an address: the browser gets a replica
    status, headers = _get(proxy.url + "/_stcore/health", cookie="127.0.0.1:22")
    assert status == 200 and _set_cookie(headers) == headers["X-Replica"] in {"r1", "r2"}


def test_a_replica_that_is_down_fails_over_and_the_cookie_follows(replicas):
    live = replicas[0][0].removeprefix("http://")
    dead = f"127.0.0.1:{free_port()}"  # nothing listens there
    with nginx([dead, live]) as server:
        for _ in range(3):
            status, headers = _get(server.url + "/_stcore/health", cookie="r1")
            assert status == 200, dict(headers)
            assert headers["X-Replica"] == "r2" and _set_cookie(headers) == "r2", dict(headers)
        for _ in range(3):  # new browsers are only dealt the live replica
            status, headers = _get(server.url + "/")
            assert status == 200 and _set_cookie(headers) == "r2", dict(headers)


# ------------------------------------------------------------------ deploy/replicas.sh


def _free_port_pair() -> int:
    for _ in range(50):
        port = free_port()
        with socket.socket() as s:
            try:
                s.bind(("127.0.0.1", port + 1))
                return port
            except OSError:
                continue
    raise RuntimeError("no two consecutive free ports")


def test_replicas_script_serves_sticky_and_stops_cleanly():
    assert Path(NGINX).exists(), f"{NGINX} is missing: apt-get install -y nginx"
    listen = f"127.0.0.1:{free_port()}"
    base = _free_port_pair()
    env = {**os.environ, "PROXY_LISTEN": listen, "REPLICA_BASE_PORT": str(base)}
    env.pop("KEEP_TMP", None)
    err = Path(tempfile.mkstemp(prefix="replicas-", suffix=".log")[1])
    proc = subprocess.Popen(["bash", str(DEPLOY / "replicas.sh"), "2"], cwd=ROOT, env=env,
                            stdout=subprocess.DEVNULL, stderr=err.open("w"),
                            start_new_session=True)
    try:
        deadline = time.monotonic() + 90
        while "Ctrl-C stops" not in err.read_text():
            assert proc.poll() is None, err.read_text()
            assert time.monotonic() < deadline, err.read_text()
            time.sleep(0.2)
        prefix = Path(re.search(r"logs: (\S+);", err.read_text()).group(1))
        _wait_for_port(listen, proc, err)
        replicas = []
        for _ in range(2):
            status, headers = _get(f"http://{listen}/")
            assert status == 200, err.read_text()
            replicas.append(_set_cookie(headers))
        assert sorted(replicas) == ["r1", "r2"], replicas
        for name in replicas:
            status, headers = _get(f"http://{listen}/_stcore/health", cookie=name)
            assert headers["X-Replica"] == name
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=20) != 0  # stopped by a signal
        for port in (base, base + 1, int(listen.rsplit(":", 1)[1])):
            with pytest.raises(OSError):
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
        assert not prefix.exists(), "the temporary prefix was not removed"
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)  # only the group this test started
            proc.wait()
        err.unlink(missing_ok=True)
