"""The server-folder box and uploaded datasets (issue 19, item 7), below the page: which
typed paths a visitor may load, what a refusal says (never a resolved path, never whether a
folder outside the allowed ones exists), IDX headers checked before anything is allocated,
and uploads bounded per dataset and server-wide."""

from __future__ import annotations

import gc
import gzip
import os
import shutil
import struct

import numpy as np
import pytest

from core.data import BUNDLED_MNIST, DIGIT_NAMES, DataError
from core.idx import declared_bytes, parse_idx, read_idx
from core.web_data import (
    NOT_OFFERED,
    PATH_CHARS,
    MemoryBudget,
    allowed_folder,
    allowed_folders,
    dataset_from_upload,
)

HUGE = (2**31, 2**31, 4)  # 2^64 bytes: in int64 arithmetic the product wraps around to 0


def _header(shape) -> bytes:
    return bytes([0, 0, 0x08, len(shape)]) + b"".join(struct.pack(">I", d) for d in shape)


def _idx(array: np.ndarray) -> bytes:
    return _header(array.shape) + array.astype(np.uint8).tobytes()


# ------------------------------------------------------------------ IDX headers


@pytest.mark.parametrize("packed", [False, True])
def test_a_header_declaring_2_to_the_64_bytes_is_refused_before_reading(tmp_path, packed):
    raw = _header(HUGE)  # 16 bytes: the header alone matches the wrapped-around size, 0
    path = tmp_path / ("huge.gz" if packed else "huge")
    path.write_bytes(gzip.compress(raw) if packed else raw)
    with pytest.raises(DataError, match="more than"):
        read_idx(path)
    with pytest.raises(DataError, match="more than"):
        parse_idx(raw, "huge")


def test_a_plain_file_shorter_than_its_header_says_is_refused_before_reading(tmp_path):
    (tmp_path / "short").write_bytes(_header((1000, 28, 28)) + b"\0" * 10)
    with pytest.raises(DataError, match="truncated"):
        read_idx(tmp_path / "short")


def test_a_folder_is_sized_from_its_headers(tmp_path):
    for name, shape in [("train-images-idx3-ubyte", (60_000, 28, 28)),
                        ("train-labels-idx1-ubyte", (60_000,)),
                        ("t10k-images-idx3-ubyte", (10_000, 28, 28)),
                        ("t10k-labels-idx1-ubyte", (10_000,))]:
        (tmp_path / name).write_bytes(_header(shape))  # headers only: nothing else is read
    assert declared_bytes(tmp_path) == 70_000 * 785
    assert declared_bytes(BUNDLED_MNIST) == 70_000 * 785


# ------------------------------------------------------------------ the folder box


@pytest.fixture
def roots(tmp_path):
    """An allowed folder holding a copy of MNIST and a subfolder, and a folder beside it that
    is not allowed."""
    allowed = tmp_path / "srv"
    (allowed / "sub").mkdir(parents=True)
    shutil.copytree(BUNDLED_MNIST, allowed / "mnist")
    secret = tmp_path / "secret"
    secret.mkdir()
    return allowed, secret


def test_allowed_folders_come_from_the_environment_only(roots, tmp_path):
    allowed, _ = roots
    assert allowed_folders({}) == ()
    listed = allowed_folders({"DATA_FOLDERS": f"{allowed}{os.pathsep}{tmp_path}/gone{os.pathsep}"})
    assert listed == (allowed.resolve(),)


def test_a_folder_inside_an_allowed_one_is_accepted(roots):
    allowed, _ = roots
    mnist = (allowed / "mnist").resolve()
    assert allowed_folder(str(allowed / "mnist"), [allowed]) == mnist
    assert allowed_folder(f" {allowed}/sub/../mnist ", [allowed]) == mnist
    (allowed / "sub" / "link").symlink_to(allowed / "mnist")  # a link within: followed
    assert allowed_folder(str(allowed / "sub" / "link"), [allowed]) == mnist


@pytest.mark.parametrize("typed", [
    "/etc", "/nonexistent/folder", "/proc/self/cwd", "~", "~nosuchuser", "~root/.ssh",
    "relative/path", "..", "a\x00b", "/tmp/\x00", "", "   "])
def test_anything_outside_the_allowed_folders_gets_one_answer(roots, typed):
    allowed, _ = roots
    with pytest.raises(DataError) as err:
        allowed_folder(typed, [allowed])
    assert str(err.value) == NOT_OFFERED  # the same words whether it exists or not


