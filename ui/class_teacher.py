"""The teacher's tools on the Class page: the key of a new class (hidden until asked), log
out, the challenge, the live roster and its moderation, the class's data, the projector.

The tools sit in tabs with a key (``on_change="rerun"``), so the open tab survives every
action; an action runs the page again and says what it did at the top of the tools. A
closed class is read-only here too: its challenge and board cannot change.
"""

from __future__ import annotations

import time

import pandas as pd
import streamlit as st

from core.class_board import runs_deleted
from core.class_scores import class_curves_csv
from core.classroom import Challenge, ClassroomError, Condition
from core.classroom.follower import error_message
from core.figures import upscale
from core.i18n import Msg
from core.presets import PRESETS
from ui import projector
from ui.class_base import Membership, reporting, store
from ui.classroom import leave, log_out
from ui.i18n import current, tr

ROSTER_SECONDS = 3.0  # the roster asks the database again this often (as the board)
NOTICE_SECONDS = 15.0  # what a teacher's action did stays at the top of the tools this long
# The teacher's constraint choices: label -> (field, operator).
CONSTRAINTS = {"no constraint": None, "lambda ≥": ("l2", ">="), "lambda ≤": ("l2", "<="),
               "learning rate ≤": ("learning_rate", "<="),
               "learning rate ≥": ("learning_rate", ">="), "epochs ≤": ("epochs_done", "<=")}
CONSTRAINT_WORDS = {"no constraint": Msg("no constraint"), "lambda ≥": Msg("lambda ≥"),
                    "lambda ≤": Msg("lambda ≤"), "learning rate ≤": Msg("learning rate ≤"),
                    "learning rate ≥": Msg("learning rate ≥"), "epochs ≤": Msg("epochs ≤")}


def teacher_tools(member: Membership) -> None:
    """Key, log out, challenge, students, moderation, class data, projector."""
    st.header(tr("Teacher's tools"))
    # The notices that come and go sit in one container that is always there: an element
    # coming or going above a widget moves the widget, which the browser then draws anew,
    # with the old copy left on screen until the run ends (typing into it is lost).
    notices = st.container()
    with notices:
        if member.notice and time.monotonic() < member.notice_until:
            st.success(tr(member.notice))
        _new_key(member)
    st.button(tr("Log out"), on_click=log_out, icon=":material/logout:", key="class_log_out",
              help=tr("This browser stays logged in as the teacher across reloads until you "
                      "log out."))
    with reporting():
        with notices:
            problem = store().problem()  # read-only, or its file deleted: writes stopped
            if problem:
                st.warning(tr(problem), icon=":material/database:")
            guesses = store().key_guesses(member.code, member.teacher_key)
            if guesses:
                st.warning(tr("Someone tried {n} wrong teacher keys for this class in the last "
                              "minutes. Your session is not affected; keep your key to "
                              "yourself.", n=guesses), icon=":material/shield:")
            closed = store().class_info(member.code).closed
            if closed:
                st.info(tr("This class is closed: it is read-only (export or delete it)."))
        tabs = st.tabs([tr("Challenge"), tr("Students"), tr("Moderation"), tr("Class data"),
                        tr("Projector")], key="class_tools", on_change="rerun")
        with tabs[0]:
            _challenge_form(member, closed)
        with tabs[1]:
            st.fragment(_students, run_every=ROSTER_SECONDS)(member)
        with tabs[2]:
            _moderation(member)
        with tabs[3]:
            _class_data(member, closed)
        with tabs[4]:
            projector.teacher_panel(member)


def _dismiss_key(member: Membership) -> None:
    member.new_key = None


def _new_key(member: Membership) -> None:
    """The key of a class just opened, folded away (a projector must not catch it)."""
    if member.new_key:
        st.warning(tr("**Write down your teacher key now.** It is shown only this once and "
                      "cannot be recovered. You need it to log in again as the teacher on "
                      "another device."), icon=":material/key:")
        with st.expander(tr("Show the teacher key"), icon=":material/visibility:"):
            st.code(member.new_key, language=None)
        st.button(tr("I have written it down"), on_click=_dismiss_key, args=(member,))


