"""Load-test scenarios: simulated dashboard users, over Streamlit's websocket protocol
(:mod:`support.load_protocol`).

:class:`SimulatedUser` (the Train page) loads the page, sets "Epochs", clicks "Start",
then watches the live view (a fragment re-run once a second) until the success message
"Finished ..." is shown and the chart's "train" and "validation" curves have one point per
epoch; its tab measures the chart-refresh latency and records every error it sees.
:class:`BoardWatcher` keeps a class's board open.

:func:`run_load` runs N users at once against a server and samples the server's memory.
Only loopback addresses are accepted.
"""

from __future__ import annotations

import asyncio
import math
import statistics
import time
from dataclasses import dataclass, field

import websockets

from core.jobs import usable_cores
from core.workspaces import new_key
from support.load_protocol import (
    CHART_KEY,
    BrowserTab,
    LoadTestError,
    UserResult,
    cpu_seconds,
    rss_mb,
)
from ui.workspace import COOKIE as WORKSPACE_COOKIE

__all__ = ["BoardWatcher", "LoadReport", "LoadTestError", "SimulatedUser", "UserResult",
           "run_load", "sample_peak", "wait_until_quiet", "warm_up"]


# ------------------------------------------------------------------ one user


class SimulatedUser(BrowserTab):
    """One browser tab on the Train page: sets Epochs, clicks Start, watches the run."""

    def __init__(self, url: str, user: int = 0, epochs: int = 3, timeout: float = 120.0,
                 page_timeout: float = 60.0, query: str = "", page: str = "",
                 chart_key: str = CHART_KEY, source: str | None = None,
                 reload_after: int | None = None):
        # ``reload_after``: press F5 once the chart shows that many epochs (a browser with
        # its workspace cookie, ui.workspace: the page must come back to the same run)
        headers = {"Cookie": f"{WORKSPACE_COOKIE}={new_key()}"} if reload_after else None
        super().__init__(url, user, timeout, page_timeout, query, page, chart_key, source,
                         headers)
        self.epochs, self.reload_after = epochs, reload_after

    async def run(self) -> UserResult:
        """The whole visit; never raises: failures end up in ``result.errors``."""
        t0 = time.monotonic()
        deadline = t0 + self.timeout
        phase = "connect"
        try:
            async with self.connect(min(30, self.timeout)) as ws:
                self.ws = ws
                phase = "load"
                await self._full_rerun(phase, min(deadline, time.monotonic() + self.page_timeout))
                epochs_box = self._widget("number_input", "Epochs")
                start = self._widget("button", "Start")
                phase = "epochs"
                self._set_number(epochs_box, self.epochs)
                await self._full_rerun(phase, min(deadline, time.monotonic() + self.page_timeout))
                phase = "start"
                clicked = time.monotonic()
                await self._full_rerun(phase, min(deadline, clicked + self.page_timeout),
                                       trigger=start.button.id, clicked=clicked)
                if not self._widget("button", "Start").button.disabled and not self._done():
                    self._error("after Start: the Start button is still enabled (no run began)")
                phase = "watch"
                if self.reload_after:
                    await self._pump_until(self._reload_due, phase, deadline, clicked=clicked)
                else:
                    await self._pump_until(self._done, phase, deadline, clicked=clicked)
            if not self._done():  # reloaded: a new session, the same workspace and run
                phase = "reload"
                self.result.reloaded_at = self._epochs_shown()
                self.forget_page()
                async with self.connect(min(30, self.timeout)) as ws:
                    self.ws = ws
                    await self._full_rerun(phase, min(deadline,
                                                      time.monotonic() + self.page_timeout))
                    phase = "watch after the reload"
                    await self._pump_until(self._done, phase, deadline)
            self.result.finished = True
        except LoadTestError as exc:
            self._error(f"{phase}: {exc}")
        except websockets.ConnectionClosed as exc:
            self._error(f"{phase}: websocket closed by the server ({exc})")
        except (TimeoutError, OSError, websockets.WebSocketException) as exc:
            self._error(f"{phase}: {type(exc).__name__}: {exc}")
        except Exception as exc:  # a bug here or a message we cannot read: still a result
            self._error(f"{phase}: unexpected {type(exc).__name__}: {exc}")
        finally:
            self.result.seconds = time.monotonic() - t0
            chart = self.chart_fragment
            self.result.in_flight = sum(f == chart for f, _ in self.waiting) + sum(
                f == chart for reqs in self.serving.values() for f, _ in reqs)
            try:
                self.result.chart_epochs = self._chart_curves()
            except ValueError as exc:
                self._error(f"the chart's spec is not JSON: {exc}")
        return self.result


    def _epochs_shown(self) -> int:
        return len(self._chart_curves().get("train", []))

    def _reload_due(self) -> bool:
        return self._done() or self._epochs_shown() >= self.reload_after

    def _done(self) -> bool:
        if not self.result.final_text:
            return False
        want = list(range(1, self.epochs + 1))
        curves = self._chart_curves()
        return all(curves.get(n) == want for n in ("train", "validation"))

    # -------------------------------------------------------------- bookkeeping


