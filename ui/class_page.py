"""The Class page's parts (views/classroom.py draws them): joining or opening a class, the
board (live, for a projector), the class's handwriting, and the teacher's tools.

User text (nicknames, the teacher's challenge text) is only ever shown in tables, plain
pickers, HTML-escaped chart hovers, or markdown escaped by core.class_board.markdown_literal.
"""

from __future__ import annotations

from urllib.parse import urlencode, urlsplit, urlunsplit

import pandas as pd
import streamlit as st

from core.class_board import (
    BOARD_COLUMNS,
    X_AXES,
    board_figure,
    board_rows,
    class_set_evaluation,
    history_from_curves,
    runs_deleted,
)
from core.class_scores import SCORES, best_on_handwriting, class_curves_csv
from core.classroom import Challenge, ClassroomError, Condition
from core.classroom.follower import error_message
from core.figures import confusion_figure, curves_figure, upscale
from core.i18n import Msg
from core.metrics import select_examples
from core.presets import PRESETS
from core.style import references_caption
from ui import projector
from ui.board_summary import board_summary
from ui.caches import current_data
from ui.classroom import (
    CLASS_QUERY,
    Membership,
    join,
    leave,
    membership,
    nickname_markdown,
    open_class,
    reporting,
    share_toggle,
    store,
    teacher_login,
)
from ui.i18n import current, tr, url_params
from ui.models import chosen_model, test_evaluation
from ui.network import student_page_url
from ui.widgets import CHART_CONFIG

BOARD_SECONDS = 3.0  # the board asks the database again this often
CLASS_SET_SECONDS = 10.0  # and the class's handwriting this often
WRONG_SHOWN = 24  # the most misread drawings shown on the board
GALLERY_SHOWN, GALLERY_COLUMNS = 80, 8  # the class's drawings on the Results page
# The teacher's constraint choices: label -> (field, operator).
CONSTRAINTS = {"no constraint": None, "lambda ≥": ("l2", ">="), "lambda ≤": ("l2", "<="),
               "learning rate ≤": ("learning_rate", "<="),
               "learning rate ≥": ("learning_rate", ">="), "epochs ≤": ("epochs_done", "<=")}
CONSTRAINT_WORDS = {"no constraint": Msg("no constraint"), "lambda ≥": Msg("lambda ≥"),
                    "lambda ≤": Msg("lambda ≤"), "learning rate ≤": Msg("learning rate ≤"),
                    "learning rate ≥": Msg("learning rate ≥"), "epochs ≤": Msg("epochs ≤")}
KINDS = {"Incorrect": Msg("Incorrect"), "Correct": Msg("Correct")}
BOARD_FORMATS = {"test acc": "percent", "valid acc": "percent", "train acc": "percent",
                 "handwriting": "percent", "learning rate": "%g", "lambda": "%g"}
TABLE_KEY = "board_table"  # the board's table (its selection picks the run whose curves show)
BIG_CODE = ('<div style="font-size:3.6rem;font-weight:700;letter-spacing:0.25em;'
            'line-height:1.1">{code}</div>')


# ------------------------------------------------------------------ not in a class


def welcome() -> None:
    """Join a class (code from the link) or, for a teacher, open one or log in."""
    join_col, teacher_col = st.columns(2, gap="large")
    with join_col:
        st.subheader(tr("Join your class"))
        with st.form("class_join"):
            code = st.text_input(tr("Class code"), value=st.query_params.get(CLASS_QUERY, ""),
                                 max_chars=12, placeholder=tr("e.g. {code}", code="K7QMXD"))
            nick = st.text_input(tr("Your nickname"), max_chars=24,
                                 help=tr("1-24 characters, any script. No account: the same "
                                         "nickname later puts you back in the class."))
            if st.form_submit_button(tr("Join"), type="primary"):
                with reporting():
                    join(code, nick)
                    st.rerun()
    with teacher_col:
        st.subheader(tr("Teachers"))
        if st.button(tr("Open a class"), icon=":material/add_circle:", type="primary"):
            with reporting():
                open_class()
                st.rerun()
        with st.form("class_teacher"):
            st.caption(tr("Or log in to a class you opened, with its teacher key."))
            code = st.text_input(tr("Class code"), value=st.query_params.get(CLASS_QUERY, ""),
                                 max_chars=12, key="teacher_code")
            key = st.text_input(tr("Teacher key"), type="password")
            if st.form_submit_button(tr("Log in as the teacher")):
                with reporting():
                    teacher_login(code, key)
                    st.rerun()


