"""A hyperparameter sweep: train one setting at several values and compare them in one picture.

Over- and under-fitting are easiest to see side by side. A sweep trains the same model a
few times, changing only one setting (lambda, the L2 penalty, or the learning rate) and
keeping everything else fixed, including the seed: every point starts from the same
initial weights and sees the batches in the same order, so any difference between two
points is caused by the setting alone. For each point it records

- the accuracy on the *whole* training set, the validation set and the test set, all
  measured with the final weights (not the running average over the epoch's batches that
  the Train page's curves show: that one mixes weights from the start and the end of the
  epoch, and would make a small learning rate look worse than it is);
- the size of the weights, ||W|| (the Frobenius norm: the square root of the sum of all
  784 x 10 squared weights), which is exactly what lambda pushes down.

Reading the picture (:func:`sweep_figure`) for lambda, from left to right:

- too little regularisation: the model may fit its training images better than new ones,
  so training accuracy sits above validation accuracy (overfitting);
- too much: the penalty squeezes the weights towards 0 (the norm falls) until the model
  cannot even fit its training images: training and validation accuracy drop together
  (underfitting).

A softmax regression has only 7,850 weights for 50,000 training images, so on MNIST the
overfitting side is mild; the underfitting side is dramatic.

Limits. A sweep is one more training run as far as the server is concerned: it trains its
points one after another on a single worker thread, and before *each* point it waits for a
slot in the same :class:`core.jobs.RunSlots` queue as every run of the Train page, gives
the slot back after the point, and queues again for the next one. So a sweep never holds
more than one slot, and someone who pressed Start on the Train page while a long sweep is
going gets their turn between two points. A sweep whose browser tab was closed is stopped
by the same :data:`core.jobs.WATCHDOG` as any training job.
"""

from __future__ import annotations

import math
import threading
import time
from dataclasses import dataclass, field, fields, replace
from typing import Callable, Sequence

import numpy as np

from core.config import TrainConfig
from core.data import Dataset
from core.figures import TRAIN_COLOUR, VALID_COLOUR, finite_or_none
from core.jobs import WATCHDOG, RunSlots, new_ticket
from core.metrics import evaluate, split_accuracy
from core.model import SoftmaxRegression
from core.train import RunStatus, TrainingRun

PARAMETERS = {"l2": "lambda", "learning_rate": "learning rate"}  # TrainConfig field -> name
DEFAULT_VALUES = {
    "l2": [0.0, 1e-5, 1e-4, 1e-3, 1e-2, 0.1, 1.0],
    "learning_rate": [0.001, 0.01, 0.1, 1.0, 5.0],
}
DEFAULT_EPOCHS = 5  # "briefly": long enough to separate the values, short enough to wait for
MAX_EPOCHS_PER_POINT = 50  # the page's limit: a sweep is meant to be brief

TEST_COLOUR, NORM_COLOUR, BAD_COLOUR = "#2ca02c", "#9467bd", "#d62728"  # green, purple, red
LABEL_SIZE = 18  # px: readable on a projector from the back of the room
OVERFIT_GAP = 0.02  # train accuracy this far above validation accuracy: "overfitting"
LOW_ACCURACY_DROP = 0.03  # validation accuracy this far below the best: "too little / too much"
TIE = 0.001  # validation accuracies this close are as good as each other (10 of 10,000 images)


def default_values(parameter: str) -> list[float]:
    """A sensible handful of values to sweep, one per decade or so.

    Lambda: 0 (no penalty), then 1e-5 ... 1, from "makes no difference" to "crushes the
    weights". Learning rate: 0.001 (too timid for a few epochs) ... 5 (steps that overshoot).
    """
    _check_parameter(parameter)
    return list(DEFAULT_VALUES[parameter])


def format_value(value: float) -> str:
    """A swept value as the Train page's sliders print it: 0, 1e-05, 0.001, 0.1, 1."""
    return f"{value:g}"


