"""core.flip: the smallest pixel change that makes the linear model answer q, on real test
digits, for the shipped model and the deskewing one (whose inputs are deskewed first)."""

from __future__ import annotations

import numpy as np
import pytest

from conftest import ROOT
from core.explain import runner_up
from core.flip import FRAMES, VISIBLE, flip
from core.model_file import load_model


@pytest.fixture(scope="module", params=["default_model.npz", "deskewed_model.npz"])
def model_and_inputs(request, mnist):
    """A shipped model and the first 12 test digits as that model reads them."""
    model = load_model(ROOT / "data" / request.param)
    inputs, _ = model.read(mnist.x_test[:12])
    return model, inputs


def test_the_flipped_image_reads_q_and_the_unflipped_one_p_for_every_q(model_and_inputs):
    model, inputs = model_and_inputs
    for x in inputs:
        p = int(model.predict(x)[0])
        for q in (k for k in range(10) if k != p):
            f = flip(model, x, q)
            assert f.reached and f.p == p and f.q == q
            assert model.predict(f.frames[0].astype(np.float32))[0] == p
            assert model.predict(f.flipped.astype(np.float32))[0] == q
            assert f.flipped.min() >= 0 and f.flipped.max() <= 1


def test_the_path_closes_the_gap_steadily_from_as_it_is_to_just_flipped(model_and_inputs):
    model, inputs = model_and_inputs
    x = inputs[0]
    f = flip(model, x, runner_up(model.predict_proba(x)[0]))
    assert len(f.frames) == FRAMES and np.array_equal(f.frames[0], x.astype(np.float64))
    assert np.all(np.diff(f.gaps) < 0)  # z_p - z_q falls at every frame
    assert f.gaps[0] > 0 > f.gaps[-1]
    direct = (model.W[:, f.p] - model.W[:, f.q]).astype(np.float64)
    assert np.allclose(f.gaps, f.frames @ direct + model.b[f.p] - model.b[f.q], atol=1e-4)


def test_the_counts_are_what_changed(model_and_inputs):
    model, inputs = model_and_inputs
    x = inputs[1]
    f = flip(model, x, runner_up(model.predict_proba(x)[0]))
    change = f.flipped - x
    assert f.pixels_changed == int(np.sum(np.abs(change) >= VISIBLE)) > 0
    assert f.ink_added - f.ink_removed == pytest.approx(f.flipped.sum() - x.sum(), abs=1e-3)
    assert f.ink_before == pytest.approx(float(x.sum()), rel=1e-6)


def test_for_one_rival_no_shorter_step_along_the_line_flips_it(model_and_inputs):
    """With one rival the flip point is clip(x - t d): any smaller t still reads p."""
    model, inputs = model_and_inputs
    x = inputs[2].astype(np.float64)
    proba = model.predict_proba(x)[0]
    f = flip(model, x, runner_up(proba))
    d = (model.W[:, f.p] - model.W[:, f.q]).astype(np.float64)
    t = np.dot(x - f.flipped, d) / np.dot(d, d)  # how far along -d it went, roughly
    shorter = np.clip(x - 0.9 * t * d, 0, 1)
    assert model.predict(shorter.astype(np.float32))[0] == f.p


def test_bad_targets_are_refused(model_and_inputs):
    model, inputs = model_and_inputs
    p = int(model.predict(inputs[0])[0])
    for q in (p, -1, 10):
        with pytest.raises(ValueError):
            flip(model, inputs[0], q)
    with pytest.raises(ValueError):
        flip(model, inputs[0][:100], (p + 1) % 10)
