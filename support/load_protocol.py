"""A simulated browser tab that speaks Streamlit's own websocket protocol, for load tests.

A :class:`BrowserTab` does what a browser tab does, message for message, without a
browser:

* opens ``ws://127.0.0.1:PORT/_stcore/stream`` with the ``streamlit`` subprotocol (the
  browser's first ``Sec-WebSocket-Protocol`` entry; the optional second and third entries,
  an XSRF token and a session id to resume, are only needed for login cookies and
  reconnects, so none are sent);
* sends ``BackMsg.rerun_script`` (a ``ClientState``: query string, page script hash,
  ``WidgetStates``, ``fragment_id``, ``is_auto_rerun``, ``context_info``) and reads the
  ``ForwardMsg`` stream back: ``new_session`` (a run starts; ``metadata.run`` names the
  run and, for a fragment run, its fragment ids), ``delta`` (elements at a
  ``metadata.delta_path``, tagged with the fragment they belong to), ``auto_rerun`` /
  ``stop_auto_rerun`` (the fragment timers), ``page_info_changed`` (the URL's query
  string), ``script_finished``;
* keeps the widget states the way the frontend's WidgetStateManager does (every widget's
  value from its proto when it first appears or when the server sets it, the user's
  changes on top, trigger values only in the one message that carries the click) and sends
  all of them with every rerun request;
* runs the fragment timers exactly like the frontend (``App.handleAutoRerun``: a
  ``setInterval`` of ``auto_rerun.interval`` seconds that sends a rerun request for that
  fragment whether or not the previous one was answered; cleared by ``stop_auto_rerun``
  and by the start of a full-page run).

* shows deltas as they arrive and, like the frontend, drops the elements a run did not
  draw only when that run ends successfully (``FINISHED_SUCCESSFULLY`` or, for the
  fragments it ran, ``FINISHED_FRAGMENT_RUN_SUCCESSFULLY``); a run reported as
  ``FINISHED_EARLY_FOR_RERUN`` clears nothing. (The server reports that too for a run
  whose messages it dropped unsent because the next run had already started: its
  ForwardMsgQueue is cleared at every run start.)

:class:`BrowserTab` is that protocol client: connect, rerun requests, the message pump,
what the page shows, the widgets' states, the fragment timers and the refresh latencies
(from each auto-rerun request of the timed chart's fragment to the successful end of the
run that served it, and to the first chart delta of a run that started after the request).
Every error it sees is recorded: exception elements, error and warning messages on the
page, compile errors, failed runs, websocket errors and timeouts. The scenarios, what a
user does with a tab, are in :mod:`support.load_client`. Only loopback addresses are
accepted.
"""

from __future__ import annotations

import asyncio
import base64
import http.client
import ipaddress
import json
import os
import re
import time
from dataclasses import dataclass, field
from urllib.parse import urlparse

import websockets
from streamlit.proto.BackMsg_pb2 import BackMsg
from streamlit.proto.Common_pb2 import FileURLsResponse
from streamlit.proto.Element_pb2 import Element
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg
from streamlit.proto.NumberInput_pb2 import NumberInput
from streamlit.proto.WidgetStates_pb2 import WidgetState

LOOPBACK = {"127.0.0.1", "::1"}
SUCCESS_STATUSES = {ForwardMsg.FINISHED_SUCCESSFULLY, ForwardMsg.FINISHED_FRAGMENT_RUN_SUCCESSFULLY}
QUEUED = re.compile(r"Queued: (\d+) ahead")
CHART_KEY = "curves"  # st.plotly_chart(..., key="curves") on the Train page


class LoadTestError(Exception):
    """Something a simulated user could not get past (timeout, closed socket, bad page)."""


# ------------------------------------------------------------------ server memory


def rss_mb(pid: int) -> float:
    """Resident memory of a process (VmRSS in /proc/PID/status), in MB."""
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    raise LoadTestError(f"no VmRSS for process {pid}")


