"""The command line: ``python -m core.train`` trains, prints the tutorial's lines, saves.

    python -m core.train --epochs 20            # prints the tutorial's lines, saves model.npz
    python -m core.train --lr 0.5 --l2 0 --batch-size 50 --seed 1 --out m.npz --grid grid.png
    python -m core.train --data fashion         # Debian's Fashion-MNIST, or a folder of IDX files
    python -m core.train --deskew --out d.npz   # on deskewed digits (core.deskew.deskew)

It prints the article's ``EPOCH n: Valid Loss=..., Valid Acc=...`` line for epoch 1 and
every tenth (:mod:`core.tutorial`), a progress bar on a terminal, then the test accuracy.
Ctrl-C puts back the weights of the last finished epoch, saves them and exits with 130.
Exit codes: 0 done, 1 diverged, 2 bad arguments or data, 130 interrupted.
"""

from __future__ import annotations

import argparse
import os
import sys
import threading
from pathlib import Path

from core import train
from core.config import TrainConfig
from core.data import DataError, Dataset, load_source
from core.metrics import evaluate_split
from core.model_file import ModelFileError, save_model
from core.preprocess import DESKEW, NO_PREPROCESSING
from core.run_state import RunStatus
from core.runs import seconds_per_epoch
from core.train import TrainingRun
from core.tutorial import epoch_line, prints_epoch


def _progress_bar(run: TrainingRun, stop: threading.Event) -> None:
    """Draw ``epoch 3/20 [#####.....] 250/500`` on stderr while the run trains."""
    while not stop.wait(0.2):
        done = run.batches_done
        filled = int(30 * done / run.n_batches)
        sys.stderr.write(f"\repoch {run.epochs_done + 1}/{run.target_epochs} "
                         f"[{'#' * filled}{'.' * (30 - filled)}] {done}/{run.n_batches} ")
        sys.stderr.flush()
    sys.stderr.write("\r" + " " * 70 + "\r")


def _parser() -> argparse.ArgumentParser:
    defaults = TrainConfig()
    p = argparse.ArgumentParser(prog="python -m core.train",
                                description=train.__doc__.split("\n")[0])
    p.add_argument("--epochs", type=int, default=defaults.epochs)
    p.add_argument("--lr", type=float, default=defaults.learning_rate, help="learning rate")
    p.add_argument("--l2", type=float, default=defaults.l2, help="L2 penalty lambda")
    p.add_argument("--batch-size", type=int, default=defaults.batch_size)
    p.add_argument("--seed", type=int, default=defaults.seed)
    p.add_argument("--data", default="mnist",
                   help="mnist (bundled, default), fashion, keras:mnist, or a folder of IDX files")
    p.add_argument("--deskew", action="store_true",
                   help="train and test on deskewed images (each digit's slant sheared away); "
                        "the saved model remembers it")
    p.add_argument("--out", default="model.npz", help="where to save the trained model")
    p.add_argument("--grid", default=None, help="also save a PNG grid of test digits here")
    return p


def _train(run: TrainingRun) -> None:
    """Train, printing the tutorial's lines (and a progress bar on a terminal); Ctrl-C keeps
    the weights of the last finished epoch."""
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


def _report(run: TrainingRun, data: Dataset, out: str, grid: str | None) -> None:
    """Print the run's notes, timing and test accuracy; save the model (and the grid)."""
    for note in (run.hint, run.message):
        if note:
            print(note, file=sys.stderr)
    test = evaluate_split(run.model, data)
    if run.history:
        seconds = sum(m.seconds for m in run.history)
        print(f"{run.epochs_done} epochs in {seconds:.1f} s "
              f"(median {seconds_per_epoch(run.history):.3f} s per epoch)")
    print(f"Test Acc={test.accuracy:.4f} ({test.n_wrong} of {len(test.y_true):,} wrong)"
          + ("" if data.preprocessing == NO_PREPROCESSING else f", {data.label}"))
    save_model(run.model, out)
    print(f"model saved to {out}")
    if grid:
        from core.digit_grid import save_digit_grid_png  # only when asked for

        save_digit_grid_png(run.model, data, grid)
        print(f"grid of test digits saved to {grid}")


def unwritable(path: str) -> str | None:
    """Why the file ``path`` cannot be written (None: it can), checked before training so
    that a read-only folder (a checkout owned by root) is said at once, not after the run."""
    target = Path(path)
    if target.is_dir():
        return f"{path} is a folder"
    if target.exists():
        return None if os.access(target, os.W_OK) else f"{path} is read-only"
    folder = target.parent
    if not folder.is_dir():
        return f"the folder of {path} does not exist"
    if not os.access(folder, os.W_OK | os.X_OK):
        return f"the folder of {path} is read-only: choose --out in a folder you can write"
    return None


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    for path in (args.out, args.grid):
        problem = path and unwritable(path)
        if problem:
            print(f"error: cannot write {problem}", file=sys.stderr)
            return 2
    try:
        config = TrainConfig(args.epochs, args.lr, args.l2, args.batch_size, args.seed)
        data = load_source(args.data, DESKEW if args.deskew else NO_PREPROCESSING)
        run = TrainingRun(data, config)
    except (ValueError, DataError, ModelFileError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    _train(run)
    try:
        _report(run, data, args.out, args.grid)
    except OSError as exc:  # the folder became unwritable, the disk is full, ...
        print(f"error: cannot save: {exc.strerror or exc}: {exc.filename or args.out}",
              file=sys.stderr)
        return 1
    if run.status is RunStatus.STOPPED:
        return 130  # the shell's code for a command ended by Ctrl-C (128 + SIGINT)
    return 0 if run.status is not RunStatus.DIVERGED else 1


if __name__ == "__main__":
    sys.exit(main())
