"""Classroom mode's base for the pages: the server's class store, this session's place in
a class (:class:`Membership`), and what a class error looks like on a page. ui.classroom
builds joining, leaving and sharing on it (and re-exports these names)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import streamlit as st

from core.class_board import markdown_literal
from core.classroom import (
    ClassClosed,
    ClassroomError,
    ClassroomStore,
    ClassroomUnavailable,
    LimitReached,
)
from core.classroom.follower import Sharing, error_message
from core.classroom.schema import default_url
from core.i18n import Msg
from ui.i18n import tr
from ui.state import session

UNAVAILABLE = Msg("The class database is not available right now, so the class features are "
                  "paused; everything else on the dashboard works. ({reason})")


@st.cache_resource(show_spinner=False)
def _store(url: str) -> ClassroomStore:
    return ClassroomStore(url)


def store() -> ClassroomStore:
    """The server's class store for the configured database (created on first use). After
    a failure the store itself answers "unavailable" for a while without asking the
    database: writes only after a failed write (core.classroom.faults)."""
    return _store(default_url())


@dataclass
class Membership(Sharing):
    """This session's class. ``student`` when joined as a student, ``teacher_key`` when the
    teacher logged in (``new_key``: the key of a class just opened, shown until dismissed).
    What a student shares (``share``, ``shared``, ``skipped``, ``error``: followers update
    them) is its :class:`core.classroom.follower.Sharing` part."""

    code: str
    teacher_key: str | None = None  # the key, or a teacher-session token (both work)
    new_key: str | None = None
    notice: Msg | str | None = None  # what the teacher's last action did ...
    notice_until: float = 0.0  # ... shown by every run until then (time.monotonic())
    session_token: str | None = None  # the teacher session kept in a cookie (class_session)
    touched_at: float = 0.0  # when the store last heard this student's browser is here

    @property
    def viewer(self) -> bool:
        """Looking at the board of a closed class: neither a student nor the teacher."""
        return self.student is None and self.teacher_key is None


def membership() -> Membership | None:
    """This session's class, or None."""
    return session().classroom


def nickname_markdown(nickname: str) -> str:
    """A nickname for st.markdown, shown literally (never read as markdown)."""
    return f"**{markdown_literal(nickname)}**"


# ------------------------------------------------------------------ errors on the page


def say(exc: ClassroomError, where=st) -> None:
    """Show a class error: unavailable database and refusals as errors, a closed or full
    class as a warning. The messages are written for the reader (core.classroom.errors), in
    plain text that may quote a nickname: shown literally, never as markdown."""
    message = markdown_literal(tr(error_message(exc)))
    if isinstance(exc, ClassroomUnavailable):
        where.error(tr(UNAVAILABLE, reason=message), icon=":material/cloud_off:")
    elif isinstance(exc, (ClassClosed, LimitReached)):
        where.warning(message)
    else:
        where.error(message)


@contextmanager
def reporting(where=st) -> Iterator[None]:
    """``with reporting(): ...``: a ClassroomError inside is shown (see :func:`say`), and the
    rest of the page goes on."""
    try:
        yield
    except ClassroomError as exc:
        say(exc, where)
