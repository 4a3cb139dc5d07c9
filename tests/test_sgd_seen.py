"""core.sgd_seen: one SGD step on a real batch, taken by the project's own trainer, shown as
images; its numbers are the maths: W' = W - lr * (x^T (p - y) / B + lambda W)."""

from __future__ import annotations

import numpy as np
import pytest

from core.config import TrainConfig
from core.model import SoftmaxWeights
from core.sgd_seen import batch_indices, montage, seen_step, start, templates_rgb
from core.train import TrainingRun


@pytest.mark.parametrize("lr, l2", [(0.1, 1e-4), (0.5, 0.1)])
def test_the_after_weights_are_w_minus_lr_times_gradient_plus_lambda_w(mnist, lr, l2):
    W, b = start(mnist, 34)
    idx = batch_indices(mnist, 34, 100, 1)
    step = seen_step(mnist, W, b, idx, lr, l2)
    x, y = mnist.features("train")[idx].astype(np.float64), mnist.y_train[idx]
    delta = SoftmaxWeights(W, b).predict_proba(x)
    delta[np.arange(len(y)), y] -= 1
    assert np.allclose(step.gradient, x.T @ delta / len(y), atol=1e-7)
    assert np.allclose(step.W_after, W - lr * (step.gradient + l2 * W), atol=1e-6)
    assert np.allclose(step.b_after, b - lr * delta.mean(axis=0), atol=1e-6)
    assert np.array_equal(step.W_before, W) and step.images.shape == (100, 784)


def test_the_steps_are_the_first_steps_of_a_run_with_that_seed(mnist):
    """Two steps here end where a Train-page run with the same seed is after two batches."""
    W, b = start(mnist, 34)
    for number in (1, 2):
        step = seen_step(mnist, W, b, batch_indices(mnist, 34, 100, number), 0.1, 1e-4, number)
        W, b = step.W_after, step.b_after
    run = TrainingRun(mnist, TrainConfig(epochs=1, learning_rate=0.1, l2=1e-4, seed=34))
    order = run._next_order()
    n = len(order)
    run._sgd_steps(order, 0, 2, np.empty(n, np.float32), np.empty(n, bool))
    assert np.allclose(run.sgd.master_WT.T, W, atol=1e-6)


def test_a_step_helps_the_batch_it_was_taken_on(mnist):
    W, b = start(mnist, 34)
    step = seen_step(mnist, W, b, batch_indices(mnist, 34, 100, 1), 0.1, 1e-4)
    assert step.loss_after < step.loss_before
    assert step.right_after >= step.right_before


def test_batches_differ_and_wrap_after_the_epoch(mnist):
    first, second = batch_indices(mnist, 34, 100, 1), batch_indices(mnist, 34, 100, 2)
    assert len(set(first) & set(second)) == 0
    assert np.array_equal(batch_indices(mnist, 34, 100, 501), first)  # 50,000 / 100 steps


def test_montage_lays_the_digits_out_in_rows():
    images = np.ones((25, 784), np.float32)
    out = montage(images, columns=10)
    assert out.shape == (3 * 29 - 1, 10 * 29 - 1)
    assert out[0, 0] == 1 and out[28, 0] == pytest.approx(0.35)


def test_templates_are_drawn_left_to_right_on_one_scale():
    W = np.zeros((784, 3))
    W[0, 1], W[0, 2] = 1.0, -5.0  # top-left pixel: red in template 1, blue (clipped) in 2
    out = templates_rgb(W, limit=1.0, scale=2, gap=4)
    assert out.shape == (56, 3 * 60 - 4, 3)
    white, red, blue = out[0, 0], out[0, 60], out[0, 120]
    assert red[0] > red[2] and blue[2] > blue[0] and white.min() > 240
