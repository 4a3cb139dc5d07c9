"""Text alternatives that teach: what a sighted student sees in a digit, a weight template, a
"why" map or a chart, said in words (for screen readers, as ``alt`` text and as a short
summary under each chart), and each chart's numbers as table rows.

Every summary is a :class:`core.i18n.Msg`, translated where it is shown; every table takes
``tr`` (core.i18n) for its column names. Pure functions of NumPy data, tested without a UI.

Pictures are described by *where* their ink or weight lies: the 28x28 frame is cut into
3x3 regions (top left ... bottom right), and a map names the region whose pixels add most
for (and most against) a class, the way a student would point at it.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

from core.i18n import ENGLISH, Msg, Translator

REGIONS = ((Msg("top left"), Msg("top"), Msg("top right")),
           (Msg("left"), Msg("centre"), Msg("right")),
           (Msg("bottom left"), Msg("bottom"), Msg("bottom right")))
SEEN = Msg("your digit as the model sees it")  # the Draw page's 28x28 image, in drawing_alt
MISTAKES_LISTED = 3  # the confusion matrix's summary names its three most common mistakes


def strongest_regions(image: np.ndarray) -> tuple[Msg, Msg]:
    """(where a map adds most, where it adds least): the regions, of the 3x3 around the
    digit, holding the largest and the smallest sum over a small square (5x5 pixels on the
    28x28 frame). ``image`` is (side, side) or flat (side * side,), e.g. a class's 784
    weights or a why map. Only the middle of the frame counts, the 20x20 box where MNIST's
    ink lies (its edge pixels, never inked, keep weights that no digit ever uses)."""
    from scipy.ndimage import uniform_filter  # noqa: PLC0415 (only pages that describe pay it)

    values = np.asarray(image, dtype=np.float64)
    side = math.isqrt(values.size)
    if side * side != values.size or side < 7:
        raise ValueError(f"a square picture of at least 7x7 values is needed, got {values.size}")
    margin = side // 7  # 4 on MNIST's 28: the 20x20 box
    box = np.nan_to_num(values.reshape(side, side)[margin:side - margin, margin:side - margin],
                        nan=0.0, posinf=0.0, neginf=0.0)
    sums = uniform_filter(box, size=max(3, side // 6 | 1), mode="constant")
    third = box.shape[0] / 3
    at = [np.unravel_index(f(sums), sums.shape) for f in (np.argmax, np.argmin)]
    return tuple(REGIONS[int(r // third)][int(c // third)] for r, c in at)


# --------------------------------------------------------------------------- pictures


def digit_alt(index: int, true_name: str, pred_name: str, confidence: float) -> Msg:
    """A test digit as the Results page shows it: "test digit 1,234: true 7, predicted 2,
    wrong, 81% sure" (``confidence``: the probability of the predicted class)."""
    verdict = Msg("right") if true_name == pred_name else Msg("wrong")
    return Msg("test digit {i:,}: true {true}, predicted {pred}, {verdict}, {p:.0%} sure",
               i=int(index), true=true_name, pred=pred_name, verdict=verdict, p=confidence)


def drawing_alt(step: str, pred_name: str, confidence: float) -> Msg:
    """A drawing at one preprocessing step (``step``, already a title) and what the model
    reads in it: "4. centred by mass (MNIST): read as 7, 93% sure"."""
    return Msg("{step}: read as {pred}, {p:.0%} sure", step=step, pred=pred_name, p=confidence)


def weights_alt(name: str, weights: np.ndarray) -> Msg:
    """One class's column of W as the 28x28 template the Weights page draws: "weights for
    class 3: ink in the centre votes most for it, ink in the left most against it; weights
    from -0.52 to +0.61"."""
    w = np.asarray(weights, dtype=np.float64)
    pro, contra = strongest_regions(w)
    finite = w[np.isfinite(w)]
    low, high = (float(finite.min()), float(finite.max())) if finite.size else (0.0, 0.0)
    return Msg("weights for class {name}: ink in the {pro} votes most for it, ink in the "
               "{contra} most against it; weights from {low:+.2f} to {high:+.2f}",
               name=name, pro=pro, contra=contra, low=low, high=high)


