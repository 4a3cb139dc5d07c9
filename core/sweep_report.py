"""Reading a sweep's results: the figure, the table, and a few sentences that explain them.

The worker (:class:`core.sweep.Sweep`) collects one :class:`core.sweep.SweepPoint` per
value; everything here is a pure function of those points.

Reading the picture (:func:`sweep_figure`) for lambda, from left to right:

- too little regularisation: the model may fit its training images better than new ones,
  so training accuracy sits above validation accuracy (overfitting);
- too much: the penalty squeezes the weights towards 0 (the norm falls) until the model
  cannot even fit its training images: training and validation accuracy drop together
  (underfitting).

A softmax regression has few weights for its training images (on MNIST 784 x 10 + 10 =
7,850 for 50,000), so the overfitting side is mild; the underfitting side is dramatic.
:func:`interpret` says so with the numbers of the dataset at hand.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from core.data import Dataset
from core.figures import finite_or_none
from core.i18n import ENGLISH, Msg, Translator
from core.run_state import STATUS_WORDS, RunStatus
from core.style import TRAIN_COLOUR, VALID_COLOUR
from core.sweep import PARAMETERS, Pace, SweepPoint, check_parameter, format_value

TEST_COLOUR, NORM_COLOUR, BAD_COLOUR = "#2ca02c", "#9467bd", "#d62728"  # green, purple, red
LABEL_SIZE = 18  # px: readable on a projector from the back of the room
OVERFIT_GAP = 0.02  # train accuracy this far above validation accuracy: "overfitting"
LOW_ACCURACY_DROP = 0.03  # validation accuracy this far below the best: "too little / too much"
TIE = 0.001  # validation accuracies this close are as good as each other (10 of 10,000 images)
ACCURACIES = (("train_acc", Msg("train accuracy"), TRAIN_COLOUR),
              ("valid_acc", Msg("validation accuracy"), VALID_COLOUR),
              ("test_acc", Msg("test accuracy"), TEST_COLOUR))  # SweepPoint field, label, colour


def _capital(text: str) -> str:
    """``text`` starting with a capital letter (a Japanese text is left as it is)."""
    return text[:1].upper() + text[1:]


def axis_positions(values: Sequence[float]) -> dict[float, float]:
    """Where each value goes on the sweep figure's x axis: at log10(value), so that every
    factor of ten takes the same room (0.001, 0.01, 0.1 are evenly spaced).

    0 has no logarithm, and lambda = 0 is the most important point of a lambda sweep (no
    penalty at all). It is placed one decade to the left of the smallest positive value and
    labelled "0"; the figure draws a dotted line between it and the rest to say that the
    distance to it means nothing.
    """
    positive = sorted(v for v in set(values) if v > 0)
    positions = {v: math.log10(v) for v in positive}
    if 0 in values:
        positions[0.0] = (positions[positive[0]] if positive else 0.0) - 1.0
    return positions


# ---------------------------------------------------------------------- the figure


def sweep_figure(results: Sequence[SweepPoint], parameter: str,
                 values: Sequence[float] | None = None, title: str | None = None,
                 tr: Translator = ENGLISH) -> dict:
    """Train / validation / test accuracy (left axis) and the weight norm ||W|| (right axis,
    dashed) against the swept value (log scale, see :func:`axis_positions`).

    ``values`` are all the values of the sweep, so that the axis does not move while the
    points arrive one by one (default: those of ``results``). A diverged point leaves a gap
    in every line and is marked "diverged" at the bottom; the best validation accuracy is
    pointed out. Returned as a plotly figure dict (as :func:`core.figures.curves_figure`):
    the page redraws it twice a second during a sweep, and a dict is built in microseconds.
    It never contains NaN. ``tr`` translates its texts (core.i18n).
    """
    check_parameter(parameter)
    results = sorted(results, key=lambda p: p.value)
    values = sorted(set(values if values is not None else [p.value for p in results])
                    | {p.value for p in results})
    pos = axis_positions(values)
    shapes = []
    if 0.0 in pos and len(pos) > 1:  # the "0" tick is set apart: no log distance to it
        shapes.append(dict(type="line", xref="x", yref="paper", x0=pos[0.0] + 0.5,
                           x1=pos[0.0] + 0.5, y0=0, y1=1,
                           line=dict(color="#999", width=2, dash="dot")))
    layout = _layout(results, parameter, pos, title, tr)
    layout.update(annotations=_annotations(results, pos, tr), shapes=shapes)
    return dict(data=_traces(results, tr(PARAMETERS[parameter]), pos, tr), layout=layout)


def _traces(results: list[SweepPoint], name: str, pos: dict[float, float],
            tr: Translator) -> list[dict]:
    """The three accuracy lines on the left axis, and ||W|| dashed on the right one."""
    x = [pos[p.value] for p in results]
    labels = [format_value(p.value) for p in results]
    hover = f"{name} %{{customdata}}<br>"
    traces = [dict(
        type="scatter", x=x, y=finite_or_none([getattr(p, field) for p in results]),
        customdata=labels, mode="lines+markers", name=tr(label),
        line=dict(color=colour, width=4), marker=dict(size=11), yaxis="y",
        hovertemplate=hover + tr(label) + " %{y:.2%}<extra></extra>")
        for field, label, colour in ACCURACIES]
    traces.append(dict(
        type="scatter", x=x, y=finite_or_none([p.weight_norm for p in results]),
        customdata=labels, mode="lines+markers", name=tr("weight norm ||W|| (right axis)"),
        line=dict(color=NORM_COLOUR, width=3, dash="dash"), marker=dict(size=9, symbol="diamond"),
        yaxis="y2", hovertemplate=f"{hover}||W|| %{{y:.3g}}<extra></extra>"))
    return traces


def _annotations(results: list[SweepPoint], pos: dict[float, float],
                 tr: Translator) -> list[dict]:
    """A "diverged" mark under each diverged point, an arrow to the best validation
    accuracy, and a word in the middle while there is nothing to draw yet."""
    notes = [dict(x=pos[p.value], y=0.02, xref="x", yref="paper", yanchor="bottom",
                  textangle=-90, text=tr("✕ diverged"), showarrow=False,
                  font=dict(size=LABEL_SIZE, color=BAD_COLOUR))
             for p in results if p.status is RunStatus.DIVERGED]
    finished = [p for p in results if p.valid_acc is not None]
    if finished:  # pointed at from below: above the best there is only the title
        best = max(finished, key=lambda p: p.valid_acc)
        middle = (min(pos.values()) + max(pos.values())) / 2
        notes.append(dict(x=pos[best.value], y=best.valid_acc, xref="x", yref="y",
                          text=tr("best validation: {acc:.1%}", acc=best.valid_acc),
                          showarrow=True,
                          arrowhead=2, arrowwidth=2, arrowcolor=VALID_COLOUR, ax=0, ay=60,
                          # the label grows away from the nearer edge, off the tick labels
                          xanchor="left" if pos[best.value] <= middle else "right",
                          bgcolor="rgba(255,255,255,0.8)",
                          font=dict(size=LABEL_SIZE, color=VALID_COLOUR)))
    if not results:
        notes.append(dict(text=tr("the points appear here as they finish"), showarrow=False,
                          xref="paper", yref="paper", x=0.5, y=0.5, font=dict(size=20)))
    return notes


def _layout(results: list[SweepPoint], parameter: str, pos: dict[float, float],
            title: str | None, tr: Translator) -> dict:
    """Title, the log-scale value axis with a tick per value, both y axes, the legend."""
    name, big = tr(PARAMETERS[parameter]), dict(size=LABEL_SIZE)
    ticks = sorted(pos.items(), key=lambda item: item[1])
    lo, hi = (ticks[0][1], ticks[-1][1]) if ticks else (0.0, 1.0)
    layout = dict(
        title=dict(text=title or _capital(tr("{name} sweep: accuracy and weight size",
                                             name=name)),
                   font=dict(size=26)),
        xaxis=dict(title=dict(text=tr("{name} (log scale)", name=name), font=big), tickfont=big,
                   tickmode="array", tickvals=[p for _, p in ticks],
                   ticktext=[format_value(v) for v, _ in ticks],
                   range=[lo - 0.5, hi + 0.5], showgrid=False, zeroline=False),
        yaxis=dict(title=dict(text=tr("accuracy"), font=big), tickfont=big, tickformat=".0%",
                   range=_accuracy_range(results)),
        yaxis2=dict(title=dict(text="||W||", font=dict(size=LABEL_SIZE, color=NORM_COLOUR)),
                    tickfont=dict(size=LABEL_SIZE, color=NORM_COLOUR), overlaying="y",
                    side="right", showgrid=False, tickmode="auto", nticks=6,
                    range=_norm_range(results), rangemode="tozero"),
        legend=dict(orientation="h", y=-0.22, x=0.5, xanchor="center", font=big),
        font=dict(size=LABEL_SIZE), height=560, margin=dict(l=10, r=10, t=70, b=10),
        hoverlabel=dict(font=big), hovermode="x unified", uirevision=f"sweep-{parameter}",
    )
    for axis in ("yaxis", "yaxis2"):  # no range yet: let plotly choose
        layout[axis] = {k: v for k, v in layout[axis].items() if v is not None}
    return layout


def _accuracy_range(results: Sequence[SweepPoint]) -> list[float] | None:
    """The accuracy axis: whole 5 % steps around the accuracies, so that a single point
    does not make plotly zoom in to 91.4 %-91.6 % (and label every tick "92%")."""
    accs = [a for p in results for a in (p.train_acc, p.valid_acc, p.test_acc)
            if a is not None and math.isfinite(a)]
    if not accs:
        return None
    return [max(0.0, math.floor((min(accs) - 0.02) * 20) / 20),
            min(1.0, math.ceil((max(accs) + 0.01) * 20) / 20)]


def _norm_range(results: Sequence[SweepPoint]) -> list[float] | None:
    """The ||W|| axis, from 0: how small the weights get only shows against zero."""
    norms = [p.weight_norm for p in results
             if p.weight_norm is not None and math.isfinite(p.weight_norm)]
    return [0.0, 1.1 * max(norms)] if norms and max(norms) > 0 else None


# ---------------------------------------------------------------------- the table


def table_rows(results: Sequence[SweepPoint], parameter: str,
               tr: Translator = ENGLISH) -> list[dict]:
    """The numbers behind the figure, one row per point, ready for a table: the value as a
    label (so 1e-05 does not show as 0.00001), accuracies in percent with two decimals.
    Missing numbers (a diverged point) are None, never NaN. The column names are
    :func:`table_columns`."""
    name, columns = tr(PARAMETERS[parameter]), table_columns(tr)
    pct = lambda a: None if a is None else round(100 * a, 2)  # noqa: E731
    return [{name: format_value(p.value), columns["train"]: pct(p.train_acc),
             columns["valid"]: pct(p.valid_acc), columns["test"]: pct(p.test_acc),
             columns["norm"]: None if p.weight_norm is None else round(p.weight_norm, 3),
             columns["status"]: tr(STATUS_WORDS[p.status]),
             columns["seconds"]: round(p.seconds, 2)}
            for p in sorted(results, key=lambda p: p.value)]


def table_columns(tr: Translator = ENGLISH) -> dict[str, str]:
    """The names of :func:`table_rows`' columns, by what they hold."""
    return {"train": tr("train accuracy %"), "valid": tr("validation accuracy %"),
            "test": tr("test accuracy %"), "norm": tr("weight norm ||W||"),
            "status": tr("status"), "seconds": tr("seconds")}


