"""The compiled step (core.kernel) against the readable NumPy step (core.sgd.SGD.step).

conftest.py runs the whole test session with NUMBA_BOUNDSCHECK=1 and its own numba cache,
so an index out of bounds in the kernel is an IndexError here, not silent memory reads.
"""

from __future__ import annotations

import os
import threading

import numpy as np
import pytest

from core import kernel
from core.data import FASHION_MNIST_DEBIAN, load_folder
from core.metrics import accuracy
from core.model import SoftmaxWeights
from core.sgd import MAX_CHUNK, SGD

BATCHES = [1, 16, 100, 120, 121, 128, 512, 50_000]


def test_the_tests_check_bounds():
    assert os.environ.get("NUMBA_BOUNDSCHECK") == "1"
    from numba.core import config

    assert config.BOUNDSCHECK


def _pair(data, lr, l2=1e-4, seed=34):
    """Two SGDs from the same start: one for the NumPy step, one for the kernel."""
    rng = np.random.RandomState(seed)
    W, b = SoftmaxWeights.initial_weights(data.n_features, data.n_classes, rng)
    make = lambda: SGD(W, b, data.x_train, data.y_train, data.pixel_scale, lr, l2)  # noqa: E731
    return make(), make()


def _epoch(data, sgd, batch, order, compiled):
    n = len(order)
    p_true, hit = np.empty(n, np.float32), np.empty(n, bool)
    n_batches = -(-n // batch)
    if compiled:
        kernel.sgd_batches(data.x_train, data.y_train, order, 0, n_batches, batch, MAX_CHUNK,
                           sgd.master_WT, sgd.master_b, sgd.WT, sgd.b, sgd.learning_rate,
                           sgd.l2, sgd.pixel_scale, p_true, hit)
    else:
        for k in range(n_batches):
            s = slice(k * batch, (k + 1) * batch)
            sgd.step(order[s], p_true[s], hit[s])
    return p_true, hit


@pytest.mark.parametrize("batch", BATCHES)
def test_one_epoch_of_the_kernel_is_the_numpy_step(mnist, batch):
    """Every weight within 1e-5 after a whole epoch, the same hits, p(true) within 1e-5.
    (Batch 1 at learning rate 0.01: at 0.1 a single image's step overshoots and any two
    roundings part ways; see tests/test_tutorial.py.)"""
    numpy_sgd, compiled_sgd = _pair(mnist, lr=0.01 if batch == 1 else 0.1)
    order = np.random.RandomState(1).permutation(len(mnist.y_train))
    p_a, hit_a = _epoch(mnist, numpy_sgd, batch, order, compiled=False)
    p_b, hit_b = _epoch(mnist, compiled_sgd, batch, order, compiled=True)
    assert np.abs(numpy_sgd.master_WT - compiled_sgd.master_WT).max() < 1e-5
    assert np.abs(numpy_sgd.master_b - compiled_sgd.master_b).max() < 1e-5
    np.testing.assert_array_equal(compiled_sgd.WT, compiled_sgd.master_WT.astype(np.float32))
    assert np.array_equal(hit_a, hit_b)
    assert np.abs(p_a - p_b).max() < 1e-5


@pytest.mark.parametrize("source", ["mnist", "fashion"])
def test_five_epochs_reach_the_same_test_accuracy(mnist, source):
    data = mnist if source == "mnist" else load_folder(FASHION_MNIST_DEBIAN, "Fashion-MNIST")
    numpy_sgd, compiled_sgd = _pair(data, lr=0.1)
    rng = np.random.RandomState(5)
    for _ in range(5):
        order = rng.permutation(len(data.y_train))
        _epoch(data, numpy_sgd, 100, order, compiled=False)
        _epoch(data, compiled_sgd, 100, order, compiled=True)
    scores = [accuracy(SoftmaxWeights(s.WT.T, s.b), data.features("test"),
                       data.y_test) for s in (numpy_sgd, compiled_sgd)]
    assert scores[0] == scores[1] and scores[0] > 0.8


def test_non_finite_values_come_out_as_in_numpy(mnist):
    """No fastmath: a step so large that the weights blow up gives NaN or infinity in the
    kernel exactly where it does in NumPy, so the divergence check sees it."""
    numpy_sgd, compiled_sgd = _pair(mnist, lr=1e3, l2=50.0)
    order = np.arange(5_000, dtype=np.int64)
    for compiled, sgd in ((False, numpy_sgd), (True, compiled_sgd)):
        with np.errstate(all="ignore"):
            _epoch(mnist, sgd, 100, order, compiled)
    assert not np.isfinite(compiled_sgd.master_WT).all()
    np.testing.assert_array_equal(np.isfinite(numpy_sgd.master_WT),
                                  np.isfinite(compiled_sgd.master_WT))


def test_the_kernel_releases_the_interpreter_lock(mnist):
    """While one thread is inside the compiled step, Python code runs on another thread:
    a counter in the main thread keeps going during a long kernel call."""
    _, sgd = _pair(mnist, lr=0.1)
    order = np.random.RandomState(2).permutation(len(mnist.y_train))
    inside, done = threading.Event(), threading.Event()

    def train():
        inside.set()
        for _ in range(3):
            _epoch(mnist, sgd, 100, order, compiled=True)
        done.set()

    worker = threading.Thread(target=train)
    worker.start()
    inside.wait()
    ticks = 0
    while not done.is_set():
        ticks += 1  # pure Python: runs only while this thread holds the lock
    worker.join()
    # with the lock held for whole kernel calls the main thread would get a few switch
    # intervals (5 ms each) per call; released, it counts all the time
    assert ticks > 100_000
