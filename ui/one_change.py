"""Change one thing (Train page): from any run of this session, a new run with the same seed
and exactly one setting changed, pinned over the run it came from, with a caption written
from the two runs' data (core.one_change)."""

from __future__ import annotations

import numpy as np
import streamlit as st

from core.i18n import Msg
from core.one_change import CHOICES, captions, changed_config, other_values
from core.runs import SETTING_LABELS
from ui.i18n import current, tr
from ui.run_view import PINNED_WIDGET
from ui.runs import job_active, kept_runs, run_name, run_record, session_runs, start_run
from ui.state import session

RUN_WIDGET, SETTING_WIDGET = "one_change_run", "one_change_setting"
VALUE_WIDGET = "one_change_value"
BUTTON = Msg("Change one thing")


def record(job) -> dict:
    """The run's record (ui.runs.run_record) with the norm of its final weights, ||W||."""
    return {**run_record(job), "weights_norm": float(np.linalg.norm(job.run.model.W))}


def panel() -> None:
    """The picker (which run, which setting, its new value), the button, and a caption for
    the current run against each pinned run. Nothing before a run has trained an epoch."""
    runs = session_runs()
    if not runs:
        return
    t = current()  # format_funcs are called outside the script's run too
    st.header(tr("Change one thing"))
    st.caption(tr("A new run with the same seed (the same initial weights, the same batches in "
                  "the same order) and exactly one setting changed: whatever differs between "
                  "the two curves is that setting's doing. The run it starts from is pinned "
                  "under it."))
    by_ticket = {j.ticket: j for j in reversed(runs)}  # newest first
    c = st.columns([1.3, 1, 1, 1.2], vertical_alignment="bottom")
    names = {k: tr(run_name(j)) for k, j in by_ticket.items()}  # now: the session's numbers
    ticket = c[0].selectbox(tr("From"), list(by_ticket), key=RUN_WIDGET,
                            format_func=lambda k: names.get(k, str(k)))
    base = by_ticket.get(ticket, runs[-1])
    setting = c[1].selectbox(tr("Change"), list(CHOICES), key=SETTING_WIDGET,
                             format_func=lambda k: t(SETTING_LABELS[k]))
    values = other_values(base.run.config, setting)
    now = getattr(base.run.config, setting)
    higher = [i for i, v in enumerate(values) if v > now]
    value = c[2].selectbox(tr("to"), values, index=higher[min(1, len(higher) - 1)] if higher
                           else len(values) - 1, key=f"{VALUE_WIDGET}-{setting}-{ticket}",
                           format_func=lambda v: f"{v:g}")
    c[3].button(tr(BUTTON), on_click=_start, args=(base, setting, value), disabled=job_active(),
                icon=":material/science:", width="stretch",
                help=tr("Starts a new run: {setting} {now:g} -> {value:g}, all else as in {run}.",
                        setting=SETTING_LABELS[setting], now=now, value=value,
                        run=run_name(base)))
    for text in pinned_captions():
        st.info(text, icon=":material/compare_arrows:")


def _start(base, setting: str, value: float) -> None:
    """Start the twin of ``base`` (its data, its settings, ``setting`` = ``value``) and pin
    ``base`` under it. An error goes where the Train page shows its errors."""
    state = session()
    try:
        config = changed_config(base.run.config, setting, value)
        start_run(base.run.data, config)
    except ValueError as exc:  # also core.slots.Refused: too large, no place in the queue
        state.train_error = str(exc)
        return
    state.train_error = None
    state.settings = config.to_dict()
    pinned = [k for k in st.session_state.get(PINNED_WIDGET, state.pinned) if k != base.ticket]
    state.pinned = [*pinned, base.ticket]
    st.session_state[PINNED_WIDGET] = list(state.pinned)


def pinned_captions() -> list[str]:
    """"run 3 against run 2: only lambda changed, ...": the current run against each run
    pinned under it."""
    job = session().job
    if job is None or not job.run.history:
        return []
    chosen = st.session_state.get(PINNED_WIDGET, session().pinned)
    pinned = [record(j) for j in kept_runs() if j.ticket in chosen]
    return captions(record(job), pinned, current())
