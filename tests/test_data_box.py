"""The sidebar's dataset picker under attack (issue 19, item 7), as a visitor drives it: the
folder box is off unless the admin lists DATA_FOLDERS; what it refuses gets a message,
never a traceback, never a resolved path, never a hint whether a folder outside the list
exists; an uploaded dataset is checked before it is decompressed and stays in its session.
"""

from __future__ import annotations

import gc
import gzip
import struct
import weakref

import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

from apptest_support import TIMEOUT, app, go, session_of  # noqa: F401
from conftest import ROOT
from core.data import BUNDLED_MNIST
from core.markup import plain
from core.web_data import NOT_OFFERED

HOSTILE_PATHS = {
    "~nosuchuser": "~nosuchuser",
    "a NUL byte": "/tmp/a\x00b",
    "20 MB": "/" + "x" * 20_000_000,
    "a markdown link": "[session expired](http://evil.example/phish)",
    "the server's own folder": str(ROOT),
    "a missing folder": "/no/such/folder",
    "its own process": "/proc/self/cwd",
}


def _picker(at: AppTest):
    return at.selectbox(key="_source_select")


def _type_folder(at: AppTest, typed: str) -> list[str]:
    _picker(at).set_value("folder").run()
    box = at.text_input(key="_folder")
    assert box.max_chars == 1024  # the browser stops there; a crafted message does not:
    box.set_value(typed).run()
    assert not at.exception, at.exception
    return [e.value for e in at.sidebar.error]


@pytest.fixture
def allowed(tmp_path, monkeypatch):
    """DATA_FOLDERS lists one folder: a link loop, a folder whose header declares 2^64
    bytes, and a folder the visitor may load hold in it."""
    root = tmp_path / "allowed"
    root.mkdir()
    (root / "loop").symlink_to(root / "loop2")
    (root / "loop2").symlink_to(root / "loop")
    huge = root / "huge"
    huge.mkdir()
    header = bytes([0, 0, 8, 3]) + b"".join(struct.pack(">I", d) for d in (2**31, 2**31, 4))
    for name in ("train-images-idx3-ubyte", "t10k-images-idx3-ubyte"):
        (huge / name).write_bytes(header)
    for name in ("train-labels-idx1-ubyte", "t10k-labels-idx1-ubyte"):
        (huge / name).write_bytes(bytes([0, 0, 8, 1, 0, 0, 0, 0]))
    monkeypatch.setenv("DATA_FOLDERS", str(root))
    return root


def test_without_data_folders_no_path_can_be_typed(app, monkeypatch):
    monkeypatch.delenv("DATA_FOLDERS", raising=False)
    app.run()
    assert "Another folder of IDX files..." not in _picker(app).options
    assert {"MNIST (bundled)", "Upload IDX files..."} <= set(_picker(app).options)
    assert not app.sidebar.text_input  # no folder box (the page's own inputs aside)


@pytest.mark.parametrize("name", HOSTILE_PATHS)
def test_a_hostile_path_gets_one_plain_answer(allowed, app, name):
    errors = _type_folder(app, HOSTILE_PATHS[name])
    assert len(errors) == 1 and plain(errors[0]).endswith(NOT_OFFERED), errors
    assert len(errors[0]) < 500  # the 20 MB path is not echoed
    assert str(ROOT) not in plain(errors[0]) and "evil" not in errors[0]
    assert session_of(app).source == "mnist"
    assert len(app.text_input(key="_folder").value) <= 1024


def test_a_link_loop_and_a_2_to_the_64_byte_header_inside_the_allowed_folder(allowed, app):
    for typed, said in [(f"{allowed}/loop", NOT_OFFERED), (f"{allowed}/huge", "more than")]:
        errors = _type_folder(app, typed)
        assert len(errors) == 1 and said in plain(errors[0]), errors
        assert session_of(app).source == "mnist"


