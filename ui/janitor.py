"""The server's janitor: lets go of what closed browser tabs left behind.

Streamlit keeps the session of a closed tab for ``server.disconnectedSessionTTL`` (120 s)
so that a dropped connection can come back to it. Its store of such sessions (a TTL cache)
removes an expired one only when it is next written to or its length is asked: after a
class leaves, nothing writes it, and every closed tab's session (its widgets and their
callbacks, uploaded files, live-chart caches) stayed in memory until other tabs closed.
After the abuse scenario (python -m bench.load_test --abuse) 98 closed sessions were
still held, with no student left.

One daemon thread, started with the training slots (:func:`ensure_started`), looks every
:data:`INTERVAL` seconds: it has the store drop its expired sessions, and when sessions
went away since its last look, gives the memory back (core.memory.release_memory: a full
garbage collection and glibc's malloc_trim). The store is reached through Streamlit's
private attributes (``Runtime._session_mgr._session_storage._cache``); where a Streamlit
version lacks them, the janitor only releases memory (tests/test_janitor.py checks the
pinned version has them).
"""

from __future__ import annotations

import threading
import time

from core.memory import release_memory

INTERVAL = 30.0  # seconds between two looks
_lock = threading.Lock()
_thread: threading.Thread | None = None


def session_store():
    """Streamlit's store of closed tabs' sessions (a TTL cache), or None."""
    from streamlit.runtime import Runtime

    if not Runtime.exists():
        return None
    manager = getattr(Runtime.instance(), "_session_mgr", None)
    return getattr(getattr(manager, "_session_storage", None), "_cache", None)


def sessions_held(store=None) -> int:
    """Sessions the server holds: the connected ones and the closed ones within their TTL.
    Asking the store's length drops its expired sessions."""
    from streamlit.runtime import Runtime

    store = session_store() if store is None else store
    held = len(store) if store is not None else 0
    if Runtime.exists():
        held += len(Runtime.instance()._session_mgr.list_active_sessions())
    return held


def look(last: int | None) -> int:
    """One look: drop expired sessions; release memory if fewer are held than ``last``."""
    held = sessions_held()
    if last is not None and held < last:
        release_memory()
    return held


def ensure_started() -> None:
    """Start the janitor's thread, once per process."""
    global _thread
    with _lock:
        if _thread is None or not _thread.is_alive():
            _thread = threading.Thread(target=_loop, name="janitor", daemon=True)
            _thread.start()


def _loop() -> None:
    last = None
    while True:
        time.sleep(INTERVAL)
        try:
            last = look(last)
        except Exception:  # the janitor must never take the server down
            last = None
