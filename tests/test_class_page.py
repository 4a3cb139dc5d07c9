"""The Class page and Classroom mode on the other pages, run by Streamlit's AppTest.

Each test has a class database of its own: a temporary SQLite file (CLASSROOM_DIR), or a
database that cannot be opened. The store is cached per database URL (ui.classroom.store),
so a new directory gives a new store; the cache is cleared after each test anyway.
"""

from __future__ import annotations

import html
import json
import sys
from types import SimpleNamespace

import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

from apptest_support import TIMEOUT, button, click, go, session_of, stop_training, wait_for
from conftest import ROOT

CLASS_PAGE = "views/classroom.py"
NASTY = ["<script>x()</script>", "**bold**", "[x](javascript:alert(1))"]


@pytest.fixture
def classroom_db(tmp_path, monkeypatch):
    """A fresh SQLite class database for this test; yields the store the pages use."""
    monkeypatch.setenv("CLASSROOM_DIR", str(tmp_path))
    monkeypatch.delenv("CLASSROOM_DB_URL", raising=False)
    from ui import classroom

    classroom._store.clear()
    yield classroom.store()
    classroom.store().dispose()
    classroom._store.clear()


@pytest.fixture
def sessions():
    """New browser sessions (AppTests) on the Class page; their runs are stopped after."""
    made = []

    def new(page: str = CLASS_PAGE, query: dict | None = None) -> AppTest:
        at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=TIMEOUT)
        for name, value in (query or {}).items():
            at.query_params[name] = value
        at.switch_page(page).run()
        assert not at.exception, at.exception
        made.append(at)
        return at

    yield new
    for at in made:
        stop_training(at)


def _member(at: AppTest):
    return session_of(at).classroom


def _open_class(at: AppTest):
    click(at, "Open a class")
    member = _member(at)
    assert member is not None and member.teacher_key
    return member


def _same_browser(monkeypatch, at: AppTest, workspace_kept: bool = True) -> None:
    """Sessions started from now on come from the browser of ``at``: its cookies (the
    browser's secret, its workspace's key; a teacher's session) are sent (AppTest cannot
    send cookies itself). ``workspace_kept=False``: the server no longer has the workspace
    (restarted, or idle for hours), so only the teacher's cookie is sent."""
    from ui import class_session, cookies, workspace

    kept = {}
    if workspace_kept and workspace._KEY in at.session_state:
        kept[workspace.COOKIE] = at.session_state[workspace._KEY]
    member = _member(at)
    if member is not None and member.session_token:
        kept[class_session.TEACHER_COOKIE] = f"{member.code}:{member.session_token}"
    monkeypatch.setattr(cookies, "sent", lambda: kept)


def _join(at: AppTest, code: str, nickname: str) -> AppTest:
    at.text_input[0].input(code)
    at.text_input[1].input(nickname)
    return click(at, "Join")


def _texts(at: AppTest) -> list[str]:
    """Every piece of text the page shows (markdown, captions, messages, code)."""
    parts = [*at.markdown, *at.caption, *at.error, *at.warning, *at.info, *at.success,
             *at.code, *at.sidebar.caption, *at.sidebar.error]
    return [p.value for p in parts]


def _chart(at: AppTest, key: str) -> dict:
    charts = [c for c in at.get("plotly_chart") if c.proto.id and key in c.proto.id]
    assert len(charts) == 1, f"no single chart {key!r}"
    return json.loads(charts[0].proto.spec)


def _metrics(at: AppTest) -> dict[str, str]:
    return {m.label: m.value for m in at.metric}


# ------------------------------------------------------------------ opening and joining


def test_open_a_class_shows_the_code_the_link_and_the_key_once(classroom_db, sessions):
    teacher = sessions()
    member = _open_class(teacher)
    texts = _texts(teacher)
    assert any(member.code in t for t in teacher.markdown.values)
    assert f"/classroom?class={member.code}" in [c.value for c in teacher.code]
    assert member.teacher_key in [c.value for c in teacher.code]
    assert any("Write down your teacher key now" in t for t in texts)
    assert classroom_db.verify_teacher(member.code, member.teacher_key).code == member.code
    assert teacher.query_params["class"] == member.code  # a reload offers the log-in
    assert "nick" not in teacher.query_params
    assert member.teacher_key not in str(teacher.query_params)

    click(teacher, "I have written it down")
    assert member.teacher_key not in [c.value for c in teacher.code]  # shown once only
    assert "Teacher's tools" in [h.value for h in teacher.header]