def why_alt(contributions: np.ndarray, p_name: str, q_name: str) -> Msg:
    """A "why p and not q" map (pixel x (W[:, p] - W[:, q])): where the ink speaks most for
    p (red) and most for q (blue), and the total."""
    c = np.asarray(contributions, dtype=np.float64)
    for_p, for_q = strongest_regions(c)
    return Msg("map of why {p} and not {q}: the ink that votes most for {p} (red) is in the "
               "{for_p}, for {q} (blue) in the {for_q}; the pixels add up to {total:+.2f} "
               "towards {p}", p=p_name, q=q_name, for_p=for_p, for_q=for_q,
               total=float(np.nansum(c)))


# --------------------------------------------------------------------------- charts


def _finite(pairs):
    return [(x, y) for x, y in pairs if y is not None and math.isfinite(y)]


def curves_summary(history: Sequence) -> Msg:
    """The training curves in a sentence: "validation accuracy rose from 89.4% to 92.3%
    over 20 epochs, best at epoch 18; validation loss went from 0.395 to 0.282". ``history``
    holds core.run_state.EpochMetrics (or anything with epoch, valid_acc, valid_loss)."""
    acc = _finite((m.epoch, m.valid_acc) for m in history)
    loss = _finite((m.epoch, m.valid_loss) for m in history)
    if not history:
        return Msg("No epoch has finished yet: the curves appear after the first one.")
    if not acc:
        return Msg("{n} epochs, and no finite validation accuracy (the run diverged).",
                   n=len(history))
    a0, a1 = acc[0][1], acc[-1][1]
    best_epoch, best = max(acc, key=lambda pair: pair[1])
    trend = Msg("rose") if a1 > a0 else Msg("fell") if a1 < a0 else Msg("went")
    text = Msg("validation accuracy {trend} from {first:.1%} to {last:.1%} over {n} epochs, "
               "best {best:.1%} at epoch {epoch}", trend=trend, first=a0, last=a1,
               n=len(history), best=best, epoch=best_epoch)
    if len(loss) >= 2:
        return Msg("{text}; validation loss went from {first:.3f} to {last:.3f}", text=text,
                   first=loss[0][1], last=loss[-1][1])
    return text


def curves_table(history: Sequence, tr: Translator = ENGLISH) -> list[dict]:
    """One row per epoch: the four numbers the curves draw, and the learning rate."""
    return [{tr("epoch"): m.epoch, tr("train loss"): _number(m.train_loss),
             tr("validation loss"): _number(m.valid_loss),
             tr("train accuracy"): _number(m.train_acc),
             tr("validation accuracy"): _number(m.valid_acc),
             tr("learning rate"): m.learning_rate} for m in history]


def _number(value) -> float | None:
    """A finite float, or None (a table's empty cell) for NaN and infinities."""
    return float(value) if value is not None and math.isfinite(value) else None


def probability_summary(proba: np.ndarray, class_names: Sequence[str],
                        true_class: int | None = None) -> Msg:
    """The three most probable classes: "most likely 7 (81%), then 2 (12%) and 9 (3%)",
    and the true class when given: "; the true class is 2"."""
    p = np.asarray(proba, dtype=np.float64)
    top = [int(k) for k in np.argsort(-p, kind="stable")[:3]]
    text = Msg("most likely {first} ({p1:.0%}), then {second} ({p2:.0%}) and {third} "
               "({p3:.0%})", first=class_names[top[0]], p1=p[top[0]],
               second=class_names[top[1 % len(top)]], p2=p[top[1 % len(top)]],
               third=class_names[top[2 % len(top)]], p3=p[top[2 % len(top)]])
    if true_class is None:
        return text
    verdict = Msg("right") if int(true_class) == top[0] else Msg("wrong")
    return Msg("{text}; the true class is {true}: {verdict}", text=text,
               true=class_names[int(true_class)], verdict=verdict)


def probability_table(proba: np.ndarray, class_names: Sequence[str],
                      tr: Translator = ENGLISH) -> list[dict]:
    """One row per class: its probability."""
    return [{tr("class"): name, tr("probability"): float(p)}
            for name, p in zip(class_names, np.asarray(proba, dtype=np.float64), strict=True)]


