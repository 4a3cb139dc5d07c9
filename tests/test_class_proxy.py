"""Classroom mode on several replicas (deploy/, issue 13): every replica shares one PostgreSQL.

A throw-away PostgreSQL server (tests/postgres_support.py), two ``serve.py`` replicas with
the same cookie secret and ``CLASSROOM_DB_URL`` pointing at it, and Debian's nginx in front
of them (the config ``deploy/replicas.sh render`` writes, as in tests/test_proxy.py). In
headless chromium, a teacher and a student that the proxy deals to different replicas
(checked by the ``X-Replica`` header and the ``st_replica`` cookie): the teacher opens a
class, the student joins with the link and trains a short run, which is shared by itself,
and the teacher's board, served by the other replica, shows the student and the run without
a reload. The store itself holds exactly that one run.

Each replica also gets a ``CLASSROOM_DIR`` of its own: had it ignored ``CLASSROOM_DB_URL``,
it would keep the class in its own SQLite file there and the two boards would differ (the
test checks no such file was made).

Needs /usr/sbin/nginx, /usr/bin/chromium and PostgreSQL's server binaries (``bash run.sh
test`` installs them); without them the test fails, it never skips.
"""

from __future__ import annotations

import contextlib
import re
import secrets
import time

import pytest
from playwright.sync_api import expect
from postgres_support import running_postgres
from test_class_browser import _board_points, _join, _metric, _no_exception, _open_class
from test_proxy import COOKIE, Student, nginx

from core.classroom import ClassroomStore
from core.classroom.schema import DB_FILE
from core.network import lan_address
from support.e2e import server_exceptions, set_number, streamlit_server

EPOCHS, BATCH = 2, 1000  # a short run: two epochs of 50 steps
NICK = "rita"
BOARD_WAIT = 30_000  # ms: the teacher's board refreshes every few seconds
MAX_TRIES = 6  # new browser contexts until the proxy deals the student the other replica


@pytest.fixture(scope="module")
def postgres():
    """A PostgreSQL server of the module's own, stopped (and its folder deleted) at the end."""
    with running_postgres() as server:
        yield server


@pytest.fixture(scope="module")
def class_replicas(postgres, tmp_path_factory):
    """Two replicas, one cookie secret, one class database: [(url, log path), ...]."""
    common = {"STREAMLIT_SERVER_COOKIE_SECRET": secrets.token_hex(32), "TRAINING_SLOTS": "1",
              "CLASSROOM_DB_URL": postgres.url}
    folders = [tmp_path_factory.mktemp(f"classroom-r{k}") for k in (1, 2)]
    with contextlib.ExitStack() as stack:
        started = [stack.enter_context(streamlit_server({**common, "CLASSROOM_DIR": str(f)}))
                   for f in folders]
        yield [(url, log) for url, _, log in started]
        for url, proc, log in started:
            assert proc.poll() is None, f"the replica at {url} died: {log.read_text()}"
            assert not server_exceptions(log.read_text()), log.read_text()[-5000:]
    for folder in folders:  # the class lived in PostgreSQL, not in a replica's SQLite file
        assert not (folder / DB_FILE).exists(), folder


@pytest.fixture(scope="module")
def class_proxy(class_replicas):
    with nginx([url.removeprefix("http://") for url, _ in class_replicas]) as server:
        yield server


def _replicas_seen(person: Student, base: str) -> set[str | None]:
    """The X-Replica of every response this browser got through the proxy."""
    return {r[2] for r in person.responses if r[0].startswith(base)}


def _documents(person: Student) -> int:
    return sum(1 for r in person.responses if r[3] == "document")


