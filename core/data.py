"""Loading MNIST-style datasets: the IDX file format, the train/validation/test split.

MNIST is distributed as four IDX files. An IDX file is a tiny binary format:

    bytes 0-1   always zero
    byte  2     the element type (0x08 = unsigned byte, the only one MNIST uses)
    byte  3     the number of dimensions, d
    then        d big-endian uint32 sizes (images: count, rows, cols; labels: count)
    then        the data, row-major, one byte per element

Everything here returns plain NumPy arrays. Images stay ``uint8`` (0-255) in one shared
:class:`Dataset`; :meth:`Dataset.features` gives the float32 version in [0, 1] that the model
reads, computed once per process and shared read-only by every caller.
"""

from __future__ import annotations

import gzip
import os
import socket
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import numpy as np

PROJECT_ROOT = Path(__file__).resolve().parent.parent
BUNDLED_MNIST = PROJECT_ROOT / "data" / "mnist"
FASHION_MNIST_DEBIAN = Path("/usr/share/datasets/fashion-mnist")

DIGIT_NAMES = tuple(str(d) for d in range(10))
FASHION_NAMES = (
    "T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
    "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot",
)
IDX_FILES = {
    "train_images": "train-images-idx3-ubyte",
    "train_labels": "train-labels-idx1-ubyte",
    "test_images": "t10k-images-idx3-ubyte",
    "test_labels": "t10k-labels-idx1-ubyte",
}
IMAGE_SIDE = 28
N_VALID = 10_000
SPLIT_SEED = 34
MAX_IDX_BYTES = 200_000_000  # a 60,000-image MNIST file is 47 MB uncompressed


class DataError(ValueError):
    """A dataset could not be loaded. The message names the file and what is wrong."""


# --------------------------------------------------------------------------- IDX format


def _read_bytes(path: Path) -> bytes:
    """Read a file, transparently gunzipping it when it is gzip-compressed."""
    try:
        with open(path, "rb") as f:
            head = f.read(2)
        opener = gzip.open if head == b"\x1f\x8b" else open
        with opener(path, "rb") as f:
            raw = f.read(MAX_IDX_BYTES + 1)
    except FileNotFoundError:
        raise DataError(f"{path}: file not found") from None
    except (OSError, EOFError, gzip.BadGzipFile) as exc:
        raise DataError(f"{path}: cannot read it ({exc}); is it a damaged .gz file?") from None
    if len(raw) > MAX_IDX_BYTES:
        raise DataError(f"{path}: larger than {MAX_IDX_BYTES:,} bytes, not an MNIST-size IDX file")
    return raw


def parse_idx(raw: bytes, name: str = "<bytes>") -> np.ndarray:
    """Decode the bytes of an IDX file into a uint8 array of the shape its header gives.

    Every check raises :class:`DataError` naming ``name``: the magic number, the type byte
    (only 0x08, unsigned byte, is accepted), the dimension count, and that the file holds
    exactly as many bytes as the header promises.
    """
    if len(raw) < 4:
        raise DataError(f"{name}: only {len(raw)} bytes, too short for an IDX header")
    if raw[0] != 0 or raw[1] != 0:
        raise DataError(
            f"{name}: wrong magic number 0x{raw[:4].hex()} (an IDX file starts with 00 00)"
        )
    if raw[2] != 0x08:
        raise DataError(f"{name}: element type 0x{raw[2]:02x}, expected 0x08 (unsigned byte)")
    ndim = raw[3]
    if not 1 <= ndim <= 3:
        raise DataError(f"{name}: {ndim} dimensions, expected 1 (labels) or 3 (images)")
    header = 4 + 4 * ndim
    if len(raw) < header:
        raise DataError(f"{name}: truncated header ({len(raw)} of {header} bytes)")
    shape = tuple(int.from_bytes(raw[4 + 4 * i: 8 + 4 * i], "big") for i in range(ndim))
    expected = header + int(np.prod(shape, dtype=np.int64))
    if len(raw) != expected:
        what = "truncated" if len(raw) < expected else "has trailing bytes"
        raise DataError(
            f"{name}: {what}: header says shape {shape} = {expected:,} bytes, "
            f"file has {len(raw):,}"
        )
    return np.frombuffer(raw, dtype=np.uint8, offset=header).reshape(shape)


def read_idx(path: str | os.PathLike) -> np.ndarray:
    """Read one IDX file (``.gz`` or plain) and return its uint8 array."""
    path = Path(path)
    return parse_idx(_read_bytes(path), str(path))


def _find_idx(folder: Path, stem: str) -> Path:
    for candidate in (folder / f"{stem}.gz", folder / stem, folder / stem.replace("-idx", ".idx")):
        if candidate.is_file():
            return candidate
    raise DataError(f"{folder}: no {stem}.gz (or {stem}) in this folder")


