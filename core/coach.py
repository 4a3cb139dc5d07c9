"""The judgements made about a training run after each epoch, and what to tell the user.

Three questions, each a small function of plain numbers (no run, no weights):

- :func:`divergence`: did the run diverge? A loss or a weight became NaN or infinite, or
  the validation loss grew well beyond where the run started (by more than a quarter of
  ln K, 0.58 for ten classes; ln K is the loss of a uniform guess over K classes) or
  beyond its best (by more than half of ln K, 1.15). A run that diverged is stopped and
  rolled back to its best epoch.
- :func:`rising`: the coach (dashboard only): did the validation loss rise RISING_EPOCHS
  epochs in a row, to RISING_MARGIN above its best? The run is paused and rolled back.
- :func:`slow_hint`: did the first epoch take less than SLOW_DROP off the starting loss?
  Nothing went wrong, so nothing is rolled back; the user is told why it may be slow.

A :class:`Verdict` carries the message and, where one helps, a lower learning rate to try.
Messages are :class:`core.i18n.Msg`: English here, translated where they are shown.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from itertools import pairwise
from typing import TYPE_CHECKING

from core.config import LEARNING_RATE_RANGE
from core.i18n import Msg

if TYPE_CHECKING:
    from core.run_state import EpochMetrics

RISING_EPOCHS = 3  # the validation loss rose this many epochs in a row ...
RISING_MARGIN = 1.10  # ... and ended 10 % above its best: the coach steps in
DIVERGED_ABOVE_START = 0.25  # diverged: the loss this fraction of ln K above the start ...
DIVERGED_ABOVE_BEST = 0.5  # ... or this fraction of ln K above its best
SLOW_DROP = 0.10  # learning slowly: epoch 1 took less than 10 % off the starting loss


@dataclass(frozen=True)
class Verdict:
    """What to tell the user about a run that went wrong, and the learning rate to suggest
    (None: lowering it would not help, or the settings allow nothing lower)."""

    message: Msg
    suggested_learning_rate: float | None = None


def lower_rate(lr: float) -> float | None:
    """lr / 10 if the settings allow it."""
    return lr / 10 if lr / 10 >= LEARNING_RATE_RANGE[0] else None


def divergence(m: EpochMetrics, weights_finite: bool, start_loss: float, best_loss: float,
               best_epoch: int, n_classes: int) -> Verdict | None:
    """None if the epoch that ``m`` describes is healthy, else why the run diverged and what
    to try.

    Diverged: a loss or a weight became NaN or infinite, or the validation loss grew well
    beyond where the run started (``start_loss``: by more than a quarter of ln K; training
    made the model clearly worse than its starting weights) or beyond the best it had
    reached (``best_loss``, in ``best_epoch``: by more than half of ln K, far more than the
    epoch-to-epoch jumps of a run that learns, even with steps too large). A run that learns
    slowly never rises, so it never trips this. The caller puts the weights back to the best
    epoch.
    """
    ln_k = math.log(n_classes)
    from_start = start_loss + DIVERGED_ABOVE_START * ln_k
    from_best = best_loss + DIVERGED_ABOVE_BEST * ln_k
    finite = math.isfinite(m.train_loss) and math.isfinite(m.valid_loss) and weights_finite
    if finite and m.valid_loss <= min(from_start, from_best):
        return None
    above = (Msg("where it started, {loss:.2f}", loss=start_loss) if from_start <= from_best
             else Msg("its best, {loss:.2f}", loss=best_loss))
    what = Msg("became NaN or infinite") if not finite else Msg(
        "rose to {loss:.2f}, well above {above}", loss=m.valid_loss, above=above)
    kept = (Msg("epoch {epoch}, the best so far", epoch=best_epoch) if best_epoch
            else Msg("the initial weights"))
    advice, suggested = _divergence_advice(m.learning_rate, m.l2)
    return Verdict(Msg("Training diverged in epoch {epoch}: the validation loss {what}. "
                       "{advice} The weights were put back to {kept}.", epoch=m.epoch,
                       what=what, advice=advice, kept=kept), suggested)


def _divergence_advice(lr: float, l2: float) -> tuple[Msg, float | None]:
    """Why steps of ``lr`` with lambda ``l2`` blow up, and a learning rate to try."""
    if lr * l2 >= 1:
        return (Msg("learning rate x lambda = {product:g} is 1 or more, so the L2 term alone "
                    "flips and grows the weights at every step. Try lambda below {limit:g}.",
                    product=lr * l2, limit=1 / lr), None)
    lower = lower_rate(lr)
    if lower is None:
        return Msg("Even the smallest learning rate overshoots here."), None
    return Msg("The learning rate {lr:g} is too large: each step overshoots the minimum. "
               "Try a learning rate of {lower:g}.", lr=lr, lower=lower), lower


def rising(valid_losses: list[float], best_loss: float, best_epoch: int,
           learning_rate: float, raised_l2: float | None = None) -> Verdict | None:
    """The coach: None, or why to pause a run whose validation losses (one per epoch so
    far) rose RISING_EPOCHS epochs in a row and now stand RISING_MARGIN above the best,
    ``best_loss`` in ``best_epoch``. The caller pauses and rolls back to the best epoch.

    ``raised_l2``: lambda, if it was raised during the epochs that rose. Then the rise is
    the stronger penalty pulling the weights towards 0 (underfitting), not steps that
    overshoot, and the advice is about lambda, with no retry at a lower learning rate."""
    recent = valid_losses[-(RISING_EPOCHS + 1):]
    if len(recent) <= RISING_EPOCHS or not all(b > a for a, b in pairwise(recent)):
        return None
    if recent[-1] < RISING_MARGIN * best_loss:
        return None
    rose = Msg("Paused: the validation loss rose {n} epochs in a row, to {loss:.3f} from its "
               "best {best:.3f} in epoch {epoch}", n=RISING_EPOCHS, loss=recent[-1],
               best=best_loss, epoch=best_epoch)
    if raised_l2 is not None:
        return Verdict(Msg("{rose}, after lambda was raised to {l2:g}: a stronger L2 penalty "
                           "pulls every weight towards 0, so the model fits the data less well "
                           "(underfitting). The weights were put back to epoch {epoch}. Resume "
                           "anyway, or lower lambda.", rose=rose, l2=raised_l2, epoch=best_epoch))
    lower = lower_rate(learning_rate)
    retry = Msg(", or retry with learning rate {lr:g}", lr=lower) if lower else ""
    return Verdict(Msg("{rose}; with learning rate {lr:g} the steps overshoot. The weights were "
                       "put back to epoch {epoch}. Resume anyway{retry}.", rose=rose,
                       lr=learning_rate, epoch=best_epoch, retry=retry), lower)


def slow_hint(start_loss: float, valid_loss: float, learning_rate: float, n_batches: int,
              batch_size: int) -> Msg | str:
    """After the first epoch of a run from scratch (validation loss ``start_loss`` before
    it, ``valid_loss`` after): "" if it took at least SLOW_DROP off, else why it may be slow
    (never a rollback: nothing went wrong). A loss that rose after many updates is not slow
    learning but too large a step (:func:`divergence`'s and :func:`rising`'s question): no
    hint then; after a few updates it is, and the hint says the loss rose."""
    few = n_batches < 100
    rose = valid_loss >= start_loss
    if start_loss - valid_loss >= SLOW_DROP * start_loss or (rose and not few):
        return ""
    higher = learning_rate * 10
    small = higher <= LEARNING_RATE_RANGE[1] and learning_rate < 0.05
    updates = Msg("{n:,} updates", n=n_batches) if n_batches > 1 else Msg("one update")
    few_updates = Msg("Only {updates} per epoch (batch {batch:,}): a smaller batch takes more "
                      "steps.", updates=updates, batch=batch_size)
    small_rate = Msg("The learning rate {lr:g} may be too small: try {higher:g}.",
                     lr=learning_rate, higher=higher)
    advice = (Msg("{first} Or: {second}", first=few_updates, second=small_rate) if few and small
              else few_updates if few else small_rate if small else Msg("More epochs will help."))
    if rose:
        return Msg("Learning slowly: after epoch 1 the validation loss went from {start:.3f} "
                   "to {now:.3f}. {advice}", start=start_loss, now=valid_loss, advice=advice)
    return Msg("Learning slowly: after epoch 1 the validation loss only fell from {start:.3f} to "
               "{now:.3f}. {advice}", start=start_loss, now=valid_loss, advice=advice)
