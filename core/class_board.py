"""The class board of Classroom mode as data and figures: no Streamlit, testable on its own.

The pages (ui/class_page.py) read a class from :mod:`core.classroom` and hand the entries
here: :func:`board_figure` (every shared run: a setting on a log axis, test accuracy up),
:func:`board_rows` (the sortable table), :func:`history_from_curves` (a shared run's curves
in the form :func:`core.figures.curves_figure` draws), :func:`class_set_evaluation` (a model
on the class's own drawings), :func:`markdown_literal` (user text shown as typed: from
core.markup), and counts in words (:func:`meeting_challenge`, :func:`runs_deleted`).
"""

from __future__ import annotations

import html
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from core.classroom import Challenge, RunEntry
from core.config import LAMBDAS, LEARNING_RATES
from core.i18n import ENGLISH, Msg, Translator
from core.markup import markdown_literal  # noqa: F401 (the pages' import)
from core.metrics import Evaluation
from core.model import SoftmaxWeights
from core.preprocess import PREPROCESSINGS
from core.style import FONT, REFERENCE_ACCURACIES, VERDICTS

# What the board's x axis can show: the run's field and its name on the axis.
X_AXES = {"learning_rate": Msg("learning rate"), "l2": Msg("lambda (L2 penalty)")}
OFFERED = {"learning_rate": LEARNING_RATES, "l2": LAMBDAS}  # the Train page's choices
ZERO_LAMBDA_AT = 1e-7  # lambda 0 has no place on a log axis: drawn here, its tick "0"
JITTER = 0.06  # runs with the same setting spread over +-6 % of a decade, so all show
MARKERS = {  # how a run is drawn: (legend name, plotly symbol, colour, size)
    "run": (Msg("run"), "circle", VERDICTS[True].colour, 16),
    "met": (Msg("meets the challenge"), "star", "#E69F00", 24),
    "diverged": (Msg("diverged"), "x-thin-open", VERDICTS[False].colour, 18),
}
# The board table's columns (board_rows' keys) as people read them.
BOARD_COLUMNS = {"student": Msg("student"), "test acc": Msg("test acc"),
                 "learning rate": Msg("learning rate"), "lambda": Msg("lambda"),
                 "epochs": Msg("epochs"), "meets challenge": Msg("meets challenge"),
                 "diverged": Msg("diverged"), "valid acc": Msg("valid acc"),
                 "train acc": Msg("train acc"), "batch": Msg("batch"), "digits": Msg("digits")}


def meeting_challenge(n: int) -> Msg:
    """How many of the board's runs meet the challenge, in words (no "run(s)")."""
    if n <= 0:
        return Msg("No run meets it yet.")
    if n == 1:
        return Msg("1 run meets it: the gold star.")
    return Msg("{n} runs meet it: the gold stars.", n=n)


def runs_deleted(n: int) -> Msg:
    """What clearing the board did, in words: ``n`` runs deleted, the drawings kept."""
    if n <= 0:
        return Msg("The board had no runs to delete; drawings stay.")
    if n == 1:
        return Msg("1 run deleted; drawings stay.")
    return Msg("{n} runs deleted; drawings stay.", n=n)


def _kind(run, challenge: Challenge | None) -> str:
    """"diverged", "met" (meets the challenge) or "run"."""
    if run.diverged:
        return "diverged"
    return "met" if challenge is not None and challenge.is_met(run) else "run"


def _x_value(run, axis: str) -> float:
    """The run's setting on the log axis (lambda 0 at ZERO_LAMBDA_AT)."""
    value = getattr(run, axis)
    return value if value > 0 else ZERO_LAMBDA_AT


def _jittered(values: Sequence[float]) -> list[float]:
    """Runs sharing a value spread evenly around it (the first one exactly on it)."""
    seen: dict[float, int] = {}
    out = []
    for v in values:
        i = seen[v] = seen.get(v, -1) + 1
        step = 0 if i == 0 else JITTER * (1 - 2 * (i % 2)) * math.ceil(i / 2) / 3
        out.append(v * 10 ** max(-JITTER * 2, min(JITTER * 2, step)))
    return out


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


def _trace(kind: str, entries: list[RunEntry], x: list[float], bottom: float,
           selected: str | None, tr: Translator) -> dict:
    """One scatter trace of the runs of one kind."""
    name, symbol, colour, size = MARKERS[kind]
    return dict(
        type="scatter", mode="markers", name=tr(name), x=x, y=_y_values(entries, bottom),
        cliponaxis=False,
        text=[_hover(e, tr) for e in entries], customdata=[e.run.run_id for e in entries],
        hovertemplate="%{text}<extra></extra>",
        marker=dict(symbol=symbol, color=colour, size=size, opacity=0.85,
                    line=dict(width=[4 if e.run.run_id == selected else 1 for e in entries],
                              color=["#000" if e.run.run_id == selected else "white"
                                     for e in entries])))


def _reference_lines(tr: Translator) -> tuple[list[dict], list[dict]]:
    """The published accuracies as dotted lines with their labels at the right edge."""
    shapes, notes = [], []
    for ref in REFERENCE_ACCURACIES:
        shapes.append(dict(type="line", xref="x domain", yref="y", x0=0, x1=1, y0=ref.accuracy,
                           y1=ref.accuracy, line=dict(color="#555", width=1, dash="dot")))
        notes.append(dict(text=f"{ref.accuracy:.1%}", xref="x domain", yref="y", x=1.0,
                          y=ref.accuracy, xanchor="left", yanchor="middle", showarrow=False,
                          hovertext=tr(ref.label), font=dict(size=14, color="#555")))
    return shapes, notes


