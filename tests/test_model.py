"""The maths of softmax regression (softmax, loss, gradients), save/load, the messages for bad
model files, and the test-set metrics."""

from __future__ import annotations

import io
import json

import numpy as np
import pytest

from conftest import ROOT
from core.metrics import confusion_matrix, evaluate, per_class_accuracy
from core.model import SoftmaxWeights, cross_entropy, softmax
from core.model_file import ModelFileError, load_model, model_from_bytes, save_model
from core.preprocess import prepare_images


def test_softmax_is_stable_for_huge_logits():
    z = np.array([[1000.0, 1001.0, 1002.0], [-1e4, 0.0, 1e4], [3e38, 3e38, -3e38]], np.float32)
    p = softmax(z)
    assert np.isfinite(p).all()
    np.testing.assert_allclose(p.sum(axis=1), 1.0, rtol=1e-6)
    # shifting all logits by a constant changes nothing
    np.testing.assert_allclose(p[0], softmax(np.array([[0.0, 1.0, 2.0]]))[0], rtol=1e-6)
    assert p[1].tolist() == [0.0, 0.0, 1.0]


def test_cross_entropy_clips_the_log_at_1e_10():
    p = np.array([[1.0, 0.0], [0.5, 0.5]])
    assert cross_entropy(p, np.array([1, 0])) == pytest.approx((-np.log(1e-10) - np.log(0.5)) / 2)


def test_analytic_gradient_matches_central_differences():
    rng = np.random.default_rng(0)
    x, y = rng.random((7, 12)), rng.integers(0, 4, 7)
    model = SoftmaxWeights(rng.normal(0, 0.5, (12, 4)), rng.normal(0, 0.5, 4))
    l2 = 0.3
    _, dW, db = model.gradients(x, y, l2)
    eps = 1e-6
    for params, grad in ((model.W, dW), (model.b, db)):
        numeric = np.zeros_like(params)
        for i in np.ndindex(params.shape):
            saved = params[i]
            params[i] = saved + eps
            up = model.loss(x, y, l2)
            params[i] = saved - eps
            down = model.loss(x, y, l2)
            params[i] = saved
            numeric[i] = (up - down) / (2 * eps)
        np.testing.assert_allclose(grad, numeric, rtol=1e-5, atol=1e-8)


def test_predict_proba_rows_sum_to_one_and_bad_shapes_say_what_to_do():
    model = SoftmaxWeights.initialise(seed=1)
    x = np.random.default_rng(1).random((5, 784), dtype=np.float32)
    p = model.predict_proba(x)
    assert p.shape == (5, 10) and p.dtype == np.float32
    np.testing.assert_allclose(p.sum(axis=1), 1, rtol=1e-5)
    assert (model.predict(x) == p.argmax(axis=1)).all()
    with pytest.raises(ValueError, match="reshape"):
        model.predict(np.zeros((5, 28, 28)))


def test_initialisation_follows_the_tutorial():
    model = SoftmaxWeights.initialise(seed=34)
    assert model.W.shape == (784, 10) and model.W.dtype == np.float32
    assert -0.08 <= model.W.min() < -0.079 and 0.079 < model.W.max() <= 0.08
    assert (model.b == 0).all() and model.b.dtype == np.float32
    np.testing.assert_array_equal(model.W, SoftmaxWeights.initialise(seed=34).W)


def test_weights_report_the_settings_they_were_trained_with(trained_run):
    """A model's hyperparameters are those its config records (they were once reported as
    fit's defaults beside the real config); an untrained model records none."""
    model = trained_run.model
    assert model.hyperparameters == trained_run.config
    assert repr(model) == ("SoftmaxWeights(784x10, epochs=3, learning_rate=0.1, l2=0.0001, "
                           "batch_size=100, seed=34)")
    bare = SoftmaxWeights(np.eye(3, dtype=np.float32), np.zeros(3, np.float32),
                          ("cat", "dog", "eel"), {"epochs": 7})
    assert bare.hyperparameters is None and repr(bare) == "SoftmaxWeights(3x3)"
    assert bare.predict(np.array([[0, 5, 1], [9, 0, 0]], np.float32)).tolist() == [1, 0]
    copy = bare.copy()
    copy.W[0, 0] = 5
    assert bare.W[0, 0] == 1  # a copy owns its weights


