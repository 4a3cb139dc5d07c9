"""Where the app writes: the one place that decides it, so the code itself can be read-only.

A school server runs the app as an unprivileged user on code owned by root, often with no
home folder (``HOME`` unset or ``/nonexistent``); a free app host gives a read-only checkout
and a writable ``/tmp``. Everything the app writes goes to a folder chosen here, the first of
these that exists (or can be made) and that this user can write:

1. **an explicit environment variable**: ``NUMBA_CACHE_DIR`` for numba's compiled step,
   ``CLASSROOM_DIR`` for the class database (a set variable is used even when it fails:
   the admin asked for that place, and gets the error that says so);
2. **the checkout**, where it always went, when it is writable: numba's own cache beside
   ``core/kernel.py`` (``core/__pycache__``) and ``classroom-data/`` (so ``bash run.sh app``
   in a clone behaves as before);
3. **the XDG base directories**: ``$XDG_CACHE_HOME`` (default ``~/.cache``) for caches,
   ``$XDG_STATE_HOME`` (default ``~/.local/state``) for state that should outlive a restart,
   each with a ``watch-a-classifier/`` folder of its own;
4. **the system's temporary folder** (``tempfile.gettempdir()``), in
   ``watch-a-classifier-<uid>/``, made private (mode 0700) and used only when this user owns
   it (another user's folder of that name gets a fresh private one instead).

None writable: :func:`writable_dir` returns None and the caller does without (numba compiles
in memory; the class database says it cannot be opened).

The systemd unit in deploy/ sets the variables of step 1 to its ``StateDirectory`` and
``CacheDirectory``.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

APP = "watch-a-classifier"
PROJECT_ROOT = Path(__file__).resolve().parent.parent


def _home() -> Path | None:
    """The user's home folder from ``HOME`` or the password database (None: neither)."""
    home = os.environ.get("HOME", "").strip()
    if home:
        return Path(home)
    try:
        import pwd

        return Path(pwd.getpwuid(os.getuid()).pw_dir)
    except (ImportError, KeyError, OSError):
        return None


def usable(folder: Path) -> bool:
    """Does ``folder`` exist (or can it be made, parents included) and can we write in it?"""
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError:
        return False
    return folder.is_dir() and os.access(folder, os.W_OK | os.X_OK)


def _xdg(variable: str, default_under_home: str) -> Path | None:
    """``$variable`` if it is an absolute path (the XDG rule), else ``~/default_under_home``."""
    value = os.environ.get(variable, "").strip()
    if value and os.path.isabs(value):
        return Path(value)
    home = _home()
    return home / default_under_home if home is not None else None


def _private_temp() -> Path | None:
    """``<tmp>/watch-a-classifier-<uid>``, made with mode 0700 and used only if this user owns
    it and nobody else may write it; otherwise a fresh private folder (None: no temp dir)."""
    base = Path(tempfile.gettempdir())
    folder = base / f"{APP}-{os.getuid()}"
    try:
        folder.mkdir(mode=0o700, exist_ok=True)
        info = folder.lstat()
        if folder.is_symlink() or info.st_uid != os.getuid() or info.st_mode & 0o022:
            raise PermissionError(f"{folder} is not this user's own")
        return folder
    except OSError:
        try:
            return Path(tempfile.mkdtemp(prefix=f"{APP}-"))
        except OSError:
            return None


def candidates(kind: str, name: str, in_checkout: Path | None = None) -> list[Path]:
    """The folders tried for ``name`` (a sub-folder, e.g. "numba"), in order, after the
    environment variable: the checkout's own place, then XDG's ``kind`` ("cache" or
    "state") folder. The temporary folder comes last (see :func:`writable_dir`)."""
    xdg = (_xdg("XDG_CACHE_HOME", ".cache") if kind == "cache"
           else _xdg("XDG_STATE_HOME", ".local/state"))
    found = [in_checkout] if in_checkout is not None else []
    if xdg is not None:
        found.append(xdg / APP / name)
    return found


def writable_dir(env: str, kind: str, name: str, in_checkout: Path | None = None) -> Path | None:
    """The folder for ``name``: ``$env`` when set (as given, even if unusable), else the first
    usable of :func:`candidates`, else ``<tmp>/watch-a-classifier-<uid>/<name>`` (None: no
    writable place at all)."""
    explicit = os.environ.get(env, "").strip()
    if explicit:
        return Path(explicit)
    for folder in candidates(kind, name, in_checkout):
        if usable(folder):
            return folder
    temp = _private_temp()
    if temp is not None and usable(temp / name):
        return temp / name
    return None


def numba_cache_dir() -> Path | None:
    """Where numba caches the compiled step; sets ``NUMBA_CACHE_DIR`` to it when it is not
    numba's own default beside the code (call before numba is imported; numba also reads
    the variable again before each compile). None: nowhere writable, compile in memory."""
    beside_code = PROJECT_ROOT / "core" / "__pycache__"
    folder = writable_dir("NUMBA_CACHE_DIR", "cache", "numba", beside_code)
    if folder is not None and folder != beside_code:
        os.environ["NUMBA_CACHE_DIR"] = str(folder)
    return folder if folder is not None and usable(folder) else None


def classroom_dir() -> Path:
    """The folder of the class database's SQLite file: ``CLASSROOM_DIR``, else
    ``classroom-data/`` in a writable checkout, else XDG state, else the temp folder (the
    checkout's folder when nothing is writable: opening it then says why it fails)."""
    in_checkout = PROJECT_ROOT / "classroom-data"
    return writable_dir("CLASSROOM_DIR", "state", "classroom", in_checkout) or in_checkout
