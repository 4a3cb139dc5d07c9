"""The class board's scatter: every shared run, a setting on a log axis against test accuracy.

No Streamlit: :func:`board_figure` returns a plotly figure dict (core.class_board re-exports
it). What it takes care of, for a room of 40 students and a projector:

- **The useful range.** The y axis spans the runs that learned something and the published
  accuracies. A run far below them (a diverged lr 10 at 12 %), or with no test accuracy,
  would squash every other run into a strip at the top: it is drawn instead as a triangle
  on the bottom edge, labelled with its real accuracy (see :func:`y_range`).
- **Overlaps.** Runs with the same setting and nearly the same accuracy spread sideways a
  little on the log axis, the same way every time (see :func:`spread`); the dotted lines'
  labels move apart until they no longer print over each other (:func:`label_levels`).
- **"You".** On a student's own view (``me``: their nickname) their runs get a ring of
  another shape and the word "you" beside them: not colour alone.
- **Hover.** Nickname, settings and result in a large hover label (18 px).
"""

from __future__ import annotations

import html
import math
from collections.abc import Sequence

from core.classroom import Challenge, RunEntry
from core.config import LAMBDAS, LEARNING_RATES
from core.i18n import ENGLISH, Msg, Translator
from core.preprocess import PREPROCESSINGS
from core.style import FONT, REFERENCE_ACCURACIES, VERDICTS

# What the board's x axis can show: the run's field and its name on the axis.
X_AXES = {"learning_rate": Msg("learning rate"), "l2": Msg("lambda (L2 penalty)")}
OFFERED = {"learning_rate": LEARNING_RATES, "l2": LAMBDAS}  # the Train page's choices
ZERO_LAMBDA_AT = 1e-7  # lambda 0 has no place on a log axis: drawn here, its tick "0"
MARKERS = {  # how a run is drawn: (legend name, plotly symbol, colour, size)
    "run": (Msg("run"), "circle", VERDICTS[True].colour, 16),
    "met": (Msg("meets the challenge"), "star", "#E69F00", 24),
    "diverged": (Msg("diverged"), "x-thin-open", VERDICTS[False].colour, 18),
    "below": (Msg("below the axis (diverged or far lower)"), "triangle-down",
              VERDICTS[False].colour, 20),
}
YOU_SYMBOL, YOU_SIZE = "square-open", 34  # the ring around a student's own runs
OFF_RANGE = 0.15  # a run this far below the lowest published accuracy sits on the edge
HOVER_FONT = 18  # px: names readable on hover
LABEL_PX = 22  # the dotted lines' labels keep at least this far apart (16 px type)
PLOT_CHROME_PX = 150  # the figure's height minus its plotting area (margins, axis, legend)
MARKER_PX = 16  # runs closer than this (in y) with the same setting are spread sideways
SPREAD_STEP = 0.07  # decades between neighbours spread sideways ...
SPREAD_MAX = 0.14  # ... and at most this far from their setting (half the gap 0.1 -> 0.2)


def _kind(run, challenge: Challenge | None, floor: float) -> str:
    """"below" (off the axis), "diverged", "met" (meets the challenge) or "run"."""
    if run.test_acc is None or run.test_acc < floor:
        return "below"
    if run.diverged:
        return "diverged"
    return "met" if challenge is not None and challenge.is_met(run) else "run"


def _x_value(run, axis: str) -> float:
    """The run's setting on the log axis (lambda 0 at ZERO_LAMBDA_AT)."""
    value = getattr(run, axis)
    return value if value > 0 else ZERO_LAMBDA_AT


def y_range(entries: Sequence[RunEntry]) -> list[float]:
    """[bottom, top] of the accuracy axis: from a little below the lowest of the published
    accuracies and the runs within OFF_RANGE of them, to a little above the best. Runs
    below the bottom (or without a test accuracy) are drawn on it."""
    refs = [r.accuracy for r in REFERENCE_ACCURACIES]
    floor = min(refs) - OFF_RANGE
    ys = [e.run.test_acc for e in entries
          if e.run.test_acc is not None and e.run.test_acc >= floor]
    return [max(0.0, min([*ys, *refs]) - 0.03), min(1.02, max([*ys, *refs]) + 0.02)]


def plot_px(height: int) -> int:
    """The plotting area's height in pixels, roughly, of a figure ``height`` px tall."""
    return max(100, height - PLOT_CHROME_PX)