def _check_pair(images: np.ndarray, labels: np.ndarray, img_path: Path, lbl_path: Path,
                n_classes: int) -> None:
    if images.ndim != 3 or images.shape[1:] != (IMAGE_SIDE, IMAGE_SIDE):
        raise DataError(f"{img_path}: images of shape {images.shape[1:]}, expected 28x28")
    if labels.ndim != 1:
        raise DataError(f"{lbl_path}: labels must be one-dimensional, got shape {labels.shape}")
    if len(images) != len(labels):
        raise DataError(
            f"{img_path}: {len(images):,} images but {lbl_path.name} has {len(labels):,} labels"
        )
    if len(labels) and labels.max() >= n_classes:
        raise DataError(f"{lbl_path}: label {labels.max()} out of range 0-{n_classes - 1}")


def read_idx_folder(folder: str | os.PathLike, n_classes: int = 10):
    """Read the four MNIST-layout IDX files in ``folder``.

    Returns ``(train_images, train_labels, test_images, test_labels)`` with images of shape
    (n, 28, 28) and labels of shape (n,), all uint8, after checking that counts match and
    labels lie in 0..n_classes-1.
    """
    folder = Path(folder)
    if not folder.is_dir():
        raise DataError(f"{folder}: not a folder")
    arrays = []
    for part in ("train", "test"):
        img_path = _find_idx(folder, IDX_FILES[f"{part}_images"])
        lbl_path = _find_idx(folder, IDX_FILES[f"{part}_labels"])
        images, labels = read_idx(img_path), read_idx(lbl_path)
        _check_pair(images, labels, img_path, lbl_path, n_classes)
        arrays += [images, labels]
    if len(arrays[0]) <= N_VALID:
        raise DataError(
            f"{folder}: only {len(arrays[0]):,} training images; need more than {N_VALID:,} "
            "to hold out a validation set"
        )
    return tuple(arrays)


# --------------------------------------------------------------------------- the dataset


@dataclass(frozen=True, eq=False)
class Dataset:
    """One dataset split three ways, shared read-only by everything in the process.

    ``x_*`` are uint8 images flattened to 784 values; ``y_*`` are int64 class indices.
    The validation set is 10,000 training images held out at random with a fixed seed (34,
    the tutorial's), so runs with different training seeds are scored on the same images.
    """

    name: str
    class_names: tuple[str, ...]
    x_train: np.ndarray
    y_train: np.ndarray
    x_valid: np.ndarray
    y_valid: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray
    _float_cache: dict = field(default_factory=dict, repr=False)

    @property
    def n_features(self) -> int:
        return self.x_train.shape[1]

    @property
    def n_classes(self) -> int:
        return len(self.class_names)

    def features(self, split: str) -> np.ndarray:
        """The images of ``split`` ("train", "valid" or "test") as float32 in [0, 1].

        Pixel values are divided by 255 once; the result is cached and read-only, so
        every session of the dashboard reads the same copy.
        """
        if split not in ("train", "valid", "test"):
            raise ValueError(f"split must be 'train', 'valid' or 'test', not {split!r}")
        if split not in self._float_cache:
            x = getattr(self, f"x_{split}").astype(np.float32)
            x /= np.float32(255.0)
            x.setflags(write=False)
            self._float_cache[split] = x
        return self._float_cache[split]

    def labels(self, split: str) -> np.ndarray:
        return getattr(self, f"y_{split}")


def split_validation(x: np.ndarray, y: np.ndarray, n_valid: int = N_VALID,
                     seed: int = SPLIT_SEED):
    """Hold out ``n_valid`` random examples: returns ``(x_train, y_train, x_valid, y_valid)``.

    This is exactly what the tutorial's ``train_test_split(x, y, test_size=10000)`` does
    after ``np.random.seed(34)``: it draws one permutation of all n examples from NumPy's
    legacy Mersenne-Twister stream, holds out the first ``n_valid`` of it and trains on the
    rest, in that order. Done here in two lines, without importing scikit-learn (1.3 s).
    """
    order = np.random.RandomState(seed).permutation(len(y))
    valid, train = order[:n_valid], order[n_valid:]
    return x[train], y[train], x[valid], y[valid]


def make_dataset(name: str, train_images: np.ndarray, train_labels: np.ndarray,
                 test_images: np.ndarray, test_labels: np.ndarray,
                 class_names: tuple[str, ...] = DIGIT_NAMES) -> Dataset:
    """Flatten images to 784 values, split off validation and freeze everything."""
    flat = lambda a: np.ascontiguousarray(a.reshape(len(a), -1), dtype=np.uint8)  # noqa: E731
    x_tr, y_tr, x_va, y_va = split_validation(flat(train_images), train_labels.astype(np.int64))
    arrays = [np.ascontiguousarray(a) for a in
              (x_tr, y_tr, x_va, y_va, flat(test_images), test_labels.astype(np.int64))]
    for a in arrays:
        a.setflags(write=False)
    return Dataset(name, tuple(class_names), *arrays)


