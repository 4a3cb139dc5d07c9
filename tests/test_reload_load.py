"""Issue 22 over Streamlit's websocket protocol (support/load_protocol.py), loopback only:
students who press F5 mid-run find their run again, and tabs that drop their connection
leave nothing training once the watchdog's limit has passed (their runs pause, their
slots go to others).
"""

from __future__ import annotations

import asyncio
import time

import pytest

from core.tasks import WATCHDOG
from support.e2e import server_exceptions, streamlit_server
from support.load_client import SimulatedUser, run_load
from support.load_protocol import cpu_seconds

DROPPED = 10
LONG_EPOCHS = 3_000  # a run that would hold the only slot for minutes if it kept training
# the watchdog's limit: the grace period, plus one check interval, plus a margin for a
# machine shared with other work
LIMIT_SECONDS = WATCHDOG.grace + WATCHDOG.interval


@pytest.mark.timeout(400)
def test_students_who_reload_mid_run_find_their_run_and_see_it_finish():
    users, epochs = 4, 30  # long enough that every run is still training at epoch 2
    with streamlit_server({"TRAINING_SLOTS": "2"}) as (url, proc, log):
        report = asyncio.run(run_load(url, proc.pid, users, epochs, timeout=240,
                                      reload_after=2))
        text = log.read_text()
    print("\n" + report.summary())
    assert not report.errors and report.finished == users, report.summary()
    reloaded = [r for r in report.results if r.reloaded_at is not None]
    assert len(reloaded) >= users // 2, report.summary()  # pressed F5 before the run ended
    whole = list(range(1, epochs + 1))
    for r in report.results:  # each run trained once, to the end: one point per epoch
        assert r.chart_epochs == {"train": whole, "validation": whole}, (r.user, r.chart_epochs)
        assert r.final_text.startswith(f"Finished {epochs} epochs"), (r.user, r.final_text)
    assert not server_exceptions(text), text[-3000:]


async def _start_and_drop(url: str, user: int) -> None:
    """A tab that opens the Train page, starts a long run and is closed."""
    tab = SimulatedUser(url, user=user, epochs=LONG_EPOCHS)
    deadline = time.monotonic() + 120
    async with tab.connect() as ws:
        tab.ws = ws
        await tab._full_rerun("load", deadline)
        tab._set_number(tab._widget("number_input", "Epochs"), LONG_EPOCHS)
        await tab._full_rerun("epochs", deadline)
        start = tab._widget("button", "Start")
        await tab._full_rerun("start", deadline, trigger=start.button.id)
    assert not tab.result.errors, tab.result.errors


@pytest.mark.timeout(400)
def test_ten_dropped_tabs_leave_nothing_training_after_the_limit():
    env = {"TRAINING_SLOTS": "1", "MAX_RUN_EXAMPLES": "0"}
    with streamlit_server(env) as (url, proc, log):
        async def scenario():
            for i in range(DROPPED):
                await _start_and_drop(url, i)
            # a student arriving now waits until the watchdog has let go of the dropped
            # runs; with one slot, a run left training would keep them queued for minutes
            return await SimulatedUser(url, user=99, epochs=1, timeout=LIMIT_SECONDS + 150).run()

        late = asyncio.run(scenario())
        assert late.finished and not late.errors, late.errors
        # and now nothing trains: the server's CPU over a few seconds is a small share of
        # the one core a training thread keeps busy
        cpu0, t0 = cpu_seconds(proc.pid), time.monotonic()
        while time.monotonic() - t0 < 3.0:
            time.sleep(0.1)
        busy = (cpu_seconds(proc.pid) - cpu0) / (time.monotonic() - t0)
        assert busy < 0.3, f"the server still used {busy:.0%} of a core"
        text = log.read_text()
    assert not server_exceptions(text), text[-3000:]
