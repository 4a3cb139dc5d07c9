"""Results page: the test digits the model gets right and wrong, and where it goes wrong."""

import streamlit as st

import ui
from core.describe import digit_alt, probability_summary, probability_table
from core.figures import PROBABILITY_KEY, grid_columns, probability_figure, upscale
from core.i18n import Msg
from core.metrics import select_examples
from core.preprocess import NO_PREPROCESSING
from ui import class_page, flip_view, i18n, results_view
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
                cell.image(upscale(data.x_test[i], 6), width="stretch", alt=tr(digit_alt(
                    i, names[ev.y_true[i]], names[ev.y_pred[i]], ev.proba[i, ev.y_pred[i]])))
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
            pred = int(ev.y_pred[selected])
            st.image(upscale(data.x_test[selected], 8),
                     caption=tr("test image #{i}: {title}", i=selected, title=f"T:{t_} P:{p_}"),
                     alt=tr(digit_alt(selected, t_, p_, ev.proba[selected, pred])))
            ui.chart(probability_figure(ev.proba[selected], names, int(ev.y_true[selected]),
                                        tr=t), "selected-proba",
                     probability_summary(ev.proba[selected], names, int(ev.y_true[selected])),
                     probability_table(ev.proba[selected], names, t))
            st.caption(tr(PROBABILITY_KEY))
            ui.show_why(choice.model, data.features("test")[selected], ev.proba[selected], names,
                        key="results-why")
        flip_view.flip_lesson(choice.model, data.features("test")[selected], names,
                              key="results-flip")  # the smallest change to read it as q

with tab_confusion:
    results_view.confusion_tab(ev, choice.model, data)

class_page.class_set_gallery(choice.model)  # in a class: its own drawings, read by this model
