"""Mini-batch SGD for softmax regression, as a run you can watch, pause, steer and stop.

One epoch shuffles the 50,000 training images and walks through them in batches of B. For
each batch it does exactly the tutorial's step (see :mod:`core.model` for the maths):

    p     = softmax(x W + b)                 forward pass
    delta = p - onehot(y)                    error at the logits
    W    -= lr * (x^T delta / B + lambda W)  gradient step with L2 penalty
    b    -= lr * mean(delta)

The code below computes the same numbers, arranged for speed (see ``_sgd_step``): each
batch is gathered by index from the uint8 images instead of copying the shuffled training
set, the logits are kept as a (K, B) array so that softmax reductions run along contiguous
memory, the one-hot matrix is never built, and all arithmetic is float32 in preallocated
buffers. The weights themselves are kept in float64 (a master copy of 7,850 numbers that
the updates go to; the products read a float32 copy): a step of lr * lambda * W = 1e-8 W
is lost entirely when added to float32 weights. ``python -m core.bench`` measures it
against the tutorial's own loop (:mod:`core.tutorial`).

With the same seed it draws from the tutorial's random stream in the tutorial's order
(NumPy's legacy ``np.random.seed``: the validation split's permutation, then W, then one
permutation of the training images per epoch), so it prints the tutorial's numbers.

Run it from the command line::

    python -m core.train --epochs 20
"""

from __future__ import annotations

import argparse
import enum
import math
import sys
import threading
import time
from dataclasses import asdict, dataclass
from typing import Callable, Iterator

import numpy as np

from core.config import L2_MAX, LEARNING_RATE_RANGE, TrainConfig
from core.data import Dataset, DataError, load_source
from core.metrics import evaluate
from core.model import LOG_CLIP, ModelFileError, SoftmaxRegression
from core.snapshots import WeightHistory
from core.tutorial import epoch_line, prints_epoch

# OpenBLAS switches to a slower general kernel once M*N*K of a product exceeds 1e6, i.e. for
# batches over ~127 images at 784 x 10. Larger batches are therefore split into chunks of at
# most this many rows; the gradient is the sum of the chunks' gradients, so nothing changes.
MAX_CHUNK = 120
_INV_255 = np.float32(1.0 / 255.0)


RISING_EPOCHS = 3  # the validation loss rose this many epochs in a row ...
RISING_MARGIN = 1.10  # ... and ended 10 % above its best: the coach steps in
DIVERGED_RISE = 0.5  # diverged: the loss rose this fraction of ln K above its best
SLOW_DROP = 0.10  # learning slowly: epoch 1 took less than 10 % off the starting loss


class RunStatus(str, enum.Enum):
    READY = "ready"
    RUNNING = "running"
    PAUSED = "paused"
    STOPPED = "stopped"
    FINISHED = "finished"
    DIVERGED = "diverged"


@dataclass(frozen=True)
class EpochMetrics:
    """What one epoch did. Train loss / accuracy are averaged over the epoch's batches (each
    batch scored just before its own update); valid loss / accuracy use the weights at the
    end of the epoch. Losses are the mean cross-entropy, without the L2 term."""

    epoch: int
    train_loss: float
    train_acc: float
    valid_loss: float
    valid_acc: float
    learning_rate: float
    seconds: float
    l2: float = 0.0

    def to_dict(self) -> dict:
        return asdict(self)


@dataclass(frozen=True)
class SettingChange:
    """A setting changed during a run: ``setting`` ("learning_rate" or "l2") took ``value``
    from ``at`` on, in epochs (2.5 = half-way through epoch 3)."""

    at: float
    setting: str
    value: float


@dataclass(frozen=True)
class KeptWeights:
    """The weights at the end of one epoch: the float32 model the pages show, and the
    float64 master copy training goes on from if the run is rolled back to it."""

    epoch: int
    model: SoftmaxRegression
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


