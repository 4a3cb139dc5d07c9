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
- :class:`RunSlots`: a shared machine has few cores; at most ``capacity`` tasks train at
  the same time, the others wait in a first-come, first-served queue and go on by
  themselves.
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
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass

from core.i18n import Msg


def usable_cores() -> int:
    """The cores this process may run on: its CPU affinity where the system has one (a
    container, cgroup cpuset or ``taskset`` may allow fewer than the machine has), else the
    machine's count."""
    try:
        return len(os.sched_getaffinity(0)) or 1
    except (AttributeError, OSError):  # no sched_getaffinity on macOS and Windows
        return os.cpu_count() or 1


class Refused(ValueError):
    """The queue will not take a task (or a run is larger than the server allows). Its
    message is a :class:`core.i18n.Msg` for the student, and ``str(exc)`` returns that Msg
    itself, so a page that keeps ``str(exc)`` still shows it in the student's language."""

    def __init__(self, message: Msg):
        super().__init__(message)

    def __str__(self) -> str:
        return self.args[0]


MAX_REMEMBERED_CLIENTS = 1000  # clients whose last turn is remembered for the round-robin


@dataclass
class _Entry:
    """A task in the queue's books, from :meth:`RunSlots.enter` until :meth:`RunSlots.leave`."""
    client: str
    cancelled: threading.Event
    waiting_since: int | None = None  # arrival number while waiting for a slot
    training: bool = False


class RunSlots:
    """A fair queue in front of ``capacity`` training slots (default: one per usable core).

    Every task belongs to a *client* (the browser's address; a task without one is a client
    of its own). Two rules keep one client from holding everyone else up:

    - **bounded per client**: a client has at most ``per_client`` tasks training and
      ``per_client`` more waiting; :meth:`enter` refuses the next one (:class:`Refused`),
      so 100 tabs from one machine hold at most two places, not a hundred;
    - **round-robin between clients**: a free slot goes to the waiting task whose client
      had a slot least recently (a client never served first; ties by arrival), and never
      to a client already training ``per_client`` tasks. One client's backlog waits for its
      own turn while the others take theirs.

    A task is in the books from :meth:`enter` (when it starts) until :meth:`leave` (when its
    thread ends); :meth:`acquire` and :meth:`release` take and give back a slot in between.
    A stopped task (its ``cancelled`` event set) no longer counts against its client.
    """

    def __init__(self, capacity: int | None = None, per_client: int = 1):
        self.capacity = max(1, capacity or usable_cores())
        self.per_client = max(1, per_client)
        self._cond = threading.Condition()
        self._entries: dict[int, _Entry] = {}
        self._served: dict[str, int] = {}  # client -> number of the turn it last had
        self._turns = itertools.count(1)
        self._arrivals = itertools.count(1)

    # ------------------------------------------------------------------ the books

    def enter(self, ticket: int, client: str | None, cancelled: threading.Event) -> None:
        """Put a task in the books; :class:`Refused` if its client already has
        ``per_client`` tasks training and ``per_client`` waiting. Entering again (a task
        started again) only updates the entry."""
        client = client or f"task-{ticket}"
        with self._cond:
            mine = [e for t, e in self._entries.items()
                    if e.client == client and t != ticket and not e.cancelled.is_set()]
            if len(mine) >= 2 * self.per_client:
                raise Refused(Msg(
                    "Not started: your computer already has {n} runs training or waiting, the "
                    "most this server takes from one computer. So that everyone gets a turn, "
                    "wait until one ends (or stop it), then start again.", n=len(mine)))
            old = self._entries.get(ticket)
            self._entries[ticket] = _Entry(client, cancelled,
                                           old.waiting_since if old else None,
                                           old.training if old else False)

    def leave(self, ticket: int) -> None:
        """Take a task out of the books (its thread ended); a slot it held is freed."""
        with self._cond:
            self._entries.pop(ticket, None)
            self._cond.notify_all()

    def acquire(self, ticket: int, cancelled: threading.Event) -> bool:
        """Wait for this task's turn and a free slot; False if ``cancelled`` was set while
        waiting. A task that did not :meth:`enter` is entered now, as a client of its own."""
        with self._cond:
            entry = self._entries.get(ticket)
            if entry is None:
                entry = self._entries[ticket] = _Entry(f"task-{ticket}", cancelled)
            entry.waiting_since = next(self._arrivals)
            try:
                while self._next() != ticket:
                    if cancelled.is_set():
                        return False
                    self._cond.wait(timeout=0.2)
                entry.training = True
                self._served[entry.client] = next(self._turns)
                self._forget_old_clients()
                return True
            finally:
                entry.waiting_since = None
                self._cond.notify_all()

    def release(self, ticket: int) -> None:
        with self._cond:
            entry = self._entries.get(ticket)
            if entry is not None:
                entry.training = False
            self._cond.notify_all()

    # ------------------------------------------------------------------ the order

    def _order(self) -> list[int]:
        """The waiting tickets in the order they will be served (client's last turn, then
        arrival)."""
        waiting = [(self._served.get(e.client, 0), e.waiting_since, t)
                   for t, e in self._entries.items() if e.waiting_since is not None]
        return [t for *_, t in sorted(waiting)]

    def _training_by_client(self) -> Counter:
        return Counter(e.client for e in self._entries.values() if e.training)

    def _next(self) -> int | None:
        """The ticket that gets the next free slot (None: no slot free, or nobody may)."""
        training = self._training_by_client()
        if sum(training.values()) >= self.capacity:
            return None
        for ticket in self._order():
            if training[self._entries[ticket].client] < self.per_client:
                return ticket
        return None

    def _forget_old_clients(self) -> None:
        """Keep the round-robin's memory bounded: drop the longest-unserved clients that
        have nothing in the books (they would come first anyway)."""
        if len(self._served) <= MAX_REMEMBERED_CLIENTS:
            return
        present = {e.client for e in self._entries.values()}
        for client, _ in sorted(self._served.items(), key=lambda kv: kv[1]):
            if len(self._served) <= MAX_REMEMBERED_CLIENTS // 2:
                break
            if client not in present:
                del self._served[client]

    # ------------------------------------------------------------------ for a UI

    def ahead_of(self, ticket: int) -> int | None:
        """How many tasks wait before this one (None if it is not waiting)."""
        with self._cond:
            order = self._order()
            return order.index(ticket) if ticket in order else None

    def behind_own_run(self, ticket: int) -> bool:
        """Waiting only because its own client already trains as many tasks as it may."""
        with self._cond:
            entry = self._entries.get(ticket)
            if entry is None or entry.waiting_since is None:
                return False
            return self._training_by_client()[entry.client] >= self.per_client

    @property
    def crowded(self) -> bool:
        """More than one task training, or any waiting."""
        with self._cond:
            return self.busy > 1 or any(e.waiting_since is not None
                                        for e in self._entries.values())

    @property
    def busy(self) -> int:
        """How many slots are taken."""
        return sum(e.training for e in list(self._entries.values()))


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