def test_links_out_of_an_allowed_folder_and_link_loops_are_refused(roots):
    allowed, secret = roots
    (allowed / "out").symlink_to(secret)
    (allowed / "loop").symlink_to(allowed / "loop2")
    (allowed / "loop2").symlink_to(allowed / "loop")
    for typed in ("out", "loop", "loop/x"):
        with pytest.raises(DataError) as err:
            allowed_folder(str(allowed / typed), [allowed])
        assert str(err.value) == NOT_OFFERED
        assert str(secret) not in str(err.value)


def test_a_long_path_is_refused_without_being_echoed(roots):
    allowed, _ = roots
    typed = str(allowed) + "/" + "x" * 20_000_000
    with pytest.raises(DataError) as err:
        allowed_folder(typed, [allowed])
    assert len(str(err.value)) < 100 and str(PATH_CHARS) in str(err.value).replace(",", "")


def test_no_allowed_folders_means_no_folder_box(roots):
    allowed, _ = roots
    with pytest.raises(DataError, match="offers no data folders"):
        allowed_folder(str(allowed / "mnist"), [])


def test_a_folder_too_large_to_serve_is_refused_from_its_headers(roots, monkeypatch):
    allowed, _ = roots
    monkeypatch.setenv("FOLDER_MB", "50")  # MNIST declares 55 MB
    with pytest.raises(DataError, match="more than 50 MB"):
        allowed_folder(str(allowed / "mnist"), [allowed])


# ------------------------------------------------------------------ uploads


def _mnist_files() -> list[tuple[str, bytes]]:
    return [(p.name, p.read_bytes()) for p in sorted(BUNDLED_MNIST.glob("*.gz"))]


def test_the_four_mnist_files_upload_as_a_dataset_charged_while_it_lives():
    budget = MemoryBudget(10**9)
    data = dataset_from_upload(_mnist_files(), budget=budget)
    assert data.x_train.shape == (50_000, 784) and data.x_test.shape == (10_000, 784)
    assert data.class_names == DIGIT_NAMES and data.name == "Uploaded dataset"
    assert budget.used == 5 * 70_000 * 785
    del data
    gc.collect()
    assert budget.used == 0


def test_uploads_beyond_the_servers_budget_are_refused():
    budget = MemoryBudget(5 * 70_000 * 785 + 1)
    kept = dataset_from_upload(_mnist_files(), budget=budget)
    with pytest.raises(DataError, match="as many uploaded datasets as it can"):
        dataset_from_upload(_mnist_files(), budget=budget)
    assert budget.used == 5 * 70_000 * 785 and kept is not None


@pytest.mark.parametrize("packed", [False, True])
def test_an_upload_declaring_too_much_is_refused_before_decompressing(packed):
    bomb = _header((200_000, 28, 28)) + bytes(200_000 * 784)  # 157 MB of zeros
    files = _mnist_files()
    files[2] = (files[2][0], gzip.compress(bomb, 1) if packed else bomb)
    budget = MemoryBudget(10**10)
    with pytest.raises(DataError, match="more than"):
        dataset_from_upload(files, max_bytes=60_000_000, budget=budget)
    assert budget.used == 0
    files[2] = (files[2][0], gzip.compress(_header(HUGE)))
    with pytest.raises(DataError, match="more than"):
        dataset_from_upload(files, budget=budget)


@pytest.mark.parametrize("change, message", [
    (lambda f: f[:3], "four IDX files together"),
    (lambda f: [f[0], f[0], f[2], f[3]], "a second file"),
    (lambda f: [(n, b"not idx") for n, _ in f], "wrong magic"),
    (lambda f: [(n, gzip.compress(b"x")[:-4]) if i == 0 else (n, r)
                for i, (n, r) in enumerate(f)], "cannot read"),
    (lambda f: [(n.replace("t10k", "train"), r) for n, r in f], "a second file"),
])
def test_bad_uploads_are_refused_with_a_message(change, message):
    budget = MemoryBudget(10**10)
    with pytest.raises(DataError, match=message):
        dataset_from_upload(change(_mnist_files()), budget=budget)
    assert budget.used == 0


@pytest.mark.parametrize("typed", ["~nosuchuser", "a\x00b", "loop"])
def test_the_command_lines_folder_gets_a_message_for_a_bad_path(tmp_path, typed):
    """``--data`` takes any folder (the admin's command line is trusted), but a path that
    cannot be resolved is a DataError (a message), not a RuntimeError's traceback."""
    from core.data import load_source

    (tmp_path / "loop").symlink_to(tmp_path / "loop")
    with pytest.raises(DataError):
        load_source(str(tmp_path / typed) if typed == "loop" else typed)
