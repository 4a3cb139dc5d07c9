"""Lessons, settings from a shared URL, and the comparison of runs."""

from __future__ import annotations

import csv
import io

import pytest

from core.config import TrainConfig
from core.presets import (
    LAMBDAS,
    LEARNING_RATES,
    PRESETS,
    nearest_choice,
    query_from_settings,
    settings_from_query,
)
from core.run_state import EpochMetrics
from core.runs import (
    CSV_COLUMNS,
    METRICS,
    comparison_rows,
    differing_settings,
    metrics_csv,
    seconds_per_epoch,
)


def test_every_preset_is_a_valid_config_offered_by_the_controls():
    assert set(PRESETS) == {"tutorial", "lr-too-high", "lambda-too-high", "too-few-epochs",
                            "tiny-batches", "deskewing"}
    tutorial = PRESETS["tutorial"].config()
    assert tutorial == TrainConfig(epochs=200, learning_rate=0.1, l2=1e-4, batch_size=100, seed=34)
    for p in PRESETS.values():
        c = p.config()
        assert c.learning_rate in LEARNING_RATES and c.l2 in LAMBDAS and p.watch


def test_url_round_trip():
    config = TrainConfig(epochs=30, learning_rate=0.5, l2=0.0, batch_size=50, seed=7)
    settings, preset, notes = settings_from_query(query_from_settings(config, "lambda-too-high"))
    assert notes == [] and preset == "lambda-too-high"
    assert TrainConfig(**settings) == config  # explicit values override the preset's


def test_deskewing_comes_from_its_lesson_or_the_link_and_goes_back_into_it():
    from core.presets import preprocessing_from_query

    assert PRESETS["deskewing"].preprocessing == "deskew"
    assert PRESETS["deskewing"].title == "Deskewing: LeCun's 88.0 -> 91.6 %"
    assert preprocessing_from_query({}) == ("none", [])
    assert preprocessing_from_query({}, "deskewing") == ("deskew", [])
    assert preprocessing_from_query({"deskew": "1"}) == ("deskew", [])
    assert preprocessing_from_query({"deskew": "off"}, "deskewing") == ("none", [])
    kept, notes = preprocessing_from_query({"deskew": "maybe"}, "deskewing")
    assert kept == "deskew" and "deskew='maybe'" in notes[0]
    q = query_from_settings(TrainConfig(epochs=20), "deskewing", "deskew")
    assert q["deskew"] == "1" and q["preset"] == "deskewing"
    assert preprocessing_from_query(q, settings_from_query(q)[1]) == ("deskew", [])
    assert "deskew" not in query_from_settings(TrainConfig())  # plain links stay as they were


@pytest.mark.parametrize("params, note", [
    ({"lr": "abc"}, "lr='abc' is not a number"),
    ({"lr": "nan"}, "not a finite number"),
    ({"lr": "1e9"}, "outside"),
    ({"epochs": "2.5"}, "not a whole number"),
    ({"epochs": "0"}, "outside"),
    ({"epochs": "99999999"}, "outside"),
    ({"batch": "-4"}, "outside"),
    ({"seed": "x"}, "not a number"),
    ({"preset": "nope"}, "not a known lesson"),
])
def test_malformed_or_out_of_range_url_values_are_ignored_with_a_note(params, note):
    settings, preset, notes = settings_from_query(params)
    assert settings == {} and preset is None
    assert len(notes) == 1 and note in notes[0]


def test_values_between_choices_snap_to_the_nearest_on_a_log_scale():
    settings, _, notes = settings_from_query({"lr": "0.3", "l2": "0"})
    # |log 0.3 - log 0.2| < |log 0.5 - log 0.3|
    assert settings == {"learning_rate": 0.2, "l2": 0.0}
    assert "nearest" in notes[0]
    assert nearest_choice(0.0, LAMBDAS) == 0.0 and nearest_choice(2e-4, LAMBDAS) == 1e-4


