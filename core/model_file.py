"""The model file: a :class:`core.model.SoftmaxWeights` as an .npz, and the reader that checks
one before it believes it.

An .npz is a zip archive of .npy arrays, one a member: ``W.npy`` (n_features, K) and ``b.npy``
(K,) float32, ``class_names.npy`` (K,) text, ``config.npy`` the training settings as JSON, and
``preprocessing.npy`` ("none" or "deskew"; files saved before models recorded it lack it).

A model file is also an upload, from anyone on the classroom's Wi-Fi, so the reader trusts
nothing in it. A zip says how large each member *will be* once unpacked, and a 3 KB zip can
declare (and hold) 2 GB of zeros; ``np.load`` would unpack it all before looking at a shape.
So, before reading any data, the reader checks, from the zip's directory and each .npy
header alone:

* the file is at most :data:`MAX_MODEL_BYTES` and lists at most a handful of members, each
  one a model file has (:data:`MEMBERS`), once;
* each member is stored or deflated (what ``np.savez`` and ``np.savez_compressed`` write),
  not bzip2 or lzma, and not encrypted;
* the members' declared sizes add up to at most :data:`MAX_UNPACKED_BYTES`;
* each .npy header declares a plain dtype of the member's kind (floats for W and b, text for
  the rest) and a shape whose bytes are exactly what the member declares.

Only then is each member read, exactly its declared size (the zip reader stops there and
checks the CRC). Weights must be finite and within float32's range (1e39 in a float64 file
would silently become infinity in float32).
"""

from __future__ import annotations

import io
import json
import math
import os
import struct
import zipfile
from pathlib import Path

import numpy as np

from core.i18n import Msg
from core.model import SoftmaxWeights
from core.preprocess import NO_PREPROCESSING, check_preprocessing

MAX_MODEL_BYTES = 5_000_000  # a 784x10 float32 model is 32 KB; refuse anything absurd
MAX_UNPACKED_BYTES = 16_000_000  # all members unpacked: 2 million float64 weights
MAX_HEADER_BYTES = 10_000  # an .npy header (NumPy's own limit); ours are 128 bytes
MEMBERS = {"W": "f", "b": "f", "class_names": "U", "config": "U", "preprocessing": "U"}
REQUIRED = ("W", "b", "class_names", "config")  # preprocessing: optional (older files)
COMPRESSIONS = (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED)  # np.savez, np.savez_compressed
_CENTRAL_ENTRY = b"PK\x01\x02"  # every member's entry in a zip's directory starts with it
FLOAT32_MAX = float(np.finfo(np.float32).max)


class ModelFileError(ValueError):
    """A model file could not be loaded. The message says what is wrong with it."""


def model_to_bytes(model: SoftmaxWeights) -> bytes:
    """The model as the bytes of an .npz file (W, b, class names, config as JSON, and its
    preprocessing)."""
    buf = io.BytesIO()
    np.savez_compressed(
        buf, W=model.W, b=model.b, class_names=np.array(model.class_names),
        config=np.array(json.dumps(model.config)), preprocessing=np.array(model.preprocessing),
    )
    return buf.getvalue()


def save_model(model: SoftmaxWeights, path: str | os.PathLike) -> None:
    Path(path).write_bytes(model_to_bytes(model))


def load_model(path: str | os.PathLike, **expect) -> SoftmaxWeights:
    """:func:`model_from_bytes` of the file at ``path`` (``expect_features``,
    ``expect_classes``), refusing a file too large before reading it."""
    path = Path(path)
    try:
        size = path.stat().st_size
        if size > MAX_MODEL_BYTES:
            raise ModelFileError(f"{path}: {size:,} bytes, too large for a model file")
        data = path.read_bytes()
    except OSError as exc:
        raise ModelFileError(f"{path}: cannot read it ({exc.strerror})") from None
    return model_from_bytes(data, str(path), **expect)


