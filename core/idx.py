"""The IDX file format in which MNIST is distributed, and the four-file MNIST folder layout.

An IDX file is a tiny binary format:

    bytes 0-1   always zero
    byte  2     the element type (0x08 = unsigned byte, the only one MNIST uses)
    byte  3     the number of dimensions, d
    then        d big-endian uint32 sizes (images: count, rows, cols; labels: count)
    then        the data, row-major, one byte per element

A folder in the MNIST layout holds four of them (plain or gzipped): training images
(n, 28, 28), training labels (n,), test images and test labels. Everything here returns
plain ``uint8`` NumPy arrays and raises :class:`DataError`, naming the file, for anything
wrong with them; :mod:`core.data` turns them into a :class:`core.data.Dataset`.
"""

from __future__ import annotations

import gzip
import math
import os
import zlib
from pathlib import Path

import numpy as np

IDX_FILES = {
    "train_images": "train-images-idx3-ubyte",
    "train_labels": "train-labels-idx1-ubyte",
    "test_images": "t10k-images-idx3-ubyte",
    "test_labels": "t10k-labels-idx1-ubyte",
}
IMAGE_SIDE = 28
MAX_IDX_BYTES = 200_000_000  # a 60,000-image MNIST file is 47 MB uncompressed


class DataError(ValueError):
    """A dataset could not be loaded. The message names the file and what is wrong."""


def _open(path: Path):
    """The file's bytes as a stream, gunzipped when it is gzip-compressed."""
    with open(path, "rb") as f:
        head = f.read(2)
    return gzip.open(path, "rb") if head == b"\x1f\x8b" else open(path, "rb")  # noqa: SIM115


def _header_bytes(stream) -> bytes:
    """The bytes of an IDX header read from ``stream`` (4, then 4 per dimension), and nothing
    past them; :func:`check_header` checks them."""
    head = stream.read(4)
    ndim = head[3] if len(head) == 4 and head[3] <= 3 else 0
    return head + stream.read(4 * ndim)


def check_header(raw: bytes, name: str, max_bytes: int = MAX_IDX_BYTES
                 ) -> tuple[tuple[int, ...], int]:
    """Check the header at the start of ``raw``: the magic number, the type byte (only 0x08,
    unsigned byte), the dimension count, and that the data it declares (the product of its
    sizes, computed exactly) is at most ``max_bytes``. Returns ``(shape, header_bytes)``.

    A header declaring 2^31 x 2^31 x 4 bytes is refused here, before anything is allocated
    (in 64-bit arithmetic that product wraps around to 0)."""
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
    if math.prod(shape) > max_bytes:  # Python's integers: no overflow
        raise DataError(f"{name}: header says shape {shape} = {math.prod(shape):,} bytes, more "
                        f"than the {max_bytes:,} allowed")
    return shape, header


def _read_bytes(path: Path, max_bytes: int = MAX_IDX_BYTES) -> bytes:
    """Read an IDX file, transparently gunzipping it: the header first, then exactly the
    data it declares (at most ``max_bytes``) and one byte more, to see whether there are
    trailing bytes. A plain file shorter than its header says is refused before reading."""
    try:
        with _open(path) as f:
            head = _header_bytes(f)
            shape, header = check_header(head, str(path), max_bytes)
            size = header + math.prod(shape)
            if not isinstance(f, gzip.GzipFile) and os.fstat(f.fileno()).st_size < size:
                raise DataError(f"{path}: truncated: header says shape {shape} = {size:,} "
                                f"bytes, file has {os.fstat(f.fileno()).st_size:,}")
            return head + f.read(size + 1 - header)
    except FileNotFoundError:
        raise DataError(f"{path}: file not found") from None
    except DataError:
        raise
    except (OSError, EOFError, zlib.error, ValueError, RuntimeError) as exc:
        raise DataError(f"{path}: cannot read it ({exc}); is it a damaged .gz file?") from None


def parse_idx(raw: bytes, name: str = "<bytes>", max_bytes: int = MAX_IDX_BYTES) -> np.ndarray:
    """Decode the bytes of an IDX file into a uint8 array of the shape its header gives.

    Every check raises :class:`DataError` naming ``name``: those of :func:`check_header`
    (magic number, type byte, dimension count, declared size at most ``max_bytes``, checked
    before anything is allocated), and that the file holds exactly as many bytes as the
    header promises.
    """
    shape, header = check_header(raw[:16], name, max_bytes)
    expected = header + math.prod(shape)
    if len(raw) != expected:
        what = "truncated" if len(raw) < expected else "has trailing bytes"
        raise DataError(
            f"{name}: {what}: header says shape {shape} = {expected:,} bytes, "
            f"file has {len(raw):,}"
        )
    return np.frombuffer(raw, dtype=np.uint8, offset=header).reshape(shape)


def read_idx(path: str | os.PathLike, max_bytes: int = MAX_IDX_BYTES) -> np.ndarray:
    """Read one IDX file (``.gz`` or plain) declaring at most ``max_bytes`` of data and
    return its uint8 array."""
    path = Path(path)
    return parse_idx(_read_bytes(path, max_bytes), str(path), max_bytes)


def _find_idx(folder: Path, stem: str) -> Path:
    for candidate in (folder / f"{stem}.gz", folder / stem, folder / stem.replace("-idx", ".idx")):
        if candidate.is_file():
            return candidate
    raise DataError(f"{folder}: no {stem}.gz (or {stem}) in this folder")


def check_pair(images: np.ndarray, labels: np.ndarray, img_path: Path, lbl_path: Path,
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


def declared_bytes(folder: str | os.PathLike) -> int:
    """How many bytes of data the four IDX files in ``folder`` declare, from their headers
    alone (nothing else is read or decompressed): to refuse a folder too large to serve
    before loading it."""
    folder, total = Path(folder), 0
    if not folder.is_dir():
        raise DataError(f"{folder}: not a folder")
    for stem in IDX_FILES.values():
        path = _find_idx(folder, stem)
        try:
            with _open(path) as f:
                total += math.prod(check_header(_header_bytes(f), str(path), 1 << 62)[0])
        except DataError:
            raise
        except (OSError, EOFError, zlib.error, ValueError, RuntimeError) as exc:
            raise DataError(f"{path}: cannot read it ({exc})") from None
    return total


def read_idx_folder(folder: str | os.PathLike, n_classes: int = 10,
                    max_bytes: int = 4 * MAX_IDX_BYTES):
    """Read the four MNIST-layout IDX files in ``folder``, declaring at most ``max_bytes``
    of data together (each file's header is checked against what is left before its data
    is read).

    Returns ``(train_images, train_labels, test_images, test_labels)`` with images of shape
    (n, 28, 28) and labels of shape (n,), all uint8, after checking that counts match and
    labels lie in 0..n_classes-1. (Whether there are enough training images to hold out a
    validation set is the dataset's question: :func:`core.data.load_folder`.)
    """
    folder = Path(folder)
    if not folder.is_dir():
        raise DataError(f"{folder}: not a folder")
    arrays = []
    for part in ("train", "test"):
        img_path = _find_idx(folder, IDX_FILES[f"{part}_images"])
        lbl_path = _find_idx(folder, IDX_FILES[f"{part}_labels"])
        images = read_idx(img_path, min(MAX_IDX_BYTES, max_bytes))
        max_bytes -= images.nbytes
        labels = read_idx(lbl_path, min(MAX_IDX_BYTES, max_bytes))
        max_bytes -= labels.nbytes
        check_pair(images, labels, img_path, lbl_path, n_classes)
        arrays += [images, labels]
    return tuple(arrays)
