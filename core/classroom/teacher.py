"""The teacher's side of ClassroomStore (a mixin it inherits): logging in, staying logged
in, and every action that needs the teacher's credential.

The rules (issue 21):

- **Log-in is throttled, a teacher's session is not.** :meth:`verify_teacher` (typing the
  key) is refused for ``Limits.key_lockout`` seconds after ``key_failures`` wrong keys
  within ``key_window`` seconds, recorded in the database (all replicas). An action with
  the right credential always works, whatever others guess meanwhile; a wrong key on an
  action counts as a failed attempt like a log-in. :meth:`key_guesses` tells the teacher
  how many wrong keys were tried lately.
- **A credential** is the teacher key or a teacher-session token from
  :meth:`start_teacher_session` (a random 192-bit token; only its SHA-256 is stored, with an
  expiry: ``TEACHER_SESSION_SECONDS`` or the class's end, whichever comes first). A page
  keeps the token in a cookie, so a reload stays logged in without the key in any link;
  :meth:`end_teacher_session` logs out.
- A closed class keeps its challenge and board: changing either is refused (ClassClosed).
"""

from __future__ import annotations

import hashlib
import math
import secrets
from collections.abc import Iterable, Iterator
from contextlib import contextmanager

from sqlalchemy import Connection

from core.classroom import export
from core.classroom import queries_classes as classes
from core.classroom import queries_drawings as drawings
from core.classroom import queries_moderation as moderation
from core.classroom import queries_runs as runs
from core.classroom import queries_students as students
from core.classroom import schema as db
from core.classroom.challenge import Challenge, check_challenge
from core.classroom.errors import InvalidInput, TooManyAttempts, WrongTeacherKey
from core.classroom.identity import key_matches, nickname_key, normalise_code
from core.classroom.lookup import refuse_closed
from core.classroom.records import ClassExport, ClassInfo, class_challenge, class_info
from core.i18n import Msg

TOKEN_PREFIX = "ts_"  # a teacher-session token, not a key (keys have 16 characters)
TEACHER_SESSION_SECONDS = 12 * 3600.0  # a teacher's browser stays logged in this long


def token_hash(token: str) -> str:
    """The SHA-256 of a session token, hex (a 192-bit random token needs no slow hash)."""
    return hashlib.sha256(str(token)[:200].encode()).hexdigest()


