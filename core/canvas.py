"""Framing a drawing like MNIST: a canvas drawing as the 28x28 image the model can read.

The model is a *linear* classifier on raw pixel positions: the score of class k is
``sum_i x_i W[i, k] + b_k``, one weight per pixel. It has learnt, for example, that ink at
pixel (5, 14) speaks for a "1" and ink at (14, 8) against it. It has no notion of a shape
that moves or grows: the same "7" drawn 5 pixels further left, or twice as large, lights up
entirely different pixels and gets entirely different scores. So a drawing must be put into
exactly the frame the training images were in before the model sees it.

LeCun, Cortes and Burges describe that frame for MNIST: each NIST digit was

1. size-normalised to fit in a 20x20 box, keeping its aspect ratio, with anti-aliasing
   (which is where MNIST's grey edge pixels come from), and then
2. centred in a 28x28 image by its *centre of mass*: translated so that the mean ink
   position, weighted by intensity, sits at the middle of the field.

Measured on the bundled test set, the longer side of 99.97 % of the digits is 20 pixels and
the mean centre of mass is (row, col) = (13.99, 14.01) in array-index coordinates (row 0 at
the top), with a standard deviation under 0.3 pixel. :func:`preprocess_steps` repeats those
two steps on a canvas drawing; :func:`preprocess_canvas` returns just the result. The
teaching aids at the end show why each step matters (:func:`model_inputs_per_step`) and warn
about drawings the recipe handles badly (:func:`drawing_warnings`).

Before fitting, the strokes are redrawn with the pen MNIST's writers used (its median stroke
width, measured on its training images: :mod:`core.stroke`), so that a thin brush on a large
digit and a thick one on a small digit both reach the model as MNIST's strokes would.

Taking the slant out of a digit is :mod:`core.deskew`'s job; which preparation a model's
inputs get is :mod:`core.preprocess`'s.

Everything here is NumPy plus Pillow's resampling, imported only where it is used (the
dataset and the models import this module's names, and the command line should not wait
for it); nothing imports streamlit.
"""

from __future__ import annotations

import numpy as np

from core.i18n import Msg
from core.stroke import MNIST_STROKE_WIDTH, restroke

MNIST_SIDE = 28  # the output image is 28x28
FIT_SIDE = 20  # the digit's longer side after size normalisation
CENTRE = (14.0, 14.0)  # where MNIST's centre of mass lies, in (row, col) index coordinates
FLOAT_TOLERANCE = 1e-3  # float images may overshoot [0, 1] by this much (rounding), then clip
RGB_WEIGHTS = np.array([0.299, 0.587, 0.114], np.float32)  # ITU-R BT.601 luma, as PIL's "L"


class NothingDrawn(ValueError):
    """The image holds no ink (no pixel above the threshold), so there is no digit to read."""

    def __init__(self, message: str = "Nothing drawn: draw a digit") -> None:
        super().__init__(message)


# --------------------------------------------------------------------------- grey levels


def _check_image(image: np.ndarray) -> np.ndarray:
    """Return ``image`` as an array after checking its shape and dtype; raise ValueError."""
    try:
        image = np.asarray(image)
    except Exception as exc:
        raise ValueError(f"image: not convertible to an array ({exc})") from None
    if image.ndim not in (2, 3):
        raise ValueError(f"image must be 2-D (H, W) grey or 3-D (H, W, channels), "
                         f"got {image.ndim}-D with shape {image.shape}")
    if image.ndim == 3 and image.shape[2] not in (1, 3, 4):
        raise ValueError(f"image must have 1 (grey), 3 (RGB) or 4 (RGBA) channels, "
                         f"got {image.shape[2]} (shape {image.shape})")
    if image.shape[0] == 0 or image.shape[1] == 0:
        raise ValueError(f"image is empty (shape {image.shape})")
    if image.dtype.kind not in "biuf":
        raise ValueError("image must hold numbers (uint8 0-255 or float 0-1), "
                         f"got dtype {image.dtype}")
    return image


