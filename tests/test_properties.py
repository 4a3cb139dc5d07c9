"""Property-based tests (hypothesis): the preprocessing and the model maths hold for any input."""

from __future__ import annotations

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from core.canvas import NothingDrawn, preprocess_canvas
from core.model import SoftmaxWeights, softmax

SETTINGS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@st.composite
def canvas_images(draw):
    h = draw(st.integers(1, 120))
    w = draw(st.integers(1, 120))
    channels = draw(st.sampled_from([None, 3, 4]))
    shape = (h, w) if channels is None else (h, w, channels)
    if draw(st.booleans()):
        return draw(arrays(np.uint8, shape, elements=st.integers(0, 255)))
    return draw(arrays(np.float32, shape, elements=st.floats(0, 1, width=32)))


@SETTINGS
@given(canvas_images())
def test_any_image_gives_a_valid_28x28_or_nothing_drawn(image):
    try:
        out = preprocess_canvas(image)
    except NothingDrawn:
        return
    assert out.shape == (28, 28) and out.dtype == np.float32
    assert np.isfinite(out).all() and out.min() >= 0 and out.max() <= 1
    assert out.max() == 1  # the ink is rescaled to full strength


@SETTINGS
@given(arrays(np.float64, st.tuples(st.integers(1, 5), st.integers(1, 12)),
              elements=st.floats(-1e300, 1e300, allow_nan=False, allow_infinity=False)))
def test_softmax_of_any_finite_logits_is_a_distribution(z):
    p = softmax(z)
    assert np.isfinite(p).all() and (p >= 0).all()
    np.testing.assert_allclose(p.sum(axis=1), 1.0, rtol=1e-9)


MODEL = SoftmaxWeights.initialise(seed=3)


@SETTINGS
@given(arrays(np.float32, st.tuples(st.integers(1, 4), st.just(784)),
              elements=st.floats(allow_nan=False, allow_infinity=False, width=32)))
def test_predict_proba_is_finite_and_sums_to_one_for_any_finite_input(x):
    p = MODEL.predict_proba(x)
    assert np.isfinite(p).all()
    np.testing.assert_allclose(p.sum(axis=1), 1.0, rtol=1e-5)