@pytest.mark.parametrize("name", ["default", "deskewed"])
def test_read_prepares_raw_images_as_the_model_expects(mnist, name):
    """model.read: raw images (uint8 0-255 or float 0-1, flat or 28x28) prepared as the
    model's own training digits were, scaled, and read: the deskewed model sees the test
    set as its deskewed copy holds it."""
    model = load_model(ROOT / "data" / f"{name}_model.npz")
    prepared = mnist.prepared(model.preprocessing)
    inputs, proba = model.read(mnist.x_test[:200])
    np.testing.assert_allclose(inputs, prepared.features("test")[:200], atol=1e-6)
    np.testing.assert_array_equal(proba, model.predict_proba(inputs))
    assert inputs.shape == (200, 784) and proba.shape == (200, 10)
    floats = mnist.features("test")[:200].reshape(200, 28, 28)  # 0-1, as a drawing is
    float_inputs = prepare_images(floats.reshape(200, 784), model.preprocessing)
    np.testing.assert_array_equal(model.read(floats)[1], model.predict_proba(float_inputs))
    one, p_one = model.read(floats[7])
    assert one.shape == (1, 784) and np.array_equal(p_one, model.read(floats[7:8])[1])


def test_save_load_round_trip(tmp_path, trained_run):
    model = trained_run.model
    path = tmp_path / "m.npz"
    save_model(model, path)
    loaded = load_model(path, expect_features=784, expect_classes=10)
    np.testing.assert_array_equal(loaded.W, model.W)
    np.testing.assert_array_equal(loaded.b, model.b)
    assert loaded.class_names == model.class_names
    assert loaded.config["learning_rate"] == 0.1 and loaded.config["batch_size"] == 100
    assert path.stat().st_size < 60_000


def _npz(**arrays) -> bytes:
    buf = io.BytesIO()
    np.savez(buf, **arrays)
    return buf.getvalue()


GOOD = dict(W=np.zeros((784, 10), np.float32), b=np.zeros(10, np.float32),
            class_names=np.array([str(i) for i in range(10)]), config=np.array(json.dumps({})))


@pytest.mark.parametrize("data, message", [
    pytest.param(b"this is not a zip file", "not a valid .npz", id="not-a-zip"),
    pytest.param(_npz(W=GOOD["W"]), "missing b, class_names, config", id="only-W"),
    pytest.param(_npz(**{**GOOD, "W": np.zeros((784, 9), np.float32)}),
                 "must be float arrays of shapes", id="W-and-b-disagree"),
    pytest.param(_npz(**{**GOOD, "W": np.full((784, 10), np.nan, np.float32)}),
                 "NaN or infinity", id="nan-weights"),
    pytest.param(_npz(**{**GOOD, "b": np.array([np.inf] * 10, np.float32)}),
                 "NaN or infinity", id="infinite-biases"),
    pytest.param(_npz(**{**GOOD, "class_names": np.array(["a", "b"])}), "2 class names",
                 id="2-class-names"),
    pytest.param(_npz(**{**GOOD, "config": np.array("[1, 2")}), "not a JSON object",
                 id="config-not-json"),
    pytest.param(_npz(**{**GOOD, "W": np.zeros((100, 10), np.float32)}),
                 "made for 100 pixels", id="100-pixels"),
    pytest.param(b"\0" * 6_000_000, "too large", id="6-MB"),
])
def test_bad_model_files_give_clear_errors(data, message):
    with pytest.raises(ModelFileError, match=message):
        model_from_bytes(data, "upload.npz", expect_features=784)
    assert model_from_bytes(_npz(**GOOD), expect_features=784).n_classes == 10


def test_metrics_on_a_trained_model(mnist, trained_run):
    ev = evaluate(trained_run.model, mnist.features("test"), mnist.y_test)
    assert 0.90 < ev.accuracy < 0.94
    cm = ev.confusion()
    assert cm.shape == (10, 10) and cm.sum() == 10_000
    assert np.trace(cm) == round(ev.accuracy * 10_000) == 10_000 - ev.n_wrong
    assert cm.sum(axis=1).tolist() == np.bincount(mnist.y_test).tolist()
    per_class = per_class_accuracy(cm)
    assert per_class.shape == (10,) and (per_class > 0.75).all()
    assert per_class[1] > per_class[5]  # ones are easy, fives are hard for a linear model
    np.testing.assert_array_equal(confusion_matrix([0, 1, 1], [0, 0, 1], 3),
                                  [[1, 0, 0], [1, 1, 0], [0, 0, 0]])
