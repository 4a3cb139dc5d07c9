"""How it works: the method step by step, with live values from the current model for one
real test digit. (The steps, their words and numbers come from core.lesson and
core.lesson_steps; this page only lays them out.)"""

import numpy as np
import pandas as pd
import streamlit as st

import ui
from core.describe import digit_alt
from core.figures import upscale
from core.i18n import Msg, display_width
from core.lesson import Snippet, code_snippets, walkthrough
from core.lesson_steps import Block, Caption, Chart, Markdown, MetricRow, Step, Table, lesson_steps
from core.preprocess import NO_PREPROCESSING
from ui import i18n, sgd_view
from ui.i18n import tr

st.title(tr("How it works"))
st.markdown(tr("Softmax regression, step by step, as the tutorial article builds it, with **the "
               "same numbers as the article's code**: with the same seed, this project draws the "
               "same random numbers in the same order (the validation split, the initial "
               "weights, the order of the batches) and prints the article's `EPOCH` lines digit "
               "for digit."))
choice = ui.require_model(Msg(" Then come back: every step below is shown with its numbers."))

data = ui.data_for(choice.model)  # the test digits as this model reads them (deskewed or not)
names = data.class_names
ev = ui.test_evaluation(choice.model)
n_test = len(data.y_test)
if not 0 <= st.session_state.get("lesson_index", 0) < n_test:  # e.g. a smaller dataset now
    st.session_state["lesson_index"] = 0


def _next_mistake() -> None:
    wrong = np.flatnonzero(ev.y_pred != ev.y_true)
    if len(wrong):
        later = wrong[wrong > st.session_state["lesson_index"]]
        st.session_state["lesson_index"] = int(later[0] if len(later) else wrong[0])


TRUE_ROW = "background-color: rgba(255, 193, 7, 0.25); font-weight: bold"


def show_table(table: Table) -> None:
    """A table; its ``highlight`` row (the true class) is tinted and bold."""
    frame = pd.DataFrame(dict(table.columns),
                         index=pd.Index(list(table.index), name=table.index_name))
    if table.highlight is None:
        st.table(frame)
        return
    st.table(frame.style.apply(
        lambda row: [TRUE_ROW if row.name == table.highlight else ""] * len(row), axis=1))


# Metrics stand side by side only while their values, labels and deltas fit their columns in
# full (a metric cuts a long text to "28 x 28 → …"), at 1280 px and on a 768-px tablet
# alike; else one under the other. Widths in Latin characters (core.i18n.display_width: a
# Japanese character counts two).
SIDE_BY_SIDE_CHARS = 12  # values, in their large type, across the row
SIDE_BY_SIDE_LABEL = 32  # labels and deltas, in small type, across the row


def _fits_side_by_side(row: MetricRow) -> bool:
    n = len(row.metrics)
    values = max(display_width(m.value) for m in row.metrics) * n <= SIDE_BY_SIDE_CHARS
    small = max(display_width(text) for m in row.metrics for text in (m.label, m.delta or ""))
    return values and small * n <= SIDE_BY_SIDE_LABEL


def show_metrics(row: MetricRow) -> None:
    n = len(row.metrics)
    fits = _fits_side_by_side(row)
    columns = st.columns(n) if fits else [st.container() for _ in row.metrics]
    for column, m in zip(columns, row.metrics, strict=True):
        column.metric(m.label, m.value, m.delta, delta_color=m.delta_color,
                      delta_arrow=m.delta_arrow)
        if m.verdict is not None:
            column.markdown(ui.verdict(m.verdict), unsafe_allow_html=True)


def show_block(block: Block) -> None:
    match block:
        case Markdown(text=text):
            st.markdown(text)
        case Caption(text=text):
            st.caption(text)
        case MetricRow():
            show_metrics(block)
        case Table():
            show_table(block)
        case Chart(figure=figure, key=key, caption=caption, alt=alt):
            ui.chart(figure, key, caption, alt=alt or None)  # caption: shown under it


def show_code(snippets: tuple[Snippet, ...], captions: tuple[str, ...] = ()) -> None:
    for k, s in enumerate(snippets):
        lead = f"{captions[k]} " if k < len(captions) else ""
        st.caption(lead + tr("`{name}` ({path}, line {line})", name=s.name, path=s.path,
                             line=s.line))
        st.code(s.code, language="python", wrap_lines=True)


def show_step(step: Step, snippets: dict[str, tuple[Snippet, ...]]) -> None:
    """A bordered section: the explanation on the left, the live values on the right."""
    box = st.container(border=True)
    box.header(f"{step.number}. {step.title}")
    text, live = box.columns([1.3, 1], gap="large")
    with text:
        st.markdown(step.explanation)
        st.latex(step.latex)
        if step.code is not None:
            show_code(snippets[step.code], step.captions)
    with live:
        for block in step.live:
            show_block(block)


# ------------------------------------------------------------------ the digit

deskewed = (Msg(" This model was trained on {data}, so the test image is deskewed first (its "
                "slant sheared away), as its training images were.", data=data.label)
            if data.preprocessing != NO_PREPROCESSING else "")
st.caption(tr("Model: {model}. Pick a test image: every number below is computed for it, with "
              "this model. In the tables, the true class's row is highlighted.{deskewed}",
              model=choice.label, deskewed=deskewed))
pick, picture, verdict = st.columns([1, 1, 2])
with pick:
    index = st.number_input(tr("Test image (0 to {last:,})", last=n_test - 1), 0, n_test - 1,
                            key="lesson_index")
    st.button(tr("Next mistake"), on_click=_next_mistake, icon=":material/skip_next:",
              help=tr("Jump to the next test image this model gets wrong."))
w = walkthrough(choice.model, data, int(index), evaluation=ev)
true_name, pred_name = names[w.label], names[w.prediction]
picture.image(upscale(w.raw, 8), caption=tr("test image #{i}", i=w.index), alt=tr(
    digit_alt(w.index, true_name, pred_name, w.proba[w.prediction])))
with verdict:
    a, b = st.columns(2)
    a.metric(tr("True class"), true_name)
    b.metric(tr("Prediction"), pred_name)
    b.markdown(ui.verdict(w.correct), unsafe_allow_html=True)
    st.metric(tr("Probability of the true class {name}", name=true_name), f"{w.p_true:.1%}")

# ------------------------------------------------------------------ the steps, 1 to 11

snippets = code_snippets()
for step in lesson_steps(w, i18n.current()):
    show_step(step, snippets)
sgd_view.one_step_lesson(data)  # one SGD step on a real batch (issue 25, item 5)
