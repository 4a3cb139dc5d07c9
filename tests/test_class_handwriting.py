"""Issue 21, items 17 and 18: each shared run scored on the class's handwriting (at share
time, kept in its curves), the board's column and best, and the teacher's CSV files (BOM,
UTC in the header, curves in a long file of their own). Real runs on a slice of MNIST,
real drawings (MNIST test digits as the class's), a real SQLite class database."""

from __future__ import annotations

import csv
import io
import time

import numpy as np
import pytest

from core.class_board import board_rows
from core.class_scores import HandwritingScores, best_on_handwriting, class_curves_csv
from core.classroom import ClassroomStore, RunEntry, SharedRun
from core.classroom.export import runs_csv
from core.classroom.follower import Sharing, needs_follower, start_follower
from core.classroom.handwriting import HandScore, handwriting_score, score_drawings, with_score
from core.config import TrainConfig
from core.data import Dataset
from core.i18n import Msg
from core.jobs import TrainingJob
from core.tasks import RunSlots
from core.train import TrainingRun

WAIT = 120.0


@pytest.fixture(scope="module")
def small(mnist) -> Dataset:
    return Dataset(mnist.name, mnist.class_names, mnist.x_train[:2000], mnist.y_train[:2000],
                   mnist.x_valid[:500], mnist.y_valid[:500], mnist.x_test[:1000],
                   mnist.y_test[:1000])


@pytest.fixture
def store(tmp_path):
    s = ClassroomStore(f"sqlite:///{tmp_path / 'classes.sqlite3'}")
    yield s
    s.dispose()


def _add_drawings(store: ClassroomStore, student, mnist, n: int) -> None:
    """``n`` MNIST test digits as the class's drawings (labels as MNIST gives them)."""
    raw = np.zeros((56, 56), np.uint8)
    for i in range(n):
        image = mnist.x_test[-1 - i]
        store.add_drawing(student, image, raw + i, int(mnist.y_test[-1 - i]),
                          drawing_id=f"d{i}")


def _share_a_trained_run(store: ClassroomStore, sharing: Sharing, data: Dataset) -> TrainingJob:
    job = TrainingJob(TrainingRun(data, TrainConfig(epochs=2, batch_size=100)),
                      RunSlots(capacity=1))
    job.start()
    job.join(WAIT)
    assert needs_follower(sharing, job)
    thread = start_follower(sharing, job, store, Msg("run {ticket}", ticket=job.ticket))
    thread.join(WAIT)
    assert not thread.is_alive() and sharing.error is None
    return job


def test_a_shared_run_carries_its_score_on_the_class_handwriting(store, small, mnist):
    new = store.create_class()
    ana = store.join(new.code, "ana")
    _add_drawings(store, ana, mnist, 30)
    sharing = Sharing(student=ana, joined_at=time.perf_counter() - 1)
    job = _share_a_trained_run(store, sharing, small)

    [entry] = store.runs(new.code)
    score = handwriting_score(store.run_curves(new.code, entry.run.run_id))
    drawings = store.drawings(new.code)
    expected = np.mean(job.run.model.predict(drawings.images / 255.0) == drawings.labels)
    assert score == HandScore(pytest.approx(expected), 30)
    assert 0.5 < score.accuracy <= 1  # a trained model reads MNIST digits

    scores = HandwritingScores().scores(store, new.code, [entry])
    rows = board_rows([entry], None, scores)
    assert rows[0]["handwriting"] == pytest.approx(expected)
    assert best_on_handwriting([entry], scores)[1].n == 30


def test_a_run_shared_before_any_drawing_has_no_score(store, small):
    new = store.create_class()
    sharing = Sharing(student=store.join(new.code, "bo"), joined_at=time.perf_counter() - 1)
    _share_a_trained_run(store, sharing, small)
    [entry] = store.runs(new.code)
    assert handwriting_score(store.run_curves(new.code, entry.run.run_id)) is None
    assert board_rows([entry], None, {})[0]["handwriting"] is None


