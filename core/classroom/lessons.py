"""The class lessons of issue 25 as methods of ClassroomStore (a mixin it inherits): the
teacher's prediction question and the class experiment, for the teacher, the students and
the board. The rules are in core.classroom.class_lessons; the SQL in queries_lessons."""

from __future__ import annotations

from dataclasses import dataclass

from core.classroom import class_lessons as cl
from core.classroom import export
from core.classroom import queries_lessons as q
from core.classroom import queries_runs as runs
from core.classroom.errors import InvalidInput
from core.classroom.lookup import refuse_closed
from core.classroom.records import Student
from core.i18n import Msg


@dataclass(frozen=True)
class QuestionBoard:
    """The class's question, its answers ((nickname, predicted %, reason), in the order
    given) and the shared runs trained with its preset's settings (RunEntry, oldest first)."""

    question: cl.Question
    answers: list
    results: list


@dataclass(frozen=True)
class ExperimentBoard:
    """The class experiment, how many students have each grid value, its runs as (value,
    RunEntry) ordered by value, and the values no run has yet."""

    experiment: cl.Experiment
    students: list
    points: list
    missing: list


class ClassLessons:
    """The question's and the experiment's methods (``code``: a join code; ``key``: the
    teacher's credential, as in core.classroom.teacher)."""

    # ------------------------------------------------------------ the prediction question

    def ask_question(self, code: str, key: str, text: str, preset: str) -> cl.Question:
        """Ask the class one question tied to ``preset`` (it replaces any earlier one and
        its answers); ClassClosed once the class is closed."""
        question = cl.check_question(text, preset)
        with self._teacher(code, key) as (conn, cls):
            refuse_closed(cls)
            q.replace_question(conn, cls.id, question, self._now())
        return question

    def end_question(self, code: str, key: str) -> None:
        """Take the question (and its answers) away."""
        with self._teacher(code, key) as (conn, cls):
            q.replace_question(conn, cls.id, None, self._now())

    def question(self, code: str) -> QuestionBoard | None:
        """The class's question with its answers and results, or None (a read)."""
        with self._tx(write=False) as conn:
            cls = self._class(conn, code)
            row = q.question_row(conn, cls.id)
            if row is None:
                return None
            question = cl.Question.from_json(row.question)
            entries = runs.class_runs(conn, cls.id)
            given = q.answers(conn, row.id)
        results = [e for e in entries if cl.matches(question.settings, e.run)]
        return QuestionBoard(question, given, results)

    def answer_question(self, student: Student, value: float, reason: str = "") -> None:
        """The student's predicted accuracy (percent) for the class's question (again:
        replaced). InvalidInput when there is no question or the value is not one."""
        value, reason = cl.check_answer(value, reason)
        with self._tx(write=True) as conn:
            self._student(conn, student, lock=True)
            row = q.question_row(conn, student.class_id)
            if row is None:
                raise InvalidInput(Msg("The teacher has not asked a question."))
            q.put_answer(conn, row.id, student.student_id, value, reason)

    def my_answer(self, student: Student) -> float | None:
        """The student's answer to the class's question, None if not answered (a read)."""
        with self._tx(write=False) as conn:
            row = q.question_row(conn, student.class_id)
            return None if row is None else q.own_answer(conn, row.id, student.student_id)

    def for_student(self, student: Student) -> tuple:
        """What a student's Train page shows, in one small read (no runs, no answers of
        others): (the question or None, the student's answer or None, the experiment or
        None)."""
        with self._tx(write=False) as conn:
            row = q.question_row(conn, student.class_id)
            mine = None if row is None else q.own_answer(conn, row.id, student.student_id)
            plan = q.experiment_row(conn, student.class_id)
        return (None if row is None else cl.Question.from_json(row.question), mine,
                None if plan is None else cl.Experiment.from_json(plan.plan))

    # ------------------------------------------------------------ the class experiment

    def start_experiment(self, code: str, key: str, setting: str, low: float, high: float,
                         points: int, base: dict) -> cl.Experiment:
        """Start a class experiment (replacing any earlier one): ``setting`` over a
        log-spaced grid from ``low`` to ``high`` of ``points`` values, the others ``base``."""
        experiment = cl.check_experiment(setting, low, high, points, base)
        with self._teacher(code, key) as (conn, cls):
            refuse_closed(cls)
            q.replace_experiment(conn, cls.id, experiment, self._now())
        return experiment

    def end_experiment(self, code: str, key: str) -> None:
        with self._teacher(code, key) as (conn, cls):
            q.replace_experiment(conn, cls.id, None, self._now())

    def my_part(self, student: Student) -> tuple[int, dict] | None:
        """The student's grid value of the class experiment as (its number, the settings to
        train with), given now if the student has none (the least-covered value, the
        smallest first); None when there is no experiment."""
        with self._tx(write=True) as conn:
            self._class(conn, student.code, lock="update")  # one assignment at a time
            self._student(conn, student)
            row = q.experiment_row(conn, student.class_id)
            if row is None:
                return None
            experiment = cl.Experiment.from_json(row.plan)
            given = q.assigned(conn, row.id)
            point = given.get(student.student_id)
            if point is None:
                point = cl.least_covered(len(experiment.values), list(given.values()))
                q.assign(conn, row.id, student.student_id, point)
        return point, experiment.settings(point)

    def experiment(self, code: str) -> ExperimentBoard | None:
        """The class experiment with its curve so far, or None (a read)."""
        with self._tx(write=False) as conn:
            cls = self._class(conn, code)
            row = q.experiment_row(conn, cls.id)
            if row is None:
                return None
            experiment = cl.Experiment.from_json(row.plan)
            given = list(q.assigned(conn, row.id).values())
            entries = runs.class_runs(conn, cls.id)
        by_run = {id(e.run): e for e in entries}
        found, missing = cl.curve(experiment, [e.run for e in entries])
        counts = [given.count(i) for i in range(len(experiment.values))]
        return ExperimentBoard(experiment, counts, [(v, by_run[id(r)]) for v, r in found],
                               missing)

    def experiment_csv(self, code: str, key: str) -> str:
        """The class experiment as CSV (core.classroom.export.experiment_csv; only the
        header when there is none). A read, with the teacher's credential."""
        self._authenticate(code, key)
        return export.experiment_csv(self.experiment(code))
