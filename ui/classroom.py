"""Classroom mode's glue (issue 13): joining and leaving a class, and the runs a student
shares (the store, Membership and error display are in ui.class_base, re-exported here).

- :func:`store`: one :class:`core.classroom.ClassroomStore` per server process and database
  URL (``CLASSROOM_DB_URL``, else the SQLite file in ``CLASSROOM_DIR``; see
  core.classroom.schema).
- :class:`Membership` (``session().classroom``): the class this session is in, as a student
  (code + nickname, also in the address: ``?class=CODE&nick=...``, so a reload rejoins;
  the nickname is tied to this browser's secret cookie, see ui.class_session), as its
  teacher (a teacher-session token in a cookie, never in the address), or as a viewer of
  a closed class's board.
- :func:`reporting`: a ClassroomError becomes a message on the page; a database that is down
  or read-only pauses the class features only.
- :func:`sync` (app.py, every full run): rejoin from the address, keep the address, and
  follow this session's runs (core.classroom.follower: a thread per run beats "training
  now" while it trains and shares it when it ends; it never calls st.*).
- :func:`train_banner` (Train page) and :func:`draw_share` (Draw page).
"""

from __future__ import annotations

import time

import numpy as np
import streamlit as st

from core.class_board import markdown_literal
from core.classroom import (
    ClassClosed,
    ClassDeleted,
    ClassroomError,
    ClassroomUnavailable,
    NicknameTaken,
    NotInClass,
    shrink_drawing,
)
from core.classroom.follower import needs_follower, start_follower
from ui import class_session
from ui.class_base import (  # noqa: F401 - re-exported: pages and tests use ui.classroom
    UNAVAILABLE,
    Membership,
    _store,
    membership,
    nickname_markdown,
    reporting,
    say,
    store,
)
from ui.i18n import tr
from ui.runs import client_id, current_job, run_name, session_runs
from ui.state import session
from ui.widgets import image_key

CLASS_QUERY, NICK_QUERY = "class", "nick"  # ?class=K7QMXD&nick=...
RETRY_SECONDS = 30.0  # a rejoin from the address that failed is tried again after this
TOUCH_SECONDS = 60.0  # a student's page tells the store the browser is here this often
LINK_ERROR = "class_link_error"  # session state: why the link's join failed (shown in the body)
GONE = "class_gone"  # session state: why this session was taken out of its class
BANNER_SECONDS = 3.0  # the Train page's class banner asks for the challenge this often


# ------------------------------------------------------------------ joining and leaving


def open_class() -> Membership:
    """Open a new class; this session becomes its teacher (the key is shown once) and the
    browser keeps a teacher session (a reload stays logged in)."""
    new = store().create_class()
    return _as_teacher(new.code, new.teacher_key, new_key=new.teacher_key)


def teacher_login(code: str, key: str) -> Membership:
    """Log in as the teacher of an existing class (WrongTeacherKey, TooManyAttempts...)."""
    return _as_teacher(code, key.strip())


def _as_teacher(code: str, key: str, new_key: str | None = None) -> Membership:
    """This session as the teacher: a teacher session kept in a cookie (class_session); a
    database that cannot be written still lets the teacher in, for this session only."""
    try:
        token = store().start_teacher_session(code, key)
    except ClassroomUnavailable:
        token = None
    info = store().resume_teacher(code, token) if token else store().verify_teacher(code, key)
    member = session().classroom = Membership(info.code, teacher_key=key, new_key=new_key,
                                              session_token=token)
    if token:
        class_session.keep_teacher(info.code, token)
    _keep_in_address(member)
    return member


def resume_teacher() -> None:
    """A reload of the teacher's browser: back in the class with the kept session (quietly
    nothing when there is none, or it ended)."""
    kept = class_session.teacher_cookie()
    if kept is None or session().classroom is not None or st.query_params.get(NICK_QUERY):
        return
    code, token = kept
    try:
        info = store().resume_teacher(code, token)
    except ClassroomError:
        return
    session().classroom = Membership(info.code, teacher_key=token, session_token=token)


def log_out() -> None:
    """The teacher logs out: the session ends, the browser forgets it."""
    member = membership()
    if member is not None and member.session_token:
        with reporting():
            store().end_teacher_session(member.session_token)
    class_session.forget_teacher()
    leave()


def join(code: str, nickname: str) -> Membership:
    """Join a class as a student (or rejoin: the same nickname, from the same browser, is
    the same student). A newcomer to a closed class becomes a viewer of its board (told
    so once, see :func:`gone_notice`)."""
    try:
        student = store().join(code, nickname, client=client_id(),
                               claim=class_session.browser_claim())
    except ClassClosed as exc:
        member = session().classroom = Membership(store().class_info(code).code)
        st.session_state[GONE] = exc
        _keep_in_address(member)
        return member
    member = session().classroom = Membership(student.code, student=student)
    member.share = student.sharing
    _keep_in_address(member)
    return member


