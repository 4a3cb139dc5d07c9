"""Stroke width: a drawing re-drawn with the pen MNIST's writers used.

A linear model reads ink at fixed pixels (:mod:`core.canvas`), so *how much* ink a stroke
leaves matters as much as where: a digit drawn with a thin pen lights a thin line of the
model's template, one drawn with a marker floods its neighbours. MNIST's writers used pens
of a fairly steady width, and once their digits were fitted to 20 pixels, the width of a
stroke, in MNIST pixels, has a narrow distribution. A drawing on a 280-pixel canvas has no
such pen: a thin brush on a large digit, or a thick one on a small digit, lands far from it.

Here the width comes from MNIST itself, never from our drawings:

- :func:`stroke_width` measures the mean width of the strokes of (n, H, W) images as
  ``2 * ink / perimeter``: a stroke of length L and width w holds L w of ink and is
  bordered by about 2 L of edge. The ink is the sum of the grey levels; the perimeter is
  the image's total variation, the sum of its gradient's length, which for an anti-aliased
  edge adds up to the edge's length (the coarea formula), whatever the blur.
- :data:`MNIST_STROKE_WIDTH` is the median of that width over MNIST's 60,000 training
  images (``python -m tools.stroke_width`` measures it; a test recomputes it from the bundled
  data).
- :func:`restroke` thins the drawing to its skeleton (:func:`skeleton`, Zhang and Suen's
  thinning) and draws the skeleton again with a round pen whose width is chosen so that the
  digit, fitted to 20 pixels, has MNIST's median width; fitting it to 20 pixels then gives it
  MNIST's soft anti-aliased edge (:func:`core.canvas.fit_to_box`).

NumPy and SciPy's distance transform (imported where used); nothing imports streamlit.
"""

from __future__ import annotations

import numpy as np

# The median of stroke_width over MNIST's 60,000 training images, in MNIST pixels
# (python -m tools.stroke_width prints it; tests/test_preprocess.py recomputes it).
MNIST_STROKE_WIDTH = 2.360
WORK_SIDE = 200  # a drawing is restroked at this size (its longer side), whatever its own
CALIBRATION_ROUNDS = 4  # pen-width corrections so that the fitted digit measures the target


def stroke_width(images: np.ndarray) -> np.ndarray:
    """The mean stroke width of each image, ``2 * ink / perimeter``, in pixels.

    ``images``: (H, W) or (n, H, W), grey levels >= 0 (0-1 floats or 0-255: the scale
    cancels). The perimeter is the total variation, sum over pixels of
    sqrt(dI/dx^2 + dI/dy^2) with forward differences, on the image padded with a pixel of
    background so that ink on the border is bordered too. Returns (n,) float64 (a float for
    one image); an image without ink has width 0.
    """
    x = np.asarray(images, dtype=np.float64)
    one = x.ndim == 2
    x = np.pad(x.reshape((-1,) + x.shape[-2:]), ((0, 0), (1, 1), (1, 1)))
    gx = x[:, :-1, 1:] - x[:, :-1, :-1]
    gy = x[:, 1:, :-1] - x[:, :-1, :-1]
    perimeter = np.sqrt(gx**2 + gy**2).sum(axis=(1, 2))
    ink = x.sum(axis=(1, 2))
    width = np.divide(2 * ink, perimeter, out=np.zeros_like(ink), where=perimeter > 0)
    return float(width[0]) if one else width


def measure_mnist(x_train: np.ndarray, side: int = 28) -> dict[str, float]:
    """MNIST's stroke widths: median and quartiles of :func:`stroke_width` over the rows
    ``x_train`` (n, side * side), and the median ink (sum of grey levels in 0-1, pixels)."""
    images = np.asarray(x_train).reshape(-1, side, side).astype(np.float32)
    if np.asarray(x_train).dtype == np.uint8:
        images /= 255
    widths = stroke_width(images)
    q1, median, q3 = np.percentile(widths, [25, 50, 75])
    return {"median": float(median), "q1": float(q1), "q3": float(q3),
            "ink": float(np.median(images.sum(axis=(1, 2)))), "n": len(images)}


