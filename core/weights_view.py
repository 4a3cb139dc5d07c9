"""What a softmax regression has learned, drawn as ten pictures: one template per class.

The model scores class k as ``z_k = x . W[:, k] + b_k``: every pixel of the image is
multiplied by its own weight and the products are summed. So column k of ``W`` has one
weight per pixel and can be drawn as a 28x28 image of its own, the class's *template*:

- a **red** (positive) pixel adds to the score of class k wherever the digit has ink, so
  ink there votes *for* k;
- a **blue** (negative) pixel subtracts, so ink there votes *against* k;
- a **white** pixel (weight near 0) does not matter to k, e.g. the empty border.

Replayed epoch by epoch, the templates grow out of the random start (W ~ U(-0.08, 0.08),
visible as noise at epoch 0). The L2 penalty (lambda) pulls every weight towards 0 at each
step: pixels the data rarely supports fade, so a larger lambda gives smoother, blurrier
templates and a smaller ``||W||`` (see :func:`weight_norms`).

Everything here is NumPy in, plain data out; the figure is a plotly figure *dict*.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

from core.i18n import ENGLISH, Translator
from core.snapshots import WeightHistory, nearest_epoch
from core.style import DIVERGING_SCALE, FONT

LIMIT_PERCENTILE = 99.0
TITLE_SIZE = 24  # the class names above the panels: read from the back of a classroom
COLUMNS = 5


def weight_images(W: np.ndarray) -> np.ndarray:
    """The K columns of ``W`` (n_pixels x K) as K square images: shape (K, side, side).

    Image k is exactly ``W[:, k].reshape(side, side)`` (row-major, as the images were
    flattened), so pixel (r, c) of image k is the weight of input pixel ``r * side + c``
    for class k. For MNIST, W is 784 x 10 and the result is (10, 28, 28). The result is a
    view of ``W.T`` where possible: no copy, the values are the weights themselves.
    """
    W = np.asarray(W)
    if W.ndim != 2:
        raise ValueError(f"W must be 2-D (pixels x classes), got shape {W.shape}")
    n_pixels, n_classes = W.shape
    side = math.isqrt(n_pixels)
    if side * side != n_pixels:
        raise ValueError(f"W has {n_pixels} rows, which is not a square number of pixels")
    return W.T.reshape(n_classes, side, side)


def symmetric_limit(W: np.ndarray, percentile: float = LIMIT_PERCENTILE) -> float:
    """The colour limit ``L`` for a scale from -L (dark blue) through 0 (white) to +L (dark red).

    One limit is shared by all ten panels, so equal colours mean equal weights in every
    template, and it is symmetric, so white is exactly 0 and red and blue are comparable.

    ``L`` is the 99th percentile of ``|W|``, not the maximum: a trained W typically has a few
    pixels far larger than the rest (the tutorial's model: max 1.73, 99th percentile 0.68),
    and scaling to the maximum would fade everything else to near-white. With the
    percentile, the largest 1 % of weights saturate at the darkest colour and the rest of
    the picture uses the whole scale. Non-finite weights are ignored; if nothing is left
    above 0 (all-zero weights), the result is 1.0 so the scale is still valid (and white).
    """
    a = np.abs(np.asarray(W, dtype=np.float64))
    a = a[np.isfinite(a)]
    if a.size == 0:
        return 1.0
    limit = float(np.percentile(a, percentile))
    if limit <= 0:
        limit = float(a.max())
    return limit if limit > 0 else 1.0


def history_limit(weights_history: WeightHistory) -> float:
    """One colour limit for a whole replay: the largest :func:`symmetric_limit` of the kept
    epochs. On this fixed scale the pictures darken as the weights grow, and a run with a
    larger lambda stays paler: the penalty keeps its weights small."""
    limits = []
    for epoch in weights_history.epochs:
        try:
            limits.append(symmetric_limit(weights_history.get(epoch)[0]))
        except KeyError:  # thinned out by the training thread meanwhile
            continue
    return max(limits, default=1.0)


def weight_norms(weights_history: WeightHistory) -> list[tuple[int, float]]:
    """``(epoch, ||W||)`` for each kept epoch, oldest first: the Frobenius norm, i.e. the
    square root of the sum of all squared weights.

    This is the size the L2 penalty ``(lambda / 2) ||W||^2`` keeps small: with lambda = 0
    the norm keeps growing as the model grows more confident; with a larger lambda it
    levels off sooner and lower. Safe to call while a run trains: an epoch that is thinned
    out between listing and reading is skipped.
    """
    norms = []
    for epoch in weights_history.epochs:
        try:
            W, _ = weights_history.get(epoch)
        except KeyError:  # thinned out by the training thread meanwhile
            continue
        norms.append((epoch, float(np.linalg.norm(W))))
    return norms


def replay(weights_history: WeightHistory, epoch: int) -> tuple[int, np.ndarray]:
    """``(kept_epoch, W)``: the exact weights saved for ``epoch``, or, if that epoch has
    been thinned out of the history (it keeps at most 40), for the closest kept one.

    Made for reading a history that a training thread is still adding to: it works from one
    copy of the list of epochs instead of asking the history twice.
    """
    for _ in range(3):
        epochs = weights_history.epochs
        kept = nearest_epoch(epochs, epoch)
        try:
            return kept, weights_history.get(kept)[0]
        except KeyError:  # thinned between the two reads: look again
            continue
    raise KeyError(f"no weights kept near epoch {epoch}")


def _grid_domains(n: int, columns: int, gap_x: float = 0.012, gap_y: float = 0.07,
                  right: float = 0.93) -> list[tuple[list[float], list[float]]]:
    """Paper-coordinate (x, y) domains for ``n`` panels in rows of ``columns``, top row
    first, leaving ``1 - right`` of the width for the colour bar."""
    rows = max(1, -(-n // columns))
    width = (right - gap_x * (columns - 1)) / columns
    height = (1 - gap_y * rows) / rows  # each row keeps room above it for its titles
    domains = []
    for i in range(n):
        r, c = divmod(i, columns)
        x0 = c * (width + gap_x)
        y1 = 1 - r * (height + gap_y) - gap_y
        domains.append(([x0, x0 + width], [y1 - height, y1]))
    return domains


def _finite_z(image: np.ndarray):
    """The image as heatmap z; non-finite weights (a diverged run) become gaps (None),
    never NaN in the figure. Finite images (the normal case) stay NumPy arrays: cheap."""
    if np.isfinite(image).all():
        return image
    return [[float(v) if math.isfinite(v) else None for v in row] for row in image.tolist()]


def weights_figure(W: np.ndarray, class_names: Sequence[str], limit: float | None = None,
                   title: str = "", tr: Translator = ENGLISH) -> dict:
    """The K templates in a grid of 5 per row (2 x 5 for ten classes), on one colour bar.
    ``tr`` translates the texts (core.i18n).

    ``limit`` fixes the colour scale at [-limit, +limit]; by default it is
    :func:`symmetric_limit` of ``W``. Pass one limit for several W to compare them on the
    same scale (e.g. every epoch of a replay). Weights beyond the limit get the end colours.

    The figure is a plotly figure *dict* with one heatmap per class, each on its own pair of
    axes laid out by hand. The page redraws it twice a second while a model trains, and
    building this dict takes a fraction of a millisecond, where ``make_subplots`` alone
    takes about 20 ms of the interpreter time the training thread is competing for. All
    heatmaps share the layout's colour axis, which gives the single colour bar and guarantees
    the shared scale. Pixels are square (``scaleanchor``), row 0 is at the top (reversed y) so
    the digits stand upright, and the axes have no ticks: the picture is the point, the hover
    text gives row, column, weight.
    """
    images, names = weight_images(W), list(class_names)
    limit = _checked(W, names, limit)
    columns = min(COLUMNS, len(images))
    traces, layout, annotations = [], {}, []
    for k, (image, domain) in enumerate(zip(images, _grid_domains(len(images), columns),
                                            strict=True)):
        trace, axes, heading = _panel(k, names[k], image, domain, tr)
        traces.append(trace)
        layout.update(axes)
        annotations.append(heading)
    rows = -(-len(images) // columns)
    layout.update(
        coloraxis=dict(colorscale=DIVERGING_SCALE, cmin=-limit, cmax=limit,
                       colorbar=dict(title=dict(text=tr("weight"), side="top"), thickness=20,
                                     len=0.9, y=0, yanchor="bottom", x=0.945, xanchor="left",
                                     tickformat=".2~g", outlinewidth=0)),
        annotations=annotations, height=(66 if title else 16) + 240 * rows, font=FONT,
        margin=dict(l=10, r=10, t=60 if title else 10, b=6), plot_bgcolor="#ffffff",
        uirevision="weights", dragmode=False,
    )
    if title:
        layout["title"] = dict(text=title, x=0.5, xanchor="center", font=dict(size=TITLE_SIZE))
    return dict(data=traces, layout=layout)


def _checked(W: np.ndarray, names: list, limit: float | None) -> float:
    """The colour limit to use, after checking there is one class name per column of W."""
    if len(names) != W.shape[1]:
        raise ValueError(f"{len(names)} class names for {W.shape[1]} classes")
    limit = symmetric_limit(W) if limit is None else float(limit)
    if not (math.isfinite(limit) and limit > 0):
        raise ValueError(f"limit must be a positive number, got {limit!r}")
    return limit


def _panel(k: int, name: str, image: np.ndarray, domain,
           tr: Translator) -> tuple[dict, dict, dict]:
    """Class ``k``'s template: its heatmap, its pair of axes and its title above it."""
    n, side, (dx, dy) = ("" if k == 0 else str(k + 1)), image.shape[0], domain
    trace = dict(
        type="heatmap", z=_finite_z(image), coloraxis="coloraxis", xaxis=f"x{n}",
        yaxis=f"y{n}", name=name,
        hovertemplate=tr("class {name}<br>row {row}, column {col}<br>weight {w}", name=name,
                         row="%{y}", col="%{x}", w="%{z:.3f}") + "<extra></extra>",
    )
    hidden = dict(showticklabels=False, ticks="", showgrid=False, zeroline=False,
                  showline=True, linecolor="#bbbbbb", mirror=True)
    axes = {f"xaxis{n}": dict(domain=dx, anchor=f"y{n}", range=[-0.5, side - 0.5],
                              constrain="domain", **hidden),
            f"yaxis{n}": dict(domain=dy, anchor=f"x{n}", range=[side - 0.5, -0.5],
                              scaleanchor=f"x{n}", constrain="domain", **hidden)}
    # placed relative to the panel's own axes ("x3 domain"), which already account for
    # the squaring (constrain="domain"): the title sits just above the picture
    heading = dict(text=f"<b>{name}</b>", x=0.5, y=1.0, xref=f"x{n} domain",
                   yref=f"y{n} domain", xanchor="center", yanchor="bottom",
                   yshift=2, showarrow=False, font=dict(size=TITLE_SIZE))
    return trace, axes, heading


def norms_figure(norms: Sequence[tuple[int, float]], selected_epoch: int | None = None,
                 tr: Translator = ENGLISH) -> dict:
    """``||W||`` per kept epoch (from :func:`weight_norms`) as a small line chart, with the
    epoch on show marked. A plotly figure dict, cheap enough to redraw live."""
    epochs = [e for e, _ in norms]
    values = [v if math.isfinite(v) else None for _, v in norms]
    traces = [dict(type="scatter", x=epochs, y=values, mode="lines+markers", name="||W||",
                   line=dict(color="#555555", width=3), marker=dict(size=6),
                   hovertemplate=tr("epoch {x}<br>||W|| {y}", x="%{x}", y="%{y:.2f}")
                   + "<extra></extra>")]
    if selected_epoch is not None and selected_epoch in epochs:
        v = values[epochs.index(selected_epoch)]
        traces.append(dict(type="scatter", x=[selected_epoch], y=[v], mode="markers",
                           name="on show", marker=dict(size=16, color="#b2182b"),
                           hovertemplate=tr("epoch {x} (on show)<br>||W|| {y}", x="%{x}",
                                            y="%{y:.2f}") + "<extra></extra>"))
    layout = dict(
        height=260, font=FONT, showlegend=False, margin=dict(l=10, r=10, t=40, b=10),
        title=dict(text=tr("Size of the weights, ||W||, per epoch")), uirevision="norms",
        xaxis=dict(title=dict(text=tr("epoch")), rangemode="tozero"),
        yaxis=dict(rangemode="tozero"),
    )
    return dict(data=traces, layout=layout)
