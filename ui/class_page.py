"""The Class page's parts (views/classroom.py draws them): the header (join code, link, who
you are), the board (live, for a projector) and the class's handwriting. Joining or opening
a class is ui.class_join; the teacher's tools are ui.class_teacher.

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
)
from core.class_scores import SCORES, best_on_handwriting
from core.describe import board_alt, class_drawing_alt, confusion_summary, curves_summary
from core.figures import confusion_figure, curves_figure, upscale
from core.i18n import Msg
from core.metrics import select_examples
from core.style import references_caption
from ui import projector
from ui.board_summary import board_summary
from ui.caches import current_data
from ui.classroom import (
    CLASS_QUERY,
    Membership,
    gone_notice,
    leave,
    membership,
    nickname_markdown,
    reporting,
    share_toggle,
    store,
    watch,
    who_markdown,
)
from ui.i18n import current, tr, url_params
from ui.models import chosen_model, test_evaluation
from ui.network import student_page_url
from ui.widgets import CHART_CONFIG

BOARD_SECONDS = 3.0  # the board asks the database again this often
CLASS_SET_SECONDS = 10.0  # and the class's handwriting this often
WRONG_SHOWN = 24  # the most misread drawings shown on the board
GALLERY_SHOWN, GALLERY_COLUMNS = 80, 8  # the class's drawings on the Results page
KINDS = {"Incorrect": Msg("Incorrect"), "Correct": Msg("Correct")}
BOARD_FORMATS = {"test acc": "percent", "valid acc": "percent", "train acc": "percent",
                 "handwriting": "percent", "learning rate": "%g", "lambda": "%g"}
TABLE_KEY = "board_table"  # the board's table (its selection picks the run whose curves show)
BIG_CODE = ('<div style="font-size:3.6rem;font-weight:700;letter-spacing:0.25em;'
            'line-height:1.1">{code}</div>')


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
    """The join code, large, the link, who you are, and a way out (the teacher key is never
    here: it is folded away in the teacher's tools, below the board)."""
    code_col, who_col = st.columns([2, 1])
    with code_col:
        st.caption(tr("Join code"))
        st.markdown(BIG_CODE.format(code=member.code), unsafe_allow_html=True)  # [A-Z0-9]
        st.code(join_link(member.code), language=None)
    with who_col:
        st.markdown(tr("You are {who}.", who=who_markdown(member)))
        if member.teacher_key is None:
            st.button(tr("Leave the class"), on_click=leave, icon=":material/logout:")
    with st.container():  # always there: a notice coming or going moves nothing below
        gone_notice()  # e.g. a newcomer to a closed class: why they only see the board


def student_panel() -> None:
    with st.container(border=True), reporting():
        share_toggle(closed=store().class_info(membership().code).closed)


# ------------------------------------------------------------------ the board


def board() -> None:
    """The live board (a fragment refreshed every BOARD_SECONDS). Each refresh first checks
    that this session is still in the class (:func:`ui.classroom.watch`): one fragment run a
    tick, not two (fragments due together run one after the other, and each but the last
    has its end reported as cut short)."""
    st.fragment(_board, run_every=BOARD_SECONDS)()


def _board() -> None:
    watch()
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
                    key="board_scatter", config={"displayModeBar": False},
                    alt=tr(board_alt([e.run.test_acc for e in entries])))
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
    history = history_from_curves(curves)
    st.plotly_chart(curves_figure(history, references=True, tr=current()),
                    key="board_curves", config=CHART_CONFIG, alt=tr(curves_summary(history)))
    if member.teacher_key:
        projector.spotlight_button(member.code, selected["run_id"])


# ------------------------------------------------------------------ the class's handwriting


def class_set() -> None:
    """The model the pages show, on the class's own drawings (a fragment)."""
    st.header(tr("Our class's handwriting"))
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
                            key="class_confusion", config=CHART_CONFIG,
                            alt=tr(confusion_summary(ev.confusion(), names)))
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
                          caption=f"T:{ev.y_true[i]} P:{ev.y_pred[i]}",
                          alt=tr(class_drawing_alt(str(ev.y_true[i]), str(ev.y_pred[i]))))


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
                f"({ev.proba[i, ev.y_pred[i]]:.0%})", alt=tr(class_drawing_alt(
                    str(ev.y_true[i]), str(ev.y_pred[i]), ev.proba[i, ev.y_pred[i]])))
