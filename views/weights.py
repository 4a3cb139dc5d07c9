"""Weights page: the ten columns of W as pictures, live while a run trains, replayable by epoch."""

import time

import streamlit as st

import ui
from core.describe import norms_summary, norms_table, weights_summary, weights_table
from core.i18n import Msg
from core.jobs import TrainingJob
from core.preprocess import DESKEW, preprocessing_note
from core.weights_view import (
    history_limit,
    norms_figure,
    replay,
    symmetric_limit,
    weight_norms,
    weights_figure,
)
from ui import a11y, i18n
from ui.epoch_follower import EpochFollower
from ui.i18n import tr

st.title(tr("What the model has learned"))
st.caption(tr("Each picture is one column of W, laid out on the 28x28 pixel grid: the model's "
              "template for that class. A digit's score for a class adds up its ink times these "
              "weights, so ink on **red** pixels votes **for** the class, ink on **blue** pixels "
              "votes **against** it, and white pixels do not matter."))
t = i18n.current()  # for format_funcs, also called outside the script's run

RUN_WIDGET = "weights_run"  # the Run selector's key: which run the page shows (a ticket)
HINT = Msg("Try it: train with lambda 0 and then with lambda 0.01 and replay: the L2 penalty "
           "smooths the templates.")

DESKEWED = Msg("Learnt from deskewed digits (each one's slant sheared away): every digit it saw "
               "stood upright, so its templates are upright and sharper than a plain model's.")

job = ui.current_job()
runs = ([job] if job is not None else []) + list(reversed(ui.kept_runs()))


def _label(j: TrainingJob) -> str:
    c = j.run.config
    settings = Msg("lambda {l2:g}, learning rate {lr:g}{note}", l2=c.l2, lr=c.learning_rate,
                   note=preprocessing_note(j.run.data.preprocessing))
    if j is job:  # no epoch count: the label must not change while the run trains
        return t("{run} (this run): {settings}", run=ui.run_name(j), settings=settings)
    return t("{run}: {settings}, {epochs} epochs", run=ui.run_name(j), settings=settings,
             epochs=j.run.epochs_done)


if not runs:
    choice = ui.require_model()
    model, limit = choice.model, symmetric_limit(choice.model.W)
    names = model.class_names
    ui.chart(weights_figure(model.W, names, title=tr(choice.label), tr=t), "weights",
             weights_summary(model.W, names), weights_table(model.W, names, t),
             alt=weights_summary(model.W, names, each=True))
    if model.preprocessing == DESKEW:
        st.caption(tr(DESKEWED))
    st.caption(tr("Colour scale: -{limit:.2g} to +{limit:.2g} ({which}); the few weights beyond "
                  "it get the darkest colour.", limit=limit, which=Msg("99th percentile of |W|")))
    st.info(tr("Train a model on the Train page to watch these templates grow epoch by epoch. "
               "{hint}", hint=HINT), icon=":material/lightbulb:")
    st.stop()

by_ticket = {j.ticket: j for j in runs}
shown = runs[0]
if len(runs) > 1:
    current = job.ticket if job is not None else None
    session = ui.session()
    if st.session_state.get(RUN_WIDGET) not in by_ticket or session.weights_run_current != current:
        st.session_state[RUN_WIDGET] = shown.ticket  # a new run: show it
    session.weights_run_current = current
    shown = by_ticket[st.selectbox(tr("Run"), list(by_ticket), key=RUN_WIDGET,
                                   format_func=lambda t: _label(by_ticket[t]))]
    if shown is not job and len(shown.run.weights) <= 2:
        st.caption(tr("A run put aside keeps only its first and last weights (epoch 0 and its "
                      "final epoch)."))
live = shown is job and ui.job_active(job)
epoch_key, follow_key = f"weights_epoch_{shown.ticket}", f"weights_follow_{shown.ticket}"


def _epoch_slider(epochs: list[int]) -> int:
    """The "Epoch" slider, on the newest epoch while the user has not moved it (see
    ui.epoch_follower.EpochFollower for why following a live run needs care)."""
    follower = ui.tab().followers.setdefault(follow_key, EpochFollower())
    epoch, write = follower.step(st.session_state.get(epoch_key), epochs, time.monotonic())
    if write:
        st.session_state[epoch_key] = epoch
    # An epoch's label must not change as epochs are added: the browser sends the label
    # back, and one no longer among the options (say "7 - newest") would read as epoch 0.
    return st.select_slider(
        tr("Epoch"), epochs, key=epoch_key,
        format_func=lambda e: t("{epoch} (initial)", epoch=e) if e == 0 else str(e),
        help=tr("Drag to replay the run; put it back on the right end to follow training "
                "again. Epoch 0 is the random start. Long runs keep at most 40 epochs, more of "
                "the recent ones."))


def _view() -> None:
    history = shown.run.weights
    epochs = history.epochs
    latest = epochs[-1]
    slider, toggle = st.columns([3, 1], gap="large", vertical_alignment="bottom")
    with slider:
        wanted = _epoch_slider(epochs) if len(epochs) > 1 else latest
    epoch, W = replay(history, wanted)  # exact weights (the closest kept, if just thinned)
    fixed = toggle.toggle(tr("Fixed colour scale"), key="weights_fixed_scale",
                          help=tr("On: one scale for the whole run, so you see the weights grow "
                                  "(and lambda hold them back). Off: each epoch uses its own "
                                  "scale, so you see the shape of the templates best."))
    limit = history_limit(history) if fixed else symmetric_limit(W)
    following = live and epoch == latest
    title = tr("Epoch {epoch}{initial}{live}", epoch=epoch,
               initial=Msg(" (initial random weights)") if epoch == 0 else "",
               live=Msg(" - live, follows training") if following else "")
    names = shown.run.model.class_names
    ui.chart(weights_figure(W, names, limit=limit, title=title, tr=t), "weights",
             weights_summary(W, names), weights_table(W, names, t),
             alt=weights_summary(W, names, each=True))
    if shown.run.data.preprocessing == DESKEW:
        st.caption(tr(DESKEWED))
    norms = [(e, n) for e, n in weight_norms(history) if e <= latest]  # same epochs as the slider
    left, right = st.columns([2, 1], gap="large")
    if len(norms) > 1:
        with left:
            ui.chart(norms_figure(norms, epoch, tr=t), "norms", norms_summary(norms),
                     norms_table(norms, t))
    which = Msg("the largest over the kept epochs") if fixed else Msg("99th percentile of |W|")
    curve = (Msg(" The curve: the size of all the weights together, which the L2 penalty keeps "
                 "small.") if len(norms) > 1 else "")
    right.caption(tr("Colour scale: -{limit:.2g} to +{limit:.2g} ({which}); the few weights beyond "
                     "it get the darkest colour.", limit=limit, which=which) + tr(curve))
    compare = Msg(" Compare the runs with the Run selector above.") if len(runs) > 1 else ""
    right.info(tr(HINT) + tr(compare), icon=":material/lightbulb:")
    if live and not ui.job_active(job):  # live: as at the page's last full run
        st.rerun()  # training ended: refresh the whole page so the live refresh stops


st.fragment(_view, run_every=a11y.calmer(0.5 if live else None))()
