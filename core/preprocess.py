"""Turning a drawing into an MNIST-style 28x28 image the model can read.

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
two steps on a canvas drawing; :func:`preprocess_canvas` returns just the result.

The same frame is not enough for handwriting that *leans*: :func:`deskew` takes the slant
out of a digit (a shear, from its second moments), and :func:`prepare_images` gives a
model its inputs the way its training images were prepared (deskewed or not).

Everything here is NumPy plus Pillow's resampling and SciPy's affine warp, both imported
only where they are used (the dataset and the models import this module's names, and the
command line should not wait for either); nothing imports streamlit.
"""

from __future__ import annotations

import numpy as np

from core.i18n import Msg

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


def preprocess_steps(image: np.ndarray, threshold: float = 0.05) -> dict[str, np.ndarray]:
    """Every stage of :func:`preprocess_canvas`, in order, for a UI to show.

    Returns ``{"grey", "cropped", "fitted", "centred"}``, all float32 in [0, 1]:
    the grey drawing (canvas size), the ink's bounding box, the digit scaled so its longer
    side is 20 pixels, and the final 28x28 image centred by its centre of mass.
    Raises ValueError for an unusable image and :class:`NothingDrawn` (a ValueError) when
    nothing is drawn.
    """
    if not 0 <= threshold < 1:
        raise ValueError(f"threshold must be in [0, 1), got {threshold!r}")
    grey = to_grey(image)
    cropped = crop_to_ink(grey, threshold)
    fitted = fit_to_box(cropped)
    return {"grey": grey, "cropped": cropped, "fitted": fitted,
            "centred": centre_in_frame(fitted)}


def preprocess_canvas(image: np.ndarray, threshold: float = 0.05) -> np.ndarray:
    """A drawing as the (28, 28) float32 image in [0, 1] that the model expects.

    Pixels brighter than ``threshold`` count as ink when cropping. Flatten the result with
    ``.reshape(1, -1)`` before calling ``model.predict``. See :func:`preprocess_steps`.
    """
    return preprocess_steps(image, threshold)["centred"]


# --------------------------------------------------------------------------- deskewing

NO_PREPROCESSING, DESKEW = "none", "deskew"  # what a model's inputs went through
PREPROCESSINGS = {NO_PREPROCESSING: Msg("as they are"), DESKEW: Msg("deskewed")}  # and in words


