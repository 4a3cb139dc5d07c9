"""A photo of a digit written on paper, as a drawing the Draw page can read: the way to the
Draw page's lesson for a student who cannot draw with a mouse or a finger (issue 23).

Paper is light and ink dark; MNIST (and the canvas) is the other way round, ink = 1 on a
black background. So the photo is turned grey, inverted when its background is light,
stretched so that the paper is 0 and the darkest ink 1, and its faint shades (paper grain,
shadows) are set to 0, then shrunk so that its longer side is at most 280 pixels, the
canvas's. From there :func:`core.canvas.preprocess_steps` crops, fits and centres it as it
does a drawing.

Every photo is hostile until read: its bytes and its pixel count are bounded before it is
decoded (a small PNG can declare 100,000 x 100,000 pixels), and anything Pillow cannot read
is a :class:`PhotoError` with a message, never a traceback.
"""

from __future__ import annotations

import io

import numpy as np

from core.i18n import Msg

MAX_BYTES = 5_000_000  # a phone's photo is 2-4 MB
MAX_PIXELS = 40_000_000  # 40 megapixels, checked from the header before decoding
SIDE = 280  # the canvas's side: the photo is shrunk to fit it
FAINT = 0.25  # ink fainter than this (after stretching) is paper grain or shadow
FORMATS = ("PNG", "JPEG", "WEBP", "BMP", "GIF")


class PhotoError(ValueError):
    """A photo that cannot be read; ``args[0]`` is a core.i18n.Msg to show."""


def photo_to_grey(data: bytes) -> np.ndarray:
    """The photo's digit as a float32 (h, w) image in [0, 1], ink = 1, longer side <= 280.
    Raises :class:`PhotoError` for too large, unreadable or blank photos."""
    from PIL import Image, ImageOps, UnidentifiedImageError  # noqa: PLC0415 (Draw page only)

    if len(data) > MAX_BYTES:
        raise PhotoError(Msg("The photo is larger than {mb} MB: take a smaller one.",
                             mb=MAX_BYTES // 1_000_000))
    try:
        with Image.open(io.BytesIO(data), formats=FORMATS) as img:
            if img.width * img.height > MAX_PIXELS:
                raise PhotoError(_too_many_pixels())
            img.draft("L", (SIDE * 2, SIDE * 2))  # JPEG: decode at a reduced size at once
            img = ImageOps.exif_transpose(img).convert("L")
            img.thumbnail((SIDE, SIDE), Image.Resampling.LANCZOS)
            grey = np.asarray(img, dtype=np.float32) / 255.0
    except PhotoError:
        raise
    except Image.DecompressionBombError as exc:  # Pillow's own limit, checked at open
        raise PhotoError(_too_many_pixels()) from exc
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError) as exc:
        raise PhotoError(Msg("This file could not be read as a photo (PNG, JPEG, WebP, BMP or "
                             "GIF).")) from exc
    return ink_from_paper(grey)


def _too_many_pixels() -> Msg:
    return Msg("The photo has more than {mp} million pixels: take a smaller one.",
               mp=MAX_PIXELS // 1_000_000)


def ink_from_paper(grey: np.ndarray) -> np.ndarray:
    """Grey levels of a photo (float, 0 = black) as ink = 1 on a 0 background: inverted when
    the background (the median) is light, stretched from the background to the strongest
    ink, with faint shades set to 0. Raises :class:`PhotoError` when there is no ink."""
    grey = np.asarray(grey, dtype=np.float32)
    background = float(np.median(grey))
    ink = (1.0 - grey) if background > 0.5 else grey
    background = float(np.median(ink))
    strongest = float(ink.max())
    if strongest - background < 0.2:
        raise PhotoError(Msg("No digit found in the photo: write it large and dark on white "
                             "paper, and take the photo close up."))
    stretched = np.clip((ink - background) / (strongest - background), 0.0, 1.0)
    stretched[stretched < FAINT] = 0.0
    return stretched.astype(np.float32)
