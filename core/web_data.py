"""The web's datasets: a typed folder the server offers, or four IDX files uploaded.

On a shared server anyone who reaches the page can type into it. A typed folder is loaded
only from the folders the admin lists (DATA_FOLDERS), and what is refused never says
whether a folder outside that list exists or where anything really is
(:func:`allowed_folder`). Anyone may upload the four IDX files instead
(:func:`dataset_from_upload`): each upload is size-capped, its headers read before any of it
is decompressed, it belongs to its session, and all uploads together hold at most
UPLOADS_TOTAL_MB of memory (:class:`MemoryBudget`). (The command line's ``--data`` takes any
folder, through :func:`core.data.load_source`: the admin's own command line is trusted.)

What either gives is a :class:`core.data.Dataset` like the bundled MNIST's.
"""

from __future__ import annotations

import gzip
import io
import math
import os
import threading
import weakref
import zlib
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from core.data import N_VALID, Dataset, guess_class_names, make_dataset
from core.i18n import Msg
from core.idx import IDX_FILES, DataError, check_header, check_pair, declared_bytes, parse_idx

DATA_FOLDERS_ENV = "DATA_FOLDERS"  # DATA_FOLDERS=/srv/mnist:/srv/other (os.pathsep between)
PATH_CHARS = 1024  # a typed path longer than this is refused, unread and unechoed
FOLDER_MB = 120  # the most IDX data one folder chosen in the app may declare (MNIST: 55)
UPLOAD_MB = 60  # the most IDX data one uploaded dataset may declare, uncompressed
UPLOADS_TOTAL_MB = 1000  # all uploaded datasets together, as held in memory (MEMORY_FACTOR)
MEMORY_FACTOR = 5  # an uploaded dataset's memory: its uint8 images and a float32 copy
NOT_OFFERED = Msg("that is not one of the data folders this server offers")


def _env_mb(name: str, default: int) -> int:
    try:
        return max(0, int(os.environ.get(name, default))) * 1_000_000
    except ValueError:
        return default * 1_000_000


def allowed_folders(environ: dict | None = None) -> tuple[Path, ...]:
    """The folders the server's admin lets visitors load IDX folders from: the
    ``DATA_FOLDERS`` environment variable, folders separated by ``os.pathsep`` (":"), each
    resolved (symbolic links followed). None when it is unset: the folder box is then off."""
    entries = (os.environ if environ is None else environ).get(DATA_FOLDERS_ENV, "")
    found = []
    for entry in filter(None, (e.strip() for e in entries.split(os.pathsep))):
        try:
            found.append(Path(entry).expanduser().resolve(strict=True))
        except (OSError, RuntimeError, ValueError):
            continue  # a listed folder that is not there offers nothing
    return tuple(found)


