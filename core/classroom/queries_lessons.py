"""The store's queries for the class lessons of issue 25: the class's prediction question and
its answers, the class experiment and who was given which grid value.

Plain functions over an open connection inside the store's transaction (the class is found,
locked and checked by the store first). A class has at most one question and one experiment:
a new one replaces the old (its answers or assignments go with it)."""

from __future__ import annotations

from sqlalchemy import Connection, delete, insert, select, update

from core.classroom import schema as db
from core.classroom.class_lessons import Experiment, Question


def replace_question(conn: Connection, class_id: int, question: Question | None,
                     now: float) -> None:
    """The class's question becomes ``question`` (None: no question); old answers go."""
    old = select(db.questions.c.id).where(db.questions.c.class_id == class_id)
    conn.execute(delete(db.answers).where(db.answers.c.question_id.in_(old)))
    conn.execute(delete(db.questions).where(db.questions.c.class_id == class_id))
    if question is not None:
        conn.execute(insert(db.questions).values(class_id=class_id, question=question.to_json(),
                                                 asked_at=now))


def question_row(conn: Connection, class_id: int):
    """The class's question row (id, question JSON), or None."""
    return conn.execute(select(db.questions.c.id, db.questions.c.question).where(
        db.questions.c.class_id == class_id)).first()


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
    old = select(db.experiments.c.id).where(db.experiments.c.class_id == class_id)
    conn.execute(delete(db.assignments).where(db.assignments.c.experiment_id.in_(old)))
    conn.execute(delete(db.experiments).where(db.experiments.c.class_id == class_id))
    if experiment is not None:
        conn.execute(insert(db.experiments).values(class_id=class_id, plan=experiment.to_json(),
                                                   started_at=now))


def experiment_row(conn: Connection, class_id: int):
    """The class's experiment row (id, plan JSON), or None."""
    return conn.execute(select(db.experiments.c.id, db.experiments.c.plan).where(
        db.experiments.c.class_id == class_id)).first()


def assigned(conn: Connection, experiment_id: int) -> dict[int, int]:
    """student id -> the grid value number given to them."""
    return dict(conn.execute(select(db.assignments.c.student_id, db.assignments.c.point)
                             .where(db.assignments.c.experiment_id == experiment_id)).all())


def assign(conn: Connection, experiment_id: int, student_id: int, point: int) -> None:
    conn.execute(insert(db.assignments).values(experiment_id=experiment_id,
                                               student_id=student_id, point=point))
