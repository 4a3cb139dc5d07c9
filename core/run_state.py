"""The words a training run is described in, shared by the trainer, the coach, the jobs
and the pages: its status, what one epoch did, and a setting changed mid-run.

It sits below :mod:`core.train` and :mod:`core.coach` (which judge epochs without importing
the trainer), and imports nothing of the project but :mod:`core.i18n`.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

from core.i18n import Msg


class RunStatus(enum.StrEnum):
    """Where a run is: READY (made, not started), RUNNING, PAUSED (holding between two
    batches), STOPPED (ended early, the last full epoch kept), FINISHED, DIVERGED."""

    READY = "ready"
    RUNNING = "running"
    PAUSED = "paused"
    STOPPED = "stopped"
    FINISHED = "finished"
    DIVERGED = "diverged"


# a run's status in words, translated where it is shown (core.i18n)
STATUS_WORDS = {RunStatus.READY: Msg("ready"), RunStatus.RUNNING: Msg("running"),
                RunStatus.PAUSED: Msg("paused"), RunStatus.STOPPED: Msg("stopped"),
                RunStatus.FINISHED: Msg("finished"), RunStatus.DIVERGED: Msg("diverged")}


@dataclass(frozen=True)
class EpochMetrics:
    """What one epoch did. Train loss / accuracy are averaged over the epoch's batches (each
    batch scored just before its own update); valid loss / accuracy use the weights at the
    end of the epoch. Losses are the mean cross-entropy, without the L2 term."""

    epoch: int
    train_loss: float
    train_acc: float
    valid_loss: float
    valid_acc: float
    learning_rate: float
    seconds: float
    l2: float = 0.0


@dataclass(frozen=True)
class SettingChange:
    """A setting changed during a run: ``setting`` ("learning_rate" or "l2") took ``value``
    from ``at`` on, in epochs (2.5 = half-way through epoch 3)."""

    at: float
    setting: str
    value: float