def _check_parameter(parameter: str) -> None:
    if parameter not in PARAMETERS:
        raise ValueError(f"parameter must be one of {', '.join(PARAMETERS)}, not {parameter!r}")


@dataclass(frozen=True)
class SweepPoint:
    """The outcome of training at one value.

    ``status`` is ``RunStatus.FINISHED`` or ``RunStatus.DIVERGED``. A diverged point has
    no accuracies and no weight norm (``None``): its weights blew up, and the numbers of the
    weights it was rolled back to would describe a model that was never trained. They are
    never NaN, so a table or a chart can show them as a gap. ``model`` keeps a finished
    point's final weights (about 31 KB), e.g. to check the scores or to look at them.
    """

    value: float
    status: RunStatus
    train_acc: float | None
    valid_acc: float | None
    test_acc: float | None
    weight_norm: float | None
    epochs: int  # epochs actually trained
    seconds: float  # wall time of training and scoring, without the wait in the queue
    message: str = ""  # why it diverged
    model: SoftmaxRegression | None = field(default=None, repr=False, compare=False)

    @property
    def finished(self) -> bool:
        return self.status is RunStatus.FINISHED

    def to_dict(self) -> dict:
        """The numbers (not the model), e.g. for a table or JSON."""
        d = {f.name: getattr(self, f.name) for f in fields(self) if f.name != "model"}
        return {**d, "status": self.status.value}