def skew_moments(images: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The centre of mass and the skew of each image, from its intensity moments.

    ``images``: (n, H, W), any numbers >= 0 (ink). With m = sum_ij I[i, j] the total ink,
    the centre of mass (r0, c0) (see :func:`centre_of_mass`) and the second moments

        var_r  = sum_ij I[i, j] (i - r0)^2 / m            how spread out the ink is in height,
        cov_rc = sum_ij I[i, j] (i - r0)(j - c0) / m      how the column moves with the row,

    the skew is ``cov_rc / var_r``: the slope of the least-squares line c - c0 = skew (r - r0)
    through the ink, the digit's principal axis, in columns per row. Row indices grow
    downwards, so a digit leaning right (its top to the right) has a negative skew.

    Returns ``(r0, c0, skew)``, each (n,) float64. An image without ink gets (0, 0, 0); one
    with all its ink in one row (var_r = 0: no slope to speak of) gets skew 0.
    """
    x = np.asarray(images, dtype=np.float64)
    rows, cols = np.arange(x.shape[1], dtype=np.float64), np.arange(x.shape[2], dtype=np.float64)
    per_row, per_col = x.sum(axis=2), x.sum(axis=1)  # (n, H), (n, W)
    mass = per_row.sum(axis=1)
    safe = np.where(mass > 0, mass, 1.0)
    r0, c0 = per_row @ rows / safe, per_col @ cols / safe
    dr, dc = rows[None, :] - r0[:, None], cols[None, :] - c0[:, None]  # (n, H), (n, W)
    var_r = (per_row * dr**2).sum(axis=1) / safe
    cov_rc = (dr * (x @ dc[:, :, None])[:, :, 0]).sum(axis=1) / safe  # sum_i dr_i sum_j I dc_j
    flat = var_r <= 1e-12 * np.maximum(1.0, var_r.max(initial=0.0))
    skew = np.divide(cov_rc, var_r, out=np.zeros_like(cov_rc), where=~flat & (mass > 0))
    return r0, c0, skew


def deskew(image: np.ndarray, centre: tuple[float, float] = CENTRE) -> np.ndarray:
    """Shear a digit so that its principal axis is vertical: the slant taken out.

    People slant their handwriting, each by their own angle: the same "1" is a vertical bar
    from one writer and a line leaning 20 degrees from another. A *linear* model scores
    fixed pixel positions (one weight per pixel, see the module's docstring), so it cannot
    recognise a lean it has not seen at that very angle: the slanted "1" lights pixels its
    "1" template does not weigh. Its templates are blurred averages over all the slants in
    the training set. Removing the slant from every image, in training and afterwards, takes
    that variation away, and the templates sharpen: LeCun et al. (1998) list a linear
    classifier at 88.0 % on MNIST and 91.6 % on deskewed MNIST.

    The slant is measured by :func:`skew_moments`: the skew s = cov(row, col) / var(row),
    the least-squares slope of the ink's columns against its rows. A *shear* moves each row
    sideways in proportion to its height above the centre of mass and keeps rows as they
    are, which turns the principal axis c = c0 + s (r - r0) upright. The same warp also
    puts the centre of mass exactly at ``centre`` (MNIST's (14, 14); MNIST itself centred
    only to whole pixels): the output pixel (r, c) takes its value from the input at

        (r + r0 - 14,  c + c0 - 14 + s (r - 14)),

    so the input's centre (r0, c0) lands on (14, 14) and its axis on column 14. As a matrix,
    input = [[1, 0], [s, 1]] @ output + (r0 - 14, c0 - 14 - 14 s): exactly what
    ``scipy.ndimage.affine_transform`` takes. Between pixels it interpolates linearly
    (cubic splines measured no better: 94.6 % against 94.5 % after 10 epochs, without the
    centring); ink moved past the edge is lost, and the edge reads as zeros. The centring
    is worth measuring too: 10 epochs on MNIST reach 92.1 % plain, 94.5 % sheared in place,
    95.2 % sheared and centred.

    ``image``: (H, W) grey levels, ink > 0 (float in [0, 1], or uint8). Returns a float64
    (H, W) image; one without ink is returned unchanged, as float64.
    """
    from scipy.ndimage import affine_transform  # noqa: PLC0415 (scipy only when deskewing)

    img = np.asarray(image, dtype=np.float64)
    if img.ndim != 2:
        raise ValueError(f"deskew takes one (H, W) image, got shape {img.shape}")
    if not img.sum() > 0:
        return img.copy()
    (r0,), (c0,), (s,) = skew_moments(img[None])
    offset = (r0 - centre[0], c0 - centre[1] - s * centre[0])
    return affine_transform(img, [[1.0, 0.0], [s, 1.0]], offset=offset, order=1,
                            mode="grid-constant")


def deskew_images(x: np.ndarray, side: int = MNIST_SIDE, chunk: int = 5_000) -> np.ndarray:
    """:func:`deskew` for a whole dataset at once: ``x`` (n, side * side) uint8 rows of
    flattened images in, (n, side * side) uint8 out (rounded back to 0-255).

    Linear interpolation in two dimensions is two one-dimensional ones, and each is a
    gather: first every column is read r0 - 14 rows further down (the same for the whole
    image), then every row r is read c0 - 14 + s (r - 14) columns further right (one number
    per row: that is the shear). That equals ``affine_transform``'s ``order=1`` (a test
    checks it), in a few NumPy operations for a chunk of images instead of a call per
    image: 70,000 MNIST images in 1.4-3.3 s here, against 2.6-15 s for 70,000 calls (two
    shared cores, light to heavy load).
    """
    x = np.asarray(x)
    if x.ndim != 2 or x.shape[1] != side * side:
        raise ValueError(f"expected (n, {side * side}) flattened images, got shape {x.shape}")
    out = np.empty(x.shape, np.uint8)
    for start in range(0, len(x), chunk):
        images = x[start:start + chunk].reshape(-1, side, side).astype(np.float32)
        sheared = _deskew_batch(images).reshape(len(images), -1)
        out[start:start + chunk] = np.rint(np.clip(sheared, 0, 255))
    return out


def _deskew_batch(images: np.ndarray, centre: tuple[float, float] = CENTRE) -> np.ndarray:
    """(n, H, W) float32 images, each deskewed and centred as :func:`deskew` does it."""
    r0, c0, s = skew_moments(images)
    rows = np.arange(images.shape[1])
    down = np.repeat((r0 - centre[0])[:, None], images.shape[2], axis=1)  # (n, W)
    moved = _read_shifted(images.transpose(0, 2, 1), down).transpose(0, 2, 1)
    right = (c0 - centre[1])[:, None] + s[:, None] * (rows[None, :] - centre[0])  # (n, H)
    return _read_shifted(moved, right)


def _read_shifted(images: np.ndarray, shift: np.ndarray) -> np.ndarray:
    """Each row r of each image read ``shift[n, r]`` places further right: output (r, c) is
    the row at c + shift, interpolated linearly between its two neighbours, zeros beyond
    the edge; (n, H, W) float32 in and out, ``shift`` (n, H).

    The rows get two zeros on either side, so both neighbours are inside the padded row
    whenever either is inside the image (a place further out is clipped to the zeros); the
    gather is done on the flattened array, one index per output pixel.
    """
    n, h, w = images.shape
    source = np.arange(w, dtype=np.float32) + shift.astype(np.float32)[:, :, None]  # (n, H, W)
    left = np.floor(source)
    frac = source - left
    padded = np.pad(images, ((0, 0), (0, 0), (2, 2))).reshape(-1)  # column j at j + 2
    row_start = (np.arange(n * h) * (w + 4)).reshape(n, h, 1)
    at = row_start + np.clip(left, -2, w).astype(np.intp) + 2  # the neighbour on the left
    return (1 - frac) * padded[at] + frac * padded[at + 1]


def preprocessing_note(preprocessing: str) -> str:
    """What a label adds for a model or run of this preprocessing, so that it is never a
    surprise: ", deskewed digits" for "deskew", nothing for "none"."""
    if check_preprocessing(preprocessing) == NO_PREPROCESSING:
        return ""
    return Msg(", {how} digits", how=PREPROCESSINGS[preprocessing])


def check_preprocessing(preprocessing: str) -> str:
    """``preprocessing`` if it is one this project knows (:data:`PREPROCESSINGS`), else
    ValueError."""
    if preprocessing not in PREPROCESSINGS:
        raise ValueError(f"unknown preprocessing {preprocessing!r}; "
                         f"choose {' or '.join(map(repr, PREPROCESSINGS))}")
    return preprocessing


def prepare_images(x: np.ndarray, preprocessing: str, side: int = MNIST_SIDE) -> np.ndarray:
    """Images prepared the way a model trained on ``preprocessing`` images expects them.

    This is the one place where that rule lives: a model that learnt from deskewed digits
    must read deskewed digits, whoever hands them to it (the test set on the Results page,
    a drawing, the lesson), and a model that learnt from the images as they are must never
    get a deskewed one. ``x``: one (side, side) image, one flattened row (side * side,), or
    rows (n, side * side); uint8 0-255 or float 0-1. Returns the same shape, as uint8 for
    uint8 input and float32 otherwise: ``x`` itself for ``"none"``, :func:`deskew`'s result
    for ``"deskew"``.
    """
    check_preprocessing(preprocessing)
    if preprocessing == NO_PREPROCESSING:
        return x
    x = np.asarray(x)
    if x.shape not in ((side, side), (side * side,)) and not (x.ndim == 2
                                                            and x.shape[1] == side * side):
        raise ValueError(f"expected a ({side}, {side}) image or rows of {side * side} pixels, "
                         f"got shape {x.shape}")
    images = x.reshape(-1, side * side)
    if x.dtype == np.uint8:
        return deskew_images(images).reshape(x.shape)
    sheared = _deskew_batch(images.reshape(-1, side, side).astype(np.float32))
    return np.clip(sheared, 0.0, 1.0).reshape(x.shape)


# --------------------------------------------------------------------------- teaching aids


def _resize(img: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    """Anti-aliased resize of a float image to (height, width), clipped to [0, 1]."""
    from PIL import Image  # noqa: PLC0415 (see the module's docstring)

    pil = Image.fromarray(np.ascontiguousarray(img, dtype=np.float32))
    out = np.asarray(pil.resize((size[1], size[0]), Image.Resampling.LANCZOS), dtype=np.float32)
    return np.clip(out, 0.0, 1.0)


def model_inputs_per_step(steps: dict[str, np.ndarray],
                          preprocessing: str = NO_PREPROCESSING) -> dict[str, np.ndarray]:
    """What the model would see if preprocessing stopped after each step (all 28x28).

    - "grey": the whole canvas shrunk to 28x28 (no cropping: the digit may be tiny or
      off-centre, unlike any training digit);
    - "cropped": the ink's box stretched to fill 28x28 (size fixed, aspect ratio lost);
    - "fitted": the 20x20-fitted digit placed by its bounding box in the middle;
    - "centred": MNIST's recipe, centred by centre of mass;
    - "deskewed", only for a model of ``preprocessing`` "deskew": the centred digit with its
      slant sheared away (:func:`prepare_images`), the last step for such a model.
    Comparing the model's answers shows why each step matters.
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
        **({"deskewed": prepare_images(steps["centred"], DESKEW)}
           if check_preprocessing(preprocessing) == DESKEW else {}),
    }


