"""Giving memory back to the system once the objects that held it are gone.

Two things keep a long-running server's memory high after its users have left, though
Python has nothing left to keep:

- **cycles not collected**: the dashboard turns off Streamlit's full garbage collection
  after every script run (``runner.postScriptGC = false``: it stalled the training
  threads), so objects that refer to each other (a closed tab's session and its widgets)
  wait for Python's occasional oldest-generation collection;
- **glibc's heap keeps freed memory**: memory freed in the middle of the heap stays with
  the process until ``malloc_trim`` hands its free pages back (measured after the abuse
  scenario: 635 MB -> 602 MB, nothing else changed).

:func:`release_memory` does both, for a moment when many users have just left (the
server's janitor, ui/janitor.py): never after every page, a full collection of a large
heap takes a tenth of a second.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import gc
from functools import cache


def release_memory() -> int:
    """A full garbage collection, then glibc's ``malloc_trim(0)`` where there is one (Linux
    with glibc; elsewhere only the collection). Returns the objects the collection found
    unreachable."""
    found = gc.collect()
    trim = _malloc_trim()
    if trim is not None:
        trim(0)
    return found


@cache
def _malloc_trim():
    """glibc's ``int malloc_trim(size_t pad)``, or None (musl, macOS, Windows)."""
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        trim = libc.malloc_trim
    except (OSError, AttributeError):
        return None
    trim.argtypes, trim.restype = [ctypes.c_size_t], ctypes.c_int
    return trim
