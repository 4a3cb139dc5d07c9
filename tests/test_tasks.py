"""Background tasks (core.tasks): the thread, the slot queue, stopping, failures, the watchdog.

The tasks here train nothing: a :class:`Chore` takes a slot and holds it until the test lets
it finish (or it is stopped), so every step of the lifecycle can be watched without MNIST.
Training jobs and sweeps, the two real tasks, are tested in test_jobs.py and test_sweep.py.
"""

from __future__ import annotations

import os
import threading
import time

import pytest

import core.slots
import core.tasks
from core.i18n import Msg
from core.tasks import BackgroundTask, RunSlots, Watchdog, usable_cores


def _wait_for(condition, timeout=30.0):
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.005)


class Chore(BackgroundTask):
    """Waits for a slot, holds it until :attr:`done` is set or it is stopped, gives it back;
    :attr:`outcome` says how it ended. ``fail`` is raised once the slot is held."""

    kind = "chore"

    def __init__(self, slots, fail: Exception | None = None, **kw):
        super().__init__(slots, **kw)
        self.fail = fail
        self.done, self.holding = threading.Event(), threading.Event()
        self.outcome: str | None = None
        self.interrupted: list[str] = []
        self.failures: list[str] = []

    def _work(self) -> None:
        if not self._wait_for_slot():
            self.outcome = "left the queue"
            return
        try:
            self.niceness = os.getpriority(os.PRIO_PROCESS, threading.get_native_id())
            self.holding.set()
            if self.fail is not None:
                raise self.fail
            while not (self.done.is_set() or self.cancelled):
                time.sleep(0.005)
            self.outcome = "stopped" if self.cancelled else "done"
        finally:
            self._release_slot()

    def _interrupt(self, reason: str) -> None:
        self.interrupted.append(reason)

    def _failed(self, error: str) -> None:
        self.failures.append(error)


class OnceChore(Chore):
    runs_once = True


def test_default_capacity_is_one_slot_per_core_this_process_may_use(monkeypatch):
    if hasattr(os, "sched_getaffinity"):
        assert usable_cores() == len(os.sched_getaffinity(0))
    assert RunSlots().capacity == usable_cores()
    # a container or taskset allowing 3 of the machine's 64 cores: 3 slots, not 64
    monkeypatch.setattr(os, "cpu_count", lambda: 64)
    monkeypatch.setattr(os, "sched_getaffinity", lambda pid: {0, 5, 7}, raising=False)
    assert usable_cores() == 3 and RunSlots().capacity == 3
    assert RunSlots(capacity=5).capacity == 5  # TRAINING_SLOTS, passed by ui, overrides
    monkeypatch.delattr(os, "sched_getaffinity")  # macOS, Windows: the machine's count
    assert usable_cores() == 64
    monkeypatch.setattr(os, "cpu_count", lambda: None)
    assert usable_cores() == 1 and RunSlots().capacity == 1


def test_a_task_works_on_its_own_daemon_thread_holding_a_slot_meanwhile():
    slots = RunSlots(capacity=2)
    task = Chore(slots)
    assert not task.alive and task.seconds is None and task.ahead() is None
    task.start()
    _wait_for(task.holding.is_set)
    thread = task._thread
    assert task.alive and not task.queued and slots.busy == 1
    assert thread.daemon and thread.name == f"chore-{task.ticket}"
    task.start()  # no-op while it is going
    assert task._thread is thread
    task.done.set()
    task.join(10)
    assert not task.alive and task.outcome == "done" and task.error is None
    assert slots.busy == 0 and not task.cancelled
    took = task.seconds
    assert took > 0 and task.seconds == took  # the clock stops when the work ends


def test_tasks_beyond_the_capacity_queue_in_order_and_go_on_by_themselves():
    slots = RunSlots(capacity=1)
    first, second, third = (Chore(slots) for _ in range(3))
    assert len({first.ticket, second.ticket, third.ticket}) == 3
    first.start()
    _wait_for(first.holding.is_set)
    second.start()
    third.start()
    _wait_for(lambda: second.ahead() == 0 and third.ahead() == 1)
    assert second.queued and not second.holding.is_set() and slots.busy == 1
    first.done.set()
    _wait_for(lambda: second.holding.is_set() and third.ahead() == 0)
    assert not second.queued and second.ahead() is None
    second.done.set()
    third.done.set()
    for task in (first, second, third):
        task.join(10)
    assert [t.outcome for t in (first, second, third)] == ["done"] * 3
    assert slots.busy == 0


