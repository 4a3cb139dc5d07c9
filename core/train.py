"""Mini-batch SGD for softmax regression, as a run you can watch, pause, steer and stop.

One epoch shuffles the training examples (50,000 MNIST images) and walks through them in
batches of B. As in the tutorial, the shuffle permutes the order the previous epoch left, so
the permutations compose: epoch 3 trains in the order perm1[perm2][perm3]. For each batch
it does exactly the tutorial's step (see :mod:`core.model` for the maths):

    p     = softmax(x W + b)                 forward pass
    delta = p - onehot(y)                    error at the logits
    W    -= lr * (x^T delta / B + lambda W)  gradient step with L2 penalty
    b    -= lr * mean(delta)

:class:`core.sgd.SGD` owns the weights and computes that step, arranged for speed (float32
products on the uint8 images, float64 master weights: the tutorial keeps W in float32, and
over its 200 epochs both print the same lines). After each epoch the run scores the
validation set, keeps the weights (the latest, the best, a bounded history) and asks
:mod:`core.coach` whether it diverged, is rising (the dashboard's coach) or learns slowly.

With the same seed it draws from the tutorial's random stream in the tutorial's order
(NumPy's legacy ``np.random.seed``: the validation split's permutation, then W, then one
permutation of the training images per epoch), so it prints the tutorial's numbers.

Run it from the command line (:mod:`core.cli`)::

    python -m core.cli --epochs 20      # or python -m core.train --epochs 20
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import numpy as np

from core.coach import RISING_EPOCHS, divergence, rising, slow_hint
from core.config import SETTINGS, TrainConfig
from core.data import Dataset
from core.i18n import Msg
from core.model import LOG_CLIP, SoftmaxWeights
from core.run_control import RunControls
from core.run_state import EpochMetrics, RunStatus, SettingChange
from core.sgd import SGD
from core.snapshots import WeightHistory

# Steps run in blocks of about this many examples (20 steps at batch 100, about 2 ms), so a
# pause, a stop or a new learning rate takes effect within a few milliseconds while the
# compiled kernel is called once per block rather than once per step.
BLOCK_EXAMPLES = 2_000


@dataclass(frozen=True)
class KeptWeights:
    """The weights at the end of one epoch: the float32 model the pages show, and the
    float64 master copy training goes on from if the run is rolled back to it."""

    epoch: int
    model: SoftmaxWeights
    master_WT: np.ndarray  # (K, n_features) float64
    master_b: np.ndarray  # (K,) float64


def tutorial_stream(seed: int, n_examples: int) -> np.random.RandomState:
    """NumPy's legacy generator where the tutorial draws its weights from it.

    The tutorial calls ``np.random.seed(seed)``, then ``train_test_split`` draws one
    permutation of the ``n_examples`` training images (see :func:`core.data.split_validation`),
    then W is drawn, then one permutation of the training set per epoch. The split itself
    is always seed 34's, so runs with other seeds are scored on the same images.
    """
    rng = np.random.RandomState(seed)
    rng.permutation(n_examples)
    return rng


def _chunk_losses(z: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Each example's clipped cross-entropy (m,) and whether its true class scored highest
    (m,), from its logits z = x W + b (m, K), which are overwritten. With z's row maximum
    subtracted, -log p(y) = log sum_k exp(z_k) - z_y, clipped at -log(1e-10) as the
    tutorial's clipped log does."""
    rows = np.arange(len(y))
    hit = z.argmax(axis=1) == y
    z -= z.max(axis=1, keepdims=True)
    log_total = np.log(np.exp(z).sum(axis=1))
    return np.minimum(log_total - z[rows, y], -np.log(np.float32(LOG_CLIP))), hit


class Forwarded:
    """An attribute of a run that lives in one of its parts: ``Forwarded("sgd", float)``
    makes ``run.<name>`` read ``run.sgd.<name>`` and an assignment set it there, converted
    by ``float``; ``Forwarded("_best", field="epoch")`` reads ``run._best.epoch`` and cannot
    be assigned (AttributeError, as a read-only property). One descriptor in place of a
    property (and setter) for each of the learning rate, lambda and the kept epochs."""

    def __init__(self, part: str, convert: Callable | None = None, field: str | None = None,
                 doc: str | None = None) -> None:
        self.part, self.convert, self.field, self.__doc__ = part, convert, field, doc

    def __set_name__(self, owner: type, name: str) -> None:
        self.name = name
        self.field = self.field or name

    def __get__(self, run: object, owner: type | None = None):
        return self if run is None else getattr(getattr(run, self.part), self.field)

    def __set__(self, run: object, value) -> None:
        if self.convert is None:
            raise AttributeError(f"{self.name} cannot be set")
        setattr(getattr(run, self.part), self.field, self.convert(value))


