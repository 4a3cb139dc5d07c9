"""Train page: set the hyperparameters, start, steer and watch the run."""

import streamlit as st

import ui
from core.config import TrainConfig
from core.figures import curves_figure
from core.jobs import TrainingJob
from core.presets import (
    DEFAULTS,
    LAMBDAS,
    LEARNING_RATES,
    PRESETS,
    nearest_choice,
    query_from_settings,
    settings_from_query,
)
from core.runs import comparison_rows, metrics_csv
from core.style import references_caption
from core.train import RunStatus, TrainingRun

FIELDS = {"epochs": "epochs", "lr": "learning_rate", "l2": "l2", "batch": "batch_size",
          "seed": "seed"}  # widget key -> TrainConfig field
# settings that can change while a run trains: the next batch uses them
LIVE_SETTINGS = {"lr": TrainingRun.set_learning_rate, "l2": TrainingRun.set_l2}

data = ui.current_data()
job = ui.current_job()
active = ui.job_active(job)
session = ui.session()
widgets = st.session_state

# Settings live in the session so they survive visits to other pages (Streamlit forgets the
# state of widgets that are not on the page), and start from the URL on a first visit.
if session.settings is None:
    given, session.preset, session.url_notes = settings_from_query(st.query_params.to_dict())
    session.settings = {**DEFAULTS.to_dict(), **given}
for key, field in FIELDS.items():
    widgets[key] = session.settings[field]

st.title("Train a softmax regression")
st.caption(f"{data.name}: {len(data.y_train):,} training images, {len(data.y_valid):,} held "
           f"out for validation, {len(data.y_test):,} for the final test.")
for note in session.url_notes:
    st.warning(f"From the link: {note}.")


def _config(**override) -> TrainConfig:
    return TrainConfig(**{**session.settings, **override})


def _remember(key: str) -> None:
    session.settings[FIELDS[key]] = widgets[key]
    session.preset = None
    session.url_notes = []
    if key in LIVE_SETTINGS and ui.job_active():
        LIVE_SETTINGS[key](ui.current_job().run, widgets[key])


def _apply_preset() -> None:
    key = widgets["lesson"]
    if key in PRESETS:
        session.settings = PRESETS[key].config().to_dict()
        session.preset = key


def _start(**override) -> None:
    try:
        run = TrainingRun(ui.current_data(), _config(**override), coach=True)
    except ValueError as exc:
        session.train_error = str(exc)
        return
    session.train_error = None
    session.settings = run.config.to_dict()
    ui.start_job(ui.new_job(run))


def _retry(lr: float) -> None:
    _start(learning_rate=nearest_choice(lr, LEARNING_RATES))


def _pause_or_resume() -> None:
    run = ui.current_job().run
    if run.status is RunStatus.PAUSED:
        run.resume()
    else:
        run.pause()


def _continue() -> None:
    try:
        ui.current_job().extend(int(widgets["more_epochs"]))
        session.train_error = None
    except ValueError as exc:
        session.train_error = str(exc)


def _reset() -> None:
    ui.retire_current_job()
    session.train_error = None


# ------------------------------------------------------------------ controls

lesson_col, watch_col = st.columns([1, 3])
lessons = ["custom", *PRESETS]
widgets["lesson"] = session.preset or "custom"
lesson_col.selectbox("Lesson", lessons, key="lesson", on_change=_apply_preset, disabled=active,
                     format_func=lambda k: "Your own settings" if k == "custom" else PRESETS[k].title)
if session.preset:
    watch_col.info(f"**What to watch for:** {PRESETS[session.preset].watch}")

cols = st.columns([1, 2, 2, 1, 1])
cols[0].number_input("Epochs", 1, 10_000, key="epochs", disabled=active,
                     on_change=_remember, args=("epochs",))
cols[1].select_slider("Learning rate", LEARNING_RATES, key="lr", format_func=lambda v: f"{v:g}",
                      on_change=_remember, args=("lr",),
                      help="Can be changed while training: the next batch uses it.")
cols[2].select_slider("L2 lambda", LAMBDAS, key="l2", format_func=lambda v: f"{v:g}",
                      on_change=_remember, args=("l2",),
                      help="Can be changed while training: the next batch uses it.")
cols[3].number_input("Batch size", 1, len(data.y_train), key="batch", disabled=active,
                     on_change=_remember, args=("batch",))
cols[4].number_input("Seed", 0, 2**32 - 1, key="seed", disabled=active,
                     on_change=_remember, args=("seed",))
st.query_params.from_dict(query_from_settings(_config(), session.preset))

has_run = job is not None
can_continue = (has_run and not active and bool(job.run.history)
                and job.run.status is not RunStatus.DIVERGED)
paused = has_run and job.run.status is RunStatus.PAUSED
b = st.columns(6)
b[0].button("Start", type="primary", on_click=_start, disabled=active, width="stretch")
b[1].button("Resume" if paused else "Pause", on_click=_pause_or_resume, disabled=not active,
            width="stretch")
b[2].button("Stop", on_click=job.stop if has_run else None, disabled=not active, width="stretch")
b[3].number_input("More epochs", 1, 10_000, 10, key="more_epochs", label_visibility="collapsed",
                  disabled=not can_continue)
