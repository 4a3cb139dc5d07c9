"""The bundled MNIST files and the IDX reader, on good and damaged files; other IDX folders
(Debian's Fashion-MNIST with its class names), the keras source, which fails fast offline, and
datasets built from arrays (float features, no fixed validation split)."""

from __future__ import annotations

import gzip
import hashlib
import struct
import time

import numpy as np
import pytest

from core.data import (
    BUNDLED_MNIST,
    DIGIT_NAMES,
    FASHION_NAMES,
    DataError,
    Dataset,
    load_folder,
    load_keras,
)
from core.idx import parse_idx, read_idx, read_idx_folder


def _idx_bytes(array: np.ndarray) -> bytes:
    header = bytes([0, 0, 0x08, array.ndim]) + b"".join(struct.pack(">I", d) for d in array.shape)
    return header + array.astype(np.uint8).tobytes()


def _write_folder(folder, n_train=10_010, n_test=20, side=28, label_max=9, n_train_labels=None):
    rng = np.random.default_rng(0)
    parts = {
        "train-images-idx3-ubyte": rng.integers(0, 256, (n_train, side, side)),
        "train-labels-idx1-ubyte": rng.integers(0, label_max + 1, n_train_labels or n_train),
        "t10k-images-idx3-ubyte": rng.integers(0, 256, (n_test, side, side)),
        "t10k-labels-idx1-ubyte": rng.integers(0, label_max + 1, n_test),
    }
    for name, arr in parts.items():
        (folder / f"{name}.gz").write_bytes(gzip.compress(_idx_bytes(arr)))
    return folder


def test_bundled_files_match_published_checksums():
    sums = (BUNDLED_MNIST / "SHA256SUMS").read_text().split("\n")
    checked = 0
    for line in filter(None, sums):
        digest, name = line.split()
        assert hashlib.sha256((BUNDLED_MNIST / name).read_bytes()).hexdigest() == digest, name
        checked += 1
    assert checked == 4
    assert "Creative Commons" in (BUNDLED_MNIST / "README.md").read_text()


def test_bundled_mnist_shapes_split_and_known_labels(mnist):
    assert mnist.x_train.shape == (50_000, 784) and mnist.x_valid.shape == (10_000, 784)
    assert mnist.x_test.shape == (10_000, 784) and mnist.x_train.dtype == np.uint8
    assert mnist.class_names == DIGIT_NAMES and mnist.is_digits and mnist.pixel_scale == 255
    # the published test-set class counts and first labels (data/mnist/README.md)
    assert np.bincount(mnist.y_test).tolist() == [980, 1135, 1032, 1010, 982, 892, 958, 1028,
                                                  974, 1009]
    assert mnist.y_test[:10].tolist() == [7, 2, 1, 0, 4, 1, 4, 9, 5, 9]
    train_counts = (np.bincount(mnist.y_train, minlength=10)
                    + np.bincount(mnist.y_valid, minlength=10))
    assert train_counts.tolist() == [5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949]


def test_features_are_float32_in_unit_range_scaled_when_asked_and_not_kept(mnist):
    """Issue 24: the process keeps only the uint8 images; each call scales them anew (the
    float32 copies of the validation and test splits, plain and deskewed, cost 120 MB)."""
    x = mnist.features("test")
    assert x.dtype == np.float32 and x.min() == 0.0 and x.max() == 1.0
    assert not x.flags.writeable
    np.testing.assert_array_equal(x[0] * 255, mnist.x_test[0].astype(np.float32))
    again = mnist.features("test")
    assert again is not x and not np.shares_memory(again, x)  # nothing cached
    np.testing.assert_array_equal(again, x)
    np.testing.assert_array_equal(mnist.features("test", slice(5, 9)), x[5:9])
    np.testing.assert_array_equal(mnist.features("test", np.array([7, 3])), x[[7, 3]])
    chunks = list(mnist.feature_chunks("test", size=3_000))
    assert [start for start, _ in chunks] == [0, 3_000, 6_000, 9_000]
    np.testing.assert_array_equal(np.concatenate([c for _, c in chunks]), x)
    assert all(a.dtype == np.uint8 for a in vars(mnist).values() if isinstance(a, np.ndarray)
               and a.ndim == 2)
    with pytest.raises(ValueError, match="split must be"):
        mnist.features("everything")


def test_read_idx_plain_and_gz(tmp_path):
    arr = np.arange(2 * 28 * 28).reshape(2, 28, 28) % 256
    (tmp_path / "a").write_bytes(_idx_bytes(arr))
    (tmp_path / "a.gz").write_bytes(gzip.compress(_idx_bytes(arr)))
    np.testing.assert_array_equal(read_idx(tmp_path / "a"), arr)
    np.testing.assert_array_equal(read_idx(tmp_path / "a.gz"), arr)


@pytest.mark.parametrize("raw, expected", [
    (b"\x00\x00", "too short"),
    (b"\x12\x34\x08\x01" + struct.pack(">I", 1) + b"\x00", "wrong magic"),
    (b"\x00\x00\x0d\x01" + struct.pack(">I", 1) + b"\x00", "element type 0x0d"),
    (b"\x00\x00\x08\x05" + b"\x00" * 20, "5 dimensions"),
    (b"\x00\x00\x08\x03" + struct.pack(">I", 2), "truncated header"),
    (b"\x00\x00\x08\x01" + struct.pack(">I", 10) + b"\x00" * 7, "truncated"),
    (b"\x00\x00\x08\x01" + struct.pack(">I", 2) + b"\x00" * 5, "trailing bytes"),
])
def test_parse_idx_rejects_damaged_bytes_with_a_named_error(raw, expected):
    with pytest.raises(DataError, match=expected) as err:
        parse_idx(raw, "labels.idx")
    assert "labels.idx" in str(err.value)


