"""Figures for the dashboard, as pure functions of NumPy data (plotly), testable without a UI.

Non-finite numbers (a run that diverged) are drawn as gaps, never passed to a chart as NaN.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import plotly.graph_objects as go

from core.i18n import ENGLISH, Msg, Translator
from core.style import (
    CHANGE_COLOUR,
    DIVERGING_SCALE,
    FONT,
    OTHER_CLASS_COLOUR,
    PREDICTION_COLOUR,
    REFERENCE_ACCURACIES,
    TRAIN_COLOUR,
    TRUE_CLASS_OUTLINE,
    VALID_COLOUR,
    VERDICTS,
)

# What the bars of probability_figure mean, for a caption under the chart.
PROBABILITY_KEY = Msg("The prediction: blue if right ({right}), vermillion if wrong ({wrong}). "
                      "The true class: outlined, marked \"true\".",
                      right=VERDICTS[True].symbol, wrong=VERDICTS[False].symbol)


def finite_or_none(values: Sequence[float]) -> list[float | None]:
    """Replace NaN and infinities by None, which plotly draws as a gap."""
    return [v if v is not None and math.isfinite(v) else None for v in values]


SPLITS = (("train", Msg("train"), TRAIN_COLOUR), ("valid", Msg("validation"), VALID_COLOUR))
METRICS = (("", "loss", Msg("loss")), ("2", "acc", Msg("accuracy")))  # (axis, field, label)


def curves_figure(history: Sequence, title: str = "", references: bool = False,
                  pinned: Sequence[tuple[str, Sequence]] = (), changes: Sequence = (),
                  tr: Translator = ENGLISH) -> dict:
    """Loss (left) and accuracy (right) per epoch, train and validation.

    ``history`` is a list of :class:`core.train.EpochMetrics` (or anything with the same
    attributes). An empty history gives empty axes with a hint, so a page can show the
    chart before the first epoch ends. ``references`` draws the published accuracies of
    linear models on MNIST as dotted lines: far above 93% from this model means a bug or a
    leak of test data. ``pinned`` runs, given as (name, history) pairs, are drawn faded
    underneath for comparison. ``changes`` (:class:`core.train.SettingChange`) are settings
    changed mid-run: a vertical line on both charts where each took effect, labelled with
    the new value. ``tr`` translates the texts (core.i18n). Returned as a plotly figure
    *dict*: the page redraws
    it twice a second while training, and a dict costs microseconds to build where
    ``make_subplots`` costs ~30 ms of the training thread's interpreter time.
    """
    traces = [t for name, old in pinned for t in _pinned_traces(tr(name), old, tr)]
    traces += _run_traces(history, tr)
    shapes, annotations = [], [_heading(tr("Loss (cross-entropy)"), 0.225),
                               _heading(tr("Accuracy"), 0.775)]
    if not history:
        annotations.append(dict(text=tr("the curves appear after the first epoch"), showarrow=False,
                                xref="paper", yref="paper", x=0.5, y=0.5, font=dict(size=18)))
    if references:
        _add_references(shapes, annotations, tr)
    _add_changes(changes, shapes, annotations)
    x_axis = dict(title=dict(text=tr("epoch")), rangemode="tozero",
                  dtick=1 if len(history) < 8 else None)
    layout = dict(
        shapes=shapes,
        xaxis=dict(domain=[0, 0.45], anchor="y", **x_axis),
        xaxis2=dict(domain=[0.55, 1], anchor="y2", **x_axis),
        yaxis=dict(anchor="x", rangemode="tozero"),
        yaxis2=dict(anchor="x2", tickformat=".0%"),
        annotations=annotations, height=380, font=FONT,
        margin=dict(l=10, r=55 if references else 10, t=40, b=10),
        legend=dict(orientation="h", y=-0.2), uirevision="curves",
        title=dict(text=title) if title else None,
    )
    return dict(data=traces, layout={k: v for k, v in layout.items() if v is not None})


def _pinned_traces(name: str, history: Sequence, tr: Translator) -> list[dict]:
    """An earlier run's four curves, faded: one legend entry for all four."""
    return [dict(
        type="scatter", x=[m.epoch for m in history], mode="lines", opacity=0.35,
        y=finite_or_none([getattr(m, f"{split}_{metric}") for m in history]),
        name=name, legendgroup=name, showlegend=(not axis and split == "valid"),
        line=dict(color=colour, width=2, dash="dot" if split == "train" else "solid"),
        xaxis=f"x{axis}", yaxis=f"y{axis}",
        hovertemplate=tr("{run}, epoch {x}: {split} {metric} {y}", run=name, x="%{x}",
                         split=tr(split_name), metric=tr(label), y="%{y:.4f}")
        + "<extra></extra>",
    ) for axis, metric, label in METRICS for split, split_name, colour in SPLITS]