def test_a_folder_in_the_allowed_list_is_loaded_and_named_as_typed(allowed, app):
    (allowed / "digits").symlink_to(BUNDLED_MNIST)  # a link out of the list: refused
    errors = _type_folder(app, f"{allowed}/digits")
    assert errors and plain(errors[0]).endswith(NOT_OFFERED)
    copy = allowed / "mnist"
    copy.mkdir()
    for f in BUNDLED_MNIST.glob("*.gz"):
        (copy / f.name).write_bytes(f.read_bytes())
    assert not _type_folder(app, f" {allowed}/huge/../mnist ")
    assert session_of(app).source == str(copy)
    assert app.text_input(key="_folder").value.strip() == f"{allowed}/huge/../mnist"
    assert any(c.value.startswith("mnist: 50,000 training images") for c in app.caption)


# ------------------------------------------------------------------ uploaded datasets


def _upload(at: AppTest, files: list[tuple[str, bytes]]) -> None:
    _picker(at).set_value("upload").run()
    uploader = next(u for u in at.get("file_uploader") if u.key.startswith("_data_upload"))
    for name, raw in files:
        uploader.upload(name, raw)
    at.run()
    assert not at.exception, at.exception


def _mnist_files() -> list[tuple[str, bytes]]:
    return [(p.name, p.read_bytes()) for p in sorted(BUNDLED_MNIST.glob("*.gz"))]


def test_the_four_idx_files_uploaded_become_this_sessions_dataset(app):
    _upload(app, _mnist_files())
    assert not app.sidebar.error, [e.value for e in app.sidebar.error]
    state = session_of(app)
    assert state.source == "upload" and state.uploaded_data.x_train.shape == (50_000, 784)
    assert any("Uploaded dataset: 50,000 training images" in c.value for c in app.caption)
    other = AppTest.from_file(str(ROOT / "app.py"), default_timeout=TIMEOUT).run()
    assert session_of(other).source == "mnist"  # another session does not see it


def test_a_bomb_upload_is_refused_before_it_is_decompressed(app):
    files = _mnist_files()
    header = bytes([0, 0, 8, 3]) + b"".join(struct.pack(">I", d) for d in (2**31, 2**31, 4))
    files[2] = ("[click](http://evil.example/x) train-images-idx3-ubyte.gz",
                gzip.compress(header + bytes(10_000_000), 9))
    _upload(app, files)
    errors = [e.value for e in app.sidebar.error]
    assert len(errors) == 1 and "more than" in plain(errors[0]), errors
    assert "](" not in errors[0].replace("\\]\\(", "")  # the file's name is quoted as text
    assert session_of(app).source == "mnist" and session_of(app).uploaded_data is None
    uploader = next(u for u in app.get("file_uploader") if u.key.startswith("_data_upload"))
    assert not uploader.value  # a fresh uploader: the refused files are let go


def _small_folder(folder, seed: int):
    """A folder of the four files: 10,010 random training images (the fewest that leave a
    validation set) and 20 test images, about 8 MB."""
    rng = np.random.default_rng(seed)
    folder.mkdir()
    for name, shape in [("train-images-idx3-ubyte", (10_010, 28, 28)),
                        ("train-labels-idx1-ubyte", (10_010,)),
                        ("t10k-images-idx3-ubyte", (20, 28, 28)),
                        ("t10k-labels-idx1-ubyte", (20,))]:
        high = 256 if len(shape) == 3 else 10
        array = rng.integers(0, high, shape).astype(np.uint8)
        header = bytes([0, 0, 8, len(shape)]) + b"".join(struct.pack(">I", d) for d in shape)
        (folder / name).write_bytes(header + array.tobytes())
    return folder


def test_an_accepted_folder_does_not_stay_cached_for_the_whole_server(allowed, app):
    """The shared dataset cache keeps the last few folders (LRU): after six others, the
    first one's dataset is gone from memory."""
    first = None
    for i in range(7):
        folder = _small_folder(allowed / f"set{i}", i)
        assert not _type_folder(app, str(folder))
        if first is None:
            from ui.caches import dataset

            data = dataset(session_of(app).source)  # the shared cache's copy
            assert data.name == "set0" and len(data.y_test) == 20
            first = weakref.ref(data)
            del data
    app.selectbox(key="_source_select").set_value("mnist").run()
    gc.collect()
    assert first() is None, "the first folder's dataset is still held"
