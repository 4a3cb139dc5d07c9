"""Shared fixtures: the bundled MNIST (loaded once per test session), a briefly trained model,
and Debian's chromium for the browser tests."""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
# The compiled kernel checks every index in the tests (numba checks none by default), and is
# compiled for them into a cache of their own, never mixed with the app's unchecked one.
os.environ["NUMBA_BOUNDSCHECK"] = "1"
os.environ["NUMBA_CACHE_DIR"] = str(Path(tempfile.gettempdir()) / "numba-cache-boundscheck")
# scikit-learn's estimator checks include one that runs with array-API dispatch on NumPy
# input (core.estimator's SoftmaxRegression must give the same results); SciPy allows that only
# when this is set before it is imported. Without it the check would be skipped.
os.environ["SCIPY_ARRAY_API"] = "1"
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))


@pytest.fixture(scope="session")
def mnist():
    from core.data import load_mnist

    return load_mnist()


@pytest.fixture(scope="session")
def trained_run(mnist):
    """Three epochs with the tutorial's settings: about 91-92% accuracy, in about a second."""
    from core.config import TrainConfig
    from core.train import TrainingRun

    run = TrainingRun(mnist, TrainConfig(epochs=3))
    run.run()
    return run


@pytest.fixture(scope="module")
def browser():
    """Debian's chromium under playwright, one per test module (browser tests fail, never
    skip, without it: ``bash run.sh test`` installs it)."""
    from support.e2e import CHROMIUM, chromium

    assert Path(CHROMIUM).exists(), f"{CHROMIUM} is missing: apt-get install -y chromium"
    with chromium() as b:
        yield b