# ---------------------------------------------------------------------- the sentences


def interpret(results: Sequence[SweepPoint], parameter: str, epochs: int | None = None,
              data: Dataset | None = None, tr: Translator = ENGLISH) -> str:
    """A few plain sentences on what the sweep shows: the best value, and where the model
    over- or under-fits. ``epochs`` (per point) and ``data`` (the dataset swept on) let the
    sentences give the number of epochs, weights and training images; ``tr`` translates.

    The rules: the best point has the highest *validation* accuracy (the test set is kept
    for the final check, never for choosing); others within :data:`TIE` of it are named
    too, as such small differences are down to a handful of images. Training accuracy more than
    :data:`OVERFIT_GAP` above validation accuracy is overfitting. A point whose validation
    accuracy is :data:`LOW_ACCURACY_DROP` below the best, without such a gap, fits its own
    training images badly too: underfitting (lambda too large, or a learning rate too small
    to get anywhere in a few epochs) or, for large learning rates, steps that overshoot.
    """
    check_parameter(parameter)
    name = PARAMETERS[parameter]
    results = sorted(results, key=lambda p: p.value)
    ok = [p for p in results if p.finished]
    diverged = [p for p in results if p.status is RunStatus.DIVERGED]
    if not ok:
        return tr(Msg("No point finished: every {name} tried diverged.", name=name) if diverged
                  else Msg("No point has finished yet."))
    sentences = (_compare(ok, parameter, epochs, data) if len(ok) > 1 else [
        Msg("Only {name} = {value} finished: {accs}. It takes two values to compare.",
            name=name, value=format_value(ok[0].value), accs=_accs(ok[0]))])
    if diverged:
        which = ", ".join(format_value(p.value) for p in diverged)
        sentences.append(Msg("{name} {which} diverged (the loss blew up), so it has no "
                             "accuracy.", name=name, which=which))
    return " ".join(_capital(tr(s)) for s in sentences)