def leave() -> None:
    """Leave the class (what was shared stays on the board)."""
    session().classroom = None
    for name in (CLASS_QUERY, NICK_QUERY):
        st.query_params.pop(name, None)


def taken_out(exc: ClassroomError) -> None:
    """The class is gone or the student was removed: out of it, and say why once."""
    st.session_state[GONE] = exc
    leave()


def gone_notice(where=st) -> None:
    """Why this session was taken out of its class (shown once), and a link's join error."""
    for name in (GONE, LINK_ERROR):
        exc = st.session_state.pop(name, None)
        if exc is not None:
            say(exc, where)


def watch() -> None:
    """On the Class page, every few seconds (at the start of each refresh of the board's
    fragment): a class its teacher deleted, or a student the teacher removed, takes this
    session out of the class at once."""
    member = membership()
    if member is None:
        return
    try:
        store().class_info(member.code)
    except ClassDeleted as exc:
        taken_out(exc)
    except ClassroomError:
        return  # unavailable: the board says so
    touch(member)
    if membership() is None:
        st.rerun()


def touch(member: Membership) -> None:
    """Check that this student is still in the class from this browser (a read, every
    call), and tell the store the browser is here (a write, at most every TOUCH_SECONDS).
    A student the teacher removed, a nickname taken over, a class deleted: out, told why."""
    if member.student is None:
        return
    claim = class_session.browser_claim()
    try:
        if time.monotonic() >= member.touched_at + TOUCH_SECONDS:
            store().touch(member.student, claim)
            member.touched_at = time.monotonic()
        else:
            store().check_student(member.student, claim)
    except (ClassDeleted, NotInClass, NicknameTaken) as exc:
        taken_out(exc)
    except ClassroomError:
        return  # unavailable, or the class closed meanwhile: the page says so elsewhere


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
        return {CLASS_QUERY: member.code}  # the teacher, or a viewer
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
        st.session_state[LINK_ERROR] = exc  # the Class page's body says it too
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
    """Every full run of every page (app.py): resume a teacher's kept session, rejoin
    from the address, keep the address, tell the store the student is here, follow this
    session's runs, and name the class in the sidebar."""
    resume_teacher()
    _rejoin_from_address()
    member = membership()
    if member is None:
        return
    touch(member)
    member = membership()
    if member is None:
        return
    _keep_in_address(member)
    with reporting(st.sidebar):  # the database down: the page goes on, the runs wait
        follow_runs()
    with st.sidebar:
        st.caption(tr("Class **{code}**, as {who}", code=member.code, who=who_markdown(member)))


def who_markdown(member: Membership) -> str:
    """Who this session is in its class, as markdown: a student's nickname (literal), the
    teacher with a badge no nickname can look like, or a viewer."""
    if member.student is not None:
        return nickname_markdown(member.student.nickname)
    if member.teacher_key:
        return ":orange-badge[:material/school: " + tr("the teacher") + "]"
    return tr("a viewer (the class is closed)")


# ------------------------------------------------------------------ Train and Draw pages


def _challenge_text(info) -> str | None:
    """The class's challenge in words (markdown, the teacher's text escaped), or None."""
    ch = info.challenge
    if ch is None:
        return None
    text = tr("**Class challenge: {target}**", target=markdown_literal(tr(ch.describe())))
    if ch.text.strip():
        text += f"  \n{markdown_literal(ch.text)}"
    return text


def _sharing_changed() -> None:
    """The student flipped "share my runs": remember it in the class (lasts a reload)."""
    member = membership()
    if member is None or member.student is None:
        return
    member.share = bool(st.session_state.get("class_share"))
    with reporting():
        store().set_sharing(member.student, member.share)


def share_toggle(closed: bool = False) -> None:
    """The student's "share my runs" switch, and which runs were shared (in a closed
    class: that nothing is shared any more)."""
    member = membership()
    if closed:
        st.info(tr("Class {code} is closed: your runs are no longer shared.", code=member.code))
        return
    member.share = st.toggle(tr("Share my finished runs with the class"), value=member.share,
                             key="class_share", on_change=_sharing_changed,
                             help=tr("Every run that finishes or is stopped goes on the "
                                     "class board: settings, final accuracies and curves."))
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
    """On the Train page of a student in a class: the challenge and the sharing switch, a
    fragment that asks for the class's info every BANNER_SECONDS (one small read), so a new
    challenge, a closed or deleted class reach an open page within seconds."""
    member = membership()
    if member is None or member.student is None:
        return
    st.fragment(_banner, run_every=BANNER_SECONDS)()


def _banner() -> None:
    member = membership()
    if member is None or member.student is None:
        return
    with st.container(border=True), reporting():
        try:
            info = store().class_info(member.code)
        except ClassDeleted as exc:
            taken_out(exc)
            st.rerun()
        text = _challenge_text(info)
        if text:
            st.markdown(text)
        share_toggle(closed=info.closed)
        touch(member)
    if membership() is None:  # the teacher removed the student: the page says why
        st.rerun()


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