def test_stop_while_queued_leaves_the_queue_without_working():
    slots = RunSlots(capacity=1)
    running, waiting = Chore(slots), Chore(slots)
    running.start()
    _wait_for(running.holding.is_set)
    waiting.start()
    _wait_for(lambda: waiting.ahead() == 0)
    waiting.stop("changed my mind")
    waiting.join(10)
    assert not waiting.alive and waiting.outcome == "left the queue"
    assert waiting.cancelled and waiting.stop_reason == "changed my mind"
    assert waiting.interrupted == ["changed my mind"] and not waiting.holding.is_set()
    assert not waiting.queued and slots.ahead_of(waiting.ticket) is None
    running.stop()
    running.join(10)
    assert running.outcome == "stopped" and slots.busy == 0


def test_a_task_can_start_again_after_a_stop_unless_it_runs_once():
    slots = RunSlots(capacity=2)
    again, once = Chore(slots), OnceChore(slots)
    for task in (again, once):
        task.start()
        _wait_for(task.holding.is_set)
        task.stop("pause")
        task.join(10)
        assert task.outcome == "stopped"
        task.holding.clear()
        task.start()
    _wait_for(again.holding.is_set)
    assert again.alive and not again.cancelled and again.stop_reason == ""
    assert not once.alive and once.cancelled  # runs once: start did nothing
    again.done.set()
    again.join(10)
    assert again.outcome == "done"


def test_an_exception_in_the_work_is_kept_and_the_slot_given_back():
    slots = RunSlots(capacity=1)
    task = Chore(slots, fail=ValueError("no such digit"))
    task.start()
    task.join(10)
    assert not task.alive and task.error == "ValueError: no such digit"
    assert task.failures == [task.error] and task.outcome is None
    assert slots.busy == 0 and not task.queued and task.seconds is not None


def test_watchdog_stops_a_task_whose_owner_is_gone_after_the_grace_period():
    owner = {"here": True}
    task = Chore(RunSlots(capacity=1), owner_alive=lambda: owner["here"])
    watchdog = Watchdog(interval=1000, grace=30)  # checked by hand below
    task.start()
    watchdog.watch(task)
    _wait_for(task.holding.is_set)
    assert watchdog.check(now=0) == [] and watchdog.watched == 1
    owner["here"] = False
    assert watchdog.check(now=10) == []  # gone, but within the grace period
    owner["here"] = True
    assert watchdog.check(now=20) == []  # back: the clock starts again
    owner["here"] = False
    assert watchdog.check(now=25) == [] and watchdog.check(now=54) == []
    assert task.alive
    assert watchdog.check(now=55) == [task]
    task.join(10)
    assert task.outcome == "stopped" and "tab" in task.stop_reason and watchdog.watched == 0
    assert task.interrupted == [task.stop_reason]


def test_watchdog_counts_an_owner_that_cannot_be_asked_as_gone_and_forgets_ended_tasks():
    def broken():
        raise RuntimeError("session gone")

    watchdog = Watchdog(interval=1000, grace=0)
    ended, orphan = Chore(RunSlots(2)), Chore(RunSlots(2), owner_alive=broken)
    for task in (ended, orphan):
        task.start()
        watchdog.watch(task)
    ended.done.set()
    ended.join(10)
    _wait_for(orphan.holding.is_set)
    assert watchdog.check(now=0) == [] and watchdog.watched == 1  # the ended one is forgotten
    assert watchdog.check(now=0) == [orphan]
    orphan.join(10)
    assert orphan.outcome == "stopped"


@pytest.mark.parametrize("owner", [None, lambda: True])
def test_start_puts_a_task_with_an_owner_under_the_process_watchdog(monkeypatch, owner):
    watchdog = Watchdog(interval=1000)
    monkeypatch.setattr(core.tasks, "WATCHDOG", watchdog)
    task = Chore(RunSlots(1), owner_alive=owner)
    task.start()
    assert watchdog.watched == (owner is not None)
    task.done.set()
    task.join(10)


def test_a_task_alone_keeps_its_priority_and_a_crowd_yields_to_the_pages():
    """Training in a crowded server (another task training or waiting) runs at a lower
    scheduling priority, so that page refreshes get a core first; a task alone does not."""
    base = os.getpriority(os.PRIO_PROCESS, threading.get_native_id())
    slots = RunSlots(2)
    alone = Chore(slots)
    alone.start()
    assert alone.holding.wait(30)
    assert alone.niceness == base
    second, third = Chore(slots), Chore(slots)
    second.start()
    assert second.holding.wait(30)  # two train now: crowded
    assert second.niceness == max(base, core.tasks.TASK_NICENESS)
    third.start()  # waits for a slot; when it gets one, another still trains
    alone.done.set()
    assert third.holding.wait(30) and third.niceness == max(base, core.tasks.TASK_NICENESS)
    for chore in (second, third):
        chore.done.set()
        chore.join(30)
    alone.join(30)


# ------------------------------------------------------------------ fair between clients


