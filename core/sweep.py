"""A hyperparameter sweep: train one setting at several values, briefly, one after another.

Over- and under-fitting are easiest to see side by side. A sweep trains the same model a
few times, changing only one setting (lambda, the L2 penalty, or the learning rate) and
keeping everything else fixed, including the seed: every point starts from the same
initial weights and sees the batches in the same order, so any difference between two
points is caused by the setting alone. For each point it records

- the accuracy on the *whole* training set, the validation set and the test set, all
  measured with the final weights (not the running average over the epoch's batches that
  the Train page's curves show: that one mixes weights from the start and the end of the
  epoch, and would make a small learning rate look worse than it is);
- the size of the weights, ||W|| (the Frobenius norm: the square root of the sum of all
  n_features x n_classes squared weights, 784 x 10 on MNIST), which is exactly what lambda
  pushes down.

Every point trains and is scored on the sweep's ``data`` as it is given: for a sweep of
deskewed digits, the dataset's deskewed copy (:meth:`core.data.Dataset.prepared`), and each
point's model then records that it expects deskewed input.

This module is the worker; :mod:`core.sweep_report` draws the figure, the table and the
sentences that read the results.

Limits. A sweep is a :class:`core.tasks.BackgroundTask` like every run of the Train page:
it trains its points one after another on a single worker thread, and before *each* point
it waits for a slot in the same :class:`core.tasks.RunSlots` queue, gives the slot back
after the point, and queues again for the next one. So a sweep never holds more than one
slot, and someone who pressed Start on the Train page while a long sweep is going gets
their turn between two points. A sweep whose browser tab was closed is stopped by the same
:data:`core.tasks.WATCHDOG` as any training job.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, fields, replace

import numpy as np

from core.config import TrainConfig
from core.data import Dataset
from core.i18n import Msg
from core.metrics import split_accuracy
from core.model import SoftmaxWeights
from core.run_state import RunStatus
from core.tasks import BackgroundTask, RunSlots
from core.train import TrainingRun

PARAMETERS = {"l2": Msg("lambda"), "learning_rate": Msg("learning rate")}  # field -> name
DEFAULT_VALUES = {
    "l2": [0.0, 1e-5, 1e-4, 1e-3, 1e-2, 0.1, 1.0],
    "learning_rate": [0.001, 0.01, 0.1, 1.0, 5.0],
}
DEFAULT_EPOCHS = 5  # "briefly": long enough to separate the values, short enough to wait for
MAX_EPOCHS_PER_POINT = 50  # the page's limit: a sweep is meant to be brief


def default_values(parameter: str) -> list[float]:
    """A sensible handful of values to sweep, one per decade or so.

    Lambda: 0 (no penalty), then 1e-5 ... 1, from "makes no difference" to "crushes the
    weights". Learning rate: 0.001 (too timid for a few epochs) ... 5 (steps that overshoot).
    """
    check_parameter(parameter)
    return list(DEFAULT_VALUES[parameter])


def format_value(value: float) -> str:
    """A swept value as the Train page's sliders print it: 0, 1e-05, 0.001, 0.1, 1."""
    return f"{value:g}"


def check_parameter(parameter: str) -> None:
    """Raise ValueError unless ``parameter`` is one of :data:`PARAMETERS`."""
    if parameter not in PARAMETERS:
        raise ValueError(f"parameter must be one of {', '.join(PARAMETERS)}, not {parameter!r}")


