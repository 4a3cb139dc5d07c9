"""Classroom mode's glue (issue 13): the server's class store, this session's place in a class,
what a class error looks like on a page, and the runs a student shares.

- :func:`store`: one :class:`core.classroom.ClassroomStore` per server process and database
  URL (``CLASSROOM_DB_URL``, else the SQLite file in ``CLASSROOM_DIR``; see
  core.classroom.schema).
- :class:`Membership` (``session().classroom``): the class this session is in, as a student
  (code + nickname, also in the address: ``?class=CODE&nick=...``, so a reload rejoins) or
  as its teacher (code + teacher key, never in the address).
- :func:`reporting`: a ClassroomError becomes a message on the page; a database that is down
  or read-only pauses the class features only.
- :func:`sync` (app.py, every full run): rejoin from the address, keep the address, and
  follow this session's runs (core.classroom.follower: a thread per run beats "training
  now" while it trains and shares it when it ends; it never calls st.*).
- :func:`train_banner` (Train page) and :func:`draw_share` (Draw page).
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import numpy as np
import streamlit as st

from core.class_board import markdown_literal
from core.classroom import (
    ClassClosed,
    ClassroomError,
    ClassroomStore,
    ClassroomUnavailable,
    LimitReached,
    shrink_drawing,
)
from core.classroom.follower import Sharing, error_message, needs_follower, start_follower
from core.classroom.schema import default_url
from core.i18n import Msg
from ui.i18n import tr
from ui.runs import client_id, current_job, run_name, session_runs
from ui.state import session
from ui.widgets import image_key

CLASS_QUERY, NICK_QUERY = "class", "nick"  # ?class=K7QMXD&nick=...
RETRY_SECONDS = 30.0  # a rejoin from the address that failed is tried again after this
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
    teacher_key: str | None = None
    new_key: str | None = None
    notice: str | None = None  # what the teacher's last action did, shown once


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


# ------------------------------------------------------------------ joining and leaving


def open_class() -> Membership:
    """Open a new class; this session becomes its teacher (the key is shown once)."""
    new = store().create_class()
    member = session().classroom = Membership(new.code, teacher_key=new.teacher_key,
                                              new_key=new.teacher_key)
    _keep_in_address(member)
    return member


def teacher_login(code: str, key: str) -> Membership:
    """Log in as the teacher of an existing class (WrongTeacherKey, TooManyAttempts...)."""
    info = store().verify_teacher(code, key.strip())
    member = session().classroom = Membership(info.code, teacher_key=key.strip())
    _keep_in_address(member)
    return member


def join(code: str, nickname: str) -> Membership:
    """Join a class as a student (or rejoin: the same nickname is the same student)."""
    student = store().join(code, nickname, client=client_id())
    member = session().classroom = Membership(student.code, student=student)
    _keep_in_address(member)
    return member


def leave() -> None:
    """Leave the class (what was shared stays on the board)."""
    session().classroom = None
    for name in (CLASS_QUERY, NICK_QUERY):
        st.query_params.pop(name, None)


def _keep_in_address(member: Membership) -> None:
    """?class=CODE&nick=... in the address bar, so a reload rejoins (a teacher's: ?class=CODE
    only, so a reload offers the log-in with the code filled in; never the key)."""
    for name, value in url_params().items():
        if st.query_params.get(name) != value:
            st.query_params[name] = value


def url_params() -> dict[str, str]:
    """The address's class parameters of this session (for a page that rewrites the
    address, e.g. the Train page's settings)."""
    member = membership()
    if member is None:
        return {}
    if member.student is None:
        return {CLASS_QUERY: member.code}
    return {CLASS_QUERY: member.code, NICK_QUERY: member.student.nickname}


def _rejoin_from_address() -> None:
    """A reload or a shared link with ?class=...&nick=...: join (at most every
    RETRY_SECONDS while the database is unavailable); an error is shown in the sidebar."""
    state = session()
    code, nick = st.query_params.get(CLASS_QUERY), st.query_params.get(NICK_QUERY)
    if state.classroom is not None or not code or not nick:
        return
    if time.monotonic() < state.classroom_retry_at:
        return
    try:
        join(code, nick)
    except ClassroomError as exc:
        state.classroom_retry_at = time.monotonic() + RETRY_SECONDS
        say(exc, st.sidebar)