# ------------------------------------------------------------------ in a class


def join_link(code: str) -> str:
    """The address that opens this page with the code filled in (and in the teacher's
    language, when it is not English: ``&lang=ja``)."""
    url = student_page_url()  # the server's address on the network, not localhost
    parts = urlsplit(url)
    query = urlencode({CLASS_QUERY: code, **url_params()})
    if not parts.netloc:
        return f"/classroom?{query}"
    return urlunsplit((parts.scheme, parts.netloc, parts.path, query, ""))


def header(member: Membership) -> None:
    """The join code, large, the link, who you are, and a way out."""
    code_col, who_col = st.columns([2, 1])
    with code_col:
        st.caption(tr("Join code"))
        st.markdown(BIG_CODE.format(code=member.code), unsafe_allow_html=True)  # [A-Z0-9]
        st.code(join_link(member.code), language=None)
    with who_col:
        who = nickname_markdown(member.student.nickname) if member.student else tr("the teacher")
        st.markdown(tr("You are {who}.", who=who))
        st.button(tr("Leave the class"), on_click=leave, icon=":material/logout:")
    with st.container():  # always there: the parts below keep their places when it empties
        if member.new_key:
            new_key(member)


def _dismiss_key(member: Membership) -> None:
    member.new_key = None


def new_key(member: Membership) -> None:
    """The teacher key of a class just opened, once, with a clear warning."""
    with st.container(border=True):
        st.warning(tr("**Write down your teacher key now.** It is shown only this once and "
                      "cannot be recovered. You need it to log in again as the teacher, set a "
                      "challenge, clear the board, export or close the class."),
                   icon=":material/key:")
        st.code(member.new_key, language=None)
        st.button(tr("I have written it down"), on_click=_dismiss_key, args=(member,))


def student_panel() -> None:
    with st.container(border=True):
        share_toggle()


# ------------------------------------------------------------------ the board


def board() -> None:
    """The live board (a fragment refreshed every BOARD_SECONDS)."""
    st.fragment(_board, run_every=BOARD_SECONDS)()


def _board() -> None:
    member = membership()
    if member is None:
        return
    with reporting():
        summary = store().board(member.code)  # one transaction: counts, runs and challenge
        scores = SCORES.scores(store(), member.code, summary.entries)  # our handwriting
        rows = board_rows(summary.entries, summary.challenge, scores)
        selected = _selected_row(rows)
        board_summary(summary, best_on_handwriting(summary.entries, scores))
        _scatter(summary.entries, summary.challenge, selected and selected["run_id"],
                 member.student and member.student.nickname)
        _table(member, rows, selected)


def _scatter(entries, challenge, selected: str | None, me: str | None) -> None:
    t = current()  # also outside the script's run, in format_func
    axis = st.segmented_control(tr("Across"), list(X_AXES), format_func=lambda k: t(X_AXES[k]),
                                default="learning_rate", key="board_axis") or "learning_rate"
    st.plotly_chart(board_figure(entries, axis, challenge, selected, tr=t, me=me),
                    key="board_scatter", config={"displayModeBar": False})
    st.caption(references_caption(t))


def _board_columns(frame: pd.DataFrame) -> dict:
    """The board table's headers in this session's language, numbers formatted."""
    config = {}
    for column in frame.columns:
        if column in BOARD_COLUMNS:
            label = tr(BOARD_COLUMNS[column])
            number = BOARD_FORMATS.get(column)
            config[column] = st.column_config.NumberColumn(label, format=number) if number \
                else label
    return config


