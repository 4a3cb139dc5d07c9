"""Training runs on worker threads, with a server-wide cap on how many train at once.

A web page must not block while a model trains, and it is re-run from the top on every
click, so the run lives on its own thread (:class:`TrainingJob`) and the page only reads
its state. A shared machine has few cores: :class:`RunSlots` lets at most ``capacity``
jobs train at the same time; the others wait in a first-come, first-served queue and
start by themselves.
"""

from __future__ import annotations

import itertools
import os
import threading
import time
from typing import Callable

from core.metrics import evaluate
from core.train import RunStatus, TrainingRun


def usable_cores() -> int:
    """The cores this process may run on: its CPU affinity where the system has one (a
    container, cgroup cpuset or ``taskset`` may allow fewer than the machine has), else the
    machine's count."""
    try:
        return len(os.sched_getaffinity(0)) or 1
    except (AttributeError, OSError):  # no sched_getaffinity on macOS and Windows
        return os.cpu_count() or 1


class RunSlots:
    """A fair queue in front of ``capacity`` training slots (default: one per usable core)."""

    def __init__(self, capacity: int | None = None):
        self.capacity = max(1, capacity or usable_cores())
        self._cond = threading.Condition()
        self._running: set[int] = set()
        self._waiting: list[int] = []

    def acquire(self, ticket: int, cancelled: threading.Event) -> bool:
        """Wait for a slot; False if ``cancelled`` was set while waiting."""
        with self._cond:
            self._waiting.append(ticket)
            try:
                while not (self._waiting[0] == ticket and len(self._running) < self.capacity):
                    if cancelled.is_set():
                        return False
                    self._cond.wait(timeout=0.2)
                self._running.add(ticket)
                return True
            finally:
                self._waiting.remove(ticket)
                self._cond.notify_all()

    def release(self, ticket: int) -> None:
        with self._cond:
            self._running.discard(ticket)
            self._cond.notify_all()

    def ahead_of(self, ticket: int) -> int | None:
        """How many jobs wait before this one (None if it is not waiting)."""
        with self._cond:
            return self._waiting.index(ticket) if ticket in self._waiting else None

    @property
    def busy(self) -> int:
        return len(self._running)


_tickets = itertools.count(1)
_ticket_lock = threading.Lock()


def new_ticket() -> int:
    """A number unique in this process: the queue and the watchdog tell jobs apart by it."""
    with _ticket_lock:
        return next(_tickets)


class TrainingJob:
    """A :class:`TrainingRun` trained on a daemon thread once a slot is free.

    The page calls :meth:`start` / :meth:`extend` / the run's pause, resume and stop, and
    reads ``run.history``, ``run.status``, :attr:`queued` and :meth:`ahead`. Nothing here
    touches the UI: the thread only updates the run.
    """

    def __init__(self, run: TrainingRun, slots: RunSlots,
                 owner_alive: Callable[[], bool] | None = None):
        self.run, self.slots = run, slots
        self.owner_alive = owner_alive  # e.g. "is the browser tab still connected?"
        self.queued = False
        self.error: str | None = None
        self.test_accuracy: float | None = None  # filled in when training ends
        self._cancel = threading.Event()
        self._thread: threading.Thread | None = None
        self.ticket = new_ticket()

    @property
    def alive(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def start(self) -> None:
        """Queue the run and train it on a worker thread (no-op if already going)."""
        if self.alive:
            return
        self._cancel.clear()
        self.queued = True
        self._thread = threading.Thread(target=self._work, name=f"train-{self.ticket}", daemon=True)
        self._thread.start()
        if self.owner_alive is not None:
            WATCHDOG.watch(self)

    def _work(self) -> None:
        try:
            if not self.slots.acquire(self.ticket, self._cancel):
                self.run.status = RunStatus.STOPPED
                self.run.message = "Stopped before it started (it was still queued)."
                return
            self.queued = False
            try:
                self.run.run()
            finally:
                self.slots.release(self.ticket)
            data = self.run.data
            self.test_accuracy = evaluate(self.run.model, data.features("test"), data.y_test).accuracy
        except Exception as exc:  # never lose a failure silently: the page shows it
            self.error = f"{type(exc).__name__}: {exc}"
            self.run.status = RunStatus.STOPPED
            self.run.message = f"Training failed: {self.error}"
        finally:
            self.queued = False

    def ahead(self) -> int | None:
        return self.slots.ahead_of(self.ticket) if self.queued else None

    def stop(self, reason: str = "") -> None:
        self._cancel.set()
        self.run.stop(reason)

    def extend(self, more_epochs: int) -> None:
        """Train ``more_epochs`` more epochs, continuing from where the run is."""
        self.run.extend(more_epochs)
        if not self.alive:
            self.start()

    def join(self, timeout: float | None = None) -> None:
        if self._thread is not None:
            self._thread.join(timeout)


class Watchdog:
    """Stops jobs whose owner went away (a closed browser tab), so that no training thread
    outlives its session for long and its slot goes to someone else.

    One daemon thread checks every watched job's ``owner_alive()`` every ``interval``
    seconds; a job whose owner has been gone for ``grace`` seconds is stopped.
    """

    def __init__(self, interval: float = 5.0, grace: float = 30.0):
        self.interval, self.grace = interval, grace
        self._jobs: dict[int, tuple[TrainingJob, float | None]] = {}
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None

    def watch(self, job: TrainingJob) -> None:
        with self._lock:
            self._jobs[job.ticket] = (job, None)
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(target=self._loop, name="job-watchdog", daemon=True)
                self._thread.start()

    def check(self, now: float | None = None) -> list[TrainingJob]:
        """One round: stop and forget jobs whose owner is gone for too long; returns them."""
        now = time.monotonic() if now is None else now
        stopped = []
        with self._lock:
            for ticket, (job, gone_since) in list(self._jobs.items()):
                if not job.alive:
                    del self._jobs[ticket]
                    continue
                try:
                    alive = job.owner_alive()
                except Exception:
                    alive = False
                if alive:
                    self._jobs[ticket] = (job, None)
                elif gone_since is None:
                    self._jobs[ticket] = (job, now)
                elif now - gone_since >= self.grace:
                    job.stop("the browser tab that started it was closed")
                    stopped.append(job)
                    del self._jobs[ticket]
        return stopped

    def _loop(self) -> None:
        while True:
            time.sleep(self.interval)
            self.check()
            with self._lock:
                if not self._jobs:
                    self._thread = None
                    return

    @property
    def watched(self) -> int:
        return len(self._jobs)


WATCHDOG = Watchdog()