def skeleton(ink: np.ndarray) -> np.ndarray:
    """Zhang and Suen's (1984) thinning of a binary image: the one-pixel-wide centre line.

    Each pass peels off, all at once, the border pixels whose removal neither breaks the
    shape in two nor shortens a line: 2 to 6 ink neighbours, exactly one background-to-ink
    change going round them, and (alternating between the two sub-passes) background on
    their south-east or north-west side. It stops when a pass removes nothing.
    """
    img = np.pad(np.asarray(ink, dtype=bool), 1).astype(np.uint8)
    while True:
        changed = False
        for step in (0, 1):
            p = _neighbours(img)  # P2 (north) ... P9 (north-west), clockwise
            count = sum(p)
            ring = p + p[:1]
            turns = sum((ring[k] == 0) & (ring[k + 1] == 1) for k in range(8))
            n, e, s, w = p[0], p[2], p[4], p[6]
            if step == 0:
                side = (n * e * s == 0) & (e * s * w == 0)
            else:
                side = (n * e * w == 0) & (n * s * w == 0)
            core = img[1:-1, 1:-1]
            drop = (core == 1) & (count >= 2) & (count <= 6) & (turns == 1) & side
            if drop.any():
                core[drop] = 0
                changed = True
        if not changed:
            return img[1:-1, 1:-1].astype(bool)


def _neighbours(img: np.ndarray) -> list[np.ndarray]:
    """The eight neighbours of every inner pixel of a padded image, clockwise from north."""
    h, w = img.shape
    offsets = [(-1, 0), (-1, 1), (0, 1), (1, 1), (1, 0), (1, -1), (0, -1), (-1, -1)]
    return [img[1 + dr:h - 1 + dr, 1 + dc:w - 1 + dc] for dr, dc in offsets]


def _work_size(cropped: np.ndarray) -> np.ndarray:
    """The cropped drawing resized so that its longer side is :data:`WORK_SIDE` pixels
    (bilinear), so that thinning and pen widths behave the same for a 28-pixel MNIST digit,
    a canvas drawing and a photo."""
    from PIL import Image  # noqa: PLC0415 (see core.canvas)

    h, w = cropped.shape
    scale = WORK_SIDE / max(h, w)
    size = (max(1, round(w * scale)), max(1, round(h * scale)))
    pil = Image.fromarray(np.ascontiguousarray(cropped, dtype=np.float32))
    return np.asarray(pil.resize(size, Image.Resampling.BILINEAR), dtype=np.float32)


def restroke(cropped: np.ndarray, target: float, fit) -> np.ndarray:
    """The cropped drawing re-drawn along its skeleton with a round pen, so that once
    fitted to 20 pixels by ``fit`` (the caller's: :func:`core.canvas.fit_to_box`) its
    strokes are ``target`` MNIST pixels wide (:func:`stroke_width`; MNIST's median is
    :data:`MNIST_STROKE_WIDTH`).

    ``cropped``: (h, w) grey levels in [0, 1] cropped to the ink. The drawing is resized to
    :data:`WORK_SIDE`, its ink (half its peak and more) thinned to a skeleton, and every
    pixel within radius r of the skeleton inked, with a one-pixel soft edge. The box grows
    with the pen, so r is first guessed from the skeleton's extent and then corrected
    :data:`CALIBRATION_ROUNDS` times by the ratio of the target to the width measured on the
    fitted result. Returns float32 in [0, 1], cropped to its ink.
    """
    from scipy.ndimage import distance_transform_edt  # noqa: PLC0415 (scipy where used)

    work = _work_size(cropped)
    ink = work >= 0.5 * work.max()
    bones = skeleton(ink)
    if not bones.any():
        bones = ink
    rows, cols = np.flatnonzero(bones.any(axis=1)), np.flatnonzero(bones.any(axis=0))
    extent = max(rows[-1] - rows[0], cols[-1] - cols[0]) + 1
    radius = 0.5 * target * extent / max(20 - target, 1.0)  # the box is extent + 2 r
    margin = int(np.ceil(4 * radius)) + 2
    distance = distance_transform_edt(~np.pad(bones, margin))
    for _ in range(CALIBRATION_ROUNDS):
        drawn = _pen(distance, radius)
        radius *= target / max(stroke_width(fit(drawn)), 1e-3)
        radius = min(radius, margin / 2 - 1)
    return _pen(distance, radius)


def _pen(distance: np.ndarray, radius: float) -> np.ndarray:
    """Ink within ``radius`` of the skeleton (``distance`` to it), its edge one pixel soft,
    cropped to the ink."""
    drawn = np.clip(radius + 0.5 - distance, 0.0, 1.0).astype(np.float32)
    rows, cols = np.flatnonzero(drawn.any(axis=1)), np.flatnonzero(drawn.any(axis=0))
    return drawn[rows[0]:rows[-1] + 1, cols[0]:cols[-1] + 1]