def _to_unit_range(image: np.ndarray) -> np.ndarray:
    """Scale pixel values to float32 in [0, 1]: integers are read as 0-255, floats as 0-1."""
    if image.dtype.kind == "b":
        return image.astype(np.float32)
    if image.dtype.kind in "iu":
        lo, hi = int(image.min()), int(image.max())
        if lo < 0 or hi > 255:
            raise ValueError(f"integer images must hold values 0-255, got {lo} to {hi}")
        return image.astype(np.float32) / np.float32(255.0)
    if not np.isfinite(image).all():
        raise ValueError("image contains NaN or infinite values")
    lo, hi = float(image.min()), float(image.max())
    if lo < -FLOAT_TOLERANCE or hi > 1 + FLOAT_TOLERANCE:
        raise ValueError(f"float images must hold values in [0, 1], got {lo:g} to {hi:g}; "
                         "divide 0-255 values by 255 or pass them as uint8")
    return np.clip(image, 0.0, 1.0).astype(np.float32)


def to_grey(image: np.ndarray) -> np.ndarray:
    """A canvas, RGB or grey image as float32 grey levels in [0, 1], ink = 1.

    Accepts (H, W) grey, (H, W, 1), (H, W, 3) RGB or (H, W, 4) RGBA, as uint8 (or any
    integer type) in 0-255 or float in 0-1. The drawing canvas returns RGBA with a black
    background and white ink, and its alpha is 255 everywhere, so the alpha channel carries no
    information and is ignored: the grey level is the luma of R, G and B,
    0.299 R + 0.587 G + 0.114 B (for white ink on black, simply the ink's brightness).
    This is already MNIST's convention, where 0 is background and 1 (255) is full ink.

    Raises ValueError for any other shape, an empty image, NaN or infinity, or values
    outside the range of the dtype's convention.
    """
    image = _check_image(image)
    unit = _to_unit_range(image)
    if unit.ndim == 2:
        return unit
    if unit.shape[2] == 1:
        return unit[:, :, 0]
    return np.clip(unit[:, :, :3] @ RGB_WEIGHTS, 0.0, 1.0).astype(np.float32)


# --------------------------------------------------------------------------- helpers


def centre_of_mass(img: np.ndarray) -> tuple[float, float]:
    """The intensity-weighted mean position (row, col) of an image, in index coordinates.

    With total ink m = sum_ij img[i, j], the centre of mass is

        row = sum_ij i * img[i, j] / m,      col = sum_ij j * img[i, j] / m.

    Raises ValueError when the image has no ink (m <= 0): the mean of nothing is undefined.
    """
    img = np.asarray(img, dtype=np.float64)
    total = img.sum()
    if not total > 0:
        raise ValueError("centre of mass of an image without ink is undefined")
    rows, cols = np.arange(img.shape[0]), np.arange(img.shape[1])
    return float(img.sum(axis=1) @ rows / total), float(img.sum(axis=0) @ cols / total)


def shift_image(img: np.ndarray, dr: int, dc: int) -> np.ndarray:
    """Move an image ``dr`` rows down and ``dc`` columns right, filling with zeros.

    Pixels pushed past an edge are dropped (unlike ``np.roll``, nothing wraps around).
    """
    img = np.asarray(img)
    out = np.zeros_like(img)
    h, w = img.shape[:2]
    dr, dc = int(dr), int(dc)
    if abs(dr) >= h or abs(dc) >= w:
        return out
    out[max(dr, 0):h + min(dr, 0), max(dc, 0):w + min(dc, 0)] = \
        img[max(-dr, 0):h + min(-dr, 0), max(-dc, 0):w + min(-dc, 0)]
    return out


# --------------------------------------------------------------------------- the three steps


def crop_to_ink(grey: np.ndarray, threshold: float = 0.05) -> np.ndarray:
    """The smallest rectangle holding every pixel brighter than ``threshold``.

    Where the digit was drawn on the canvas must not matter, so the empty margin is cut
    away. Raises :class:`NothingDrawn` when no pixel is above the threshold.
    """
    ink = grey > threshold
    if not ink.any():
        raise NothingDrawn()
    rows, cols = np.flatnonzero(ink.any(axis=1)), np.flatnonzero(ink.any(axis=0))
    return grey[rows[0]:rows[-1] + 1, cols[0]:cols[-1] + 1]


