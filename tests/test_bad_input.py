"""Bad input, everywhere: each item checks that the user sees a clear message (never a
traceback) and that nothing already there is lost (the current model and runs survive).

Uploaded model files are covered by ``test_model.py`` (every bad file the validator refuses)
and ``test_browser.py`` (the sidebar's message in a real browser); canvas edge cases by
``test_properties.py`` (any image at all) and below (the page's answer).
"""

from __future__ import annotations

import gzip
import struct
import sys
from types import SimpleNamespace

import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

from apptest_support import (  # noqa: F401
    TIMEOUT,
    app,
    button,
    click,
    go,
    model_select,
    session_of,
    stop_training,
    wait_for,
)
from conftest import ROOT
from core.markup import plain
from core.run_state import RunStatus

PAGES = "views"


def _no_traceback(at: AppTest) -> None:
    assert not at.exception, at.exception


def _train(at: AppTest, epochs: int, **settings) -> object:
    at.number_input(key="epochs").set_value(epochs)
    for key, value in settings.items():
        (at.select_slider if key in ("lr", "l2") else at.number_input)(key=key).set_value(value)
    at.run()
    click(at, "Start")
    job = session_of(at).job
    return job


def _finished_run(at: AppTest):
    job = _train(at, 1, batch=500)
    job.join(TIMEOUT)
    at.run()
    assert job.run.status is RunStatus.FINISHED
    return job


# ------------------------------------------------------------------ hyperparameters


@pytest.mark.parametrize("query, note", [
    ({"lr": "1e3"}, "lr=1e3 is outside"),
    ({"l2": "1e2"}, "l2=1e2 is outside"),
    ({"batch": "60000"}, "batch=60000 is outside"),
    ({"batch": "0"}, "batch=0 is outside"),
    ({"epochs": "-3"}, "epochs=-3 is outside"),
    ({"epochs": "1e9"}, "outside"),
    ({"lr": "0.1; DROP TABLE"}, "is not a number"),
    ({"seed": "3.5"}, "not a whole number"),
    ({"preset": "../../etc/passwd"}, "not a known lesson"),
])
def test_out_of_range_or_malformed_url_settings_are_ignored_with_a_note(query, note):
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=TIMEOUT)
    at.query_params.update(query)
    at.run()
    _no_traceback(at)
    warnings = [plain(w.value) for w in at.warning]  # the link's values are escaped
    assert any(note in w for w in warnings), warnings
    defaults = {"epochs": 200, "batch": 100, "seed": 34}
    for key, value in defaults.items():
        assert at.number_input(key=key).value == value
    assert at.select_slider(key="lr").value == 0.1


def test_batch_of_one_and_a_single_epoch_train(app):
    job = _train(app, 1, batch=1, lr=0.01)
    job.join(TIMEOUT * 3)
    app.run()
    _no_traceback(app)
    assert job.run.status is RunStatus.FINISHED and job.run.n_batches == 50_000
    assert job.run.history[0].valid_acc > 0.85


def test_ten_thousand_epochs_are_refused_unless_the_admin_allows_them(app, monkeypatch):
    assert _train(app, 10_000, batch=500) is None  # MAX_RUN_EXAMPLES: 500 MNIST epochs
    assert any("more training than this server allows" in e.value for e in app.error)
    monkeypatch.setenv("MAX_RUN_EXAMPLES", "0")  # the admin's: no limit
    job = _train(app, 10_000, batch=500)
    wait_for(lambda: job.run.epochs_done >= 1, "an epoch")
    app.run()
    _no_traceback(app)
    assert job.run.target_epochs == 10_000
    assert any("/10000" in (p.proto.text or "") for p in app.get("progress"))
    click(app, "Stop")
    job.join(TIMEOUT)
    app.run()
    assert job.run.status is RunStatus.STOPPED and job.run.model.is_finite()


def test_huge_learning_rate_and_lambda_diverge_with_an_explanation_and_keep_earlier_runs(app):
    earlier = _finished_run(app)
    job = _train(app, 3, lr=10.0, l2=1.0, batch=500)
    job.join(TIMEOUT)
    app.run()
    _no_traceback(app)
    assert job.run.status is RunStatus.DIVERGED
    assert any("Try lambda below" in e.value for e in app.error)
    assert button(app, "Continue").disabled  # continuing a diverged run is not offered
    assert earlier in session_of(app).kept_runs  # the earlier run is still there
    go(app, f"{PAGES}/results.py")
    _no_traceback(app)
    labels = model_select(app).options
    assert any("run" in label for label in labels)  # the earlier run can still be shown


# ------------------------------------------------------------------ data folders


def _idx(array: np.ndarray, magic: bytes = b"\x00\x00\x08") -> bytes:
    header = magic + bytes([array.ndim]) + b"".join(struct.pack(">I", d) for d in array.shape)
    return header + array.astype(np.uint8).tobytes()


