"""The class lessons of issue 25 on the pages: the teacher's prediction question and the
class experiment.

- Train page (a student in a class, refreshed every PANEL_SECONDS): the question with a
  form to answer it, and the student's part of the experiment with "My part", which puts
  that part's settings into the Train page's form (ui.settings_form reads them from the
  session).
- Class page: the spread of the predictions against the real results, and the class's
  curve (core.lesson_board), refreshed like the board; the teacher's forms to ask a
  question and start an experiment, and its CSV.
"""

from __future__ import annotations

import streamlit as st

from core import lesson_board as lb
from core.classroom import ClassroomError
from core.classroom import class_lessons as cl
from core.classroom.follower import error_message
from core.config import SETTINGS, TrainConfig
from core.markup import markdown_literal
from core.preprocess import NO_PREPROCESSING
from core.presets import PRESETS
from ui.class_base import Membership, membership, reporting, store
from ui.i18n import current, tr
from ui.state import session
from ui.widgets import chart

PANEL_SECONDS = 3.0  # as the class banner
PART_KEY = "class_part"  # st.session_state: (the experiment's plan JSON, point, settings)


# ------------------------------------------------------------------ the Train page


def train_panel() -> None:
    """The class's question and the student's part of the experiment, if any."""
    member = membership()
    if member is not None and member.student is not None:
        st.fragment(_train_panel, run_every=PANEL_SECONDS)()


def _train_panel() -> None:
    member = membership()
    if member is None or member.student is None:
        return
    with reporting():
        question, mine, experiment = store().for_student(member.student)
        if question is not None:
            with st.container(border=True):
                _question(member, question, mine)
        if experiment is not None:
            with st.container(border=True):
                _my_part(member, experiment)


def _question(member: Membership, q: cl.Question, mine: float | None) -> None:
    st.markdown(tr("**The teacher asks:** {question}", question=markdown_literal(q.text)))
    st.caption(tr("With the lesson \u201c{lesson}\u201d.", lesson=tr(PRESETS[q.preset].title)))
    cols = st.columns([1, 2, 1])
    cols[0].number_input(tr("My prediction: test accuracy (%)"), 0.0, 100.0, 90.0, 0.5,
                         format="%.1f", key="class_answer")
    cols[1].text_input(tr("Why? (optional, one line)"), max_chars=cl.REASON_CHARS,
                       key="class_reason")
    if cols[2].button(tr("Send my prediction"), key="class_answer_send"):
        store().answer_question(member.student, st.session_state["class_answer"],
                                st.session_state.get("class_reason", ""))
        mine = store().my_answer(member.student)
    if mine is not None:
        st.markdown(tr("You predicted a test accuracy of **{value:.1f} %**.", value=mine))
    if st.button(tr("Use the lesson's settings"), key="class_question_settings"):
        _use(PRESETS[q.preset].config().to_dict(), q.preset)


def _my_part(member: Membership, experiment: cl.Experiment) -> None:
    """The student's grid value: given once per experiment (kept in the tab's state)."""
    plan = experiment.to_json()
    kept = st.session_state.get(PART_KEY)
    if kept is None or kept[0] != plan:
        part = store().my_part(member.student)
        if part is None:
            return
        kept = st.session_state[PART_KEY] = (plan, *part)
    _, point, settings = kept
    name = tr(cl.EXPERIMENT_SETTINGS[experiment.setting])
    st.markdown(tr("**Class experiment:** {setting} from {low:g} to {high:g}, the same seed "
                   "({seed}) for everyone. **Your part: {setting} = {value:g}.**",
                   setting=name, low=experiment.values[0], high=experiment.values[-1],
                   seed=settings["seed"], value=experiment.values[point]))
    if st.button(tr("My part: use these settings"), key="class_my_part", type="primary"):
        _use(settings, None)


def _use(settings: dict, preset: str | None) -> None:
    """Put ``settings`` into the Train page's form (the next Start uses them): the whole
    page runs again (a button in a fragment would only run the fragment)."""
    state = session()
    state.settings = {**state.settings, **settings} if state.settings else dict(settings)
    state.preset = preset
    state.preprocessing = PRESETS[preset].preprocessing if preset else NO_PREPROCESSING
    state.url_notes = []
    st.rerun()


