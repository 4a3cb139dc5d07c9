"""The class set of drawings: digits drawn by the students, each with its confirmed label.

Each drawing is stored twice, as raw bytes: the 28x28 uint8 image the model saw (784 bytes,
the MNIST frame: what a class data set is made of) and the drawing itself shrunk to 56x56
uint8 (3,136 bytes: what the student drew, before cropping and centring; :func:`shrink_drawing`
makes it from the canvas). Listing a class's drawings gives NumPy arrays ready for
``model.predict``: see :class:`ClassDrawings`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from PIL import Image

from core.classroom.errors import InvalidInput

IMAGE_SIDE = 28
RAW_SIDE = 56
LABELS = range(10)


@dataclass(frozen=True)
class ClassDrawings:
    """A class's drawings, oldest first: ``images`` (n, 784) uint8, ``raw`` (n, 56, 56) uint8,
    ``labels`` (n,) int64, and per drawing its ``nicknames`` and ``ids``."""

    images: np.ndarray
    raw: np.ndarray
    labels: np.ndarray
    nicknames: list[str]
    ids: list[str]

    def __len__(self) -> int:
        return len(self.labels)


def _uint8_bytes(array, side: int, what: str) -> bytes:
    """``array`` as side*side bytes, or InvalidInput unless it is uint8 of that many pixels."""
    a = np.asarray(array)
    if a.dtype != np.uint8 or a.size != side * side or a.shape not in (
            (side, side), (side * side,)):
        raise InvalidInput(f"The {what} must be a {side}x{side} uint8 image, "
                           f"got {a.dtype} of shape {a.shape}.")
    return np.ascontiguousarray(a).tobytes()


def check_drawing(image, raw, label) -> tuple[bytes, bytes, int]:
    """The stored form of a drawing: (image bytes, raw bytes, label); InvalidInput if wrong."""
    if isinstance(label, bool) or not isinstance(label, (int, np.integer)) or label not in LABELS:
        raise InvalidInput(f"A drawing's label must be a digit 0-9, got {label!r}.")
    return (_uint8_bytes(image, IMAGE_SIDE, "model's image"),
            _uint8_bytes(raw, RAW_SIDE, "drawing"), int(label))


def shrink_drawing(grey: np.ndarray) -> np.ndarray:
    """A grey drawing of any size (floats in [0, 1] or uint8) as the stored 56x56 uint8 image,
    averaged down (Pillow's box filter) so thin strokes stay visible."""
    g = np.asarray(grey)
    if g.ndim != 2 or g.size == 0:
        raise InvalidInput(f"A drawing must be a 2-D grey image, got shape {g.shape}.")
    if g.dtype != np.uint8:
        g = np.clip(np.rint(g.astype(np.float64) * 255), 0, 255).astype(np.uint8)
    return np.asarray(Image.fromarray(g).resize((RAW_SIDE, RAW_SIDE), Image.Resampling.BOX))


def drawings_from_rows(rows) -> ClassDrawings:
    """ClassDrawings from rows with ``image``, ``raw``, ``label``, ``nickname``, ``drawing_id``."""
    rows = list(rows)
    images = np.frombuffer(b"".join(r.image for r in rows), np.uint8).reshape(
        len(rows), IMAGE_SIDE * IMAGE_SIDE)
    raw = np.frombuffer(b"".join(r.raw for r in rows), np.uint8).reshape(
        len(rows), RAW_SIDE, RAW_SIDE)
    return ClassDrawings(images.copy(), raw.copy(), np.array([r.label for r in rows], np.int64),
                         [r.nickname for r in rows], [r.drawing_id for r in rows])
