"""Results page: the test digits the model gets right and wrong, and where it goes wrong."""

import numpy as np
import streamlit as st

import ui
from core.explain import explain
from core.figures import (
    PROBABILITY_KEY,
    confusion_figure,
    diverging_rgb,
    grid_columns,
    per_class_figure,
    probability_figure,
    upscale,
)
from core.metrics import per_class_accuracy, select_examples
from core.preprocess import NO_PREPROCESSING
from ui import class_page

PAGE_SIZE = 40
ORDERS = {"confident": "Most confident first", "unsure": "Least confident first",
          "index": "Test-set order"}

def _select(index: int) -> None:
    ui.session().selected_digit = index


st.title("Results on the test set")
choice = ui.require_model()

data = ui.data_for(choice.model)  # deskewed test digits for a model trained on deskewed ones
names = data.class_names
ev = ui.test_evaluation(choice.model)
n_test = len(ev.y_true)
st.caption(f"Model: {choice.label}. Test accuracy **{ev.accuracy:.2%}**: "
           f"{n_test - ev.n_wrong:,} correct, {ev.n_wrong:,} incorrect of {n_test:,}."
           + (f" It was trained on {data.label}, so it reads the test digits deskewed too: "
              "they are shown as it saw them." if data.preprocessing != NO_PREPROCESSING else ""))

tab_digits, tab_confusion = st.tabs(["Digits", "Confusion matrix and per-class accuracy"])

with tab_digits:
    f = st.columns([1.2, 1, 1, 1.4])
    kind = f[0].segmented_control("Show", ["Incorrect", "Correct"], default="Incorrect",
                                  key="kind") or "Incorrect"
    any_class = [None, *range(len(names))]
    label = lambda k: "any" if k is None else names[k]  # noqa: E731
    true_class = f[1].selectbox("True class", any_class, format_func=label, key="true_class")
    pred_class = f[2].selectbox("Predicted class", any_class, format_func=label, key="pred_class")
    order = f[3].selectbox("Sort", list(ORDERS), format_func=ORDERS.get, key="order")

    shown = select_examples(ev, kind == "Correct", true_class, pred_class, order)
    n_pages = max(1, -(-len(shown) // PAGE_SIZE))
    filtered = " with these filters" if true_class is not None or pred_class is not None else ""
    count, pager = st.columns([3, 1])
    count.markdown(f"**{len(shown):,} {kind.lower()} of {n_test:,}**{filtered}. "
                   "Click a digit to see its probabilities.")
    page = (pager.number_input(f"Page (of {n_pages})", 1, n_pages, 1, key="page")
            if n_pages > 1 else 1)

    grid, detail = st.columns([3, 1.4], gap="large")
    if len(shown) == 0:
        grid.info("No test digit matches these filters.")
    page_idx = shown[(page - 1) * PAGE_SIZE: page * PAGE_SIZE]
    titles = {int(i): f"T:{names[ev.y_true[i]]} P:{names[ev.y_pred[i]]}" for i in page_idx}
    columns = grid_columns(list(titles.values()))  # 5 for digits: every title in full
    with grid:
        for start in range(0, len(page_idx), columns):
            for cell, i in zip(st.columns(columns), page_idx[start:start + columns], strict=False):
                cell.image(upscale(data.x_test[i], 6), width="stretch")
                cell.button(titles[int(i)], key=f"digit-{i}", width="stretch",
                            help=f"test image #{i}: {ev.proba[i, ev.y_pred[i]]:.0%} sure",
                            on_click=_select, args=(int(i),))

    selected = ui.session().selected_digit
    if selected is None and len(page_idx):
        selected = int(page_idx[0])
    if selected is not None:
        with detail:
            t, p = names[ev.y_true[selected]], names[ev.y_pred[selected]]
            st.image(upscale(data.x_test[selected], 8),
                     caption=f"test image #{selected}: T:{t} P:{p}")
            st.plotly_chart(probability_figure(ev.proba[selected], names,
                                               int(ev.y_true[selected])), key="selected-proba")
            st.caption(PROBABILITY_KEY)
            ui.show_why(choice.model, data.features("test")[selected], ev.proba[selected], names,
                        key="results-why")

DRILL = 8


def _cell_clicked() -> None:
    """A click on a confusion-matrix square selects that (true, predicted) pair."""
    points = st.session_state["confusion"].selection.points
    if points:
        true, pred = divmod(int(points[0]["point_index"]), len(names))
        st.session_state.update(drill_true=true, drill_pred=pred)


with tab_confusion:
    cm = ev.confusion()
    off_diagonal = cm - np.diag(np.diag(cm))
    worst = np.unravel_index(np.argmax(off_diagonal), cm.shape)
    st.session_state.setdefault("drill_true", int(worst[0]))
    st.session_state.setdefault("drill_pred", int(worst[1]))
    left, right = st.columns([3, 2])
    left.plotly_chart(confusion_figure(cm, names), key="confusion", on_select=_cell_clicked,
                      selection_mode="points")
    left.caption(f"Rows: true class; columns: prediction. Click a square to see those digits. "
                 f"The most common mistake: {names[worst[0]]} read as {names[worst[1]]} "
                 f"({cm[worst]} times).")
    right.plotly_chart(per_class_figure(per_class_accuracy(cm), names), key="per-class")

    classes = list(range(len(names)))
    c1, c2, _ = st.columns([1, 1, 2])
    t = c1.selectbox("True class", classes, format_func=names.__getitem__, key="drill_true")
    p = c2.selectbox("Predicted class", classes, format_func=names.__getitem__, key="drill_pred")
    cell = select_examples(ev, t == p, t, p, "confident")
    st.markdown(f"**{len(cell):,} test digits of true class {names[t]} predicted as {names[p]}**"
                + (f", the {min(DRILL, len(cell))} most confident first, each with its map of "
                   f"why {names[p]} and not {names[t]} (red: for {names[p]}, blue: for {names[t]})."
                   if t != p and len(cell) else "."))
    for col, i in zip(st.columns(DRILL), cell[:DRILL], strict=False):
        col.image(upscale(data.x_test[i], 3), caption=f"#{i}: {ev.proba[i, p]:.0%} sure",
                  width="stretch")
        if t != p:
            col.image(diverging_rgb(
                explain(choice.model, data.features("test")[i], p, t).contributions),
                width="stretch")

class_page.class_set_gallery(choice.model)  # in a class: its own drawings, read by this model