def allowed_folder(typed: str, allowed: Sequence[Path]) -> Path:
    """The folder ``typed`` names, resolved, if it lies within one of ``allowed`` (itself or
    a folder below it) and its four IDX files declare at most FOLDER_MB of data.

    Refusals raise :class:`DataError` with a message that never holds the resolved path:
    a path longer than PATH_CHARS; and, in the same words whether the folder exists or not
    (so the box tells nothing about the rest of the server), a path outside the allowed
    folders, with a NUL byte, a symbolic-link loop or an unknown ``~user`` (``~`` is not
    expanded: it is a name like any other)."""
    if len(typed) > PATH_CHARS:
        raise DataError(Msg("that path is longer than {n:,} characters", n=PATH_CHARS))
    if not allowed:
        raise DataError(Msg("this server offers no data folders; upload the IDX files instead"))
    try:
        real = Path(typed.strip()).resolve()
    except (OSError, RuntimeError, ValueError):  # loops; NUL bytes
        raise DataError(NOT_OFFERED) from None
    if not typed.strip() or not any(real == r or r in real.parents for r in allowed):
        raise DataError(NOT_OFFERED)
    try:
        size = declared_bytes(real)
    except DataError as exc:  # named as typed, not where it really is
        raise DataError(str(exc).replace(str(real), typed.strip())) from None
    if size > _env_mb("FOLDER_MB", FOLDER_MB):
        raise DataError(Msg("its IDX files hold more than {mb} MB: too large to serve here",
                            mb=_env_mb("FOLDER_MB", FOLDER_MB) // 1_000_000))
    return real


class MemoryBudget:
    """Bytes that objects may hold together, server-wide: :meth:`hold` charges an object's
    share or refuses it, and the share is given back when the object is garbage-collected
    (a session ended, an upload replaced and no run left that trains on it)."""

    def __init__(self, limit: int):
        self.limit, self.used = limit, 0
        self._lock = threading.Lock()

    def reserve(self, nbytes: int) -> None:
        with self._lock:
            if self.used + nbytes > self.limit:
                raise DataError(Msg("the server holds as many uploaded datasets as it can "
                                    "now; try again later, or use MNIST"))
            self.used += nbytes

    def release(self, nbytes: int) -> None:
        with self._lock:
            self.used -= nbytes

    def hold(self, obj: object, nbytes: int) -> None:
        """Charge ``obj``'s ``nbytes`` already reserved until ``obj`` is collected."""
        weakref.finalize(obj, self.release, nbytes)


UPLOADS = MemoryBudget(_env_mb("UPLOADS_TOTAL_MB", UPLOADS_TOTAL_MB))


def _upload_role(name: str, ndim: int) -> str:
    """Which of the four files an upload is: images (3 dimensions) or labels (1), of the
    test set if its name says so (``t10k`` or ``test``, as MNIST's and Kaggle's copies are
    named), else of the training set."""
    part = "test" if ("t10k" in name.lower() or "test" in name.lower()) else "train"
    return f"{part}_{'images' if ndim == 3 else 'labels'}"


def _decode_upload(name: str, raw: bytes, max_bytes: int) -> tuple[str, np.ndarray]:
    """One uploaded file (plain or gzipped) as ``(role, array)``: its header is read and
    checked against ``max_bytes`` first; only then is its data decompressed, and no more
    than the header declares (and one byte, to find trailing ones)."""
    try:
        with (gzip.GzipFile(fileobj=io.BytesIO(raw)) if raw[:2] == b"\x1f\x8b"
              else io.BytesIO(raw)) as f:
            head = f.read(4)
            head += f.read(4 * head[3]) if len(head) == 4 and head[3] <= 3 else b""
            shape, header = check_header(head, name, max_bytes)
            data = head + f.read(math.prod(shape) + 1)
    except DataError:
        raise
    except (OSError, EOFError, zlib.error, ValueError) as exc:
        raise DataError(f"{name}: cannot read it ({exc}); is it a damaged .gz file?") from None
    return _upload_role(name, len(shape)), parse_idx(data, name, max_bytes)


def dataset_from_upload(files: Sequence[tuple[str, bytes]], max_bytes: int | None = None,
                        budget: MemoryBudget = UPLOADS) -> Dataset:
    """A dataset from the four IDX files of an upload, ``(file name, bytes)`` each (plain
    or gzipped; which is which is read from their headers and names, see
    :func:`_upload_role`). Together they may declare at most ``max_bytes`` (UPLOAD_MB) of
    data, checked before any is decompressed; the dataset's memory (MEMORY_FACTOR times
    that) is charged to ``budget`` while it lives. Named "Uploaded dataset"; the class
    names are Fashion-MNIST's when the file names say "fashion", else the digits."""
    max_bytes = _env_mb("UPLOAD_MB", UPLOAD_MB) if max_bytes is None else max_bytes
    names = [str(n)[:100] for n, _ in files]
    if len(files) != 4:
        raise DataError(Msg("upload the four IDX files together (training and test images "
                            "and labels), not {n}", n=len(files)))
    arrays: dict[str, np.ndarray] = {}
    for name, (_, raw) in zip(names, files, strict=True):
        role, array = _decode_upload(name, raw, max_bytes)
        if role in arrays:
            raise DataError(Msg("{name}: a second file of {role}", name=name,
                                role=IDX_FILES[role]))
        arrays[role] = array
        max_bytes -= array.nbytes
    charge = MEMORY_FACTOR * sum(a.nbytes for a in arrays.values())
    budget.reserve(charge)
    try:
        data = _checked_upload(arrays, names)
    except BaseException:
        budget.release(charge)
        raise
    budget.hold(data, charge)
    return data


def _checked_upload(arrays: dict[str, np.ndarray], names: list[str]) -> Dataset:
    for part in ("train", "test"):
        images, labels = arrays.get(f"{part}_images"), arrays.get(f"{part}_labels")
        if images is None or labels is None:
            missing = f"{part}_{'labels' if images is not None else 'images'}"
            raise DataError(Msg("no {file} among the uploaded files", file=IDX_FILES[missing]))
        check_pair(images, labels, Path(f"{part} images"), Path(f"{part} labels"), 10)
    if len(arrays["train_labels"]) <= N_VALID:
        raise DataError(Msg("only {n:,} training images; need more than {valid:,} to hold "
                            "out a validation set", n=len(arrays["train_labels"]),
                            valid=N_VALID))
    names_of = guess_class_names(Path(" ".join(names)))
    return make_dataset(Msg("Uploaded dataset"), arrays["train_images"], arrays["train_labels"],
                        arrays["test_images"], arrays["test_labels"], class_names=names_of)
