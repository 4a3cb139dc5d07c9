"""Sharing a student's runs with their class, from threads that never touch a page.

A student in a class trains runs (:class:`core.jobs.TrainingJob`); each run is followed by a
thread of its own (:func:`start_follower`) that:

1. while the run trains, tells the class "training now" every HEARTBEAT_SECONDS (the store
   counts a heartbeat for 60 s), and "no longer" once it ends;
2. when it ends, shares it (:func:`shared_run`: settings, final numbers, curves, and its
   score on the class's drawings, :func:`class_score`) unless the student turned sharing
   off, and names it in the student's list (:func:`share_label`).

A run continued for more epochs is a new run to share, at its new length: what was shared
or skipped is recorded by ``(ticket, epochs done)`` in :class:`Sharing`. The test set is
scored once per run: by the job, when its training ends (``job.score``); a shared run
reuses that figure.

Failures never reach a page directly: they go to ``Sharing.error``. A passing one (the
database unavailable, a write conflict) leaves the run to be followed again at the next
page run (:func:`needs_follower` says yes); a refusal for good (the class closed, the
student's quota used, the student removed, a bug) marks the run skipped, never retried.

The Streamlit glue (ui.classroom) keeps a :class:`Sharing` in the session and calls
:func:`needs_follower` and :func:`start_follower` for its runs on every page run.
"""

from __future__ import annotations

import threading
import time
import uuid
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING

from core.classroom.challenge import Challenge
from core.classroom.errors import ClassroomError, ClassroomUnavailable, Conflict
from core.classroom.handwriting import HandScore, score_drawings, with_score
from core.classroom.shared import SharedRun
from core.i18n import Msg
from core.jobs import RunScore
from core.metrics import evaluate_split
from core.run_state import RunStatus

if TYPE_CHECKING:
    from core.classroom.store import ClassroomStore, Student
    from core.jobs import TrainingJob

HEARTBEAT_SECONDS = 20.0  # "training now" again this often (the store counts 60 s)
POLL_SECONDS = 2.0  # how often a run's follower looks at it
CURVES = ("train_loss", "train_acc", "valid_loss", "valid_acc", "learning_rate", "l2")


@dataclass(kw_only=True)
class Sharing:
    """A student's sharing with their class, kept for the session and updated by followers.

    ``student``: who shares (None: a teacher, who shares nothing). ``share``: the student's
    switch. ``token``: this session's part of every run id it shares. ``joined_at``
    (time.perf_counter): runs that ended before it are not shared. ``shared`` maps
    (ticket, epochs done) to the run's label, ``skipped`` holds the keys not shared for good
    (sharing off, refused), ``followers`` maps a ticket to its thread, ``error`` is the last
    failure of a follower (plain text or a core.i18n.Msg).
    """

    student: Student | None = None
    share: bool = True
    token: str = field(default_factory=lambda: uuid.uuid4().hex[:20])
    joined_at: float = field(default_factory=time.perf_counter)
    shared: dict = field(default_factory=dict)  # (ticket, epochs) -> label
    skipped: set = field(default_factory=set)  # {(ticket, epochs)}
    followers: dict = field(default_factory=dict)  # ticket -> Thread
    error: str | None = None


def error_message(exc: Exception) -> str:
    """An error's message for a page, still translatable (a core.i18n.Msg) when raised so."""
    return exc.args[0] if exc.args and isinstance(exc.args[0], str) else str(exc)


def score_on_test(job: TrainingJob) -> RunScore:
    """The run's score on the test set at its current length: the job's own, measured when
    its training ended. Scored here only when the job has none for that length (its
    training failed before it could score)."""
    run = job.run
    score = job.score
    if score is not None and score.epochs_done == run.epochs_done:
        return score
    test = evaluate_split(run.model, run.data)
    return RunScore(run.epochs_done, test.accuracy, test.loss)


def shared_run(sharing: Sharing, job: TrainingJob) -> SharedRun:
    """A run as the class sees it: settings, data, final numbers, diverged?, curves.
    Its id, ``token-ticket-epochs``, makes sharing the same run at the same length again
    store nothing."""
    run = job.run
    last, data, c = run.history[-1], run.data, run.config
    test = score_on_test(job)
    curves = {name: [getattr(m, name) for m in run.history] for name in CURVES}
    curves["epoch"] = [m.epoch for m in run.history]
    return SharedRun(
        run_id=f"{sharing.token}-{job.ticket}-{run.epochs_done}", dataset=data.name,
        preprocessing=data.preprocessing, learning_rate=run.learning_rate, l2=run.l2,
        batch_size=c.batch_size, epochs=run.target_epochs, seed=c.seed,
        epochs_done=run.epochs_done, train_acc=last.train_acc, valid_acc=last.valid_acc,
        test_acc=test.accuracy, train_loss=last.train_loss, valid_loss=last.valid_loss,
        test_loss=test.loss, diverged=run.status is RunStatus.DIVERGED, curves=curves)


