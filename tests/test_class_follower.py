"""Sharing a student's runs with their class (core.classroom.follower), without Streamlit.

Real runs (TrainingJob on a slice of the bundled MNIST: 2,000 training, 500 validation and
1,000 test images, batches of 100) and a real SQLite class database in tmp_path. Every
scoring of the test set is counted by wrapping ``evaluate`` where the job and the follower
call it.
"""

from __future__ import annotations

import time

import pytest

import core.classroom.follower as follower
import core.jobs
from core.classroom import Challenge, ClassroomStore, Condition, Limits, SharedRun
from core.classroom.follower import Sharing, follow, needs_follower, start_follower
from core.config import TrainConfig
from core.data import Dataset
from core.i18n import Msg
from core.jobs import TrainingJob
from core.metrics import evaluate, evaluate_split
from core.run_state import RunStatus
from core.tasks import RunSlots
from core.train import TrainingRun

WAIT = 120.0  # seconds: a bound for what should take about one, on a loaded machine


def _wait_for(condition, what: str, timeout: float = WAIT) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.02)


@pytest.fixture(scope="module")
def small(mnist) -> Dataset:
    """A slice of the real MNIST, so a run trains in a fraction of a second."""
    return Dataset(mnist.name, mnist.class_names, mnist.x_train[:2000], mnist.y_train[:2000],
                   mnist.x_valid[:500], mnist.y_valid[:500], mnist.x_test[:1000],
                   mnist.y_test[:1000])


@pytest.fixture
def classes(tmp_path):
    """A class store on a fresh SQLite file; ``classes(limits=...)`` for smaller bounds."""
    made = []

    def make(**limits) -> ClassroomStore:
        store = ClassroomStore(f"sqlite:///{tmp_path / 'classes.sqlite3'}",
                               limits=Limits(**limits))
        made.append(store)
        return store

    yield make
    for store in made:
        store.dispose()


@pytest.fixture
def scorings(monkeypatch, small) -> list[int]:
    """Every scoring of the test set, by the job or by the follower: how many images."""
    calls: list[int] = []

    def counting(model, data, split="test"):
        if data is small and split == "test":
            calls.append(len(data.labels("test")))
        return evaluate_split(model, data, split)

    monkeypatch.setattr(core.jobs, "evaluate_split", counting)
    monkeypatch.setattr(follower, "evaluate_split", counting)
    return calls


def _job(data: Dataset, epochs: int = 2) -> TrainingJob:
    return TrainingJob(TrainingRun(data, TrainConfig(epochs=epochs, batch_size=100)),
                       RunSlots(capacity=1))


def _in_class(store: ClassroomStore, share: bool = True):
    """A new class with one student, "ana", and her Sharing (joined now)."""
    new = store.create_class()
    return new, Sharing(student=store.join(new.code, "ana"), share=share)


def _trained(job: TrainingJob) -> TrainingJob:
    job.start()
    job.join(WAIT)
    assert not job.alive and job.run.status is RunStatus.FINISHED
    return job


def _share(sharing: Sharing, job: TrainingJob, store: ClassroomStore) -> None:
    """What a page run does: start a follower if one is needed, and wait for it to end."""
    assert needs_follower(sharing, job)
    thread = start_follower(sharing, job, store, Msg("run {ticket}", ticket=job.ticket))
    thread.join(WAIT)
    assert not thread.is_alive()


def test_a_finished_run_is_shared_once_with_the_jobs_test_score(small, classes, scorings):
    store = classes()
    new, sharing = _in_class(store)
    store.set_challenge(new.code, new.teacher_key,
                        Challenge("", "", Condition("test_acc", ">=", 0.5)))
    job = _trained(_job(small))
    _share(sharing, job, store)

    [entry] = store.runs(new.code)
    run = entry.run
    assert entry.nickname == "ana" and run.epochs_done == 2 and run.epochs == 2
    assert (run.test_acc, run.test_loss) == (job.score.accuracy, job.score.loss)
    assert run.test_acc == evaluate(job.run.model, small.features("test"), small.y_test).accuracy
    assert scorings == [1000]  # by the job, when it ended; never again by the follower
    assert run.valid_acc == job.run.history[-1].valid_acc and run.batch_size == 100
    assert store.run_curves(new.code, run.run_id)["epoch"] == [1, 2]
    label = sharing.shared[(job.ticket, 2)]
    assert label == f"run {job.ticket} (2 epochs, test {run.test_acc:.1%}, meets the challenge)"
    assert sharing.error is None and not sharing.skipped

    assert not needs_follower(sharing, job)  # shared: the next page runs leave it
    follow(sharing, job, store, "run")  # even a follower started anyway shares nothing
    assert len(store.runs(new.code)) == 1 and scorings == [1000]


