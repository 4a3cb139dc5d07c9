"""The bundled MNIST files and the IDX reader, on good and damaged files; other IDX folders
(Debian's Fashion-MNIST with its class names) and the keras source, which fails fast offline."""

from __future__ import annotations

import gzip
import hashlib
import struct
import time

import numpy as np
import pytest

from core.data import (BUNDLED_MNIST, DIGIT_NAMES, FASHION_NAMES, DataError, load_keras,
                       load_folder, parse_idx, read_idx, read_idx_folder)


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
    assert mnist.class_names == DIGIT_NAMES
    # the published test-set class counts and first labels (data/mnist/README.md)
    assert np.bincount(mnist.y_test).tolist() == [980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009]
    assert mnist.y_test[:10].tolist() == [7, 2, 1, 0, 4, 1, 4, 9, 5, 9]
    train_counts = np.bincount(mnist.y_train, minlength=10) + np.bincount(mnist.y_valid, minlength=10)
    assert train_counts.tolist() == [5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949]


def test_features_are_float32_in_unit_range_and_shared(mnist):
    x = mnist.features("test")
    assert x.dtype == np.float32 and x.min() == 0.0 and x.max() == 1.0
    assert mnist.features("test") is x  # one shared copy
    assert not x.flags.writeable
    np.testing.assert_array_equal(x[0] * 255, mnist.x_test[0].astype(np.float32))


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
            read_idx_folder(folder)
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


def test_debian_fashion_mnist_loads_with_clothing_names():
    """.ci/run installs Debian's dataset-fashion-mnist; this must not be skipped in CI."""
    from core.data import load_source

    data = load_source("fashion")
    assert data.class_names[0] == "T-shirt/top" and data.class_names[9] == "Ankle boot"
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
