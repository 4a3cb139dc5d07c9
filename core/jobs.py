"""A training run as a background task: the Train page's run trains on its own thread.

:class:`TrainingJob` is a :class:`core.tasks.BackgroundTask` whose work is one
:class:`core.train.TrainingRun`: it waits for a slot, trains, gives the slot back and
measures the test accuracy. The thread, the slot queue and the watchdog are in
:mod:`core.tasks`; their names are also importable from here.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from core.i18n import Msg
from core.metrics import evaluate_split
from core.run_state import RunStatus
from core.tasks import (
    WATCHDOG,
    BackgroundTask,
    Refused,
    RunSlots,
    Watchdog,
    new_ticket,
    usable_cores,
)
from core.train import TrainingRun

__all__ = ["DEFAULT_MAX_RUN_EXAMPLES", "WATCHDOG", "Refused", "RunScore", "RunSlots",
           "TrainingJob", "Watchdog", "new_ticket", "usable_cores"]

# How much one run may train, in training images seen (epochs x training images), unless
# the server's admin sets MAX_RUN_EXAMPLES: 25 million is 500 epochs of MNIST's 50,000
# training images (the tutorial's run is 200), a few minutes alone on a core. A run of
# 10,000 epochs would hold a training slot for hours.
DEFAULT_MAX_RUN_EXAMPLES = 25_000_000


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

    ``max_examples`` bounds the run's epochs x training images (None: no bound):
    :meth:`start` and :meth:`extend` refuse more with :class:`core.tasks.Refused`.
    ``client`` is whose turn it is in the slot queue (see :class:`core.tasks.RunSlots`).
    """

    kind = "train"

    def __init__(self, run: TrainingRun, slots: RunSlots,
                 owner_alive: Callable[[], bool] | None = None, client: str | None = None,
                 max_examples: int | None = None):
        super().__init__(slots, owner_alive, client)
        self.run = run
        self.max_examples = max_examples
        self.score: RunScore | None = None  # filled in when training ends
        self.abandoned = False  # paused because nobody watched: goes on when they come back
        run.on_hold = self._release_slot  # a paused run does not keep a slot from others
        run.on_unhold = self._wait_for_slot

    @property
    def test_accuracy(self) -> float | None:
        return None if self.score is None else self.score.accuracy

    def check_size(self, epochs: int | None = None) -> None:
        """:class:`Refused` if ``epochs`` (default: the run's target) x the training images
        is more than :attr:`max_examples`."""
        epochs = self.run.target_epochs if epochs is None else int(epochs)
        n = len(self.run.data.y_train)
        if self.max_examples is None or epochs * n <= self.max_examples:
            return
        raise Refused(Msg(
            "Not started: {epochs:,} epochs of {n:,} training images is more training than "
            "this server allows for one run ({limit:,} images in all, at most {most:,} "
            "epochs here). Choose fewer epochs.", epochs=epochs, n=n,
            limit=self.max_examples, most=self.max_examples // max(1, n)))

    def start(self) -> None:
        """Queue the run (see :meth:`core.tasks.BackgroundTask.start`); :class:`Refused`
        if it is larger than :attr:`max_examples` allows or its client has no place left."""
        if not self.alive:
            self.check_size()
        super().start()

    def extend(self, more_epochs: int) -> None:
        """Train ``more_epochs`` more epochs, continuing from where the run is;
        :class:`Refused` (the run unchanged) if that makes it too large or its client has
        no place left in the queue."""
        self.check_size(self.run.epochs_done + int(more_epochs))
        if self.alive:
            self.run.extend(more_epochs)
            return
        self.slots.enter(self.ticket, self.client, self._cancel)  # Refused: run unchanged
        try:
            self.run.extend(more_epochs)
        except ValueError:
            self.slots.leave(self.ticket)
            raise
        self.start()

    def abandon(self) -> None:
        """Nobody has watched this run for a while (every tab of its browser closed): pause
        it, so that its slot goes to someone else, until :meth:`reclaim`."""
        if self.alive and self.run.status is not RunStatus.PAUSED:
            self.abandoned = True
            self.run.pause()  # a queued run pauses as soon as it gets its turn
            self.run.message = Msg("Paused while nobody was watching it (the page was closed); "
                                   "it goes on when you come back.")

    def reclaim(self) -> None:
        """Its owner is back (a page of its browser opened again): a run :meth:`abandon`
        paused goes on, watched again."""
        if not self.abandoned:
            return
        self.abandoned = False
        if self.alive:
            self.run.resume()
            self.run.message = ""
            if self.owner_alive is not None:
                WATCHDOG.watch(self)

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
        test = evaluate_split(self.run.model, data)
        self.score = RunScore(self.run.epochs_done, test.accuracy, test.loss)

    def _interrupt(self, reason: str) -> None:
        self.run.stop(reason)

    def _failed(self, error: str) -> None:
        self.run.status = RunStatus.STOPPED
        self.run.message = f"Training failed: {error}"