def _run_traces(history: Sequence, tr: Translator) -> list[dict]:
    """The run's train and validation curves, loss on the left and accuracy on the right."""
    epochs = [m.epoch for m in history]
    return [dict(
        type="scatter", x=epochs,
        y=finite_or_none([getattr(m, f"{split}_{metric}") for m in history]),
        mode="lines+markers", name=tr(name),
        line=dict(color=colour, width=3), marker=dict(size=6), legendgroup=split,
        showlegend=not axis, xaxis=f"x{axis}", yaxis=f"y{axis}",
        hovertemplate=tr("epoch {x}<br>{split} {metric} {y}", x="%{x}", split=tr(name),
                         metric=tr(label), y="%{y:.4f}") + "<extra></extra>",
    ) for axis, metric, label in METRICS for split, name, colour in SPLITS]


def _heading(text: str, x: float) -> dict:
    return dict(text=text, x=x, y=1.0, xref="paper", yref="paper", xanchor="center",
                yanchor="bottom", showarrow=False, font=dict(size=18))


def _add_references(shapes: list, annotations: list, tr: Translator) -> None:
    """The published accuracies: dotted lines across the accuracy chart, labelled at its edge."""
    for ref in REFERENCE_ACCURACIES:
        level = ref.accuracy
        shapes.append(dict(type="line", xref="x2 domain", yref="y2", x0=0, x1=1, y0=level,
                           y1=level, line=dict(color="#555", width=1, dash="dot")))
        annotations.append(dict(text=f"{level:.1%}", xref="x2 domain", yref="y2", x=1.0,
                                y=level, xanchor="left", yanchor="middle", showarrow=False,
                                hovertext=tr(ref.label), font=dict(size=12, color="#555")))


def _add_changes(changes: Sequence, shapes: list, annotations: list) -> None:
    """A setting changed mid-run: a line on both charts where it took effect, its new value.
    Labels step down a line each (three lines, then from the top again), so that changes made
    moments apart stay readable."""
    for i, c in enumerate(changes):
        label = f"{'lr' if c.setting == 'learning_rate' else 'λ'} {c.value:g}"
        for axis in ("", "2"):
            shapes.append(dict(type="line", xref=f"x{axis}", yref=f"y{axis} domain", x0=c.at,
                               x1=c.at, y0=0, y1=1, line=dict(color=CHANGE_COLOUR, width=2)))
            annotations.append(dict(text=label, xref=f"x{axis}", yref=f"y{axis} domain", x=c.at,
                                    y=1.0 - 0.08 * (i % 3), xanchor="left", yanchor="top",
                                    showarrow=False, bgcolor="rgba(255,255,255,0.8)",
                                    font=dict(size=13, color=CHANGE_COLOUR)))


