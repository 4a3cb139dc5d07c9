"""The "How it works" lesson as data: one :class:`Step` per step of the method, with its
words, its formula, the keys of its code (:func:`core.lesson.code_snippets`) and the live
values to show beside them, all computed from one :class:`~core.lesson.Walkthrough`.

The page lays every step out the same way (a bordered box: explanation, formula and code on
the left, live values on the right), so it needs one function and this list. Every number
in the words comes from the walkthrough, the dataset or the project's constants (the split,
its seed, the clip, the batch size), never typed by hand: Fashion-MNIST or any IDX folder
with other counts reads right.

Pure Python + NumPy (and plotly for the one figure): nothing here imports streamlit.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from core.config import TrainConfig
from core.data import IMAGE_SIDE, SPLIT_SEED
from core.describe import probability_summary
from core.figures import PROBABILITY_KEY, probability_figure
from core.i18n import ENGLISH, Msg, Translator
from core.lesson import FLOAT32_EXP_LIMIT, Walkthrough, overflow_demo
from core.model import LOG_CLIP

SHIFT = 100.0  # what step 6b adds to every logit to show exp() overflowing


# --------------------------------------------------------------------------- numbers as words


def fmt(v: float) -> str:
    """A number for a projector: whole numbers as such, else 4 decimals, or scientific
    notation when tiny or huge."""
    v = float(v)
    if not math.isfinite(v):
        return "NaN" if math.isnan(v) else ("inf" if v > 0 else "-inf")
    if v == int(v) and abs(v) < 1e5:
        return str(int(v))
    if 1e-3 <= abs(v) < 1e5:
        return f"{v:.4f}"
    return f"{v:.2e}"


_SUPERSCRIPT = str.maketrans("-0123456789", "⁻⁰¹²³⁴⁵⁶⁷⁸⁹")
_WORDS = (Msg("zero"), Msg("one"), Msg("two"), Msg("three"), Msg("four"), Msg("five"),
          Msg("six"), Msg("seven"), Msg("eight"), Msg("nine"), Msg("ten"), Msg("eleven"),
          Msg("twelve"))


def power_of_ten(v: float, latex: bool = False) -> str:
    """1e-10 as "10⁻¹⁰" (or "10^{-10}" for LaTeX); other numbers as ``f"{v:g}"``."""
    exponent = round(math.log10(v)) if v > 0 else 0
    if v <= 0 or not math.isclose(v, 10.0 ** exponent):
        return f"{v:g}"
    return f"10^{{{exponent}}}" if latex else "10" + str(exponent).translate(_SUPERSCRIPT)


def in_words(n: int) -> Msg | str:
    """Small counts as words, the way the lesson reads them ("ten numbers"; a Msg: "10" in
    Japanese)."""
    return _WORDS[n] if 0 <= n < len(_WORDS) else f"{n:,}"


# --------------------------------------------------------------------------- what a step shows


@dataclass(frozen=True)
class Markdown:
    """A paragraph (Markdown)."""

    text: str


@dataclass(frozen=True)
class Caption:
    """A small grey note."""

    text: str


@dataclass(frozen=True)
class Metric:
    """One big number with its label; ``delta`` is the small line under it."""

    label: str
    value: str
    delta: str | None = None
    delta_color: str = "normal"  # "inverse": a fall is good; "off": grey, no judgement
    delta_arrow: str = "auto"  # "off": no arrow
    verdict: bool | None = None  # if set, the right / wrong mark under the number


@dataclass(frozen=True)
class MetricRow:
    """Metrics side by side, one column each."""

    metrics: tuple[Metric, ...]


@dataclass(frozen=True)
class Table:
    """A small table given by its columns (label -> one cell per row, already formatted).
    ``highlight`` names the row to mark: the true class."""

    columns: Mapping[str, tuple[Any, ...]]
    index: tuple[str, ...]
    index_name: str | None = None
    highlight: str | None = None


@dataclass(frozen=True)
class Chart:
    """A plotly figure with its key (for tests and the browser), a caption under it and its
    text alternative ``alt`` (core.describe: what it shows, for a screen reader)."""

    figure: Any
    key: str
    caption: str = ""
    alt: str = ""


Block = Markdown | Caption | MetricRow | Table | Chart


@dataclass(frozen=True)
class Step:
    """One step of the lesson: the left of its box teaches, the right shows live values."""

    number: str  # "1" to "11", and "6b"
    title: str
    explanation: str  # Markdown
    latex: str
    code: str | None  # key of core.lesson.code_snippets(), None: no code
    captions: tuple[str, ...]  # one per snippet, before its name (may be fewer)
    live: tuple[Block, ...]


def per_class(w: Walkthrough, columns: Mapping[str, np.ndarray],
              tr: Translator = ENGLISH) -> Table:
    """One row per class, one column per quantity: read down to compare classes, across
    to follow one class through the step. The true class's row is highlighted."""
    return Table(columns={label: tuple(fmt(v) for v in values)
                          for label, values in columns.items()},
                 index=w.class_names, index_name=tr("class"), highlight=w.class_names[w.label])


