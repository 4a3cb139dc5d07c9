"""Figures for the dashboard, as pure functions of NumPy data (plotly), testable without a UI.

Non-finite numbers (a run that diverged) are drawn as gaps, never passed to a chart as NaN.
"""

from __future__ import annotations

import math
from typing import Sequence

import numpy as np
import plotly.graph_objects as go

TRAIN_COLOUR, VALID_COLOUR = "#1f77b4", "#ff7f0e"  # plotly's blue and orange
FONT = dict(size=16)


def finite_or_none(values: Sequence[float]) -> list[float | None]:
    """Replace NaN and infinities by None, which plotly draws as a gap."""
    return [v if v is not None and math.isfinite(v) else None for v in values]


def curves_figure(history: Sequence, title: str = "") -> dict:
    """Loss (left) and accuracy (right) per epoch, train and validation.

    ``history`` is a list of :class:`core.train.EpochMetrics` (or anything with the same
    attributes). An empty history gives empty axes with a hint, so a page can show the
    chart before the first epoch ends. Returned as a plotly figure *dict*: the page redraws
    it twice a second while training, and a dict costs microseconds to build where
    ``make_subplots`` costs ~30 ms of the training thread's interpreter time.
    """
    epochs = [m.epoch for m in history]
    traces = []
    for axis, (metric, label) in (("", ("loss", "loss")), ("2", ("acc", "accuracy"))):
        for split, colour in (("train", TRAIN_COLOUR), ("valid", VALID_COLOUR)):
            traces.append(dict(
                type="scatter", x=epochs,
                y=finite_or_none([getattr(m, f"{split}_{metric}") for m in history]),
                mode="lines+markers", name="train" if split == "train" else "validation",
                line=dict(color=colour, width=3), marker=dict(size=6), legendgroup=split,
                showlegend=not axis, xaxis=f"x{axis}", yaxis=f"y{axis}",
                hovertemplate=f"epoch %{{x}}<br>{split} {label} %{{y:.4f}}<extra></extra>",
            ))
    x_axis = dict(title=dict(text="epoch"), rangemode="tozero", dtick=1 if len(epochs) < 8 else None)
    heading = lambda text, x: dict(text=text, x=x, y=1.0, xref="paper", yref="paper",  # noqa: E731
                                   xanchor="center", yanchor="bottom", showarrow=False,
                                   font=dict(size=18))
    annotations = [heading("Loss (cross-entropy)", 0.225), heading("Accuracy", 0.775)]
    if not history:
        annotations.append(dict(text="the curves appear after the first epoch", showarrow=False,
                                xref="paper", yref="paper", x=0.5, y=0.5, font=dict(size=18)))
    layout = dict(
        xaxis=dict(domain=[0, 0.45], anchor="y", **x_axis),
        xaxis2=dict(domain=[0.55, 1], anchor="y2", **x_axis),
        yaxis=dict(anchor="x", rangemode="tozero"),
        yaxis2=dict(anchor="x2", tickformat=".0%"),
        annotations=annotations, height=380, margin=dict(l=10, r=10, t=40, b=10), font=FONT,
        legend=dict(orientation="h", y=-0.2), uirevision="curves",
        title=dict(text=title) if title else None,
    )
    return dict(data=traces, layout={k: v for k, v in layout.items() if v is not None})


def probability_figure(proba: np.ndarray, class_names: Sequence[str],
                       true_class: int | None = None) -> go.Figure:
    """The model's 10 class probabilities as bars; the predicted class is highlighted and
    the true class (when known) is outlined."""
    proba = np.nan_to_num(np.asarray(proba, dtype=float))
    pred = int(proba.argmax())
    colours = ["#2ca02c" if k == pred else "#9aa5b1" for k in range(len(proba))]
    outline = [3 if k == true_class else 0 for k in range(len(proba))]
    fig = go.Figure(go.Bar(
        x=list(class_names), y=proba, marker=dict(color=colours, line=dict(width=outline, color="#d62728")),
        text=[f"{p:.0%}" if p >= 0.01 else "" for p in proba], textposition="outside",
        hovertemplate="%{x}: %{y:.2%}<extra></extra>",
    ))
    fig.update_layout(height=300, margin=dict(l=10, r=10, t=30, b=10), font=FONT,
                      yaxis=dict(range=[0, 1.12], tickformat=".0%", title="probability"),
                      xaxis=dict(type="category", title="class"),
                      title=f"prediction: {class_names[pred]} ({proba[pred]:.0%})")
    return fig


def confusion_figure(cm: np.ndarray, class_names: Sequence[str]) -> go.Figure:
    """Heatmap of the confusion matrix: rows are true classes, columns predictions. The
    colour scale is logarithmic-ish (sqrt) so that the few mistakes are visible next to the
    large diagonal."""
    cm = np.asarray(cm)
    names = list(class_names)
    fig = go.Figure(go.Heatmap(
        z=np.sqrt(cm), x=names, y=names, text=cm, texttemplate="%{text}",
        colorscale="Blues", showscale=False,
        hovertemplate="true %{y}, predicted %{x}: %{text}<extra></extra>",
    ))
    fig.update_layout(height=520, margin=dict(l=10, r=10, t=30, b=10), font=FONT,
                      xaxis=dict(title="predicted", type="category", side="top"),
                      yaxis=dict(title="true", type="category", autorange="reversed"))
    return fig


def per_class_figure(per_class: np.ndarray, class_names: Sequence[str]) -> go.Figure:
    """Accuracy per true class (recall), as horizontal bars."""
    fig = go.Figure(go.Bar(
        x=per_class, y=list(class_names), orientation="h", marker_color="#1f77b4",
        text=[f"{a:.1%}" for a in per_class], textposition="inside",
        hovertemplate="%{y}: %{x:.2%}<extra></extra>",
    ))
    lo = max(0.0, float(np.min(per_class)) - 0.05) if len(per_class) else 0.0
    fig.update_layout(height=520, margin=dict(l=10, r=10, t=30, b=10), font=FONT,
                      xaxis=dict(range=[lo, 1], tickformat=".0%", title="accuracy"),
                      yaxis=dict(type="category", autorange="reversed", title="true class"))
    return fig


def upscale(image: np.ndarray, factor: int = 4) -> np.ndarray:
    """A 28x28 image (values 0-1 or 0-255) as a larger uint8 picture with crisp pixels."""
    image = np.asarray(image, dtype=float).reshape(28, 28)
    if image.max() <= 1.0:
        image = image * 255
    return np.kron(np.clip(image, 0, 255), np.ones((factor, factor))).astype(np.uint8)


def digit_grid_png(images: np.ndarray, titles: Sequence[str], path: str, columns: int = 10,
                   scale: int = 3) -> None:
    """Save images (n, 784) as one PNG grid, each with its title above, as the tutorial's
    final figure did ("T:<true> P:<pred>")."""
    from PIL import Image, ImageDraw

    cell_w, cell_h = 28 * scale, 28 * scale + 14
    rows = math.ceil(len(images) / columns)
    sheet = Image.new("L", (columns * cell_w, max(1, rows) * cell_h), color=255)
    draw = ImageDraw.Draw(sheet)
    for i, (img, title) in enumerate(zip(images, titles)):
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
