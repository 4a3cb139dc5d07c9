"""What a UI steers a training run with from another thread: its status and messages, and
pause, resume and stop, which take effect between two blocks of SGD steps.

:class:`RunControls` is the part of :class:`core.train.TrainingRun` that knows nothing of
the maths: the trainer calls :meth:`RunControls._wait_while_paused` before each block of
steps, and a page's thread calls :meth:`~RunControls.pause`, :meth:`~RunControls.resume`
and :meth:`~RunControls.stop`. Two ``threading.Event`` s carry the signals: ``_running`` is
cleared while paused (the trainer waits on it), and ``held`` is set while the trainer
actually waits, so a test or a page can tell "asked to pause" from "paused".
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

from core.run_state import RunStatus


class RunControls:
    """The state a UI reads and steers: :attr:`status`, :attr:`message` (why it stopped or
    paused), :attr:`hint` (advice for a run that goes on), progress through the epoch
    (:attr:`batches_done`), and the pause / stop signals."""

    def __init__(self) -> None:
        self.status = RunStatus.READY
        self.message = ""
        self.hint = ""  # advice for a run that goes on (learning slowly), never a rollback
        self.suggested_learning_rate: float | None = None
        self.batches_done = 0
        self.epoch_started_at: float | None = None
        self._stop_requested = False
        self._stop_reason = ""
        self._running = threading.Event()
        self._running.set()
        self.held = threading.Event()  # set while the trainer waits between batches
        # what the trainer does around a pause (core.jobs: give its training slot back while
        # it waits, and queue for one again before it goes on; False: stopped meanwhile)
        self.on_hold: Callable[[], None] | None = None
        self.on_unhold: Callable[[], bool] | None = None
        self.held_seconds = 0.0  # how long the trainer has waited paused, in all

    @property
    def is_active(self) -> bool:
        return self.status in (RunStatus.RUNNING, RunStatus.PAUSED)

    def pause(self) -> None:
        """Hold training after the current batch until :meth:`resume` or :meth:`stop`."""
        self._running.clear()
        if self.status is RunStatus.RUNNING:
            self.status = RunStatus.PAUSED

    def resume(self) -> None:
        if self.status is RunStatus.PAUSED:
            self.status = RunStatus.RUNNING
            self.message = ""
        self._running.set()

    def stop(self, reason: str = "") -> None:
        """End the run after the current batch; the weights of the last full epoch are kept.
        ``reason`` (e.g. "the tab was closed") is shown in :attr:`message`."""
        self._stop_reason = reason
        self._stop_requested = True
        self._running.set()

    def _wait_while_paused(self) -> bool:
        """Block while paused; False means stop. Around the wait, :attr:`on_hold` and
        :attr:`on_unhold` (a paused run frees its training slot and queues for one again
        when resumed: the status is RUNNING again while it waits in that queue)."""
        if not self._running.is_set():
            since = time.perf_counter()
            self.status = RunStatus.PAUSED
            self.held.set()
            if self.on_hold is not None:
                self.on_hold()
            self._running.wait()
            self.held.clear()
            if not self._stop_requested:
                self.status = RunStatus.RUNNING
                if self.on_unhold is not None and not self.on_unhold():
                    self._stop_requested = True  # stopped while waiting for a slot
            self.held_seconds += time.perf_counter() - since
        return not self._stop_requested