def _selected_row(rows: list[dict]) -> dict | None:
    """The row picked in the table (its selection as this run starts, so the scatter drawn
    above the table rings the same run), or None."""
    picked = st.session_state.get(TABLE_KEY)
    chosen = picked["selection"]["rows"] if picked else []
    return rows[chosen[0]] if chosen and chosen[0] < len(rows) else None


def _table(member: Membership, rows: list[dict], selected: dict | None) -> None:
    """The runs as a sortable table; a selected row shows that run's curves."""
    if not rows:
        st.info(tr("No runs shared yet. Runs that students finish or stop appear here."))
        return
    frame = pd.DataFrame(rows)
    if "digits" in frame:
        frame["digits"] = [tr(v) for v in frame["digits"]]  # plain, or deskewed
    st.dataframe(
        frame, hide_index=True, on_select="rerun", selection_mode="single-row",
        column_order=[c for c in frame.columns if c not in ("run_id", "shared_at")],
        key=TABLE_KEY, row_height=40, placeholder="-", column_config=_board_columns(frame))
    if selected is None:
        st.caption(tr("Click a row's left edge to see that run's curves (click a column's "
                      "header to sort)."))
        return
    curves = store().run_curves(member.code, selected["run_id"])
    st.markdown(tr("Curves of the run by {who}", who=nickname_markdown(selected["student"])))
    st.plotly_chart(curves_figure(history_from_curves(curves), references=True, tr=current()),
                    key="board_curves", config=CHART_CONFIG)
    if member.teacher_key:
        projector.spotlight_button(member.code, selected["run_id"])


# ------------------------------------------------------------------ the class's handwriting


def class_set() -> None:
    """The model the pages show, on the class's own drawings (a fragment)."""
    st.subheader(tr("Our class's handwriting"))
    st.fragment(_class_set, run_every=CLASS_SET_SECONDS)()


def _class_set() -> None:
    member = membership()
    choice = chosen_model()
    if member is None:
        return
    if choice is None or not current_data().is_digits:
        st.info(tr("Pick MNIST in the sidebar to score a model on the class's drawings."))
        return
    with reporting():
        drawings = store().drawings(member.code)
        ev = class_set_evaluation(choice.model, drawings.images, drawings.labels)
        if ev is None:
            st.info(tr("No drawings yet: on the Draw page, draw a digit, check its label and "
                       "press **Add to our class set**."))
            return
        mnist = test_evaluation(choice.model).accuracy
        c = st.columns(3)
        c[0].metric(tr("Our handwriting"), f"{ev.accuracy:.1%}",
                    tr("{right} of {n} right", right=len(ev.y_true) - ev.n_wrong,
                       n=len(ev.y_true)), delta_color="off", delta_arrow="off")
        c[1].metric(tr("MNIST test digits"), f"{mnist:.1%}")
        c[2].caption(tr("Model: {model} (pick another in the sidebar).", model=choice.label))
        names = [str(k) for k in range(10)]
        matrix, wrong = st.columns([1.3, 1])
        matrix.plotly_chart(confusion_figure(ev.confusion(), names, height=400, tr=current()),
                            key="class_confusion", config=CHART_CONFIG)
        with wrong:
            _wrong_digits(drawings, ev)


def _wrong_digits(drawings, ev) -> None:
    """The drawings the model misreads, titled "T:true P:predicted"."""
    missed = [i for i in range(len(ev.y_true)) if ev.y_pred[i] != ev.y_true[i]][:WRONG_SHOWN]
    if not missed:
        st.success(tr("The model reads every drawing right."))
        return
    st.markdown(tr("**Misread: {n}**", n=ev.n_wrong))
    cols = st.columns(6)
    for n, i in enumerate(missed):
        cols[n % 6].image(upscale(drawings.images[i], 3),
                          caption=f"T:{ev.y_true[i]} P:{ev.y_pred[i]}")