class TrainingRun:
    """One training run: a model, its config, its history, and controls for a UI.

    Call :meth:`run` (blocking; the dashboard calls it in a worker thread) or iterate
    :meth:`iter_epochs`. From another thread you may call :meth:`pause`, :meth:`resume`,
    :meth:`stop`, :meth:`set_learning_rate` and :meth:`extend`; they take effect between
    batches. The run never prints. Read :attr:`history`, :attr:`status`, :attr:`message`,
    :attr:`batches_done`, :attr:`snapshot` (a copy of the model at the last finished
    epoch, safe to use while training goes on), :attr:`best` (the model of the epoch with
    the lowest validation loss) and :attr:`weights` (a bounded per-epoch weight history).

    With ``coach=True`` (the dashboard), a validation loss that rises for several epochs in
    a row pauses the run and rolls it back to its best epoch, with an explanation in
    :attr:`message`; without it (the command line) only a divergence stops a run.
    """

    def __init__(self, data: Dataset, config: TrainConfig | None = None,
                 model: SoftmaxRegression | None = None, coach: bool = False):
        self.config = config or TrainConfig()
        self.config.check_fits(len(data.y_train))
        self.data = data
        self._rng = tutorial_stream(self.config.seed, len(data.y_train) + len(data.y_valid))
        if model is None:
            W, b = SoftmaxRegression.initial_weights(data.n_features, data.n_classes, self._rng)
        else:
            W, b = model.W, model.b
        # The float64 master weights the updates go to, stored as W^T (K x n_features) so
        # that both products are row-major; the float32 copy the products read is model.W,
        # a transposed view of self._WT (the same memory).
        self._master_WT = np.array(W, np.float64).T.copy()
        self._master_b = np.array(b, np.float64)
        self._WT = self._master_WT.astype(np.float32)
        self.model = SoftmaxRegression(self._WT.T, self._master_b.astype(np.float32),
                                       class_names=data.class_names)
        self.model.config = {**self.config.to_dict(), "dataset": data.name}
        self.start_loss = evaluate(self.model, data.features("valid"), data.y_valid).loss
        self._from_scratch = model is None
        self.history: list[EpochMetrics] = []
        self.changes: list[SettingChange] = []
        self.target_epochs = self.config.epochs
        self.learning_rate = self.config.learning_rate
        self.l2 = self.config.l2
        self.status = RunStatus.READY
        self.message = ""
        self.hint = ""  # advice for a run that goes on (learning slowly), never a rollback
        self.n_batches = math.ceil(len(data.y_train) / self.config.batch_size)
        self.batches_done = 0
        self.epoch_started_at: float | None = None
        self._snapshot = self._best = self._keep(0)
        self.weights = WeightHistory()
        self.weights.add(0, self.model.W, self.model.b)
        self.coach = coach
        self.suggested_learning_rate: float | None = None
        self._stop_requested = False
        self._stop_reason = ""
        self._running = threading.Event()
        self._running.set()
        self.held = threading.Event()  # set while the trainer waits between batches
        self._bufs: dict[int, tuple] = {}
        self._images, self._labels = data.x_train, data.y_train

    @property
    def snapshot(self) -> SoftmaxRegression:
        """A copy of the model at the last finished epoch, safe to read while training."""
        return self._snapshot.model

    @property
    def snapshot_epoch(self) -> int:
        return self._snapshot.epoch

    @property
    def best(self) -> SoftmaxRegression:
        """The model of the epoch with the lowest validation loss so far."""
        return self._best.model

    @property
    def best_epoch(self) -> int:
        return self._best.epoch

    # ------------------------------------------------------------------ controls

    @property
    def epochs_done(self) -> int:
        return len(self.history)

    @property
    def is_active(self) -> bool:
        return self.status in (RunStatus.RUNNING, RunStatus.PAUSED)

    def pause(self) -> None:
        """Hold training after the current batch until :meth:`resume` or :meth:`stop`."""
        self._running.clear()
        if self.status is RunStatus.RUNNING:
            self.status = RunStatus.PAUSED

    def resume(self) -> None:
        if self.status is RunStatus.PAUSED:
            self.status = RunStatus.RUNNING
            self.message = ""
        self._running.set()

    def stop(self, reason: str = "") -> None:
        """End the run after the current batch; the weights of the last full epoch are kept.
        ``reason`` (e.g. "the tab was closed") is shown in :attr:`message`."""
        self._stop_reason = reason
        self._stop_requested = True
        self._running.set()

    def set_learning_rate(self, lr: float) -> None:
        """Change the step size; the next batch uses it (recorded in :attr:`changes`)."""
        self._change("learning_rate", lr, *LEARNING_RATE_RANGE)
        self.learning_rate = float(lr)

    def set_l2(self, l2: float) -> None:
        """Change lambda, the L2 penalty; the next batch uses it (recorded in :attr:`changes`)."""
        self._change("l2", l2, 0.0, L2_MAX)
        self.l2 = float(l2)

    def _change(self, setting: str, value: float, lo: float, hi: float) -> None:
        """Check a new value and record it with the point of the run it takes effect at."""
        if isinstance(value, bool) or not (isinstance(value, (int, float)) and lo <= value <= hi):
            name = "learning rate" if setting == "learning_rate" else "lambda"
            raise ValueError(f"{name} must be between {lo:g} and {hi:g}, got {value!r}")
        if float(value) != getattr(self, setting):
            at = self.epochs_done + self.batches_done / self.n_batches
            self.changes.append(SettingChange(round(at, 4), setting, float(value)))

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
        n, B = len(self.data.y_train), self.config.batch_size
        started = self.epoch_started_at = time.perf_counter()
        order = self._rng.permutation(n)  # a fresh random order every epoch
        p_true = np.empty(n, np.float32)  # probability given to the true class
        hit = np.empty(n, bool)  # was the true class the top score?
        for k in range(self.n_batches):
            if not self._wait_while_paused():
                self.keep_last_full_epoch(self._stop_reason)
                return None
            s = slice(k * B, (k + 1) * B)
            self._sgd_step(order[s], p_true[s], hit[s])
            self.batches_done = k + 1
        train_loss = float(-np.mean(np.log(np.maximum(p_true, LOG_CLIP))))
        valid = evaluate(self.model, self.data.features("valid"), self.data.y_valid)
        return EpochMetrics(self.epochs_done + 1, train_loss, float(hit.mean()),
                            valid.loss, valid.accuracy, self.learning_rate,
                            time.perf_counter() - started, self.l2)

    def keep_last_full_epoch(self, reason: str = "") -> None:
        """End the run here and put back the weights of the last finished epoch (a stop
        between batches, or an interrupt that may have come in the middle of a step)."""
        self.status = RunStatus.STOPPED
        self.message = (f"Stopped during epoch {self.epochs_done + 1}"
                        f"{': ' + reason if reason else ''}; "
                        f"the weights of epoch {self.snapshot_epoch} are kept.")
        self._restore(self._snapshot)

    def _wait_while_paused(self) -> bool:
        """Block while paused; False means stop."""
        if not self._running.is_set():
            self.status = RunStatus.PAUSED
            self.held.set()
            self._running.wait()
            self.held.clear()
            if not self._stop_requested:
                self.status = RunStatus.RUNNING
        return not self._stop_requested

    def _sgd_step(self, idx: np.ndarray, p_true: np.ndarray, hit: np.ndarray) -> None:
        """One SGD update on the training images ``idx``; records p(true class) and hits.

        Speed notes (the maths is the module docstring's):
        - each batch is gathered by index from the uint8 images (a quarter of the memory
          traffic of float32; no shuffled copy of the training set is made) and cast to
          float32 pixel values 0..255; the 1/255 scaling is applied to the small logits and
          folded into the step size, so x / 255 is never built;
        - it works on W^T (K x 784, the same memory as ``model.W``), so both products are
          plain row-major matrix products, which OpenBLAS runs fastest.
        """
        WT, b = self._WT, self.model.b
        B = len(idx)
        step = np.float32(self.learning_rate / B / 255.0)
        n_chunks = -(-B // MAX_CHUNK)
        size = -(-B // n_chunks)  # equal chunks, each at most MAX_CHUNK images
        grad_WT = grad_b = None
        for c in range(0, B, size):
            rows = idx[c:c + size]
            raw, x, zT, r = self._buffers(len(rows))
            np.take(self._images, rows, axis=0, out=raw, mode="clip")
            np.copyto(x, raw)  # pixel values 0..255 as float32
            y = self._labels[rows]
            np.matmul(WT, x.T, out=zT)  # 255 * logits^T: one column per image
            zT *= _INV_255
            zT += b[:, None]
            top = zT.max(axis=0)
            hit[c:c + size] = zT[y, r] >= top
            zT -= top  # stable softmax: the largest logit becomes 0
            np.exp(zT, out=zT)
            zT /= zT.sum(axis=0)
            p_true[c:c + size] = zT[y, r]
            zT[y, r] -= 1  # delta = p - onehot(y), without building the one-hot matrix
            zT *= step  # lr / B / 255, folded into the small delta
            if grad_WT is None:  # lr/B * (x^T delta)^T  and  lr * mean(delta)
                grad_WT, grad_b = zT @ x, zT.sum(axis=1) * np.float32(255.0)
            else:
                grad_WT += zT @ x
                grad_b += zT.sum(axis=1) * np.float32(255.0)
        self._update(grad_WT, grad_b)

    def _update(self, grad_WT: np.ndarray, grad_b: np.ndarray) -> None:
        """W -= lr * (x^T delta / B + lambda W) and b -= lr * mean(delta), on the float64
        master weights; the steps (already times lr) arrive as float32. The L2 term is the
        factor (1 - lr * lambda): in float32 it would round to exactly 1 for lr * lambda
        below 3e-8, and be 14-19 % off at lr 0.01, lambda 1e-5. Then the float32 copy
        that the products read is refreshed."""
        if self.l2:
            self._master_WT *= 1.0 - self.learning_rate * self.l2
        self._master_WT -= grad_WT
        self._master_b -= grad_b
        np.copyto(self._WT, self._master_WT, casting="same_kind")
        np.copyto(self.model.b, self._master_b, casting="same_kind")

    def _buffers(self, m: int) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """Work arrays for a chunk of ``m`` images, allocated once per size."""
        bufs = self._bufs.get(m)
        if bufs is None:
            bufs = self._bufs[m] = (np.empty((m, self.data.n_features), np.uint8),
                                    np.empty((m, self.data.n_features), np.float32),
                                    np.empty((self.data.n_classes, m), np.float32),
                                    np.arange(m))
        return bufs

    def _keep(self, epoch: int) -> KeptWeights:
        return KeptWeights(epoch, self.model.copy(), self._master_WT.copy(),
                           self._master_b.copy())

    def _restore(self, kept: KeptWeights) -> None:
        """Put the weights of ``kept`` back, master copy included, and make it the snapshot."""
        self._master_WT[...] = kept.master_WT
        self._master_b[...] = kept.master_b
        self._WT[...] = kept.model.W.T
        self.model.b[...] = kept.model.b
        self._snapshot = kept

    def _record(self, m: EpochMetrics) -> None:
        """Keep the epoch's weights: as the current snapshot, in the history, and as the
        best model if its validation loss is the lowest so far."""
        self._snapshot = self._keep(m.epoch)
        self.weights.add(m.epoch, self.model.W, self.model.b)
        if m.valid_loss <= self.best_loss:
            self._best = self._snapshot
        if m.epoch == 1 and self._from_scratch:
            self._check_slow(m)

    @property
    def best_loss(self) -> float:
        """The lowest validation loss so far, counting the weights the run started from."""
        return self.history[self.best_epoch - 1].valid_loss if self.best_epoch else self.start_loss

    def _diverged(self, m: EpochMetrics) -> bool:
        """Diverged: a loss or a weight became NaN or infinite, or the validation loss rose
        well above the best it had reached (counting where the run started): by more than
        half of ln K (1.15 for ten classes; ln K is the loss of a uniform guess), far more
        than the epoch-to-epoch jumps of a run that learns, even with steps too large. A run that learns slowly never rises, so it never trips this. The
        weights go back to the best epoch so far."""
        limit = self.best_loss + DIVERGED_RISE * math.log(self.data.n_classes)
        finite = math.isfinite(m.train_loss) and math.isfinite(m.valid_loss) and self.model.is_finite()
        if finite and m.valid_loss <= limit:
            return False
        self.status = RunStatus.DIVERGED
        self._restore(self._best)
        what = "became NaN or infinite" if not finite else (
            f"rose to {m.valid_loss:.2f}, well above its best, {self.best_loss:.2f}")
        kept = f"epoch {self.best_epoch}, the best so far" if self.best_epoch else "the initial weights"
        self.message = (f"Training diverged in epoch {m.epoch}: the validation loss {what}. "
                        f"{self._divergence_advice(m)} The weights were put back to {kept}.")
        return True

    def _divergence_advice(self, m: EpochMetrics) -> str:
        if m.learning_rate * m.l2 >= 1:
            return (f"learning rate x lambda = {m.learning_rate * m.l2:g} is 1 or more, so the "
                    "L2 term alone flips and grows the weights at every step. "
                    f"Try lambda below {1 / m.learning_rate:g}.")
        self.suggested_learning_rate = self._lower_rate(m.learning_rate)
        if self.suggested_learning_rate is None:
            return "Even the smallest learning rate overshoots here."
        return (f"The learning rate {m.learning_rate:g} is too large: each step overshoots "
                f"the minimum. Try a learning rate of {self.suggested_learning_rate:g}.")

    @staticmethod
    def _lower_rate(lr: float) -> float | None:
        """lr / 10 if the settings allow it."""
        return lr / 10 if lr / 10 >= LEARNING_RATE_RANGE[0] else None

    def _check_slow(self, m: EpochMetrics) -> None:
        """After the first epoch of a run from scratch: if the validation loss fell by less
        than SLOW_DROP of where it started, say why (never a rollback: nothing went wrong)."""
        if self.start_loss - m.valid_loss >= SLOW_DROP * self.start_loss:
            return
        reasons = []
        if self.n_batches < 100:
            reasons.append(f"only {self.n_batches:,} update{'s' * (self.n_batches > 1)} per epoch "
                           "(batch " f"{self.config.batch_size:,}): a smaller batch takes more steps")
        higher = m.learning_rate * 10
        if higher <= LEARNING_RATE_RANGE[1] and m.learning_rate < 0.05:
            reasons.append(f"the learning rate {m.learning_rate:g} may be too small: "
                           f"try {higher:g}")
        self.hint = (f"Learning slowly: after epoch 1 the validation loss only fell from "
                     f"{self.start_loss:.3f} to {m.valid_loss:.3f}. "
                     + ("; or ".join(reasons).capitalize() + "." if reasons else
                        "More epochs will help."))

    def _check_rising(self) -> None:
        """The coach: if the validation loss rose RISING_EPOCHS epochs in a row and now
        stands RISING_MARGIN above its best, pause and roll back to the best epoch."""
        recent = [m.valid_loss for m in self.history[-(RISING_EPOCHS + 1):]]
        if len(recent) <= RISING_EPOCHS or not all(b > a for a, b in zip(recent, recent[1:])):
            return
        best = self.best_loss
        if recent[-1] < RISING_MARGIN * best:
            return
        lr = self.learning_rate
        self.suggested_learning_rate = self._lower_rate(lr)
        self._restore(self._best)
        self.pause()
        retry = (f", or retry with learning rate {lr / 10:g}" if self.suggested_learning_rate
                 else "")
        self.message = (
            f"Paused: the validation loss rose {RISING_EPOCHS} epochs in a row, to "
            f"{recent[-1]:.3f} from its best {best:.3f} in epoch {self.best_epoch}; with "
            f"learning rate {lr:g} the steps overshoot. The weights were put back to epoch "
            f"{self.best_epoch}. Resume anyway{retry}.")


# ---------------------------------------------------------------------- command line


def _progress_bar(run: TrainingRun, stop: threading.Event) -> None:
    """Draw ``epoch 3/20 [#####.....] 250/500`` on stderr while the run trains."""
    while not stop.wait(0.2):
        done = run.batches_done
        filled = int(30 * done / run.n_batches)
        sys.stderr.write(f"\repoch {run.epochs_done + 1}/{run.target_epochs} "
                         f"[{'#' * filled}{'.' * (30 - filled)}] {done}/{run.n_batches} ")
        sys.stderr.flush()
    sys.stderr.write("\r" + " " * 70 + "\r")


def main(argv: list[str] | None = None) -> int:
    defaults = TrainConfig()
    p = argparse.ArgumentParser(prog="python -m core.train", description=__doc__.split("\n")[0])
    p.add_argument("--epochs", type=int, default=defaults.epochs)
    p.add_argument("--lr", type=float, default=defaults.learning_rate, help="learning rate")
    p.add_argument("--l2", type=float, default=defaults.l2, help="L2 penalty lambda")
    p.add_argument("--batch-size", type=int, default=defaults.batch_size)
    p.add_argument("--seed", type=int, default=defaults.seed)
    p.add_argument("--data", default="mnist",
                   help="mnist (bundled, default), fashion, keras:mnist, or a folder of IDX files")
    p.add_argument("--out", default="model.npz", help="where to save the trained model")
    p.add_argument("--grid", default=None, help="also save a PNG grid of test digits here")
    args = p.parse_args(argv)
    try:
        config = TrainConfig(args.epochs, args.lr, args.l2, args.batch_size, args.seed)
        data = load_source(args.data)
        run = TrainingRun(data, config)
    except (ValueError, DataError, ModelFileError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    stop_bar = threading.Event()
    bar = None
    if sys.stderr.isatty():
        bar = threading.Thread(target=_progress_bar, args=(run, stop_bar), daemon=True)
        bar.start()
    try:
        for m in run.iter_epochs():
            if prints_epoch(m.epoch) or run.status is RunStatus.DIVERGED:
                if bar is not None:
                    sys.stderr.write("\r\033[K")  # clear the progress bar's line first
                    sys.stderr.flush()
                print(epoch_line(m.epoch, m.valid_loss, m.valid_acc), flush=True)
    except KeyboardInterrupt:
        run.keep_last_full_epoch("interrupted (Ctrl-C)")
    finally:
        stop_bar.set()
        if bar is not None:
            bar.join()
    for note in (run.hint, run.message):
        if note:
            print(note, file=sys.stderr)
    test = evaluate(run.model, data.features("test"), data.y_test)
    if run.history:
        seconds = sum(m.seconds for m in run.history)
        print(f"{run.epochs_done} epochs in {seconds:.1f} s ({seconds / run.epochs_done:.3f} s per epoch)")
    print(f"Test Acc={test.accuracy:.4f} ({test.n_wrong} of {len(test.y_true):,} wrong)")
    run.model.save(args.out)
    print(f"model saved to {args.out}")
    if args.grid:
        from core.figures import save_digit_grid_png  # noqa: PLC0415

        save_digit_grid_png(run.model, data, args.grid)
        print(f"grid of test digits saved to {args.grid}")
    if run.status is RunStatus.STOPPED:
        return 130  # the shell's code for a command ended by Ctrl-C (128 + SIGINT)
    return 0 if run.status is not RunStatus.DIVERGED else 1


if __name__ == "__main__":
    sys.exit(main())
