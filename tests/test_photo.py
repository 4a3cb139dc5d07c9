"""A photo of a digit on paper reaches the Draw page's lesson without a mouse (core/photo.py,
issue 23): MNIST test digits written dark on grey, grainy, shaded paper and saved as JPEG
photos are read by the shipped model as the digits themselves are; hostile files are refused
with a message."""

from __future__ import annotations

import io
import struct

import numpy as np
import pytest
from PIL import Image

from core.canvas import preprocess_steps
from core.photo import MAX_BYTES, PhotoError, photo_to_grey
from support.e2e import ROOT


@pytest.fixture(scope="module")
def shipped():
    from core.data import load_mnist
    from core.model_file import load_model

    return load_model(ROOT / "data" / "default_model.npz"), load_mnist()


def _paper_photo(digit: np.ndarray, rng: np.random.Generator) -> bytes:
    """The digit in dark ink on light grey paper, 20x larger, with grain, a shadow across
    the sheet and margins, as a JPEG."""
    big = np.asarray(Image.fromarray(digit).resize((560, 560), Image.Resampling.BILINEAR),
                     dtype=np.float64) / 255
    sheet = np.zeros((800, 700))
    sheet[120:680, 70:630] = big
    shade = np.linspace(0.0, 0.15, 700)[None, :]  # darker towards the right
    paper = 0.88 - shade + rng.normal(0, 0.03, sheet.shape)
    photo = np.clip(paper - 0.75 * sheet, 0, 1)
    out = io.BytesIO()
    Image.fromarray((photo * 255).astype(np.uint8)).convert("RGB").save(out, "JPEG", quality=85)
    return out.getvalue()


def test_photos_of_test_digits_are_read_as_the_digits_are(shipped):
    model, data = shipped
    rng = np.random.default_rng(23)
    indices = rng.choice(len(data.y_test), 20, replace=False)
    agree = 0
    for i in indices:
        grey = photo_to_grey(_paper_photo(data.x_test[i].reshape(28, 28), rng))
        assert grey.dtype == np.float32 and max(grey.shape) <= 280
        assert grey.min() == 0.0 and grey.max() == 1.0
        _, proba = model.read(preprocess_steps(grey)["centred"])
        _, direct = model.read(data.x_test[i].reshape(28, 28) / 255)
        agree += int(proba.argmax() == direct.argmax())
    assert agree >= 18, f"only {agree} of 20 photos read as the digits themselves"


def _bmp_header(width: int, height: int) -> bytes:
    """A BMP file header declaring width x height 24-bit pixels, with no pixels after it."""
    info = struct.pack("<IiiHHIIiiII", 40, width, height, 1, 24, 0, 0, 2835, 2835, 0, 0)
    return b"BM" + struct.pack("<IHHI", 54 + 3 * width * height, 0, 0, 54) + info


def test_hostile_or_blank_photos_are_refused_with_a_message():
    with pytest.raises(PhotoError, match="million pixels"):
        photo_to_grey(_bmp_header(20_000, 20_000))  # 400 megapixels declared in 54 bytes
    with pytest.raises(PhotoError, match="larger than 5 MB"):
        photo_to_grey(b"\xff" * (MAX_BYTES + 1))
    with pytest.raises(PhotoError, match="could not be read"):
        photo_to_grey(b"%PDF-1.4 not a photo")
    blank = io.BytesIO()
    Image.new("L", (300, 200), 230).save(blank, "PNG")
    with pytest.raises(PhotoError, match="No digit found"):
        photo_to_grey(blank.getvalue())