def test_a_student_joins_with_the_code_and_a_reload_keeps_them_in(classroom_db, sessions,
                                                                   monkeypatch):
    new = classroom_db.create_class()
    student = _join(sessions(), new.code.lower(), "はなこ")
    member = _member(student)
    assert member.student.nickname == "はなこ" and member.code == new.code
    assert student.query_params["class"] == new.code
    assert student.query_params["nick"] == "はなこ"
    assert _metrics(student)["Students"] == "1"

    # A reload: a new session with the same address is in the class at once, on any page
    # (from the same browser: its secret cookie comes back).
    _same_browser(monkeypatch, student)
    again = sessions("views/train.py", {"class": new.code, "nick": "はなこ"})
    assert _member(again).student == member.student
    assert "Share my finished runs with the class" in [t.label for t in again.toggle]
    assert again.query_params["class"] == new.code  # the Train page keeps it in the address


def test_a_wrong_code_says_so(classroom_db, sessions):
    at = _join(sessions(), "ZZZZZZ", "ana")
    assert _member(at) is None
    assert len(at.error) == 1 and "ZZZZZZ" in at.error[0].value


def test_a_wrong_teacher_key_says_so(classroom_db, sessions):
    new = classroom_db.create_class()
    at = sessions()
    at.text_input(key="teacher_code").input(new.code)
    at.text_input[3].input("not-the-key")
    click(at, "Log in as the teacher")
    assert _member(at) is None
    assert len(at.error) == 1 and "not the teacher key" in at.error[0].value

    at.text_input[3].input(new.teacher_key)
    click(at, "Log in as the teacher")
    assert _member(at).teacher_key == new.teacher_key and not at.error


@pytest.mark.parametrize("nickname", NASTY)
def test_nicknames_are_shown_as_typed_never_as_markup(classroom_db, sessions, nickname):
    from core.class_board import markdown_literal
    from core.classroom import SharedRun
    from core.markup import plain

    new = classroom_db.create_class()
    at = _join(sessions(), new.code, nickname)
    me = _member(at).student
    classroom_db.share_run(me, SharedRun("r1", "mnist", "none", 0.1, 1e-4, 100, 2, 34, 2,
                                         test_acc=0.9))
    at.run()
    shown = [t for t in _texts(at) if nickname in plain(t)]
    assert shown, "the nickname is shown"
    assert not [t for t in _texts(at) if nickname in t], "never unescaped in markdown"
    assert any(markdown_literal(nickname) in t for t in shown)
    table = [df for df in at.dataframe if "student" in df.value.columns][0].value
    assert list(table["student"]) == [nickname]  # a table cell: plain text
    hover = _chart(at, "board_scatter")["data"][0]["text"][0]
    assert hover.startswith(html.escape(nickname) + "<br>")  # plotly reads tags in hovers


# ------------------------------------------------------------------ sharing and the board


def _train(at: AppTest, epochs: int = 2) -> object:
    """Train a short run on the Train page and wait for it to end."""
    at.number_input(key="epochs").set_value(epochs)
    at.number_input(key="batch").set_value(500)
    at.run()
    click(at, "Start")
    job = session_of(at).job
    job.join(TIMEOUT)
    assert not job.alive
    return job


