"""Datasets for the dashboard and the trainer: MNIST-style images split three ways.

The images come from IDX files (:mod:`core.idx`: the bundled MNIST, Debian's Fashion-MNIST,
any folder of the four files) or from ``keras.datasets``. They stay ``uint8`` (0-255) in one
shared :class:`Dataset`, the only copy the process keeps; :meth:`Dataset.features` gives the
float32 version in [0, 1] that the model reads, scaled when asked (a float32 copy is four
times the images: 31 MB for 10,000 MNIST digits), and :meth:`Dataset.feature_chunks` a
chunk at a time for code that walks a whole split (the validation pass of every epoch). 10,000
training images are held out for validation, as the tutorial does. What a visitor of the
web page may load (the folders the server offers, uploads) is :mod:`core.web_data`'s.

:meth:`Dataset.prepared` gives the same images deskewed (:func:`core.deskew.deskew`),
once per process when first asked, still uint8: a dataset says what its images went through in
``preprocessing``, and a model trained on it remembers that.

:meth:`Dataset.from_arrays` builds one from any arrays instead (float features of any
width, any number of classes, no fixed validation split): the estimator's ``fit`` trains
through it.
"""

from __future__ import annotations

import os
import socket
import threading
from dataclasses import dataclass, field, replace
from functools import lru_cache
from pathlib import Path

import numpy as np

from core.deskew import deskew_images
from core.i18n import Msg
from core.idx import IMAGE_SIDE, DataError, read_idx_folder
from core.markup import file_label
from core.preprocess import DESKEW, NO_PREPROCESSING, PREPROCESSINGS, check_preprocessing

PROJECT_ROOT = Path(__file__).resolve().parent.parent
BUNDLED_MNIST = PROJECT_ROOT / "data" / "mnist"
FASHION_MNIST_DEBIAN = Path("/usr/share/datasets/fashion-mnist")

DIGIT_NAMES = tuple(str(d) for d in range(10))
FASHION_NAMES = (
    "T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
    "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot",
)
N_VALID = 10_000
SPLIT_SEED = 34
FEATURE_CHUNK = 2_000  # rows scaled at a time by Dataset.feature_chunks: 6 MB of float32
_PREPARING = threading.Lock()  # two sessions asking for the deskewed images deskew them once


# --------------------------------------------------------------------------- the dataset