class TeacherActions:
    """The teacher's methods of ClassroomStore (``code``: a join code; ``key``: the teacher
    key or a session token)."""

    # ------------------------------------------------------------ logging in

    def verify_teacher(self, code: str, key: str) -> ClassInfo:
        """Check a teacher key (the teacher's log-in): the class's info, or WrongTeacherKey;
        TooManyAttempts after ``Limits.key_failures`` wrong keys within ``key_window``
        seconds, until ``key_lockout`` seconds after the last one. A right key clears them.
        A live session token (see :meth:`start_teacher_session`) is checked without either."""
        if str(key).startswith(TOKEN_PREFIX):
            return self._authenticate(code, key)
        now = self._now()
        with self._tx(write=False) as conn:
            cls = self._class(conn, code)
            failures, last = classes.key_failures(conn, cls.id, now - self.limits.key_window)
        if failures >= self.limits.key_failures and last + self.limits.key_lockout > now:
            raise self._too_many(cls.code, last, now)
        return self._check_key(cls, key_matches(str(key), cls.key_hash), failures, now)

    def _too_many(self, code: str, last: float, now: float) -> TooManyAttempts:
        wait = math.ceil(last + self.limits.key_lockout - now)
        return TooManyAttempts(Msg("Too many wrong teacher keys for class {code}: wait "
                                   "{wait} seconds and try again.", code=code, wait=wait), wait)

    def _check_key(self, cls, right: bool, failures: int, now: float) -> ClassInfo:
        """Record the attempt (a right key clears the failures); WrongTeacherKey if wrong."""
        if failures or not right:
            with self._tx(write=True) as conn:
                classes.record_key_attempt(conn, cls.id, right, now, self.limits.key_window)
        if not right:
            raise WrongTeacherKey(Msg("That is not the teacher key of class {code}.",
                                      code=cls.code))
        return class_info(cls)

    def check_teacher(self, code: str, credential: str) -> ClassInfo:
        """The check every teacher action makes (for callers outside the store that act for
        a logged-in teacher, e.g. an export): the right key or a live session token always
        passes; a wrong key counts as a failed attempt (TooManyAttempts while paused)."""
        return self._authenticate(code, credential)

    def _authenticate(self, code: str, credential: str) -> ClassInfo:
        """An action's credential: a live session token, or the key (never throttled when
        right; a wrong one counts, and is refused with TooManyAttempts while paused)."""
        now, credential = self._now(), str(credential)
        with self._tx(write=False) as conn:
            cls = self._class(conn, code)
            if credential.startswith(TOKEN_PREFIX):
                if classes.session_alive(conn, cls.id, token_hash(credential), now):
                    return class_info(cls)
                raise WrongTeacherKey(Msg("Your teacher session for class {code} has ended: "
                                          "log in again with the teacher key.", code=cls.code))
            failures, last = classes.key_failures(conn, cls.id, now - self.limits.key_window)
        if key_matches(credential, cls.key_hash):
            return class_info(cls)  # a right key never waits, and keeps the count shown
        if failures >= self.limits.key_failures \
                and last + self.limits.key_lockout > now:
            raise self._too_many(cls.code, last, now)
        return self._check_key(cls, False, failures, now)

    def start_teacher_session(self, code: str, key: str) -> str:
        """Log in with the key (throttled like :meth:`verify_teacher`): a new session token
        for the page to keep (e.g. in a cookie). It expires with the class at the latest."""
        info = self.verify_teacher(code, key)
        token = TOKEN_PREFIX + secrets.token_urlsafe(24)
        expires = min(info.expires_at, self._now() + TEACHER_SESSION_SECONDS)
        with self._tx(write=True) as conn:
            classes.insert_session(conn, self._class(conn, code).id, token_hash(token), expires)
        return token

    def resume_teacher(self, code: str, token: str) -> ClassInfo:
        """The class's info if ``token`` is a live teacher session of it (a reload), else
        WrongTeacherKey."""
        if not str(token).startswith(TOKEN_PREFIX):
            raise WrongTeacherKey(Msg("That is not a teacher session."))
        return self._authenticate(code, token)

    def end_teacher_session(self, token: str) -> None:
        """Log out: the token no longer works."""
        with self._tx(write=True) as conn:
            classes.delete_session(conn, token_hash(token))

    def key_guesses(self, code: str, key: str) -> int:
        """How many wrong teacher keys were tried on the class within ``key_window``
        seconds (for the teacher: someone is guessing)."""
        self._authenticate(code, key)
        with self._tx(write=False) as conn:
            cls = self._class(conn, code)
            return classes.key_failures(conn, cls.id, self._now() - self.limits.key_window)[0]

    @contextmanager
    def _teacher(self, code: str, key: str) -> Iterator[tuple[Connection, object]]:
        """A write transaction on the class (locked) once the credential is checked."""
        self._authenticate(code, key)
        with self._tx(write=True) as conn:
            yield conn, self._class(conn, code, lock="update")

    # ------------------------------------------------------------ actions

    def set_challenge(self, code: str, key: str, challenge: Challenge | None) -> None:
        """Set the class's challenge (None removes it); ClassClosed once it is closed."""
        stored = None if challenge is None else check_challenge(challenge).to_json()
        with self._teacher(code, key) as (conn, cls):
            refuse_closed(cls)
            classes.update_class(conn, cls.id, challenge=stored)

    def clear_board(self, code: str, key: str) -> int:
        """Delete every shared run of the class (drawings stay); returns how many (ClassClosed
        once it is closed)."""
        with self._teacher(code, key) as (conn, cls):
            refuse_closed(cls)
            return classes.delete_runs(conn, cls.id)

    def remove_student(self, code: str, key: str, nickname: str) -> None:
        """Remove a student and everything they shared (runs and drawings). The nickname is
        matched like a rejoin (ignoring case). They may join again as a new student (unless
        the teacher stopped new joins)."""
        if not self.remove_students(code, key, [nickname]):
            raise InvalidInput(Msg('No student called "{nickname}" is in class {code}.',
                                   nickname=nickname, code=normalise_code(code) or code))

    def remove_students(self, code: str, key: str, nicknames: Iterable[str]) -> int:
        """Remove many students at once, with everything they shared; returns how many
        were removed (nicknames matched like a rejoin; unknown ones are ignored)."""
        keys = sorted({nickname_key(str(n)) for n in list(nicknames)[:self.limits.students * 4]})
        with self._teacher(code, key) as (conn, cls):
            return students.delete_students(conn, cls.id, keys)

    def set_joining(self, code: str, key: str, open_: bool) -> None:
        """Let new students join (True) or stop them (False); students already in the class
        can always rejoin."""
        with self._teacher(code, key) as (conn, cls):
            classes.update_class(conn, cls.id, joins_closed=not open_)

    def close_class(self, code: str, key: str) -> None:
        """Close the class: no new students, runs, drawings or heartbeats. It stays readable
        (board, runs, drawings, export) until it expires or is deleted."""
        with self._teacher(code, key) as (conn, cls):
            if cls.closed_at is None:
                classes.update_class(conn, cls.id, closed_at=self._now())

    def delete_class(self, code: str, key: str) -> None:
        """Delete the class and every row in it now, without waiting for it to expire (its
        code is remembered until then, so pages can say the teacher deleted it)."""
        with self._teacher(code, key) as (conn, cls):
            classes.delete_class(conn, cls.id)
            classes.remember_deleted(conn, cls.code, cls.expires_at)

    def export_csv(self, code: str, key: str) -> ClassExport:
        """Everything in the class as CSV text (see core.classroom.export). A read: it works
        while writes are paused or the database is read-only."""
        self._authenticate(code, key)
        with self._tx(write=False) as conn:
            cls = self._class(conn, code)
            entries = runs.class_runs(conn, cls.id, with_curves=True)
            rows = drawings.drawing_rows(conn, cls.id, pixels=False)
        return ClassExport(export.runs_csv(entries, class_challenge(cls)),
                           export.drawings_csv(rows))

    # ------------------------------------------------------------ moderation

    def delete_run(self, code: str, key: str, run_id: str) -> bool:
        """Delete one shared run from the board; False if it was not there."""
        with self._teacher(code, key) as (conn, cls):
            return moderation.delete_item(conn, db.runs, "run_id", cls.id, run_id)

    def delete_drawing(self, code: str, key: str, drawing_id: str) -> bool:
        """Delete one drawing from the class set; False if it was not there."""
        with self._teacher(code, key) as (conn, cls):
            return moderation.delete_item(conn, db.drawings, "drawing_id", cls.id, drawing_id)

    def block_student(self, code: str, key: str, nickname: str) -> int:
        """Remove a student with everything they shared and block the nickname (matched
        like a rejoin): it cannot join again until :meth:`unblock_student`. Returns how
        many students were removed (0: the nickname is blocked all the same)."""
        nickname = str(nickname)[:self.limits.nickname_chars * 4]
        with self._teacher(code, key) as (conn, cls):
            moderation.block(conn, cls.id, nickname_key(nickname), nickname)
            return students.delete_students(conn, cls.id, [nickname_key(nickname)])

    def unblock_student(self, code: str, key: str, nickname: str) -> bool:
        """Let a blocked nickname join again; False if it was not blocked."""
        with self._teacher(code, key) as (conn, cls):
            return moderation.unblock(conn, cls.id, nickname_key(str(nickname)))

    def blocked(self, code: str, key: str) -> list[str]:
        """The nicknames blocked in the class, in the order they were blocked (a read)."""
        self._authenticate(code, key)
        with self._tx(write=False) as conn:
            return moderation.blocked_names(conn, self._class(conn, code).id)

    def release_nickname(self, code: str, key: str, nickname: str) -> bool:
        """Free a student's nickname from the browser that holds it, so the next browser
        to join with it becomes that student; False if no such student."""
        with self._teacher(code, key) as (conn, cls):
            row = students.student_by_key(conn, cls.id, nickname_key(str(nickname)))
            if row is not None:
                moderation.release(conn, row.id)
            return row is not None