def probability_figure(proba: np.ndarray, class_names: Sequence[str],
                       true_class: int | None = None, tr: Translator = ENGLISH) -> go.Figure:
    """The model's class probabilities as bars, the prediction's bar highlighted.

    When the true class is known (a test image), the prediction's bar says whether it is
    right: blue and "✓" or vermillion and "✗" (see :data:`VERDICTS`), and so does the
    title's second line. The true class is outlined and marked "true" under its bar, so a
    wrong answer shows where the right one was even when the model gave it almost nothing.
    For a drawing (no true class) the prediction is dark grey: neither right nor wrong.
    Only the prediction's bar is labelled: ten labels do not fit side by side in a narrow
    column (hover for the others).
    """
    proba = np.nan_to_num(np.asarray(proba, dtype=float))
    pred = int(proba.argmax())
    names = [str(n) for n in class_names]
    verdict = VERDICTS[pred == true_class] if true_class is not None else None
    colours = [OTHER_CLASS_COLOUR] * len(proba)
    colours[pred] = verdict.colour if verdict else PREDICTION_COLOUR
    text = [""] * len(proba)
    text[pred] = f"{verdict.symbol} {proba[pred]:.0%}" if verdict else f"{proba[pred]:.0%}"
    outline = [3 if k == true_class else 0 for k in range(len(proba))]
    true_word = tr("true")
    ticks = [f"{n}<br><b>{true_word}</b>" if k == true_class else n for k, n in enumerate(names)]
    fig = go.Figure(go.Bar(
        x=names, y=proba, text=text, textposition="outside", constraintext="none",
        cliponaxis=False, textfont=dict(size=16, color=colours[pred]),
        marker=dict(color=colours, line=dict(width=outline, color=TRUE_CLASS_OUTLINE)),
        hovertemplate="%{x}: %{y:.2%}<extra></extra>",
    ))
    title = tr("prediction: {name} ({p:.0%})", name=names[pred], p=proba[pred])
    if verdict:
        label = tr(verdict.label)
        title += f'<br><span style="color:{verdict.colour}"><b>{label}</b></span>'
        if true_class != pred:
            title += tr(": the true class is {name}", name=names[true_class])
    fig.update_layout(height=320 if verdict else 300, font=FONT,
                      margin=dict(l=10, r=10, t=64 if verdict else 30, b=10),
                      yaxis=dict(range=[0, 1.15], tickformat=".0%", title=tr("probability")),
                      xaxis=dict(type="category", title=tr("class"), tickvals=names,
                                 ticktext=ticks),
                      title=title)
    return fig


def confusion_figure(cm: np.ndarray, class_names: Sequence[str], height: int = 540,
                     tr: Translator = ENGLISH) -> go.Figure:
    """The confusion matrix as a grid of squares: rows are true classes, columns predictions,
    darker = more images, each square labelled with its count.

    It is drawn as a scatter of square markers rather than a heatmap because a dashboard can
    then let you click a cell (plotly heatmaps report no click selections in Streamlit).
    The colour follows the square root of the count so the few mistakes show next to the
    large diagonal.
    """
    cm = np.asarray(cm)
    k = len(cm)
    names = list(class_names)
    true_idx, pred_idx = np.divmod(np.arange(k * k), k)
    counts = cm.reshape(-1)
    shade = np.sqrt(counts / max(1, counts.max()))
    cell = max(14, int((height - 120) / k) - 4)
    fig = go.Figure(go.Scatter(
        x=[names[j] for j in pred_idx], y=[names[i] for i in true_idx], mode="markers+text",
        marker=dict(symbol="square", size=cell, color=shade, colorscale="Blues", cmin=0, cmax=1,
                    line=dict(width=0)),
        text=[str(c) if c else "" for c in counts], textfont=dict(
            size=13, color=["white" if s > 0.55 else "#222" for s in shade]),
        customdata=np.stack([true_idx, pred_idx, counts], axis=1),
        hovertemplate=tr("true {true}, predicted {pred}: {n} images", true="%{y}",
                         pred="%{x}", n="%{customdata[2]}") + "<extra></extra>",
        selected=dict(marker=dict(opacity=1)), unselected=dict(marker=dict(opacity=1)),
    ))
    fig.update_layout(height=height, margin=dict(l=10, r=10, t=30, b=10), font=FONT,
                      xaxis=dict(title=tr("predicted"), type="category", side="top",
                                 categoryorder="array", categoryarray=names, showgrid=False),
                      yaxis=dict(title=tr("true"), type="category", autorange="reversed",
                                 categoryorder="array", categoryarray=names, showgrid=False),
                      plot_bgcolor="white", clickmode="event+select", dragmode=False)
    return fig


