"""Predict, then run (issue 25, item 1) on the Train page: the form to commit a prediction
before Start, the verdict beside the result, and the table "How good is my intuition?".

The predictions live in the browser's workspace (``SessionState.predictions``, a list of
core.prediction.Prediction, newest last), so they survive a reload. The pending one (made,
not yet run) has no ticket; Start gives it the new run's (:func:`attach`).
"""

from __future__ import annotations

import streamlit as st

from core import prediction as pr
from core.markup import markdown_literal
from ui.i18n import current, tr
from ui.runs import run_name
from ui.state import session

KIND = "prediction_kind"
VALUE = "prediction_value"
DIRECTION = "prediction_direction"
REASON = "prediction_reason"


def _last_accuracy() -> float | None:
    """The validation accuracy the session's current run reached (the baseline for
    "higher / lower"), None without a run that has ended with an epoch."""
    job = session().job
    if job is None or job.alive or not job.run.history:
        return None
    return job.run.history[-1].valid_acc


def _commit() -> None:
    state = session()
    kind = st.session_state.get(KIND, pr.ACCURACY)
    try:
        made = pr.make_prediction(kind, st.session_state.get(VALUE),
                                  st.session_state.get(DIRECTION), st.session_state.get(REASON, ""),
                                  _last_accuracy())
    except ValueError as exc:
        state.train_error = str(exc)
        return
    state.predictions = [p for p in state.predictions if p.ticket is not None] + [made]
    state.train_error = None


def _withdraw() -> None:
    session().predictions = [p for p in session().predictions if p.ticket is not None]


def pending() -> pr.Prediction | None:
    """The prediction committed for the next Start, if any."""
    kept = session().predictions
    return kept[-1] if kept and kept[-1].ticket is None else None


def form(active: bool) -> None:
    """Before Start: commit a prediction (optional), or see and withdraw the one made. Not
    drawn while a run trains (its own prediction shows beside it: :func:`beside`)."""
    if active:
        return
    made = pending()
    with st.expander(tr("Predict, then run"), expanded=made is not None):
        if made is not None:
            st.markdown(tr("Your prediction: **{guess}**", guess=tr(pr.guess_text(made))))
            if made.reason:
                st.caption(markdown_literal(made.reason, pr.REASON_CHARS))
            st.button(tr("Withdraw the prediction"), on_click=_withdraw)
            return
        kinds = {pr.ACCURACY: tr("The validation accuracy it will reach")}
        if _last_accuracy() is not None:
            kinds[pr.RELATIVE] = tr("Higher, lower or about the same as my last run")
        kind = st.radio(tr("I predict"), list(kinds), format_func=kinds.get, key=KIND)
        if kind == pr.RELATIVE and pr.RELATIVE in kinds:
            st.radio(tr("Validation accuracy compared with my last run ({acc:.1f} %)",
                        acc=100 * _last_accuracy()), list(pr.DIRECTIONS),
                     format_func=lambda d: tr(pr.DIRECTIONS[d]), key=DIRECTION, horizontal=True)
        else:
            st.number_input(tr("Validation accuracy (%)"), 0.0, 100.0, 90.0, 0.1,
                            format="%.1f", key=VALUE)
        st.text_input(tr("Why? (optional, one line)"), max_chars=pr.REASON_CHARS, key=REASON)
        st.button(tr("Commit the prediction"), on_click=_commit)


def attach(ticket: int) -> None:
    """Start made run ``ticket``: the pending prediction is for it."""
    state = session()
    state.predictions = pr.attach(state.predictions, ticket)


def beside(job) -> None:
    """The prediction made for ``job`` beside its result: the verdict once it has ended."""
    state = session()
    made = pr.outcome(state.predictions, job.ticket)
    if made is None:
        return
    if job.alive or not job.run.history:
        st.caption(tr("You predicted {guess}.", guess=tr(pr.guess_text(made))))
        return
    result = job.run.history[-1].valid_acc
    if made.result is None:
        state.predictions = pr.resolve(state.predictions, job.ticket, result)
    verdict = pr.score(made, result)
    st.info(tr("You predicted {guess}; it reached {result:.1f} %: {verdict}.",
               guess=tr(pr.guess_text(made)), result=100 * result, verdict=tr(verdict.text)))


def intuition_table() -> None:
    """"How good is my intuition?": the session's scored predictions."""
    rows = pr.table_rows(session().predictions, _names(), current())
    if rows:
        st.header(tr("How good is my intuition?"))
        st.dataframe(rows, hide_index=True)


def _names() -> dict:
    state = session()
    jobs = [j for j in [state.job, *state.kept_runs] if j is not None]
    return {j.ticket: run_name(j) for j in jobs}
