"""Weights page: the ten columns of W as pictures, live while a run trains, replayable by epoch."""

import streamlit as st

import ui
from core.jobs import TrainingJob
from core.weights_view import (history_limit, norms_figure, replay, symmetric_limit, weight_norms,
                               weights_figure)

st.title("What the model has learned")
st.caption("Each picture is one column of W, laid out on the 28x28 pixel grid: the model's "
           "template for that class. A digit's score for a class adds up its ink times these "
           "weights, so ink on **red** pixels votes **for** the class, ink on **blue** pixels "
           "votes **against** it, and white pixels do not matter.")

job = ui.current_job()
runs = ([job] if job is not None else []) + list(reversed(ui.kept_runs()))


def _label(j: TrainingJob) -> str:
    r, c = j.run, j.run.config
    state = "training" if j.alive else r.status.value
    which = "This run" if j is job else f"Earlier run {runs.index(j)}"
    return f"{which}: lambda {c.l2:g}, learning rate {c.learning_rate:g}, {r.epochs_done} epochs ({state})"


if not runs:
    choice = ui.chosen_model()
    if choice is None:
        st.info("There is no model for this dataset yet. Train one on the Train page.")
        st.stop()
    model = choice.model
    st.plotly_chart(weights_figure(model.W, model.class_names), key="weights")
    st.caption(f"Model: {choice.label}. Colour scale: -{symmetric_limit(model.W):.2g} to "
               f"+{symmetric_limit(model.W):.2g} (99th percentile of |W|; the few larger "
               "weights get the darkest colour).")
    st.info("Train a model on the Train page to watch these templates grow epoch by epoch. "
            "Try it: train with lambda 0 and then with lambda 0.01 and replay: the L2 penalty "
            "smooths the templates.", icon=":material/lightbulb:")
    st.stop()

by_ticket = {j.ticket: j for j in runs}
shown = runs[0]
if len(runs) > 1:
    if st.session_state.get("weights_run") not in by_ticket:
        st.session_state["weights_run"] = shown.ticket
    shown = by_ticket[st.selectbox("Run", list(by_ticket), key="weights_run",
                                   format_func=lambda t: _label(by_ticket[t]))]
live = shown is job and ui.job_active(job)
st.session_state["weights_was_active"] = live
epoch_key, follow_key = f"weights_epoch_{shown.ticket}", f"weights_follow_{shown.ticket}"


def _slider_moved() -> None:
    """Follow the newest epoch again only if the slider was put back on it."""
    st.session_state[follow_key] = st.session_state[epoch_key] == shown.run.weights.epochs[-1]


def _view() -> None:
    history = shown.run.weights
    epochs = history.epochs
    wanted = st.session_state.get(epoch_key)
    if wanted is None or st.session_state.get(follow_key, True):
        wanted = epochs[-1]
    epoch, W = replay(history, wanted)  # thinned-out epochs snap to the closest kept one
    if epoch not in epochs:  # the training thread added an epoch in between
        epochs = sorted({*epochs, epoch})
    if len(epochs) > 1:
        st.session_state[epoch_key] = epoch
        st.select_slider("Epoch", epochs, key=epoch_key, on_change=_slider_moved,
                         format_func=lambda e: f"{e} (initial)" if e == 0 else str(e),
                         help="Drag to replay the run. Epoch 0 is the random start. Long runs "
                              "keep at most 40 epochs, more of the recent ones.")
    fixed = st.toggle("Same colour scale for every epoch", key="weights_fixed_scale",
                      help="On: one scale for the whole run, so you see the weights grow "
                           "(and lambda hold them back). Off: each epoch uses its own scale, "
                           "so you see the shape of the templates best.")
    limit = history_limit(history) if fixed else symmetric_limit(W)
    following = live and epoch == epochs[-1]
    title = f"Epoch {epoch}" + (" (initial random weights)" if epoch == 0 else "") + \
        (" - live, follows training" if following else "")
    st.plotly_chart(weights_figure(W, shown.run.model.class_names, limit=limit, title=title),
                    key="weights")
    st.caption(f"Colour scale: -{limit:.2g} to +{limit:.2g} ("
               + ("the largest over the kept epochs" if fixed else
                  "99th percentile of |W|") + "; weights beyond it get the darkest colour).")
    norms = weight_norms(history)
    if len(norms) > 1:
        st.plotly_chart(norms_figure(norms, epoch), key="norms")
    if st.session_state.get("weights_was_active") and not ui.job_active(job):
        st.rerun()  # training ended: refresh the whole page so the live refresh stops


st.fragment(_view, run_every=0.5 if live else None)()
st.info("Try it: train with lambda 0 and then with lambda 0.01 and replay: the L2 penalty "
        "smooths the templates. Put both runs side by side with the Run selector above.",
        icon=":material/lightbulb:")
