"""How often the live parts of a page ask the server for a redraw: the one rule for the
Train page's live view and the sidebar's run status.

Every refresh is a script run the server does for one student, holding Python's lock for
a few milliseconds; forty students refreshing twice a second is eighty runs a second, and
they queue behind each other. So a page refreshes only as often as what it shows changes:

- a run that waits behind others in the queue shows only its place in the queue: every
  2 s (the first in line refreshes as if training: it starts any moment);
- a run that trains refreshes twice a second while the server is quiet (one run alone
  finishes an epoch in well under a second, so the curve grows smoothly), and once a
  second when the server is crowded (several runs training or waiting: a classroom);
- the sidebar's one-line status every 2 s, and not at all on the Train page, whose live
  view shows the same run in full.
"""

from __future__ import annotations

from core.jobs import TrainingJob
from ui.caches import run_slots

QUEUED_SECONDS = 2.0
LIVE_SECONDS = 0.5
CROWDED_SECONDS = 1.0
STATUS_SECONDS = 2.0


def live_seconds(job: TrainingJob | None) -> float | None:
    """Seconds between redraws of a run's live view, or None when nothing will change (no
    run, or the run has ended)."""
    if job is None or not job.alive:
        return None
    if waiting(job):
        return QUEUED_SECONDS
    return CROWDED_SECONDS if run_slots().crowded else LIVE_SECONDS


def waiting(job: TrainingJob | None) -> bool:
    """Does the run wait behind other runs for a training slot?"""
    return job is not None and job.queued and bool(job.ahead())
