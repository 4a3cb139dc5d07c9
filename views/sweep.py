"""Sweep page: train lambda (or the learning rate) at a handful of values, briefly, and see
under- and over-fitting in one picture."""

import streamlit as st

import ui
from core.describe import sweep_summary, sweep_table
from core.presets import DEFAULTS, LAMBDAS, LEARNING_RATES
from core.sweep import (
    DEFAULT_EPOCHS,
    MAX_EPOCHS_PER_POINT,
    PARAMETERS,
    Sweep,
    default_values,
    format_value,
    recorded_pace,
)
from core.sweep_report import plan, sweep_figure
from ui import a11y, i18n, sweep_view
from ui.i18n import tr

OPTIONS = {"l2": LAMBDAS, "learning_rate": LEARNING_RATES}

DESKEW_WIDGET = "sweep_deskew"
data = ui.current_data()
widgets = st.session_state  # the widgets' values, under the keys below
session = ui.session()
sweep: Sweep | None = session.sweep
active = sweep is not None and sweep.alive

st.title(tr("Sweep: one setting, several values"))
st.caption(tr("{data}. Every value starts from the same weights and sees the same batches; "
              "everything but the swept setting is the Train page's default (learning rate "
              "{lr:g}, lambda {l2:g}, batch {batch}, seed {seed}), so the swept setting alone "
              "explains the differences.", data=tr(data.name), lr=DEFAULTS.learning_rate,
              l2=DEFAULTS.l2, batch=DEFAULTS.batch_size, seed=DEFAULTS.seed))
t = i18n.current()  # for format_funcs, also called outside the script's run


def _start() -> None:
    parameter = widgets["sweep_param"]
    sweep_view.start(parameter, widgets[f"sweep_values_{parameter}"], widgets["sweep_epochs"],
                     deskew=widgets.get(DESKEW_WIDGET, False))


# ------------------------------------------------------------------ controls

cols = st.columns([1.2, 3, 1])
with cols[0]:
    parameter = st.segmented_control(
        tr("Sweep"), list(PARAMETERS), format_func=lambda k: t(PARAMETERS[k]), default="l2",
        required=True,
        key="sweep_param", disabled=active, persist_state="session")
with cols[1]:
    values = st.multiselect(
        tr("Values of {name}", name=PARAMETERS[parameter]), OPTIONS[parameter],
        default=default_values(parameter),
        format_func=format_value, key=f"sweep_values_{parameter}", disabled=active,
        placeholder=tr("Choose values"),
        persist_state="session")
with cols[2]:
    epochs = st.number_input(tr("Epochs per value"), 1, MAX_EPOCHS_PER_POINT, DEFAULT_EPOCHS,
                             key="sweep_epochs", disabled=active, persist_state="session")

if data.is_digits:
    st.toggle(tr("Deskew the digits"), key=DESKEW_WIDGET, disabled=active,
              persist_state="session",
              help=tr("Train and score every value on deskewed digits (each one's slant sheared "
                      "away), as the Train page's switch does."))
b = st.columns([1, 1, 4])
b[0].button(tr("Start"), type="primary", on_click=_start, disabled=active or not values,
            width="stretch", icon=":material/play_arrow:")
b[1].button(tr("Cancel"), on_click=sweep.cancel if sweep is not None else None,
            disabled=not active, width="stretch", icon=":material/stop:")
if session.sweep_error:
    st.error(tr(session.sweep_error))


# ------------------------------------------------------------------ live view


def _live() -> None:
    sweep = ui.session().sweep
    if sweep is None:
        pace = recorded_pace(data, DEFAULTS.batch_size)
        st.info(tr("Choose what to sweep and press **Start**. {plan}",
                   plan=plan(parameter, len(values), int(epochs), data, pace, t)))
        return
    results = list(sweep.results)  # the worker appends; read one consistent copy
    sweep_view.status(sweep, results)
    ui.chart(sweep_figure(results, sweep.parameter, sweep.values, tr=t), "sweep-figure",
             sweep_summary(results, format_value),  # the numbers: below, once it has ended
             sweep_table(results, format_value, t) if sweep.alive else None)
    st.caption(tr(sweep_view.READING[sweep.parameter]))
    if results and not sweep.alive:
        sweep_view.reading(sweep, results)
    if active and not sweep.alive:  # active: as at the page's last full run
        st.rerun()  # the sweep ended: refresh the whole page so the controls come back


st.fragment(_live, run_every=a11y.calmer(0.5 if active else None))()
