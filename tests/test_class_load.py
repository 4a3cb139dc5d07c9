"""Classroom mode under load: simulated students of one class train at once on a real server
(support/load_client.py, loopback only), their runs shared by themselves, while a tab keeps
the class board open. The benchmark: python -m bench.load_test --users 40 --class."""

from __future__ import annotations

import asyncio

import pytest

from support.e2e import server_exceptions, streamlit_server
from support.load_client import BOARD_REFRESHES, run_load

USERS = 4
EPOCHS = 30  # runs long enough for the board to refresh while they arrive
SLOTS = 2


@pytest.mark.timeout(300)
def test_students_of_a_class_share_their_runs_while_the_board_is_open(tmp_path):
    from core.classroom import ClassroomStore

    store = ClassroomStore(f"sqlite:///{tmp_path / 'classes.sqlite3'}")
    code = store.create_class().code
    env = {"TRAINING_SLOTS": str(SLOTS), "CLASSROOM_DIR": str(tmp_path), "CLASSROOM_DB_URL": ""}
    with streamlit_server(env) as (url, proc, log):
        report = asyncio.run(run_load(url, proc.pid, USERS, EPOCHS, 150, class_code=code,
                                      boards=1))
        print("\n" + report.summary())
        text = log.read_text()
    assert not report.errors and report.finished == USERS, report.summary()
    assert report.board_runs == [USERS], report.summary()  # the open board showed them all
    board = report.board[0]
    assert board.refresh_requests, "the board asks for refreshes by itself"
    # its chart drawn again, by runs begun after the board's own requests (the watcher waits
    # for two, at most BOARD_SETTLE s after the students are done)
    assert len(board.chart_latencies) >= BOARD_REFRESHES, report.summary()
    runs = store.runs(code)
    assert sorted(e.nickname for e in runs) == [f"student-{i}" for i in range(USERS)]
    assert all(e.run.epochs_done == EPOCHS and e.run.test_acc > 0.8 for e in runs)
    assert not server_exceptions(text), text[-3000:]
    store.dispose()
