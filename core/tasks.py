"""Background tasks: work that runs on its own thread, waits its turn for a training slot,
and stops when asked or when the browser tab that started it is gone.

A web page must not block while a model trains, and it is re-run from the top on every
click, so the work lives on a daemon thread and the page only reads its state. Everything
such a task needs besides the work itself is here, written once:

- :class:`BackgroundTask`: the thread, a ticket (a number unique in the process), the
  wait in the slot queue (:attr:`~BackgroundTask.queued`, :meth:`~BackgroundTask.ahead`),
  :meth:`~BackgroundTask.stop`, :meth:`~BackgroundTask.join`, the wall time, and a failure
  caught and kept in :attr:`~BackgroundTask.error` instead of lost on a thread. A subclass
  writes :meth:`~BackgroundTask._work` and, where it has something to interrupt,
  :meth:`~BackgroundTask._interrupt`.
- :class:`RunSlots` (in core.slots, importable from here): a shared machine has few cores;
  at most ``capacity`` tasks train at the same time, the others wait and go on by
  themselves, in a queue fair between clients (each has at most one task training and one
  waiting; the clients take turns), so that one browser opening many tabs cannot hold the
  others up.
- :class:`Watchdog` (one per process, :data:`WATCHDOG`): stops a task whose owner went
  away, so that its slot goes to someone else.

:class:`core.jobs.TrainingJob` (one training run) and :class:`core.sweep.Sweep` (several
short runs, one after another) are such tasks.
"""

from __future__ import annotations

import itertools
import os
import threading
import time
from collections.abc import Callable

from core.slots import Refused, RunSlots, usable_cores

__all__ = ["WATCHDOG", "BackgroundTask", "Refused", "RunSlots", "Watchdog", "new_ticket",
           "usable_cores"]


_tickets = itertools.count(1)
_ticket_lock = threading.Lock()


def new_ticket() -> int:
    """A number unique in this process: the queue and the watchdog tell tasks apart by it."""
    with _ticket_lock:
        return next(_tickets)