class Sweep:
    """Train ``values`` of one ``parameter`` ("l2" or "learning_rate") one after another on
    a daemon thread, each from the same ``base`` config, and collect a :class:`SweepPoint`
    per value in :attr:`results`.

    The page calls :meth:`start` and :meth:`cancel`, and reads :attr:`results`,
    :attr:`points_done`, :attr:`total`, :attr:`current_value`, :attr:`current_run`,
    :attr:`queued`, :meth:`ahead`, :attr:`progress`, :attr:`cancelled`, :attr:`finished`
    and :attr:`error`. Nothing here touches a UI.

    The points run without the Train page's coach (which pauses a run whose validation loss
    keeps rising and waits for a click that would never come) and in increasing order of
    the value.
    """

    def __init__(self, parameter: str, values: Sequence[float], data: Dataset, slots: RunSlots,
                 base: TrainConfig | None = None,
                 owner_alive: Callable[[], bool] | None = None):
        _check_parameter(parameter)
        values = sorted({float(v) for v in values})
        if not values:
            raise ValueError("a sweep needs at least one value")
        base = base or TrainConfig(epochs=DEFAULT_EPOCHS)
        # Build every point's config now, so a bad value fails here and not halfway through.
        self.configs = [replace(base, **{parameter: v}) for v in values]
        base.check_fits(len(data.y_train))
        self.parameter, self.name = parameter, PARAMETERS[parameter]
        self.values, self.base, self.data, self.slots = values, base, data, slots
        self.owner_alive = owner_alive  # e.g. "is the browser tab still connected?"
        self.ticket = new_ticket()
        self.results: list[SweepPoint] = []  # appended by the worker; read a copy
        self.current_value: float | None = None
        self.current_run: TrainingRun | None = None
        self.queued = False
        self.error: str | None = None
        self.message = ""  # why it was cancelled, if it was
        self.started_at: float | None = None
        self.ended_at: float | None = None
        self._current_index = -1  # which point current_run belongs to
        self._cancel = threading.Event()
        self._thread: threading.Thread | None = None

    # ------------------------------------------------------------------ state for a UI

    @property
    def total(self) -> int:
        return len(self.values)

    @property
    def points_done(self) -> int:
        return len(self.results)

    @property
    def alive(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    @property
    def started(self) -> bool:
        return self._thread is not None

    @property
    def cancelled(self) -> bool:
        return self._cancel.is_set()

    @property
    def finished(self) -> bool:
        """Every point was trained (each finished or diverged)."""
        return len(self.results) == len(self.values)

    @property
    def seconds(self) -> float | None:
        """Wall time from :meth:`start` until the sweep ended (or until now)."""
        if self.started_at is None:
            return None
        return (self.ended_at or time.perf_counter()) - self.started_at

    def ahead(self) -> int | None:
        """How many runs wait in the queue before this sweep (None if it is not waiting)."""
        return self.slots.ahead_of(self.ticket) if self.queued else None

    @property
    def progress(self) -> float:
        """The fraction of the sweep's work done, 0..1, counting the current point's
        epochs and batches (every point trains the same number of epochs)."""
        done = float(len(self.results))
        run = self.current_run
        if self.alive and run is not None and self._current_index == len(self.results):
            epochs = run.epochs_done + (run.batches_done / run.n_batches if run.is_active else 0)
            done += min(1.0, epochs / max(1, run.target_epochs))
        return min(1.0, done / len(self.values))

    def describe(self) -> str:
        """One line on where the sweep is: "point 3 of 7: lambda = 0.001, epoch 2/5"."""
        value, run, done = self.current_value, self.current_run, len(self.results)
        if not self.alive or value is None or self._current_index != done:
            return f"{done} of {len(self.values)} points done"
        where = f"point {done + 1} of {len(self.values)}: {self.name} = {format_value(value)}"
        if self.queued:
            return f"{where}, waiting for a training slot"
        if run is None or run.status is RunStatus.READY:
            return f"{where}, epoch 1/{self.base.epochs}"
        if not run.is_active:  # trained; now measuring the accuracies
            return f"{where}, scoring"
        epoch = min(run.epochs_done + 1, run.target_epochs)
        return f"{where}, epoch {epoch}/{run.target_epochs}"

    # ------------------------------------------------------------------ controls

    def start(self) -> None:
        """Train the points on a daemon thread (a sweep runs once: no-op if started)."""
        if self._thread is not None:
            return
        self.started_at = time.perf_counter()
        self.queued = True
        self._thread = threading.Thread(target=self._work, name=f"sweep-{self.ticket}", daemon=True)
        self._thread.start()
        if self.owner_alive is not None:
            WATCHDOG.watch(self)  # duck-typed like a TrainingJob: alive, owner_alive, stop

    def cancel(self, reason: str = "") -> None:
        """Stop the current point after its current batch and skip the rest. The points
        already done stay in :attr:`results`; the interrupted one is dropped."""
        self.message = f"Cancelled{': ' + reason if reason else ''}."
        self._cancel.set()
        run = self.current_run
        if run is not None:
            run.stop(reason)

    stop = cancel  # the name the watchdog calls

    def join(self, timeout: float | None = None) -> None:
        if self._thread is not None:
            self._thread.join(timeout)

    # ------------------------------------------------------------------ the worker

    def _work(self) -> None:
        try:
            for value, config in zip(self.values, self.configs):
                if self._cancel.is_set():
                    break
                point = self._train_point(value, config)
                if point is None:  # cancelled while queued or training
                    break
                self.results.append(point)
        except Exception as exc:  # never lose a failure silently: the page shows it
            self.error = f"{type(exc).__name__}: {exc}"
        finally:
            self.queued = False
            self.current_value = None
            self.ended_at = time.perf_counter()

    def _train_point(self, value: float, config: TrainConfig) -> SweepPoint | None:
        """Wait for a slot, train one point, score it, give the slot back."""
        self.current_value, self.current_run = value, None
        self._current_index = self.values.index(value)
        self.queued = True
        if not self.slots.acquire(self.ticket, self._cancel):
            return None
        self.queued = False
        try:
            started = time.perf_counter()
            run = TrainingRun(self.data, config)  # no coach: nobody would resume a pause
            self.current_run = run
            if self._cancel.is_set():  # cancel() came before current_run was set
                return None
            run.run()
            if run.status is RunStatus.STOPPED:
                return None
            if run.status is RunStatus.DIVERGED:
                return SweepPoint(value, RunStatus.DIVERGED, None, None, None, None,
                                  run.epochs_done, time.perf_counter() - started, run.message)
            return SweepPoint(value, RunStatus.FINISHED, *self._score(run), run.epochs_done,
                              time.perf_counter() - started, model=run.model)
        finally:
            self.slots.release(self.ticket)

    def _score(self, run: TrainingRun) -> tuple[float, float, float, float]:
        """Accuracy of the final weights on all three sets, and ||W||."""
        d, model = self.data, run.model
        acc = [split_accuracy(model, d, split) for split in ("train", "valid", "test")]
        return (*acc, float(np.linalg.norm(model.W.astype(np.float64))))


# ---------------------------------------------------------------------- reading the results


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


def sweep_figure(results: Sequence[SweepPoint], parameter: str,
                 values: Sequence[float] | None = None, title: str | None = None) -> dict:
    """Train / validation / test accuracy (left axis) and the weight norm ||W|| (right axis,
    dashed) against the swept value (log scale, see :func:`axis_positions`).

    ``values`` are all the values of the sweep, so that the axis does not move while the
    points arrive one by one (default: those of ``results``). A diverged point leaves a gap
    in every line and is marked "diverged" at the bottom; the best validation accuracy is
    pointed out. Returned as a plotly figure dict (as :func:`core.figures.curves_figure`):
    the page redraws it twice a second during a sweep, and a dict is built in microseconds.
    It never contains NaN.
    """
    _check_parameter(parameter)
    name = PARAMETERS[parameter]
    results = sorted(results, key=lambda p: p.value)
    values = sorted(set(values if values is not None else [p.value for p in results])
                    | {p.value for p in results})
    pos = axis_positions(values)
    x = [pos[p.value] for p in results]
    labels = [format_value(p.value) for p in results]

    traces = []
    for field, label, colour in (("train_acc", "train", TRAIN_COLOUR),
                                 ("valid_acc", "validation", VALID_COLOUR),
                                 ("test_acc", "test", TEST_COLOUR)):
        traces.append(dict(
            type="scatter", x=x, y=finite_or_none([getattr(p, field) for p in results]),
            customdata=labels, mode="lines+markers", name=f"{label} accuracy",
            line=dict(color=colour, width=4), marker=dict(size=11), yaxis="y",
            hovertemplate=f"{name} %{{customdata}}<br>{label} accuracy %{{y:.2%}}<extra></extra>"))
    traces.append(dict(
        type="scatter", x=x, y=finite_or_none([p.weight_norm for p in results]),
        customdata=labels, mode="lines+markers", name="weight norm ||W|| (right axis)",
        line=dict(color=NORM_COLOUR, width=3, dash="dash"), marker=dict(size=9, symbol="diamond"),
        yaxis="y2", hovertemplate=f"{name} %{{customdata}}<br>||W|| %{{y:.3g}}<extra></extra>"))

    ticks = sorted(pos.items(), key=lambda item: item[1])
    lo, hi = (ticks[0][1], ticks[-1][1]) if ticks else (0.0, 1.0)
    annotations, shapes = [], []
    for p in results:
        if p.status is RunStatus.DIVERGED:
            annotations.append(dict(x=pos[p.value], y=0.02, xref="x", yref="paper",
                                    yanchor="bottom", textangle=-90, text="✕ diverged",
                                    showarrow=False, font=dict(size=LABEL_SIZE, color=BAD_COLOUR)))
    finished = [p for p in results if p.valid_acc is not None]
    if finished:  # pointed at from below: above the best there is only the title
        best = max(finished, key=lambda p: p.valid_acc)
        annotations.append(dict(x=pos[best.value], y=best.valid_acc, xref="x", yref="y",
                                text=f"best validation: {best.valid_acc:.1%}", showarrow=True,
                                arrowhead=2, arrowwidth=2, arrowcolor=VALID_COLOUR, ax=0, ay=60,
                                # the label grows away from the nearer edge, off the tick labels
                                xanchor="left" if pos[best.value] <= (lo + hi) / 2 else "right",
                                bgcolor="rgba(255,255,255,0.8)",
                                font=dict(size=LABEL_SIZE, color=VALID_COLOUR)))
    if 0.0 in pos and len(pos) > 1:  # the "0" tick is set apart: no log distance to it
        shapes.append(dict(type="line", xref="x", yref="paper", x0=pos[0.0] + 0.5,
                           x1=pos[0.0] + 0.5, y0=0, y1=1,
                           line=dict(color="#999", width=2, dash="dot")))
    if not results:
        annotations.append(dict(text="the points appear here as they finish", showarrow=False,
                                xref="paper", yref="paper", x=0.5, y=0.5, font=dict(size=20)))

    big = dict(size=LABEL_SIZE)
    layout = dict(
        title=dict(text=title or f"{name.capitalize()} sweep: accuracy and weight size",
                   font=dict(size=26)),
        xaxis=dict(title=dict(text=f"{name} (log scale)", font=big), tickfont=big,
                   tickmode="array", tickvals=[p for _, p in ticks],
                   ticktext=[format_value(v) for v, _ in ticks],
                   range=[lo - 0.5, hi + 0.5], showgrid=False, zeroline=False),
        yaxis=dict(title=dict(text="accuracy", font=big), tickfont=big, tickformat=".0%",
                   range=_accuracy_range(results)),
        yaxis2=dict(title=dict(text="||W||", font=dict(size=LABEL_SIZE, color=NORM_COLOUR)),
                    tickfont=dict(size=LABEL_SIZE, color=NORM_COLOUR), overlaying="y",
                    side="right", showgrid=False, tickmode="auto", nticks=6,
                    range=_norm_range(results), rangemode="tozero"),
        legend=dict(orientation="h", y=-0.22, x=0.5, xanchor="center", font=big),
        font=dict(size=LABEL_SIZE), height=560, margin=dict(l=10, r=10, t=70, b=10),
        hoverlabel=dict(font=big), annotations=annotations, shapes=shapes, hovermode="x unified",
        uirevision=f"sweep-{parameter}",
    )
    for axis in ("yaxis", "yaxis2"):  # no range yet: let plotly choose
        layout[axis] = {k: v for k, v in layout[axis].items() if v is not None}
    return dict(data=traces, layout=layout)


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


def table_rows(results: Sequence[SweepPoint], parameter: str) -> list[dict]:
    """The numbers behind the figure, one row per point, ready for a table: the value as a
    label (so 1e-05 does not show as 0.00001), accuracies in percent with two decimals.
    Missing numbers (a diverged point) are None, never NaN."""
    name = PARAMETERS[parameter]
    pct = lambda a: None if a is None else round(100 * a, 2)  # noqa: E731
    return [{name: format_value(p.value), "train accuracy %": pct(p.train_acc),
             "validation accuracy %": pct(p.valid_acc), "test accuracy %": pct(p.test_acc),
             "weight norm ||W||": None if p.weight_norm is None else round(p.weight_norm, 3),
             "status": p.status.value, "seconds": round(p.seconds, 2)}
            for p in sorted(results, key=lambda p: p.value)]


def interpret(results: Sequence[SweepPoint], parameter: str, epochs: int | None = None) -> str:
    """A few plain sentences on what the sweep shows: the best value, and where the model
    over- or under-fits.

    The rules: the best point has the highest *validation* accuracy (the test set is kept
    for the final check, never for choosing); others within :data:`TIE` of it are named
    too, as such small differences are down to a handful of images. Training accuracy more than
    :data:`OVERFIT_GAP` above validation accuracy is overfitting. A point whose validation
    accuracy is :data:`LOW_ACCURACY_DROP` below the best, without such a gap, fits its own
    training images badly too: underfitting (lambda too large, or a learning rate too small
    to get anywhere in a few epochs) or, for large learning rates, steps that overshoot.
    """
    _check_parameter(parameter)
    name = PARAMETERS[parameter]
    results = sorted(results, key=lambda p: p.value)
    ok = [p for p in results if p.finished]
    diverged = [p for p in results if p.status is RunStatus.DIVERGED]
    if not ok:
        return (f"No point finished: every {name} tried diverged." if diverged
                else "No point has finished yet.")
    sentences = (_compare(ok, parameter, epochs) if len(ok) > 1 else [
        f"Only {name} = {format_value(ok[0].value)} finished: {ok[0].train_acc:.1%} train / "
        f"{ok[0].valid_acc:.1%} validation accuracy. It takes two values to compare."])
    if diverged:
        which = ", ".join(format_value(p.value) for p in diverged)
        sentences.append(f"{name.capitalize()} {which} diverged (the loss blew up), so it has "
                         "no accuracy.")
    return " ".join(sentences)


def _compare(ok: list[SweepPoint], parameter: str, epochs: int | None) -> list[str]:
    """The sentences of :func:`interpret` for two finished points or more (sorted by value)."""
    name = PARAMETERS[parameter]
    best = max(ok, key=lambda p: p.valid_acc)
    tied = [p for p in ok if p is not best and best.valid_acc - p.valid_acc <= TIE]
    also = (f" ({' and '.join(format_value(p.value) for p in tied)} "
            f"{'is' if len(tied) == 1 else 'are'} within {TIE:.1%} of it)" if tied else "")
    sentences = [f"The best validation accuracy, {best.valid_acc:.1%}, came with "
                 f"{name} = {format_value(best.value)}{also}."]
    over = [p for p in ok if p.train_acc - p.valid_acc > OVERFIT_GAP]
    low = [p for p in ok if best.valid_acc - p.valid_acc > LOW_ACCURACY_DROP and p not in over]
    left = [p for p in low if p.value < best.value]
    right = [p for p in low if p.value > best.value]

    def span(ps: list[SweepPoint]) -> str:  # "0.001 to 0.01", or "5" for one point
        return " to ".join(dict.fromkeys(format_value(ps[i].value) for i in (0, -1)))

    def accs(p: SweepPoint) -> str:
        return f"{p.train_acc:.1%} train / {p.valid_acc:.1%} validation"

    if over:
        worst = max(over, key=lambda p: p.train_acc - p.valid_acc)
        sentences.append(f"At {name} = {format_value(worst.value)} training accuracy is "
                         f"{worst.train_acc - worst.valid_acc:.1%} above validation accuracy: "
                         "overfitting.")
    if parameter == "l2":
        if right:
            sentences.append(f"From {name} = {format_value(right[0].value)} up, training and "
                             f"validation accuracy fall together (down to {accs(right[-1])}) "
                             "while the weights shrink: too much regularisation, the model "
                             "underfits.")
        if not over:
            gap = max(abs(p.train_acc - p.valid_acc) for p in ok)
            sentences.append(f"Training and validation accuracy stay within {gap:.1%} of each "
                             f"other at every {name}: with 7,850 weights for 50,000 images this "
                             "model hardly overfits, so a small lambda changes little.")
    else:
        during = f" in {epochs} epochs" if epochs else ""
        if left:
            sentences.append(f"With {name} {span(left)} the steps are too small to get far"
                             f"{during} (down to {accs(left[0])}): underfitting.")
        if right:
            worst = min(right, key=lambda p: p.valid_acc)
            sentences.append(f"With {name} {span(right)} the steps overshoot and accuracy "
                             f"suffers (down to {accs(worst)}).")
    return sentences