def guess_class_names(folder: Path) -> tuple[str, ...]:
    """Fashion-MNIST's folders are recognised by name; anything else is assumed digits."""
    return FASHION_NAMES if "fashion" in str(folder).lower() else DIGIT_NAMES


@lru_cache(maxsize=4)
def load_folder(folder: str | os.PathLike, name: str | None = None) -> Dataset:
    """Load any folder holding the four MNIST-layout IDX files (cached per process)."""
    folder = Path(folder)
    arrays = read_idx_folder(folder)
    return make_dataset(name or folder.name, *arrays, class_names=guess_class_names(folder))


def load_mnist() -> Dataset:
    """The MNIST copy bundled in ``data/mnist`` (no network needed)."""
    return load_folder(BUNDLED_MNIST, "MNIST")


# --------------------------------------------------------------------------- keras (optional)

KERAS_HOST = "storage.googleapis.com"  # where keras.datasets downloads from
KERAS_CACHE = {"mnist": "mnist.npz", "fashion_mnist": "fashion-mnist"}  # under ~/.keras/datasets


def _can_reach(host: str, port: int = 443, timeout: float = 3.0) -> bool:
    try:
        with socket.create_connection((host, port), timeout=timeout):
            return True
    except OSError:
        return False


def _keras_cache_has(name: str) -> bool:
    cache = Path(os.environ.get("KERAS_HOME", Path.home() / ".keras")) / "datasets"
    return (cache / KERAS_CACHE[name]).exists()


@lru_cache(maxsize=2)
def load_keras(name: str = "mnist", can_reach=_can_reach) -> Dataset:
    """Load MNIST or Fashion-MNIST through ``keras.datasets`` (optional extra).

    Keras downloads the files on first use and caches them in ``~/.keras/datasets``. Offline
    and without a cached copy this fails within seconds with a :class:`DataError` that says
    to use the bundled data. Keras is imported here and nowhere else. Keras 3 needs a
    backend to import; the lightest that works is JAX (``pip install -r
    requirements-keras.txt``, about 690 MB; its "numpy" backend imports JAX too).
    """
    if name not in KERAS_CACHE:
        raise DataError(f"keras source: unknown dataset {name!r}; choose mnist or fashion_mnist")
    host = KERAS_HOST
    if not _keras_cache_has(name) and not can_reach(host):
        raise DataError(
            f"keras.datasets.{name}: no cached copy and {host} cannot be reached (offline?). "
            "Use the bundled MNIST (the default source) instead."
        )
    os.environ.setdefault("KERAS_BACKEND", "jax")  # the lightest backend that imports
    try:
        import keras  # noqa: PLC0415 (imported only when this source is chosen)
    except ImportError as exc:
        raise DataError(
            f"keras source: keras is not usable ({exc}). Install the optional extra with "
            "`pip install -r requirements-keras.txt`, or use the bundled MNIST."
        ) from None
    try:
        (x_tr, y_tr), (x_te, y_te) = getattr(keras.datasets, name).load_data()
    except Exception as exc:  # keras raises assorted network errors
        raise DataError(
            f"keras.datasets.{name}: download failed ({exc}). Use the bundled MNIST instead."
        ) from None
    names = FASHION_NAMES if name == "fashion_mnist" else DIGIT_NAMES
    label = "Fashion-MNIST (keras)" if name == "fashion_mnist" else "MNIST (keras)"
    return make_dataset(label, x_tr, y_tr, x_te, y_te, class_names=names)


def source_folder(source: str) -> Path | None:
    """The IDX folder a source string names (None for keras sources)."""
    if source in ("", "mnist", "bundled"):
        return BUNDLED_MNIST
    if source == "fashion":
        return FASHION_MNIST_DEBIAN
    if source.startswith("keras:"):
        return None
    return Path(source).expanduser().resolve()


def load_source(source: str) -> Dataset:
    """Load a dataset by a source string: ``mnist`` (bundled), ``fashion`` (Debian's
    Fashion-MNIST), ``keras:mnist`` / ``keras:fashion_mnist``, or a folder path (named
    after the folder)."""
    folder = source_folder(source)
    if folder is None:
        return load_keras(source.split(":", 1)[1])
    names = {"": "MNIST", "mnist": "MNIST", "bundled": "MNIST", "fashion": "Fashion-MNIST"}
    return load_folder(folder, names.get(source))