@dataclass(frozen=True, eq=False)
class Dataset:
    """One dataset split three ways, shared read-only by everything in the process.

    ``x_*`` are the examples, one row each: for MNIST-style data, uint8 images flattened to
    784 pixel values 0-255; for :meth:`from_arrays`, float32 features of any width. ``y_*``
    are int64 class indices 0..K-1, K = ``len(class_names)``. For images the validation set
    is 10,000 training images held out at random with a fixed seed (34, the tutorial's), so
    runs with different training seeds are scored on the same images.

    ``preprocessing`` says what the images went through after loading: ``"none"``, or
    ``"deskew"`` for :meth:`prepared`'s deskewed copy, whose ``plain`` is the dataset it was
    made from (the same labels and split; the same ``name``).
    """

    name: str
    class_names: tuple[str, ...]
    x_train: np.ndarray
    y_train: np.ndarray
    x_valid: np.ndarray
    y_valid: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray
    preprocessing: str = NO_PREPROCESSING
    original: Dataset | None = field(default=None, repr=False)  # what it was prepared from
    _prepared: dict = field(default_factory=dict, repr=False)  # preprocessing -> Dataset

    @classmethod
    def from_arrays(cls, x: np.ndarray, y: np.ndarray,
                    class_names: tuple[str, ...] | None = None, name: str = "arrays",
                    valid: tuple[np.ndarray, np.ndarray] | None = None) -> Dataset:
        """A dataset of given arrays, without the fixed 10,000-image validation split.

        ``x`` (n, n_features): uint8 images are pixels (scaled by 1/255, like MNIST's); any
        other numbers are features used as they are (stored as float32). ``y`` (n,): class
        indices 0..K-1. The runs are monitored on ``valid`` = ``(x_valid, y_valid)``, or,
        without it, on the training data itself (every example is trained on). There is no
        test set (0 rows). The arrays are copied, so the caller's stay writeable.
        """
        x = _examples(x)
        y = _labels(y, len(x))
        if valid is None:
            x_valid, y_valid = x, y  # the same arrays: monitored on what it trains on
        else:
            x_valid = _examples(valid[0])
            y_valid = _labels(valid[1], len(x_valid))
        K = int(max(y.max(initial=0), y_valid.max(initial=0))) + 1
        names = tuple(class_names) if class_names is not None else tuple(map(str, range(K)))
        if len(names) < K:
            raise ValueError(f"{len(names)} class names for class indices up to {K - 1}")
        if x_valid.shape[1] != x.shape[1]:
            raise ValueError(f"{x.shape[1]} features to train on but {x_valid.shape[1]} in valid")
        empty = (np.empty((0, x.shape[1]), x.dtype), np.empty(0, np.int64))
        for a in empty:
            a.setflags(write=False)
        return cls(name, names, x, y, x_valid, y_valid, *empty)

    @property
    def n_features(self) -> int:
        return self.x_train.shape[1]

    @property
    def n_classes(self) -> int:
        return len(self.class_names)

    @property
    def is_digits(self) -> bool:
        """Are the classes the digits 0-9 (MNIST, not Fashion-MNIST or other labels)?"""
        return self.class_names == DIGIT_NAMES

    @property
    def pixel_scale(self) -> float:
        """What the stored values are divided by to give the features the model reads:
        255 for uint8 images (pixels 0-255 become 0-1), 1 for float features."""
        return 255.0 if self.x_train.dtype == np.uint8 else 1.0

    @property
    def plain(self) -> Dataset:
        """The dataset as loaded, before any preprocessing (itself if it had none)."""
        return self.original if self.original is not None else self

    @property
    def label(self) -> str:
        """Its name, and how its images were prepared if they were: "MNIST, deskewed"."""
        if self.preprocessing == NO_PREPROCESSING:
            return self.name
        return Msg("{name}, {how}", name=self.name, how=PREPROCESSINGS[self.preprocessing])

    def prepared(self, preprocessing: str) -> Dataset:
        """The same dataset with its images prepared as ``preprocessing`` says.

        ``"none"``: the plain images; ``"deskew"``: every training, validation and test
        image deskewed by :func:`core.deskew.deskew_images` (70,000 MNIST images: about
        1.5 s), once per process, then shared like the plain ones: uint8, read-only, the same
        labels, split and name. Only 28x28 uint8 images can be deskewed (ValueError else).
        """
        plain = self.plain
        if check_preprocessing(preprocessing) == plain.preprocessing:
            return plain
        with _PREPARING:
            if preprocessing not in plain._prepared:
                plain._prepared[preprocessing] = plain._deskewed()
        return plain._prepared[preprocessing]

    def _deskewed(self) -> Dataset:
        if self.x_train.dtype != np.uint8 or self.n_features != IMAGE_SIDE * IMAGE_SIDE:
            raise ValueError(f"{self.name}: only {IMAGE_SIDE}x{IMAGE_SIDE} images can be "
                             f"deskewed, not {self.n_features} {self.x_train.dtype} features")
        images = {}
        for split in ("train", "valid", "test"):
            images[f"x_{split}"] = x = deskew_images(getattr(self, f"x_{split}"))
            x.setflags(write=False)
        return replace(self, **images, preprocessing=DESKEW, original=self, _prepared={})

    def features(self, split: str, rows: slice | np.ndarray | None = None) -> np.ndarray:
        """The examples of ``split`` ("train", "valid" or "test") as float32, (n, F), or only
        its ``rows`` (a slice or indices): images in [0, 1], float features as they are.

        Pixel values are divided by 255 on each call, into a new read-only array, so that
        the process keeps nothing but the uint8 images (a server holding float32 copies of
        the validation and test images, plain and deskewed, spent 120 MB on them). Float
        features are returned as stored (read-only, not copied).
        """
        x = self._split(split)
        if rows is not None:
            x = x[rows]
        if x.dtype == np.uint8:  # pixels 0-255; float features are stored as float32
            x = x.astype(np.float32)
            x /= np.float32(255.0)
            x.setflags(write=False)
        return x

    def feature_chunks(self, split: str, size: int = FEATURE_CHUNK):
        """:meth:`features` of ``split`` a block of at most ``size`` rows at a time: yields
        ``(start, x)``, x (m, F) float32 the rows ``start .. start + m - 1``. The same
        numbers as ``features(split)[start:start + m]``, in 6 MB instead of the whole split."""
        n = len(self._split(split))
        for start in range(0, n, size):
            yield start, self.features(split, slice(start, start + size))

    def _split(self, split: str) -> np.ndarray:
        if split not in ("train", "valid", "test"):
            raise ValueError(f"split must be 'train', 'valid' or 'test', not {split!r}")
        return getattr(self, f"x_{split}")

    def labels(self, split: str) -> np.ndarray:
        return getattr(self, f"y_{split}")


