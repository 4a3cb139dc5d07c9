"""The tutorial's final figure as a PNG file: test digits titled "T:<true> P:<pred>".

The command line writes it (``python -m core.train --grid grid.png``); it is a picture file,
not a dashboard figure, so it is drawn with Pillow, without plotly.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
from PIL import Image, ImageDraw

from core.figures import upscale


def digit_grid_png(images: np.ndarray, titles: Sequence[str], path: str, columns: int = 10,
                   scale: int = 3) -> None:
    """Save images (n, 784) as one PNG grid, each with its title above, as the tutorial's
    final figure did ("T:<true> P:<pred>")."""
    cell_w, cell_h = 28 * scale, 28 * scale + 14
    rows = math.ceil(len(images) / columns)
    sheet = Image.new("L", (columns * cell_w, max(1, rows) * cell_h), color=255)
    draw = ImageDraw.Draw(sheet)
    for i, (img, title) in enumerate(zip(images, titles, strict=True)):
        x, y = (i % columns) * cell_w, (i // columns) * cell_h
        sheet.paste(Image.fromarray(255 - upscale(img, scale)), (x, y + 14))
        draw.text((x + 4, y + 1), title, fill=0)
    sheet.save(path)


def save_digit_grid_png(model, data, path: str, per_kind: int = 20) -> None:
    """The tutorial's ending: the first ``per_kind`` correctly and wrongly classified test
    digits, correct ones first, titled "T:<true> P:<pred>"."""
    pred = model.predict(data.features("test"))
    right = np.flatnonzero(pred == data.y_test)[:per_kind]
    wrong = np.flatnonzero(pred != data.y_test)[:per_kind]
    idx = np.concatenate([right, wrong])
    names = data.class_names
    titles = [f"T:{names[data.y_test[i]]} P:{names[pred[i]]}" for i in idx]
    digit_grid_png(data.x_test[idx], titles, path)
