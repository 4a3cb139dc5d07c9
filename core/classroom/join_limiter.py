"""How fast one client may add new nicknames on this server: an in-process sliding window.

A client (the page's opaque string for a browser or address) may add ``most`` new nicknames
per ``window`` seconds; the limiter remembers at most CLIENTS_KEPT clients, forgetting the
one idle longest. Kept in memory, per process: it slows a flood, the database's per-class
quota (``Limits.nicknames_per_client``) bounds it."""

from __future__ import annotations

import math
import threading
import time
from collections import deque

from core.classroom.errors import TooManyAttempts
from core.i18n import Msg

CLIENTS_KEPT = 10_000  # the join limiter forgets the oldest clients beyond this


class JoinLimiter:
    """Thread-safe. ``count(client)`` records a new nickname or raises TooManyAttempts."""

    def __init__(self, most: int, window: float) -> None:
        self.most, self.window = most, window
        self._joins: dict[str, deque] = {}  # client -> monotonic times of its new nicknames
        self._lock = threading.Lock()

    def count(self, client: str) -> None:
        """Record a new nickname from ``client``, or TooManyAttempts when it added ``most``
        within ``window`` seconds."""
        now = time.monotonic()
        with self._lock:
            times = self._joins.pop(client, None) or deque()
            while times and times[0] <= now - self.window:
                times.popleft()
            if len(times) >= self.most:
                self._joins[client] = times
                wait = math.ceil(times[0] + self.window - now)
                raise TooManyAttempts(Msg("Too many new nicknames from this browser: wait "
                                          "{wait} seconds and try again.", wait=wait), wait)
            times.append(now)
            self._joins[client] = times  # the most recent client last
            while len(self._joins) > CLIENTS_KEPT:
                self._joins.pop(next(iter(self._joins)))
