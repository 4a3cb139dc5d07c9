"""One step of SGD, seen (How it works page): a real mini-batch, its ten gradient templates,
the ten weight templates before and after the step (core.sgd_seen), and "Another step",
which takes the next batch from the weights the last step left (kept in the session)."""

from __future__ import annotations

import numpy as np
import streamlit as st

from core.config import LEARNING_RATES, TrainConfig
from core.sgd_seen import batch_indices, montage, seen_step, start, templates_rgb
from core.weights_view import symmetric_limit
from ui.i18n import tr

STATE, LR_WIDGET = "sgd_seen", "sgd_seen_lr"
TUTORIAL = TrainConfig()  # seed 34, batch 100, lambda 1e-4: the article's first steps


def one_step_lesson(data) -> None:
    """The lesson on ``data`` (the page's dataset, as the page's model reads it)."""
    st.header(tr("One step of SGD, seen"))
    st.markdown(tr("One step of training on a real mini-batch, from the tutorial's start (seed "
                   "{seed}). The gradient of the loss for W is **x^T (p - y) / B**: column k is "
                   "a 28x28 image, the batch's digits added up, each weighted by how much too "
                   "high (p_k for a digit that is not a {k0}) or too low (p_k - 1 for a {k0}) "
                   "the model's probability of k was. The step *subtracts* it, so each template "
                   "gains its own digits and loses the look-alikes: **W <- W - lr (x^T (p - y) "
                   "/ B + lambda W)**.", seed=TUTORIAL.seed, k0="k"))
    c = st.columns([2, 1, 1], vertical_alignment="bottom")
    lr = c[0].select_slider(tr("Learning rate"), LEARNING_RATES, value=TUTORIAL.learning_rate,
                            key=LR_WIDGET)
    c[1].button(tr("Another step"), on_click=_another, args=(data,), type="primary",
                icon=":material/redo:", width="stretch",
                help=tr("A fresh batch, from the weights after this step."))
    c[2].button(tr("Start again"), on_click=st.session_state.pop, args=(STATE, None),
                icon=":material/restart_alt:", width="stretch")
    step = _step(data, float(lr))
    _show(step, data.class_names)


def _state(data) -> dict:
    """The lesson's weights and step number, kept per dataset; the tutorial's start at first."""
    name = f"{data.name}:{data.preprocessing}"
    state = st.session_state.get(STATE)
    if not state or state["data"] != name:
        W, b = start(data, TUTORIAL.seed)
        state = st.session_state[STATE] = {"data": name, "W": W, "b": b, "number": 1}
    return state


def _step(data, lr: float):
    s = _state(data)
    indices = batch_indices(data, TUTORIAL.seed, TUTORIAL.batch_size, s["number"])
    return seen_step(data, s["W"], s["b"], indices, lr, TUTORIAL.l2, s["number"])


def _another(data) -> None:
    """Move on: the weights after the step shown become the next step's weights."""
    step = _step(data, float(st.session_state.get(LR_WIDGET, TUTORIAL.learning_rate)))
    st.session_state[STATE].update(W=step.W_after, b=step.b_after, number=step.number + 1)


def _show(step, names) -> None:
    """The batch, the gradient templates, the templates before and after."""
    names = list(names)
    order = tr("Classes {names}, left to right.", names=", ".join(names))
    st.image(np.kron(montage(step.images), np.ones((2, 2))), width="stretch", clamp=True,
             caption=tr("Step {n}: the batch, {B} training digits. The model read {before} of "
                        "them right before the step and {after} after; their loss went from "
                        "{l0:.3f} to {l1:.3f}.", n=step.number, B=len(step.labels),
                        before=step.right_before, after=step.right_after, l0=step.loss_before,
                        l1=step.loss_after),
             alt=tr("{B} handwritten training digits: {labels}.", B=len(step.labels),
                    labels=" ".join(names[y] for y in step.labels)))
    limit = float(np.abs(step.gradient).max()) or 1.0
    st.image(templates_rgb(step.gradient, limit), width="stretch",
             caption=tr("The gradient x^T (p - y) / B, one template per class (red: the step "
                        "lowers these weights, blue: it raises them). {order}", order=order),
             alt=tr("Ten gradient templates. {order}", order=order))
    shared = max(symmetric_limit(step.W_before), symmetric_limit(step.W_after))
    for W, text in ((step.W_before, tr("The weight templates before the step.")),
                    (step.W_after, tr("The weight templates after the step (learning rate "
                                      "{lr:g}, lambda {l2:g}).", lr=step.learning_rate,
                                      l2=step.l2))):
        st.image(templates_rgb(W, shared), width="stretch", caption=f"{text} {order}",
                 alt=f"{text} {order}")
    moved = step.W_after - step.W_before  # = -lr (G + lambda W)
    change = float(np.abs(moved).max())
    text = tr("The step itself, after - before = -lr (gradient + lambda W), on its own colour "
              "scale: the largest weight moved by {change:.3g}, while the start's weights are "
              "up to 0.08. A larger learning rate takes a bigger step; many steps make the "
              "templates look like the digits (Weights page).", change=change)
    st.image(templates_rgb(moved, change or 1.0), width="stretch", caption=f"{text} {order}",
             alt=f"{text} {order}")
