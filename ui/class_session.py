"""Who this browser is in Classroom mode, kept across reloads without anything in a link.

- The student's *claim*: the browser's workspace key (ui.workspace: a random 192-bit
  secret in the ``wcl_workspace`` cookie), passed to a student's join: the class store ties
  a nickname to the browser that took it (core.classroom: another browser is refused until
  the teacher releases the nickname or this browser has been gone 10 minutes). A link
  ``?class=...&nick=...`` alone is not a log-in.
- ``mnist_teacher``: ``CODE:token``, a teacher-session token (core.classroom.teacher; its
  hash is in the class database with an expiry), so a reload keeps the teacher logged in;
  the key itself is never stored in the browser, a link or the page. Log out deletes the
  session and the cookie.

Both cookies are read and written by :mod:`ui.cookies`; nothing here is shown on screen.
"""

from __future__ import annotations

from ui import cookies
from ui.workspace import browser_key

TEACHER_COOKIE = "mnist_teacher"
TEACHER_HOURS = 12


def browser_claim() -> str:
    """This browser's secret: its workspace key (see ui.workspace)."""
    return browser_key()


def teacher_cookie() -> tuple[str, str] | None:
    """(code, token) of the teacher session this browser keeps, or None."""
    value = cookies.read(TEACHER_COOKIE)
    if value is None or ":" not in value:
        return None
    code, token = value.split(":", 1)
    return code, token


def keep_teacher(code: str, token: str) -> None:
    """Keep the teacher logged in across reloads (see the module's docstring)."""
    cookies.write(TEACHER_COOKIE, f"{code}:{token}", TEACHER_HOURS * 3600)


def forget_teacher() -> None:
    """Log out: the browser deletes its teacher cookie."""
    cookies.write(TEACHER_COOKIE, "", 0)