def per_class_figure(per_class: np.ndarray, class_names: Sequence[str],
                     tr: Translator = ENGLISH) -> go.Figure:
    """Accuracy per true class (recall), as horizontal bars."""
    fig = go.Figure(go.Bar(
        x=per_class, y=list(class_names), orientation="h", marker_color="#1f77b4",
        text=[f"{a:.1%}" for a in per_class], textposition="inside",
        hovertemplate="%{y}: %{x:.2%}<extra></extra>",
    ))
    lo = max(0.0, float(np.min(per_class)) - 0.05) if len(per_class) else 0.0
    fig.update_layout(height=520, margin=dict(l=10, r=10, t=30, b=10), font=FONT,
                      xaxis=dict(range=[lo, 1], tickformat=".0%", title=tr("accuracy")),
                      yaxis=dict(type="category", autorange="reversed", title=tr("true class")))
    return fig


def why_figure(contributions: np.ndarray, p_name: str, q_name: str, height: int = 360,
               tr: Translator = ENGLISH) -> go.Figure:
    """The per-pixel account of "why p and not q" as a 28x28 map: red pixels pushed towards
    p, blue ones towards q, white ones did not matter (see :mod:`core.explain`)."""
    img = np.asarray(contributions, dtype=float).reshape(28, 28)
    limit = float(np.abs(img).max()) or 1.0
    fig = go.Figure(go.Heatmap(
        z=img, zmin=-limit, zmax=limit, zmid=0, colorscale=DIVERGING_SCALE,
        colorbar=dict(title=dict(text=tr("vote")), thickness=14),
        hovertemplate=tr("row {row}, col {col}: {z} towards {p}", row="%{y}", col="%{x}",
                         z="%{z:+.3f}", p=p_name) + "<extra></extra>",
    ))
    fig.update_layout(height=height, margin=dict(l=10, r=10, t=40, b=10), font=FONT,
                      title=dict(text=tr("red: for {p}, blue: for {q}", p=p_name, q=q_name),
                                 font=dict(size=15)),
                      xaxis=dict(visible=False, constrain="domain"),
                      yaxis=dict(visible=False, autorange="reversed", scaleanchor="x"))
    return fig


def diverging_rgb(values: np.ndarray, scale: int = 4) -> np.ndarray:
    """A 28x28 map of signed values as an RGB picture in the
    :data:`core.style.DIVERGING_SCALE` colours (blue < 0 < red, white at 0, symmetric scale):
    a light stand-in for :func:`why_figure` where many maps are shown at once."""
    v = np.asarray(values, dtype=float).reshape(28, 28)
    limit = float(np.abs(v).max()) or 1.0
    t = (v / limit + 1) / 2  # 0 .. 1, 0.5 at zero
    stops = np.array([s for s, _ in DIVERGING_SCALE])
    colours = np.array([[int(c[i:i + 2], 16) for i in (1, 3, 5)] for _, c in DIVERGING_SCALE],
                       float)
    rgb = np.stack([np.interp(t, stops, colours[:, ch]) for ch in range(3)], axis=-1)
    return np.kron(rgb, np.ones((scale, scale, 1))).astype(np.uint8)


def upscale(image: np.ndarray, factor: int = 4) -> np.ndarray:
    """A 28x28 image (values 0-1 or 0-255) as a larger uint8 picture with crisp pixels."""
    image = np.asarray(image, dtype=float).reshape(28, 28)
    if image.max() <= 1.0:
        image = image * 255
    return np.kron(np.clip(image, 0, 255), np.ones((factor, factor))).astype(np.uint8)


def grid_columns(titles: Sequence[str], most: int = 5, row_chars: int = 48) -> int:
    """How many digits a row of a dashboard grid holds so that every title reads in full.

    A title such as "T:7 P:9" sits on a button as wide as its column, and a button cuts a
    label that does not fit to "T:7 ...". The grid takes about 60 % of a 1280-px window (the
    narrowest a classroom projector shows): room for about ``row_chars`` characters of
    titles in a row once every button's padding is paid. Digit titles (7 characters) give
    ``most`` columns, large digits on a projector; long class names such as Fashion-MNIST's
    "T:Ankle boot P:Sneaker" give fewer, down to 2.
    """
    longest = max((len(t) for t in titles), default=1)
    return max(2, min(most, row_chars // max(1, longest)))