def test_a_finished_run_is_shared_and_shown_on_the_board(classroom_db, sessions):
    from core.classroom import Challenge, Condition

    new = classroom_db.create_class()
    classroom_db.set_challenge(new.code, new.teacher_key,
                               Challenge("", "", Condition("test_acc", ">=", 0.5)))
    student = _join(sessions(), new.code, "ana")
    go(student, "views/train.py")
    job = _train(student)
    member = _member(student)
    wait_for(lambda: member.shared, "the run to be shared")
    [entry] = classroom_db.runs(new.code)
    run = entry.run
    assert entry.nickname == "ana" and run.epochs_done == 2 and run.batch_size == 500
    assert run.test_acc == pytest.approx(job.test_accuracy)
    assert run.valid_acc == pytest.approx(job.run.history[-1].valid_acc)
    assert run.preprocessing == "none" and run.dataset == job.run.data.name
    assert classroom_db.run_curves(new.code, run.run_id)["epoch"] == [1, 2]
    student.run()
    shared = [c for c in student.caption.values if c.startswith("Shared with the class: run")]
    assert len(shared) == 1 and "meets the challenge" in shared[0]

    teacher = sessions()
    teacher.text_input(key="teacher_code").input(new.code)
    teacher.text_input[3].input(new.teacher_key)
    click(teacher, "Log in as the teacher")
    metrics = _metrics(teacher)
    assert metrics["Runs shared"] == "1" and metrics["Best test accuracy"] == \
        f"{run.test_acc:.2%}"
    points = _chart(teacher, "board_scatter")["data"]
    assert [(p["name"], p["customdata"]) for p in points] == [("meets the challenge",
                                                               [run.run_id])]
    assert points[0]["x"] == [pytest.approx(0.1)]
    assert any(i.endswith("1 run meets it: the gold star.") for i in teacher.info.values)


def test_sharing_can_be_turned_off(classroom_db, sessions):
    new = classroom_db.create_class()
    student = _join(sessions(), new.code, "ana")
    go(student, "views/train.py")
    student.toggle(key="class_share").set_value(False).run()
    job = _train(student)
    member = _member(student)
    wait_for(lambda: (job.ticket, 2) in member.skipped, "the run to be skipped")
    assert classroom_db.runs(new.code) == [] and not member.shared


def test_the_challenge_shows_on_every_students_train_page(classroom_db, sessions):
    new = classroom_db.create_class()
    student = _join(sessions(), new.code, "ana")
    teacher = sessions()
    teacher.text_input(key="teacher_code").input(new.code)
    teacher.text_input[3].input(new.teacher_key)
    click(teacher, "Log in as the teacher")
    form = [s for s in teacher.selectbox if s.label == "Lesson"][0]
    form.set_value("lambda-too-high")
    [s for s in teacher.selectbox if s.label == "With"][0].set_value("lambda ≥")
    [n for n in teacher.number_input if n.label == "Value"][0].set_value(1e-3)
    teacher.text_area[0].input("No **cheating**")
    click(teacher, "Set the challenge")
    assert any("Challenge set" in s for s in teacher.success.values)

    go(student, "views/train.py")
    _train(student)  # lambda 1e-4: it does not meet the challenge
    member = _member(student)
    wait_for(lambda: member.shared, "the run to be shared")
    assert "meets the challenge" not in list(member.shared.values())[0]
    banner = [m for m in student.markdown.values if "Class challenge" in m]
    assert len(banner) == 1
    assert "test accuracy ≥ 92 % with lambda ≥ 0.001" in banner[0].replace("\\", "")
    assert "No \\*\\*cheating\\*\\*" in banner[0]


# ------------------------------------------------------------------ drawings


def test_a_drawing_joins_the_class_set_and_the_board_scores_it(classroom_db, sessions,
                                                              monkeypatch):
    from core.data import load_mnist

    digit = load_mnist().x_test[0].reshape(28, 28)  # a 7
    grey = np.kron(digit, np.ones((10, 10), np.uint8))
    rgba = np.dstack([grey, grey, grey, np.full_like(grey, 255)])
    new = classroom_db.create_class()
    student = _join(sessions(), new.code, "ana")
    go(student, "views/draw.py")
    monkeypatch.setattr(sys.modules["streamlit_drawable_canvas"], "st_canvas",
                        lambda **kwargs: SimpleNamespace(image_data=rgba))
    student.run()
    click(student, "Add to our class set")
    assert any("set as the digit 7." in s for s in student.success.values)
    drawings = classroom_db.drawings(new.code)
    assert list(drawings.labels) == [7] and drawings.raw.shape == (1, 56, 56)
    assert drawings.images[0].reshape(28, 28)[14, :].max() > 100  # ink in the middle
    click(student, "Add to our class set")
    assert len(classroom_db.drawings(new.code)) == 1  # the same drawing is stored once

    go(student, CLASS_PAGE)
    metrics = _metrics(student)
    assert metrics["Our handwriting"] == "100.0%" and "MNIST test digits" in metrics
    assert button(student, "Leave the class")

    go(student, "views/results.py")  # the class's drawings, browsed like the test digits
    assert "Our class's drawings" in [h.value for h in student.header]
    assert any(m.startswith("**1 of 1 right (100.0%)**") for m in student.markdown.values)
    [kind] = [b for b in student.get("button_group") if b.key == "class_kind"]
    kind.set_value("Correct").run()
    assert [c for img in student.image for c in img.captions if c.startswith("T:7 P:7")]