@dataclass(frozen=True)
class SweepPoint:
    """The outcome of training at one value.

    ``status`` is ``RunStatus.FINISHED`` or ``RunStatus.DIVERGED``. A diverged point has
    no accuracies and no weight norm (``None``): its weights blew up, and the numbers of the
    weights it was rolled back to would describe a model that was never trained. They are
    never NaN, so a table or a chart can show them as a gap. ``model`` keeps a finished
    point's final weights (about 31 KB), e.g. to check the scores or to look at them.
    """

    value: float
    status: RunStatus
    train_acc: float | None
    valid_acc: float | None
    test_acc: float | None
    weight_norm: float | None
    epochs: int  # epochs actually trained
    seconds: float  # wall time of training and scoring, without the wait in the queue
    message: str = ""  # why it diverged
    model: SoftmaxWeights | None = field(default=None, repr=False, compare=False)

    @property
    def finished(self) -> bool:
        return self.status is RunStatus.FINISHED

    def to_dict(self) -> dict:
        """The numbers (not the model), e.g. for a table or JSON."""
        d = {f.name: getattr(self, f.name) for f in fields(self) if f.name != "model"}
        return {**d, "status": self.status.value}


@dataclass(frozen=True)
class Pace:
    """How fast a sweep point trained on this server: ``epoch`` seconds per epoch, plus
    ``overhead`` seconds per point for the rest (making the run, scoring all three sets)."""

    epoch: float
    overhead: float

    def seconds(self, points: int, epochs: int) -> float:
        """The time ``points`` points of ``epochs`` epochs each would take at this pace
        (without any wait for a slot)."""
        return points * (epochs * self.epoch + self.overhead)


_paces: dict[tuple[str, int], Pace] = {}  # (dataset name, batch size) -> the latest pace


def recorded_pace(data: Dataset, batch_size: int) -> Pace | None:
    """The pace of the latest sweep point trained on ``data`` with batches of ``batch_size``
    in this server process; None if there has been none yet."""
    return _paces.get((data.name, batch_size))