def fit_to_box(cropped: np.ndarray, side: int = FIT_SIDE) -> np.ndarray:
    """Resize so the longer side is ``side`` pixels, keeping the aspect ratio.

    How large the digit was drawn must not matter either, so, like MNIST, every digit is
    scaled to the same 20-pixel height or width (a "1" stays narrow: only its longer side
    is fixed). Lanczos resampling makes each output pixel a weighted average of the input
    pixels around it (Pillow widens the windowed-sinc kernel by the shrink factor), which is
    anti-aliasing: it gives the soft grey edges MNIST digits have. Its slight ringing (values
    a little below 0 or above 1 next to sharp edges) is clipped back to [0, 1]. A thin stroke
    shrunk tenfold would come out faint, whereas MNIST's strokes reach full ink, so the result
    is rescaled to a maximum of 1.
    """
    from PIL import Image  # noqa: PLC0415 (see the module's docstring)

    h, w = cropped.shape
    scale = side / max(h, w)
    size = (max(1, round(w * scale)), max(1, round(h * scale)))  # PIL wants (width, height)
    pil = Image.fromarray(np.ascontiguousarray(cropped, dtype=np.float32))  # mode "F"
    fitted = np.asarray(pil.resize(size, Image.Resampling.LANCZOS), dtype=np.float32)
    fitted = np.clip(fitted, 0.0, 1.0)
    peak = fitted.max()
    return fitted / peak if peak > 0 else fitted


def centre_in_frame(fitted: np.ndarray, side: int = MNIST_SIDE,
                    centre: tuple[float, float] = CENTRE) -> np.ndarray:
    """Paste ``fitted`` into a ``side`` x ``side`` black image with its centre of mass at
    ``centre``.

    Centring on the centre of mass rather than the bounding box is what MNIST did, and it
    matters: a "7" has most of its ink in the top bar, so its box centre and mass centre
    differ by a pixel or two, and the model learnt where the *mass* sits. The offset is
    rounded to whole pixels (a sub-pixel shift would blur the image) and then clamped so
    the whole digit stays inside the frame, even if its ink is lopsided.
    """
    h, w = fitted.shape
    if h > side or w > side:
        raise ValueError(f"a {h}x{w} image does not fit in a {side}x{side} frame")
    com_r, com_c = centre_of_mass(fitted)
    top = int(np.clip(np.floor(centre[0] - com_r + 0.5), 0, side - h))
    left = int(np.clip(np.floor(centre[1] - com_c + 0.5), 0, side - w))
    out = np.zeros((side, side), np.float32)
    out[top:top + h, left:left + w] = fitted
    return out


def preprocess_steps(image: np.ndarray, threshold: float = 0.05,
                     stroke: float | None = MNIST_STROKE_WIDTH) -> dict[str, np.ndarray]:
    """Every stage of :func:`preprocess_canvas`, in order, for a UI to show.

    Returns ``{"grey", "cropped", "restroked", "fitted", "centred"}``, all float32 in
    [0, 1]: the grey drawing (canvas size), the ink's bounding box, the same drawn again
    with MNIST's pen (:func:`core.stroke.restroke`: strokes ``stroke`` MNIST pixels wide once
    fitted, MNIST's median; ``stroke=None`` keeps the strokes as drawn, and "restroked" is
    then the cropped image), the digit scaled so its longer side is 20 pixels, and the final
    28x28 image centred by its centre of mass.
    Raises ValueError for an unusable image and :class:`NothingDrawn` (a ValueError) when
    nothing is drawn.
    """
    if not 0 <= threshold < 1:
        raise ValueError(f"threshold must be in [0, 1), got {threshold!r}")
    if stroke is not None and not 0.5 <= stroke <= 10:
        raise ValueError(f"stroke must be None or 0.5-10 MNIST pixels, got {stroke!r}")
    grey = to_grey(image)
    cropped = crop_to_ink(grey, threshold)
    restroked = cropped if stroke is None else restroke(cropped, stroke, fit_to_box)
    fitted = fit_to_box(restroked)
    return {"grey": grey, "cropped": cropped, "restroked": restroked, "fitted": fitted,
            "centred": centre_in_frame(fitted)}


