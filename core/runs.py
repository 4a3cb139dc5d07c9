"""Comparing runs: which settings differ, how each ended, and all metrics as CSV."""

from __future__ import annotations

import csv
import io
from typing import Sequence

from core.train import EpochMetrics

SETTING_LABELS = {"epochs": "epochs", "learning_rate": "learning rate", "l2": "lambda",
                  "batch_size": "batch", "seed": "seed", "dataset": "dataset"}
METRICS = ("train_loss", "train_acc", "valid_loss", "valid_acc", "learning_rate", "seconds")


def differing_settings(settings: Sequence[dict]) -> list[str]:
    """The setting names whose value is not the same in every run (in a stable order)."""
    keys = [k for k in SETTING_LABELS if any(k in s for s in settings)]
    return [k for k in keys if len({repr(s.get(k)) for s in settings}) > 1]


def comparison_rows(runs: Sequence[dict]) -> list[dict]:
    """One row per run for a table: its name, the settings that differ between the runs
    (all of them when there is a single run), its status and accuracies.

    Each run is a dict with "name", "settings" (dict), "status", "history"
    (list of EpochMetrics) and "test_accuracy" (float or None).
    """
    settings = [r["settings"] for r in runs]
    shown = differing_settings(settings) if len(runs) > 1 else [
        k for k in SETTING_LABELS if k in (settings[0] if settings else {})]
    rows = []
    for r in runs:
        h = r["history"]
        best = max((m.valid_acc for m in h if m.valid_acc == m.valid_acc), default=None)
        row = {"run": r["name"]}
        row.update({SETTING_LABELS[k]: r["settings"].get(k) for k in shown})
        row.update({"status": r["status"], "epochs done": len(h),
                    "best valid acc": best, "test acc": r["test_accuracy"]})
        rows.append(row)
    return rows


def metrics_csv(runs: Sequence[dict]) -> str:
    """Every epoch of every run as CSV: run, its settings, then the epoch's metrics."""
    keys = list(SETTING_LABELS)
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["run", *keys, "epoch", *METRICS, "test_accuracy"])
    for r in runs:
        for m in r["history"]:
            writer.writerow([r["name"], *(r["settings"].get(k, "") for k in keys), m.epoch,
                             *(getattr(m, k) for k in METRICS),
                             "" if r["test_accuracy"] is None else r["test_accuracy"]])
    return out.getvalue()


def history_from_rows(rows: Sequence[dict]) -> list[EpochMetrics]:
    """Rebuild a history from CSV rows of one run (for checking a round trip)."""
    return [EpochMetrics(int(r["epoch"]), *(float(r[k]) for k in METRICS)) for r in rows]