# --------------------------------------------------------------------------- the steps


def _scale(w: Walkthrough, tr: Translator) -> Step:
    return Step(
        "1", tr("Load the pixels and scale them to 0-1"),
        tr("MNIST stores each pixel as one byte: **0 is black, 255 is full ink**. The model "
           "reads numbers from 0 to 1, so every pixel is divided by 255. Small inputs keep the "
           "scores, and the training steps, a sensible size."),
        r"x_i = \frac{\text{byte}_i}{255}, \qquad 0 \le x_i \le 1",
        "scale", (tr("Once per dataset, cached:"),),
        (Markdown(tr("Row {row} of this image (the row with the most ink), columns {first} to "
                     "{last}:", row=w.row, first=w.row_cols[0], last=w.row_cols[-1])),
         Table({str(c): (str(byte), f"{x:.2f}")
                for c, byte, x in zip(w.row_cols, w.row_raw, w.row_scaled, strict=True)},
               index=(tr("byte"), "÷ 255")),
         Markdown(tr("Bytes **{lo} to {hi}** become x **{x_lo:.1f} to {x_hi:.1f}**; **{ink}** of "
                     "the {n} pixels have ink.", lo=w.raw.min(), hi=w.raw.max(),
                     x_lo=w.x.min(), x_hi=w.x.max(), ink=w.n_ink, n=w.raw.size))))


def _flatten(w: Walkthrough, tr: Translator) -> Step:
    side, n = IMAGE_SIDE, w.x.size
    (r, col), i = w.pixel, w.pixel_index
    position = tr("position")
    return Step(
        "2", tr("Flatten the {side} x {side} grid into {n} numbers", side=side, n=n),
        tr("The model has no idea of rows and columns. The grid is read **row by row** into "
           "one list of {n} numbers: pixel (row r, column c) lands at position {side}r + c.",
           n=n, side=side),
        rf"\text{{{position}}} = {side}\,r + c, \qquad x \in \mathbb{{R}}^{{{n}}}",
        "flatten", (tr("When the data is loaded, for all images at once:"),),
        (MetricRow((Metric(tr("Shape"), f"{side} x {side} → {n}"),
                    Metric(tr("Pixel (row {r}, column {c})", r=r, c=col),
                           tr("position {i}", i=i)))),
         Markdown(tr("{side} · {r} + {c} = **{i}**, and x[{i}] = **{x:.4f}**: the same pixel, now "
                     "in a flat list. Moving the digit by one pixel would change which positions "
                     "have ink.", side=side, r=r, c=col, i=i, x=w.x[i]))))


def _onehot(w: Walkthrough, tr: Translator) -> Step:
    return Step(
        "3", tr("One-hot: the label as a vector"),
        tr("The label is a class number, here **{label}**. For the maths it becomes {count} "
           "numbers: **1 for the true class, 0 for the others**. Multiplying by a one-hot "
           "vector just picks one entry, so this project's trainer never builds it: it picks "
           "(or subtracts 1 at) the true class directly.", label=w.class_names[w.label],
           count=in_words(len(w.onehot))),
        r"t_k = \begin{cases} 1 & k = y \\ 0 & k \ne y \end{cases}",
        "onehot", (tr("The tutorial's way:"), tr("This project's way, in the gradient:")),
        (Table({name: (int(t),) for name, t in zip(w.class_names, w.onehot, strict=True)},
               index=("t",)),))


