"""The Sweep page's parts (views/sweep.py draws them): starting a sweep, where it is, and what
it shows once it is over, in words and in a table.

A sweep (:class:`core.sweep.Sweep`) is this session's ``session().sweep``; a sweep that could
not start leaves its reason in ``session().sweep_error`` for the page to show.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

import streamlit as st

from core.i18n import Msg
from core.preprocess import DESKEW, NO_PREPROCESSING
from core.presets import DEFAULTS
from core.sweep import PARAMETERS, Sweep
from core.sweep_report import interpret, table_columns, table_rows
from ui.caches import current_data, run_slots
from ui.i18n import current, tr
from ui.runs import client_id, owner_alive_check
from ui.state import session

# how to read the figure, under it: what each end of the swept setting's axis means
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


def start(parameter: str, values: Sequence[float], epochs: int, deskew: bool) -> None:
    """Cancel this session's sweep, if any, and start one of ``parameter`` at ``values``,
    ``epochs`` each, from the Train page's defaults (on deskewed digits if ``deskew`` and the
    data are digits). A refused sweep (bad values) leaves its reason in ``sweep_error``."""
    state = session()
    if state.sweep is not None:
        state.sweep.cancel()
    deskew = deskew and current_data().is_digits
    try:
        new = Sweep(parameter, values, current_data(DESKEW if deskew else NO_PREPROCESSING),
                    run_slots(), base=replace(DEFAULTS, epochs=int(epochs)),
                    owner_alive=owner_alive_check(), client=client_id())
        new.start()  # core.tasks.Refused: this computer has no place left in the queue
    except ValueError as exc:
        state.sweep_error = str(exc)
        return
    state.sweep_error, state.sweep = None, new


def status(sweep: Sweep, results: list) -> None:
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


def reading(sweep: Sweep, results: list) -> None:
    """Once the sweep is over: what it shows, in words, and the numbers in a table."""
    t = current()
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
