"""Classroom mode's storage: classes, students, a shared board of runs, a challenge and a class
set of drawings, in one database (issue 13). No Streamlit here: the pages build on this API.

Where the data lives
    One SQLite file by default, ``classroom-data/classes.sqlite3`` in the project (the folder
    is ``$CLASSROOM_DIR`` when set; git ignores the default one): nothing to install or start
    for a single server. ``CLASSROOM_DB_URL=postgresql+psycopg://user:pw@host/db`` makes
    several replicas share one PostgreSQL. See :mod:`core.classroom.schema`.

How a page uses it (one store per process, e.g. in ``st.cache_resource``; thread-safe)::

    store = ClassroomStore()                      # touches nothing until the first call
    new = store.create_class()                    # teacher: new.code "K7QMXD", new.teacher_key
    me = store.join("k7q-mxd", "はなこ")           # student (keep `me` in the session)
    store.set_training(me, True)                  # while training (again every ~30 s)
    store.share_run(me, SharedRun(run_id=uuid.uuid4().hex, dataset="mnist",
                                  preprocessing="none", learning_rate=0.1, l2=1e-4,
                                  batch_size=100, epochs=20, seed=34, epochs_done=20,
                                  test_acc=0.92, curves={"valid_acc": [...]}))
    store.board(me.code), store.runs(me.code), store.run_curves(me.code, run_id)
    store.add_drawing(me, image28_uint8, shrink_drawing(grey), label=7)
    store.drawings(me.code).images                # (n, 784) uint8, ready for model.predict

Every failure is a :class:`ClassroomError` whose message can be shown as it is (never a host,
port or path: those go to the server's log); a page that catches
:class:`ClassroomUnavailable` keeps the rest of the dashboard working while the database is
down, hung or read-only. After a failed write the store pauses writes (reads go on), after
a failed read everything, for ``Limits.retry_seconds`` (see :mod:`core.classroom.faults`).

The API (all on ``ClassroomStore``; ``code`` is a join code in any case, ``key`` the teacher key)
    ``ClassroomStore(url=None, *, limits=None, clock=time.time)``
    ``start() -> None``: open, create/upgrade the schema, delete expired classes (automatic)
    ``dispose() -> None``: close pooled connections
    ``create_class() -> NewClass(code, teacher_key, expires_at)``
    ``problem() -> Msg | None``: what the teacher should know (opened read-only, file lost)
    ``class_info(code) -> ClassInfo(code, created_at, expires_at, closed, challenge,
    joins_closed)``
    ``join(code, nickname, client=None, claim=None) -> Student(code, nickname, class_id,
    student_id, sharing)`` (``client``: the page's opaque name for the browser or address;
    ``claim``: the browser's secret that holds the nickname, see Rules)
    ``touch(student, claim=None)``: the browser is still here (a write);
    ``check_student(student, claim=None)``: still in, from this browser? (a read);
    ``set_sharing(student, on)``
    ``students(code) -> list[StudentEntry(nickname, joined_at, runs, drawings, training_now)]``
    ``set_training(student, training: bool) -> None``
    ``share_run(student, run: SharedRun) -> bool`` (False: that run id was already shared)
    ``runs(code) -> list[RunEntry(nickname, shared_at, run)]`` (oldest first, no curves)
    ``run_curves(code, run_id) -> dict[str, list[float | None]]`` (with an "epoch" list)
    ``board(code) -> Board(runs, students, training_now, best, median_test_acc,
    meeting_challenge, closed, entries, challenge)`` (entries: as ``runs(code)``)
    ``add_drawing(student, image, raw, label, drawing_id=None) -> bool``
    ``drawings(code) -> ClassDrawings(images, raw, labels, nicknames, ids)``
    ``verify_teacher(code, key) -> ClassInfo`` (the teacher's log-in, throttled);
    ``start_teacher_session(code, key) -> token``, ``resume_teacher(code, token)``,
    ``end_teacher_session(token)``, ``key_guesses(code, key) -> int``,
    ``check_teacher(code, key_or_token) -> ClassInfo``; every action below takes the key or
    a session token (see core.classroom.teacher)
    ``set_challenge(code, key, Challenge | None) -> None``
    ``clear_board(code, key) -> int``; ``remove_student(code, key, nickname) -> None``;
    ``remove_students(code, key, nicknames) -> int``; ``set_joining(code, key, open_)``
    ``close_class(code, key) -> None``; ``delete_class(code, key) -> None``
    ``delete_run(code, key, run_id) -> bool``; ``delete_drawing(code, key, drawing_id)``;
    ``block_student / unblock_student / release_nickname(code, key, nickname)``;
    ``blocked(code, key) -> list[str]``
    ``export_csv(code, key) -> ClassExport(runs_csv, drawings_csv)``
    ``cleanup_expired(now=None) -> int``
  and ``Challenge(preset, text, goal, constraints=())`` with ``Condition(field, op, value)``:
  ``challenge.is_met(run) -> bool``, ``challenge.describe() -> str``;
  ``shrink_drawing(grey) -> (56, 56) uint8``.

Rules
    - Join codes: 6 characters without look-alikes, case, spaces and dashes ignored.
      Teacher keys: 16 characters, stored as a salted scrypt hash, compared in constant time.
    - Nicknames: 1-24 characters after stripping (and at most 96 once normalised), any
      script, stored as typed (the page escapes them); control and invisible characters
      refused, and a name must show something. Nicknames that look the same (case, width,
      Unicode's confusable skeleton: "Аna" with a Cyrillic А is "Ana") are the same
      student: a reload rejoins.
    - Floods: one client holds at most 3 nicknames in a class and adds at most 5 new ones a
      minute on a server; the teacher can stop new joins and remove many students at once.
    - Limits (:class:`Limits`): 60 students a class, 50 runs and 100 drawings a student,
      curves thinned to 500 epochs, classes deleted 14 days after they open
      (``CLASSROOM_DAYS`` sets another number of days).
    - Wrong teacher keys: after 3 within 5 minutes, the teacher's log-in is refused until
      30 s after the last one (recorded in the database: holds across replicas; the server
      never sleeps). An action with the right key or a live session token always works.
    - Nicknames: "the teacher", "teacher", 先生 (and look-alikes) are kept for the teacher;
      a nickname is held by the browser that took it (``claim``) until the teacher releases
      it or that browser is unseen for 10 minutes; the teacher can block a nickname.
    - Closing a class: it takes no new students, runs, drawings or heartbeats, but stays
      readable (students can rejoin to look, the teacher can export) until it expires or the
      teacher deletes it.
    - Sharing is idempotent: the page picks the run id (a uuid) and a retry stores nothing.
"""