def _split(w: Walkthrough, tr: Translator) -> Step:
    train, valid, test = tr("train"), tr("validation"), tr("test")
    return Step(
        "4", tr("Split off a validation set"),
        tr("Of the {all:,} training images, {valid:,} are **held out at random** (fixed seed "
           "{seed}) to check the model while it trains. The {test:,} test images are used only "
           "at the end. A model is never scored on images it learnt from.",
           all=w.n_train + w.n_valid, valid=w.n_valid, seed=SPLIT_SEED, test=w.n_test),
        (rf"{w.n_train + w.n_valid:,} = \underbrace{{{w.n_train:,}}}_{{\text{{{train}}}}}"
         rf" + \underbrace{{{w.n_valid:,}}}_{{\text{{{valid}}}}}"
         rf"\qquad \underbrace{{{w.n_test:,}}}_{{\text{{{test}}}}}").replace(",", "{,}"),
        "split", (tr("The tutorial's way:"), tr("This project's way, the same numbers:")),
        (MetricRow((Metric(tr("Train"), f"{w.n_train:,}"),
                    Metric(tr("Validation"), f"{w.n_valid:,}"),
                    Metric(tr("Test"), f"{w.n_test:,}"))),))


def _linear(w: Walkthrough, tr: Translator) -> Step:
    n, k = w.x.size, len(w.class_names)
    top = int(np.argmax(w.logits))
    return Step(
        "5", tr("The linear model: one score per class"),
        tr("One weight per pixel and class, plus one bias per class: {n} x {k} + {k} = "
           "**{total:,} numbers**. The score (*logit*) of a class adds up the pixels, each times "
           "its weight for that class. Ink where a class's weights are positive raises its "
           "score.", n=n, k=k, total=w.n_parameters),
        rf"z = xW + b, \qquad z_k = \sum_{{i=1}}^{{{n}}} x_i\,W_{{ik}} + b_k",
        "linear", (),
        (per_class(w, {tr("z (logits)"): w.logits}, tr),
         Markdown(tr("The highest score is **{z}**, for class **{name}**. Scores can be any "
                     "number, negative too. They are not probabilities yet.",
                     z=fmt(w.logits[top]), name=w.class_names[top]))))


def _softmax(w: Walkthrough, tr: Translator) -> Step:
    return Step(
        "6", tr("Softmax: scores become probabilities"),
        tr("Softmax turns the scores into probabilities: all positive, summing to 1, the "
           "highest score gets the highest probability. **First the largest score m is "
           "subtracted from every score.** On paper that changes nothing ($e^{{-m}}$ cancels "
           "above and below the line), but it keeps exp() from overflowing.",
           m="m"),  # a field given, so that {{-m}} is formatted to {-m}
        r"p_k = \frac{e^{z_k}}{\sum_j e^{z_j}} = \frac{e^{z_k - m}}{\sum_j e^{z_j - m}},"
        r"\qquad m = \max_j z_j",
        "softmax", (),
        (per_class(w, {"z": w.logits, "z − max": w.shifted, "exp(z − max)": w.exp_shifted,
                       "p": w.proba}, tr),
         Markdown(tr("The exponentials add up to **{total}**; dividing by that sum gives p, "
                     "which adds up to **{p_sum:.4f}**.", total=fmt(w.exp_shifted.sum()),
                     p_sum=w.proba.sum())),
         Chart(probability_figure(w.proba, w.class_names, w.label, tr=tr), "lesson-proba",
               tr(PROBABILITY_KEY), tr(probability_summary(w.proba, w.class_names, w.label)))))