def drawing_warnings(grey: np.ndarray, threshold: float = 0.05) -> list[Msg]:
    """Plain-language warnings about a drawing that MNIST-style preprocessing handles badly:
    very small (it gets blown up, with its strokes), very thin (its strokes fade when
    shrunk), or touching the edge (part of it may be cut off)."""
    ink = grey > threshold
    if not ink.any():
        return []
    H, W = grey.shape
    rows, cols = np.flatnonzero(ink.any(axis=1)), np.flatnonzero(ink.any(axis=0))
    box_h, box_w = rows[-1] - rows[0] + 1, cols[-1] - cols[0] + 1
    warnings = []
    if max(box_h, box_w) < 0.25 * max(H, W):
        warnings.append(Msg("The drawing is very small: it is scaled up a lot, strokes and "
                            "all. Draw the digit larger, filling most of the square."))
    # stroke width ~ ink area / ink length; the longer side of the box approximates length
    stroke = ink.sum() / max(box_h, box_w)
    if stroke < 0.03 * max(H, W) and max(box_h, box_w) >= 0.25 * max(H, W):
        warnings.append(Msg("The strokes are very thin compared with MNIST's: thin lines fade "
                            "when the digit is shrunk to 20 pixels."))
    if rows[0] == 0 or cols[0] == 0 or rows[-1] == H - 1 or cols[-1] == W - 1:
        warnings.append(Msg("The drawing touches the edge of the square: part of it may be cut "
                            "off."))
    return warnings
