"""How a training run is shown while it trains and after: its status line, progress bar,
numbers, and the table of this session's runs side by side."""

from __future__ import annotations

from collections.abc import Callable

import streamlit as st

from core.config import LEARNING_RATES
from core.jobs import TrainingJob
from core.preprocess import preprocessing_note
from core.presets import nearest_choice
from core.runs import comparison_rows, metrics_csv
from core.train import RunStatus
from ui.runs import MAX_KEPT_RUNS, kept_runs, run_name, run_record, session_runs

PINNED_WIDGET = "pinned"  # the earlier runs drawn faded under the live curves (tickets)


def status_line(job: TrainingJob, retry: Callable[[float], None]) -> None:
    """What the run is doing or how it ended, with a one-click retry when a smaller
    learning rate is the advice (``retry(lr)`` starts it)."""
    run = job.run
    if job.queued:
        st.info(f"Queued: {job.ahead() or 0} ahead of you. Training starts by itself when a "
                "slot frees up.")
    elif run.status is RunStatus.DIVERGED or (run.status is RunStatus.PAUSED and run.message):
        (st.error if run.status is RunStatus.DIVERGED else st.warning)(run.message)
        if run.suggested_learning_rate:
            lr = nearest_choice(run.suggested_learning_rate, LEARNING_RATES)
            st.button(f"Retry with learning rate {lr:g}", on_click=retry, args=(lr,),
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


def progress(job: TrainingJob) -> None:
    run = job.run
    epoch = min(run.epochs_done + 1, run.target_epochs)
    eta = run.eta_seconds()
    eta_text = "" if eta is None else (f" - about {eta:.0f} s left" if eta >= 10
                                       else f" - about {eta:.1f} s left")
    word = "paused at epoch" if run.status is RunStatus.PAUSED else "epoch"
    st.progress(min(1.0, run.batches_done / run.n_batches),
                text=f"{word} {epoch}/{run.target_epochs}: batch {run.batches_done}/"
                     f"{run.n_batches}{eta_text}")


def numbers(job: TrainingJob) -> None:
    run = job.run
    last = run.history[-1] if run.history else None
    c = st.columns(5)
    c[0].metric("Epochs done", f"{run.epochs_done} / {run.target_epochs}")
    c[1].metric("Seconds per epoch", f"{last.seconds:.2f}" if last else "-")
    healthy = last is not None and last.valid_acc == last.valid_acc
    c[2].metric("Validation accuracy", f"{last.valid_acc:.2%}" if healthy else "-")
    c[3].metric("Learning rate", f"{run.learning_rate:g}")
    c[4].metric("Lambda", f"{run.l2:g}")


def pinned_histories() -> list[tuple[str, list]]:
    """(name, history) of the earlier runs pinned under the live curves."""
    chosen = st.session_state.get(PINNED_WIDGET, [])
    return [(run_name(j) + preprocessing_note(j.run.data.preprocessing), j.run.history)
            for j in kept_runs() if j.ticket in chosen]


def runs_table() -> None:
    """This session's runs side by side: a pin picker, the table of what differs, a CSV."""
    runs = session_runs()
    if not runs:
        return
    st.subheader("Runs in this session")
    earlier = {j.ticket: j for j in kept_runs()}
    if earlier:
        st.multiselect("Pin earlier runs on the chart (drawn faded)", list(earlier),
                       key=PINNED_WIDGET, format_func=lambda t: _pin_label(earlier[t]))
    records = [run_record(j) for j in runs]
    percent = st.column_config.NumberColumn(format="percent")
    st.dataframe(comparison_rows(records), hide_index=True, width="stretch",
                 column_config={"best valid acc": percent, "test acc": percent})
    st.caption("Only the settings that differ between runs are listed. The last "
               f"{MAX_KEPT_RUNS} earlier runs are kept, and the Results and Draw pages can "
               "use any of them (sidebar).")
    st.download_button("Download all runs' metrics (CSV)", metrics_csv(records),
                       file_name="runs.csv", mime="text/csv", icon=":material/download:")


def _pin_label(job: TrainingJob) -> str:
    c = job.run.config
    return (f"{run_name(job)}: lr {c.learning_rate:g}, lambda {c.l2:g}"
            f"{preprocessing_note(job.run.data.preprocessing)}")