def _compare(ok: list[SweepPoint], parameter: str, epochs: int | None,
             data: Dataset | None) -> list[Msg]:
    """The sentences of :func:`interpret` for two finished points or more (sorted by value):
    the best, the worst overfitting, then what the low points on either side mean."""
    best = max(ok, key=lambda p: p.valid_acc)
    over = [p for p in ok if p.train_acc - p.valid_acc > OVERFIT_GAP]
    low = [p for p in ok if best.valid_acc - p.valid_acc > LOW_ACCURACY_DROP and p not in over]
    sentences = [_best_sentence(ok, best, PARAMETERS[parameter])]
    sentences += _overfit_sentence(over, PARAMETERS[parameter])
    if parameter == "l2":
        right = [p for p in low if p.value > best.value]
        return sentences + _lambda_sentences(ok, right, bool(over), data)
    return sentences + _learning_rate_sentences(low, best, epochs)


def _best_sentence(ok: list[SweepPoint], best: SweepPoint, name: Msg) -> Msg:
    """The best validation accuracy, and the values within :data:`TIE` of it."""
    tied = [p for p in ok if p is not best and best.valid_acc - p.valid_acc <= TIE]
    values = " and ".join(format_value(p.value) for p in tied)
    also = ("" if not tied else
            Msg(" ({values} is within {tie:.1%} of it)", values=values, tie=TIE) if len(tied) == 1
            else Msg(" ({values} are within {tie:.1%} of it)", values=values, tie=TIE))
    return Msg("The best validation accuracy, {acc:.1%}, came with {name} = {value}{also}.",
               acc=best.valid_acc, name=name, value=format_value(best.value), also=also)


