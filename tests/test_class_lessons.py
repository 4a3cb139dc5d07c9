"""The class lessons of issue 25 in the store: the teacher's prediction question (answers,
the spread, the preset's runs as results) and the class experiment (a log-spaced grid, one
value per student, least-covered first, the class's curve and the values still missing), on
SQLite and PostgreSQL (the fixtures of tests/test_classroom_store.py); and the pure rules of
core.classroom.class_lessons."""

from __future__ import annotations

import threading

import pytest
from test_classroom_store import (  # noqa: F401 (fixtures)
    a_run,
    clock,
    count_rows,
    db_url,
    make_store,
    postgres,
    store,
)

from core.classroom import ClassClosed, InvalidInput, WrongTeacherKey
from core.classroom import class_lessons as cl
from core.config import LEARNING_RATES, TrainConfig
from core.presets import PRESETS

pytestmark = pytest.mark.timeout(120)
BASE = TrainConfig(epochs=2, seed=7).to_dict()


def test_a_log_grid_is_log_spaced_and_snapped_to_what_the_train_page_offers():
    assert cl.log_grid("l2", 1e-5, 1e-1, 5) == [1e-5, 1e-4, 1e-3, 1e-2, 1e-1]
    assert cl.log_grid("batch_size", 1, 1000, 4) == [1.0, 10.0, 100.0, 1000.0]
    assert cl.log_grid("epochs", 1, 8, 4) == [1.0, 2.0, 4.0, 8.0]
    lrs = cl.log_grid("learning_rate", 1e-3, 1.0, 7)
    assert len(lrs) == 7 and lrs[0] == 1e-3 and lrs[-1] == 1.0 and lrs[3] == 0.02 \
        and set(lrs) <= set(LEARNING_RATES)  # each one the slider offers (0.0316 -> 0.02)
    for bad in [("seed", 1, 10, 3), ("l2", 0, 1, 3), ("l2", 1e-3, 1e-4, 3),
                ("l2", 1e-4, 1e-1, 1), ("l2", 1e-4, 1e-1, 99), ("epochs", 1, 1e9, 3)]:
        with pytest.raises(InvalidInput):
            cl.log_grid(*bad)


def test_the_least_covered_value_goes_first_then_the_smallest():
    assert cl.least_covered(3, []) == 0
    assert cl.least_covered(3, [0, 1]) == 2
    assert cl.least_covered(3, [0, 1, 2, 2]) == 0


def test_answers_are_counted_in_bins_for_the_board():
    assert cl.histogram([91.0, 91.9, 93.5, 100.0, 0.0]) == [(0.0, 1), (90.0, 2), (92.0, 1),
                                                             (98.0, 1)]


def test_the_class_answers_the_teacher_s_question_and_sees_the_preset_s_runs(store):
    new = store.create_class()
    ann, bob = store.join(new.code, "ann"), store.join(new.code, "bob")
    assert store.question(new.code) is None
    with pytest.raises(InvalidInput):
        store.answer_question(ann, 90.0)  # no question yet
    store.ask_question(new.code, new.teacher_key, "  lambda = 0.1:\nwhat test accuracy? ",
                       "lambda-too-high")
    store.answer_question(ann, 88.5, "the penalty\nis strong")
    store.answer_question(bob, 91.0)
    store.answer_question(bob, 80.0, "changed my mind")  # replaces bob's first answer
    with pytest.raises(InvalidInput):
        store.answer_question(ann, 101.0)
    preset = PRESETS["lambda-too-high"].config()
    store.share_run(ann, a_run(l2=preset.l2, epochs=preset.epochs, test_acc=0.85))
    store.share_run(bob, a_run())  # the tutorial's settings: not the question's
    board = store.question(new.code)
    assert board.question.text == "lambda = 0.1: what test accuracy?"
    assert board.answers == [("ann", 88.5, "the penalty is strong"),
                             ("bob", 80.0, "changed my mind")]
    assert [e.run.test_acc for e in board.results] == [0.85]
    assert store.my_answer(ann) == 88.5
    question, mine, experiment = store.for_student(ann)
    assert (question.preset, mine, experiment) == ("lambda-too-high", 88.5, None)
    with pytest.raises(WrongTeacherKey):
        store.ask_question(new.code, "x" * 16, "q", "tutorial")
    store.ask_question(new.code, new.teacher_key, "Another?", "tutorial")  # answers go with it
    assert store.question(new.code).answers == [] and store.my_answer(ann) is None
    assert count_rows(store, "answers") == 0
    store.close_class(new.code, new.teacher_key)
    with pytest.raises(ClassClosed):
        store.ask_question(new.code, new.teacher_key, "q", "tutorial")


def test_each_student_gets_one_value_and_the_board_draws_the_class_s_curve(store):
    new = store.create_class()
    assert store.experiment(new.code) is None
    students = [store.join(new.code, f"s{i}") for i in range(4)]
    assert store.my_part(students[0]) is None  # no experiment yet
    plan = store.start_experiment(new.code, new.teacher_key, "l2", 1e-4, 1e-2, 3, BASE)
    assert plan.values == (1e-4, 1e-3, 1e-2)
    parts = [store.my_part(s) for s in students]
    assert [p[0] for p in parts] == [0, 1, 2, 0]
    assert store.my_part(students[1]) == parts[1]  # asked again: the same value
    point, settings = parts[2]
    assert settings == {**BASE, "l2": 1e-2} and settings["seed"] == 7
    store.share_run(students[2], a_run(**{k: settings[k] for k in
                                          ("l2", "epochs", "seed", "learning_rate")}))
    store.share_run(students[0], a_run(l2=1e-4, epochs=2, seed=8))  # another seed: not in it
    board = store.experiment(new.code)
    assert board.students == [2, 1, 1]
    assert [v for v, _ in board.points] == [1e-2] and board.points[0][1].nickname == "s2"
    assert board.missing == [1e-4, 1e-3]
    assert store.for_student(students[3]) == (None, None, plan)
    with pytest.raises(InvalidInput):
        store.start_experiment(new.code, new.teacher_key, "seed", 1, 9, 3, BASE)
    store.end_experiment(new.code, new.teacher_key)
    assert store.experiment(new.code) is None and count_rows(store, "assignments") == 0


def test_forty_students_asking_at_once_cover_the_grid_evenly(make_store):
    store = make_store(students=60)
    new = store.create_class()
    store.start_experiment(new.code, new.teacher_key, "learning_rate", 1e-3, 1.0, 4, BASE)
    students = [store.join(new.code, f"s{i}") for i in range(40)]
    parts = []
    threads = [threading.Thread(target=lambda s=s: parts.append(store.my_part(s)[0]))
               for s in students]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert sorted(parts.count(i) for i in range(4)) == [10, 10, 10, 10]
