"""The store's queries for the class lessons of issue 25: the class's prediction question and
its answers, the class experiment and who was given which grid value.

Plain functions over an open connection inside the store's transaction (the class is found,
locked and checked by the store first). A class has at most one question and one experiment:
a new one replaces the old (its answers or assignments go with it)."""

from __future__ import annotations

from sqlalchemy import Connection, delete, insert, select, update

from core.classroom import schema as db
from core.classroom.class_lessons import Experiment, Question


def _replace_for_class(conn: Connection, parent, child_key, class_id: int,
                       values: dict | None) -> None:
    """The class's one row of ``parent`` (a question, an experiment) becomes ``values``
    (None: no row); the rows that hang on the old one (``child_key``: answers,
    assignments) go with it."""
    old = select(parent.c.id).where(parent.c.class_id == class_id)
    conn.execute(delete(child_key.table).where(child_key.in_(old)))
    conn.execute(delete(parent).where(parent.c.class_id == class_id))
    if values is not None:
        conn.execute(insert(parent).values(class_id=class_id, **values))


def _row_for_class(conn: Connection, column, class_id: int):
    """(id, ``column``) of the class's one row of ``column``'s table, or None."""
    table = column.table
    return conn.execute(select(table.c.id, column).where(table.c.class_id == class_id)).first()


def replace_question(conn: Connection, class_id: int, question: Question | None,
                     now: float) -> None:
    """The class's question becomes ``question`` (None: no question); old answers go."""
    _replace_for_class(conn, db.questions, db.answers.c.question_id, class_id,
                       None if question is None else
                       {"question": question.to_json(), "asked_at": now})


def question_row(conn: Connection, class_id: int):
    """The class's question row (id, question JSON), or None."""
    return _row_for_class(conn, db.questions.c.question, class_id)


def answers(conn: Connection, question_id: int) -> list[tuple[str, float, str]]:
    """(nickname, predicted %, reason) for each answer, in the order given."""
    return [tuple(r) for r in conn.execute(
        select(db.students.c.nickname, db.answers.c.value, db.answers.c.reason)
        .join(db.students, db.students.c.id == db.answers.c.student_id)
        .where(db.answers.c.question_id == question_id).order_by(db.answers.c.id)).all()]


def put_answer(conn: Connection, question_id: int, student_id: int, value: float,
               reason: str) -> None:
    """Store the student's answer (a second answer replaces the first)."""
    where = (db.answers.c.question_id == question_id, db.answers.c.student_id == student_id)
    if conn.execute(select(db.answers.c.id).where(*where)).first() is None:
        conn.execute(insert(db.answers).values(question_id=question_id, student_id=student_id,
                                               value=value, reason=reason))
    else:
        conn.execute(update(db.answers).where(*where).values(value=value, reason=reason))


def own_answer(conn: Connection, question_id: int, student_id: int) -> float | None:
    return conn.execute(select(db.answers.c.value).where(
        db.answers.c.question_id == question_id,
        db.answers.c.student_id == student_id)).scalar()


def replace_experiment(conn: Connection, class_id: int, experiment: Experiment | None,
                       now: float) -> None:
    """The class's experiment becomes ``experiment`` (None: none); old assignments go."""
    _replace_for_class(conn, db.experiments, db.assignments.c.experiment_id, class_id,
                       None if experiment is None else
                       {"plan": experiment.to_json(), "started_at": now})


def experiment_row(conn: Connection, class_id: int):
    """The class's experiment row (id, plan JSON), or None."""
    return _row_for_class(conn, db.experiments.c.plan, class_id)


def assigned(conn: Connection, experiment_id: int) -> dict[int, int]:
    """student id -> the grid value number given to them."""
    return dict(conn.execute(select(db.assignments.c.student_id, db.assignments.c.point)
                             .where(db.assignments.c.experiment_id == experiment_id)).all())


def assign(conn: Connection, experiment_id: int, student_id: int, point: int) -> None:
    conn.execute(insert(db.assignments).values(experiment_id=experiment_id,
                                               student_id=student_id, point=point))
