"""Two training runs at once in one process: how much more do they get done than one?

    python -m bench.parallel_runs [--epochs 10] [--batch-size 100] [--repeats 3]

A dashboard server trains every student's run on a thread of one Python process. If the
training step held the interpreter lock, two runs would take turns and together train
little more than one (1.1x, measured before the compiled kernel). Here, in one run of this
script: the seconds for one run of N epochs alone, then for two such runs on two threads
at once, alternating, for ``--repeats`` rounds, with the compiled step and with the NumPy
step. Throughput of two = 2 x (one alone) / (two together); the goal is >= 1.8x on two
cores. Prints the machine's load average beside the figures.
"""

from __future__ import annotations

import argparse
import os
import statistics
import threading
import time

from core.config import TrainConfig
from core.data import load_mnist
from core.train import TrainingRun


def _run(data, epochs: int, batch: int, compiled: bool) -> None:
    run = TrainingRun(data, TrainConfig(epochs=epochs, batch_size=batch))
    if not compiled:
        run.sgd._kernel = None  # the NumPy step, for comparison
    run.run()


def seconds(data, epochs: int, batch: int, compiled: bool, together: int) -> float:
    """Wall seconds for ``together`` runs started at once on threads."""
    threads = [threading.Thread(target=_run, args=(data, epochs, batch, compiled))
               for _ in range(together)]
    started = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return time.perf_counter() - started


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--epochs", type=int, default=10)
    p.add_argument("--batch-size", type=int, default=100)
    p.add_argument("--repeats", type=int, default=3)
    args = p.parse_args()
    data = load_mnist()
    data.features("valid")
    _run(data, 1, args.batch_size, True)  # load the compiled step before timing
    print(f"load average before: {os.getloadavg()[0]:.2f}")
    for compiled in (True, False):
        one, two = [], []
        for _ in range(args.repeats):
            one.append(seconds(data, args.epochs, args.batch_size, compiled, 1))
            two.append(seconds(data, args.epochs, args.batch_size, compiled, 2))
        a, b = statistics.median(one), statistics.median(two)
        print(f"{'compiled' if compiled else 'NumPy   '} step: one run {a:.2f} s, two at once "
              f"{b:.2f} s: throughput of two = {2 * a / b:.2f}x one", flush=True)
    print(f"load average after: {os.getloadavg()[0]:.2f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
