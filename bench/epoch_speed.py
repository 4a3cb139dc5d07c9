"""Benchmark: our trainer against the tutorial's own loop (:mod:`core.tutorial`).

    python -m bench.epoch_speed                      # batch 100, 5 epochs each
    python -m bench.epoch_speed --batch-sizes 16 32 64 100 128 256 512 --epochs 3

Both draw from the same seed in the same order (the tutorial's stream), so they train the
same model and must reach the same weights. Epochs of the two alternate, so that a busy
machine slows both alike; the figure reported is the median seconds per epoch, and the
ratio tutorial / ours (higher is better).
"""

from __future__ import annotations

import argparse
import sys
import time

import numpy as np

from core.config import TrainConfig
from core.data import load_source, source_folder
from core.idx import read_idx_folder
from core.train import TrainingRun
from core.tutorial import TutorialLoop


def compare(source: str, batch_size: int, epochs: int) -> dict:
    """Train both for ``epochs`` epochs, alternating; return timings and how far apart
    their weights and validation accuracies ended."""
    data = load_source(source)
    images, labels, _, _ = read_idx_folder(source_folder(source))
    config = TrainConfig(epochs=epochs, batch_size=batch_size)
    ref = TutorialLoop(images, labels, config.learning_rate, config.l2, batch_size, config.seed)
    ours = TrainingRun(data, config)
    epochs_ours = ours.iter_epochs()
    t_ref, t_ours = [], []
    for _ in range(epochs):
        t0 = time.perf_counter()
        _, ref_acc = ref.epoch()
        t1 = time.perf_counter()
        ours_acc = next(epochs_ours).valid_acc
        t_ours.append(time.perf_counter() - t1)
        t_ref.append(t1 - t0)
    return {
        "batch": batch_size,
        "ref_s": float(np.median(t_ref)),
        "ours_s": float(np.median(t_ours)),
        "ref_acc": float(ref_acc),
        "ours_acc": ours_acc,
        "max_dW": float(np.abs(ours.model.W - ref.W).max()),
    }


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m bench.epoch_speed",
                                description=__doc__.split("\n")[0])
    p.add_argument("--batch-sizes", type=int, nargs="+", default=[100])
    p.add_argument("--epochs", type=int, default=5)
    p.add_argument("--data", default="mnist", help="mnist, fashion or a folder of IDX files")
    args = p.parse_args(argv)
    if source_folder(args.data) is None:
        print("error: the benchmark reads IDX files: mnist, fashion or a folder", file=sys.stderr)
        return 2
    print(f"{'batch':>5}  {'tutorial s/epoch':>16}  {'ours s/epoch':>12}  {'speed-up':>8}  "
          f"{'valid acc (tut.)':>16}  {'valid acc (ours)':>16}  {'max |dW|':>9}")
    ok = True
    for B in args.batch_sizes:
        r = compare(args.data, B, args.epochs)
        ok &= r["max_dW"] < 1e-4
        speed_up = r["ref_s"] / r["ours_s"]
        print(f"{B:>5}  {r['ref_s']:>16.4f}  {r['ours_s']:>12.4f}  {speed_up:>7.2f}x  "
              f"{r['ref_acc']:>16.4f}  {r['ours_acc']:>16.4f}  {r['max_dW']:>9.1e}", flush=True)
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