def class_score(classes: ClassroomStore, sharing: Sharing, job: TrainingJob) -> HandScore | None:
    """The run's model on the class's drawings as they are now (core.classroom.handwriting:
    shared with the run, since the board never sees its weights); None for a run not on
    digits, without drawings, or when the drawings cannot be read (the run is shared all
    the same)."""
    if not job.run.data.is_digits:
        return None
    try:
        drawings = classes.drawings(sharing.student.code)
    except ClassroomError:
        return None
    return score_drawings(job.run.model, drawings.images, drawings.labels)


def share_label(name: str, run: SharedRun, challenge: Challenge | None) -> str:
    """A shared run in the student's list, e.g. "run 3 (20 epochs, test 92.4%, meets the
    challenge)" (a Msg, translated where shown); ``name`` is the run's name ("run 3")."""
    acc = "" if run.test_acc is None else Msg(", test {acc:.1%}", acc=run.test_acc)
    met = challenge is not None and challenge.is_met(run)
    return Msg("{run} ({epochs} epochs{acc}{diverged}{met})", run=name,
               epochs=run.epochs_done, acc=acc,
               diverged=Msg(", diverged") if run.diverged else "",
               met=Msg(", meets the challenge") if met else "")


def _beat_while_training(sharing: Sharing, job: TrainingJob, classes: ClassroomStore) -> None:
    """Wait for the run to end, saying "training now" every HEARTBEAT_SECONDS while it trains
    (not while it waits in the queue), and "no longer" at the end if it ever said so."""
    beat_at = None
    while job.alive:
        if not job.queued and (beat_at is None
                               or time.monotonic() - beat_at > HEARTBEAT_SECONDS):
            classes.set_training(sharing.student, True)
            beat_at = time.monotonic()
        job.join(POLL_SECONDS)
    if beat_at is not None:
        classes.set_training(sharing.student, False)


def _share_ended(sharing: Sharing, job: TrainingJob, classes: ClassroomStore,
                 name: str) -> None:
    """Share the ended run at its length, once; skip it while sharing is off."""
    key = (job.ticket, job.run.epochs_done)
    if not job.run.history or key in sharing.shared:
        return
    if not sharing.share:
        sharing.skipped.add(key)
        return
    run = shared_run(sharing, job)
    run = replace(run, curves=with_score(run.curves, class_score(classes, sharing, job)))
    classes.share_run(sharing.student, run)
    challenge = classes.class_info(sharing.student.code).challenge
    sharing.shared[key] = share_label(name, run, challenge)
    sharing.error = None


def follow(sharing: Sharing, job: TrainingJob, classes: ClassroomStore, name: str) -> None:
    """A follower thread's work (see the module's docstring): heartbeats while the run
    trains, then share it. Never raises: failures go to ``sharing.error``."""
    try:
        _beat_while_training(sharing, job, classes)
        _share_ended(sharing, job, classes, name)
    except (ClassroomUnavailable, Conflict) as exc:  # passing: the next page run tries again
        sharing.error = error_message(exc)
    except Exception as exc:  # closed, full, removed from the class, a bug: never again
        sharing.skipped.add((job.ticket, job.run.epochs_done))
        sharing.error = error_message(exc) if isinstance(exc, ClassroomError) else \
            f"{type(exc).__name__}: {exc}"


def needs_follower(sharing: Sharing, job: TrainingJob) -> bool:
    """A run that trains now, or ended after the student joined and was neither shared nor
    skipped at its current length, and nobody follows it."""
    key = (job.ticket, job.run.epochs_done)
    follower = sharing.followers.get(job.ticket)
    if follower is not None and follower.is_alive():
        return False
    if job.alive:
        return True
    ended_in_class = job.ended_at is not None and job.ended_at > sharing.joined_at
    return (ended_in_class and bool(job.run.history) and key not in sharing.shared
            and key not in sharing.skipped)


def start_follower(sharing: Sharing, job: TrainingJob, classes: ClassroomStore,
                   name: str) -> threading.Thread:
    """Follow ``job`` on a daemon thread (see :func:`follow`); ``name`` is the run's name
    in the student's list. Call it only when :func:`needs_follower` says so."""
    thread = threading.Thread(target=follow, args=(sharing, job, classes, name),
                              name=f"class-follow-{job.ticket}", daemon=True)
    sharing.followers[job.ticket] = thread
    thread.start()
    return thread