# ------------------------------------------------------------------ the board


def board_panel() -> None:
    """The question's spread and the experiment's curve (a fragment, as the board)."""
    if membership() is not None:
        st.fragment(_board_panel, run_every=PANEL_SECONDS)()


def _board_panel() -> None:
    member = membership()
    if member is None:
        return
    with reporting():
        question = store().question(member.code)
        if question is not None:
            st.subheader(tr("The class's predictions"))
            st.markdown(markdown_literal(question.question.text))
            chart(lb.spread_figure(question, current()), "class_spread",
                  lb.spread_summary(question))
        experiment = store().experiment(member.code)
        if experiment is not None:
            st.subheader(tr("The class experiment"))
            chart(lb.experiment_figure(experiment, current()), "class_experiment",
                  lb.experiment_summary(experiment), lb.experiment_rows(experiment, current()))


# ------------------------------------------------------------------ the teacher


def teacher_panel(member: Membership) -> None:
    """Ask the class a prediction question; start or end a class experiment; its CSV."""
    st.subheader(tr("Predict, then run: a question for the class"))
    titles = {k: tr(p.title) for k, p in PRESETS.items()}
    preset = st.selectbox(tr("Lesson for the question"), list(PRESETS), format_func=titles.get,
                          key="teacher_question_preset")
    text = st.text_input(tr("Question"), tr("lambda = 0.1: what test accuracy will it reach?"),
                         max_chars=cl.QUESTION_CHARS, key="teacher_question_text")
    cols = st.columns(2)
    if cols[0].button(tr("Ask the class"), key="teacher_ask"):
        _act(member, lambda: store().ask_question(member.code, member.teacher_key, text, preset))
    if cols[1].button(tr("Take the question away"), key="teacher_unask"):
        _act(member, lambda: store().end_question(member.code, member.teacher_key))
    _experiment_form(member)


def _experiment_form(member: Membership) -> None:
    st.subheader(tr("A class experiment"))
    names = {k: tr(v) for k, v in cl.EXPERIMENT_SETTINGS.items()}
    setting = st.selectbox(tr("Setting"), list(names), format_func=names.get,
                           key="teacher_experiment_setting")
    cols = st.columns(5)
    low = cols[0].number_input(tr("Lowest value"), 0.0, 50_000.0, 1e-5, format="%.6f",
                               key="teacher_experiment_low")
    high = cols[1].number_input(tr("Highest value"), 0.0, 50_000.0, 0.1, format="%.6f",
                                key="teacher_experiment_high")
    points = cols[2].number_input(tr("How many values"), 2, cl.MAX_POINTS, 5,
                                  key="teacher_experiment_n")
    epochs = cols[3].number_input(tr("Epochs"), 1, 50, 3, key="teacher_experiment_epochs")
    seed = cols[4].number_input(tr("Seed"), 0, int(SETTINGS["seed"].high), 34,
                                key="teacher_experiment_seed")
    base = {**TrainConfig().to_dict(), "epochs": int(epochs), "seed": int(seed)}
    b = st.columns(3)
    if b[0].button(tr("Start the experiment"), key="teacher_experiment_start"):
        _act(member, lambda: store().start_experiment(member.code, member.teacher_key, setting,
                                                      low, high, int(points), base))
    if b[1].button(tr("End the experiment"), key="teacher_experiment_end"):
        _act(member, lambda: store().end_experiment(member.code, member.teacher_key))
    t = current()
    b[2].download_button(tr("Download the experiment (CSV)"), _csv(member, t),
                         file_name=f"class-{member.code}-experiment.csv", mime="text/csv",
                         key="class_csv_experiment", icon=":material/download:")


def _csv(member: Membership, t):
    code, key = member.code, member.teacher_key

    def build() -> str:
        try:
            return store().experiment_csv(code, key)
        except ClassroomError as exc:
            message = t(error_message(exc))
            return f"error\n{message}\n"
    return build


def _act(member: Membership, action) -> None:
    with reporting():
        action()
        st.success(tr("Done."))