def test_a_student_and_the_teacher_on_different_replicas_see_one_board(
        class_proxy, browser, postgres):
    base = class_proxy.url
    people: list[Student] = []
    try:
        # the teacher: the proxy deals a replica to a new browser (round robin, by cookie)
        teacher = Student(browser, base, EPOCHS)
        people.append(teacher)
        teacher.open()
        assert teacher.wait_open() in {"r1", "r2"}
        code, _key = _open_class(teacher.page, base)
        assert re.fullmatch(r"[A-Z0-9]{6}", code), code
        link = next(c for c in teacher.page.locator("code").all_inner_texts() if "?class=" in c)
        # the address students open: the proxy's port on this machine's network address
        # (the teacher's page is on loopback: core.network.student_url)
        port = base.rsplit(":", 1)[1]
        assert link.strip() == f"http://{lan_address()}:{port}/classroom?class={code}", link
        teacher_documents = _documents(teacher)

        # the student: new browsers from the same address until the proxy deals the other
        # replica (the next new browser gets it, round robin; a few tries allow for others)
        for _ in range(MAX_TRIES):
            student = Student(browser, base, EPOCHS)
            people.append(student)
            student.open()
            if student.wait_open() != teacher.replica:
                break
            student.context.close()
            people.remove(student)
        assert student.replica != teacher.replica, (student.replica, teacher.replica)
        assert {student.replica, teacher.replica} == {"r1", "r2"}

        # the same link at the proxy's loopback address (this test's nginx listens only there)
        _join(student.page, f"{base}/classroom?class={code}", NICK)
        _no_exception(student.page)
        expect(_metric(teacher.page, "Students")).to_contain_text("1", timeout=BOARD_WAIT)

        # a short run on the student's replica, shared with the class when it ends
        student.go("Train", "Train a softmax regression")
        assert f"class={code}" in student.page.url and f"nick={NICK}" in student.page.url
        set_number(student.page, "Batch size", BATCH)
        student.start_training()
        student.wait_finished()
        expect(student.page.get_by_text(
            re.compile(rf"Shared with the class: run \d+ \({EPOCHS} epochs"))
        ).to_be_visible(timeout=BOARD_WAIT)
        _no_exception(student.page)

        # the teacher's board, drawn by the other replica, shows it without a reload
        expect(_metric(teacher.page, "Runs shared")).to_contain_text("1", timeout=BOARD_WAIT)
        expect(_metric(teacher.page, "Best test accuracy")).to_contain_text(
            re.compile(r"\d\d\.\d\d%"))
        expect(teacher.page.get_by_text(f"by {NICK}")).to_be_visible()
        assert _board_points(teacher.page) == 1
        _no_exception(teacher.page)
        assert _documents(teacher) == teacher_documents, "the teacher's page was reloaded"

        # every response each browser got came from its own replica
        assert _replicas_seen(teacher, base) == {teacher.replica}
        assert _replicas_seen(student, base) == {student.replica}
        for person in (teacher, student):
            cookies = {c["name"]: c["value"] for c in person.context.cookies()}
            assert cookies.get(COOKIE) == person.replica, cookies
        replicas = {teacher.replica, student.replica}
    finally:
        for person in people:
            person.context.close()

    # the store itself: one class, one run, the student's
    store = ClassroomStore(postgres.url)
    try:
        runs = store.runs(code)
    finally:
        store.dispose()
    assert len(runs) == 1, runs
    (entry,) = runs
    assert entry.nickname == NICK
    assert (entry.run.epochs, entry.run.epochs_done, entry.run.batch_size) == (
        EPOCHS, EPOCHS, BATCH), entry.run
    assert entry.run.test_acc is not None and 0.5 < entry.run.test_acc <= 1, entry.run

    # nginx logs a websocket when it closes: each went to the replica its cookie named
    deadline = time.monotonic() + 10
    while True:
        streams = [line for line in class_proxy.access_log.splitlines()
                   if "/_stcore/stream" in line]
        if len(streams) >= 2 or time.monotonic() > deadline:
            break
        time.sleep(0.2)
    assert len(streams) >= 2, class_proxy.access_log
    for line in streams:
        m = re.search(r"cookie=(\S+) upstream=(\S+) replica=(\S+)", line)
        assert m and m.group(1) == m.group(3) in replicas, line
    assert {re.search(r"cookie=(\S+)", line).group(1) for line in streams} == replicas