def test_truncated_gzip_and_non_gzip_files(tmp_path):
    good = gzip.compress(_idx_bytes(np.zeros((3, 28, 28))))
    (tmp_path / "cut.gz").write_bytes(good[: len(good) // 2])
    with pytest.raises(DataError, match="cut.gz"):
        read_idx(tmp_path / "cut.gz")
    (tmp_path / "text.gz").write_text("hello, not an idx file")
    with pytest.raises(DataError, match="wrong magic"):
        read_idx(tmp_path / "text.gz")
    with pytest.raises(DataError, match="not found"):
        read_idx(tmp_path / "missing.gz")


def test_folder_loader_checks_counts_sizes_and_labels(tmp_path):
    for sub, kwargs, message in [
        ("count", {"n_train_labels": 10_011}, "10,010 images but"),
        ("size", {"side": 32}, "expected 28x28"),
        ("labels", {"label_max": 12}, "out of range"),
        ("small", {"n_train": 500}, "need more than 10,000"),
    ]:
        folder = tmp_path / sub
        folder.mkdir()
        _write_folder(folder, **kwargs)
        with pytest.raises(DataError, match=message):
            load_folder(folder)
    (tmp_path / "empty").mkdir()
    with pytest.raises(DataError, match="no train-images-idx3-ubyte"):
        read_idx_folder(tmp_path / "empty")


def test_any_idx_folder_loads_and_fashion_gets_its_class_names(tmp_path):
    data = load_folder(_write_folder(tmp_path))
    assert data.x_train.shape == (10, 784) and data.x_valid.shape == (10_000, 784)
    assert data.class_names == DIGIT_NAMES
    fashion = tmp_path / "fashion-mnist"
    fashion.mkdir()
    _write_folder(fashion)
    assert load_folder(fashion).class_names == FASHION_NAMES
    assert data.is_digits and not load_folder(fashion).is_digits


def test_debian_fashion_mnist_loads_with_clothing_names():
    """.ci/run installs Debian's dataset-fashion-mnist; this must not be skipped in CI."""
    from core.data import load_source

    data = load_source("fashion")
    assert data.class_names[0] == "T-shirt/top" and data.class_names[9] == "Ankle boot"
    assert not data.is_digits
    assert data.x_train.shape == (50_000, 784) and data.x_test.shape == (10_000, 784)
    assert np.bincount(data.y_test).tolist() == [1000] * 10


def test_keras_source_fails_fast_offline_without_importing_keras(monkeypatch, tmp_path):
    import sys

    monkeypatch.setenv("KERAS_HOME", str(tmp_path))  # no cached download
    start = time.perf_counter()
    with pytest.raises(DataError, match="bundled MNIST"):
        load_keras("mnist", can_reach=lambda host: False)
    assert time.perf_counter() - start < 5
    assert "keras" not in sys.modules
    with pytest.raises(DataError, match="unknown dataset"):
        load_keras("cifar10")


def test_a_dataset_from_float_arrays_keeps_its_features_and_monitors_on_them():
    """What the estimator's fit trains on: any width, features used as they are, no fixed
    10,000-example validation split (the training data is monitored), no test set."""
    rng = np.random.default_rng(0)
    x, y = rng.normal(0, 3, (50, 7)), rng.integers(0, 3, 50)
    data = Dataset.from_arrays(x, y, ("a", "b", "c"), name="mine")
    assert (data.name, data.n_features, data.n_classes, data.pixel_scale) == ("mine", 7, 3, 1)
    assert data.x_train.dtype == np.float32 and not data.is_digits
    np.testing.assert_array_equal(data.features("train"), x.astype(np.float32))
    assert data.features("valid") is data.x_train and data.y_valid is data.y_train
    assert data.x_test.shape == (0, 7) and len(data.y_test) == 0
    assert x.flags.writeable and not data.x_train.flags.writeable  # the caller's is copied
    held_out = Dataset.from_arrays(x[:40], y[:40], valid=(x[40:], y[40:]))
    assert len(held_out.y_train) == 40 and len(held_out.y_valid) == 10
    assert held_out.class_names == ("0", "1", "2")


def test_a_dataset_from_uint8_arrays_is_pixels_and_bad_arrays_are_refused():
    pixels = np.array([[0, 255], [51, 102]], np.uint8)
    data = Dataset.from_arrays(pixels, [0, 1])
    assert data.pixel_scale == 255
    np.testing.assert_allclose(data.features("train"), [[0, 1], [0.2, 0.4]], rtol=1e-6)
    with pytest.raises(ValueError, match="2-D"):
        Dataset.from_arrays(np.zeros(5), np.zeros(5))
    with pytest.raises(ValueError, match="expected 3 class indices"):
        Dataset.from_arrays(np.zeros((3, 2)), [0, 1])
    with pytest.raises(ValueError, match="2 class names for class indices up to 2"):
        Dataset.from_arrays(np.zeros((3, 2)), [0, 1, 2], ("a", "b"))
