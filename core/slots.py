"""The training slots: a queue, fair between clients, in front of a few cores.

A shared machine has few cores, and a run trains fastest alone on one, so at most
``capacity`` tasks train at once (:class:`RunSlots`); the others wait and go on by
themselves. The queue is fair between *clients* (the browser's computer, see
core.clients): each has a bounded number of tasks in it, and the clients take turns, so a
student who opens a hundred tabs cannot hold the others up. :class:`Refused` says why a
task was not taken, in words for the student. The tasks themselves are in core.tasks.
"""

from __future__ import annotations

import itertools
import os
import threading
from collections import Counter
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
