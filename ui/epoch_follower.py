"""Which epoch a replay slider shows while a run trains: following the newest, or the user's.

Pure Python (no Streamlit), so every race with the browser can be replayed in a unit test.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field

from core.snapshots import nearest_epoch


@dataclass
class EpochFollower:
    """Which epoch an "Epoch" slider shows while a run trains: the newest one, live, until
    the user moves the slider; put back on the right end, it follows again.

    Why this needs care: to follow, the page writes the newest epoch into the slider twice a
    second, but the browser keeps sending back the value it had a moment ago, an older
    epoch, exactly as if the user had moved the slider there. So the follower remembers the
    values it wrote that the browser has not confirmed yet (``sent``): a value from that
    list is an echo, and it confirms the ones written before it; any other value is the
    user's. Two more races are handled:

    - a value written just before the user moved the slider can land *after* their move
      and pull the thumb back: for ``grace`` seconds after the user takes over, such
      values are ignored (and the user's epoch is written back);
    - the right end the user drags to may be a refresh or two old by the time it arrives:
      an epoch that was the newest less than ``grace`` seconds ago (``ends``: epoch -> when
      it was last the newest) still counts as "the right end", i.e. follow.

    Pure Python, so every race can be replayed in a unit test: call :meth:`step` once per
    page refresh with what the browser sent (None if nothing yet).
    """

    follow: bool = True
    pinned: int = 0
    sent: list[int] = field(default_factory=list)
    ends: dict[int, float] = field(default_factory=dict)
    pinned_at: float = -math.inf
    grace: float = 2.0

    def step(self, incoming: int | None, epochs: Sequence[int], now: float) -> tuple[int, bool]:
        """``(epoch to show, whether to write it into the slider)`` for this refresh.

        ``incoming`` is the slider's value as the browser sent it, ``epochs`` the kept
        epochs (ascending, the slider's options) and ``now`` a clock in seconds
        (``time.monotonic()``).
        """
        latest = epochs[-1]
        at_end = incoming == latest or now - self.ends.get(incoming, -math.inf) < self.grace
        if incoming is None:
            pass  # a fresh slider: keep the mode we were in
        elif self.follow:
            if incoming in self.sent:  # an echo; the browser has seen the older writes
                del self.sent[:self.sent.index(incoming)]
            elif not at_end:  # the user picked an epoch
                self.follow, self.pinned, self.pinned_at = False, incoming, now
        elif incoming != self.pinned:
            late_echo = incoming in self.sent and now - self.pinned_at < self.grace
            if not late_echo:  # the user moved the slider again
                self.follow, self.pinned = at_end, incoming
                if self.follow:
                    self.sent.clear()
        if self.follow:
            target = latest
        else:  # the chosen epoch, or the closest kept one if it was thinned out since
            target = self.pinned = nearest_epoch(epochs, self.pinned)
            if now - self.pinned_at >= self.grace:
                self.sent.clear()
        write = incoming != target
        if write and self.follow:
            self.sent.append(target)
            del self.sent[:-50]
        self.ends = {e: t for e, t in self.ends.items() if now - t < self.grace}
        self.ends[latest] = now
        return target, write