def _examples(x: np.ndarray) -> np.ndarray:
    """A read-only C-contiguous copy of (n, n_features) examples: uint8 or float32."""
    x = np.asarray(x)
    if x.ndim != 2 or not x.shape[1]:
        raise ValueError(f"examples must be a 2-D array (n, n_features), got shape {x.shape}")
    x = np.array(x, dtype=np.uint8 if x.dtype == np.uint8 else np.float32, order="C")
    x.setflags(write=False)
    return x


def _labels(y: np.ndarray, n: int) -> np.ndarray:
    """A read-only int64 copy of ``n`` class indices, each 0 or more."""
    y = np.array(y, dtype=np.int64).reshape(-1)
    if len(y) != n or (n and y.min() < 0):
        raise ValueError(f"expected {n:,} class indices 0..K-1, got {len(y):,} "
                         f"(the smallest {y.min(initial=0)})")
    y.setflags(write=False)
    return y


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
    """Load any folder holding the four MNIST-layout IDX files (cached per process, the
    last four; the bundled MNIST is kept apart by :func:`load_mnist`)."""
    if Path(folder) == BUNDLED_MNIST and name == "MNIST":
        return load_mnist()
    return _read_folder(Path(folder), name)


def _read_folder(folder: Path, name: str | None) -> Dataset:
    arrays = read_idx_folder(folder)
    if len(arrays[0]) <= N_VALID:
        raise DataError(
            f"{folder}: only {len(arrays[0]):,} training images; need more than {N_VALID:,} "
            "to hold out a validation set"
        )
    # a folder's name is shown in captions (markdown): core.markup.file_label keeps it text
    return make_dataset(name or file_label(folder.name), *arrays,
                        class_names=guess_class_names(folder))


@lru_cache(maxsize=1)
def load_mnist() -> Dataset:
    """The MNIST copy bundled in ``data/mnist`` (no network needed): loaded once per
    process and never pushed out by other folders (every page starts from it)."""
    return _read_folder(BUNDLED_MNIST, "MNIST")


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
    try:
        return Path(source).expanduser().resolve()
    except (OSError, RuntimeError, ValueError) as exc:  # ~nosuchuser, link loops, NUL bytes
        raise DataError(f"{source[:200]!r}: not a usable folder path ({exc})") from None


def load_source(source: str, preprocessing: str = NO_PREPROCESSING) -> Dataset:
    """Load a dataset by a source string: ``mnist`` (bundled), ``fashion`` (Debian's
    Fashion-MNIST), ``keras:mnist`` / ``keras:fashion_mnist``, or a folder path (named
    after the folder); with ``preprocessing="deskew"``, its deskewed copy
    (:meth:`Dataset.prepared`)."""
    check_preprocessing(preprocessing)
    folder = source_folder(source)
    if folder is None:
        return load_keras(source.split(":", 1)[1]).prepared(preprocessing)
    names = {"": "MNIST", "mnist": "MNIST", "bundled": "MNIST", "fashion": "Fashion-MNIST"}
    return load_folder(folder, names.get(source)).prepared(preprocessing)
