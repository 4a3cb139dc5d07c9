"""This session's training runs: the current one, the earlier ones kept for the other pages,
and the background jobs that train them, queued as their client's (see core.clients).

Server settings read here (environment variables):

- ``MAX_RUN_EXAMPLES``: the most one run may train, in epochs x training images (default
  core.jobs.DEFAULT_MAX_RUN_EXAMPLES, 25,000,000: 500 epochs of MNIST; 0: no limit);
- ``TRUSTED_PROXIES``: the reverse proxies whose ``X-Forwarded-For`` is believed (default
  loopback, see core.clients).
"""

from __future__ import annotations

import os

from core.clients import client_address, parse_networks
from core.config import SETTINGS, TrainConfig
from core.data import Dataset
from core.i18n import Msg
from core.jobs import DEFAULT_MAX_RUN_EXAMPLES, TrainingJob
from core.preprocess import PREPROCESSINGS
from core.run_state import STATUS_WORDS
from core.train import TrainingRun
from ui.caches import run_slots
from ui.state import session

MAX_KEPT_RUNS = 5


def current_job() -> TrainingJob | None:
    return session().job


def job_active(job: TrainingJob | None = None) -> bool:
    job = job if job is not None else current_job()
    return job is not None and job.alive


def kept_runs() -> list[TrainingJob]:
    """Earlier runs of this session (newest last), kept so Results can show them."""
    return session().kept_runs


def retire_current_job() -> None:
    """Stop the current run and put it aside (kept for Results if it trained at all)."""
    state = session()
    old = state.job
    if old is not None:
        old.stop()
        if old.run.history:
            old.join(5)
            old.run.weights.trim_to(1)  # a put-aside run keeps its final weights only
            state.kept_runs.append(old)
            del state.kept_runs[:-MAX_KEPT_RUNS]
    state.job = None


def start_job(job: TrainingJob) -> None:
    """Make ``job`` the session's current run, keeping the previous one if it trained.
    :class:`core.tasks.Refused` (its message for the student) if the run is larger than the
    server allows, or its client already has a run training and one waiting; the current
    run is then put aside all the same."""
    job.check_size()
    retire_current_job()
    job.start()
    state = session()
    state.job = job
    state.model_choice = "current"
    state.runs_started += 1  # a student's runs are numbered from 1 (the tickets count server-wide)
    state.run_numbers[job.ticket] = state.runs_started


def start_run(data: Dataset, config: TrainConfig) -> None:
    """Train ``config`` on ``data`` as this session's current run, with the coach watching
    (the Train page's Start): one call from the settings to a queued job. ValueError if the
    settings do not fit the data; :class:`core.tasks.Refused` as :func:`start_job`."""
    start_job(new_job(TrainingRun(data, config, coach=True)))


def steer(setting: str, value: float) -> None:
    """Change ``setting`` of the run training now (the next batch uses it), checked by the
    same rule as at Start (:meth:`core.train.TrainingRun.change`). Nothing happens when no
    run trains or the setting cannot change mid-run (the page then keeps it for the next
    Start)."""
    job = current_job()
    if job_active(job) and SETTINGS[setting].live:
        job.run.change(setting, value)


def owner_alive_check():
    """A callable telling whether any tab of this browser's workspace is still connected
    (None outside a real server, e.g. under AppTest)."""
    try:
        from streamlit.runtime import Runtime

        if not Runtime.exists():
            return None
        runtime, tabs = Runtime.instance(), session().tabs
        return lambda: any(runtime.is_active_session(t) for t in list(tabs) if t)
    except Exception:
        return None


def reclaim() -> None:
    """This browser is back (a reload, a reopened tab): a run the watchdog paused while no
    tab of it was open goes on (core.jobs.TrainingJob.reclaim), and tabs that are gone are
    forgotten."""
    state = session()
    if not state.returning:
        return
    state.returning = False
    _forget_closed_tabs(state.tabs)
    if state.job is not None:
        state.job.reclaim()


def _forget_closed_tabs(tabs: set) -> None:
    try:
        from streamlit.runtime import Runtime

        if Runtime.exists():
            runtime = Runtime.instance()
            tabs.intersection_update({t for t in tabs if t and runtime.is_active_session(t)})
    except Exception:
        pass


LOCALHOST = {"127.0.0.1", "::1"}  # the server's own machine (Streamlit's "localhost")


def client_id() -> str | None:
    """Whose turn a run of this session is in the queue: the browser's address (through a
    trusted proxy, the address it forwarded; see core.clients). A browser on the server's
    own machine (localhost: its admin, or a test harness), or a session outside a real
    server (AppTest), is a client per session. None without a session."""
    import streamlit as st
    from streamlit.runtime import Runtime
    from streamlit.runtime.scriptrunner import get_script_run_ctx

    ctx = get_script_run_ctx()
    if ctx is None:
        return None
    own = f"session-{ctx.session_id}"
    if not Runtime.exists():
        return own
    try:
        peer = st.context.ip_address or "127.0.0.1"  # Streamlit reports localhost as None
        forwarded = st.context.headers.get_all("X-Forwarded-For")
    except Exception:  # no request behind this session
        return own
    client = client_address(peer, forwarded, parse_networks(os.environ.get("TRUSTED_PROXIES")))
    return own if client in LOCALHOST else client


def max_run_examples() -> int | None:
    """``MAX_RUN_EXAMPLES`` (None for 0: no limit); a value that is not a number: default."""
    try:
        value = int(os.environ.get("MAX_RUN_EXAMPLES", DEFAULT_MAX_RUN_EXAMPLES))
    except ValueError:
        value = DEFAULT_MAX_RUN_EXAMPLES
    return value if value > 0 else None


def new_job(run: TrainingRun) -> TrainingJob:
    """A job for ``run`` in the server-wide queue, as this browser's, stopped if this tab
    goes away, no larger than MAX_RUN_EXAMPLES."""
    return TrainingJob(run, run_slots(), owner_alive=owner_alive_check(), client=client_id(),
                       max_examples=max_run_examples())


def run_name(job: TrainingJob) -> str:
    """"run 3": the student's third run (numbered in their workspace from 1)."""
    return Msg("run {ticket}", ticket=session().run_numbers.get(job.ticket, job.ticket))


def run_record(job: TrainingJob) -> dict:
    """A run as core.runs expects it: name, settings, status, history, the settings changed
    mid-run, test accuracy."""
    r = job.run
    settings = {**r.config.to_dict(), "dataset": r.data.name,
                "preprocessing": PREPROCESSINGS[r.data.preprocessing]}
    return {"name": run_name(job), "settings": settings,
            "status": Msg("training") if job.alive else STATUS_WORDS[r.status],
            "history": list(r.history),
            "changes": list(r.changes), "test_accuracy": job.test_accuracy}


def session_runs() -> list[TrainingJob]:
    """All runs of this session that trained at least one epoch, oldest first."""
    job = current_job()
    return [*kept_runs(), *([job] if job is not None and job.run.history else [])]
