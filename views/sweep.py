"""Sweep page: train lambda (or the learning rate) at a handful of values, briefly, and see
under- and over-fitting in one picture."""

from dataclasses import replace

import streamlit as st

import ui
from core.i18n import Msg
from core.preprocess import DESKEW, NO_PREPROCESSING
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
from core.sweep_report import interpret, plan, sweep_figure, table_columns, table_rows
from ui import i18n
from ui.i18n import tr

OPTIONS = {"l2": LAMBDAS, "learning_rate": LEARNING_RATES}
READING = {
    "l2": Msg("**Left: too little regularisation** - the weights are free to fit the training "
              "images; if train accuracy climbs above validation accuracy, that is overfitting. "
              "**Right: too much** - the penalty squeezes the weights (the dashed line falls) "
              "until train and validation accuracy drop together: underfitting."),
    "learning_rate": Msg("**Left: steps too small** - after a few epochs the model has not got "
                         "far yet: underfitting. **Right: steps too large** - each step "
                         "overshoots the minimum, accuracy suffers, the weights grow (dashed "
                         "line) and the largest steps diverge."),
}

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
    old = session.sweep
    if old is not None:
        old.cancel()
    base = replace(DEFAULTS, epochs=int(widgets["sweep_epochs"]))
    deskew = ui.current_data().is_digits and widgets.get(DESKEW_WIDGET, False)
    try:
        new = Sweep(parameter, widgets[f"sweep_values_{parameter}"],
                    ui.current_data(DESKEW if deskew else NO_PREPROCESSING),
                    ui.run_slots(), base=base, owner_alive=ui.owner_alive_check())
    except ValueError as exc:
        session.sweep_error = str(exc)
        return
    session.sweep_error, session.sweep = None, new
    new.start()


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


def _status(sweep: Sweep, results: list) -> None:
    """Where the sweep is: queued, its progress, or how it ended."""
    if sweep.alive:
        ahead = sweep.ahead()
        if ahead is not None:
            st.info(tr("Waiting for a training slot: {ahead} ahead of you. The sweep goes on by "
                       "itself when one frees up.", ahead=ahead))
        st.progress(sweep.progress, text=tr(sweep.describe()))
    elif sweep.error:
        st.error(tr("The sweep failed: {error}", error=str(sweep.error)))
    elif sweep.cancelled and not sweep.finished:
        st.warning(tr("{message} Trained {done} of {total} values before that.",
                      message=sweep.message, done=len(results), total=sweep.total))
    else:
        st.success(tr("Done: {total} values of {name}, {epochs} epochs each, on {data}, in "
                      "{seconds:.0f} s.", total=sweep.total, name=PARAMETERS[sweep.parameter],
                      epochs=sweep.base.epochs, data=sweep.data.label, seconds=sweep.seconds))


def _reading(sweep: Sweep, results: list) -> None:
    """Once the sweep is over: what it shows, in words, and the numbers in a table."""
    st.info(interpret(results, sweep.parameter, epochs=sweep.base.epochs, data=sweep.data, tr=t),
            icon=":material/lightbulb:")
    two, columns = st.column_config.NumberColumn(format="%.2f"), table_columns(t)
    st.dataframe(table_rows(results, sweep.parameter, t), hide_index=True, column_config={
        **{columns[c]: two for c in ("train", "valid", "test", "norm")},
        columns["seconds"]: st.column_config.NumberColumn(format="%.1f")})
    st.caption(tr("Trained and scored on {data}. Train accuracy is measured on all {n:,} training "
                  "images with the final weights. Choose a value by its validation accuracy; "
                  "the test accuracy is for the final report, not for choosing.",
                  data=sweep.data.label, n=len(sweep.data.y_train)))


def _live() -> None:
    sweep = ui.session().sweep
    if sweep is None:
        pace = recorded_pace(data, DEFAULTS.batch_size)
        st.info(tr("Choose what to sweep and press **Start**. {plan}",
                   plan=plan(parameter, len(values), int(epochs), data, pace, t)))
        return
    results = list(sweep.results)  # the worker appends; read one consistent copy
    _status(sweep, results)
    st.plotly_chart(sweep_figure(results, sweep.parameter, sweep.values, tr=t),
                    key="sweep-figure", config=ui.CHART_CONFIG)
    st.caption(tr(READING[sweep.parameter]))
    if results and not sweep.alive:
        _reading(sweep, results)
    if active and not sweep.alive:  # active: as at the page's last full run
        st.rerun()  # the sweep ended: refresh the whole page so the controls come back


st.fragment(_live, run_every=0.5 if active else None)()
