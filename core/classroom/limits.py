"""The bounds of a class, in one frozen object the store is given (tests pass smaller ones).

Every bound is checked by the store when something is added, and reached bounds raise
:class:`~core.classroom.errors.LimitReached` (or InvalidInput for a single item too large)
with a message that names the number.
"""

from __future__ import annotations

from dataclasses import dataclass


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