def preprocess_canvas(image: np.ndarray, threshold: float = 0.05,
                      stroke: float | None = MNIST_STROKE_WIDTH) -> np.ndarray:
    """A drawing as the (28, 28) float32 image in [0, 1] that the model expects.

    Pixels brighter than ``threshold`` count as ink when cropping; the strokes are redrawn
    ``stroke`` MNIST pixels wide (None: as drawn). Flatten the result with
    ``.reshape(1, -1)`` before calling ``model.predict``. See :func:`preprocess_steps`.
    """
    return preprocess_steps(image, threshold, stroke)["centred"]


# --------------------------------------------------------------------------- teaching aids


def _resize(img: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    """Anti-aliased resize of a float image to (height, width), clipped to [0, 1]."""
    from PIL import Image  # noqa: PLC0415 (see the module's docstring)

    pil = Image.fromarray(np.ascontiguousarray(img, dtype=np.float32))
    out = np.asarray(pil.resize((size[1], size[0]), Image.Resampling.LANCZOS), dtype=np.float32)
    return np.clip(out, 0.0, 1.0)


def model_inputs_per_step(steps: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """What the model would see if preprocessing stopped after each step (all 28x28).

    - "grey": the whole canvas shrunk to 28x28 (no cropping: the digit may be tiny or
      off-centre, unlike any training digit);
    - "cropped": the ink's box stretched to fill 28x28 (size fixed, aspect ratio lost);
    - "fitted": the 20x20-fitted digit placed by its bounding box in the middle;
    - "centred": MNIST's recipe, centred by centre of mass.
    Comparing the model's answers shows why each step matters. (A model of deskewed digits
    reads one step more, the centred digit deskewed: :func:`core.preprocess.prepare_images`.)
    """
    fitted = steps["fitted"]
    h, w = fitted.shape
    boxed = np.zeros((MNIST_SIDE, MNIST_SIDE), np.float32)
    top, left = (MNIST_SIDE - h) // 2, (MNIST_SIDE - w) // 2
    boxed[top:top + h, left:left + w] = fitted
    return {
        "grey": _resize(steps["grey"], (MNIST_SIDE, MNIST_SIDE)),
        "cropped": _resize(steps["cropped"], (MNIST_SIDE, MNIST_SIDE)),
        "fitted": boxed,
        "centred": steps["centred"],
    }


def drawing_warnings(grey: np.ndarray, threshold: float = 0.05) -> list[Msg]:
    """Plain-language warnings about a drawing that MNIST-style preprocessing handles badly:
    very small (a small loop or gap closes up under a wide brush, and no redrawing of the
    strokes brings it back) or touching the edge (part of it may be cut off). Thin or thick
    strokes need no warning: they are redrawn with MNIST's pen (:mod:`core.stroke`)."""
    ink = grey > threshold
    if not ink.any():
        return []
    H, W = grey.shape
    rows, cols = np.flatnonzero(ink.any(axis=1)), np.flatnonzero(ink.any(axis=0))
    box_h, box_w = rows[-1] - rows[0] + 1, cols[-1] - cols[0] + 1
    warnings = []
    if max(box_h, box_w) < 0.25 * max(H, W):
        warnings.append(Msg("The drawing is very small: its loops and gaps may have closed "
                            "up under the brush. Draw the digit larger, filling most of the "
                            "square."))
    if rows[0] == 0 or cols[0] == 0 or rows[-1] == H - 1 or cols[-1] == W - 1:
        warnings.append(Msg("The drawing touches the edge of the square: part of it may be cut "
                            "off."))
    return warnings
