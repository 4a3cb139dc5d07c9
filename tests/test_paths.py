"""core.paths: where the app writes, in its documented order (explicit variable, the checkout
when writable, XDG, the temporary folder)."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import ROOT
from core import paths


@pytest.fixture
def clean_env(monkeypatch, tmp_path):
    """No variable of ours set; the temporary folder moved into tmp_path."""
    for name in ("NUMBA_CACHE_DIR", "CLASSROOM_DIR", "XDG_CACHE_HOME", "XDG_STATE_HOME"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("TMPDIR", str(tmp_path / "tmp"))
    (tmp_path / "tmp").mkdir()
    monkeypatch.setattr(paths.tempfile, "tempdir", None)  # gettempdir() reads TMPDIR again
    return tmp_path


def test_an_explicit_variable_wins_even_over_a_writable_checkout(clean_env, monkeypatch):
    monkeypatch.setenv("CLASSROOM_DIR", str(clean_env / "mine"))
    assert paths.writable_dir("CLASSROOM_DIR", "state", "classroom", clean_env) == \
        clean_env / "mine"


def test_the_checkout_then_xdg_then_the_temporary_folder(clean_env, monkeypatch):
    checkout = clean_env / "checkout"
    checkout.mkdir()
    monkeypatch.setenv("XDG_STATE_HOME", str(clean_env / "state"))
    assert paths.writable_dir("CLASSROOM_DIR", "state", "classroom", checkout / "data") == \
        checkout / "data"
    blocked = clean_env / "a-file"
    blocked.write_text("not a folder")  # nothing can be made below a file
    assert paths.writable_dir("CLASSROOM_DIR", "state", "classroom", blocked / "data") == \
        clean_env / "state" / "watch-a-classifier" / "classroom"
    monkeypatch.setenv("XDG_STATE_HOME", str(blocked))
    monkeypatch.setenv("HOME", str(blocked))
    found = paths.writable_dir("CLASSROOM_DIR", "state", "classroom", blocked / "data")
    assert found == clean_env / "tmp" / f"watch-a-classifier-{os.getuid()}" / "classroom"
    assert found.parent.stat().st_mode & 0o777 == 0o700


def test_xdg_defaults_to_the_home_folder_and_a_relative_xdg_is_ignored(clean_env, monkeypatch):
    monkeypatch.setenv("HOME", str(clean_env / "home"))
    monkeypatch.setenv("XDG_CACHE_HOME", "relative/cache")  # the spec: ignore it
    assert paths.candidates("cache", "numba") == \
        [clean_env / "home" / ".cache" / "watch-a-classifier" / "numba"]
    assert paths.candidates("state", "classroom") == \
        [clean_env / "home" / ".local" / "state" / "watch-a-classifier" / "classroom"]


def test_another_users_temporary_folder_is_not_used(clean_env, monkeypatch):
    """A folder of our name that others may write (made before us by someone else, say) is
    passed over for a fresh private one."""
    shared = clean_env / "tmp" / f"watch-a-classifier-{os.getuid()}"
    shared.mkdir()
    shared.chmod(0o777)
    found = paths._private_temp()
    assert found != shared and found.parent == clean_env / "tmp"
    assert found.stat().st_mode & 0o777 == 0o700


def test_the_kernel_sets_numba_cache_dir_before_importing_numba(tmp_path):
    """A checkout whose core/__pycache__ cannot be written: core.kernel points numba at XDG's
    cache folder (numba reads NUMBA_CACHE_DIR when it is imported) and the step is cached
    there. Simulated by pointing core.paths' PROJECT_ROOT at a folder with a file in the way
    of core/__pycache__ (root may write anywhere, so permissions cannot show it here)."""
    fake = tmp_path / "checkout"
    (fake / "core").mkdir(parents=True)
    (fake / "core" / "__pycache__").write_text("in the way")
    code = (f"import core.paths as p, pathlib; p.PROJECT_ROOT = pathlib.Path({str(fake)!r}); "
            "import core.kernel as k; k.warm(); import numba, os; "
            "print(k.CACHE, numba.config.CACHE_DIR == os.environ['NUMBA_CACHE_DIR'], "
            "os.environ['NUMBA_CACHE_DIR'])")
    env = {k: v for k, v in os.environ.items() if k != "NUMBA_CACHE_DIR"}
    env["XDG_CACHE_HOME"] = str(tmp_path / "cache")
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, text=True,
                         capture_output=True, check=True).stdout.split()
    assert out[:2] == ["True", "True"]
    cache = Path(out[2])
    assert cache == tmp_path / "cache" / "watch-a-classifier" / "numba"
    assert any(cache.rglob("*.nbi")), "the compiled step was not cached there"


def test_with_no_writable_place_the_step_compiles_in_memory_with_one_warning(tmp_path):
    """No place at all: the step is compiled in memory (cache off), one log line, no
    traceback, and it still trains."""
    code = ("import core.paths as p; p.writable_dir = lambda *a, **k: None; "
            "import core.kernel as k; k.warm(); print('cache', k.CACHE)")
    env = {k: v for k, v in os.environ.items() if k != "NUMBA_CACHE_DIR"}
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, text=True,
                          capture_output=True, check=True)
    assert done.stdout.strip() == "cache False"
    assert "Traceback" not in done.stderr
    assert [line for line in done.stderr.splitlines() if line.strip()] == [
        "No writable folder for numba's cache (NUMBA_CACHE_DIR, XDG_CACHE_HOME, the temporary "
        "folder): the training step is compiled in memory at each start"]
