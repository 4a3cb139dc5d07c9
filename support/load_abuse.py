"""The abuse scenario (issue 19): honest students train while others attack the server.

Every tab speaks Streamlit's websocket protocol (:mod:`support.load_protocol`) from a
loopback address of its own, so that the server sees several machines (its fair queue
bounds and rotates runs per client address, :mod:`core.clients`):

- **honest students** (``127.0.1.N``, one address each): :class:`~support.load_client.SimulatedUser`
  on the Train page, a run of ``epochs`` each, timed as in the plain load test;
- **a greedy client** (``127.0.0.2``): many tabs, each claiming another address in a forged
  ``X-Forwarded-For``; each asks for a 10,000-epoch run, then for ``greedy_epochs``, and
  stays connected until the students are done (:class:`GreedyTab`);
- **bomb uploads** (``127.0.0.3``): tabs that upload a bzip2 "zip bomb" .npz (a few hundred
  bytes declaring ``bomb_mb`` MB of float32 weights) through the sidebar's model uploader,
  several times each (:class:`BombTab`, :func:`bomb_npz`);
- **a class flood** (``127.0.0.4``): many tabs joining one class with made-up nicknames
  from the address, as after a reload (:class:`FloodTab`).

:func:`run_abuse` runs them all at once and samples the server's memory; its
:class:`AbuseReport` says whether the students' runs finished, their chart refresh
latency, the server's peak memory, and what each attacker was told. Only loopback.
"""

from __future__ import annotations

import asyncio
import collections
import io
import os
import time
import zipfile
from dataclasses import dataclass, field
from functools import cache

import numpy as np
import websockets

from support.load_client import (
    LoadReport,
    SimulatedUser,
    sample_peak,
    wait_until_quiet,
    warm_up,
)
from support.load_protocol import BrowserTab, LoadTestError, cpu_seconds, rss_mb

GREEDY_SOURCE, BOMB_SOURCE, FLOOD_SOURCE = "127.0.0.2", "127.0.0.3", "127.0.0.4"
UPLOAD_LABEL = "Upload a model (.npz)"  # the sidebar's uploader
HUGE_EPOCHS = 10_000  # the Train page's largest number of epochs


def honest_source(i: int) -> str:
    """The loopback address of honest student ``i`` (0-based): 127.0.1.1, 127.0.1.2, ..."""
    return f"127.0.{1 + i // 254}.{1 + i % 254}"


@cache
def bomb_npz(megabytes: int) -> bytes:
    """A .npz whose W member declares ``megabytes`` MB of float32 zeros, packed with bzip2
    (which zipfile reads): 512 MB pack into about 650 bytes. Shape (n, 10)."""
    buf = io.BytesIO()
    rows = megabytes * 2**20 // 40
    with zipfile.ZipFile(buf, "w", compression=zipfile.ZIP_BZIP2) as z:
        with z.open("W.npy", "w", force_zip64=True) as f:
            header = io.BytesIO()
            np.lib.format.write_array_header_1_0(
                header, {"descr": "<f4", "fortran_order": False, "shape": (rows, 10)})
            f.write(header.getvalue())
            chunk = bytes(2**24)
            left = rows * 40
            while left > 0:
                f.write(chunk[:min(left, len(chunk))])
                left -= len(chunk)
        z.writestr("b.npy", _npy(np.zeros(10, np.float32)))
    return buf.getvalue()


def _npy(array: np.ndarray) -> bytes:
    out = io.BytesIO()
    np.save(out, array)
    return out.getvalue()


# ------------------------------------------------------------------ the attackers


