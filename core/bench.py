"""Benchmark: our trainer against the tutorial's loop, written plainly, on the same data.

    python -m core.bench                      # batch 100, 5 epochs each
    python -m core.bench --batch-sizes 16 32 64 100 128 256 512 --epochs 3

Both start from the same weights and visit the batches in the same order (one seeded
generator each, drawn from in the same sequence), so they must reach the same accuracy.
Epochs of the two alternate, so that a busy machine slows both alike; the figure reported
is the median seconds per epoch, and the ratio reference / ours (higher is better).
"""

from __future__ import annotations

import argparse
import time

import numpy as np

from core.config import TrainConfig
from core.data import Dataset, load_source
from core.metrics import accuracy
from core.model import SoftmaxRegression
from core.train import TrainingRun


def reference_softmax(x: np.ndarray) -> np.ndarray:
    x -= x.max(axis=1, keepdims=True)
    x_exp = np.exp(x)
    return x_exp / np.sum(x_exp, axis=1, keepdims=True)


def reference_log(x: np.ndarray) -> np.ndarray:
    return np.log(np.clip(x, 1e-10, x.max()))


class ReferenceLoop:
    """The tutorial's training loop as it is usually written: the shuffled training set is
    copied every epoch, labels are one-hot (``np.eye``, float64), each batch is a slice."""

    def __init__(self, data: Dataset, config: TrainConfig):
        self.x_train, self.x_valid = data.features("train"), data.features("valid")
        self.t_train = np.eye(data.n_classes)[data.y_train]
        self.t_valid = np.eye(data.n_classes)[data.y_valid]
        self.config = config
        self.rng = np.random.default_rng(config.seed)
        init = SoftmaxRegression.initialise(data.n_features, data.n_classes, rng=self.rng)
        self.W, self.b = init.W, init.b

    def train_step(self, x, t):
        c = self.config
        y_hat = reference_softmax(np.matmul(x, self.W) + self.b)
        cost = (-t * reference_log(y_hat)).sum(axis=1).mean()
        delta = y_hat - t
        dW = np.matmul(x.T, delta) / len(x) + c.l2 * self.W
        db = delta.mean(axis=0)
        self.W -= c.learning_rate * dW
        self.b -= c.learning_rate * db
        return cost

    def valid(self):
        y_hat = reference_softmax(np.matmul(self.x_valid, self.W) + self.b)
        cost = (-self.t_valid * reference_log(y_hat)).sum(axis=1).mean()
        return cost, float(np.mean(y_hat.argmax(axis=1) == self.t_valid.argmax(axis=1)))

    def epoch(self):
        perm = self.rng.permutation(len(self.x_train))
        x, t = self.x_train[perm], self.t_train[perm]
        B = self.config.batch_size
        for i in range(0, len(x), B):
            self.train_step(x[i:i + B], t[i:i + B])
        return self.valid()

    def model(self) -> SoftmaxRegression:
        return SoftmaxRegression(self.W, self.b)


def compare(data: Dataset, batch_size: int, epochs: int) -> dict:
    """Train both for ``epochs`` epochs, alternating; return timings and test accuracies."""
    config = TrainConfig(epochs=epochs, batch_size=batch_size)
    ref, ours = ReferenceLoop(data, config), TrainingRun(data, config)
    epochs_ours = ours.iter_epochs()
    t_ref, t_ours = [], []
    for _ in range(epochs):
        t0 = time.perf_counter()
        ref.epoch()
        t1 = time.perf_counter()
        next(epochs_ours)
        t_ours.append(time.perf_counter() - t1)
        t_ref.append(t1 - t0)
    x_test, y_test = data.features("test"), data.y_test
    return {
        "batch": batch_size,
        "ref_s": float(np.median(t_ref)),
        "ours_s": float(np.median(t_ours)),
        "ref_acc": accuracy(ref.model(), x_test, y_test),
        "ours_acc": accuracy(ours.model, x_test, y_test),
    }


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m core.bench", description=__doc__.split("\n")[0])
    p.add_argument("--batch-sizes", type=int, nargs="+", default=[100])
    p.add_argument("--epochs", type=int, default=5)
    p.add_argument("--data", default="mnist")
    args = p.parse_args(argv)
    data = load_source(args.data)
    data.features("train"), data.features("valid"), data.features("test")  # convert up front
    print(f"{'batch':>5}  {'reference s/epoch':>17}  {'ours s/epoch':>12}  {'speed-up':>8}  "
          f"{'ref test acc':>12}  {'our test acc':>12}  same accuracy")
    ok = True
    for B in args.batch_sizes:
        r = compare(data, B, args.epochs)
        same = abs(r["ref_acc"] - r["ours_acc"]) <= 0.002
        ok &= same
        print(f"{B:>5}  {r['ref_s']:>17.4f}  {r['ours_s']:>12.4f}  {r['ref_s'] / r['ours_s']:>7.2f}x  "
              f"{r['ref_acc']:>12.4f}  {r['ours_acc']:>12.4f}  {'yes' if same else 'NO'}",
              flush=True)
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
