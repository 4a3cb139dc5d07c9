"""The workspace seen from the page (AppTest): a browser that comes back finds its work; one
whose workspace the server no longer has is told what is gone (issue 19's "after kill -9":
honest, not silent). AppTest sends no cookies, so the browser's cookie is given by hand."""

from __future__ import annotations

from streamlit.testing.v1 import AppTest

from apptest_support import TIMEOUT, session_of
from conftest import ROOT
from core.workspaces import new_key
from ui import cookies, workspace

WELCOME = "Welcome back. The server was restarted"


def _visit(monkeypatch, key: str | None) -> AppTest:
    monkeypatch.setattr(cookies, "sent", lambda: {workspace.COOKIE: key} if key else {})
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=TIMEOUT)
    at.run()
    assert not at.exception, at.exception
    return at


def _told(at: AppTest) -> bool:
    return any(WELCOME in i.value for i in at.sidebar.info)


def test_a_browser_the_server_lost_is_told_its_earlier_runs_are_gone(monkeypatch):
    at = _visit(monkeypatch, new_key())  # a key of ours, but no such workspace here
    assert _told(at)
    at.run()
    assert not _told(at)  # said once


def test_a_new_browser_and_a_returning_one_are_not_told(monkeypatch):
    first = _visit(monkeypatch, None)  # a new browser: asked to keep a new key
    key = first.session_state[workspace._KEY]
    assert not _told(first)
    assert first.session_state["_cookie_writes"][workspace.COOKIE][0] == key
    again = _visit(monkeypatch, key)  # F5: the key comes back, the workspace is there
    assert not _told(again) and session_of(again) is session_of(first)


def test_a_cookie_of_another_shape_is_ignored(monkeypatch):
    at = _visit(monkeypatch, "<script>alert(1)</script>")
    assert not _told(at) and at.session_state[workspace._KEY] != "<script>alert(1)</script>"