def test_scores_read_each_run_once_and_stay_bounded(store):
    new = store.create_class()
    ana = store.join(new.code, "ana")
    for i in range(5):
        curves = with_score({"valid_acc": [0.8, 0.9]}, HandScore(0.5 + i / 10, 20))
        store.share_run(ana, _run(f"r{i}", curves))
    entries = store.runs(new.code)
    reads = []
    original = store.run_curves
    store.run_curves = lambda code, run_id: reads.append(run_id) or original(code, run_id)
    cache = HandwritingScores(kept=3)
    first = cache.scores(store, new.code, entries)
    assert [first[e.run.run_id].accuracy for e in entries] == pytest.approx([.5, .6, .7, .8, .9])
    assert len(reads) == 5 and len(cache) == 3  # bounded: the oldest forgotten
    cache.scores(store, new.code, entries[-3:])
    assert len(reads) == 5  # the three it keeps are not read again
    assert best_on_handwriting(entries, first)[0].run.run_id == "r4"


@pytest.mark.parametrize("curves", [
    {"class_acc": [None, 1.5], "class_n": [None, 3]}, {"class_acc": [0.5], "class_n": [0]},
    {"class_acc": ["x"], "class_n": [2]}, {}, None])
def test_a_malformed_score_is_no_score(curves):
    assert handwriting_score(curves) is None


def test_score_drawings_without_drawings_is_no_score(trained_run, mnist):
    assert score_drawings(trained_run.model, mnist.x_test[:0], mnist.y_test[:0]) is None
    ok = score_drawings(trained_run.model, mnist.x_test[:100], mnist.y_test[:100])
    assert ok.n == 100 and ok.accuracy > 0.8


def _run(run_id: str, curves: dict, **kw) -> SharedRun:
    return SharedRun(run_id, "mnist", "none", 0.1, 1e-4, 100, 2, 34, 2, test_acc=0.9,
                     curves=curves, **kw)


# ------------------------------------------------------------------ item 18: the CSV files


def _read(text: str) -> list[dict]:
    """A CSV as Excel reads a UTF-8 file with a byte order mark: the mark is not data."""
    assert text.startswith("\ufeff")
    data = text.encode("utf-8")
    assert data.startswith(b"\xef\xbb\xbf")
    return list(csv.DictReader(io.StringIO(data.decode("utf-8-sig"))))


def test_the_runs_csv_has_a_bom_utc_times_and_no_curves(store):
    new = store.create_class()
    taro = store.join(new.code, "たろう")
    store.share_run(taro, _run("r1", with_score({"valid_acc": [0.8, 0.9]}, HandScore(0.75, 8))))
    export = store.export_csv(new.code, new.teacher_key)
    [row] = _read(export.runs_csv)
    assert row["nickname"] == "たろう"
    assert row["shared_at_utc"].endswith("Z") and "shared_at" not in row
    assert "curves" not in row and "valid_acc" in row
    assert (row["handwriting_acc"], row["handwriting_n"]) == ("0.75", "8")
    assert _read(export.drawings_csv) == []


def test_the_curves_csv_is_long_one_row_per_run_epoch_and_metric(store):
    new = store.create_class()
    taro, bo = store.join(new.code, "たろう"), store.join(new.code, "=bo")
    store.share_run(taro, _run("r1", with_score({"valid_acc": [0.8, 0.9],
                                                  "train_loss": [0.6, None]},
                                                 HandScore(0.75, 8))))
    store.share_run(bo, _run("r2", {"valid_acc": [0.7, 0.85]}))
    rows = _read(class_curves_csv(store, new.code, new.teacher_key))
    assert list(rows[0]) == ["nickname", "run_id", "epoch", "metric", "value"]
    got = {(r["nickname"], r["run_id"], r["epoch"], r["metric"]): r["value"] for r in rows}
    assert got == {("たろう", "r1", "1", "valid_acc"): "0.8",
                   ("たろう", "r1", "2", "valid_acc"): "0.9",
                   ("たろう", "r1", "1", "train_loss"): "0.6",
                   ("'=bo", "r2", "1", "valid_acc"): "0.7",
                   ("'=bo", "r2", "2", "valid_acc"): "0.85"}
    from core.classroom import WrongTeacherKey

    with pytest.raises(WrongTeacherKey):
        class_curves_csv(store, new.code, "wrong-key-000000")


def test_runs_csv_without_scores_leaves_the_cells_empty():
    entry = RunEntry("ana", 0.0, _run("r", {}))
    [row] = _read(runs_csv([(entry, '{"epoch":[1,2]}')], None))
    assert row["handwriting_acc"] == row["handwriting_n"] == row["meets_challenge"] == ""
    assert row["shared_at_utc"] == "1970-01-01T00:00:00Z"