def _y_range(entries: Sequence[RunEntry]) -> list[float]:
    """From a little below the worst test accuracy (or the lowest reference) to a little
    above the best (or the highest reference): the references always show, and the runs
    without a test accuracy (diverged) sit on the bottom edge, see :func:`_y_values`."""
    refs = [r.accuracy for r in REFERENCE_ACCURACIES]
    ys = [e.run.test_acc for e in entries if e.run.test_acc is not None]
    low, high = min([*ys, *refs]), max([*ys, *refs])
    return [max(-0.02, low - 0.03), min(1.02, high + 0.02)]


def _y_values(entries: Sequence[RunEntry], bottom: float) -> list[float]:
    """Test accuracies, ``bottom`` for a run without one."""
    return [bottom if e.run.test_acc is None else e.run.test_acc for e in entries]


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


def board_figure(entries: Sequence[RunEntry], axis: str = "learning_rate",
                 challenge: Challenge | None = None, selected: str | None = None,
                 height: int = 520, tr: Translator = ENGLISH) -> dict:
    """Every shared run as a point: ``axis`` ("learning_rate" or "l2", log scale) against
    test accuracy. Runs meeting the challenge are gold stars, diverged runs crosses (at
    their test accuracy after the roll-back, or at 0 without one); the run ``selected``
    (its run id) is ringed. Dotted lines: the published accuracies. A plotly figure dict,
    large type for a projector; ``tr`` translates its texts (core.i18n)."""
    if axis not in X_AXES:
        raise ValueError(f"axis must be one of {', '.join(X_AXES)}, got {axis!r}")
    entries = list(entries)
    x_all = _jittered([_x_value(e.run, axis) for e in entries])
    y_range = _y_range(entries)
    traces = []
    for kind in MARKERS:
        picked = [i for i, e in enumerate(entries) if _kind(e.run, challenge) == kind]
        if picked:
            traces.append(_trace(kind, [entries[i] for i in picked],
                                 [x_all[i] for i in picked], y_range[0], selected, tr))
    shapes, notes = _reference_lines(tr)
    if not entries:
        traces.append(dict(type="scatter", x=[], y=[], mode="markers", showlegend=False))
        notes.append(dict(text=tr("shared runs appear here"), showarrow=False, xref="paper",
                          yref="paper", x=0.5, y=0.5, font=dict(size=22, color="#777")))
    layout = dict(height=height, font=dict(FONT, size=18), shapes=shapes, annotations=notes,
                  xaxis=_x_axis(axis, x_all, tr),
                  yaxis=dict(title=dict(text=tr("test accuracy")), tickformat=".0%",
                             range=y_range, tickfont=dict(size=18)),
                  margin=dict(l=10, r=70, t=20, b=10), legend=dict(orientation="h", y=-0.18),
                  uirevision=axis, clickmode="event+select")
    return dict(data=traces, layout=layout)


def board_rows(entries: Sequence[RunEntry], challenge: Challenge | None = None) -> list[dict]:
    """The board's table: one row per run, oldest first, so a row keeps its place while
    runs are added (the table sorts itself when a column's header is clicked)."""
    rows = []
    for e in entries:
        r = e.run
        row = {"student": e.nickname, "test acc": r.test_acc, "learning rate": r.learning_rate,
               "lambda": r.l2, "epochs": r.epochs_done}
        if challenge is not None:
            row["meets challenge"] = challenge.is_met(r)
        row.update({"diverged": r.diverged, "valid acc": r.valid_acc, "train acc": r.train_acc,
                    "batch": r.batch_size,
                    "digits": PREPROCESSINGS.get(r.preprocessing, r.preprocessing),
                    "run_id": r.run_id, "shared_at": e.shared_at})
        rows.append(row)
    return rows


@dataclass(frozen=True)
class CurvePoint:
    """One epoch of a shared run's curves, with the attributes curves_figure reads."""

    epoch: int
    train_loss: float | None
    train_acc: float | None
    valid_loss: float | None
    valid_acc: float | None


def history_from_curves(curves: Mapping[str, Sequence]) -> list[CurvePoint]:
    """A shared run's curves (ClassroomStore.run_curves) as a history for curves_figure;
    a curve the run did not share is drawn as a gap."""
    epochs = list(curves.get("epoch", []))

    def values(name: str) -> list:
        got = list(curves.get(name, []))
        return got if len(got) == len(epochs) else [None] * len(epochs)

    names = ("train_loss", "train_acc", "valid_loss", "valid_acc")
    columns = [values(n) for n in names]
    return [CurvePoint(int(e), *(c[i] for c in columns)) for i, e in enumerate(epochs)]


def class_set_evaluation(model: SoftmaxWeights, images: np.ndarray,
                         labels: np.ndarray) -> Evaluation | None:
    """The model on the class's drawings (``images`` (n, 784) uint8 as centred like MNIST,
    prepared as the model's own preprocessing says); None without drawings."""
    if len(labels) == 0:
        return None
    return Evaluation(model.read(np.asarray(images, np.uint8))[1], np.asarray(labels))