class Sweep(BackgroundTask):
    """Train ``values`` of one ``parameter`` ("l2" or "learning_rate") one after another on
    a daemon thread, each from the same ``base`` config, and collect a :class:`SweepPoint`
    per value in :attr:`results`.

    The page calls :meth:`start` and :meth:`cancel`, and reads :attr:`results`,
    :attr:`points_done`, :attr:`total`, :attr:`current_value`, :attr:`current_run`,
    :attr:`queued`, :meth:`ahead`, :attr:`progress`, :meth:`describe`, :attr:`cancelled`,
    :attr:`message`, :attr:`finished`, :attr:`seconds` and :attr:`error`. Nothing here
    touches a UI. A sweep runs once: :meth:`start` after it ended does nothing.

    The points run without the Train page's coach (which pauses a run whose validation loss
    keeps rising and waits for a click that would never come) and in increasing order of
    the value.
    """

    kind = "sweep"
    runs_once = True

    def __init__(self, parameter: str, values: Sequence[float], data: Dataset, slots: RunSlots,
                 base: TrainConfig | None = None,
                 owner_alive: Callable[[], bool] | None = None, client: str | None = None):
        check_parameter(parameter)
        values = sorted({float(v) for v in values})
        if not values:
            raise ValueError("a sweep needs at least one value")
        base = base or TrainConfig(epochs=DEFAULT_EPOCHS)
        # Build every point's config now, so a bad value fails here and not halfway through.
        self.configs = [replace(base, **{parameter: v}) for v in values]
        base.check_fits(len(data.y_train))
        super().__init__(slots, owner_alive, client)
        self.parameter, self.name = parameter, PARAMETERS[parameter]
        self.values, self.base, self.data = values, base, data
        self.results: list[SweepPoint] = []  # appended by the worker; read a copy
        self.current_value: float | None = None
        self.current_run: TrainingRun | None = None
        self._current_index = -1  # which point current_run belongs to

    # ------------------------------------------------------------------ state for a UI

    @property
    def total(self) -> int:
        return len(self.values)

    @property
    def points_done(self) -> int:
        return len(self.results)

    @property
    def finished(self) -> bool:
        """Every point was trained (each finished or diverged)."""
        return len(self.results) == len(self.values)

    @property
    def message(self) -> Msg | str:
        """Why it was cancelled ("Cancelled: the browser tab ... was closed."), if it was."""
        if not self.cancelled:
            return ""
        return Msg("Cancelled{reason}.",
                   reason=Msg(": {why}", why=self.stop_reason) if self.stop_reason else "")

    @property
    def progress(self) -> float:
        """The fraction of the sweep's work done, 0..1, counting the current point's
        epochs and batches (every point trains the same number of epochs)."""
        done = float(len(self.results))
        run = self.current_run
        if self.alive and run is not None and self._current_index == len(self.results):
            epochs = run.epochs_done + (run.batches_done / run.n_batches if run.is_active else 0)
            done += min(1.0, epochs / max(1, run.target_epochs))
        return min(1.0, done / len(self.values))

    def describe(self) -> Msg:
        """One line on where the sweep is: "point 3 of 7: lambda = 0.001, epoch 2/5"."""
        value, run, done = self.current_value, self.current_run, len(self.results)
        if not self.alive or value is None or self._current_index != done:
            return Msg("{done} of {n} points done", done=done, n=len(self.values))
        where = Msg("point {i} of {n}: {name} = {value}", i=done + 1, n=len(self.values),
                    name=self.name, value=format_value(value))
        if self.queued:
            return Msg("{where}, waiting for a training slot", where=where)
        if run is None or run.status is RunStatus.READY:
            return Msg("{where}, epoch {epoch}/{total}", where=where, epoch=1,
                       total=self.base.epochs)
        if not run.is_active:  # trained; now measuring the accuracies
            return Msg("{where}, scoring", where=where)
        epoch = min(run.epochs_done + 1, run.target_epochs)
        return Msg("{where}, epoch {epoch}/{total}", where=where, epoch=epoch,
                   total=run.target_epochs)

    # ------------------------------------------------------------------ controls

    def cancel(self, reason: str = "") -> None:
        """Stop the current point after its current batch and skip the rest. The points
        already done stay in :attr:`results`; the interrupted one is dropped. (The same as
        :meth:`stop`, the name the watchdog calls.)"""
        self.stop(reason)

    def _interrupt(self, reason: str) -> None:
        run = self.current_run
        if run is not None:
            run.stop(reason)

    # ------------------------------------------------------------------ the worker

    def _work(self) -> None:
        try:
            for value, config in zip(self.values, self.configs, strict=True):
                if self.cancelled:
                    break
                point = self._train_point(value, config)
                if point is None:  # cancelled while queued or training
                    break
                self.results.append(point)
        finally:
            self.current_value = None

    def _train_point(self, value: float, config: TrainConfig) -> SweepPoint | None:
        """Wait for a slot, train one point, score it, give the slot back."""
        self.current_value, self.current_run = value, None
        self._current_index = self.values.index(value)
        if not self._wait_for_slot():
            return None
        try:
            started = time.perf_counter()
            run = TrainingRun(self.data, config)  # no coach: nobody would resume a pause
            self.current_run = run
            if self.cancelled:  # cancel() came before current_run was set
                return None
            run.run()
            if run.status is RunStatus.STOPPED:
                return None
            if run.status is RunStatus.DIVERGED:
                return SweepPoint(value, RunStatus.DIVERGED, None, None, None, None,
                                  run.epochs_done, time.perf_counter() - started, run.message)
            scores = self._score(run)
            seconds = time.perf_counter() - started
            self._record_pace(run, seconds)
            return SweepPoint(value, RunStatus.FINISHED, *scores, run.epochs_done, seconds,
                              model=run.model)
        finally:
            self._release_slot()

    def _score(self, run: TrainingRun) -> tuple[float, float, float, float]:
        """Accuracy of the final weights on all three sets, and ||W||."""
        d, model = self.data, run.model
        acc = [split_accuracy(model, d, split) for split in ("train", "valid", "test")]
        return (*acc, float(np.linalg.norm(model.W.astype(np.float64))))

    def _record_pace(self, run: TrainingRun, seconds: float) -> None:
        """Keep how long this point's epochs and the rest took, for the next estimate."""
        epochs = [m.seconds for m in run.history]
        if epochs:
            pace = Pace(sum(epochs) / len(epochs), max(0.0, seconds - sum(epochs)))
            _paces[(self.data.name, run.config.batch_size)] = pace