b[4].button("Continue", on_click=_continue, disabled=not can_continue, width="stretch",
            help="Train the current model for that many more epochs.")
b[5].button("Reset", on_click=_reset, disabled=active or not has_run, width="stretch",
            help="Put this run aside (it stays on the Results page) and start from scratch.")

if session.train_error:
    st.error(session.train_error)


# ------------------------------------------------------------------ live view


def _status_line(job: TrainingJob) -> None:
    run = job.run
    if job.queued:
        st.info(f"Queued: {job.ahead() or 0} ahead of you. Training starts by itself when a "
                "slot frees up.")
    elif run.status is RunStatus.DIVERGED or (run.status is RunStatus.PAUSED and run.message):
        (st.error if run.status is RunStatus.DIVERGED else st.warning)(run.message)
        if run.suggested_learning_rate:
            lr = nearest_choice(run.suggested_learning_rate, LEARNING_RATES)
            st.button(f"Retry with learning rate {lr:g}", on_click=_retry, args=(lr,),
                      icon=":material/replay:", key="retry")
    elif run.status is RunStatus.STOPPED:
        st.warning(run.message)
    elif run.status is RunStatus.FINISHED and job.test_accuracy is not None:
        seconds = sum(m.seconds for m in run.history)
        wrong = round((1 - job.test_accuracy) * len(run.data.y_test))
        st.success(f"Finished {run.epochs_done} epochs in {seconds:.1f} s "
                   f"({seconds / run.epochs_done:.3f} s per epoch). Test accuracy: "
                   f"**{job.test_accuracy:.2%}** ({wrong:,} of {len(run.data.y_test):,} test "
                   "digits wrong).")
    if run.hint and run.status is not RunStatus.DIVERGED:
        st.info(run.hint, icon=":material/speed:")


def _progress(job: TrainingJob) -> None:
    run = job.run
    epoch = min(run.epochs_done + 1, run.target_epochs)
    eta = run.eta_seconds()
    eta_text = "" if eta is None else (f" - about {eta:.0f} s left" if eta >= 10
                                       else f" - about {eta:.1f} s left")
    word = "paused at epoch" if run.status is RunStatus.PAUSED else "epoch"
    st.progress(min(1.0, run.batches_done / run.n_batches),
                text=f"{word} {epoch}/{run.target_epochs}: batch {run.batches_done}/"
                     f"{run.n_batches}{eta_text}")


def _numbers(job: TrainingJob) -> None:
    run = job.run
    last = run.history[-1] if run.history else None
    c = st.columns(5)
    c[0].metric("Epochs done", f"{run.epochs_done} / {run.target_epochs}")
    c[1].metric("Seconds per epoch", f"{last.seconds:.2f}" if last else "-")
    healthy = last is not None and last.valid_acc == last.valid_acc
    c[2].metric("Validation accuracy", f"{last.valid_acc:.2%}" if healthy else "-")
    c[3].metric("Learning rate", f"{run.learning_rate:g}")
    c[4].metric("Lambda", f"{run.l2:g}")


def _live() -> None:
    job = ui.current_job()
    references = data.class_names[0] == "0"  # published figures are for MNIST digits
    if job is None:
        st.info("Choose the settings (or a lesson) and press **Start**. The defaults are the "
                "tutorial's: 200 epochs, learning rate 0.1, lambda 1e-4, batch 100, seed 34.")
        st.plotly_chart(ui.live_figure("curves", curves_figure([], references=references)),
                        key="curves")
        return
    alive = job.alive
    _status_line(job)
    if alive and not job.queued:
        _progress(job)
    _numbers(job)
    pinned = [(ui.run_name(j), j.run.history) for j in ui.kept_runs()
              if j.ticket in widgets.get("pinned", [])]
    spec = curves_figure(job.run.history, references=references, pinned=pinned,
                         changes=job.run.changes)
    st.plotly_chart(ui.live_figure("curves", spec), key="curves")
    if references:
        st.caption(references_caption())
    if active and not alive:  # active: as at the page's last full run
        st.rerun()  # training ended: refresh the whole page so the controls come back


st.fragment(_live, run_every=0.5 if active else None)()


# ------------------------------------------------------------------ runs side by side

runs = ui.session_runs()
if runs:
    st.subheader("Runs in this session")
    earlier = {j.ticket: j for j in ui.kept_runs()}
    if earlier:
        st.multiselect("Pin earlier runs on the chart (drawn faded)", list(earlier), key="pinned",
                       format_func=lambda t: f"{ui.run_name(earlier[t])}: lr "
                       f"{earlier[t].run.config.learning_rate:g}, lambda {earlier[t].run.config.l2:g}")
    records = [ui.run_record(j) for j in runs]
    st.dataframe(comparison_rows(records), hide_index=True, width="stretch",
                 column_config={"best valid acc": st.column_config.NumberColumn(format="percent"),
                                "test acc": st.column_config.NumberColumn(format="percent")})
    st.caption("Only the settings that differ between runs are listed. The last "
               f"{ui.MAX_KEPT_RUNS} earlier runs are kept, and the Results and Draw pages can "
               "use any of them (sidebar).")
    st.download_button("Download all runs' metrics (CSV)", metrics_csv(records),
                       file_name="runs.csv", mime="text/csv", icon=":material/download:")
