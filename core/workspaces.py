"""Workspaces: what a student has done in one browser, kept on the server across reloads.

Streamlit gives every websocket connection a fresh session: a reload (F5), a tab closed and
opened again or a dropped Wi-Fi connection starts from nothing. A *workspace* is the part
of a session that belongs to the browser instead: its runs, pins, chosen model, uploads,
language, class and share choice. The browser carries only a random key (a cookie, see
:mod:`ui.workspace`); the workspace itself stays here, in this process's memory.

The key is a secret: 24 random bytes (192 bits) from :mod:`secrets`, so nobody can guess
another student's. It is never part of a link: a link shares settings, not a workspace.

:class:`Workspaces` is the process's bounded collection of them:

- ``idle_seconds`` (default :data:`IDLE_SECONDS`, 2 hours): a workspace nobody has come
  back to for that long is dropped, and its runs stopped;
- ``capacity`` (default :data:`CAPACITY`): at most that many are kept; when one more
  arrives, the one idle longest goes first, but an empty one (``holds(workspace)`` is
  False: nothing trained, joined or uploaded in it) before any that holds work, so that
  a flood of new tabs without cookies (a script, not a browser) cannot push students'
  runs out.

What is kept in a workspace is the caller's (any object); :meth:`Workspaces.dropped` hands
the dropped ones back so that their owner can stop what they still run.
"""

from __future__ import annotations

import re
import secrets
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from typing import Any

IDLE_SECONDS = 2 * 3600  # a workspace nobody came back to for this long is dropped
CAPACITY = 400  # workspaces kept at most per server process (10 classes of 40)
KEY_BYTES = 24
_KEY = re.compile(r"[A-Za-z0-9_-]{32}")  # token_urlsafe(24): 32 characters


def new_key() -> str:
    """A fresh workspace key: 32 URL-safe characters, 192 random bits."""
    return secrets.token_urlsafe(KEY_BYTES)


def valid_key(value: object) -> bool:
    """Is ``value`` shaped like a key :func:`new_key` makes? (A cookie is typed by anyone:
    anything else is ignored, never looked up.)"""
    return isinstance(value, str) and _KEY.fullmatch(value) is not None


class Workspaces:
    """Key -> workspace, bounded in number and in idle time. Thread-safe.

    ``clock`` (seconds, monotonic) is for tests. :meth:`get` makes a workspace with
    ``make()`` for a key it does not hold and marks it used now; :meth:`dropped` returns
    (and forgets) the workspaces dropped since it was last called, for their runs to be
    stopped.
    """

    def __init__(self, capacity: int = CAPACITY, idle_seconds: float = IDLE_SECONDS,
                 clock: Callable[[], float] = time.monotonic,
                 holds: Callable[[Any], bool] = lambda workspace: True):
        if capacity < 1 or idle_seconds <= 0:
            raise ValueError("capacity must be at least 1 and idle_seconds above 0")
        self.capacity, self.idle_seconds, self._clock = capacity, idle_seconds, clock
        self._holds = holds
        self._used: OrderedDict[str, tuple[Any, float]] = OrderedDict()  # oldest use first
        self._dropped: list[Any] = []
        self._lock = threading.Lock()

    def get(self, key: str, make: Callable[[], Any]) -> tuple[Any, bool]:
        """The workspace of ``key`` and whether it was there already (False: just made).
        ValueError for a key :func:`valid_key` refuses."""
        if not valid_key(key):
            raise ValueError("not a workspace key")
        now = self._clock()
        with self._lock:
            self._expire(now)
            found = key in self._used
            workspace = self._used.pop(key)[0] if found else make()
            self._used[key] = (workspace, now)
            while len(self._used) > self.capacity:
                self._dropped.append(self._used.pop(self._first_to_go())[0])
            return workspace, found

    def touch(self, key: str) -> None:
        """Mark ``key``'s workspace used now (a page of it is open)."""
        with self._lock:
            if key in self._used:
                self._used[key] = (self._used.pop(key)[0], self._clock())

    def dropped(self) -> list[Any]:
        """The workspaces dropped (idle too long, or pushed out) since the last call."""
        with self._lock:
            self._expire(self._clock())
            out, self._dropped = self._dropped, []
            return out

    def __len__(self) -> int:
        with self._lock:
            return len(self._used)

    def __contains__(self, key: str) -> bool:
        with self._lock:
            return key in self._used

    def _first_to_go(self) -> str:
        """The key to drop for room: the longest idle empty workspace, else the longest
        idle one."""
        for key, (workspace, _) in self._used.items():
            if not self._holds(workspace):
                return key
        return next(iter(self._used))

    def _expire(self, now: float) -> None:
        while self._used:
            key, (workspace, used) = next(iter(self._used.items()))
            if now - used < self.idle_seconds:
                return
            del self._used[key]
            self._dropped.append(workspace)
