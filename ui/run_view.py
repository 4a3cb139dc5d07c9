"""How a training run is shown while it trains and after: its status line, progress bar,
numbers, and the table of this session's runs side by side."""

from __future__ import annotations

from collections.abc import Callable

import streamlit as st

from core.config import LEARNING_RATES
from core.i18n import Msg, Translator
from core.jobs import TrainingJob
from core.preprocess import preprocessing_note
from core.presets import nearest_choice
from core.run_state import RunStatus
from core.runs import (
    COLUMNS,
    SECONDS_PER_EPOCH,
    SECONDS_PER_EPOCH_HELP,
    comparison_rows,
    metrics_csv,
    seconds_per_epoch,
)
from ui.i18n import current, tr
from ui.runs import MAX_KEPT_RUNS, kept_runs, run_name, run_record, session_runs
from ui.state import session

PINNED_WIDGET = "pinned"  # the earlier runs drawn faded under the live curves (tickets)


def status_line(job: TrainingJob, retry: Callable[[float], None]) -> None:
    """What the run is doing or how it ended, with a one-click retry when a smaller
    learning rate is the advice (``retry(lr)`` starts it)."""
    run = job.run
    if job.queued and job.behind_own_run():
        st.info(tr("Queued behind your other run: this server trains one run per computer at "
                   "a time, so that everyone gets a turn. This one starts by itself when that "
                   "one ends."))
    elif job.queued:
        st.info(tr("Queued: {ahead} ahead of you. Training starts by itself when a slot frees "
                   "up.", ahead=job.ahead() or 0))
    elif run.status is RunStatus.DIVERGED or (run.status is RunStatus.PAUSED and run.message):
        (st.error if run.status is RunStatus.DIVERGED else st.warning)(tr(run.message))
        if run.suggested_learning_rate:
            lr = nearest_choice(run.suggested_learning_rate, LEARNING_RATES)
            st.button(tr("Retry with learning rate {lr:g}", lr=lr), on_click=retry, args=(lr,),
                      icon=":material/replay:", key="retry")
    elif run.status is RunStatus.STOPPED:
        st.warning(tr(run.message))
    elif run.status is RunStatus.FINISHED and job.test_accuracy is not None:
        wrong = round((1 - job.test_accuracy) * len(run.data.y_test))
        st.success(tr("Finished {epochs} epochs (median {per_epoch} s per epoch). Test "
                      "accuracy: **{accuracy:.2%}** ({wrong:,} of {n_test:,} test digits "
                      "wrong).", epochs=run.epochs_done,
                      per_epoch=epoch_seconds_text(run.history), accuracy=job.test_accuracy,
                      wrong=wrong, n_test=len(run.data.y_test)))
    if run.hint and run.status is not RunStatus.DIVERGED:
        st.info(tr(run.hint), icon=":material/speed:")


def progress(job: TrainingJob) -> None:
    run = job.run
    epoch = min(run.epochs_done + 1, run.target_epochs)
    eta = run.eta_seconds()
    eta_text = "" if eta is None else tr(" - about {seconds} s left",
                                         seconds=f"{eta:.0f}" if eta >= 10 else f"{eta:.1f}")
    text = (Msg("paused at epoch {epoch}/{total}", epoch=epoch, total=run.target_epochs)
            if run.status is RunStatus.PAUSED
            else Msg("epoch {epoch}/{total}", epoch=epoch, total=run.target_epochs))
    st.progress(min(1.0, run.batches_done / run.n_batches),
                text=tr("{epoch}: batch {done}/{total}{eta}", epoch=text, done=run.batches_done,
                        total=run.n_batches, eta=eta_text))


def numbers(job: TrainingJob) -> None:
    run = job.run
    last = run.history[-1] if run.history else None
    c = st.columns(5)
    c[0].metric(tr("Epochs done"), f"{run.epochs_done} / {run.target_epochs}")
    c[1].metric(tr(SECONDS_PER_EPOCH), epoch_seconds_text(run.history),
                help=tr(SECONDS_PER_EPOCH_HELP))
    healthy = last is not None and last.valid_acc == last.valid_acc
    c[2].metric(tr("Validation accuracy"), f"{last.valid_acc:.2%}" if healthy else "-")
    c[3].metric(tr("Learning rate"), f"{run.learning_rate:g}")
    c[4].metric(tr("Lambda"), f"{run.l2:g}")


def epoch_seconds_text(history: list) -> str:
    """The run's seconds per epoch (core.runs.seconds_per_epoch) as the page shows it, the
    same in the metric and in the line that says the run finished; "-" before an epoch."""
    seconds = seconds_per_epoch(history)
    if seconds is None:
        return "-"
    return f"{seconds:.3g}" if seconds < 100 else f"{seconds:.0f}"  # 0.0943, 0.331, 12.3, 140


def pinned_histories() -> list[tuple[str, list]]:
    """(name, history) of the earlier runs pinned under the live curves."""
    chosen = st.session_state.get(PINNED_WIDGET, session().pinned)
    return [(Msg("{label}{note}", label=run_name(j), note=preprocessing_note(
                 j.run.data.preprocessing)), j.run.history)
            for j in kept_runs() if j.ticket in chosen]


def runs_table() -> None:
    """This session's runs side by side: a pin picker, the table of what differs, a CSV."""
    runs = session_runs()
    if not runs:
        return
    st.header(tr("Runs in this session"))
    earlier, t = {j.ticket: j for j in kept_runs()}, current()  # t: also outside the run
    if earlier:
        if PINNED_WIDGET not in st.session_state:  # a new tab: the workspace's pins
            st.session_state[PINNED_WIDGET] = [k for k in session().pinned if k in earlier]
        labels = {k: _pin_label(j, t) for k, j in earlier.items()}  # run names: the session's
        st.multiselect(tr("Pin earlier runs on the chart (drawn faded)"), list(earlier),
                       key=PINNED_WIDGET, format_func=lambda k: labels.get(k, str(k)),
                       placeholder=tr("Choose runs"), on_change=_remember_pins)
    records = [run_record(j) for j in runs]
    percent = st.column_config.NumberColumn(format="percent")
    column = {key: t(name) for key, name in COLUMNS.items()}
    st.dataframe(comparison_rows(records, t), hide_index=True, width="stretch",
                 column_config={column["best"]: percent, column["test"]: percent})
    st.caption(tr("Only the settings that differ between runs are listed. The last {n} earlier "
                  "runs are kept, and the Results and Draw pages can use any of them (sidebar).",
                  n=MAX_KEPT_RUNS))
    st.download_button(tr("Download all runs' metrics (CSV)"), metrics_csv(records),
                       file_name="runs.csv", mime="text/csv", icon=":material/download:")


def _remember_pins() -> None:
    """The pins belong to the browser's workspace: a reload draws them again."""
    session().pinned = list(st.session_state[PINNED_WIDGET])


def _pin_label(job: TrainingJob, t: Translator) -> str:
    c = job.run.config
    return t("{run}: lr {lr:g}, lambda {l2:g}{note}", run=run_name(job), lr=c.learning_rate,
              l2=c.l2, note=preprocessing_note(job.run.data.preprocessing))