def model_from_bytes(data: bytes, name: str = "model file", expect_features: int | None = None,
                     expect_classes: int | None = None) -> SoftmaxWeights:
    """Load and validate a model saved by :func:`save_model`.

    A file without ``preprocessing`` (saved before models recorded it) loads as a model of
    plain images ("none"), as it was trained. Raises :class:`ModelFileError` if the file is
    too large, not an .npz, holds members, compressions, dtypes or sizes a model file never
    has (see the module's docstring), lacks W / b / class_names / config, names an unknown
    preprocessing, has shapes that do not fit together (or do not fit ``expect_features`` /
    ``expect_classes``), or holds weights that are NaN, infinite or beyond float32's range.
    """
    if len(data) > MAX_MODEL_BYTES:
        raise ModelFileError(Msg("{name}: {size:,} bytes, too large for a model file (limit "
                                 "{limit:,})", name=name, size=len(data), limit=MAX_MODEL_BYTES))
    arrays = _read_members(data, name)
    W, b, names, config = _model_arrays(arrays, name, expect_features, expect_classes)
    preprocessing = _preprocessing_of(arrays, name)
    return SoftmaxWeights(W.astype(np.float32), b.astype(np.float32), names, config,
                          preprocessing)


def _read_members(data: bytes, name: str) -> dict[str, np.ndarray]:
    """The arrays of an .npz, each member checked (see the module's docstring) before any
    of its data is read; :class:`ModelFileError` if the file is not a model file."""
    # A zip's directory lists a member per entry: at most 5 here (the 4 bytes may also occur
    # by chance in compressed data). A 5 MB zip of empty members would list 100,000.
    if data.count(_CENTRAL_ENTRY) > 4 * len(MEMBERS):
        raise ModelFileError(Msg("{name}: not a valid .npz model file", name=name))
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            infos = _check_directory(zf.infolist(), name)
            return {key: _read_member(zf, info, key, name) for key, info in infos.items()}
    except ModelFileError:
        raise
    except Exception:  # BadZipFile, zlib.error, EOFError, a bad header, ...: not a model file
        raise ModelFileError(Msg("{name}: not a valid .npz model file", name=name)) from None


def _check_directory(infos: list[zipfile.ZipInfo], name: str) -> dict[str, zipfile.ZipInfo]:
    """The zip's members by array name, once each checked for name, compression and
    declared size; :class:`ModelFileError` otherwise."""
    members: dict[str, zipfile.ZipInfo] = {}
    for info in infos:
        key = info.filename.removesuffix(".npy")
        if key not in MEMBERS or key in members or not info.filename.endswith(".npy"):
            raise ModelFileError(Msg("{name}: holds '{member}', which a model file never "
                                     "holds; expected a file saved by this app", name=name,
                                     member=info.filename[:60]))
        if info.compress_type not in COMPRESSIONS or info.flag_bits & 0x1:  # bit 0: encrypted
            raise ModelFileError(Msg("{name}: packed in a way model files never are (only "
                                     "stored or deflated members are read)", name=name))
        members[key] = info
    unpacked = sum(info.file_size for info in infos)
    if unpacked > MAX_UNPACKED_BYTES:
        raise ModelFileError(Msg("{name}: would unpack to {size:,} bytes, more than a model "
                                 "file holds (limit {limit:,})", name=name, size=unpacked,
                                 limit=MAX_UNPACKED_BYTES))
    return members


def _read_member(zf: zipfile.ZipFile, info: zipfile.ZipInfo, key: str, name: str) -> np.ndarray:
    """One member's array: its .npy header read and checked against the member's kind and
    declared size, then exactly the bytes the header promises."""
    with zf.open(info) as fp:
        header = _npy_header(fp)
        shape, fortran, dtype = _parse_header(header)
        size = math.prod(shape) * dtype.itemsize  # Python ints: no overflow
        odd = (dtype.hasobject or dtype.kind != MEMBERS[key]
               or dtype.kind == "f" and dtype.itemsize > 8)  # no float128
        if odd or len(header) + size != info.file_size:
            raise ModelFileError(Msg("{name}: {member} is not what its header says it is",
                                     name=name, member=info.filename[:60]))
        raw = fp.read(size)
        fp.read()  # nothing is left: this checks the member's CRC
    return np.frombuffer(raw, dtype).reshape(shape, order="F" if fortran else "C")


