"""Train page: set the hyperparameters, start, steer and watch the run."""

import streamlit as st

import ui
from core.config import LEARNING_RATES
from core.describe import curves_summary, curves_table, epoch_announcement
from core.figures import curves_figure
from core.presets import DEFAULTS, nearest_choice
from core.run_state import STATUS_WORDS, RunStatus
from core.style import references_caption
from ui import a11y, class_lessons, classroom, i18n, one_change, prediction, run_view, settings_form
from ui.i18n import tr

MORE_WIDGET = "more_epochs"

data = ui.current_data()
job = ui.current_job()
active = ui.job_active(job)
waiting = ui.waiting(job)  # in the queue behind others: the live view refreshes less often
session = ui.session()
settings_form.load(st.query_params.to_dict(), len(data.y_train))

st.title(tr("Train a softmax regression"))
st.caption(tr("{name}: {n_train:,} training images, {n_valid:,} held out for validation, "
              "{n_test:,} for the final test.", name=tr(data.name), n_train=len(data.y_train),
              n_valid=len(data.y_valid), n_test=len(data.y_test)))
settings_form.link_notes()  # what the link could not set, its values shown as typed
classroom.train_banner()  # in a class: its challenge, and which runs are shared
class_lessons.train_panel()  # in a class: the teacher's question, my part of the experiment


def _start(**override) -> None:
    try:
        config = settings_form.config(**override)
        session.settings = config.to_dict()
        ui.start_run(settings_form.training_data(), config)  # Refused: too large, no place
        prediction.attach(ui.current_job().ticket)  # the guess made before Start is for it
    except ValueError as exc:
        session.train_error = str(exc)
        return
    session.train_error = None


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
        ui.current_job().extend(int(st.session_state[MORE_WIDGET]))
        session.train_error = None
    except ValueError as exc:
        session.train_error = str(exc)


def _reset() -> None:
    ui.retire_current_job()
    session.train_error = None


# ------------------------------------------------------------------ controls

settings_form.lesson_picker(active)
settings_form.setting_widgets(active, len(data.y_train))
settings_form.deskew_switch(active)
prediction.form(active)  # predict, then run (issue 25, item 1)

has_run = job is not None
can_continue = (has_run and not active and bool(job.run.history)
                and job.run.status is not RunStatus.DIVERGED)
paused = has_run and job.run.status is RunStatus.PAUSED
b = st.columns(6)
b[0].button(tr("Start"), type="primary", on_click=_start, disabled=active, width="stretch")
b[1].button(tr("Resume") if paused else tr("Pause"), on_click=_pause_or_resume,
            disabled=not active, width="stretch")
b[2].button(tr("Stop"), on_click=job.stop if has_run else None, disabled=not active,
            width="stretch")
b[3].number_input(tr("More epochs"), 1, 10_000, 10, key=MORE_WIDGET,
                  label_visibility="collapsed", disabled=not can_continue)
b[4].button(tr("Continue"), on_click=_continue, disabled=not can_continue, width="stretch",
            help=tr("Train the current model for that many more epochs."))
b[5].button(tr("Reset"), on_click=_reset, disabled=active or not has_run, width="stretch",
            help=tr("Put this run aside (it stays on the Results page) and start from scratch."))

if session.train_error:
    st.error(tr(session.train_error))


# ------------------------------------------------------------------ live view


def _live() -> None:
    job = ui.current_job()
    references = data.is_digits  # the published figures are for MNIST digits
    if job is None:
        st.info(tr("Choose the settings (or a lesson) and press **Start**. The defaults are the "
                   "tutorial's: {settings}.", settings=DEFAULTS.describe()))
        ui.chart(ui.live_figure("curves", a11y.still(curves_figure(
            [], references=references, tr=i18n.current()))), "curves", curves_summary([]))
        return
    alive = job.alive
    run_view.status_line(job, _retry)
    if alive and not job.queued:
        run_view.progress(job)
    a11y.announce(epoch_announcement(job.run.history, job.run.target_epochs,
                                     STATUS_WORDS[job.run.status]), final=not alive)
    run_view.numbers(job)
    prediction.beside(job)
    spec = curves_figure(job.run.history, references=references,
                         pinned=run_view.pinned_histories(), changes=job.run.changes,
                         tr=i18n.current())
    ui.chart(ui.live_figure("curves", a11y.still(spec)), "curves",
             curves_summary(job.run.history), curves_table(job.run.history, i18n.current()))
    if references:
        st.caption(references_caption(i18n.current()))
    if active and (not alive or ui.waiting(job) != waiting):  # as at the page's last full run
        st.rerun()  # ended (the controls come back) or next in line (refresh faster)


st.fragment(_live, run_every=a11y.calmer(ui.live_seconds(job)))()

run_view.runs_table()
prediction.intuition_table()
one_change.panel()  # a twin of any run with one setting changed (issue 25, item 3)
