"""A training run as a background task: the Train page's run trains on its own thread.

:class:`TrainingJob` is a :class:`core.tasks.BackgroundTask` whose work is one
:class:`core.train.TrainingRun`: it waits for a slot, trains, gives the slot back and
measures the test accuracy. The thread, the slot queue and the watchdog are in
:mod:`core.tasks`; their names are also importable from here.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from core.metrics import evaluate
from core.tasks import WATCHDOG, BackgroundTask, RunSlots, Watchdog, new_ticket, usable_cores
from core.train import RunStatus, TrainingRun

__all__ = ["WATCHDOG", "RunScore", "RunSlots", "TrainingJob", "Watchdog", "new_ticket",
           "usable_cores"]


@dataclass(frozen=True)
class RunScore:
    """A run's model scored on the whole test set, once, when its training ended."""

    epochs_done: int  # how many epochs the run had trained when it was scored
    accuracy: float  # fraction of test images right
    loss: float  # mean cross-entropy on the test set


class TrainingJob(BackgroundTask):
    """A :class:`TrainingRun` trained on a daemon thread once a slot is free.

    The page calls :meth:`start` / :meth:`extend` / :meth:`stop` / the run's pause and
    resume, and reads ``run.history``, ``run.status``, :attr:`queued`, :meth:`ahead` and,
    once training ended, :attr:`test_accuracy` (:attr:`score` adds the loss and the run's
    length when scored: a continued run keeps its last score until it ends again). Nothing
    here touches the UI: the thread only updates the run. A job can be started again (by
    :meth:`extend`) after it ended.
    """

    kind = "train"

    def __init__(self, run: TrainingRun, slots: RunSlots,
                 owner_alive: Callable[[], bool] | None = None):
        super().__init__(slots, owner_alive)
        self.run = run
        self.score: RunScore | None = None  # filled in when training ends

    @property
    def test_accuracy(self) -> float | None:
        return None if self.score is None else self.score.accuracy

    def extend(self, more_epochs: int) -> None:
        """Train ``more_epochs`` more epochs, continuing from where the run is."""
        self.run.extend(more_epochs)
        if not self.alive:
            self.start()

    def _work(self) -> None:
        if not self._wait_for_slot():
            self.run.status = RunStatus.STOPPED
            self.run.message = "Stopped before it started (it was still queued)."
            return
        try:
            self.run.run()
        finally:
            self._release_slot()
        data = self.run.data
        test = evaluate(self.run.model, data.features("test"), data.y_test)
        self.score = RunScore(self.run.epochs_done, test.accuracy, test.loss)

    def _interrupt(self, reason: str) -> None:
        self.run.stop(reason)

    def _failed(self, error: str) -> None:
        self.run.status = RunStatus.STOPPED
        self.run.message = f"Training failed: {error}"
