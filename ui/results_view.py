"""The Results page's confusion-matrix tab: the matrix and the accuracy per class, each with
its words and its numbers, and the drill-down into one (true, predicted) pair of classes,
reachable by a click on a square or, without a mouse, by two select boxes."""

from __future__ import annotations

import numpy as np
import streamlit as st

from core.describe import (
    confusion_summary,
    confusion_table,
    digit_alt,
    per_class_summary,
    per_class_table,
    why_alt,
)
from core.explain import explain
from core.figures import confusion_figure, diverging_rgb, per_class_figure, upscale
from core.i18n import Msg
from core.metrics import per_class_accuracy, select_examples
from ui.i18n import current, tr
from ui.widgets import chart

DRILL = 8  # digits shown for the chosen pair of classes


def confusion_tab(ev, model, data) -> None:
    """The tab for ``ev`` (core.metrics.Evaluation of ``model`` on ``data``'s test set)."""
    names, t = data.class_names, current()
    cm = ev.confusion()
    off_diagonal = cm - np.diag(np.diag(cm))
    worst = np.unravel_index(np.argmax(off_diagonal), cm.shape)
    st.session_state.setdefault("drill_true", int(worst[0]))
    st.session_state.setdefault("drill_pred", int(worst[1]))
    left, right = st.columns([3, 2])
    with left:
        chart(confusion_figure(cm, names, tr=t), "confusion", confusion_summary(cm, names),
              confusion_table(cm, names, t), on_select=lambda: _cell_clicked(len(names)),
              selection_mode="points")
        st.caption(tr("Rows: true class; columns: prediction. Click a square, or choose the two "
                      "classes below, to see those digits. The most common mistake: {true} read "
                      "as {pred} ({n} times).", true=names[worst[0]], pred=names[worst[1]],
                      n=cm[worst]))
    with right:
        accuracy = per_class_accuracy(cm)
        chart(per_class_figure(accuracy, names, tr=t), "per-class",
              per_class_summary(accuracy, names), per_class_table(accuracy, names, t))
    _drill_down(ev, model, data)


def _cell_clicked(n_classes: int) -> None:
    """A click on a confusion-matrix square selects that (true, predicted) pair."""
    points = st.session_state["confusion"].selection.points
    if points:
        true, pred = divmod(int(points[0]["point_index"]), n_classes)
        st.session_state.update(drill_true=true, drill_pred=pred)


def _drill_down(ev, model, data) -> None:
    """The chosen pair's digits, most confident first, each with its why map."""
    names = data.class_names
    classes = list(range(len(names)))
    c1, c2, _ = st.columns([1, 1, 2])
    true = c1.selectbox(tr("True class"), classes, format_func=names.__getitem__,
                        key="drill_true")
    pred = c2.selectbox(tr("Predicted class"), classes, format_func=names.__getitem__,
                        key="drill_pred")
    cell = select_examples(ev, true == pred, true, pred, "confident")
    maps = (Msg(", the {n} most confident first, each with its map of why {pred} and not {true} "
                "(red: for {pred}, blue: for {true}).", n=min(DRILL, len(cell)), pred=names[pred],
                true=names[true]) if true != pred and len(cell) else Msg("."))
    st.markdown(tr("**{n:,} test digits of true class {true} predicted as {pred}**{maps}",
                   n=len(cell), true=names[true], pred=names[pred], maps=maps))
    for col, i in zip(st.columns(DRILL), cell[:DRILL], strict=False):
        col.image(upscale(data.x_test[i], 3), caption=tr("#{i}: {p:.0%} sure", i=i,
                                                         p=ev.proba[i, pred]),
                  width="stretch", alt=tr(digit_alt(i, names[true], names[pred],
                                                    ev.proba[i, pred])))
        if true != pred:
            why = explain(model, data.features("test")[i], pred, true).contributions
            col.image(diverging_rgb(why), width="stretch",
                      alt=tr(why_alt(why, names[pred], names[true])))