def _done(member: Membership, message: Msg) -> None:
    """After a teacher's action: run the page again (the board above shows the change at
    once) and say what was done at the top of the tools, for NOTICE_SECONDS (not just in
    the next run: a run cut short by a click would lose it)."""
    member.notice, member.notice_until = message, time.monotonic() + NOTICE_SECONDS
    st.rerun()


# ------------------------------------------------------------------ the challenge


def _current(member: Membership) -> dict:
    """The form's defaults: the class's challenge as it is now (or the tutorial's)."""
    ch = store().class_info(member.code).challenge
    found = {"preset": "", "target": 92.0, "constraint": "no constraint", "value": 1e-3,
             "text": ""}
    if ch is None:
        return found
    found.update(preset=ch.preset if ch.preset in PRESETS else "", text=ch.text,
                 target=min(100.0, max(50.0, round(ch.goal.value * 100, 2))))
    if ch.constraints:
        first = ch.constraints[0]
        label = next((k for k, v in CONSTRAINTS.items() if v == (first.field, first.op)), None)
        if label:
            found.update(constraint=label, value=float(first.value))
    return found


def _challenge_form(member: Membership, closed: bool) -> None:
    now = _current(member)
    with st.form("class_challenge"):
        t = current()  # also outside the script's run, in format_func
        options = ["", *PRESETS]
        preset = st.selectbox(tr("Lesson"), options, index=options.index(now["preset"]),
                              format_func=lambda k: t(PRESETS[k].title) if k else t("(none)"),
                              disabled=closed)
        target = st.number_input(tr("Beat this test accuracy (%)"), 50.0, 100.0,
                                 now["target"], 0.1, disabled=closed)
        left, right = st.columns(2)
        constraint = left.selectbox(tr("With"), list(CONSTRAINTS),
                                    index=list(CONSTRAINTS).index(now["constraint"]),
                                    format_func=lambda k: t(CONSTRAINT_WORDS[k]),
                                    disabled=closed)
        value = right.number_input(tr("Value"), 0.0, 1e4, now["value"], format="%g",
                                   disabled=closed)
        text = st.text_area(tr("Words for the class (optional)"), now["text"], max_chars=1000,
                            disabled=closed)
        if st.form_submit_button(tr("Set the challenge"), type="primary", disabled=closed):
            with reporting():
                store().set_challenge(member.code, member.teacher_key,
                                      _challenge(preset, target, constraint, value, text))
                _done(member, Msg("Challenge set: every student's Train page shows it."))
    if st.button(tr("Remove the challenge"), disabled=closed):
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


# ------------------------------------------------------------------ students


def _students(member: Membership) -> None:
    """The live roster (a fragment: who joined, who trains now, runs and drawings each),
    stopping new joins, removing or blocking students, releasing a nickname."""
    with reporting():
        _joining(member)
        students = store().students(member.code)
        if not students:
            st.info(tr("No students yet: show them the join code."))
        else:
            st.caption(tr("{n} students in the class, {training} training now (live).",
                          n=len(students), training=sum(s.training_now for s in students)))
            st.dataframe(pd.DataFrame([{tr("student"): s.nickname, tr("runs"): s.runs,
                                        tr("drawings"): s.drawings,
                                        tr("training now"): s.training_now}
                                       for s in students]), hide_index=True)
            _remove(member, [s.nickname for s in students])
        _blocked(member)


def _remove(member: Membership, nicknames: list[str]) -> None:
    nicks = st.multiselect(tr("Remove students and everything they shared"), nicknames,
                           key="class_remove_who")
    block = st.checkbox(tr("Also block these nicknames (they cannot rejoin)"),
                        key="class_remove_block")
    sure = st.checkbox(tr("Yes, remove them"), key="class_remove_sure")
    if st.button(tr("Remove"), key="class_remove", disabled=not (sure and nicks)):
        if block:
            gone = sum(store().block_student(member.code, member.teacher_key, n)
                       for n in nicks)
        else:
            gone = store().remove_students(member.code, member.teacher_key, nicks)
        _done(member, Msg("Students removed, with everything they shared: {n}.", n=gone))
    who = st.selectbox(tr("Release a nickname from the browser that holds it"),
                       ["", *nicknames], key="class_release_who")
    if st.button(tr("Release"), key="class_release", disabled=not who,
                 help=tr("The next browser that joins with it becomes that student.")):
        store().release_nickname(member.code, member.teacher_key, who)
        _done(member, Msg('"{nickname}" can be taken by another browser now.', nickname=who))