class BackgroundTask:
    """Work done on a daemon thread, in turns with everyone else's for a slot of ``slots``.

    A page calls :meth:`start` and :meth:`stop`, and reads :attr:`alive`, :attr:`queued`,
    :meth:`ahead`, :attr:`cancelled`, :attr:`error` and :attr:`seconds`. ``owner_alive``
    (e.g. "is the browser tab still connected?") puts the task under the :data:`WATCHDOG`
    once it starts. ``client`` (e.g. the browser's address) is whose turn it is in the
    queue: :class:`RunSlots` bounds and rotates the tasks per client.

    A subclass writes :meth:`_work` (run on the thread), which holds a slot only while it
    trains: :meth:`_wait_for_slot` first, :meth:`_release_slot` after. :meth:`_interrupt`
    ends the work a stop finds going on, :meth:`_failed` reports an exception the work
    raised. ``kind`` names the thread; ``runs_once`` says a finished task cannot be
    started again.
    """

    kind = "task"
    runs_once = False

    def __init__(self, slots: RunSlots, owner_alive: Callable[[], bool] | None = None,
                 client: str | None = None):
        self.slots = slots
        self.owner_alive = owner_alive
        self.client = client
        self.ticket = new_ticket()
        self.queued = False  # waiting for a slot (from start until the first slot)
        self.error: str | None = None  # "ValueError: ..." if the work raised
        self.stop_reason = ""
        self.started_at: float | None = None  # time.perf_counter() at start and at the end
        self.ended_at: float | None = None
        self._cancel = threading.Event()
        self._thread: threading.Thread | None = None

    # ------------------------------------------------------------------ state for a UI

    @property
    def alive(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    @property
    def cancelled(self) -> bool:
        """:meth:`stop` was called (since the last start)."""
        return self._cancel.is_set()

    @property
    def seconds(self) -> float | None:
        """Wall time from :meth:`start` until the work ended (or until now)."""
        if self.started_at is None:
            return None
        return (self.ended_at or time.perf_counter()) - self.started_at

    def ahead(self) -> int | None:
        """How many tasks wait in the queue before this one (None if it is not waiting)."""
        return self.slots.ahead_of(self.ticket) if self.queued else None

    def behind_own_run(self) -> bool:
        """Waiting because the same client already trains another task (see RunSlots)."""
        return self.queued and self.slots.behind_own_run(self.ticket)

    # ------------------------------------------------------------------ controls

    def start(self) -> None:
        """Queue the work on a daemon thread (no-op while it is going, or once it has run
        if :attr:`runs_once`). :class:`Refused` if the queue holds as many of this client's
        tasks as it may; nothing changes then."""
        if self.alive or (self.runs_once and self._thread is not None):
            return
        self.slots.enter(self.ticket, self.client, self._cancel)
        self._cancel.clear()
        self.stop_reason = ""
        self.error = None  # a failure of an earlier start is not this one's
        self.queued = True
        self.started_at, self.ended_at = time.perf_counter(), None
        self._thread = threading.Thread(target=self._main, name=f"{self.kind}-{self.ticket}",
                                        daemon=True)
        self._thread.start()
        if self.owner_alive is not None:
            WATCHDOG.watch(self)

    def stop(self, reason: str = "") -> None:
        """End the work: a queued task leaves the queue, a running one stops at its next
        check. ``reason`` (e.g. "the tab was closed") is kept in :attr:`stop_reason`."""
        self.stop_reason = reason
        self._cancel.set()
        self._interrupt(reason)

    def abandon(self) -> None:
        """Nobody watches this task any more (see :class:`Watchdog`): stop it. A subclass
        may keep it for its owner's return instead (core.jobs.TrainingJob pauses)."""
        self.stop("the browser tab that started it was closed")

    def join(self, timeout: float | None = None) -> None:
        if self._thread is not None:
            self._thread.join(timeout)

    # ------------------------------------------------------------------ for subclasses

    def _work(self) -> None:
        """The task itself, on the worker thread. Check :attr:`cancelled` between steps."""
        raise NotImplementedError

    def _interrupt(self, reason: str) -> None:
        """Called by :meth:`stop` (on the caller's thread): end the work going on now."""

    def _failed(self, error: str) -> None:
        """Called on the worker thread when :meth:`_work` raised; ``error`` is :attr:`error`."""

    def _wait_for_slot(self) -> bool:
        """Queue for a slot (:attr:`queued` meanwhile); False if stopped while waiting."""
        self.queued = True
        try:
            got = self.slots.acquire(self.ticket, self._cancel)
        finally:
            self.queued = False
        if got and self.slots.crowded:
            _yield_to_pages()
        return got

    def _release_slot(self) -> None:
        self.slots.release(self.ticket)

    def _main(self) -> None:
        try:
            self._work()
        except Exception as exc:  # never lose a failure silently: the page shows it
            self.error = f"{type(exc).__name__}: {exc}"
            self._failed(self.error)
        finally:
            self.queued = False
            self.ended_at = time.perf_counter()
            self.slots.leave(self.ticket)


# How much lower than the server's other threads a background task runs (Linux "nice")
# when it starts in a crowded server (another task training or waiting). Compiled training
# releases the interpreter lock and keeps a core busy; on two cores, two training threads
# then left the pages' refreshes waiting for a core (chart refresh p95 2.4 s with 40
# users). At a lower priority, a page refresh, which takes milliseconds, gets a core first,
# and training uses whatever is left. A task alone keeps its priority: one student watching
# a run trains at the command line's speed (0.84x it at nice 10, 0.98x at nice 0).
TASK_NICENESS = 10


def _yield_to_pages() -> None:
    """Give the calling thread a niceness of at least TASK_NICENESS, where the system
    allows it (Linux threads have their own niceness); elsewhere, change nothing."""
    try:
        tid = threading.get_native_id()
        current = os.getpriority(os.PRIO_PROCESS, tid)
        os.setpriority(os.PRIO_PROCESS, tid, max(current, TASK_NICENESS))
    except (AttributeError, OSError):
        pass


class Watchdog:
    """Lets go of tasks whose owner went away (every browser tab of it closed), so that no
    worker thread holds a training slot for someone who is not there.

    One daemon thread checks every watched task's ``owner_alive()`` every ``interval``
    seconds; a task whose owner has been gone for ``grace`` seconds is abandoned
    (:meth:`BackgroundTask.abandon`: a training run pauses and frees its slot until its
    owner comes back, anything else stops) and no longer watched.
    """

    def __init__(self, interval: float = 5.0, grace: float = 30.0):
        self.interval, self.grace = interval, grace
        self._tasks: dict[int, tuple[BackgroundTask, float | None]] = {}
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None

    def watch(self, task: BackgroundTask) -> None:
        with self._lock:
            self._tasks[task.ticket] = (task, None)
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(target=self._loop, name="job-watchdog",
                                                daemon=True)
                self._thread.start()

    def check(self, now: float | None = None) -> list[BackgroundTask]:
        """One round: stop and forget tasks whose owner is gone for too long; returns them."""
        now = time.monotonic() if now is None else now
        stopped = []
        with self._lock:
            for ticket, (task, gone_since) in list(self._tasks.items()):
                if not task.alive:
                    del self._tasks[ticket]
                    continue
                if self._owner_alive(task):
                    self._tasks[ticket] = (task, None)
                elif gone_since is None:
                    self._tasks[ticket] = (task, now)
                elif now - gone_since >= self.grace:
                    task.abandon()
                    stopped.append(task)
                    del self._tasks[ticket]
        return stopped

    @staticmethod
    def _owner_alive(task: BackgroundTask) -> bool:
        try:
            return bool(task.owner_alive())
        except Exception:  # an owner that cannot even be asked is gone
            return False

    def _loop(self) -> None:
        while True:
            time.sleep(self.interval)
            self.check()
            with self._lock:
                if not self._tasks:
                    self._thread = None
                    return

    @property
    def watched(self) -> int:
        return len(self._tasks)


WATCHDOG = Watchdog()
"""The process's watchdog: :meth:`BackgroundTask.start` puts a task with an owner under it."""