def test_a_continued_run_is_shared_again_at_its_new_length(small, classes, scorings):
    store = classes()
    new, sharing = _in_class(store)
    job = _trained(_job(small))
    _share(sharing, job, store)
    job.extend(1)
    _share(sharing, job, store)  # alive again: it needs a follower
    job.join(WAIT)

    first, second = (e.run for e in store.runs(new.code))
    assert (first.epochs_done, second.epochs_done) == (2, 3) and first.run_id != second.run_id
    assert second.test_acc == job.score.accuracy and job.score.epochs_done == 3
    assert store.run_curves(new.code, second.run_id)["epoch"] == [1, 2, 3]
    assert set(sharing.shared) == {(job.ticket, 2), (job.ticket, 3)}
    assert scorings == [1000, 1000]  # once per length
    assert not needs_follower(sharing, job)


def test_training_now_while_the_run_trains_and_not_after(small, classes):
    store = classes()
    new, sharing = _in_class(store)
    job = _job(small)
    job.run.pause()  # held before its first batch: it trains, but stays
    job.start()
    assert needs_follower(sharing, job)
    thread = start_follower(sharing, job, store, "run")
    assert not needs_follower(sharing, job)  # followed already
    _wait_for(lambda: store.board(new.code).training_now == 1, "the heartbeat")
    assert store.runs(new.code) == []
    job.run.resume()
    thread.join(WAIT)
    assert store.board(new.code).training_now == 0 and len(store.runs(new.code)) == 1


def test_a_run_ended_while_sharing_is_off_is_skipped(small, classes, scorings):
    store = classes()
    new, sharing = _in_class(store, share=False)
    job = _trained(_job(small))
    _share(sharing, job, store)
    assert store.runs(new.code) == [] and not sharing.shared
    assert sharing.skipped == {(job.ticket, 2)} and not needs_follower(sharing, job)
    assert scorings == [1000]


def test_a_run_that_ended_before_the_student_joined_is_not_shared(small, classes):
    store = classes()
    job = _trained(_job(small))
    new, sharing = _in_class(store)
    assert not needs_follower(sharing, job)


def _close(store, new):
    store.close_class(new.code, new.teacher_key)


def _use_the_quota(store, new):
    ana = store.join(new.code, "ana")
    store.share_run(ana, SharedRun("earlier", "mnist", "none", 0.1, 1e-4, 100, 2, 34, 2))


def _remove(store, new):
    store.remove_student(new.code, new.teacher_key, "ana")


@pytest.mark.parametrize("refusal, says", [(_close, "closed"), (_use_the_quota, "shared 1 runs"),
                                          (_remove, "no longer in class")],
                         ids=["class closed", "quota used", "student removed"])
def test_a_run_refused_for_good_is_not_retried(small, classes, refusal, says):
    store = classes(runs_per_student=1)
    new, sharing = _in_class(store)
    job = _trained(_job(small))
    refusal(store, new)
    before = store.runs(new.code)
    _share(sharing, job, store)

    assert says in sharing.error
    assert sharing.skipped == {(job.ticket, 2)} and not sharing.shared
    assert not needs_follower(sharing, job)  # never asked again
    assert store.runs(new.code) == before


def test_an_unavailable_database_is_retried(small, classes, tmp_path, scorings):
    store = classes()
    new, sharing = _in_class(store)
    job = _trained(_job(small))
    blocked = tmp_path / "file"
    blocked.write_text("not a folder")
    down = ClassroomStore(f"sqlite:///{blocked}/sub/classes.sqlite3")
    try:
        _share(sharing, job, down)
    finally:
        down.dispose()
    assert sharing.error and not sharing.shared and not sharing.skipped
    assert needs_follower(sharing, job)  # the next page run tries again

    _share(sharing, job, store)  # the database is back
    assert [e.run.epochs_done for e in store.runs(new.code)] == [2]
    assert sharing.error is None and list(sharing.shared) == [(job.ticket, 2)]
    assert scorings == [1000]


def test_a_run_whose_training_failed_is_scored_by_the_follower_once(small, classes, scorings,
                                                                     monkeypatch):
    store = classes()
    new, sharing = _in_class(store)
    job = _job(small, epochs=3)
    run = job.run

    def one_epoch_then_fail():
        next(run.iter_epochs())
        raise MemoryError("no room")

    monkeypatch.setattr(run, "run", one_epoch_then_fail)
    job.start()
    job.join(WAIT)
    assert job.error == "MemoryError: no room" and job.score is None and run.epochs_done == 1
    _share(sharing, job, store)

    [entry] = store.runs(new.code)
    expected = evaluate(run.model, small.features("test"), small.y_test)
    assert entry.run.epochs_done == 1 and entry.run.test_acc == expected.accuracy
    assert scorings == [1000]  # the job could not: the follower did, once