def cpu_seconds(pid: int) -> float:
    """User + system CPU time a process has used so far (/proc/PID/stat), in seconds."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


# ------------------------------------------------------------------ one user


@dataclass
class UserResult:
    user: int
    finished: bool = False
    errors: list[str] = field(default_factory=list)
    # chart refresh latency: from an auto-rerun request of the chart's fragment to the
    # successful end (script_finished) of the run that served it, in seconds
    latencies: list[float] = field(default_factory=list)
    refresh_log: list[tuple[float, float]] = field(default_factory=list)  # (sent at, latency)
    # the same requests, to the first new chart delta from a run that started after them
    chart_latencies: list[float] = field(default_factory=list)
    refresh_requests: int = 0  # auto-rerun requests for the chart's fragment
    refresh_runs: int = 0  # fragment runs that served them (requests sent meanwhile coalesce)
    early_finishes: int = 0  # runs reported as FINISHED_EARLY_FOR_RERUN
    other_requests: int = 0  # auto-reruns of other fragments (the sidebar's)
    in_flight: int = 0  # chart refresh requests not yet answered when the user left
    action_latencies: dict[str, float] = field(default_factory=dict)  # load, epochs, start
    chart_epochs: dict[str, list] = field(default_factory=dict)  # trace name -> x at the end
    max_ahead: int | None = None  # largest "Queued: N ahead of you" seen
    queued_s: float | None = None  # from the click to the first sign of training
    seconds: float = 0.0  # whole session, connect to finish
    reloaded_at: int | None = None  # the epochs the chart showed when the tab was reloaded
    final_text: str = ""  # the success message


@dataclass
class _Shown:
    """An element as the frontend holds it: where it came from and which run drew it."""
    fragment: str
    element: Element
    run: str


class BrowserTab:
    """One browser tab on a page of the dashboard, driven over Streamlit's websocket protocol;
    a scenario (support.load_client) says what its user does."""

    def __init__(self, url: str, user: int = 0, timeout: float = 120.0,
                 page_timeout: float = 60.0, query: str = "", page: str = "",
                 chart_key: str = CHART_KEY, source: str | None = None,
                 headers: dict[str, str] | None = None):
        parsed = urlparse(url)
        if parsed.hostname not in LOOPBACK:
            raise ValueError(f"the load test only talks to loopback, not {parsed.hostname!r}")
        if source is not None and not ipaddress.ip_address(source).is_loopback:
            raise ValueError(f"the load test only connects from loopback, not {source!r}")
        # the machine the tab runs on: a loopback address of its own (127.0.0.0/8) makes it
        # another client for the server's fair queue; extra request headers, e.g. a forged
        # X-Forwarded-For
        self.source, self.headers = source, dict(headers or {})
        self.session_id = ""  # the server's AppSession id (new_session), for uploads
        self.file_urls: dict[str, FileURLsResponse] = {}  # request id -> response
        self.http_url = f"{parsed.scheme}://{parsed.netloc}"
        self.ws_url = f"ws://{parsed.netloc}/_stcore/stream"
        self.timeout, self.page_timeout = timeout, page_timeout
        self.result = UserResult(user)
        self.ws = None
        self.page_name, self.chart_key = page, chart_key  # the page opened, the chart timed
        # what the browser holds
        self.query_string = query  # the address's, e.g. "class=K7QMXD&nick=student-3"
        self.page_script_hash = ""
        self.widget_states: dict[str, WidgetState] = {}
        self.timers: dict[str, list[float]] = {}  # fragment id -> [interval, next due]
        self.page: dict[tuple, _Shown] = {}  # delta path -> element on screen
        # the run in progress
        self.run_id = ""
        self.run_fragments: set[str] = set()
        self.run_started = 0.0
        # requests, for the latencies: (fragment id or "" for a full run, sent at)
        self.waiting: list[tuple[str, float]] = []
        self.serving: dict[str, list[tuple[str, float]]] = {}  # run id -> requests it serves
        self.chart_waiting: list[float] = []  # chart refresh requests not yet answered by a chart
        self.chart_fragment: str | None = None
        self.last_full_finish_started = -1.0  # when the last successful full run started
        self.finishes = 0
        self._chart_cache: tuple[Element, dict[str, list]] | None = None
        self._errors_seen: set[str] = set()


    def forget_page(self) -> None:
        """What a browser forgets when the page is reloaded: the page's elements, widgets,
        timers and the run it was watching (the server's session is a new one too). The
        cookies (:attr:`headers`) stay."""
        self.page_script_hash = ""
        self.widget_states.clear()
        self.timers.clear()
        self.page.clear()
        self.run_id, self.run_fragments = "", set()
        self.waiting.clear()
        self.serving.clear()
        self.chart_waiting.clear()
        self.chart_fragment = None
        self.last_full_finish_started = -1.0
        self._chart_cache = None
        self.result.final_text = ""

    def connect(self, open_timeout: float = 30):
        """The websocket to the server, as the browser opens it (use with ``async with``),
        from :attr:`source` when set, with :attr:`headers`."""
        extra = {"local_addr": (self.source, 0)} if self.source else {}
        return websockets.connect(self.ws_url, subprotocols=["streamlit"], origin=self.http_url,
                                  open_timeout=open_timeout, ping_interval=None, close_timeout=5,
                                  max_size=None, additional_headers=self.headers or None,
                                  **extra)

    def alerts(self) -> list[str]:
        """The messages (st.info, st.error, ...) on the page now."""
        return [s.element.alert.body for s in self.page.values()
                if s.element.WhichOneof("type") == "alert"]

    async def upload(self, label: str, name: str, data: bytes, deadline: float) -> None:
        """Put a file in the file uploader labelled ``label`` as the browser does: ask the
        server for an upload URL (``file_urls_request``), PUT the file there (multipart,
        with the XSRF cookie and header the frontend sends), then set the widget's state and
        rerun the page."""
        uploader = self._widget("file_uploader", label).file_uploader
        request_id = f"upload-{len(self.file_urls) + 1}"
        msg = BackMsg()
        msg.file_urls_request.request_id = request_id
        msg.file_urls_request.session_id = self.session_id
        msg.file_urls_request.file_names.append(name)
        await self.ws.send(msg.SerializeToString())
        await self._pump_until(lambda: request_id in self.file_urls, "upload", deadline)
        response = self.file_urls[request_id]
        if response.error_msg or not response.file_urls:
            raise LoadTestError(f"no upload URL: {response.error_msg}")
        urls = response.file_urls[0]
        await asyncio.to_thread(_put_file, self.http_url + urls.upload_url, name, data,
                                self.source)
        state = WidgetState(id=uploader.id)
        info = state.file_uploader_state_value.uploaded_file_info.add()
        info.name, info.size, info.file_id = name, len(data), urls.file_id
        info.file_urls.CopyFrom(urls)
        self.widget_states[uploader.id] = state
        await self._full_rerun("upload", deadline)

    # -------------------------------------------------------------- what the user does

    def _widget(self, kind: str, label: str) -> Element:
        for shown in self.page.values():
            element = shown.element
            if element.WhichOneof("type") == kind and getattr(element, kind).label == label:
                return element
        raise LoadTestError(f"no {kind} labelled {label!r} on the page")

    def _set_number(self, element: Element, value: float) -> None:
        box = element.number_input
        state = WidgetState(id=box.id)
        if box.data_type == NumberInput.INT:
            state.int_value = int(value)
        else:
            state.double_value = float(value)
        self.widget_states[box.id] = state

    async def _full_rerun(self, phase: str, deadline: float, trigger: str | None = None,
                          clicked: float | None = None) -> None:
        """A page-level rerun request (page load, a changed widget, a click), then wait
        until a full run that started after it has finished."""
        sent = time.monotonic()
        await self._send_rerun(fragment_id="", trigger=trigger)
        await self._pump_until(lambda: self.last_full_finish_started >= sent, phase, deadline,
                               clicked=clicked)
        self.result.action_latencies[phase] = time.monotonic() - sent

    # -------------------------------------------------------------- protocol: sending

    async def _send_rerun(self, fragment_id: str = "", trigger: str | None = None,
                          auto: bool = False) -> None:
        msg = BackMsg()
        cs = msg.rerun_script
        cs.query_string = self.query_string
        cs.page_script_hash = self.page_script_hash
        if self.page_name and not self.page_script_hash:  # the first visit opens that page
            cs.page_name = self.page_name
        if fragment_id:
            cs.fragment_id = fragment_id
        cs.is_auto_rerun = auto
        for state in self.widget_states.values():
            cs.widget_states.widgets.append(state)
        if trigger:
            cs.widget_states.widgets.append(WidgetState(id=trigger, trigger_value=True))
        ctx = cs.context_info
        ctx.timezone, ctx.timezone_offset, ctx.locale = "UTC", 0, "en-US"
        ctx.url, ctx.is_embedded = self.http_url + "/", False
        now = time.monotonic()
        self.waiting.append((fragment_id, now))
        if fragment_id and fragment_id == self.chart_fragment:
            self.chart_waiting.append(now)
        await self.ws.send(msg.SerializeToString())

    async def _fire_timers(self, now: float) -> None:
        for fragment_id, timer in list(self.timers.items()):
            interval, due = timer
            if now >= due:
                # setInterval semantics: fixed period, no burst to catch up after a stall
                timer[1] = due + interval if now < due + interval else now + interval
                if fragment_id == self.chart_fragment:
                    self.result.refresh_requests += 1
                else:
                    self.result.other_requests += 1
                await self._send_rerun(fragment_id=fragment_id, auto=True)

    # -------------------------------------------------------------- protocol: receiving

    async def _pump_until(self, done, phase: str, deadline: float, clicked: float | None = None):
        while not done():
            now = time.monotonic()
            if now >= deadline:
                raise LoadTestError(f"timed out ({self._describe()})")
            await self._fire_timers(now)
            next_due = min([t[1] for t in self.timers.values()], default=now + 0.25)
            wait = max(0.005, min(next_due, deadline) - time.monotonic())
            try:
                raw = await asyncio.wait_for(self.ws.recv(), timeout=wait)
            except TimeoutError:
                continue
            if isinstance(raw, str):
                raise LoadTestError("the server sent a text frame")
            msg = ForwardMsg()
            msg.ParseFromString(raw)
            self._handle(msg, clicked)

    def _handle(self, msg: ForwardMsg, clicked: float | None) -> None:
        kind = msg.WhichOneof("type")
        if kind == "new_session":
            self._run_started(msg)
        elif kind == "delta":
            self._delta(msg, clicked)
        elif kind == "script_finished":
            self._run_finished(msg, clicked)
        elif kind == "auto_rerun":
            interval, fragment_id = msg.auto_rerun.interval, msg.auto_rerun.fragment_id
            if fragment_id and self.timers.get(fragment_id, [None])[0] != interval:
                self.timers[fragment_id] = [interval, time.monotonic() + interval]
        elif kind == "stop_auto_rerun":
            for fragment_id in msg.stop_auto_rerun.fragment_ids:
                self.timers.pop(fragment_id, None)
        elif kind == "file_urls_response":
            self.file_urls[msg.file_urls_response.response_id] = msg.file_urls_response
        elif kind == "page_info_changed":
            self.query_string = msg.page_info_changed.query_string
        elif kind == "session_event":
            event = msg.session_event
            if event.WhichOneof("type") == "script_compilation_exception":
                exc = event.script_compilation_exception
                self._error(f"script compilation error: {exc.type}: {exc.message}")
        elif kind == "ref_hash":
            self._error("the server sent a cached-message reference although none was offered")

    def _run_started(self, msg: ForwardMsg) -> None:
        self.session_id = msg.new_session.initialize.session_id or self.session_id
        self.run_id = msg.metadata.run.script_run_id
        self.run_fragments = set(msg.metadata.run.fragment_ids)
        self.run_started = time.monotonic()
        # one run at a time per session: a run that never reported its end left its
        # requests to this one
        for leftover in self.serving.values():
            self.waiting = leftover + self.waiting
        self.serving.clear()
        if not self.run_fragments:  # a full-page run
            self.page_script_hash = msg.new_session.page_script_hash
            self.timers.clear()  # App.cleanupAutoReruns
            served, self.waiting = self.waiting, []
        else:
            served = [r for r in self.waiting if r[0] in self.run_fragments]
            self.waiting = [r for r in self.waiting if r[0] not in self.run_fragments]
        self.serving[self.run_id] = served

    def _delta(self, msg: ForwardMsg, clicked: float | None) -> None:
        """Deltas are shown as they arrive, as the frontend does (whatever the run's end)."""
        delta = msg.delta
        if delta.WhichOneof("type") != "new_element":
            return  # blocks keep their children in the frontend; stale ones go at the end
        element = delta.new_element
        self.page[tuple(msg.metadata.delta_path)] = _Shown(delta.fragment_id, element, self.run_id)
        etype = element.WhichOneof("type")
        if etype == "exception":
            exc = element.exception
            self._error(f"exception element: {exc.type}: {exc.message}")
        elif etype == "plotly_chart" and element.plotly_chart.id.endswith("-" + self.chart_key):
            self.chart_fragment = delta.fragment_id or None
            now = time.monotonic()
            fresh = [t for t in self.chart_waiting if t <= self.run_started]
            self.result.chart_latencies.extend(now - t for t in fresh)
            self.chart_waiting = [t for t in self.chart_waiting if t > self.run_started]
        elif etype == "alert":
            self._inspect_page(clicked)
        if _element_id(element):
            self._remember_widget(etype, getattr(element, etype))

    def _remember_widget(self, etype: str, w) -> None:
        """The value the frontend would hold for a widget (see its widget components: the
        value the server sets wins, else the one already held, else the proto's default)."""
        if w.id in self.widget_states and not getattr(w, "set_value", False):
            return
        state = WidgetState(id=w.id)
        if etype == "number_input":
            value = (w.value if w.HasField("value")
                     else w.default if w.HasField("default") else None)
            if value is None:
                return
            if w.data_type == NumberInput.INT:
                state.int_value = int(value)
            else:
                state.double_value = value
        elif etype == "selectbox":
            if w.set_value and w.HasField("raw_value"):
                state.string_value = w.raw_value
            elif w.HasField("default") and w.options:
                state.string_value = w.options[w.default]
            else:
                return
        elif etype == "slider":
            if w.options:  # select_slider: the formatted options
                if w.set_value and w.raw_value:
                    state.string_array_value.data.extend(w.raw_value)
                else:
                    indices = w.value if w.set_value else w.default
                    state.string_array_value.data.extend(w.options[int(i)] for i in indices)
            else:
                state.double_array_value.data.extend(w.value if w.set_value else w.default)
        elif etype == "checkbox":
            state.bool_value = w.value if w.set_value else w.default
        else:
            return  # buttons hold nothing between clicks; other widgets are not on this page
        self.widget_states[w.id] = state

    def _run_finished(self, msg: ForwardMsg, clicked: float | None) -> None:
        now = time.monotonic()
        status = msg.script_finished
        run_id = msg.metadata.run.script_run_id or self.run_id
        fragments = set(msg.metadata.run.fragment_ids) if msg.metadata.run.script_run_id \
            else self.run_fragments
        served = self.serving.pop(run_id, [])
        self.finishes += 1
        if status == ForwardMsg.FINISHED_EARLY_FOR_RERUN:
            # Interrupted, or its end was rewritten because the next run began before the
            # server had sent it: what arrived stays on screen, nothing is cleared, and the
            # requests it took wait for the next run.
            self.result.early_finishes += 1
            self.waiting = served + self.waiting
            self._inspect_page(clicked)
            return
        if status not in SUCCESS_STATUSES:
            self._error(f"script finished with {ForwardMsg.ScriptFinishedStatus.Name(status)}")
            return
        for fragment_id, sent in served:
            if fragment_id and fragment_id == self.chart_fragment:
                self.result.latencies.append(now - sent)
                self.result.refresh_log.append((sent, now - sent))
        if self.chart_fragment in fragments and served:
            self.result.refresh_runs += 1
        # the frontend drops the elements this run did not draw (for a fragment run: only
        # inside its fragments)
        self.page = {p: s for p, s in self.page.items()
                     if s.run == run_id or (fragments and s.fragment not in fragments)}
        if not fragments:
            if run_id == self.run_id:
                self.last_full_finish_started = self.run_started
            live = {_element_id(s.element) for s in self.page.values()}
            # WidgetStateManager.removeInactive: forget widgets no longer on the page
            self.widget_states = {k: v for k, v in self.widget_states.items() if k in live}
        self._inspect_page(clicked)

    def _inspect_page(self, clicked: float | None) -> None:
        training = False
        for shown in self.page.values():
            element = shown.element
            etype = element.WhichOneof("type")
            if etype == "alert":
                body = element.alert.body
                fmt = element.alert.format
                match = QUEUED.search(body)
                if match:
                    self.result.max_ahead = max(int(match.group(1)), self.result.max_ahead or 0)
                elif fmt == element.alert.ERROR:
                    self._error(f"error message on the page: {body}")
                elif fmt == element.alert.WARNING:
                    self._error(f"warning on the page: {body}")
                elif fmt == element.alert.SUCCESS and body.startswith("Finished"):
                    self.result.final_text = body
                    training = True
            elif etype == "progress":
                training = True
        if clicked is not None and training and self.result.queued_s is None:
            self.result.queued_s = time.monotonic() - clicked

    # -------------------------------------------------------------- the end condition

    def _chart_curves(self) -> dict[str, list]:
        """x of the "train" and "validation" curves of the chart on screen (loss panel)."""
        for shown in self.page.values():
            element = shown.element
            if element.WhichOneof("type") == "plotly_chart" and element.plotly_chart.id.endswith(
                    "-" + self.chart_key):
                if self._chart_cache and self._chart_cache[0] is element:
                    return self._chart_cache[1]
                curves: dict[str, list] = {}
                for trace in json.loads(element.plotly_chart.spec).get("data", []):
                    name = trace.get("name")
                    if name in ("train", "validation") and name not in curves:
                        curves[name] = _plotly_array(trace.get("x", []))
                self._chart_cache = (element, curves)
                return curves
        return {}


    def _error(self, text: str) -> None:
        if text not in self._errors_seen:
            self._errors_seen.add(text)
            self.result.errors.append(text)

    def _describe(self) -> str:
        texts = [s.element.alert.body[:80] for s in self.page.values()
                 if s.element.WhichOneof("type") == "alert"]
        return (f"after {self.finishes} runs; timers {sorted(self.timers)}; "
                f"messages on the page: {texts}; chart {self._chart_curves().get('train')}")


def _put_file(url: str, name: str, data: bytes, source: str | None) -> None:
    """HTTP PUT of one file as the frontend's uploader sends it (multipart/form-data, field
    "file"), with a double-submit XSRF token (the same value as cookie and header)."""
    from streamlit.web.server.starlette.starlette_app_utils import generate_xsrf_token_string

    token = generate_xsrf_token_string()
    boundary = f"loadtest{time.monotonic_ns()}"
    body = (f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="{name}"'
            f"\r\nContent-Type: application/octet-stream\r\n\r\n").encode() + data + \
        f"\r\n--{boundary}--\r\n".encode()
    parsed = urlparse(url)
    conn = http.client.HTTPConnection(parsed.hostname, parsed.port, timeout=60,
                                      source_address=(source, 0) if source else None)
    try:
        conn.request("PUT", parsed.path, body, {
            "Content-Type": f"multipart/form-data; boundary={boundary}",
            "X-Xsrftoken": token, "Cookie": f"_streamlit_xsrf={token}"})
        reply = conn.getresponse()
        reply.read()
    finally:
        conn.close()
    if reply.status >= 300:
        raise LoadTestError(f"upload refused by the server: HTTP {reply.status}")


def _element_id(element: Element) -> str:
    """The widget id of an element ("" for elements that have none)."""
    etype = element.WhichOneof("type")
    if not etype:
        return ""
    inner = getattr(element, etype)
    return inner.id if "id" in inner.DESCRIPTOR.fields_by_name else ""


def _plotly_array(value) -> list:
    """A plotly JSON array: a plain list, or a typed array ``{"dtype", "bdata"}``."""
    if isinstance(value, dict) and "bdata" in value:
        import numpy as np

        return np.frombuffer(base64.b64decode(value["bdata"]), dtype=value["dtype"]).tolist()
    return list(value)