def _run(name, lr, l2, accs, test):
    history = [EpochMetrics(e + 1, 0.5 - 0.1 * e, a, 0.4, a, lr, 0.05, l2)
               for e, a in enumerate(accs)]
    return {"name": name, "settings": {"epochs": 3, "learning_rate": lr, "l2": l2,
                                       "batch_size": 100, "seed": 34, "dataset": "MNIST"},
            "status": "finished", "history": history, "test_accuracy": test}


def test_comparison_shows_only_the_settings_that_differ():
    runs = [_run("run 1", 0.1, 1e-4, [0.9, 0.91], 0.92), _run("run 2", 0.5, 1e-4, [0.88], None)]
    assert differing_settings([r["settings"] for r in runs]) == ["learning_rate"]
    rows = comparison_rows(runs)
    assert rows[0] == {"run": "run 1", "learning rate": 0.1, "status": "finished",
                       "epochs done": 2, "best valid acc": 0.91, "test acc": 0.92}
    assert rows[1]["test acc"] is None
    single = comparison_rows(runs[:1])[0]
    assert {"learning rate", "lambda", "batch", "seed"} <= set(single)


def test_metrics_csv_holds_every_epoch_of_every_run():
    runs = [_run("run 1", 0.1, 1e-4, [0.9, 0.91], 0.92), _run("run 2", 0.5, 0.0, [0.88], None)]
    rows = list(csv.DictReader(io.StringIO(metrics_csv(runs))))
    assert [(r["run"], r["epoch"]) for r in rows] == [
        ("run 1", "1"), ("run 1", "2"), ("run 2", "1")]
    assert rows[2]["l2"] == "0.0" and rows[2]["test_accuracy"] == ""
    rebuilt = [EpochMetrics(int(r["epoch"]), *(float(r[CSV_COLUMNS[k]]) for k in METRICS))
               for r in rows[:2]]
    assert rebuilt == runs[0]["history"]  # every metric survives the round trip


def test_settings_changed_mid_run_show_in_the_table_and_the_csv(mnist):
    from core.config import TrainConfig
    from core.train import TrainingRun

    run = TrainingRun(mnist, TrainConfig(epochs=2, batch_size=1000))
    epochs = run.iter_epochs()
    next(epochs)
    run.set_l2(1e-3)  # between epochs 1 and 2
    run.set_learning_rate(0.05)
    list(epochs)
    record = {"name": "run 1", "settings": run.config.to_dict(), "status": "finished",
              "history": run.history, "changes": run.changes, "test_accuracy": None}
    steady = _run("run 2", 0.1, 1e-4, [0.9, 0.91], None)
    rows = comparison_rows([record, steady])
    assert rows[0]["changed mid-run"] == "lambda 0.001 at epoch 1; lr 0.05 at epoch 1"
    assert rows[1]["changed mid-run"] == ""
    csv_rows = list(csv.DictReader(io.StringIO(metrics_csv([record]))))
    assert [(r["l2"], r["epoch_l2"]) for r in csv_rows] == [
        ("0.0001", "0.0001"), ("0.0001", "0.001")]
    assert [r["epoch_learning_rate"] for r in csv_rows] == ["0.1", "0.05"]
    assert csv_rows[1]["changed_mid_run"] == rows[0]["changed mid-run"]


def test_seconds_per_epoch_is_the_typical_epoch_not_the_warm_up():
    """Seen on the Train page: epochs of 1.9, 0.33, 0.31 and 0.36 s gave "0.734 s per epoch"
    (the mean, mostly the first epoch's warm-up) beside "Seconds per epoch 0.33" (the last
    epoch). The one figure now is the median, a time most epochs took."""
    history = [EpochMetrics(e, 0.5, 0.8, 0.5, 0.8, 0.1, s) for e, s in
               enumerate([1.9, 0.33, 0.31, 0.36], start=1)]
    assert seconds_per_epoch(history) == pytest.approx(0.345)
    assert seconds_per_epoch(history[:3]) == pytest.approx(0.33)
    assert seconds_per_epoch(history[:1]) == pytest.approx(1.9)
    assert seconds_per_epoch([]) is None