def _overfit_sentence(over: list[SweepPoint], name: Msg) -> list[Msg]:
    """The value with the widest gap between train and validation accuracy, if any."""
    if not over:
        return []
    worst = max(over, key=lambda p: p.train_acc - p.valid_acc)
    return [Msg("At {name} = {value} training accuracy is {gap:.1%} above validation accuracy: "
                "overfitting.", name=name, value=format_value(worst.value),
                gap=worst.train_acc - worst.valid_acc)]


def _lambda_sentences(ok: list[SweepPoint], right: list[SweepPoint], overfits: bool,
                      data: Dataset | None) -> list[Msg]:
    """Lambda: too large underfits (``right``: low points above the best); no overfitting
    anywhere means the model is small for its data."""
    name, sentences = PARAMETERS["l2"], []
    if right:
        sentences.append(Msg("From {name} = {value} up, training and validation accuracy fall "
                             "together (down to {accs}) while the weights shrink: too much "
                             "regularisation, the model underfits.", name=name,
                             value=format_value(right[0].value), accs=_accs(right[-1])))
    if not overfits:
        gap = max(abs(p.train_acc - p.valid_acc) for p in ok)
        size = ""
        if data is not None:
            weights = data.n_features * data.n_classes + data.n_classes
            size = Msg(" with {weights:,} weights for {images:,} images", weights=weights,
                       images=len(data.y_train))
        sentences.append(Msg("Training and validation accuracy stay within {gap:.1%} of each "
                             "other at every {name}:{size} this model hardly overfits, so a "
                             "small {name} changes little.", gap=gap, name=name, size=size))
    return sentences