# ------------------------------------------------------------------ the database is down


def test_an_unavailable_database_pauses_only_the_class(tmp_path, monkeypatch, sessions):
    blocked = tmp_path / "file"
    blocked.write_text("not a folder")
    monkeypatch.setenv("CLASSROOM_DB_URL", f"sqlite:///{blocked}/sub/classes.sqlite3")
    from ui import classroom

    classroom._store.clear()
    try:
        at = sessions()
        click(at, "Open a class")
        assert len(at.error) == 1 and "not available right now" in at.error[0].value
        go(at, "views/results.py")
        assert [t.value for t in at.title] == ["Results on the test set"]
        linked = sessions("views/train.py", {"class": "K7QMXD", "nick": "ana"})
        assert [t.value for t in linked.title] == ["Train a softmax regression"]
        errors = [e for e in linked.sidebar.error.values if "not available right now" in e]
        assert errors and "trying again in" in errors[0]  # not asked again for a while
        assert button(linked, "Start")
    finally:
        classroom._store.clear()


# ------------------------------------------------------------------ training now, teacher


def _teacher(sessions, new) -> AppTest:
    at = sessions()
    at.text_input(key="teacher_code").input(new.code)
    at.text_input[3].input(new.teacher_key)
    return click(at, "Log in as the teacher")


def test_a_training_student_counts_as_training_now(classroom_db, sessions):
    new = classroom_db.create_class()
    student = _join(sessions(), new.code, "ana")
    go(student, "views/train.py")
    student.number_input(key="epochs").set_value(500)
    student.number_input(key="batch").set_value(10)
    student.run()
    click(student, "Start")
    wait_for(lambda: classroom_db.board(new.code).training_now == 1, "the heartbeat")
    job = session_of(student).job
    wait_for(lambda: job.run.history, "the first epoch")  # a run without one is not shared
    job.stop()
    wait_for(lambda: classroom_db.board(new.code).training_now == 0, "the heartbeat to end")
    wait_for(lambda: len(classroom_db.runs(new.code)) == 1, "the stopped run to be shared")
    assert classroom_db.runs(new.code)[0].run.epochs_done < 500


def test_the_teachers_tools(classroom_db, sessions):
    from core.classroom import SharedRun

    new = classroom_db.create_class()
    for nick in ("ana", "bo"):
        me = classroom_db.join(new.code, nick)
        classroom_db.share_run(me, SharedRun(f"r-{nick}", "mnist", "none", 0.1, 1e-4, 100, 2,
                                             34, 2, test_acc=0.9))
    teacher = _teacher(sessions, new)
    assert _metrics(teacher)["Runs shared"] == "2"
    downloads = [d.label for d in teacher.get("download_button") if "CSV" in d.label]
    assert downloads[:3] == ["Download the runs (CSV)", "Download the runs' curves (CSV)",
                             "Download the drawings' list (CSV)"]  # curves: a file of their own
    assert downloads[3:] == ["Download the experiment (CSV)"]  # issue 25's class experiment

    remove = [s for s in teacher.multiselect if s.label.startswith("Remove students")][0]
    remove.set_value(["bo"]).run()
    assert button(teacher, "Remove").disabled  # not without the tick (as Clear and Close)
    teacher.checkbox(key="class_remove_sure").check().run()
    click(teacher, "Remove")
    assert [s.nickname for s in classroom_db.students(new.code)] == ["ana"]

    teacher.checkbox(key="class_clear_sure").check().run()
    click(teacher, "Clear the board")
    assert classroom_db.runs(new.code) == [] and _metrics(teacher)["Runs shared"] == "0"
    assert "1 run deleted; drawings stay." in teacher.success.values

    teacher.checkbox(key="class_close_sure").check().run()
    click(teacher, "Close the class")
    assert classroom_db.class_info(new.code).closed
    assert any("closed" in w for w in teacher.warning.values)
    student = _join(sessions(), new.code, "cy")  # a closed class takes no new students ...
    assert _member(student).viewer and _member(student).student is None
    assert any("is closed" in w for w in student.warning.values)
    assert _metrics(student)["Runs shared"] == "0"  # ... but they see its board, read-only


