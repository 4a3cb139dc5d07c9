"""The trainer: learning, determinism, controls, divergence."""

from __future__ import annotations

import threading
import time

import numpy as np
import pytest

from core.bench import compare
from core.config import TrainConfig
from core.metrics import accuracy
from core.train import RunStatus, TrainingRun


def test_a_short_run_on_real_mnist_learns(mnist, trained_run):
    h = trained_run.history
    assert [m.epoch for m in h] == [1, 2, 3]
    assert trained_run.status is RunStatus.FINISHED
    assert h[0].valid_acc > 0.85 and h[-1].valid_acc > 0.90
    assert h[-1].train_loss < h[0].train_loss and h[-1].valid_loss < h[0].valid_loss
    assert all(0 < m.seconds and m.learning_rate == 0.1 for m in h)
    assert accuracy(trained_run.model, mnist.features("test"), mnist.y_test) > 0.90


def test_same_seed_and_config_give_bit_identical_metrics(mnist, trained_run):
    again = TrainingRun(mnist, TrainConfig(epochs=3))
    again.run()
    strip = lambda run: [(m.train_loss, m.train_acc, m.valid_loss, m.valid_acc) for m in run.history]  # noqa: E731
    assert strip(again) == strip(trained_run)
    np.testing.assert_array_equal(again.model.W, trained_run.model.W)
    other = TrainingRun(mnist, TrainConfig(epochs=1, seed=35))
    other.run()
    assert other.history[0].valid_loss != trained_run.history[0].valid_loss


def test_trainer_matches_the_plain_reference_loop(mnist):
    """Our rearranged arithmetic computes the tutorial's update: same accuracy after an
    epoch at a batch size that is split into chunks and one that is not."""
    for batch in (100, 250):
        result = compare(mnist, batch, epochs=1)
        assert abs(result["ref_acc"] - result["ours_acc"]) <= 0.001, result


def test_continue_for_more_epochs_equals_one_longer_run(mnist):
    two = TrainingRun(mnist, TrainConfig(epochs=2, batch_size=500))
    two.run()
    one_plus_one = TrainingRun(mnist, TrainConfig(epochs=1, batch_size=500))
    one_plus_one.run()
    one_plus_one.extend(1)
    one_plus_one.run()
    assert one_plus_one.status is RunStatus.FINISHED and one_plus_one.epochs_done == 2
    assert [m.valid_loss for m in one_plus_one.history] == [m.valid_loss for m in two.history]


def _run_in_thread(run):
    thread = threading.Thread(target=run.run, daemon=True)
    thread.start()
    return thread


def _wait_for(condition, timeout=30.0):
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.005)


def test_pause_resume_and_learning_rate_change_between_batches(mnist):
    run = TrainingRun(mnist, TrainConfig(epochs=2, batch_size=10))
    thread = _run_in_thread(run)
    _wait_for(lambda: run.batches_done > 5)
    run.pause()
    _wait_for(lambda: run.status is RunStatus.PAUSED)
    time.sleep(0.05)
    held = run.batches_done
    time.sleep(0.2)
    assert run.batches_done == held  # nothing moves while paused
    run.set_learning_rate(0.05)
    run.resume()
    thread.join(60)
    assert run.status is RunStatus.FINISHED
    assert [m.learning_rate for m in run.history] == [0.05, 0.05]
    with pytest.raises(ValueError, match="between"):
        run.set_learning_rate(-1)


def test_stop_mid_epoch_keeps_the_last_full_epoch(mnist):
    run = TrainingRun(mnist, TrainConfig(epochs=50, batch_size=10))
    thread = _run_in_thread(run)
    _wait_for(lambda: run.epochs_done >= 1 and run.batches_done > 10)
    run.stop()
    thread.join(30)
    assert run.status is RunStatus.STOPPED and "kept" in run.message
    np.testing.assert_array_equal(run.model.W, run.snapshot.W)
    assert run.model.is_finite()