# ------------------------------------------------------------------ following runs


def follow_runs() -> None:
    """Start a follower for each of this session's runs that needs one
    (core.classroom.follower)."""
    member = membership()
    if member is None or member.student is None:
        return
    jobs = session_runs()
    job = current_job()
    if job is not None and job not in jobs:
        jobs.append(job)  # still queued or in its first epoch
    for job in jobs:
        if needs_follower(member, job):
            start_follower(member, job, store(), run_name(job))


def sync() -> None:
    """Every full run of every page (app.py): rejoin from the address, keep the address,
    follow this session's runs, and name the class in the sidebar."""
    _rejoin_from_address()
    member = membership()
    if member is None:
        return
    _keep_in_address(member)
    with reporting(st.sidebar):  # the database down: the page goes on, the runs wait
        follow_runs()
    with st.sidebar:
        who = (nickname_markdown(member.student.nickname) if member.student
               else tr("the teacher"))
        st.caption(tr("Class **{code}**, as {who}", code=member.code, who=who))


# ------------------------------------------------------------------ Train and Draw pages


def _challenge_text() -> str | None:
    """The class's challenge in words (markdown, the teacher's text escaped), or None."""
    member = membership()
    info = store().class_info(member.code)
    ch = info.challenge
    if ch is None:
        return None
    text = tr("**Class challenge: {target}**", target=markdown_literal(tr(ch.describe())))
    if ch.text.strip():
        text += f"  \n{markdown_literal(ch.text)}"
    return text


def share_toggle() -> None:
    """The student's "share my runs" switch, and which runs were shared."""
    member = membership()
    member.share = st.toggle(tr("Share my finished runs with the class"), value=member.share,
                             key="class_share",
                             help=tr("Every run that finishes or is stopped goes on the class "
                                     "board: settings, final accuracies and curves."))
    if member.shared:
        shared = list(member.shared.values())  # a follower thread may add one meanwhile
        st.caption(tr("Shared with the class: {runs}.", runs=", ".join(tr(s) for s in shared)))
    elif member.share:
        st.caption(tr("Runs you finish or stop from now on are shared with the class."))
    else:
        st.caption(tr("Sharing is off: your runs stay yours."))
    if member.error:
        st.warning(tr("The last run could not be shared: {error}",
                      error=markdown_literal(tr(member.error))))


def train_banner() -> None:
    """On the Train page of a student in a class: the challenge and the sharing switch."""
    member = membership()
    if member is None or member.student is None:
        return
    with st.container(border=True), reporting():
        text = _challenge_text()
        if text:
            st.markdown(text)
        share_toggle()


def _draw_label(pred: int) -> int | None:
    """The true label the student confirms (their drawing's prediction is the default)."""
    return st.segmented_control(tr("The digit you meant"), list(range(10)), default=pred,
                                key=f"class_label-{session().canvas_generation}-{pred}")


def draw_share(grey: np.ndarray, centred: np.ndarray, pred: int) -> None:
    """On the Draw page of a student in a class: "Add to our class set" with the true label
    the student confirms. Stores the 28x28 image centred like MNIST (the plain model's
    input; a deskewing model deskews it when scored) and the drawing shrunk to 56x56."""
    member = membership()
    if member is None or member.student is None:
        return
    st.subheader(tr("Our class's handwriting"))
    label = _draw_label(pred)
    image = np.clip(np.rint(np.asarray(centred) * 255), 0, 255).astype(np.uint8)
    disabled = label is None
    if st.button(tr("Add to our class set"), icon=":material/group_add:", disabled=disabled,
                 help=tr("Pick the digit you meant first.") if disabled else None):
        with reporting():
            raw = shrink_drawing(grey)
            added = store().add_drawing(member.student, image, raw, int(label),
                                        drawing_id=image_key(raw))
            st.success(tr("Added to class {code}'s set as the digit {label}.", label=label,
                          code=member.code) if added
                       else tr("This drawing is already in the class set."))
    st.caption(tr("The label is the digit you meant, not the model's guess: check it before "
                  "adding. The class board scores the models on these drawings."))