def test_the_teacher_stops_a_flood_of_nicknames(classroom_db, sessions):
    new = classroom_db.create_class()
    for nick in ("ana", "bot 1", "bot 2", "bot 3"):
        classroom_db.join(new.code, nick)
    teacher = _teacher(sessions, new)
    click(teacher, "Stop new students joining")
    assert classroom_db.class_info(new.code).joins_closed
    assert "No new students can join now." in teacher.success.values
    teacher.run()  # another run (a live part's, or one cut short): the notice stays
    assert "No new students can join now." in teacher.success.values
    bot = _join(sessions(), new.code, "bot 4")
    assert _member(bot) is None
    assert any("takes no new students" in w for w in bot.warning.values)
    remove = [s for s in teacher.multiselect if s.label.startswith("Remove students")][0]
    remove.set_value(["bot 1", "bot 2", "bot 3"])  # many at once
    teacher.checkbox(key="class_remove_sure").check().run()
    click(teacher, "Remove")
    assert [s.nickname for s in classroom_db.students(new.code)] == ["ana"]
    assert any(v.endswith(": 3.") for v in teacher.success.values)
    assert _member(_join(sessions(), new.code, "ANA")) is not None  # students rejoin
    click(teacher, "Let new students join")
    assert not classroom_db.class_info(new.code).joins_closed


def test_the_teacher_is_told_when_the_database_file_is_deleted(classroom_db, sessions,
                                                              tmp_path):
    new = classroom_db.create_class()
    teacher = _teacher(sessions, new)
    assert not any("deleted or replaced" in w for w in teacher.warning.values)
    for file in tmp_path.glob("classes.sqlite3*"):  # git clean -fdx under a running server
        file.unlink()
    teacher.run()
    assert any("deleted or replaced" in w for w in teacher.warning.values)


def test_a_failed_write_leaves_the_board_readable(monkeypatch, sessions):
    from postgres_support import running_postgres

    from core.classroom import ClassroomStore, SharedRun
    from ui import classroom

    with running_postgres() as server:
        url = server.fresh_url()
        writer = ClassroomStore(url)
        new = writer.create_class()
        writer.share_run(writer.join(new.code, "ana"),
                         SharedRun("r-ana", "mnist", "none", 0.1, 1e-4, 100, 2, 34, 2,
                                   test_acc=0.9))
        writer.dispose()
        # the same database, every transaction read-only: reads work, writes fail
        monkeypatch.setenv("CLASSROOM_DB_URL",
                           f"{url}%20-cdefault_transaction_read_only%3Don")
        classroom._store.clear()
        try:
            teacher = _teacher(sessions, new)
            click(teacher, "Set the challenge")
            written = [e for e in teacher.error.values if "cannot be written" in e]
            assert written and "it is read" in written[0]  # (shown escaped: read\\-only)
            teacher.run()  # the next page run: the board is still read, at once
            assert _metrics(teacher)["Runs shared"] == "1"
            assert not any("not available" in e for e in teacher.error.values), \
                teacher.error.values
        finally:
            classroom.store().dispose()
            classroom._store.clear()