def _overflow(w: Walkthrough, tr: Translator) -> Step:
    demo, s = overflow_demo(w.logits, shift=SHIFT), f"{SHIFT:g}"
    but = tr("but")
    return Step(
        "6b", tr("Why subtract the maximum?"),
        tr("Add {s} to every score. The probabilities must not change. But the model computes "
           "in float32, where exp() overflows above **{limit:.1f}**: exp(z + {s}) is infinity, "
           "and infinity / infinity is NaN, *not a number*. Subtracting the maximum first "
           "makes the largest exponent e⁰ = 1, so nothing overflows.", s=s,
           limit=FLOAT32_EXP_LIMIT),
        rf"\frac{{e^{{z_k + {s}}}}}{{\sum_j e^{{z_j + {s}}}}} = \frac{{\infty}}{{\infty}}"
        rf" = \text{{NaN}} \qquad\text{{{but}}}\qquad e^{{(z_k + {s}) - (m + {s})}} \le 1",
        None, (),
        (per_class(w, {f"z + {s}": demo.big, f"exp(z + {s})": demo.naive_exp,
                       tr("naive p"): demo.naive, tr("stable p"): demo.stable}, tr),
         *([Markdown(tr("The naive formula gives **NaN**; the stable one gives the same "
                        "probabilities as above."))] if demo.naive_failed else [])))


def _cross_entropy(w: Walkthrough, tr: Translator) -> Step:
    clip = power_of_ten(LOG_CLIP)
    return Step(
        "7", tr("Cross-entropy, with a clipped log"),
        tr("The loss measures how surprised the model is by the true answer: **minus the log "
           "of the probability it gave the true class**. p = 1 costs 0, p = 0.5 costs "
           "{half:.2f}, p near 0 costs a lot. log(0) is minus infinity, so p is **clipped at "
           "{clip}** first: one image never costs more than {most:.2f}.", half=-math.log(0.5),
           clip=clip, most=-math.log(LOG_CLIP)),
        r"L_{\text{CE}} = -\sum_k t_k \log p_k = -\log \max\left(p_y,\ "
        + power_of_ten(LOG_CLIP, latex=True) + r"\right)",
        "cross_entropy", (),
        (MetricRow((Metric(tr("p of the true class {name}", name=w.class_names[w.label]),
                           fmt(w.p_true)),
                    Metric(tr("Cross-entropy"), fmt(w.cross_entropy)))),
         Markdown(f"−log({fmt(w.p_true)}) = **{fmt(w.cross_entropy)}**. " + (
             tr("The clip decided this loss: p was below {clip}.", clip=clip) if w.clipped else
             tr("The clip did not matter here: p is above {clip}.", clip=clip)))))


def _l2(w: Walkthrough, tr: Translator) -> Step:
    return Step(
        "8", tr("The L2 term: a penalty on big weights"),
        tr("A small extra cost: **λ/2 times the sum of all squared weights**. It pulls weights "
           "towards 0, so the model does not lean too hard on single pixels. The biases are "
           "not penalised."),
        r"L = L_{\text{CE}} + \frac{\lambda}{2}\,\lVert W \rVert^2"
        r" = L_{\text{CE}} + \frac{\lambda}{2}\sum_{i,k} W_{ik}^2",
        "l2", (),
        (MetricRow((Metric(tr("λ (this model's)"), f"{w.l2:g}"),
                    Metric("‖W‖²", fmt(w.w_squared)))),
         MetricRow((Metric("λ/2 · ‖W‖²", fmt(w.l2_term)),
                    Metric(tr("L for this image"), fmt(w.objective)))),
         Markdown(f"{fmt(w.cross_entropy)} + {fmt(w.l2_term)} = **{fmt(w.objective)}**.")))


def _gradient(w: Walkthrough, tr: Translator) -> Step:
    i = w.pixel_index
    return Step(
        "9", tr("The gradient: which way to move each weight"),
        tr("The derivative of the loss is surprisingly simple. At the scores it is **δ = p − "
           "t**, probability minus one-hot. The true class gets a negative δ (push its score "
           "up), the others a positive one (push down). Each weight's gradient is its pixel "
           "times δ, plus λW."),
        r"\delta = \frac{\partial L}{\partial z} = p - t, \qquad"
        r"\frac{\partial L}{\partial W} = x^{\top}\delta + \lambda W, \qquad"
        r"\frac{\partial L}{\partial b} = \delta",
        "gradient", (),
        (per_class(w, {"p": w.proba, "t": w.onehot, "δ = p − t": w.delta,
                       f"∂L/∂W[{i}]": w.dW[i]}, tr),
         Markdown(tr("The last column is one row of ∂L/∂W: pixel {i} from step 2 (x = {x:.4f}) "
                     "times δ, plus λW.", i=i, x=w.x[i])),
         Caption(tr("∂L/∂W has {n:,} numbers, one per weight; a blank pixel (x = 0) gets only "
                    "the small λW part.", n=w.dW.size))))


