"""Train page: set the hyperparameters, start, steer and watch the run."""

import streamlit as st

import ui
from core.config import TrainConfig
from core.figures import curves_figure
from core.jobs import TrainingJob
from core.train import RunStatus, TrainingRun

LEARNING_RATES = [1e-4, 2e-4, 5e-4, 1e-3, 2e-3, 5e-3, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1.0,
                  2.0, 5.0, 10.0]
LAMBDAS = [0.0, 1e-6, 1e-5, 1e-4, 1e-3, 1e-2, 0.1, 1.0]
DEFAULTS = TrainConfig()

data = ui.current_data()
job = ui.current_job()
active = ui.job_active(job)
st.session_state["train_was_active"] = active

st.title("Train a softmax regression")
st.caption(f"{data.name}: {len(data.y_train):,} training images, {len(data.y_valid):,} held "
           f"out for validation, {len(data.y_test):,} for the final test.")


def _config() -> TrainConfig:
    s = st.session_state
    return TrainConfig(epochs=s.epochs, learning_rate=s.lr, l2=s.l2, batch_size=s.batch,
                       seed=s.seed)


def _start() -> None:
    try:
        run = TrainingRun(ui.current_data(), _config())
    except ValueError as exc:
        st.session_state["train_error"] = str(exc)
        return
    st.session_state.pop("train_error", None)
    ui.start_job(TrainingJob(run, ui.run_slots()))


def _pause_or_resume() -> None:
    run = ui.current_job().run
    if run.status is RunStatus.PAUSED:
        run.resume()
    else:
        run.pause()


def _continue() -> None:
    try:
        ui.current_job().extend(int(st.session_state.more_epochs))
        st.session_state.pop("train_error", None)
    except ValueError as exc:
        st.session_state["train_error"] = str(exc)


def _reset() -> None:
    ui.retire_current_job()
    st.session_state.pop("train_error", None)


def _learning_rate_changed() -> None:
    job = ui.current_job()
    if ui.job_active(job):
        job.run.set_learning_rate(st.session_state.lr)


# ------------------------------------------------------------------ controls

cols = st.columns([1, 2, 2, 1, 1])
cols[0].number_input("Epochs", 1, 10_000, DEFAULTS.epochs, key="epochs", disabled=active)
cols[1].select_slider("Learning rate", LEARNING_RATES, value=DEFAULTS.learning_rate, key="lr",
                      format_func=lambda v: f"{v:g}", on_change=_learning_rate_changed,
                      help="Can be changed while training: the next batch uses it.")
cols[2].select_slider("L2 lambda", LAMBDAS, value=DEFAULTS.l2, key="l2", disabled=active,
                      format_func=lambda v: f"{v:g}")
cols[3].number_input("Batch size", 1, len(data.y_train), DEFAULTS.batch_size, key="batch",
                     disabled=active)
cols[4].number_input("Seed", 0, 2**32 - 1, DEFAULTS.seed, key="seed", disabled=active)

has_run = job is not None
can_continue = has_run and not active and job.run.history and job.run.status is not RunStatus.DIVERGED
paused = has_run and job.run.status is RunStatus.PAUSED
b = st.columns([1, 1, 1, 1, 1, 1])
b[0].button("Start", type="primary", on_click=_start, disabled=active, width="stretch")
b[1].button("Resume" if paused else "Pause", on_click=_pause_or_resume, disabled=not active,
            width="stretch")
b[2].button("Stop", on_click=job.stop if has_run else None, disabled=not active,
            width="stretch")
b[3].number_input("More epochs", 1, 10_000, 10, key="more_epochs", label_visibility="collapsed",
                  disabled=not can_continue)
b[4].button("Continue", on_click=_continue, disabled=not can_continue, width="stretch",
            help="Train the current model for that many more epochs.")
b[5].button("Reset", on_click=_reset, disabled=active or not has_run, width="stretch",
            help="Put this run aside (it stays on the Results page) and start from scratch.")

if "train_error" in st.session_state:
    st.error(st.session_state["train_error"])


# ------------------------------------------------------------------ live view


def _status_line(job: TrainingJob) -> None:
    run = job.run
    if job.queued:
        ahead = job.ahead() or 0
        st.info(f"Queued: {ahead} ahead of you. Training starts by itself when a slot frees up.")
    elif run.status is RunStatus.DIVERGED:
        st.error(run.message)
    elif run.status is RunStatus.STOPPED:
        st.warning(run.message)
    elif run.status is RunStatus.FINISHED and job.test_accuracy is not None:
        seconds = sum(m.seconds for m in run.history)
        st.success(f"Finished {run.epochs_done} epochs in {seconds:.1f} s "
                   f"({seconds / run.epochs_done:.3f} s per epoch). Test accuracy: "
                   f"**{job.test_accuracy:.2%}** ({round((1 - job.test_accuracy) * len(run.data.y_test)):,} "
                   f"of {len(run.data.y_test):,} test digits wrong).")


def _progress(job: TrainingJob) -> None:
    run = job.run
    epoch = min(run.epochs_done + 1, run.target_epochs)
    fraction = run.batches_done / run.n_batches
    eta = run.eta_seconds()
    eta_text = f" - about {eta:.0f} s left" if eta and eta >= 10 else (
        f" - about {eta:.1f} s left" if eta is not None else "")
    word = "paused at" if run.status is RunStatus.PAUSED else "epoch"
    st.progress(min(1.0, fraction), text=f"{word} {epoch}/{run.target_epochs}: batch "
                f"{run.batches_done}/{run.n_batches}{eta_text}")


def _numbers(job: TrainingJob) -> None:
    run = job.run
    last = run.history[-1] if run.history else None
    c = st.columns(4)
    c[0].metric("Epochs done", f"{run.epochs_done} / {run.target_epochs}")
    c[1].metric("Seconds per epoch", f"{last.seconds:.2f}" if last else "-")
    c[2].metric("Validation accuracy", f"{last.valid_acc:.2%}" if last and last.valid_acc == last.valid_acc else "-")
    c[3].metric("Learning rate", f"{run.learning_rate:g}")


def _live() -> None:
    job = ui.current_job()
    if job is None:
        st.info("Choose the settings and press **Start**. The tutorial's settings are the "
                "defaults: 200 epochs, learning rate 0.1, lambda 1e-4, batch 100, seed 34.")
        st.plotly_chart(curves_figure([]), key="curves")
        return
    alive = job.alive
    _status_line(job)
    if alive and not job.queued:
        _progress(job)
    _numbers(job)
    st.plotly_chart(curves_figure(job.run.history), key="curves")
    if st.session_state.get("train_was_active") and not alive:
        st.rerun()  # training ended: refresh the whole page so the controls come back


st.fragment(_live, run_every=0.5 if active else None)()
