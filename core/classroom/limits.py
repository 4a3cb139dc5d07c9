"""The bounds of a class, in one frozen object the store is given (tests pass smaller ones).

Every bound is checked by the store when something is added, and reached bounds raise
:class:`~core.classroom.errors.LimitReached` (or InvalidInput for a single item too large)
with a message that names the number.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, replace

DAYS_VARIABLE = "CLASSROOM_DAYS"  # the environment variable that sets Limits.class_days
# ... and the one that sets Limits.nicknames_per_client: a class whose students all reach
# the server from one address (a school NAT in front of a server on the internet) needs
# the class size here, e.g. 60.
CLIENT_VARIABLE = "CLASSROOM_NICKNAMES_PER_CLIENT"


@dataclass(frozen=True)
class Limits:
    """How much one class holds, how long it lives, and how the teacher key is guarded.

    - ``students``: nicknames per class (a rejoin does not count twice).
    - ``runs_per_student`` / ``drawings_per_student``: what one student may have on the
      board at once (clearing the board frees the quota).
    - ``nickname_chars``: the longest nickname, in characters after stripping spaces.
    - ``curve_points``: the most epochs kept per curve; a longer run is thinned evenly
      (its first and last epochs always kept) before it is stored.
    - ``curves_bytes``: the most bytes a run's curves may take as JSON, a last guard.
    - ``class_days``: a class and everything in it is deleted this many days after it opened.
    - ``training_seconds``: a "training now" heartbeat counts for this long.
    - ``key_failures`` wrong teacher keys within ``key_window`` seconds lock the class's
      teacher actions for ``key_lockout`` seconds after the last failure.
    - ``nicknames_per_client``: the most students one client (a browser or address, as the
      page names it) may hold in a class, so that one browser cannot fill it.
    - ``client_joins`` new nicknames per ``client_join_window`` seconds from one client on
      one server, at most (a rejoin is not new).
    - ``retry_seconds``: after a database failure, how long the store answers "unavailable"
      without asking the database again (writes only, after a failed write).
    """

    students: int = 60
    runs_per_student: int = 50
    drawings_per_student: int = 100
    nickname_chars: int = 24
    curve_points: int = 500
    curves_bytes: int = 64_000
    class_days: float = 14.0
    training_seconds: float = 60.0
    key_failures: int = 3
    key_window: float = 300.0
    key_lockout: float = 30.0
    nicknames_per_client: int = 3
    client_joins: int = 5
    client_join_window: float = 60.0
    retry_seconds: float = 15.0


def _number(name: str, kind: type, low: float, high: float) -> float | None:
    """The environment variable ``name`` as a ``kind`` in (low, high], None when unset;
    ValueError naming it otherwise."""
    raw = os.environ.get(name, "").strip()
    if not raw:
        return None
    try:
        value = kind(raw)
    except ValueError:
        value = low
    if not low < value <= high:
        raise ValueError(f"{name} must be a number above {low:g} (at most {high:g}), "
                         f"got {raw!r}")
    return value


def limits_from_environment() -> Limits:
    """The default Limits, with ``class_days`` from CLASSROOM_DAYS (a number of days > 0:
    how long a server keeps its classes) and ``nicknames_per_client`` from
    CLASSROOM_NICKNAMES_PER_CLIENT (1-1000; new nicknames a minute per client follow it)
    when they are set; ValueError for a value that is not such a number."""
    limits = Limits()
    days = _number(DAYS_VARIABLE, float, 0, 1e6)
    if days is not None:
        limits = replace(limits, class_days=days)
    per_client = _number(CLIENT_VARIABLE, int, 0, 1000)
    if per_client is not None:
        limits = replace(limits, nicknames_per_client=per_client,
                         client_joins=max(limits.client_joins, per_client))
    return limits