def _sgd(w: Walkthrough, tr: Translator) -> Step:
    ce, after = w.cross_entropy, w.cross_entropy_after
    return Step(
        "10", tr("The SGD update: a small step downhill"),
        tr("Move every weight a little **against its gradient**. The learning rate η sets the "
           "step size. Training does this for batches of images ({batch} with the tutorial's "
           "settings), averaging their gradients, hundreds of times per epoch. Here: one step "
           "on this one image alone, on a copy of the model.", batch=TrainConfig().batch_size),
        rf"W \leftarrow W - \eta\,\frac{{\partial L}}{{\partial W}}, \qquad "
        rf"b \leftarrow b - \eta\,\frac{{\partial L}}{{\partial b}}, \qquad "
        rf"\eta = {w.learning_rate:g}",
        "sgd", (tr("The tutorial's loop:"),
                tr("This project's trainer (the same step, arranged for speed):")),
        (MetricRow((Metric(tr("Cross-entropy after one step"), fmt(after),
                           tr("{change} (was {before})", change=fmt(after - ce), before=fmt(ce)),
                           delta_color="inverse"),
                    Metric(tr("p of the true class {name}", name=w.class_names[w.label]),
                           fmt(w.proba_after[w.label]), tr("was {before}", before=fmt(w.p_true)),
                           delta_color="off", delta_arrow="off"))),
         per_class(w, {tr("p before"): w.proba, tr("p after"): w.proba_after}, tr),
         Markdown(tr("One step on one image moves a lot: it would also undo part of what other "
                     "images taught. Averaging over a batch keeps each step balanced.")
                  if after < 0.5 * ce else
                  tr("The model was already sure of this image, so δ is tiny and the step hardly "
                     "changes anything: right, confident answers teach little. Try **Next "
                     "mistake** at the top."))))


def _evaluate(w: Walkthrough, tr: Translator) -> Step:
    accuracy = tr("accuracy")
    return Step(
        "11", tr("Evaluation: count the right answers"),
        tr("The prediction is the class with the highest probability. Run the model once over "
           "the **{n:,} test images** it never trained on, and count how many predictions are "
           "right.", n=w.n_test),
        r"\hat{y} = \arg\max_k\, p_k, \qquad"
        rf"\text{{{accuracy}}} = \frac{{1}}{{N}}\sum_{{n=1}}^{{N}} [\hat{{y}}_n = y_n]",
        "evaluate", (),
        (MetricRow((Metric(tr("This image: {name}", name=w.class_names[w.label]),
                           tr("predicted {name}", name=w.class_names[w.prediction]),
                           verdict=w.correct),
                    Metric(tr("Test accuracy"), f"{w.test_accuracy:.2%}",
                           tr("{wrong:,} of {n:,} wrong", wrong=w.n_test_wrong, n=w.n_test),
                           delta_color="off", delta_arrow="off"))),
         Markdown(tr("Mean test cross-entropy: **{loss}**. The Results page shows which test "
                     "images are wrong.", loss=fmt(w.test_loss)))))


STEPS: tuple[Callable[[Walkthrough, Translator], Step], ...] = (
    _scale, _flatten, _onehot, _split, _linear, _softmax, _overflow, _cross_entropy, _l2,
    _gradient, _sgd, _evaluate)


def lesson_steps(w: Walkthrough, tr: Translator = ENGLISH) -> tuple[Step, ...]:
    """Every step of the lesson, in order, for the image and model of ``w``, in the
    language of ``tr`` (core.i18n)."""
    return tuple(make(w, tr) for make in STEPS)