def class_set_gallery(model) -> None:
    """On the Results page of a session in a class: the class's drawings as the model reads
    them (prepared as its own digits were), right or wrong, most confident first."""
    member = membership()
    if member is None:
        return
    st.header(tr("Our class's drawings"))
    with reporting():
        drawings = store().drawings(member.code)
        ev = class_set_evaluation(model, drawings.images, drawings.labels)
        if ev is None:
            st.info(tr("The class has no drawings yet (Draw page: Add to our class set)."))
            return
        t = current()  # also outside the script's run, in format_func
        kind = st.segmented_control(tr("Show drawings"), list(KINDS), default="Incorrect",
                                    format_func=lambda k: t(KINDS[k]),
                                    key="class_kind") or "Incorrect"
        shown = select_examples(ev, kind == "Correct")[:GALLERY_SHOWN]
        st.markdown(tr("**{right} of {n} right ({accuracy:.1%})**; {kind} ones, most confident "
                       "first.", right=len(ev.y_true) - ev.n_wrong, n=len(ev.y_true),
                       accuracy=ev.accuracy,
                       kind=Msg("correct") if kind == "Correct" else Msg("incorrect")))
        seen = model.read(drawings.images[shown])[0]  # prepared: the shown drawings only
        cols = st.columns(GALLERY_COLUMNS)
        for n, i in enumerate(shown):
            cols[n % GALLERY_COLUMNS].image(
                upscale(seen[n], 4), caption=f"T:{ev.y_true[i]} P:{ev.y_pred[i]} "
                f"({ev.proba[i, ev.y_pred[i]]:.0%})")


# ------------------------------------------------------------------ the teacher's tools


def teacher_tools(member: Membership) -> None:
    """Challenge, students, clear, remove, close, delete, export: all with the key."""
    st.header(tr("Teacher's tools"))
    if member.notice:
        st.success(tr(member.notice))
        member.notice = None
    with reporting():
        problem = store().problem()  # read-only, or its file deleted: writes stopped
        if problem:
            st.warning(tr(problem), icon=":material/database:")
    challenge_tab, students_tab, data_tab, projector_tab = st.tabs(
        [tr("Challenge"), tr("Students"), tr("Class data"), tr("Projector")])
    with challenge_tab:
        _challenge_form(member)
    with students_tab:
        _students(member)
    with data_tab:
        _class_data(member)
    with projector_tab:
        projector.teacher_panel(member)


def _done(member: Membership, message: Msg) -> None:
    """After a teacher's action: run the page again (the board above shows the change at
    once) and say what was done at the top of the tools."""
    member.notice = message
    st.rerun()


def _challenge_form(member: Membership) -> None:
    with st.form("class_challenge"):
        t = current()  # also outside the script's run, in format_func
        preset = st.selectbox(tr("Lesson"), ["", *PRESETS],
                              format_func=lambda k: t(PRESETS[k].title) if k else t("(none)"))
        target = st.number_input(tr("Beat this test accuracy (%)"), 50.0, 100.0, 92.0, 0.1)
        left, right = st.columns(2)
        constraint = left.selectbox(tr("With"), list(CONSTRAINTS),
                                    format_func=lambda k: t(CONSTRAINT_WORDS[k]))
        value = right.number_input(tr("Value"), 0.0, 1e4, 1e-3, format="%g")
        text = st.text_area(tr("Words for the class (optional)"), max_chars=1000)
        if st.form_submit_button(tr("Set the challenge"), type="primary"):
            with reporting():
                store().set_challenge(member.code, member.teacher_key,
                                      _challenge(preset, target, constraint, value, text))
                _done(member, Msg("Challenge set: every student's Train page shows it."))
    if st.button(tr("Remove the challenge")):
        with reporting():
            store().set_challenge(member.code, member.teacher_key, None)
            _done(member, Msg("Challenge removed."))


def _challenge(preset: str, target: float, constraint: str, value: float,
               text: str) -> Challenge:
    """The form's challenge: test accuracy >= target %, with an optional constraint."""
    extra = CONSTRAINTS[constraint]
    constraints = () if extra is None else (Condition(extra[0], extra[1], value),)
    return Challenge(preset, text.strip(), Condition("test_acc", ">=", round(target / 100, 4)),
                     constraints)