@pytest.mark.parametrize("lr", [10, 100, 1000])
def test_divergence_stops_explains_and_restores_weights(mnist, lr):
    run = TrainingRun(mnist, TrainConfig(epochs=5, learning_rate=lr))
    initial = run.model.W.copy()
    run.run()
    assert run.status is RunStatus.DIVERGED
    assert "learning rate" in run.message and f"{lr / 10:g}" in run.message
    assert run.model.is_finite()
    np.testing.assert_array_equal(run.model.W, initial)  # diverged in epoch 1: back to the start
    with pytest.raises(ValueError, match="diverged"):
        run.extend(5)


def test_l2_too_strong_for_the_step_diverges_with_nan_and_says_why(mnist):
    run = TrainingRun(mnist, TrainConfig(epochs=3, learning_rate=1, l2=50))
    run.run()
    assert run.status is RunStatus.DIVERGED and "lambda" in run.message
    assert run.model.is_finite()


@pytest.mark.parametrize("kwargs, message", [
    ({"learning_rate": 0}, "learning_rate"), ({"learning_rate": float("nan")}, "finite"),
    ({"l2": -1}, "l2"), ({"batch_size": 0}, "batch_size"), ({"epochs": 0}, "epochs"),
    ({"epochs": 10_001}, "epochs"), ({"epochs": 2.5}, "whole number"), ({"seed": -1}, "seed"),
    ({"batch_size": True}, "number"),
])
def test_config_validation(kwargs, message):
    with pytest.raises(ValueError, match=message):
        TrainConfig(**kwargs)


def test_batch_larger_than_training_set_is_refused_and_full_batch_works(mnist):
    with pytest.raises(ValueError, match="larger than the 50,000"):
        TrainingRun(mnist, TrainConfig(batch_size=50_001))
    run = TrainingRun(mnist, TrainConfig(epochs=1, batch_size=50_000, learning_rate=1))
    run.run()
    assert run.status is RunStatus.FINISHED and run.n_batches == 1


def test_coach_pauses_a_rising_loss_and_rolls_back_to_the_best_epoch(mnist):
    run = TrainingRun(mnist, TrainConfig(epochs=8, learning_rate=3.0, batch_size=100), coach=True)
    thread = _run_in_thread(run)
    _wait_for(lambda: run.status is RunStatus.PAUSED, timeout=60)
    losses = [m.valid_loss for m in run.history]
    best = int(np.argmin(losses)) + 1
    assert run.best_epoch == best and "rose 3 epochs in a row" in run.message
    assert run.suggested_learning_rate == pytest.approx(0.3)
    W_best, _ = run.weights.get(best)
    np.testing.assert_array_equal(run.model.W, W_best)
    run.stop()
    thread.join(30)


def test_the_tutorial_settings_never_trigger_the_coach(mnist):
    run = TrainingRun(mnist, TrainConfig(epochs=12), coach=True)
    run.run()
    assert run.status is RunStatus.FINISHED and run.message == ""


def test_weight_history_replays_exact_epochs_and_stays_bounded(mnist):
    from core.snapshots import WeightHistory

    run = TrainingRun(mnist, TrainConfig(epochs=3, batch_size=1000))
    seen = {}
    for m in run.iter_epochs():
        seen[m.epoch] = run.model.W.copy()
    for epoch, W in seen.items():
        np.testing.assert_array_equal(run.weights.get(epoch)[0], W)
    assert run.weights.epochs == [0, 1, 2, 3]
    history = WeightHistory(capacity=10)
    for e in range(200):
        history.add(e, np.full((2, 2), e, np.float32), np.zeros(2, np.float32))
    assert len(history) <= 10 and history.epochs[0] == 0 and history.epochs[-1] == 199
    assert history.get(199)[0][0, 0] == 199 and history.nearest(150) in history.epochs
    assert history.nbytes == len(history) * (16 + 8)