def confusion_summary(cm: np.ndarray, class_names: Sequence[str]) -> Msg:
    """The confusion matrix in a sentence: how many lie on the diagonal (read right) and the
    most common mistakes: "9,252 of 10,000 test digits read right; most common mistakes:
    4 read as 9 (42 times), 7 read as 2 (31 times), 5 read as 3 (29 times)"."""
    cm = np.asarray(cm)
    off = cm - np.diag(np.diag(cm))
    order = np.argsort(-off, axis=None, kind="stable")[:MISTAKES_LISTED]
    mistakes = [Msg("{true} read as {pred} ({n} times)", true=class_names[t],
                    pred=class_names[p], n=int(off[t, p]))
                for t, p in (np.unravel_index(i, cm.shape) for i in order) if off[t, p]]
    right = Msg("{right:,} of {n:,} test digits read right", right=int(np.trace(cm)),
                n=int(cm.sum()))
    if not mistakes:
        return right
    return Msg("{right}; most common mistakes: {mistakes}", right=right,
               mistakes=listed(mistakes))


def confusion_table(cm: np.ndarray, class_names: Sequence[str],
                    tr: Translator = ENGLISH) -> list[dict]:
    """One row per true class: how many of its test digits each class was predicted as."""
    cm = np.asarray(cm)
    return [{tr("true class"): name, **{tr("predicted {pred}", pred=p): int(n)
                                        for p, n in zip(class_names, row, strict=True)}}
            for name, row in zip(class_names, cm, strict=True)]


def per_class_summary(per_class: np.ndarray, class_names: Sequence[str]) -> Msg:
    """"accuracy per class from 86.0% (class 5) to 98.9% (class 1)"."""
    acc = np.asarray(per_class, dtype=np.float64)
    worst, best = int(np.nanargmin(acc)), int(np.nanargmax(acc))
    return Msg("accuracy per class from {low:.1%} (class {worst}) to {high:.1%} (class {best})",
               low=acc[worst], worst=class_names[worst], high=acc[best], best=class_names[best])


def per_class_table(per_class: np.ndarray, class_names: Sequence[str],
                    tr: Translator = ENGLISH) -> list[dict]:
    return [{tr("class"): name, tr("accuracy"): _number(a)}
            for name, a in zip(class_names, np.asarray(per_class, dtype=np.float64), strict=True)]


def weights_table(W: np.ndarray, class_names: Sequence[str],
                  tr: Translator = ENGLISH) -> list[dict]:
    """One row per class's template: where it votes most for and against, its extremes and
    its norm (W: (784, K))."""
    W = np.asarray(W, dtype=np.float64)
    rows = []
    for k, name in enumerate(class_names):
        pro, contra = strongest_regions(W[:, k])
        rows.append({tr("class"): name, tr("most for it"): tr(pro),
                     tr("most against it"): tr(contra), tr("lowest weight"): _number(
                         np.nanmin(W[:, k])), tr("highest weight"): _number(np.nanmax(W[:, k])),
                     tr("norm"): _number(np.linalg.norm(np.nan_to_num(W[:, k])))})
    return rows


def norms_summary(norms: Sequence[tuple[int, float]]) -> Msg:
    """The weight norm over the epochs: "the weight norm ||W|| went from 0.00 at epoch 0 to
    11.42 at epoch 20"."""
    points = _finite(norms)
    if not points:
        return Msg("No weight norm recorded yet.")
    (e0, n0), (e1, n1) = points[0], points[-1]
    return Msg("the weight norm ||W|| went from {first:.2f} at epoch {e0} to {last:.2f} at epoch "
               "{e1}", first=n0, e0=e0, last=n1, e1=e1)


def norms_table(norms: Sequence[tuple[int, float]], tr: Translator = ENGLISH) -> list[dict]:
    return [{tr("epoch"): e, tr("norm"): _number(n)} for e, n in norms]