def _students(member: Membership) -> None:
    with reporting():
        _joining(member)
        students = store().students(member.code)
        if not students:
            st.info(tr("No students yet: show them the join code."))
            return
        st.dataframe(pd.DataFrame([{tr("student"): s.nickname, tr("runs"): s.runs,
                                    tr("drawings"): s.drawings,
                                    tr("training now"): s.training_now}
                                   for s in students]), hide_index=True)
        with st.form("class_remove"):
            nicks = st.multiselect(tr("Remove students and everything they shared"),
                                   [s.nickname for s in students])
            sure = st.checkbox(tr("Yes, remove them"))
            if st.form_submit_button(tr("Remove")) and sure and nicks:
                gone = store().remove_students(member.code, member.teacher_key, nicks)
                _done(member, Msg("Students removed, with everything they shared: {n}.",
                                  n=gone))


def _joining(member: Membership) -> None:
    """Stop new students joining (a flood of fake nicknames) or let them join again."""
    stopped = store().class_info(member.code).joins_closed
    st.caption(tr("New students cannot join now; students already in the class can rejoin.")
               if stopped else tr("Anyone with the code can join as a new student."))
    label = tr("Let new students join") if stopped else tr("Stop new students joining")
    if st.button(label, key="class_joining", icon=":material/person_add_disabled:"):
        store().set_joining(member.code, member.teacher_key, stopped)
        _done(member, Msg("New students can join again.") if stopped else
              Msg("No new students can join now."))


def _downloads(member: Membership) -> None:
    """The class's three CSV files (core.classroom.export), each built when its button is
    pressed (so it holds the newest runs): runs, curves (long format), drawings."""
    code, key = member.code, member.teacher_key
    files = {"runs": (Msg("Download the runs (CSV)"),
                      lambda: store().export_csv(code, key).runs_csv),
             "curves": (Msg("Download the runs' curves (CSV)"),
                        lambda: class_curves_csv(store(), code, key)),
             "drawings": (Msg("Download the drawings' list (CSV)"),
                          lambda: store().export_csv(code, key).drawings_csv)}
    t = current()  # the download runs outside the script's run
    for column, (name, (label, build)) in zip(st.columns(3), files.items(), strict=True):
        column.download_button(tr(label), _or_error(build, t),
                               file_name=f"class-{code}-{name}.csv",
                               mime="text/csv", icon=":material/download:",
                               key=f"class_csv_{name}")
    st.caption(tr("UTF-8 with a byte order mark (Excel opens it as it is); times in UTC."))


def _or_error(build, t):
    """``build`` for a download: the CSV, or a one-line file saying why it could not be made
    (in the language ``t``; a download runs outside the page: nothing else can tell)."""
    def run() -> str:
        try:
            return build()
        except ClassroomError as exc:
            message = t(error_message(exc))
            return f"error\n{message}\n"
    return run


def _confirmed_action(label: str, confirm: str, key: str) -> bool:
    """A button that acts only with its confirmation box ticked."""
    sure = st.checkbox(confirm, key=f"{key}_sure")
    return st.button(label, key=key, disabled=not sure)


def _class_data(member: Membership) -> None:
    with reporting():
        _downloads(member)
        st.divider()
        if _confirmed_action(tr("Clear the board"), tr("Yes, delete every shared run"),
                             "class_clear"):
            gone = store().clear_board(member.code, member.teacher_key)
            _done(member, runs_deleted(gone))
        if _confirmed_action(tr("Close the class"), tr("Yes, close it (read-only from now on)"),
                             "class_close"):
            store().close_class(member.code, member.teacher_key)
            _done(member, Msg("Closed: no new students, runs or drawings."))
        if _confirmed_action(tr("Delete the class now"),
                             tr("Yes, delete it and everything in it"), "class_delete"):
            store().delete_class(member.code, member.teacher_key)
            leave()
            st.rerun()
