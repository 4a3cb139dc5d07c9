"""core.one_change: a run's twin with exactly one setting changed, and the caption written
from two run records."""

from __future__ import annotations

import pytest

from core.config import TrainConfig
from core.i18n import Msg, Translator, read_catalog
from core.one_change import captions, changed_config, compare_caption, other_values
from core.run_state import EpochMetrics


def _record(name="run 1", test=0.923, norm=8.7, valid=0.92, changes=(), **settings):
    base = {**TrainConfig().to_dict(), "dataset": "MNIST", "preprocessing": Msg("as they are")}
    history = [EpochMetrics(1, 0.4, 0.88, 0.35, valid, 0.1, 0.5)]
    return {"name": Msg(name), "settings": {**base, **settings}, "history": history,
            "changes": list(changes), "test_accuracy": test, "weights_norm": norm}


def test_changed_config_keeps_the_seed_and_changes_exactly_one_setting():
    config = TrainConfig(epochs=5, seed=7)
    new = changed_config(config, "l2", 1e-2)
    assert new.seed == 7 and new.l2 == 1e-2
    assert {k for k, v in new.to_dict().items() if v != config.to_dict()[k]} == {"l2"}


def test_changing_to_the_same_value_or_an_unknown_setting_is_refused():
    with pytest.raises(ValueError, match="already"):
        changed_config(TrainConfig(), "l2", 1e-4)
    with pytest.raises(ValueError):
        changed_config(TrainConfig(), "seed", 3)
    with pytest.raises(ValueError):
        changed_config(TrainConfig(), "learning_rate", -1.0)
    assert 1e-4 not in other_values(TrainConfig(), "l2")


def test_one_setting_changed_gives_the_issue_s_caption():
    a = _record()
    b = _record("run 2", test=0.891, norm=2.1, l2=1e-2)
    assert compare_caption(a, b) == ("only lambda changed, 0.0001 -> 0.01: test accuracy "
                                     "92.3% -> 89.1%, weights norm 8.7 -> 2.1")


def test_runs_that_differ_in_several_settings_say_so():
    a = _record()
    b = _record("run 2", l2=1e-2, learning_rate=0.5, seed=1)
    text = compare_caption(a, b)
    assert text.startswith("3 settings differ (learning rate 0.1 -> 0.5; lambda 0.0001 -> "
                           "0.01; seed 34 -> 1): these two runs cannot tell which one did what")


def test_without_a_test_accuracy_the_best_validation_accuracy_is_compared():
    a, b = _record(test=None, valid=0.9), _record("run 2", test=None, valid=0.8, batch_size=10)
    assert "best validation accuracy 90.0% -> 80.0%" in compare_caption(a, b)


def test_a_mid_run_change_is_mentioned_and_captions_name_the_runs():
    a, b = _record(changes=["lr"]), _record("run 2", epochs=3)
    (text,) = captions(b, [a])
    assert text.startswith("run 2 against run 1: only epochs changed, 200 -> 3")
    assert "changed mid-run" in text


def test_the_caption_in_japanese():
    ja = Translator("ja", read_catalog("ja"))
    text = compare_caption(_record(), _record("run 2", test=0.891, norm=2.1, l2=1e-2), ja)
    assert "0.0001 -> 0.01" in text and "92.3%" in text
    assert not text.startswith("only")