class TrainingRun(RunControls):
    """One training run: a model, its config, its history, and controls for a UI.

    Call :meth:`run` (blocking; the dashboard calls it in a worker thread) or iterate
    :meth:`iter_epochs`. From another thread you may call :meth:`pause`, :meth:`resume`,
    :meth:`stop`, :meth:`set_learning_rate`, :meth:`set_l2` and :meth:`extend`; they take
    effect between batches. The run never prints. Read :attr:`history`, :attr:`status`,
    :attr:`message`, :attr:`batches_done`, :attr:`snapshot` (a copy of the model at the last
    finished epoch, safe to use while training goes on), :attr:`best` (the model of the epoch
    with the lowest validation loss) and :attr:`weights` (a bounded per-epoch weight history).
    :attr:`model` is the live model: its weights are those :attr:`sgd` trains, in place.

    With ``coach=True`` (the dashboard), a validation loss that rises for several epochs in
    a row pauses the run and rolls it back to its best epoch, with an explanation in
    :attr:`message`; without it (the command line) only a divergence stops a run.
    """

    def __init__(self, data: Dataset, config: TrainConfig | None = None,
                 model: SoftmaxWeights | None = None, coach: bool = False):
        self.config = config or TrainConfig()
        self.config.check_fits(len(data.y_train))
        self.data = data
        self.coach = coach
        self._rng = tutorial_stream(self.config.seed, len(data.y_train) + len(data.y_valid))
        if model is None:
            W, b = SoftmaxWeights.initial_weights(data.n_features, data.n_classes, self._rng)
            W, b = W.astype(np.float32), b.astype(np.float32)  # the tutorial's float32 start
        else:
            W, b = model.W, model.b
        self._from_scratch = model is None
        self.order = np.arange(len(data.y_train))  # the split's order, before any shuffle
        self.sgd = SGD(W, b, data.x_train, data.y_train, data.pixel_scale,
                       self.config.learning_rate, self.config.l2)
        self.model = SoftmaxWeights(  # W: a transposed view of sgd.WT
            self.sgd.WT.T, self.sgd.b, data.class_names,
            {**self.config.to_dict(), "dataset": data.name}, data.preprocessing)
        self.start_loss = self._validate()[0]
        self.history: list[EpochMetrics] = []
        self.changes: list[SettingChange] = []
        self.target_epochs = self.config.epochs
        self.n_batches = math.ceil(len(data.y_train) / self.config.batch_size)
        self._snapshot = self._best = self._keep(0)
        self.weights = WeightHistory()
        self.weights.add(0, self.model.W, self.model.b)
        RunControls.__init__(self)

    learning_rate = Forwarded("sgd", float, doc="The step size the next batch uses "
                              "(see :meth:`set_learning_rate`).")
    l2 = Forwarded("sgd", float, doc="Lambda, the L2 penalty the next batch uses "
                   "(see :meth:`set_l2`).")
    snapshot = Forwarded("_snapshot", field="model", doc="A copy of the model at the last "
                         "finished epoch, safe to read while training.")
    snapshot_epoch = Forwarded("_snapshot", field="epoch")
    best = Forwarded("_best", field="model",
                     doc="The model of the epoch with the lowest validation loss so far.")
    best_epoch = Forwarded("_best", field="epoch")

    @property
    def best_loss(self) -> float:
        """The lowest validation loss so far, counting the weights the run started from."""
        return self.history[self.best_epoch - 1].valid_loss if self.best_epoch else self.start_loss

    # ------------------------------------------------------------------ controls

    @property
    def epochs_done(self) -> int:
        return len(self.history)

    def set_learning_rate(self, lr: float) -> None:
        """Change the step size; the next batch uses it (recorded in :attr:`changes`)."""
        self.change("learning_rate", lr)

    def set_l2(self, l2: float) -> None:
        """Change lambda, the L2 penalty; the next batch uses it (recorded in :attr:`changes`)."""
        self.change("l2", l2)

    def change(self, setting: str, value: float) -> None:
        """Change a setting that may change mid-run (``core.config.SETTINGS[setting].live``:
        the learning rate or lambda), checked by the same rule as a new config; the next
        batch uses it, and :attr:`changes` records the point of the run it took effect at."""
        rule = SETTINGS[setting]
        if not rule.live:
            raise ValueError(f"{setting} cannot change while a run trains")
        value = rule.check(value)
        if value != getattr(self, setting):
            at = self.epochs_done + self.batches_done / self.n_batches
            self.changes.append(SettingChange(round(at, 4), setting, value))
        setattr(self, setting, value)

    def extend(self, more_epochs: int) -> None:
        """Train ``more_epochs`` more epochs from where the run is now (call :meth:`run`
        again if it had ended): a run stopped at epoch 3 of 200 and extended by 2 ends at 5."""
        if more_epochs < 1:
            raise ValueError("more_epochs must be at least 1")
        if self.status is RunStatus.DIVERGED:
            raise ValueError("this run diverged; lower the learning rate and start a new run")
        self.target_epochs = self.epochs_done + int(more_epochs)
        self._stop_requested = False

    def eta_seconds(self) -> float | None:
        """Estimated seconds until the last epoch ends, from the mean epoch time so far."""
        if not self.history or not self.is_active:
            return None
        per_epoch = float(np.mean([m.seconds for m in self.history[-5:]]))
        left = self.target_epochs - self.epochs_done - self.batches_done / self.n_batches
        return max(0.0, left * per_epoch)

    # ------------------------------------------------------------------ training

    def run(self, on_epoch: Callable[[EpochMetrics], None] | None = None) -> RunStatus:
        """Train until the target epoch, a stop, or divergence; returns the final status."""
        for metrics in self.iter_epochs():
            if on_epoch is not None:
                on_epoch(metrics)
        return self.status

    def iter_epochs(self) -> Iterator[EpochMetrics]:
        """Train epoch by epoch, yielding each epoch's metrics as it ends."""
        self.status = RunStatus.RUNNING if self._running.is_set() else RunStatus.PAUSED
        self.message = ""
        try:
            while self.epochs_done < self.target_epochs:
                with np.errstate(all="ignore"):  # overflow is detected, not printed
                    metrics = self._one_epoch()
                if metrics is None:
                    return
                self.history.append(metrics)
                self.batches_done = 0
                if self._diverged(metrics):
                    yield metrics
                    return
                self._record(metrics)
                if self.coach:
                    self._check_rising()
                yield metrics
            self.status = RunStatus.FINISHED
        finally:
            self.batches_done = 0

    def _one_epoch(self) -> EpochMetrics | None:
        n = len(self.data.y_train)
        started = self.epoch_started_at = time.perf_counter()
        held_before = self.held_seconds
        order = self._next_order()
        p_true = np.empty(n, np.float32)  # probability given to the true class
        hit = np.empty(n, bool)  # was the true class the top score?
        per_block = max(1, BLOCK_EXAMPLES // self.config.batch_size)
        for first in range(0, self.n_batches, per_block):
            if not self._wait_while_paused():
                self.keep_last_full_epoch(self._stop_reason)
                return None
            last = min(first + per_block, self.n_batches)
            self._sgd_steps(order, first, last, p_true, hit)
            self.batches_done = last
        train_loss = float(-np.mean(np.log(np.maximum(p_true, LOG_CLIP))))
        valid_loss, valid_acc = self._validate()
        return EpochMetrics(self.epochs_done + 1, train_loss, float(hit.mean()),
                            valid_loss, valid_acc, self.learning_rate,
                            self._seconds_since(started, held_before), self.l2)

    def _seconds_since(self, started: float, held_before: float) -> float:
        """The seconds this epoch trained: the wall time since ``started`` less the time it
        was held paused (or queued for a slot again) meanwhile."""
        return time.perf_counter() - started - (self.held_seconds - held_before)

    def _next_order(self) -> np.ndarray:
        """The order of the training examples (n,) for the next epoch. As the tutorial
        shuffles the array the previous epoch left (``x_train = x_train[perm]``), the
        permutations compose: ``order[e] = order[e - 1][perm_e]``, so epoch 3 trains in the
        order ``perm_1[perm_2][perm_3]`` of the split's training set."""
        self.order = self.order[self._rng.permutation(len(self.order))]
        return self.order

    def _validate(self) -> tuple[float, float]:
        """The validation loss and accuracy of the current weights, every epoch.

        The same numbers as :func:`core.metrics.evaluate`, computed leanly: the validation
        images were checked once, when the dataset was made (features in [0, 1]), so the
        model's guard against absurd inputs (an abs().max() over all 7.8 million values, a
        third of the time) is not run again every epoch. The images are scaled a chunk at a
        time (:meth:`core.data.Dataset.feature_chunks`): no float32 copy of the split is kept.
        """
        y = self.data.y_valid
        loss_sum, hits = 0.0, 0
        for start, x in self.data.feature_chunks("valid"):  # 6 MB at a time, not 31 MB
            losses, hit = _chunk_losses(x @ self.model.W + self.model.b,
                                        y[start:start + len(x)])
            loss_sum += float(losses.sum(dtype=np.float64))
            hits += int(hit.sum())
        return loss_sum / len(y), hits / len(y)

    def _sgd_steps(self, order: np.ndarray, first: int, last: int, p_true: np.ndarray,
                   hit: np.ndarray) -> None:
        """SGD steps ``first`` .. ``last - 1`` of this epoch (:meth:`core.sgd.SGD.steps`);
        a method of the run so that a test can watch the steps."""
        self.sgd.steps(order, first, last, self.config.batch_size, p_true, hit)

    def keep_last_full_epoch(self, reason: str = "") -> None:
        """End the run here and put back the weights of the last finished epoch (a stop
        between batches, or an interrupt that may have come in the middle of a step)."""
        self.status = RunStatus.STOPPED
        self.message = Msg("Stopped during epoch {epoch}{reason}; the weights of epoch {kept} "
                           "are kept.", epoch=self.epochs_done + 1, kept=self.snapshot_epoch,
                           reason=Msg(": {why}", why=reason) if reason else "")
        self._restore(self._snapshot)

    # ------------------------------------------------------------------ kept weights

    def _keep(self, epoch: int) -> KeptWeights:
        return KeptWeights(epoch, self.model.copy(), self.sgd.master_WT.copy(),
                           self.sgd.master_b.copy())

    def _restore(self, kept: KeptWeights) -> None:
        """Put the weights of ``kept`` back, master copy included, and make it the snapshot."""
        self.sgd.restore(kept.master_WT, kept.master_b)
        self._snapshot = kept

    def _record(self, m: EpochMetrics) -> None:
        """Keep the epoch's weights: as the current snapshot, in the history, and as the
        best model if its validation loss is the lowest so far."""
        self._snapshot = self._keep(m.epoch)
        self.weights.add(m.epoch, self.model.W, self.model.b)
        if m.valid_loss <= self.best_loss:
            self._best = self._snapshot
        if m.epoch == 1 and self._from_scratch:
            self.hint = slow_hint(self.start_loss, m.valid_loss, m.learning_rate,
                                  self.n_batches, self.config.batch_size)

    # ------------------------------------------------------------------ judgements

    def _diverged(self, m: EpochMetrics) -> bool:
        """Did epoch ``m`` diverge (:func:`core.coach.divergence`)? Then the run ends, rolled
        back to its best epoch, and :attr:`message` says why."""
        verdict = divergence(m, self.model.is_finite(), self.start_loss, self.best_loss,
                             self.best_epoch, self.data.n_classes)
        if verdict is None:
            return False
        self.status = RunStatus.DIVERGED
        self._restore(self._best)
        self.message = verdict.message
        self.suggested_learning_rate = verdict.suggested_learning_rate
        return True

    def _raised_l2(self) -> float | None:
        """Lambda now, if it is higher than before the last RISING_EPOCHS + 1 epochs began
        (a student raised it while the loss rose); else None."""
        window = self.epochs_done - RISING_EPOCHS - 1
        before = [c.value for c in self.changes if c.setting == "l2" and c.at < window]
        earlier = before[-1] if before else self.config.l2
        return self.l2 if self.l2 > earlier else None

    def _check_rising(self) -> None:
        """The coach (:func:`core.coach.rising`): if the validation loss keeps rising, pause
        and roll back to the best epoch."""
        verdict = rising([m.valid_loss for m in self.history], self.best_loss,
                         self.best_epoch, self.learning_rate, self._raised_l2())
        if verdict is None:
            return
        self.suggested_learning_rate = verdict.suggested_learning_rate
        self._restore(self._best)
        self.pause()
        self.message = verdict.message


if __name__ == "__main__":
    # `python -m core.train`, the spelling the README and the article's readers use, runs the
    # command line module as a script; core.train itself never imports core.cli (above it)
    import runpy

    runpy.run_module("core.cli", run_name="__main__", alter_sys=True)
