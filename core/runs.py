"""Comparing runs: which settings differ, how each ended, how fast an epoch trained, and all
metrics as CSV."""

from __future__ import annotations

import csv
import io
import statistics
from collections.abc import Sequence

from core.i18n import ENGLISH, Msg, Translator

SETTING_LABELS = {"epochs": Msg("epochs"), "learning_rate": Msg("learning rate"),
                  "l2": Msg("lambda"), "batch_size": Msg("batch"), "seed": Msg("seed"),
                  "dataset": Msg("dataset"),
                  "preprocessing": Msg("digits")}  # "as they are" or "deskewed"
# the comparison table's other columns, by what they hold
COLUMNS = {"run": Msg("run"), "changes": Msg("changed mid-run"), "status": Msg("status"),
           "epochs": Msg("epochs done"), "best": Msg("best valid acc"), "test": Msg("test acc")}
METRICS = ("train_loss", "train_acc", "valid_loss", "valid_acc", "learning_rate", "seconds", "l2")
CHANGED_LABELS = {"learning_rate": Msg("lr"), "l2": Msg("lambda")}
# CSV column of each metric: the two settings an epoch can end with differ from the run's start
CSV_COLUMNS = {**{k: k for k in METRICS}, "learning_rate": "epoch_learning_rate", "l2": "epoch_l2"}


# the one figure of a run's speed, everywhere a page shows it (see seconds_per_epoch)
SECONDS_PER_EPOCH = Msg("Seconds per epoch")
SECONDS_PER_EPOCH_HELP = Msg(
    "The median of this run's epochs: half of them took less, half more. The first epoch also "
    "warms up, which does not move the median much; time spent paused is not counted.")


def seconds_per_epoch(history: Sequence) -> float | None:
    """How long one epoch of a run takes: the median of its finished epochs' ``seconds``
    (EpochMetrics), None before the first. Not the mean: the first epoch also warms up (the
    compiled step loads, caches fill), and in a short run that one epoch doubles the mean.
    Not the last epoch alone: a busy server slows one epoch and not the next."""
    seconds = [m.seconds for m in history]
    return float(statistics.median(seconds)) if seconds else None


def describe_changes(changes: Sequence, tr: Translator = ENGLISH) -> str:
    """Settings changed mid-run, e.g. "lr 0.05 at epoch 2.4; lambda 0.001 at epoch 5"."""
    return "; ".join(tr("{setting} {value:g} at epoch {at:g}", setting=CHANGED_LABELS[c.setting],
                        value=c.value, at=c.at) for c in changes)


def differing_settings(settings: Sequence[dict]) -> list[str]:
    """The setting names whose value is not the same in every run (in a stable order)."""
    keys = [k for k in SETTING_LABELS if any(k in s for s in settings)]
    return [k for k in keys if len({repr(s.get(k)) for s in settings}) > 1]


def comparison_rows(runs: Sequence[dict], tr: Translator = ENGLISH) -> list[dict]:
    """One row per run for a table: its name, the settings that differ between the runs
    (all of them when there is a single run), its status and accuracies.

    Each run is a dict with "name", "settings" (dict), "status", "history"
    (list of EpochMetrics), "changes" (list of core.train.SettingChange, optional) and
    "test_accuracy" (float or None). A "changed mid-run" column lists the changes when any
    run has them. ``tr`` translates the column names and the words among the values.
    """
    settings = [r["settings"] for r in runs]
    shown = differing_settings(settings) if len(runs) > 1 else [
        k for k in SETTING_LABELS if k in (settings[0] if settings else {})]
    any_changes = any(r.get("changes") for r in runs)
    column = {key: tr(name) for key, name in COLUMNS.items()}
    rows = []
    for r in runs:
        h = r["history"]
        best = max((m.valid_acc for m in h if m.valid_acc == m.valid_acc), default=None)
        row = {column["run"]: _word(r["name"], tr)}
        row.update({tr(SETTING_LABELS[k]): _word(r["settings"].get(k), tr) for k in shown})
        if any_changes:
            row[column["changes"]] = describe_changes(r.get("changes", ()), tr)
        row.update({column["status"]: _word(r["status"], tr), column["epochs"]: len(h),
                    column["best"]: best, column["test"]: r["test_accuracy"]})
        rows.append(row)
    return rows


def _word(value, tr: Translator):
    """A value for the table: a word (core.i18n.Msg) translated, a number as it is."""
    return tr(value) if isinstance(value, Msg) else value


def metrics_csv(runs: Sequence[dict]) -> str:
    """Every epoch of every run as CSV: run, its settings, then the epoch's metrics (with
    the learning rate and lambda that epoch ended with), then what changed mid-run."""
    keys = list(SETTING_LABELS)
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["run", *keys, "epoch", *(CSV_COLUMNS[k] for k in METRICS), "test_accuracy",
                     "changed_mid_run"])
    for r in runs:
        changes = describe_changes(r.get("changes", ()))
        for m in r["history"]:
            writer.writerow([r["name"], *(r["settings"].get(k, "") for k in keys), m.epoch,
                             *(getattr(m, k) for k in METRICS),
                             "" if r["test_accuracy"] is None else r["test_accuracy"], changes])
    return out.getvalue()