class AbuseTab(BrowserTab):
    """A tab that does something hostile and notes what the page told it (``told``): the
    page's messages are what it is after, not errors of the server. Never raises."""

    def __init__(self, url: str, user: int, source: str, timeout: float, query: str = "",
                 headers: dict[str, str] | None = None):
        super().__init__(url, user, timeout, query=query, source=source, headers=headers)
        self.told: list[str] = []
        self.failure = ""  # a websocket error or a timeout, if the visit broke off

    async def visit(self, leave: asyncio.Event) -> AbuseTab:
        deadline = time.monotonic() + self.timeout
        try:
            async with self.connect() as ws:
                self.ws = ws
                await self._full_rerun("load", deadline)
                await self._act(deadline)
                if not leave.is_set():
                    await self._pump_until(leave.is_set, "stay", deadline)
        except (LoadTestError, TimeoutError, OSError, websockets.WebSocketException) as exc:
            self.failure = f"{type(exc).__name__}: {exc}"[:200]
        return self

    async def _act(self, deadline: float) -> None:
        """What this tab does once the page is loaded."""

    def _note(self) -> None:
        self.told.extend(a for a in self.alerts() if a not in self.told)


class GreedyTab(AbuseTab):
    """Asks for a 10,000-epoch run, then for ``epochs``; ``outcome``: "training", "queued",
    "refused" or what the page said."""

    def __init__(self, url: str, user: int, epochs: int, timeout: float):
        super().__init__(url, user, GREEDY_SOURCE, timeout,
                         headers={"X-Forwarded-For": f"10.66.{user // 250}.{user % 250 + 1}"})
        self.epochs, self.outcome = epochs, ""

    async def _act(self, deadline: float) -> None:
        for epochs in (HUGE_EPOCHS, self.epochs):
            self._set_number(self._widget("number_input", "Epochs"), epochs)
            await self._full_rerun("epochs", deadline)
            start = self._widget("button", "Start")
            if start.button.disabled:
                break
            await self._full_rerun("start", deadline, trigger=start.button.id)
            self._note()
        self.outcome = self._outcome()

    def _outcome(self) -> str:
        alerts = self.alerts()
        if any(a.startswith("Not started: your computer") for a in alerts):
            return "refused (per-client bound)"
        if any(a.startswith("Not started:") for a in alerts):
            return "refused (size)"
        if any(a.startswith("Queued") for a in alerts):
            return "queued"
        if any(s.element.WhichOneof("type") == "progress" for s in self.page.values()):
            return "training"
        return "other: " + " | ".join(a[:60] for a in alerts)


class BombTab(AbuseTab):
    """Uploads ``data`` (a bomb) ``times`` times through the sidebar's uploader."""

    def __init__(self, url: str, user: int, data: bytes, times: int, timeout: float):
        super().__init__(url, user, BOMB_SOURCE, timeout)
        self.data, self.times, self.uploads = data, times, 0

    async def _act(self, deadline: float) -> None:
        for i in range(self.times):
            await self.upload(UPLOAD_LABEL, f"bomb-{self.result.user}-{i}.npz", self.data,
                              deadline)
            self.uploads += 1
            self._note()


class FloodTab(AbuseTab):
    """Joins class ``code`` as ``flood-N`` from the address, then leaves."""

    def __init__(self, url: str, user: int, code: str, timeout: float):
        super().__init__(url, user, FLOOD_SOURCE, timeout,
                         query=f"class={code}&nick=flood-{user}")

    async def _act(self, deadline: float) -> None:
        self._note()


# ------------------------------------------------------------------ all at once


