"""Training jobs: runs in the server-wide slot queue, stopping while queued, the watchdog.

The lifecycle they share with sweeps (thread, queue, stop, watchdog) is tested on its own in
test_tasks.py; these tests train real runs on MNIST.
"""

from __future__ import annotations

import time

import core.jobs
import core.tasks
from core.config import TrainConfig
from core.jobs import TrainingJob
from core.tasks import RunSlots, Watchdog
from core.train import RunStatus, TrainingRun


def _wait_for(condition, timeout=30.0):
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.01)


def _job(mnist, slots, epochs=1, batch=10, **kw):
    run = TrainingRun(mnist, TrainConfig(epochs=epochs, batch_size=batch))
    return TrainingJob(run, slots, **kw)


def test_runs_beyond_the_cap_queue_in_order_and_start_by_themselves(mnist):
    slots = RunSlots(capacity=1)
    first, second, third = (_job(mnist, slots) for _ in range(3))
    first.start()
    _wait_for(lambda: not first.queued and first.run.batches_done > 0)
    second.start()
    third.start()
    _wait_for(lambda: second.ahead() == 0 and third.ahead() == 1)
    assert second.run.status is RunStatus.READY and slots.busy == 1
    for job in (first, second, third):
        job.join(120)
    assert [j.run.status for j in (first, second, third)] == [RunStatus.FINISHED] * 3
    assert all(j.test_accuracy > 0.85 for j in (first, second, third))
    assert slots.busy == 0


def test_stop_while_queued_leaves_the_queue_without_training(mnist):
    slots = RunSlots(capacity=1)
    running, waiting = _job(mnist, slots, epochs=50), _job(mnist, slots)
    running.start()
    _wait_for(lambda: not running.queued)
    waiting.start()
    _wait_for(lambda: waiting.ahead() == 0)
    waiting.stop()
    waiting.join(10)
    assert not waiting.alive and waiting.run.status is RunStatus.STOPPED
    assert waiting.run.epochs_done == 0 and "queued" in waiting.run.message
    running.stop()
    running.join(30)
    assert slots.busy == 0 and slots.ahead_of(waiting.ticket) is None


def test_watchdog_stops_a_job_whose_tab_closed_after_the_grace_period(mnist):
    connected = {"yes": True}
    job = _job(mnist, RunSlots(capacity=2), epochs=500, owner_alive=lambda: connected["yes"])
    watchdog = Watchdog(interval=1000, grace=30)  # checked by hand below
    job.start()
    watchdog.watch(job)
    _wait_for(lambda: job.run.batches_done > 0)
    assert watchdog.check(now=0) == []
    connected["yes"] = False
    assert watchdog.check(now=10) == []  # gone, but within the grace period
    assert watchdog.check(now=39) == []
    assert job.alive
    assert watchdog.check(now=41) == [job]
    job.join(30)
    assert not job.alive and job.run.status is RunStatus.STOPPED
    assert "tab" in job.run.message and watchdog.watched == 0


def test_a_failing_run_is_stopped_with_the_error_shown_and_its_slot_freed(mnist, monkeypatch):
    slots = RunSlots(capacity=1)
    job = _job(mnist, slots)

    def broken(*args, **kwargs):
        raise MemoryError("no room for the weights")

    monkeypatch.setattr(job.run, "run", broken)
    job.start()
    job.join(30)
    assert job.error == "MemoryError: no room for the weights" and job.test_accuracy is None
    assert job.run.status is RunStatus.STOPPED
    assert job.run.message == f"Training failed: {job.error}"
    assert slots.busy == 0 and not job.queued


def test_the_lifecycle_names_are_still_importable_from_core_jobs():
    for name in ("RunSlots", "Watchdog", "WATCHDOG", "new_ticket", "usable_cores"):
        assert getattr(core.jobs, name) is getattr(core.tasks, name)