# ------------------------------------------------------------------ the class board


BOARD_KEY = "board_scatter"  # st.plotly_chart(..., key="board_scatter") on the Class page
BOARD_PAGE = "classroom"  # the Class page's address
BOARD_SETTLE = 20.0  # s the board may take, once the users have left, to show every run
BOARD_REFRESHES = 2  # fresh board charts (drawn by a run begun after a timer's request) to see


class BoardWatcher(BrowserTab):
    """A tab on the Class page of a class (joined from the address, like a reload), watching
    the board: its fragment re-runs itself every few seconds; the latencies are those
    refreshes (request -> end of the fragment run; request -> the chart drawn again by a run
    begun after it, ``chart_latencies``), and ``board_runs`` the "Runs shared" the board
    showed last."""

    def __init__(self, url: str, code: str, user: int = 0, timeout: float = 120.0):
        super().__init__(url, user, timeout, query=f"class={code}&nick=board-{user}",
                         page=BOARD_PAGE, chart_key=BOARD_KEY)
        self.board_runs: int | None = None

    async def watch(self, users_done: asyncio.Event, expect_runs: int) -> UserResult:
        """Open the board and watch it until the users are done, it shows ``expect_runs``
        runs and it has drawn its chart afresh BOARD_REFRESHES times by itself (at most
        BOARD_SETTLE s after the users are done); never raises."""
        t0 = time.monotonic()
        deadline, phase = t0 + self.timeout, "connect"
        settled_by: list[float] = []

        def done() -> bool:
            self.board_runs = self._metric("Runs shared")
            if not users_done.is_set():
                return False
            settled_by[:] = settled_by or [time.monotonic() + BOARD_SETTLE]
            shown = (self.board_runs or 0) >= expect_runs
            refreshed = len(self.result.chart_latencies) >= BOARD_REFRESHES
            return (shown and refreshed) or time.monotonic() > settled_by[0]

        try:
            async with self.connect() as ws:
                self.ws = ws
                phase = "load"
                await self._full_rerun(phase, time.monotonic() + self.page_timeout)
                phase = "watch"
                await self._pump_until(done, phase, deadline)
                self.result.finished = True
        except LoadTestError as exc:
            self._error(f"board {phase}: {exc}")
        except (websockets.WebSocketException, TimeoutError, OSError) as exc:
            self._error(f"board {phase}: {type(exc).__name__}: {exc}")
        finally:
            self.result.seconds = time.monotonic() - t0
        return self.result

    def _metric(self, label: str) -> int | None:
        """A whole number shown by the metric labelled ``label``, or None."""
        for shown in self.page.values():
            element = shown.element
            if element.WhichOneof("type") == "metric" and element.metric.label == label:
                return int(element.metric.body) if element.metric.body.isdigit() else None
        return None


# ------------------------------------------------------------------ many users


def quantile(xs: list[float], q: float) -> float:
    """The nearest-rank quantile ``q`` of ``xs`` (nan when there are none)."""
    xs = sorted(xs)
    return xs[min(len(xs) - 1, max(0, math.ceil(q * len(xs)) - 1))] if xs else float("nan")