@dataclass
class AbuseReport:
    honest: LoadReport  # the students: runs finished, latencies, the server's memory
    greedy: list[GreedyTab] = field(default_factory=list)
    bombs: list[BombTab] = field(default_factory=list)
    flood: list[FloodTab] = field(default_factory=list)
    rss_later_mb: float | None = None  # after ``linger`` s more (closed sessions expired)
    load: tuple[float, float] = (0.0, 0.0)  # 1-minute load average at the start and end

    def summary(self) -> str:
        h = self.honest
        lines = [
            f"honest students: {h.finished}/{h.users} runs of {h.epochs} epochs finished; "
            f"chart refresh p95 {h.p95 * 1000:.0f} ms (goal < 1000), median "
            f"{h.median * 1000:.0f} ms, max {h.latency(1.0) * 1000:.0f} ms "
            f"({len(h.latencies)} refreshes); errors {len(h.errors)}",
            *[f"  {e}" for e in h.errors[:10]],
            f"server RSS: idle {h.rss_idle_mb:.0f} MB, after a first page "
            f"{h.rss_before_mb:.0f} MB, peak {h.rss_peak_mb:.0f} MB "
            f"(goal < 1536), after {h.rss_after_mb:.0f} MB"
            + (f", {self.rss_later_mb:.0f} MB later" if self.rss_later_mb is not None else ""),
            f"load average (1 min): {self.load[0]:.1f} at the start, {self.load[1]:.1f} at "
            f"the end ({os.cpu_count()} cores)",
            _tally(f"greedy client: {len(self.greedy)} tabs from {GREEDY_SOURCE} (forged "
                   "X-Forwarded-For): outcome", [g.outcome for g in self.greedy]),
            _tally("  told", [t[:110] for g in self.greedy for t in g.told]),
            _tally(f"bomb uploads: {sum(b.uploads for b in self.bombs)} done by "
                   f"{len(self.bombs)} tabs; told", [t[:110] for b in self.bombs for t in b.told]),
            _tally(f"class flood: {len(self.flood)} joins from {FLOOD_SOURCE}; told",
                   [t[:110] for f in self.flood for t in f.told] or ["nothing"]),
            _tally("attackers' visits broken off",
                   [t.failure[:110] for t in (*self.greedy, *self.bombs, *self.flood)
                    if t.failure] or ["none"]),
            f"total time: {h.seconds:.1f} s",
        ]
        return "\n".join(lines)


def _tally(title: str, items: list[str]) -> str:
    counts = collections.Counter(items)
    return title + ": " + "; ".join(f"{n} x {item}" for item, n in counts.most_common(8))


async def run_abuse(url: str, pid: int, students: int = 20, epochs: int = 20,
                    timeout: float = 600.0, greedy: int = 30, greedy_epochs: int = 500,
                    bombers: int = 3, bomb_uploads: int = 2, bomb_mb: int = 2048,
                    class_code: str | None = None, flood: int = 60,
                    settle_timeout: float = 60.0, linger: float = 0.0) -> AbuseReport:
    """Warm the server up, then run the students and the attackers at once; the attackers
    stay until the students are done. Memory is sampled all along, measured again once the
    server is quiet and, with ``linger``, that many seconds later."""
    bomb = await asyncio.to_thread(bomb_npz, bomb_mb) if bombers else b""
    rss_idle, rss_before = await warm_up(url, pid, settle_timeout)
    load0 = os.getloadavg()[0]
    peak, stop, leave = [rss_before], asyncio.Event(), asyncio.Event()
    sampler = asyncio.create_task(sample_peak(pid, peak, stop))
    t0, cpu0 = time.monotonic(), cpu_seconds(pid)
    attackers = [GreedyTab(url, i, greedy_epochs, timeout) for i in range(greedy)]
    attackers += [BombTab(url, i, bomb, bomb_uploads, timeout) for i in range(bombers)]
    if class_code:
        attackers += [FloodTab(url, i, class_code, timeout) for i in range(flood)]
    visits = [asyncio.create_task(a.visit(leave)) for a in attackers]
    results = await asyncio.gather(*(
        SimulatedUser(url, user=i, epochs=epochs, timeout=timeout, source=honest_source(i)).run()
        for i in range(students)))
    leave.set()
    await asyncio.gather(*visits)
    seconds, cpu = time.monotonic() - t0, cpu_seconds(pid) - cpu0
    load1 = os.getloadavg()[0]
    await wait_until_quiet(pid, timeout=settle_timeout)
    stop.set()
    await sampler
    rss_after = rss_mb(pid)
    honest = LoadReport(students, epochs, list(results), rss_idle, rss_before, rss_after,
                        max(peak[0], rss_after), seconds, cpu)
    later = None
    if linger > 0:
        await asyncio.sleep(linger)
        later = rss_mb(pid)
    return AbuseReport(honest, [a for a in attackers if isinstance(a, GreedyTab)],
                       [a for a in attackers if isinstance(a, BombTab)],
                       [a for a in attackers if isinstance(a, FloodTab)], later, (load0, load1))