def _npy_header(fp) -> bytes:
    """An .npy file's magic string, version, header length and header, as they are, its
    length checked before the header is read."""
    start = fp.read(8)
    major, _ = np.lib.format.read_magic(io.BytesIO(start))
    length_format = "<H" if major == 1 else "<I"
    length_bytes = fp.read(struct.calcsize(length_format))
    (length,) = struct.unpack(length_format, length_bytes)
    if length > MAX_HEADER_BYTES:
        raise ValueError("an .npy header too long")
    return start + length_bytes + fp.read(length)


def _parse_header(header: bytes) -> tuple[tuple[int, ...], bool, np.dtype]:
    """(shape, fortran_order, dtype) of an .npy header, by NumPy's own parser."""
    fp = io.BytesIO(header)
    major, _ = np.lib.format.read_magic(fp)
    read = (np.lib.format.read_array_header_1_0 if major == 1
            else np.lib.format.read_array_header_2_0)
    return read(fp, max_header_size=MAX_HEADER_BYTES)


def _model_arrays(arrays: dict[str, np.ndarray], name: str, expect_features: int | None,
                  expect_classes: int | None) -> tuple[np.ndarray, np.ndarray, tuple, dict]:
    """Check the arrays of a model file (see :func:`model_from_bytes`) and return
    ``(W, b, class_names, config)``, or raise :class:`ModelFileError` saying what is wrong."""
    missing = set(REQUIRED) - arrays.keys()
    if missing:
        raise ModelFileError(Msg("{name}: missing {missing}; expected a file saved by this app",
                                 name=name, missing=", ".join(sorted(missing))))
    W, b = arrays["W"], arrays["b"]
    if W.ndim != 2 or b.shape != (W.shape[1],):
        raise ModelFileError(f"{name}: W {W.shape} and b {b.shape} must be float arrays "
                             "of shapes (features, classes) and (classes,)")
    if expect_features is not None and W.shape[0] != expect_features:
        raise ModelFileError(Msg("{name}: made for {model} pixels, this data has {data}",
                                 name=name, model=W.shape[0], data=expect_features))
    if expect_classes is not None and W.shape[1] != expect_classes:
        raise ModelFileError(Msg("{name}: has {model} classes, this data has {data}",
                                 name=name, model=W.shape[1], data=expect_classes))
    _check_weights(W, b, name)
    names = tuple(str(s) for s in arrays["class_names"].reshape(-1))
    if len(names) != W.shape[1]:
        raise ModelFileError(f"{name}: {len(names)} class names for {W.shape[1]} classes")
    try:
        config = json.loads(str(arrays["config"]))
    except (ValueError, RecursionError):
        config = None
    if not isinstance(config, dict):
        raise ModelFileError(f"{name}: its config is not a JSON object")
    return W, b, names, config


def _check_weights(W: np.ndarray, b: np.ndarray, name: str) -> None:
    """Finite weights that float32 holds: NaN and infinity are refused, and so are values
    beyond float32's range, which converting to float32 would turn into infinities."""
    if not (np.isfinite(W).all() and np.isfinite(b).all()):
        raise ModelFileError(Msg("{name}: weights contain NaN or infinity", name=name))
    largest = max(float(np.abs(W).max(initial=0)), float(np.abs(b).max(initial=0)))
    if largest > FLOAT32_MAX:
        raise ModelFileError(Msg("{name}: weights as large as {value:.3g}, beyond what float32 "
                                 "holds", name=name, value=largest))


def _preprocessing_of(arrays: dict[str, np.ndarray], name: str) -> str:
    """The preprocessing a model file records, "none" when it records none (older files);
    :class:`ModelFileError` when it is not one this project knows."""
    if "preprocessing" not in arrays:
        return NO_PREPROCESSING
    value = str(arrays["preprocessing"])
    try:
        return check_preprocessing(value)
    except ValueError as exc:
        raise ModelFileError(f"{name}: {exc}") from None
