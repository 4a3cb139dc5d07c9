"""Everything that can go wrong in a class, as one family of exceptions.

Every error the store raises on purpose is a :class:`ClassroomError`; its message is written
for the person at the keyboard (a student or the teacher), so a page can show ``str(error)``
as it is. The subclasses let a page react differently (offer to rejoin, show a countdown,
hide the classroom panel while the database is down) without parsing messages.
"""

from __future__ import annotations


class ClassroomError(Exception):
    """Base of every classroom error; ``str(error)`` is a message for a student or teacher."""


class ClassNotFound(ClassroomError):
    """No class (still running) has this join code: mistyped, deleted or expired."""


class ClassClosed(ClassroomError):
    """The teacher closed the class: it takes no new students, runs or drawings."""


class NotInClass(ClassroomError):
    """This student is no longer in the class (the teacher removed them): join again."""


class RunNotFound(ClassroomError):
    """No run with this id was shared in this class."""


class WrongTeacherKey(ClassroomError):
    """The teacher key does not match this class's key."""


class TooManyAttempts(ClassroomError):
    """Too many wrong teacher keys lately: attempts are refused for ``retry_after`` seconds."""

    def __init__(self, message: str, retry_after: float) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class InvalidInput(ClassroomError, ValueError):
    """A nickname, run, drawing or challenge that breaks a rule (the message says which)."""


class LimitReached(ClassroomError):
    """A bound of the class is reached: it is full, or a student's quota is used up."""


class Conflict(ClassroomError):
    """Two requests changed the same thing at the same moment; trying again will work."""


class ClassroomUnavailable(ClassroomError):
    """The class database cannot be reached, read or written (down, read-only, full disk).

    The rest of the dashboard keeps working; only the classroom pages should say so.
    """


class ClassDeleted(ClassNotFound):
    """The teacher deleted the class (a page takes its students out)."""


class Blocked(NotInClass):
    """The teacher removed this student and blocked the nickname: it cannot rejoin."""


class NicknameTaken(ClassroomError):
    """Another browser holds this nickname (see ClassroomStore.join's ``claim``)."""