@dataclass
class LoadReport:
    users: int
    epochs: int
    results: list[UserResult]
    rss_idle_mb: float  # the server just started, no session yet
    rss_before_mb: float  # after one warm-up visit (the dataset is loaded once per server)
    rss_after_mb: float  # every simulated user has finished and left
    rss_peak_mb: float
    seconds: float
    server_cpu_s: float = 0.0  # CPU time the server used while the users were on
    board: list[UserResult] = field(default_factory=list)  # BoardWatchers' (--class)
    board_runs: list[int | None] = field(default_factory=list)  # "Runs shared" they showed

    @property
    def finished(self) -> int:
        return sum(r.finished for r in self.results)

    @property
    def errors(self) -> list[str]:
        return ([f"user {r.user}: {e}" for r in self.results for e in r.errors]
                + [f"board {r.user}: {e}" for r in self.board for e in r.errors])

    @property
    def latencies(self) -> list[float]:
        return [x for r in self.results for x in r.latencies]

    def latency(self, q: float, chart: bool = False) -> float:
        """A quantile (nearest rank) of the refresh latencies, in seconds; ``chart``: of the
        latencies to the first fresh chart instead of to the end of the run."""
        return quantile([x for r in self.results
                         for x in (r.chart_latencies if chart else r.latencies)], q)

    def board_latency(self, q: float, chart: bool = False) -> float:
        """The same for the board's refreshes."""
        return quantile([x for r in self.board
                         for x in (r.chart_latencies if chart else r.latencies)], q)

    def _board_lines(self) -> list[str]:
        if not self.board:
            return []
        ends = sum(len(r.latencies) for r in self.board)
        fresh = sum(len(r.chart_latencies) for r in self.board)
        ms = [f"{self.board_latency(q, chart) * 1000:.0f}" for chart in (True, False)
              for q in (0.5, 0.95, 1.0)]
        return [f"class board ({len(self.board)} tabs open): request -> fresh chart median "
                f"{ms[0]} ms, p95 {ms[1]} ms, max {ms[2]} ms ({fresh} refreshes); "
                f"-> end of a run reported whole: median {ms[3]} ms, p95 {ms[4]} ms, max "
                f"{ms[5]} ms ({ends}); runs shared on the board at the end: "
                f"{self.board_runs} (users {self.users})"]

    def _reload_lines(self) -> list[str]:
        at = [r.reloaded_at for r in self.results if r.reloaded_at is not None]
        if not at:
            return []
        again = sum(r.finished for r in self.results if r.reloaded_at is not None)
        return [f"reloads: {len(at)} users pressed F5 mid-run (at epoch {min(at)}-{max(at)}); "
                f"{again} found their run again and saw it finish"]

    @property
    def median(self) -> float:
        return self.latency(0.5)

    @property
    def p95(self) -> float:
        return self.latency(0.95)

    def summary(self) -> str:
        rs = self.results
        reqs = sum(r.refresh_requests for r in rs)
        runs = sum(r.refresh_runs for r in rs)
        queued = [r.queued_s for r in rs if r.queued_s is not None]
        actions = [r.action_latencies for r in rs]
        lines = [
            f"users {self.users}, epochs {self.epochs}",
            f"runs finished: {self.finished}/{self.users}",
            f"chart refresh latency (request -> end of the run serving it): median "
            f"{self.median * 1000:.0f} ms, p95 {self.p95 * 1000:.0f} ms, max "
            f"{self.latency(1.0) * 1000:.0f} ms ({len(self.latencies)} requests)",
            f"  request -> first fresh chart delta: median "
            f"{self.latency(0.5, True) * 1000:.0f} ms, "
            f"p95 {self.latency(0.95, True) * 1000:.0f} ms, "
            f"max {self.latency(1.0, True) * 1000:.0f} ms",
            f"refresh requests {reqs}, served by {runs} fragment runs, in flight when the users "
            f"left {sum(r.in_flight for r in rs)}; runs ended early for a rerun "
            f"{sum(r.early_finishes for r in rs)}; requests for the sidebar's fragment "
            f"{sum(r.other_requests for r in rs)}",
            "page actions (median s): " + ", ".join(
                f"{k} {statistics.median([a[k] for a in actions if k in a]):.2f}"
                for k in ("load", "epochs", "start") if any(k in a for a in actions)),
            f"queued: most ahead {max([r.max_ahead or 0 for r in rs], default=0)}, "
            f"click-to-training median "
            f"{statistics.median(queued) if queued else float('nan'):.1f} s, "
            f"max {max(queued, default=float('nan')):.1f} s",
            f"session length: median {statistics.median([r.seconds for r in rs]):.1f} s, "
            f"max {max(r.seconds for r in rs):.1f} s",
            f"server RSS: idle {self.rss_idle_mb:.0f} MB, before {self.rss_before_mb:.0f} MB, "
            f"after {self.rss_after_mb:.0f} MB "
            f"(growth {self.rss_after_mb - self.rss_before_mb:+.0f} MB), "
            f"peak {self.rss_peak_mb:.0f} MB",
            f"server CPU: {self.server_cpu_s:.0f} s in {self.seconds:.0f} s "
            f"({self.server_cpu_s / max(self.seconds, 1e-9):.0%} of one core, "
            f"{usable_cores()} cores)",
            *self._board_lines(),
            *self._reload_lines(),
            f"errors: {len(self.errors)}",
            *[f"  {e}" for e in self.errors[:20]],
            f"total time: {self.seconds:.1f} s",
        ]
        return "\n".join(lines)


