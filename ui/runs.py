"""This session's training runs: the current one, the earlier ones kept for the other pages,
and the background jobs that train them."""

from __future__ import annotations

from core.i18n import Msg
from core.jobs import TrainingJob
from core.preprocess import PREPROCESSINGS
from core.train import STATUS_WORDS, TrainingRun
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
    """Make ``job`` the session's current run, keeping the previous one if it trained."""
    retire_current_job()
    state = session()
    state.job = job
    state.model_choice = "current"
    job.start()


def owner_alive_check():
    """A callable telling whether this browser session is still connected (None outside a
    real server, e.g. under AppTest)."""
    try:
        from streamlit.runtime import Runtime
        from streamlit.runtime.scriptrunner import get_script_run_ctx

        ctx = get_script_run_ctx()
        if ctx is None or not Runtime.exists():
            return None
        runtime, session_id = Runtime.instance(), ctx.session_id
        return lambda: runtime.is_active_session(session_id)
    except Exception:
        return None


def new_job(run: TrainingRun) -> TrainingJob:
    """A job for ``run`` in the server-wide queue, stopped if this tab goes away."""
    return TrainingJob(run, run_slots(), owner_alive=owner_alive_check())


def run_name(job: TrainingJob) -> str:
    return Msg("run {ticket}", ticket=job.ticket)


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