from core.classroom.challenge import Challenge, Condition
from core.classroom.drawings import ClassDrawings, shrink_drawing
from core.classroom.errors import (
    Blocked,
    ClassClosed,
    ClassDeleted,
    ClassNotFound,
    ClassroomError,
    ClassroomUnavailable,
    Conflict,
    InvalidInput,
    LimitReached,
    NicknameTaken,
    NotInClass,
    RunNotFound,
    TooManyAttempts,
    WrongTeacherKey,
)
from core.classroom.limits import Limits
from core.classroom.shared import RunEntry, SharedRun
from core.classroom.store import (
    Board,
    ClassExport,
    ClassInfo,
    ClassroomStore,
    NewClass,
    Student,
    StudentEntry,
)

__all__ = [
    "Blocked", "Board", "Challenge", "ClassClosed", "ClassDeleted", "ClassDrawings",
    "ClassExport", "ClassInfo", "ClassNotFound", "ClassroomError", "ClassroomStore",
    "ClassroomUnavailable", "Condition", "Conflict", "InvalidInput", "LimitReached", "Limits",
    "NewClass", "NicknameTaken", "NotInClass", "RunEntry", "RunNotFound", "SharedRun",
    "Student", "StudentEntry", "TooManyAttempts", "WrongTeacherKey", "shrink_drawing",
]