def test_a_student_whose_database_goes_down_keeps_training(classroom_db, sessions, tmp_path,
                                                          monkeypatch):
    new = classroom_db.create_class()
    student = _join(sessions(), new.code, "ana")
    blocked = tmp_path / "file"
    blocked.write_text("not a folder")
    monkeypatch.setenv("CLASSROOM_DB_URL", f"sqlite:///{blocked}/sub/classes.sqlite3")
    go(student, "views/train.py")
    assert any("not available right now" in e for e in student.error.values)
    job = _train(student)  # the run trains; it waits to be shared
    assert job.run.status.value == "finished"
    monkeypatch.delenv("CLASSROOM_DB_URL")  # back: the next page run shares it
    go(student, CLASS_PAGE)
    wait_for(lambda: len(classroom_db.runs(new.code)) == 1, "the run to be shared")


# ------------------------------------------------------------------ issue 21: a lesson to trust


def _key_expander(at: AppTest):
    found = [e for e in at.expander if e.label == "Show the teacher key"]
    assert len(found) == 1, [e.label for e in at.expander]
    return found[0]


def test_the_new_key_is_folded_away_in_the_tools_not_under_the_join_code(classroom_db,
                                                                        sessions):
    teacher = sessions()
    member = _open_class(teacher)
    folded = _key_expander(teacher)
    assert not folded.proto.expanded  # hidden until the teacher asks
    assert [c.value for c in folded.code] == [member.teacher_key]
    under_the_code = teacher.main.columns[0]  # the header: join code and link
    assert member.teacher_key not in [c.value for c in under_the_code.code]
    assert f"/classroom?class={member.code}" in [c.value for c in under_the_code.code]


def test_guessing_keys_never_locks_out_the_logged_in_teacher(classroom_db, sessions):
    new = classroom_db.create_class()
    teacher = _teacher(sessions, new)
    for _ in range(3):  # a student guessing, from another browser
        guesser = sessions()
        guesser.text_input(key="teacher_code").input(new.code)
        guesser.text_input[3].input("AAAA-BBBB-CCCC-DDDD")
        click(guesser, "Log in as the teacher")
    click(teacher, "Set the challenge")
    assert any("Challenge set" in s for s in teacher.success.values)
    assert not teacher.error
    assert any("Someone tried 3 wrong teacher keys" in w for w in teacher.warning.values)


def test_a_reload_keeps_the_teacher_logged_in_until_log_out(classroom_db, sessions,
                                                            monkeypatch):
    new = classroom_db.create_class()
    teacher = _teacher(sessions, new)
    member = _member(teacher)
    assert member.session_token and new.teacher_key not in member.session_token
    # F5 after the server lost the workspace: the teacher's cookie comes back, not the key
    _same_browser(monkeypatch, teacher, workspace_kept=False)
    again = sessions(query={"class": new.code})
    assert _member(again).teacher_key == member.session_token
    assert "Teacher's tools" in [h.value for h in again.header]
    assert new.teacher_key not in str(again.query_params)
    click(again, "Log out")
    assert _member(again) is None
    with pytest.raises(Exception, match="ended"):
        classroom_db.resume_teacher(new.code, member.session_token)
    assert again.session_state["_cookie_writes"]["mnist_teacher"] == ("", 0)


def test_the_challenge_form_shows_the_current_challenge(classroom_db, sessions):
    from core.classroom import Challenge, Condition

    new = classroom_db.create_class()
    classroom_db.set_challenge(new.code, new.teacher_key, Challenge(
        "lambda-too-high", "Go!", Condition("test_acc", ">=", 0.95),
        (Condition("l2", ">=", 0.01),)))
    teacher = _teacher(sessions, new)
    assert [s for s in teacher.selectbox if s.label == "Lesson"][0].value == "lambda-too-high"
    assert [s for s in teacher.selectbox if s.label == "With"][0].value == "lambda ≥"
    assert [n for n in teacher.number_input if n.label == "Value"][0].value == 0.01
    assert [n for n in teacher.number_input
            if n.label.startswith("Beat this")][0].value == 95.0
    assert teacher.text_area[0].value == "Go!"
    click(teacher, "Set the challenge")  # "Set" keeps it as it was
    assert classroom_db.class_info(new.code).challenge.goal.value == 0.95


