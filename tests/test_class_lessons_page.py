"""The class lessons of issue 25 on the pages, in AppTest: the teacher asks a prediction
question, students answer it on their Train page and the board shows the spread against the
real results; the teacher starts a class experiment, each student gets a grid value ("My
part" puts its settings into the Train page's form), and the board draws the curve with
the values still missing."""

from __future__ import annotations

import csv
import io

import pytest
from test_class_page import (  # noqa: F401 (fixtures)
    _chart,
    _join,
    _member,
    _train,
    classroom_db,
    sessions,
)

from apptest_support import click, go, session_of, wait_for
from core.classroom import SharedRun
from core.presets import PRESETS


def _teacher(sessions, new):
    teacher = sessions()
    teacher.text_input(key="teacher_code").input(new.code)
    teacher.text_input[3].input(new.teacher_key)
    return click(teacher, "Log in as the teacher")


def _settings_run(run_id: str, test_acc: float, **settings) -> SharedRun:
    return SharedRun(run_id=run_id, dataset="MNIST", preprocessing="none", epochs_done=1,
                     train_acc=test_acc, valid_acc=test_acc, test_acc=test_acc, **settings)


def test_the_class_predicts_and_the_board_shows_the_spread_and_the_results(classroom_db,
                                                                            sessions):
    new = classroom_db.create_class()
    ana, ben = (_join(sessions(), new.code, n) for n in ("ana", "ben"))
    teacher = _teacher(sessions, new)
    teacher.selectbox(key="teacher_question_preset").set_value("lambda-too-high")
    teacher.text_input(key="teacher_question_text").input("lambda = 0.1: **test** accuracy?")
    click(teacher, "Ask the class")
    for student, value in ((ana, 85.0), (ben, 91.0)):
        go(student, "views/train.py")
        asked = [m for m in student.markdown.values if m.startswith("**The teacher asks:**")]
        assert asked == ["**The teacher asks:** lambda \\= 0\\.1\\:\u2060 \\*\\*test\\*\\* "
                         "accuracy?"]  # as typed (core.markup), never bold
        student.number_input(key="class_answer").set_value(value)
        student.text_input(key="class_reason").input("a strong penalty")
        click(student, "Send my prediction")
        assert f"You predicted a test accuracy of **{value:.1f} %**." in student.markdown.values
    click(ana, "Use the lesson's settings")  # the form now holds the lesson's settings
    preset = PRESETS["lambda-too-high"].config()
    assert session_of(ana).settings["l2"] == preset.l2 and session_of(ana).preset == \
        "lambda-too-high"
    settings = {k: getattr(preset, k) for k in ("learning_rate", "l2", "batch_size", "epochs",
                                                 "seed")}
    classroom_db.share_run(_member(ana).student, _settings_run("r1", 0.871, **settings))
    teacher.run()
    spec = _chart(teacher, "class_spread")
    assert spec["data"][0]["x"] == [85.0, 91.0] and spec["data"][0]["y"] == [1, 1]
    assert [s["x0"] for s in spec["layout"]["shapes"]] == [pytest.approx(87.1)]
    assert ("2 predictions, from 85.0 to 91.0 % (median 88.0 %); 1 real results, median "
            "87.1 %.") in teacher.caption.values


def test_a_class_experiment_gives_each_student_a_value_and_draws_the_curve(classroom_db,
                                                                          sessions):
    new = classroom_db.create_class()
    students = [_join(sessions(), new.code, n) for n in ("ana", "ben")]
    teacher = _teacher(sessions, new)
    teacher.selectbox(key="teacher_experiment_setting").set_value("l2")
    teacher.number_input(key="teacher_experiment_low").set_value(1e-4)
    teacher.number_input(key="teacher_experiment_high").set_value(1e-2)
    teacher.number_input(key="teacher_experiment_n").set_value(3)
    teacher.number_input(key="teacher_experiment_epochs").set_value(1)
    teacher.number_input(key="teacher_experiment_seed").set_value(7)
    click(teacher, "Start the experiment")
    for student, value in zip(students, ("0.0001", "0.001"), strict=True):
        go(student, "views/train.py")
        part = [m for m in student.markdown.values if m.startswith("**Class experiment:**")]
        assert len(part) == 1 and f"**Your part: lambda = {value}.**" in part[0]
        click(student, "My part: use these settings")
        settings = session_of(student).settings
        assert (settings["l2"], settings["epochs"], settings["seed"]) == (float(value), 1, 7)
        assert student.number_input(key="epochs").value == 1
    job = _train_as_set(students[0])
    wait_for(lambda: _member(students[0]).shared, "the run to be shared")
    teacher.run()
    spec = _chart(teacher, "class_experiment")
    lines = {t["name"]: t for t in spec["data"]}
    assert lines["test"]["x"] == [1e-4]
    assert lines["test"]["y"] == [pytest.approx(100 * job.test_accuracy)]
    assert lines["still missing"]["x"] == [1e-3, 1e-2]
    assert "1 of 3 values have a run; still missing: 0.001, 0.01." in teacher.caption.values
    rows = list(csv.DictReader(io.StringIO(
        classroom_db.experiment_csv(new.code, new.teacher_key).lstrip("\ufeff"))))
    assert [(r["value"], r["nickname"]) for r in rows] == [("0.0001", "ana"), ("0.001", ""),
                                                           ("0.01", "")]


def _train_as_set(at):
    """Start the run the form holds (the experiment's settings) and wait for it."""
    click(at, "Start")
    job = session_of(at).job
    job.join(120)
    assert not job.alive
    at.run()
    return job