def _blocked(member: Membership) -> None:
    blocked = store().blocked(member.code, member.teacher_key)
    if not blocked:
        return
    who = st.selectbox(tr("Blocked nicknames"), blocked, key="class_unblock_who")
    if st.button(tr("Unblock"), key="class_unblock"):
        store().unblock_student(member.code, member.teacher_key, who)
        _done(member, Msg('"{nickname}" can join again.', nickname=who))


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


# ------------------------------------------------------------------ moderation


def _moderation(member: Membership) -> None:
    """Delete one run from the board, or one drawing from the class set."""
    with reporting():
        runs = {e.run.run_id: (n, e) for n, e in enumerate(store().runs(member.code), 1)}
        run = st.selectbox(tr("Delete one run"), ["", *runs], key="class_drop_run",
                           format_func=lambda r: _run_label(*runs[r]) if r else "-")
        if st.button(tr("Delete this run"), key="class_drop_run_go", disabled=not run):
            store().delete_run(member.code, member.teacher_key, run)
            _done(member, Msg("The run was deleted from the board."))
        drawings = store().drawings(member.code)
        index = {d: i for i, d in enumerate(drawings.ids)}
        drawing = st.selectbox(tr("Delete one drawing"), ["", *index], key="class_drop_drawing",
                               format_func=lambda d: _drawing_label(drawings, index[d])
                               if d else "-")
        if drawing:
            st.image(upscale(drawings.raw[index[drawing]], 2),
                     alt=tr(_drawing_label(drawings, index[drawing])))
        if st.button(tr("Delete this drawing"), key="class_drop_drawing_go",
                     disabled=not drawing):
            store().delete_drawing(member.code, member.teacher_key, drawing)
            _done(member, Msg("The drawing was deleted from the class set."))


def _run_label(n: int, entry) -> str:
    """The board's run number ``n`` in the picker: who, its test accuracy, its learning rate
    and lambda (plain text: a selectbox never reads markdown)."""
    acc = "-" if entry.run.test_acc is None else f"{entry.run.test_acc:.1%}"
    return f"#{n} " + tr("{who}: test {acc}, learning rate {lr:g}, lambda {l2:g}",
                         who=entry.nickname, acc=acc, lr=entry.run.learning_rate,
                         l2=entry.run.l2)


def _drawing_label(drawings, i: int) -> str:
    return f"#{i + 1} " + tr("{who}: the digit {label}", who=drawings.nicknames[i],
                             label=int(drawings.labels[i]))


# ------------------------------------------------------------------ the class's data


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


def _confirmed_action(label: str, confirm: str, key: str, disabled: bool = False) -> bool:
    """A button that acts only with its confirmation box ticked."""
    sure = st.checkbox(confirm, key=f"{key}_sure", disabled=disabled)
    return st.button(label, key=key, disabled=disabled or not sure)


def _class_data(member: Membership, closed: bool) -> None:
    with reporting():
        _downloads(member)
        st.divider()
        if _confirmed_action(tr("Clear the board"), tr("Yes, delete every shared run"),
                             "class_clear", disabled=closed):
            gone = store().clear_board(member.code, member.teacher_key)
            _done(member, runs_deleted(gone))
        if _confirmed_action(tr("Close the class"), tr("Yes, close it (read-only from now on)"),
                             "class_close", disabled=closed):
            store().close_class(member.code, member.teacher_key)
            _done(member, Msg("Closed: no new students, runs or drawings."))
        if _confirmed_action(tr("Delete the class now"),
                             tr("Yes, delete it and everything in it"), "class_delete"):
            store().delete_class(member.code, member.teacher_key)
            if member.session_token:
                log_out()
            else:
                leave()
            st.rerun()
