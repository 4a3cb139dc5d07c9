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
from core.i18n import Msg
from core.metrics import per_class_accuracy, select_examples
from core.preprocess import NO_PREPROCESSING
from ui import class_page, i18n
from ui.i18n import tr

PAGE_SIZE = 40
ORDERS = {"confident": Msg("Most confident first"), "unsure": Msg("Least confident first"),
          "index": Msg("Test-set order")}
KINDS = {"Incorrect": Msg("Incorrect"), "Correct": Msg("Correct")}

def _select(index: int) -> None:
    ui.session().selected_digit = index


st.title(tr("Results on the test set"))
t = i18n.current()  # for format_funcs, also called outside the script's run
choice = ui.require_model()

data = ui.data_for(choice.model)  # deskewed test digits for a model trained on deskewed ones
names = data.class_names
ev = ui.test_evaluation(choice.model)
n_test = len(ev.y_true)
deskewed = (Msg(" It was trained on {data}, so it reads the test digits deskewed too: they are "
                "shown as it saw them.", data=data.label)
            if data.preprocessing != NO_PREPROCESSING else "")
st.caption(tr("Model: {model}. Test accuracy **{accuracy:.2%}**: {right:,} correct, {wrong:,} "
              "incorrect of {n:,}.{deskewed}", model=choice.label, accuracy=ev.accuracy,
              right=n_test - ev.n_wrong, wrong=ev.n_wrong, n=n_test, deskewed=deskewed))

tab_digits, tab_confusion = st.tabs([tr("Digits"), tr("Confusion matrix and per-class accuracy")])

with tab_digits:
    f = st.columns([1.2, 1, 1, 1.4])
    kind = f[0].segmented_control(tr("Show"), list(KINDS), default="Incorrect", key="kind",
                                  format_func=lambda k: t(KINDS[k])) or "Incorrect"
    any_class = [None, *range(len(names))]
    label = lambda k: t("any") if k is None else names[k]  # noqa: E731
    true_class = f[1].selectbox(tr("True class"), any_class, format_func=label, key="true_class")
    pred_class = f[2].selectbox(tr("Predicted class"), any_class, format_func=label,
                                key="pred_class")
    order = f[3].selectbox(tr("Sort"), list(ORDERS), format_func=lambda k: t(ORDERS[k]),
                           key="order")

    shown = select_examples(ev, kind == "Correct", true_class, pred_class, order)
    n_pages = max(1, -(-len(shown) // PAGE_SIZE))
    filtered = (tr(" with these filters") if true_class is not None or pred_class is not None
                else "")
    count, pager = st.columns([3, 1])
    count.markdown(tr("**{n:,} {kind} of {total:,}**{filtered}. Click a digit to see its "
                      "probabilities.", n=len(shown), total=n_test, filtered=filtered,
                      kind=Msg("correct") if kind == "Correct" else Msg("incorrect")))
    page = (pager.number_input(tr("Page (of {n})", n=n_pages), 1, n_pages, 1, key="page")
            if n_pages > 1 else 1)

    grid, detail = st.columns([3, 1.4], gap="large")
    if len(shown) == 0:
        grid.info(tr("No test digit matches these filters."))
    page_idx = shown[(page - 1) * PAGE_SIZE: page * PAGE_SIZE]
    titles = {int(i): f"T:{names[ev.y_true[i]]} P:{names[ev.y_pred[i]]}" for i in page_idx}
    columns = grid_columns(list(titles.values()))  # 5 for digits: every title in full
    with grid:
        for start in range(0, len(page_idx), columns):
            for cell, i in zip(st.columns(columns), page_idx[start:start + columns], strict=False):
                cell.image(upscale(data.x_test[i], 6), width="stretch")
                cell.button(titles[int(i)], key=f"digit-{i}", width="stretch",
                            help=tr("test image #{i}: {p:.0%} sure", i=i,
                                    p=ev.proba[i, ev.y_pred[i]]),
                            on_click=_select, args=(int(i),))

    selected = ui.session().selected_digit
    if selected is None and len(page_idx):
        selected = int(page_idx[0])
    if selected is not None:
        with detail:
            t_, p_ = names[ev.y_true[selected]], names[ev.y_pred[selected]]
            st.image(upscale(data.x_test[selected], 8),
                     caption=tr("test image #{i}: {title}", i=selected, title=f"T:{t_} P:{p_}"))
            st.plotly_chart(probability_figure(ev.proba[selected], names,
                                               int(ev.y_true[selected]), tr=t),
                            key="selected-proba", config=ui.CHART_CONFIG)
            st.caption(tr(PROBABILITY_KEY))
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
    left.plotly_chart(confusion_figure(cm, names, tr=t), key="confusion",
                      on_select=_cell_clicked, selection_mode="points", config=ui.CHART_CONFIG)
    left.caption(tr("Rows: true class; columns: prediction. Click a square to see those digits. "
                    "The most common mistake: {true} read as {pred} ({n} times).",
                    true=names[worst[0]], pred=names[worst[1]], n=cm[worst]))
    right.plotly_chart(per_class_figure(per_class_accuracy(cm), names, tr=t), key="per-class",
                       config=ui.CHART_CONFIG)

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
                  width="stretch")
        if true != pred:
            col.image(diverging_rgb(
                explain(choice.model, data.features("test")[i], pred, true).contributions),
                width="stretch")

class_page.class_set_gallery(choice.model)  # in a class: its own drawings, read by this model
