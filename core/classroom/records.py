"""The values the class store hands to pages: plain frozen dataclasses, no database here.

``Student`` is what a page keeps in its session after a join; the others are answers to
reads (a class's public info, the teacher's roster, the board, the CSV export)."""

from __future__ import annotations

from dataclasses import dataclass

from core.classroom.challenge import Challenge, challenge_from_json
from core.classroom.shared import RunEntry


@dataclass(frozen=True)
class NewClass:
    """A class just opened. Show ``teacher_key`` to the teacher once: only its hash is kept."""

    code: str
    teacher_key: str
    expires_at: float


@dataclass(frozen=True)
class Student:
    """A student in a class, as a page keeps it in its session (a rejoin gives the same)."""

    code: str
    nickname: str
    class_id: int
    student_id: int
    sharing: bool = True  # the student's own choice, kept across reloads (set_sharing)


@dataclass(frozen=True)
class ClassInfo:
    """What anyone with the code may know about a class. Times are Unix seconds."""

    code: str
    created_at: float
    expires_at: float
    closed: bool
    challenge: Challenge | None
    joins_closed: bool = False  # the teacher stopped new students (rejoins still work)


@dataclass(frozen=True)
class StudentEntry:
    """A student as the teacher's list shows them: how much they shared, training now?"""

    nickname: str
    joined_at: float
    runs: int
    drawings: int
    training_now: bool


@dataclass(frozen=True)
class Board:
    """The class's board at a glance. ``best`` is the run with the highest test accuracy
    (the earliest among equals); the median is over runs that have a test accuracy;
    ``meeting_challenge`` counts runs that meet the challenge (0 without one). ``entries``
    are the runs themselves (as ``ClassroomStore.runs`` gives them) and ``challenge``
    the class's, read in the same transaction: the board page needs nothing else."""

    runs: int
    students: int
    training_now: int
    best: RunEntry | None
    median_test_acc: float | None
    meeting_challenge: int
    closed: bool
    entries: list[RunEntry]
    challenge: Challenge | None


@dataclass(frozen=True)
class ClassExport:
    """A class's data as CSV text: one row per run, and one per drawing (no pixels)."""

    runs_csv: str
    drawings_csv: str


def class_challenge(row) -> Challenge | None:
    """The challenge stored in a class's row, or None."""
    return challenge_from_json(row.challenge) if row.challenge else None


def class_info(row) -> ClassInfo:
    """ClassInfo from a class's row."""
    return ClassInfo(row.code, row.created_at, row.expires_at, row.closed_at is not None,
                     class_challenge(row), bool(row.joins_closed))
