"""Where the Draw page's digit comes from: the canvas (mouse, finger or pen), or, for a student
who cannot draw there (the canvas has no keyboard), a photo of a digit written on paper or a
test digit picked by its number. All three go through the same preprocessing steps and the
same "why" map: the same lesson (issue 23)."""

from __future__ import annotations

import numpy as np
import streamlit as st

from core.i18n import Msg
from core.photo import MAX_BYTES, PhotoError, photo_to_grey
from ui.i18n import current, tr

SOURCE_WIDGET = "draw_source"
SOURCES = {"draw": Msg("Draw it"), "photo": Msg("A photo of a digit on paper"),
           "test": Msg("A test digit")}
PHOTO_TYPES = ["png", "jpg", "jpeg", "webp", "bmp", "gif"]


def source_picker() -> str:
    """"Draw it", "A photo of a digit on paper" or "A test digit" (arrow keys choose)."""
    t = current()
    return st.radio(tr("Your digit"), list(SOURCES), format_func=lambda k: t(SOURCES[k]),
                    horizontal=True, key=SOURCE_WIDGET,
                    help=tr("Without a mouse: upload a photo of a digit written on paper, or "
                            "pick a test digit by its number.")) or "draw"


def other_image(source: str, x_test: np.ndarray) -> np.ndarray | None:
    """The digit to read from a photo or a test digit (grey, ink = 1), or None when there is
    none yet; a photo that cannot be read is said, never raised."""
    if source == "photo":
        upload = st.file_uploader(tr("Photo of one digit, written large and dark on white "
                                     "paper"), type=PHOTO_TYPES, key="draw_photo",
                                  max_upload_size=MAX_BYTES // 1_000_000)
        if upload is None:
            return None
        try:
            return photo_to_grey(upload.getvalue())
        except PhotoError as exc:
            st.error(tr(exc.args[0]))
            return None
    last = len(x_test) - 1
    index = st.number_input(tr("Test digit number (0 to {last:,})", last=last), 0, last, 0,
                            key="draw_test_digit")
    return np.asarray(x_test[int(index)], dtype=np.float32).reshape(28, 28) / 255.0