def test_a_closed_class_locks_the_challenge_and_the_board(classroom_db, sessions):
    new = classroom_db.create_class()
    classroom_db.close_class(new.code, new.teacher_key)
    teacher = _teacher(sessions, new)
    assert button(teacher, "Remove the challenge").disabled
    assert teacher.checkbox(key="class_clear_sure").disabled
    assert button(teacher, "Clear the board").disabled


def test_the_teacher_deletes_a_run_and_blocks_a_student(classroom_db, sessions):
    from core.classroom import SharedRun

    new = classroom_db.create_class()
    student = _join(sessions(), new.code, "rude")
    me = _member(student).student
    for run_id in ("r-1", "r-2"):
        classroom_db.share_run(me, SharedRun(run_id, "mnist", "none", 0.1, 1e-4, 100, 2, 34, 2,
                                             test_acc=0.9))
    teacher = _teacher(sessions, new)
    picker = teacher.selectbox(key="class_drop_run")
    assert picker.options[2] == "#2 rude: test 90.0%, learning rate 0.1, lambda 0.0001"
    picker.select_index(2).run()
    click(teacher, "Delete this run")
    assert [e.run.run_id for e in classroom_db.runs(new.code)] == ["r-1"]

    [s for s in teacher.multiselect if s.label.startswith("Remove students")][0] \
        .set_value(["rude"])
    teacher.checkbox(key="class_remove_block").check()
    teacher.checkbox(key="class_remove_sure").check().run()
    click(teacher, "Remove")
    assert classroom_db.students(new.code) == []
    student.run()  # the student's next page run: told, and out of the class
    assert _member(student) is None
    assert any("blocked" in e for e in student.error.values), student.error.values
    again = _join(student, new.code, "rude")  # F5 or a retyped name: refused
    assert _member(again) is None and any("blocked" in e for e in again.error.values)


@pytest.mark.parametrize("name", ["the teacher", "先生"])
def test_no_student_can_look_like_the_teacher(classroom_db, sessions, name):
    new = classroom_db.create_class()
    at = _join(sessions(), new.code, name)
    assert _member(at) is None and any("kept for the teacher" in e for e in at.error.values)
    teacher = _teacher(sessions, new)
    you = [m for m in teacher.markdown.values if m.startswith("You are")]
    assert you and ":orange-badge[:material/school: the teacher]" in you[0]


def test_another_browser_cannot_take_a_students_nickname(classroom_db, sessions):
    new = classroom_db.create_class()
    first = _join(sessions(), new.code, "ana")
    assert _member(first) is not None
    other = _join(sessions(), new.code, "Ana")  # another browser
    assert _member(other) is None
    assert any("already used" in e and "another browser" in e for e in other.error.values)
    linked = sessions(query={"class": new.code, "nick": "ana"})  # a link is not a log-in
    assert _member(linked) is None
    assert any("already used" in e for e in linked.main.error.values)  # in the page body


def test_a_link_with_a_short_code_says_codes_have_6_characters(classroom_db, sessions):
    at = sessions(query={"class": "K7QMX", "nick": "ana"})
    assert any("join codes have 6 characters, and this one has 5" in e
               for e in at.main.error.values), at.main.error.values


def test_stopping_sharing_lasts_across_a_reload(classroom_db, sessions, monkeypatch):
    new = classroom_db.create_class()
    student = _join(sessions(), new.code, "ana")
    go(student, "views/train.py")
    student.toggle(key="class_share").set_value(False).run()
    _same_browser(monkeypatch, student)
    again = sessions("views/train.py", {"class": new.code, "nick": "ana"})
    assert again.toggle(key="class_share").value is False
    assert _member(again).share is False


def test_after_close_and_delete_the_students_pages_say_so(classroom_db, sessions):
    new = classroom_db.create_class()
    student = _join(sessions(), new.code, "ana")
    go(student, "views/train.py")
    classroom_db.close_class(new.code, new.teacher_key)
    student.run()
    assert "Share my finished runs with the class" not in [t.label for t in student.toggle]
    assert any("no longer shared" in i for i in student.info.values)
    classroom_db.delete_class(new.code, new.teacher_key)
    student.run()
    go(student, CLASS_PAGE)
    assert _member(student) is None
    assert any("teacher deleted class" in e for e in _texts(student)), _texts(student)