async def sample_peak(pid: int, peak: list[float], stop: asyncio.Event) -> None:
    while not stop.is_set():
        try:
            peak[0] = max(peak[0], rss_mb(pid))
        except (OSError, LoadTestError):
            return
        try:
            await asyncio.wait_for(stop.wait(), 0.25)
        except TimeoutError:
            pass


async def wait_until_quiet(pid: int, quiet: float = 0.5, share: float = 0.1,
                           timeout: float = 30.0) -> float:
    """Wait until the server has used less than ``share`` of one core over the last
    ``quiet`` seconds (its work for the sessions done), at most ``timeout`` s; returns
    the seconds waited."""
    t0 = time.monotonic()
    samples = [(t0, cpu_seconds(pid))]
    while True:
        await asyncio.sleep(0.1)
        now, cpu = time.monotonic(), cpu_seconds(pid)
        samples.append((now, cpu))
        while now - samples[1][0] >= quiet:  # keep the oldest sample just over ``quiet`` old
            samples.pop(0)
        then, cpu_then = samples[0]
        if now - then >= quiet and cpu - cpu_then < share * (now - then):
            return now - t0
        if now - t0 >= timeout:
            return now - t0


async def warm_up(url: str, pid: int, settle_timeout: float = 30.0) -> tuple[float, float]:
    """The server's memory idle, then after one page load (the dataset is loaded once per
    server) once it has gone quiet, in MB."""
    rss_idle = rss_mb(pid)
    warm = SimulatedUser(url, user=-1, timeout=120)
    async with warm.connect() as ws:
        warm.ws = ws
        await warm._full_rerun("warm-up", time.monotonic() + 120)
    if warm.result.errors:
        raise LoadTestError(f"warm-up visit failed: {warm.result.errors}")
    await wait_until_quiet(pid, timeout=settle_timeout)
    return rss_idle, rss_mb(pid)


async def run_load(url: str, pid: int, users: int, epochs: int, timeout: float,
                   stagger: float = 0.0, settle_timeout: float = 30.0,
                   class_code: str | None = None, boards: int = 0,
                   reload_after: int | None = None) -> LoadReport:
    """Measure the idle server, warm it up with one page load, run ``users`` simulated
    users at once (``stagger`` seconds apart), then measure again once the last one has
    left and the server has gone quiet (:func:`wait_until_quiet`, at most
    ``settle_timeout`` s). With ``class_code`` the users are students of that class (in
    their address: their finished runs are shared) and ``boards`` more tabs watch its
    board (:class:`BoardWatcher`). With ``reload_after`` every user presses F5 once its
    chart shows that many epochs, and must find the same run again (issue 22)."""
    rss_idle, rss_before = await warm_up(url, pid, settle_timeout)
    peak = [rss_before]
    stop = asyncio.Event()
    sampler = asyncio.create_task(sample_peak(pid, peak, stop))
    t0, cpu0 = time.monotonic(), cpu_seconds(pid)

    query = "" if class_code is None else f"class={class_code}&nick=student-{{}}"
    users_done = asyncio.Event()
    watchers = [BoardWatcher(url, class_code, i, timeout + 60) for i in range(boards)] \
        if class_code else []
    watching = [asyncio.create_task(w.watch(users_done, users)) for w in watchers]

    async def one(i: int) -> UserResult:
        await asyncio.sleep(i * stagger)
        return await SimulatedUser(url, user=i, epochs=epochs, timeout=timeout,
                                   query=query.format(i),
                                   reload_after=reload_after).run()

    results = await asyncio.gather(*(one(i) for i in range(users)))
    users_done.set()
    board = list(await asyncio.gather(*watching))
    seconds, cpu = time.monotonic() - t0, cpu_seconds(pid) - cpu0
    await wait_until_quiet(pid, timeout=settle_timeout)
    stop.set()
    await sampler
    rss_after = rss_mb(pid)
    return LoadReport(users, epochs, list(results), rss_idle, rss_before, rss_after,
                      max(peak[0], rss_after), seconds, cpu, board,
                      [w.board_runs for w in watchers])