def test_a_hundred_tabs_of_one_client_hold_one_slot_and_one_place_in_the_queue():
    """Issue 19 item 2: 100 sessions from one machine each pressing Start. The machine gets
    one run training and one waiting; the 98 others are refused with a message for the
    student; another client's run takes the free slot at once."""
    slots = RunSlots(capacity=2)
    greedy = [Chore(slots, client="10.0.0.66") for _ in range(100)]
    greedy[0].start()
    _wait_for(greedy[0].holding.is_set)
    greedy[1].start()
    _wait_for(lambda: greedy[1].ahead() == 0)
    assert greedy[1].behind_own_run()  # a slot is free, but not for a second run of its own
    refused = []
    for chore in greedy[2:]:
        with pytest.raises(core.tasks.Refused) as caught:
            chore.start()
        refused.append(caught.value)
        assert not chore.alive
    assert len(refused) == 98 and isinstance(str(refused[0]), Msg)
    assert "your computer already has 2 runs" in str(refused[0])
    honest = Chore(slots, client="10.0.0.7")
    honest.start()
    _wait_for(honest.holding.is_set)
    assert slots.busy == 2 and greedy[1].queued
    for chore in (greedy[0], honest):
        chore.done.set()
    _wait_for(greedy[1].holding.is_set)
    greedy[1].done.set()
    for chore in (greedy[0], greedy[1], honest):
        chore.join(10)
    assert slots.busy == 0 and slots.ahead_of(greedy[1].ticket) is None


def test_a_free_slot_goes_to_the_client_served_least_recently_not_first_come():
    slots = RunSlots(capacity=1)
    a1, a2 = Chore(slots, client="A"), Chore(slots, client="A")
    a1.start()
    _wait_for(a1.holding.is_set)
    a2.start()  # A's backlog arrives first...
    _wait_for(lambda: a2.ahead() == 0)
    b1 = Chore(slots, client="B")
    b1.start()  # ...but B has not had a turn yet
    _wait_for(lambda: b1.ahead() == 0 and a2.ahead() == 1)
    a1.done.set()
    _wait_for(b1.holding.is_set)
    assert a2.queued and not a2.holding.is_set()
    c1 = Chore(slots, client="C")
    c1.start()
    _wait_for(lambda: c1.ahead() == 0)  # C never had a turn: before A, served before
    b1.done.set()
    _wait_for(c1.holding.is_set)
    c1.done.set()
    _wait_for(a2.holding.is_set)
    a2.done.set()
    for chore in (a1, a2, b1, c1):
        chore.join(10)
    assert [c.outcome for c in (a1, a2, b1, c1)] == ["done"] * 4


def test_a_stopped_task_frees_its_clients_place_at_once():
    slots = RunSlots(capacity=1)
    running, waiting = Chore(slots, client="A"), Chore(slots, client="A")
    running.start()
    _wait_for(running.holding.is_set)
    waiting.start()
    with pytest.raises(core.tasks.Refused):
        Chore(slots, client="A").start()
    waiting.stop("changed my mind")  # its thread may not have ended yet: no matter
    again = Chore(slots, client="A")
    again.start()
    running.done.set()
    _wait_for(again.holding.is_set)
    again.done.set()
    for chore in (running, waiting, again):
        chore.join(10)
    assert slots.busy == 0


def test_runs_per_client_raises_both_bounds():
    slots = RunSlots(capacity=3, per_client=2)
    chores = [Chore(slots, client="A") for _ in range(4)]
    for chore in chores:
        chore.start()
    _wait_for(lambda: chores[0].holding.is_set() and chores[1].holding.is_set())
    assert chores[2].queued and chores[2].behind_own_run() and slots.busy == 2
    with pytest.raises(core.tasks.Refused):
        Chore(slots, client="A").start()
    for chore in chores:
        chore.stop()
        chore.join(10)
    assert slots.busy == 0


def test_the_round_robin_remembers_a_bounded_number_of_clients(monkeypatch):
    monkeypatch.setattr(core.slots, "MAX_REMEMBERED_CLIENTS", 10)
    slots = RunSlots(capacity=1)
    for i in range(25):
        chore = Chore(slots, client=f"10.0.0.{i}")
        chore.start()
        chore.done.set()
        chore.join(10)
    assert len(slots._served) <= 10


def test_a_restarted_task_forgets_the_error_of_its_last_start():
    """Issue 18's loose end: the error of a failed start stayed after a successful one."""
    slots = RunSlots(capacity=1)
    task = Chore(slots, fail=ValueError("no such digit"))
    task.start()
    task.join(10)
    assert task.error == "ValueError: no such digit"
    task.fail = None
    task.holding.clear()
    task.start()
    assert task.error is None
    _wait_for(task.holding.is_set)
    task.done.set()
    task.join(10)
    assert task.outcome == "done" and task.error is None
