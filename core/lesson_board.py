"""The class board's two lesson figures (issue 25), as plotly specs with their text
summaries: the spread of the class's predictions against the real results, and the class
experiment's curve with the grid values still missing.

Pure functions of core.classroom.lessons' QuestionBoard / ExperimentBoard; ``tr`` translates
the labels (core.i18n.Translator)."""

from __future__ import annotations

import statistics

from core.classroom.class_lessons import BIN_POINTS, EXPERIMENT_SETTINGS, histogram
from core.i18n import Msg

__all__ = ["experiment_figure", "experiment_rows", "experiment_summary", "spread_figure",
           "spread_summary"]

PREDICTED, RESULT = "#0072B2", "#D55E00"  # Okabe-Ito blue and vermillion (colour-blind safe)
CURVES = {"train_acc": (Msg("train"), "#009E73", "dot"),
          "valid_acc": (Msg("validation"), "#0072B2", "dash"),
          "test_acc": (Msg("test"), "#D55E00", "solid")}


def spread_figure(board, tr) -> dict:
    """A histogram of the predicted test accuracies (bars, BIN_POINTS wide) with each real
    result of the preset's settings as a vertical line."""
    bins = histogram([v for _, v, _ in board.answers])
    data = [{"type": "bar", "x": [low + BIN_POINTS / 2 for low, _ in bins],
             "y": [n for _, n in bins], "width": BIN_POINTS * 0.9, "name": tr("predictions"),
             "marker": {"color": PREDICTED}}]
    shapes = [{"type": "line", "xref": "x", "yref": "paper", "x0": 100 * e.run.test_acc,
               "x1": 100 * e.run.test_acc, "y0": 0, "y1": 1,
               "line": {"color": RESULT, "width": 2}}
              for e in board.results if e.run.test_acc is not None]
    return {"data": data, "layout": {
        "shapes": shapes, "height": 260, "margin": {"l": 50, "r": 10, "t": 10, "b": 45},
        "xaxis": {"title": {"text": tr("predicted test accuracy (%); lines: real results")}},
        "yaxis": {"title": {"text": tr("students")}, "dtick": 1}, "showlegend": False}}


def _results(board) -> list[float]:
    return [100 * e.run.test_acc for e in board.results if e.run.test_acc is not None]


def spread_summary(board) -> Msg:
    """"12 predictions, from 80.0 to 95.5 % (median 90.0 %); 3 real results, median 85.1 %"."""
    values = [v for _, v, _ in board.answers]
    said = (Msg("{n} predictions, from {low:.1f} to {high:.1f} % (median {median:.1f} %)",
                n=len(values), low=min(values), high=max(values),
                median=statistics.median(values)) if values else Msg("no prediction yet"))
    real = _results(board)
    found = (Msg("{n} real results, median {median:.1f} %", n=len(real),
                 median=statistics.median(real)) if real else Msg("no real result yet"))
    return Msg("{said}; {found}.", said=said, found=found)


def experiment_figure(board, tr) -> dict:
    """Train / validation / test accuracy (%) against the experiment's setting (log scale),
    one marker per run, and a grey mark at each value no run has yet."""
    xs = [v for v, _ in board.points]
    data = [{"type": "scatter", "mode": "lines+markers", "name": tr(name), "x": xs,
             "y": [None if getattr(e.run, key) is None else 100 * getattr(e.run, key)
                   for _, e in board.points],
             "line": {"color": colour, "dash": dash}}
            for key, (name, colour, dash) in CURVES.items()]
    if board.missing:
        data.append({"type": "scatter", "mode": "markers", "name": tr("still missing"),
                     "x": list(board.missing), "y": [0] * len(board.missing), "yaxis": "y2",
                     "marker": {"symbol": "x-open", "size": 12, "color": "#777777"}})
    setting = tr(EXPERIMENT_SETTINGS[board.experiment.setting])
    return {"data": data, "layout": {
        "height": 320, "margin": {"l": 50, "r": 10, "t": 10, "b": 45},
        "xaxis": {"type": "log", "title": {"text": setting}},
        "yaxis": {"title": {"text": tr("accuracy (%)")}},
        "yaxis2": {"overlaying": "y", "visible": False, "range": [0, 1]},
        "legend": {"orientation": "h", "y": -0.25}}}


def experiment_summary(board) -> Msg:
    """"4 of 6 values have a run; still missing: 0.01, 0.1"."""
    n = len(board.experiment.values)
    done = n - len(board.missing)
    if not board.missing:
        return Msg("All {n} values have a run.", n=n)
    return Msg("{done} of {n} values have a run; still missing: {missing}.", done=done, n=n,
               missing=", ".join(f"{v:g}" for v in board.missing))


def experiment_rows(board, tr) -> list[dict]:
    """The curve's numbers: one row per run, by value."""
    setting = tr(EXPERIMENT_SETTINGS[board.experiment.setting])
    return [{setting: f"{v:g}", tr("student"): e.nickname,
             **{tr(name): None if getattr(e.run, k) is None else round(100 * getattr(e.run, k), 2)
                for k, (name, _, _) in CURVES.items()}} for v, e in board.points]