def spread(xs: Sequence[float], ys: Sequence[float], y_close: float) -> list[float]:
    """The x positions (on a log axis) with overlapping runs moved apart sideways.

    Runs with the same x whose y lie within ``y_close`` of the first of their group form a
    group; in order of arrival they go at 0, +1, -1, +2, -2, ... steps of SPREAD_STEP
    decades, the steps shrunk so that a group stays within +-SPREAD_MAX decades. The first
    run of a group stays exactly on its setting. Deterministic: the same runs, the same
    places. ``xs`` > 0, ``ys`` any numbers; O(n log n)."""
    out = list(xs)
    groups: dict[float, list[int]] = {}
    for i, x in enumerate(xs):
        groups.setdefault(x, []).append(i)
    for x, members in groups.items():
        members.sort(key=lambda i: (ys[i], i))
        start = 0
        for end in range(1, len(members) + 1):
            if end == len(members) or ys[members[end]] - ys[members[start]] > y_close:
                _fan_out(out, x, sorted(members[start:end]))
                start = end
    return out


def _fan_out(out: list[float], x: float, group: list[int]) -> None:
    """Put the runs ``group`` (indices, in order of arrival) side by side around ``x``."""
    if len(group) < 2:
        return
    step = min(SPREAD_STEP, SPREAD_MAX / math.ceil((len(group) - 1) / 2))
    for k, i in enumerate(group):
        offset = math.ceil(k / 2) * (1 if k % 2 else -1) * step
        out[i] = x * 10 ** offset


def label_levels(levels: Sequence[float], bottom: float, top: float, px: int,
                 gap_px: int = LABEL_PX) -> list[float]:
    """Where the labels of lines at ``levels`` go (in axis units) so that neighbours are at
    least ``gap_px`` pixels apart on an axis [bottom, top] drawn ``px`` pixels tall: each
    label as close to its line as that allows, pushed up, then back down under the top."""
    gap = gap_px * (top - bottom) / px
    order = sorted(range(len(levels)), key=lambda i: levels[i])
    placed: dict[int, float] = {}
    last = -math.inf
    for i in order:
        placed[i] = last = max(levels[i], last + gap)
    over = last - top
    if over > 0:
        for i in order:
            placed[i] -= over
    return [placed[i] for i in range(len(levels))]


def _hover(entry: RunEntry, tr: Translator = ENGLISH) -> str:
    """The hover text of a run: nickname (HTML-escaped: plotly reads tags), settings, result."""
    r = entry.run
    acc = (Msg("no test accuracy") if r.test_acc is None
           else Msg("test {acc:.2%}", acc=r.test_acc))
    digits = "" if r.preprocessing == "none" else ", " + tr(PREPROCESSINGS[r.preprocessing])
    return tr("{who}<br>lr {lr:g}, λ {l2:g}, batch {batch}, {epochs} epochs{digits}<br>"
              "{acc}{diverged}", who=html.escape(entry.nickname), lr=r.learning_rate, l2=r.l2,
              batch=r.batch_size, epochs=r.epochs_done, digits=digits, acc=acc,
              diverged=Msg(" (diverged)") if r.diverged else "")


def _edge_label(entry: RunEntry, tr: Translator) -> str:
    """What an off-axis run says beside its triangle: its accuracy, or "diverged"."""
    acc = entry.run.test_acc
    return tr("diverged") if acc is None else f"{acc:.0%}"


def _trace(kind: str, entries: list[RunEntry], x: list[float], y: list[float],
           selected: str | None, tr: Translator) -> dict:
    """One scatter trace of the runs of one kind."""
    name, symbol, colour, size = MARKERS[kind]
    trace = dict(
        type="scatter", mode="markers", name=tr(name), x=x, y=y, cliponaxis=False,
        text=[_hover(e, tr) for e in entries], customdata=[e.run.run_id for e in entries],
        hovertemplate="%{text}<extra></extra>",
        marker=dict(symbol=symbol, color=colour, size=size, opacity=0.85,
                    line=dict(width=[4 if e.run.run_id == selected else 1 for e in entries],
                              color=["#000" if e.run.run_id == selected else "white"
                                     for e in entries])))
    if kind == "below":  # the real accuracy printed above the triangle
        trace.update(mode="markers+text", texttemplate=[_edge_label(e, tr) for e in entries],
                     textposition="top center", textfont=dict(size=16, color=colour))
    return trace


def _you_trace(entries: list[RunEntry], x: list[float], y: list[float],
               tr: Translator) -> dict:
    """A student's own runs: a black square ring around each and the word "you" beside it."""
    you = tr("you")
    return dict(type="scatter", mode="markers+text", name=you, x=x, y=y, cliponaxis=False,
                text=[_hover(e, tr) for e in entries], texttemplate=[you] * len(entries),
                customdata=[e.run.run_id for e in entries], textposition="middle right",
                textfont=dict(size=18, color="#000"), hovertemplate="%{text}<extra></extra>",
                marker=dict(symbol=YOU_SYMBOL, size=YOU_SIZE, color="#000",
                            line=dict(width=3, color="#000")))


