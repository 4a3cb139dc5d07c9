"""A school server (issue 24 item 1): the code read-only and owned by root, run by the
unprivileged user ``nobody`` with ``HOME=/nonexistent`` and nothing but ``PATH`` in its
environment. The command line trains and saves, the server trains a run through the page
and opens a class, and what they write lands in the temporary folder core.paths chooses
(numba's cache, the class database), never beside the code.

Fails (never skips) when runuser or the user nobody is missing, or the tests are not root.
"""

from __future__ import annotations

import asyncio
import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest
from hosting_support import (
    as_nobody,
    bare_env,
    nobody_python,
    nobody_server,
    open_a_class,
    read_only_copy,
    runuser,
    train_once,
    traversable,
    writable_by_nobody,
)

from support.e2e import server_exceptions

UID = 65534  # nobody


@pytest.fixture(scope="module")
def host():
    """(the read-only checkout, nobody's python, the environment, nobody's temp folder)."""
    runuser()
    base = Path(tempfile.mkdtemp(prefix="wac-readonly-", dir="/tmp"))
    base.chmod(0o755)
    try:
        code = read_only_copy(base / "app")
        python = nobody_python(base)
        tmp = writable_by_nobody(base / "tmp")
        traversable(code)
        env = bare_env(HOME="/nonexistent", TMPDIR=str(tmp))
        yield code, python, env, tmp
    finally:
        shutil.rmtree(base, ignore_errors=True)


def test_the_copy_is_read_only_for_nobody(host):
    code, python, env, _ = host
    probe = subprocess.run(as_nobody(["/usr/bin/touch", str(code / "core" / "x")], env),
                           capture_output=True, text=True)
    assert probe.returncode != 0 and "Permission denied" in probe.stderr


@pytest.mark.timeout(300)
def test_the_command_line_trains_and_saves_as_nobody(host):
    code, python, env, tmp = host
    out = tmp / "model.npz"
    done = subprocess.run(as_nobody([*python, "-m", "core.cli", "--epochs", "2", "--out",
                                     str(out)], env),
                          cwd=code, capture_output=True, text=True, timeout=280)
    assert done.returncode == 0, done.stderr
    assert "Traceback" not in done.stderr and "Warning" not in done.stderr, done.stderr
    assert done.stdout.startswith("EPOCH 1: Valid Loss="), done.stdout
    assert out.stat().st_uid == UID
    # numba cached the compiled step in nobody's private temp folder (core.paths), the
    # checkout's own __pycache__ could not be written
    cache = tmp / f"watch-a-classifier-{UID}" / "numba"
    assert any(cache.rglob("*.nbi")), list(tmp.rglob("*"))
    # the default --out (model.npz in the read-only checkout) is refused before training
    refused = subprocess.run(as_nobody([*python, "-m", "core.cli", "--epochs", "2"], env),
                             cwd=code, capture_output=True, text=True, timeout=120)
    assert refused.returncode == 2 and "Traceback" not in refused.stderr
    assert refused.stderr.strip() == ("error: cannot write the folder of model.npz is "
                                      "read-only: choose --out in a folder you can write")
    assert "EPOCH" not in refused.stdout


@pytest.mark.timeout(420)
def test_the_server_trains_through_the_page_and_opens_a_class_as_nobody(host):
    code, python, env, tmp = host
    log = tmp.parent / "server.log"
    with nobody_server([*python, "serve.py"], code, env, log) as (url, proc):
        result = train_once(url, epochs=2)
        class_errors, shown = asyncio.run(open_a_class(url))
        assert proc.poll() is None, log.read_text()
    text = log.read_text()
    assert not result.errors and result.finished, (result.errors, text[-3000:])
    assert result.final_text.startswith("Finished 2 epochs"), result.final_text
    assert not class_errors, (class_errors, text[-3000:])
    assert any("classroom?class=" in s for s in shown), shown  # the join link is shown
    database = tmp / f"watch-a-classifier-{UID}" / "classroom" / "classes.sqlite3"
    assert database.stat().st_uid == UID and database.stat().st_size > 0
    assert not server_exceptions(text), text[-3000:]
    assert "no locator" not in text and "cannot cache" not in text, text[-3000:]


@pytest.mark.timeout(300)
def test_when_numba_finds_no_cache_place_the_step_compiles_in_memory(host):
    """core.paths believed a place was there, but numba found none of its own (NUMBA_CACHE_DIR
    unset, the code read-only, no home): numba's RuntimeError "no locator available" (what
    a read-only checkout gave before) becomes one warning line, and the step still trains."""
    code, python, env, _ = host
    script = ("import pathlib, core.paths as p; p.numba_cache_dir = lambda: pathlib.Path('/'); "
              "import core.kernel as k; k.warm(); print('cache', k.CACHE)")
    done = subprocess.run(as_nobody([*python, "-c", script], env), cwd=code,
                          capture_output=True, text=True, timeout=280)
    assert done.returncode == 0 and done.stdout.strip() == "cache False", done.stderr
    lines = [line for line in done.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and "Traceback" not in done.stderr, done.stderr
    assert lines[0].startswith("numba cannot cache the training step (cannot cache function")
    assert lines[0].endswith("): compiling it in memory"), lines[0]