def sweep_summary(results: Sequence, value_text) -> Msg:
    """A sweep in a sentence: "best validation accuracy 92.1% at 0.0001; 1 of 5 values
    diverged". ``results`` are core.sweep.SweepPoint; ``value_text`` formats a value."""
    finished = [p for p in results if p.valid_acc is not None and math.isfinite(p.valid_acc)]
    if not results:
        return Msg("No value trained yet.")
    diverged = len(results) - len(finished)
    if not finished:
        return Msg("All {n} values diverged.", n=len(results))
    best = max(finished, key=lambda p: p.valid_acc)
    return Msg("best validation accuracy {acc:.1%} at {value} (test {test}); {diverged} of "
               "{n} values diverged", acc=best.valid_acc, value=value_text(best.value),
               test="-" if best.test_acc is None else f"{best.test_acc:.1%}",
               diverged=diverged, n=len(results))


def sweep_table(results: Sequence, value_text, tr: Translator = ENGLISH) -> list[dict]:
    return [{tr("value"): value_text(p.value), tr("train accuracy"): _number(p.train_acc),
             tr("validation accuracy"): _number(p.valid_acc),
             tr("test accuracy"): _number(p.test_acc), tr("norm"): _number(p.weight_norm)}
            for p in results]


def listed(parts: Sequence[Msg]) -> Msg:
    """Messages as one list, each translated where shown: "a, b, c" ("a、b、c" in Japanese)."""
    if len(parts) == 1:
        return parts[0]
    return Msg("{first}, {rest}", first=parts[0], rest=listed(parts[1:]))


def epoch_announcement(history: Sequence, target: int, status: Msg) -> Msg:
    """What the live region says about a run: "Epoch 3 of 20 finished: validation accuracy
    91.2%. Training running." (``status``: core.run_state.STATUS_WORDS of the run)."""
    if not history:
        return Msg("No epoch finished yet. Training {status}.", status=status)
    last = history[-1]
    acc = f"{last.valid_acc:.1%}" if math.isfinite(last.valid_acc) else "-"
    return Msg("Epoch {n} of {total} finished: validation accuracy {acc}. Training {status}.",
               n=last.epoch, total=target, acc=acc, status=status)


def weights_summary(W: np.ndarray, class_names: Sequence[str], each: bool = False) -> Msg:
    """The whole grid of templates in a sentence: "10 weight templates, one per class,
    weights from -1.01 to +0.91"; with ``each``, followed by every template's
    :func:`weights_alt` (the chart's text alternative)."""
    W = np.asarray(W, dtype=np.float64)
    finite = W[np.isfinite(W)]
    low, high = (float(finite.min()), float(finite.max())) if finite.size else (0.0, 0.0)
    text = Msg("{n} weight templates, one per class, weights from {low:+.2f} to {high:+.2f}",
               n=len(class_names), low=low, high=high)
    if not each:
        return text
    return Msg("{text}: {each}", text=text, each=listed(
        [weights_alt(name, W[:, k]) for k, name in enumerate(class_names)]))


def class_drawing_alt(true_name: str, pred_name: str, confidence: float | None = None) -> Msg:
    """A drawing of the class's set: "a class drawing labelled 7, read as 2: wrong (81% sure)"."""
    verdict = Msg("right") if true_name == pred_name else Msg("wrong")
    if confidence is None:
        return Msg("a class drawing labelled {true}, read as {pred}: {verdict}", true=true_name,
                   pred=pred_name, verdict=verdict)
    return Msg("a class drawing labelled {true}, read as {pred}: {verdict} ({p:.0%} sure)",
               true=true_name, pred=pred_name, verdict=verdict, p=confidence)


def board_alt(test_accuracies: Sequence[float | None]) -> Msg:
    """The class board's scatter: "the class board: 12 shared runs, test accuracy from 12.1%
    to 92.4%; the table below lists them"."""
    scores = [a for a in test_accuracies if a is not None and math.isfinite(a)]
    if not scores:
        return Msg("the class board: {n} shared runs, none scored yet",
                   n=len(test_accuracies))
    return Msg("the class board: {n} shared runs, test accuracy from {low:.1%} to {high:.1%}; "
               "the table below lists them", n=len(test_accuracies), low=min(scores),
               high=max(scores))