def _reference_lines(tr: Translator, bottom: float, top: float,
                     px: int) -> tuple[list[dict], list[dict]]:
    """The published accuracies as dotted lines with their labels at the right edge, the
    labels moved apart where the lines are too close to print them side by side."""
    shapes, notes = [], []
    levels = [ref.accuracy for ref in REFERENCE_ACCURACIES]
    for ref, at in zip(REFERENCE_ACCURACIES, label_levels(levels, bottom, top, px), strict=True):
        shapes.append(dict(type="line", xref="x domain", yref="y", x0=0, x1=1, y0=ref.accuracy,
                           y1=ref.accuracy, line=dict(color="#555", width=1, dash="dot")))
        notes.append(dict(text=f"{ref.accuracy:.1%}", xref="x domain", yref="y", x=1.0,
                          y=at, xanchor="left", yanchor="middle", showarrow=False,
                          hovertext=tr(ref.label), font=dict(size=16, color="#555")))
    return shapes, notes


def _x_range(axis: str, xs: Sequence[float]) -> list[float]:
    """The log axis's range (in decades): every value the Train page offers and every run,
    so the axis stays put as runs arrive, and an empty board shows the real scale."""
    offered = [v if v > 0 else ZERO_LAMBDA_AT for v in OFFERED[axis]]
    values = [*offered, *xs]
    return [math.log10(min(values)) - 0.2, math.log10(max(values)) + 0.2]


def _x_axis(axis: str, xs: Sequence[float], tr: Translator) -> dict:
    """A log axis; lambda's also has a tick "0" where lambda-0 runs are drawn."""
    spec = dict(type="log", title=dict(text=tr(X_AXES[axis])), showgrid=True, dtick=1,
                tickfont=dict(size=18), tickformat="~g", range=_x_range(axis, xs))
    if axis == "l2":
        ticks = [ZERO_LAMBDA_AT, *(10.0 ** p for p in range(-6, 1))]
        spec.update(tickvals=ticks, ticktext=["0", *(f"{t:g}" for t in ticks[1:])])
    return spec


def _positions(entries: list[RunEntry], axis: str, bottom: float, top: float,
               px: int) -> tuple[list[float], list[float]]:
    """Every run's (x, y) as drawn: off-axis runs on the bottom edge, overlaps spread."""
    ys = [bottom if e.run.test_acc is None or e.run.test_acc < bottom else e.run.test_acc
          for e in entries]
    xs = spread([_x_value(e.run, axis) for e in entries], ys, MARKER_PX * (top - bottom) / px)
    return xs, ys


def board_figure(entries: Sequence[RunEntry], axis: str = "learning_rate",
                 challenge: Challenge | None = None, selected: str | None = None,
                 height: int = 520, tr: Translator = ENGLISH, me: str | None = None) -> dict:
    """Every shared run as a point: ``axis`` ("learning_rate" or "l2", log scale) against
    test accuracy. Runs meeting the challenge are gold stars, diverged runs crosses, runs
    below the axis's range triangles on its bottom edge (see the module's docstring); the
    run ``selected`` (its run id) is ringed, and the runs of ``me`` (a nickname) marked
    "you". Dotted lines: the published accuracies. A plotly figure dict, large type for a
    projector; ``tr`` translates its texts (core.i18n)."""
    if axis not in X_AXES:
        raise ValueError(f"axis must be one of {', '.join(X_AXES)}, got {axis!r}")
    entries = list(entries)
    bottom, top = y_range(entries)
    px = plot_px(height)
    xs, ys = _positions(entries, axis, bottom, top, px)
    kinds = [_kind(e.run, challenge, bottom) for e in entries]
    traces = []
    for kind in MARKERS:
        picked = [i for i, k in enumerate(kinds) if k == kind]
        if picked:
            traces.append(_trace(kind, [entries[i] for i in picked], [xs[i] for i in picked],
                                 [ys[i] for i in picked], selected, tr))
    mine = [i for i, e in enumerate(entries) if me is not None and e.nickname == me]
    if mine:
        traces.append(_you_trace([entries[i] for i in mine], [xs[i] for i in mine],
                                 [ys[i] for i in mine], tr))
    shapes, notes = _reference_lines(tr, bottom, top, px)
    if not entries:
        traces.append(dict(type="scatter", x=[], y=[], mode="markers", showlegend=False))
        notes.append(dict(text=tr("shared runs appear here"), showarrow=False, xref="paper",
                          yref="paper", x=0.5, y=0.5, font=dict(size=22, color="#777")))
    layout = dict(height=height, font=dict(FONT, size=18), shapes=shapes, annotations=notes,
                  xaxis=_x_axis(axis, xs, tr), hoverlabel=dict(font=dict(size=HOVER_FONT)),
                  yaxis=dict(title=dict(text=tr("test accuracy")), tickformat=".0%",
                             range=[bottom, top], tickfont=dict(size=18)),
                  margin=dict(l=10, r=70, t=20, b=10), legend=dict(orientation="h", y=-0.18),
                  uirevision=axis, clickmode="event+select")
    return dict(data=traces, layout=layout)