def _learning_rate_sentences(low: list[SweepPoint], best: SweepPoint,
                             epochs: int | None) -> list[Msg]:
    """Learning rate: too small gets nowhere in the epochs given, too large overshoots."""
    left = [p for p in low if p.value < best.value]
    right = [p for p in low if p.value > best.value]
    name = PARAMETERS["learning_rate"]
    during = Msg(" in {epochs} epochs", epochs=epochs) if epochs else ""
    sentences = []
    if left:
        sentences.append(Msg("With {name} {span} the steps are too small to get far{during} "
                             "(down to {accs}): underfitting.", name=name, span=_span(left),
                             during=during, accs=_accs(left[0])))
    if right:
        worst = min(right, key=lambda p: p.valid_acc)
        sentences.append(Msg("With {name} {span} the steps overshoot and accuracy suffers "
                             "(down to {accs}).", name=name, span=_span(right),
                             accs=_accs(worst)))
    return sentences


def _span(ps: list[SweepPoint]) -> Msg | str:
    """The values of ``ps`` (sorted) as "0.001 to 0.01", or "5" for one point."""
    lo, hi = format_value(ps[0].value), format_value(ps[-1].value)
    return lo if lo == hi else Msg("{lo} to {hi}", lo=lo, hi=hi)


def _accs(p: SweepPoint) -> Msg:
    return Msg("{train:.1%} train / {valid:.1%} validation", train=p.train_acc,
               valid=p.valid_acc)


# ---------------------------------------------------------------------- before a sweep


def plan(parameter: str, n_values: int, epochs: int, data: Dataset, pace: Pace | None,
         tr: Translator = ENGLISH) -> str:
    """What a sweep of ``n_values`` values, ``epochs`` epochs each, will do, e.g. "7 values of
    lambda, 5 epochs each: 35 passes over the 50,000 training images, about 40 s at the pace
    of the latest sweep on this server (longer while others train)."

    The time is only given with a ``pace`` measured on this server
    (:func:`core.sweep.recorded_pace`); before the first sweep nothing is guessed.
    """
    check_parameter(parameter)
    if n_values < 1:
        return tr("Choose at least one value.")
    passes = n_values * epochs
    values = Msg("1 value") if n_values == 1 else Msg("{n:,} values", n=n_values)
    each = Msg("1 epoch") if epochs == 1 else Msg("{n:,} epochs", n=epochs)
    over = Msg("1 pass") if passes == 1 else Msg("{n:,} passes", n=passes)
    work = Msg("{values} of {name}, {each} each: {passes} over the {images:,} training images",
               values=values, name=PARAMETERS[parameter], each=each, passes=over,
               images=len(data.y_train))
    if pace is None:
        return tr("{work}.", work=work)
    return tr("{work}, {duration} at the pace of the latest sweep on this server (longer while "
              "others train).", work=work, duration=_duration(pace.seconds(n_values, epochs)))


def _duration(seconds: float) -> Msg:
    """A time in words: about 40 s, about 3 min."""
    if seconds < 90:
        return Msg("about {n} s", n=max(1, round(seconds)))
    return Msg("about {n:,} min", n=round(seconds / 60))