def _folder(tmp_path, damage: str):
    rng = np.random.default_rng(0)
    n_train, side = 10_050, 28
    if damage == "size":
        side = 32
    parts = {
        "train-images-idx3-ubyte": _idx(rng.integers(0, 255, (n_train, side, side))),
        "train-labels-idx1-ubyte": _idx(rng.integers(0, 10, n_train - (damage == "count"))),
        "t10k-images-idx3-ubyte": _idx(rng.integers(0, 255, (20, side, side))),
        "t10k-labels-idx1-ubyte": _idx(rng.integers(0, 10, 20)),
    }
    if damage == "magic":
        parts["t10k-labels-idx1-ubyte"] = b"\x01\x02" + parts["t10k-labels-idx1-ubyte"][2:]
    folder = tmp_path / damage
    folder.mkdir()
    if damage == "empty":
        return folder
    for name, raw in parts.items():
        data = gzip.compress(raw)
        if damage == "truncated" and name.startswith("train-images"):
            data = data[: len(data) // 3]
        if damage == "not-gzip" and name.startswith("train-labels"):
            data = b"PK\x03\x04 this is a zip file, not gzip nor IDX"
        (folder / f"{name}.gz").write_bytes(data)
    return folder


@pytest.mark.parametrize("damage, message", [
    ("empty", "no train-images-idx3-ubyte"),
    ("magic", "wrong magic number"),
    ("truncated", "damaged .gz"),
    ("not-gzip", "wrong magic number"),
    ("count", "10,050 images but"),
    ("size", "expected 28x28"),
    ("missing", "not a folder"),
])
def test_bad_data_folders_are_refused_and_mnist_and_the_run_stay(app, tmp_path, damage, message,
                                                                  monkeypatch):
    monkeypatch.setenv("DATA_FOLDERS", str(tmp_path))  # the folder box is off without it
    earlier = _finished_run(app)
    folder = tmp_path / "nowhere" if damage == "missing" else _folder(tmp_path, damage)
    app.selectbox(key="_source_select").set_value("folder").run()
    app.text_input(key="_folder").input(str(folder)).run()
    _no_traceback(app)
    errors = [plain(e.value) for e in app.error]
    assert any("could not be loaded, so MNIST stays" in e and message in e for e in errors), errors
    assert session_of(app).source == "mnist"
    assert session_of(app).job is earlier  # the run is untouched
    go(app, f"{PAGES}/results.py")
    assert any("incorrect of 10,000" in m.value for m in app.markdown)


# ------------------------------------------------------------------ canvas


def _canvas(kind: str) -> np.ndarray:
    img = np.zeros((280, 280), np.uint8)
    if kind == "full":
        img[:] = 255
    elif kind == "dot":
        img[140, 140] = 255
    elif kind == "edge":
        img[:, :6] = 255
    return np.dstack([img, img, img, np.full_like(img, 255)])


@pytest.mark.parametrize("kind", ["empty", "full", "dot", "edge"])
def test_any_canvas_gets_an_answer_or_draw_a_digit(app, monkeypatch, kind):
    go(app, f"{PAGES}/draw.py")
    monkeypatch.setattr(sys.modules["streamlit_drawable_canvas"], "st_canvas",
                        lambda **kwargs: SimpleNamespace(image_data=_canvas(kind)))
    app.run()
    _no_traceback(app)
    predictions = [m for m in app.metric if m.label == "Prediction"]
    if kind == "empty":
        assert not predictions and any("Draw a digit" in i.value for i in app.info)
    else:
        assert len(predictions) == 1 and predictions[0].value in "0123456789"
    if kind == "edge":
        assert any("touches the edge" in w.value for w in app.warning)


# ------------------------------------------------------------------ clicking around


def test_start_twice_keeps_the_first_run(app):
    first = _train(app, 2, batch=500)
    assert button(app, "Start").disabled  # no second run while one trains
    first.join(TIMEOUT)
    app.run()
    click(app, "Start")  # a new run puts the finished one aside, it is not lost
    assert session_of(app).job is not first and first in session_of(app).kept_runs
    _no_traceback(app)


def test_stop_while_queued_and_switching_dataset_while_training(app, monkeypatch):
    import ui

    slots = ui.run_slots()
    monkeypatch.setattr(slots, "capacity", 1)
    other = AppTest.from_file(str(ROOT / "app.py"), default_timeout=TIMEOUT)
    other.run()
    blocker = _train(other, 500, batch=10)  # another student holds the only slot
    try:
        wait_for(lambda: not blocker.queued, "the other run to start")
        mine = _train(app, 2, batch=500)
        wait_for(lambda: mine.ahead() == 0, "my run to queue")
        app.run()
        assert any("Queued: 0 ahead of you" in i.value for i in app.info)
        assert app.selectbox(key="_source_select").disabled  # no dataset switch mid-run
        click(app, "Stop")
        mine.join(TIMEOUT)
        app.run()
        _no_traceback(app)
        assert mine.run.status is RunStatus.STOPPED and mine.run.epochs_done == 0
        assert any("queued" in w.value for w in app.warning)
        assert not button(app, "Start").disabled
    finally:
        stop_training(other)
