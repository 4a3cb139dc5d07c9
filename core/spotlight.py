"""The projector's spotlight: one run or one drawing the teacher puts on the big screen.

The teacher picks it on the Class page (their own session); the projector view, another
session (often another browser), shows it at its next refresh. The choice travels through
this process: :data:`SPOTLIGHTS`, a small thread-safe map from a class's join code to its
:class:`Spotlight`, bounded (the oldest classes' spotlights are forgotten beyond
:data:`CLASSES_KEPT`). Nothing is written to the class database (its schema is unchanged).

**Limit with several replicas** (deploy/README.md): each replica has its own map, so the
projector shows the spotlight only when it is served by the same replica as the teacher's
page; nginx's sticky sessions pin a browser, not a class, so a projector on another
computer may land elsewhere and show no spotlight (the board itself is the same on every
replica). A spotlight is also lost when the server restarts: the teacher picks it again.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from dataclasses import dataclass

KINDS = ("run", "drawing")
CLASSES_KEPT = 1_000  # spotlights remembered at once (one per class)
MAX_ID = 64  # run ids and drawing ids are at most 64 characters (core.classroom)


@dataclass(frozen=True)
class Spotlight:
    """``kind`` "run" or "drawing", ``item_id`` its run id or drawing id, ``set_at`` (Unix s)."""

    kind: str
    item_id: str
    set_at: float


class Spotlights:
    """Join code -> Spotlight, at most ``kept`` classes (least recently set forgotten)."""

    def __init__(self, kept: int = CLASSES_KEPT, clock=time.time) -> None:
        self.kept = kept
        self._clock = clock
        self._items: OrderedDict[str, Spotlight] = OrderedDict()
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self._items)

    def set(self, code: str, kind: str, item_id: str) -> Spotlight:
        """Spotlight ``item_id`` (a run's or a drawing's id) for the class ``code``."""
        if kind not in KINDS:
            raise ValueError(f"kind must be one of {', '.join(KINDS)}, got {kind!r}")
        if not isinstance(item_id, str) or not 0 < len(item_id) <= MAX_ID:
            raise ValueError(f"an id has 1-{MAX_ID} characters")
        spot = Spotlight(kind, item_id, float(self._clock()))
        with self._lock:
            self._items[code] = spot
            self._items.move_to_end(code)
            while len(self._items) > self.kept:
                self._items.popitem(last=False)
        return spot

    def get(self, code: str) -> Spotlight | None:
        with self._lock:
            return self._items.get(code)

    def clear(self, code: str) -> None:
        with self._lock:
            self._items.pop(code, None)


SPOTLIGHTS = Spotlights()  # the process's
