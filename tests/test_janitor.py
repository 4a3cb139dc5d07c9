"""What closed tabs leave behind is let go of (issue 19 item 8): Streamlit's store of closed
sessions drops the expired ones when the janitor looks (ui/janitor.py), and the memory is
given back (core/memory.py)."""

from __future__ import annotations

import gc
import inspect
import time
import weakref

from streamlit.runtime.memory_session_storage import MemorySessionStorage
from streamlit.runtime.runtime import Runtime
from streamlit.runtime.session_manager import SessionInfo
from streamlit.runtime.websocket_session_manager import WebsocketSessionManager

import core.memory
from core.memory import release_memory
from ui import janitor


class _Session:
    """What the store needs of a session: an id (a closed tab's AppSession holds its
    widgets, uploads and caches)."""

    def __init__(self, session_id: str):
        self.id = session_id
        self.me = self  # a cycle, as a real session has: only a collection frees it


def _wait_for(condition, timeout=30.0):
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)


def test_a_closed_tabs_session_is_let_go_of_once_its_ttl_has_passed_without_a_new_write():
    storage = MemorySessionStorage(ttl_seconds=1)
    session = _Session("closed-tab")
    gone = weakref.ref(session)
    storage.save(SessionInfo(client=None, session=session, script_run_count=1))
    del session
    store = storage._cache
    _wait_for(lambda: "closed-tab" not in store)  # expired: nobody can resume it any more
    gc.collect()
    assert gone() is not None  # ...but still held: the store drops it only on a write
    assert janitor.sessions_held(store) == 0  # the janitor's look drops it
    release_memory()
    assert gone() is None


def test_release_memory_collects_cycles_and_trims_the_heap_with_glibc():
    gc.disable()
    try:
        cycle = _Session("x")
        gone = weakref.ref(cycle)
        del cycle
        assert gone() is not None
        assert release_memory() >= 1 and gone() is None
    finally:
        gc.enable()
    assert core.memory._malloc_trim() is not None  # Linux with glibc: this machine, CI


def test_the_janitor_reaches_the_store_of_the_pinned_streamlit():
    """The janitor uses private attributes: this fails if a Streamlit upgrade renames them."""
    assert "self._session_mgr =" in inspect.getsource(Runtime.__init__)
    assert "self._session_storage =" in inspect.getsource(WebsocketSessionManager.__init__)
    assert hasattr(MemorySessionStorage(), "_cache")
    assert janitor.session_store() is None and janitor.sessions_held() == 0  # no server here


def test_a_look_releases_memory_only_when_sessions_went_away(monkeypatch):
    released = []
    monkeypatch.setattr(janitor, "release_memory", lambda: released.append(1))
    counts = iter([5, 5, 3, 4])
    monkeypatch.setattr(janitor, "sessions_held", lambda store=None: next(counts))
    last = None
    for _ in range(4):
        last = janitor.look(last)
    assert released == [1]  # 5 -> 3 only
