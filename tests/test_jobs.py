"""Training jobs: runs in the server-wide slot queue, stopping while queued, the watchdog.

The lifecycle they share with sweeps (thread, queue, stop, watchdog) is tested on its own in
test_tasks.py; these tests train real runs on MNIST.
"""

from __future__ import annotations

import time

import pytest

import core.jobs
import core.tasks
from core.config import TrainConfig
from core.i18n import Msg, translator
from core.jobs import TrainingJob
from core.run_state import RunStatus
from core.tasks import RunSlots, Watchdog
from core.train import TrainingRun


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


def test_watchdog_pauses_a_job_nobody_watches_and_it_goes_on_when_they_come_back(mnist):
    """Every tab of the run's browser closed for the grace period: the run pauses (it is not
    lost) and its slot goes to someone else; its owner back, it trains on from there."""
    connected = {"yes": True}
    slots = RunSlots(capacity=1)
    job = _job(mnist, slots, epochs=500, owner_alive=lambda: connected["yes"])
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
    _wait_for(job.run.held.is_set)
    assert job.alive and job.run.status is RunStatus.PAUSED and job.abandoned
    assert "nobody was watching" in job.run.message and watchdog.watched == 0
    assert slots.busy == 0  # the slot is free: another student's run trains meanwhile
    other = _job(mnist, slots, epochs=1, batch=1000)
    other.start()
    other.join(60)
    assert other.run.status is RunStatus.FINISHED
    where = (job.run.epochs_done, job.run.batches_done)
    connected["yes"] = True
    job.reclaim()
    _wait_for(lambda: (job.run.epochs_done, job.run.batches_done) > where)
    assert job.run.status is RunStatus.RUNNING and job.run.message == "" and not job.abandoned
    assert slots.busy == 1
    job.stop()
    job.join(30)
    assert slots.busy == 0


def test_a_paused_run_frees_its_slot_and_queues_again_when_resumed(mnist):
    """Paused by its student (or the coach), a run waits without a slot: the next run in
    the queue trains (issue 21: a student waited behind a run the coach had paused). On
    resume it queues for a slot like any other run."""
    slots = RunSlots(capacity=1)
    paused, other = _job(mnist, slots, epochs=500), _job(mnist, slots, epochs=500)
    paused.start()
    _wait_for(lambda: paused.run.batches_done > 0)
    other.start()
    assert other.queued
    paused.run.pause()
    _wait_for(lambda: not other.queued and other.run.batches_done > 0)
    assert paused.run.status is RunStatus.PAUSED and slots.busy == 1
    paused.run.resume()
    _wait_for(lambda: paused.queued)  # its turn comes when the other run gives the slot up
    where = paused.run.batches_done
    other.stop()
    other.join(30)
    _wait_for(lambda: not paused.queued and paused.run.batches_done != where)
    assert paused.run.status is RunStatus.RUNNING
    paused.stop()
    paused.join(30)
    assert slots.busy == 0 and not paused.alive


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


def test_a_job_started_again_after_a_failure_forgets_the_error(mnist, monkeypatch):
    """Issue 18's loose end: TrainingJob.error stayed set when a failed job was continued."""
    slots = RunSlots(capacity=1)
    job = _job(mnist, slots)
    real_run = job.run.run
    monkeypatch.setattr(job.run, "run", lambda *a, **k: (_ for _ in ()).throw(
        MemoryError("no room for the weights")))
    job.start()
    job.join(30)
    assert job.error == "MemoryError: no room for the weights"
    monkeypatch.setattr(job.run, "run", real_run)
    job.extend(1)
    assert job.error is None
    job.join(120)
    assert job.error is None and job.run.status is RunStatus.FINISHED and job.test_accuracy


def test_the_tutorials_run_fits_the_default_size_cap_and_ten_thousand_epochs_do_not(mnist):
    slots = RunSlots(capacity=1)
    cap = core.jobs.DEFAULT_MAX_RUN_EXAMPLES
    tutorial = _job(mnist, slots, epochs=200, max_examples=cap)
    tutorial.check_size()  # 200 x 50,000 images: allowed
    huge = _job(mnist, slots, epochs=10_000, max_examples=cap)
    with pytest.raises(core.tasks.Refused) as refused:
        huge.start()
    message = refused.value.args[0]
    assert isinstance(message, Msg) and "10,000 epochs of 50,000 training images" in message
    assert "at most 500 epochs" in message
    assert not huge.alive and slots.ahead_of(huge.ticket) is None
    assert message.msgid in translator("ja").catalog  # the student reads it in Japanese too


def test_continuing_beyond_the_size_cap_is_refused_and_the_run_left_as_it_was(mnist):
    slots = RunSlots(capacity=1)
    job = _job(mnist, slots, epochs=1, batch=1000, max_examples=3 * 50_000)
    job.start()
    job.join(60)
    with pytest.raises(core.tasks.Refused):
        job.extend(3)  # 4 epochs in all: over the cap
    assert job.run.target_epochs == 1 and not job.alive
    job.extend(2)  # 3 in all: allowed
    job.join(60)
    assert job.run.epochs_done == 3 and job.run.status is RunStatus.FINISHED


def test_a_client_continuing_while_its_other_runs_hold_its_places_is_refused(mnist):
    slots = RunSlots(capacity=1)
    done = _job(mnist, slots, batch=1000, client="A")
    done.start()
    done.join(60)
    long_runs = [_job(mnist, slots, epochs=50, client="A") for _ in range(2)]
    for job in long_runs:
        job.start()
    with pytest.raises(core.tasks.Refused):
        done.extend(1)
    assert done.run.target_epochs == 1 and not done.alive
    for job in long_runs:
        job.stop()
        job.join(30)
    assert slots.busy == 0
