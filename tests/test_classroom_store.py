"""core.classroom's store, every test against both databases it supports: SQLite (a file in a
temporary folder) and PostgreSQL (a server of the tests' own, see tests/postgres_support.py;
each test gets an empty schema). PostgreSQL missing is a failure, never a skip.

The store's clock is a fake one the tests move forward, so expiry, heartbeats and the
teacher-key pause are tested without waiting.
"""

from __future__ import annotations

import csv
import io
import os
import pwd
import tempfile
import threading
import uuid
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
from postgres_support import running_postgres
from sqlalchemy import create_engine, func, select, text

from core.classroom import (
    Challenge,
    ClassClosed,
    ClassNotFound,
    ClassroomStore,
    ClassroomUnavailable,
    Condition,
    Conflict,
    InvalidInput,
    LimitReached,
    Limits,
    NotInClass,
    RunNotFound,
    SharedRun,
    TooManyAttempts,
    WrongTeacherKey,
    shrink_drawing,
)
from core.classroom import schema as db
from core.classroom.errors import ClassDeleted, NicknameTaken
from core.classroom.faults import FILE_LOST, READ_ONLY
from core.classroom.identity import CODE_ALPHABET, CODE_LENGTH
from support.e2e import free_port

START = 1_800_000_000.0  # the fake clock's first reading (Unix seconds, in 2027)
DAY = 86_400.0
pytestmark = pytest.mark.timeout(120)


class FakeClock:
    """A clock the test moves: ``clock()`` is the time, ``clock.advance(s)`` moves it."""

    def __init__(self) -> None:
        self.now = START

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@pytest.fixture(scope="session")
def postgres():
    """One PostgreSQL server for the session (fails, never skips, when not installed)."""
    with running_postgres() as server:
        yield server


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request, tmp_path):
    """An empty database of each kind: a new SQLite file, or a new PostgreSQL schema."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'classes.sqlite3'}"
    return request.getfixturevalue("postgres").fresh_url()


@pytest.fixture
def clock():
    return FakeClock()


@pytest.fixture
def make_store(db_url, clock):
    """make_store(server=None, **limits) -> a store on the test's database (disposed after
    the test)."""
    made = []

    def make(url: str = db_url, server: str | None = None, **limits) -> ClassroomStore:
        store = ClassroomStore(url, limits=Limits(**limits), clock=clock, server=server)
        made.append(store)
        return store

    yield make
    for store in made:
        store.dispose()


@pytest.fixture
def store(make_store):
    return make_store()


def a_run(**changes) -> SharedRun:
    """A plausible shared run (the tutorial's settings, 92 % test accuracy), with changes."""
    run = SharedRun(run_id=uuid.uuid4().hex, dataset="mnist", preprocessing="none",
                    learning_rate=0.1, l2=1e-4, batch_size=100, epochs=3, seed=34,
                    epochs_done=3, train_acc=0.93, valid_acc=0.925, test_acc=0.92,
                    train_loss=0.3, valid_loss=0.31, test_loss=0.29,
                    curves={"valid_acc": [0.9, 0.915, 0.925], "valid_loss": [0.4, 0.35, 0.31]})
    return replace(run, **changes)


def a_drawing(seed: int) -> tuple[np.ndarray, np.ndarray]:
    """A random (28x28, 56x56) uint8 pair standing for a drawing."""
    rng = np.random.default_rng(seed)
    return (rng.integers(0, 256, (28, 28), dtype=np.uint8),
            rng.integers(0, 256, (56, 56), dtype=np.uint8))


def count_rows(store: ClassroomStore, table: str) -> int:
    """Rows in one of the store's tables, read behind its back."""
    engine = create_engine(store.url)
    try:
        with engine.connect() as conn:
            return conn.execute(select(func.count()).select_from(db.metadata.tables[table])
                                ).scalar_one()
    finally:
        engine.dispose()


# --------------------------------------------------------------------------- classes, joining


def test_create_join_and_rejoin(store):
    new = store.create_class()
    assert len(new.code) == CODE_LENGTH and set(new.code) <= set(CODE_ALPHABET)
    assert new.expires_at == pytest.approx(START + 14 * DAY)
    ana = store.join(new.code, "Ana")
    # any case, spaces and dashes: the same class; the same nickname ignoring case: Ana again
    typed = f" {new.code[:3].lower()}-{new.code[3:].lower()} "
    assert store.join(typed, "ana") == ana
    assert store.join(new.code, "  Ana ") == ana
    ben = store.join(new.code, "Ben")
    assert ben.student_id != ana.student_id and ben.nickname == "Ben"
    assert [s.nickname for s in store.students(new.code)] == ["Ana", "Ben"]
    info = store.class_info(new.code.lower())
    assert (info.code, info.closed, info.challenge) == (new.code, False, None)


def test_wrong_code_is_a_clear_error(store):
    code = store.create_class().code
    unused = "ZZZZZZ" if code != "ZZZZZZ" else "YYYYYY"  # a well-formed code of no class
    for typed in ("", "nope", "ABCDEFGH", "IIIIII", unused):
        with pytest.raises(ClassNotFound, match="no class with the code"):
            store.join(typed, "Ana")
    with pytest.raises(ClassNotFound, match=f'code "{unused}"'):
        store.class_info(unused.lower())


def test_teacher_key_is_hashed_and_wrong_keys_are_slowed_down(store, make_store, clock):
    new = store.create_class()
    assert store.verify_teacher(new.code, new.teacher_key.lower().replace("-", "")).code == \
        new.code
    engine = create_engine(store.url)
    with engine.connect() as conn:
        stored = conn.execute(text("SELECT key_hash FROM classes")).scalar_one()
    engine.dispose()
    assert new.teacher_key.replace("-", "") not in stored and stored.startswith("scrypt$")

    for _ in range(3):
        with pytest.raises(WrongTeacherKey, match="not the teacher key"):
            store.verify_teacher(new.code, "AAAA-BBBB-CCCC-DDDD")
    # now even the right key waits; another replica (store) on the same database too
    for replica in (store, make_store()):
        with pytest.raises(TooManyAttempts, match="wait 30 seconds") as refused:
            replica.verify_teacher(new.code, new.teacher_key)
        assert refused.value.retry_after == 30
    clock.advance(31)
    store.verify_teacher(new.code, new.teacher_key)  # clears the failures
    for _ in range(2):
        with pytest.raises(WrongTeacherKey):
            store.clear_board(new.code, "wrong")
    store.clear_board(new.code, new.teacher_key)  # 2 failures: not paused


def test_failures_outside_the_window_do_not_count(store, clock):
    new = store.create_class()
    for _ in range(2):
        with pytest.raises(WrongTeacherKey):
            store.verify_teacher(new.code, "wrong")
    clock.advance(301)  # those two are out of the 5-minute window
    with pytest.raises(WrongTeacherKey):
        store.verify_teacher(new.code, "wrong")
    store.verify_teacher(new.code, new.teacher_key)


@pytest.mark.parametrize("nickname", ["", "   ", "x" * 25, "a\nb", "tab\there", "nul\x00",
                                      "bell\x07", "evil\u202etxt.exe", "line\u2028sep"])
def test_bad_nicknames_are_refused(store, nickname):
    new = store.create_class()
    with pytest.raises(InvalidInput, match="nickname"):
        store.join(new.code, nickname)


def test_nicknames_are_stored_verbatim(store):
    new = store.create_class()
    names = ["x" * 24, "山田はなこ", "<script>", "**bold**", "[x](javascript:alert(1))",
             "Zoë 🙂", "=1+1"]
    for name in names:
        me = store.join(new.code, name)
        assert me.nickname == name
        store.share_run(me, a_run())
    assert [e.nickname for e in store.runs(new.code)] == names
    assert [s.nickname for s in store.students(new.code)] == names


# --------------------------------------------------------------------------- limits


def test_a_full_class_and_used_up_quotas_say_so(make_store):
    store = make_store(students=2, runs_per_student=2, drawings_per_student=1)
    new = store.create_class()
    ana, _ = store.join(new.code, "Ana"), store.join(new.code, "Ben")
    with pytest.raises(LimitReached, match=r"full \(2 students\)"):
        store.join(new.code, "Cy")
    assert store.join(new.code, "ANA") == ana  # a rejoin is not a new student
    store.share_run(ana, a_run())
    store.share_run(ana, a_run())
    with pytest.raises(LimitReached, match="shared 2 runs"):
        store.share_run(ana, a_run())
    store.add_drawing(ana, *a_drawing(0), label=1)
    with pytest.raises(LimitReached, match="1 drawings"):
        store.add_drawing(ana, *a_drawing(1), label=2)
    assert store.clear_board(new.code, new.teacher_key) == 2
    store.share_run(ana, a_run())  # clearing the board frees the quota


def test_long_curves_are_thinned_and_oversized_ones_refused(make_store):
    store = make_store(curve_points=100)
    new = store.create_class()
    me = store.join(new.code, "Ana")
    n = 2000
    loss = [1 / (e + 1) for e in range(n)]
    loss[5] = float("nan")
    run = a_run(epochs=n, epochs_done=n, curves={"valid_loss": loss})
    store.share_run(me, run)
    curves = store.run_curves(new.code, run.run_id)
    assert len(curves["epoch"]) == len(curves["valid_loss"]) == 100
    assert curves["epoch"][0] == 1 and curves["epoch"][-1] == n
    assert curves["valid_loss"][-1] == pytest.approx(1 / n)
    with pytest.raises(InvalidInput, match="lengths differ"):
        store.share_run(me, a_run(curves={"a": [1, 2], "b": [1]}))
    tiny = make_store(curves_bytes=200)
    with pytest.raises(InvalidInput, match="too large"):
        tiny.share_run(tiny.join(new.code, "Ben"), a_run(curves={"valid_loss": loss[:90]}))
    assert store.run_curves(new.code, store.runs(new.code)[0].run.run_id) == curves
    with pytest.raises(RunNotFound):
        store.run_curves(new.code, "no-such-run")


@pytest.mark.parametrize("change", [{"learning_rate": 0}, {"batch_size": 0},
                                    {"test_acc": 1.5}, {"run_id": "has space"},
                                    {"dataset": ""}, {"preprocessing": "blur"},
                                    {"epochs_done": -1}, {"test_loss": -1}])
def test_malformed_runs_are_refused(store, change):
    new = store.create_class()
    with pytest.raises(InvalidInput, match="cannot be shared"):
        store.share_run(store.join(new.code, "Ana"), a_run(**change))


# --------------------------------------------------------------------------- runs and the board


def test_sharing_twice_stores_once(store):
    new = store.create_class()
    ana, ben = store.join(new.code, "Ana"), store.join(new.code, "Ben")
    run = a_run(test_loss=float("inf"), diverged=True, preprocessing="deskew")
    assert store.share_run(ana, run) is True
    assert store.share_run(ana, run) is False
    [entry] = store.runs(new.code)
    assert entry.run == replace(run, test_loss=None, curves={})
    with pytest.raises(Conflict):
        store.share_run(ben, run)


def test_board_summary_and_training_heartbeats(store, clock):
    new = store.create_class()
    assert store.board(new.code).best is None
    ana, ben, cy = (store.join(new.code, n) for n in ("Ana", "Ben", "Cy"))
    for who, acc in ((ana, 0.80), (ben, 0.90), (cy, 0.85), (ana, None), (cy, 0.90)):
        store.share_run(who, a_run(test_acc=acc))
        clock.advance(1)
    store.set_training(ana, True)
    board = store.board(new.code)
    assert (board.runs, board.students, board.training_now) == (5, 3, 1)
    assert board.best.nickname == "Ben" and board.best.run.test_acc == 0.90  # the first 0.90
    assert board.median_test_acc == pytest.approx(0.875)
    assert board.meeting_challenge == 0 and not board.closed
    clock.advance(61)  # the heartbeat is too old now
    assert store.board(new.code).training_now == 0
    store.set_training(ben, True)
    store.set_training(cy, True)
    store.set_training(ben, False)
    assert store.board(new.code).training_now == 1
    assert [s.training_now for s in store.students(new.code)] == [False, False, True]


def test_challenge_is_met_or_not(store):
    new = store.create_class()
    challenge = Challenge("lambda too high", "Beat 92 % with **lambda** ≥ 0.001",
                          Condition("test_acc", ">=", 0.92), (Condition("l2", ">=", 1e-3),))
    assert challenge.describe() == "test accuracy ≥ 92 % with lambda ≥ 0.001"
    assert challenge.is_met(a_run(test_acc=0.93, l2=1e-3))
    assert not challenge.is_met(a_run(test_acc=0.93, l2=1e-4))
    assert not challenge.is_met(a_run(test_acc=0.91, l2=1e-2))
    assert not challenge.is_met(a_run(test_acc=None, l2=1e-2))
    assert not challenge.is_met(a_run(test_acc=0.95, l2=1e-2, diverged=True))
    with pytest.raises(WrongTeacherKey):
        store.set_challenge(new.code, "wrong", challenge)
    with pytest.raises(InvalidInput):
        store.set_challenge(new.code, new.teacher_key,
                            Challenge("x", "y", Condition("W", ">=", 1)))
    store.set_challenge(new.code, new.teacher_key, challenge)
    assert store.class_info(new.code).challenge == challenge
    me = store.join(new.code, "Ana")
    store.share_run(me, a_run(test_acc=0.93, l2=1e-3))
    store.share_run(me, a_run(test_acc=0.93, l2=0.0))
    assert store.board(new.code).meeting_challenge == 1
    store.set_challenge(new.code, new.teacher_key, None)
    assert store.class_info(new.code).challenge is None


# --------------------------------------------------------------------------- drawings


def test_drawings_round_trip(store):
    new = store.create_class()
    ana, ben = store.join(new.code, "Ana"), store.join(new.code, "Ben")
    added = [(ana, 0, 3), (ben, 1, 7), (ana, 2, 0)]
    for who, seed, label in added:
        image, raw = a_drawing(seed)
        assert store.add_drawing(who, image.reshape(-1) if seed else image, raw, label,
                                 drawing_id=f"d{seed}") is True
    assert store.add_drawing(ana, *a_drawing(0), 3, drawing_id="d0") is False  # a retry
    got = store.drawings(new.code)
    assert len(got) == 3 and got.images.dtype == got.raw.dtype == np.uint8
    assert got.images.shape == (3, 784) and got.raw.shape == (3, 56, 56)
    assert got.labels.tolist() == [3, 7, 0] and got.nicknames == ["Ana", "Ben", "Ana"]
    assert got.ids == ["d0", "d1", "d2"]
    for i, (_, seed, _) in enumerate(added):
        image, raw = a_drawing(seed)
        np.testing.assert_array_equal(got.images[i], image.reshape(-1))
        np.testing.assert_array_equal(got.raw[i], raw)
    image, raw = a_drawing(9)
    for bad in ((image.astype(np.float32), raw, 1), (image, raw[:28], 1), (image, raw, 10),
                (image, raw, True)):
        with pytest.raises(InvalidInput):
            store.add_drawing(ana, *bad)
    assert len(store.drawings(new.code)) == 3
    grey = np.zeros((300, 300), np.float32)
    grey[100:200, 140:160] = 1.0
    small = shrink_drawing(grey)
    assert small.shape == (56, 56) and small.dtype == np.uint8 and small.max() == 255


# --------------------------------------------------------------------------- the teacher


def test_teacher_actions(store):
    new = store.create_class()
    ana, ben = store.join(new.code, "Ana"), store.join(new.code, "Ben")
    for who in (ana, ana, ben):
        store.share_run(who, a_run())
        store.add_drawing(who, *a_drawing(who.student_id), label=1)
    store.remove_student(new.code, new.teacher_key, "ana")
    assert [e.nickname for e in store.runs(new.code)] == ["Ben"]
    assert store.drawings(new.code).nicknames == ["Ben"]
    with pytest.raises(NotInClass, match="join again"):
        store.share_run(ana, a_run())
    with pytest.raises(InvalidInput, match="No student"):
        store.remove_student(new.code, new.teacher_key, "Nobody")
    assert store.clear_board(new.code, new.teacher_key) == 1
    assert store.runs(new.code) == [] and len(store.drawings(new.code)) == 1

    store.close_class(new.code, new.teacher_key)
    with pytest.raises(ClassClosed, match="closed"):
        store.join(new.code, "Cy")
    assert store.join(new.code, "Ben") == ben  # back to look at the board
    for write in (lambda: store.share_run(ben, a_run()),
                  lambda: store.add_drawing(ben, *a_drawing(5), label=2),
                  lambda: store.set_training(ben, True)):
        with pytest.raises(ClassClosed):
            write()
    assert store.board(new.code).closed and store.class_info(new.code).closed
    assert len(store.drawings(new.code)) == 1
    store.export_csv(new.code, new.teacher_key)

    store.delete_class(new.code, new.teacher_key)
    with pytest.raises(ClassNotFound):
        store.board(new.code)
    assert count_rows(store, "drawings") == count_rows(store, "students") == 0


def test_csv_export_parses_back(store):
    new = store.create_class()
    store.set_challenge(new.code, new.teacher_key,
                        Challenge("", "", Condition("test_acc", ">=", 0.9)))
    odd = store.join(new.code, "<script>")
    formula = store.join(new.code, "=1+1")
    store.share_run(odd, a_run(test_acc=0.95))
    store.share_run(formula, a_run(test_acc=None, seed=None))
    store.add_drawing(odd, *a_drawing(0), label=4, drawing_id="first")
    export = store.export_csv(new.code, new.teacher_key)
    assert export.runs_csv.startswith("\ufeff") and export.drawings_csv.startswith("\ufeff")
    runs = list(csv.DictReader(io.StringIO(export.runs_csv.removeprefix("\ufeff"))))
    assert [r["nickname"] for r in runs] == ["<script>", "'=1+1"]
    assert runs[0]["test_acc"] == "0.95" and runs[0]["meets_challenge"] == "True"
    assert runs[1]["test_acc"] == runs[1]["seed"] == "" and runs[1]["meets_challenge"] == "False"
    assert runs[0]["shared_at_utc"] == "2027-01-15T08:00:00Z"
    assert "curves" not in runs[0]  # a file of their own (core.class_scores.class_curves_csv)
    assert float(runs[0]["learning_rate"]) == 0.1 and runs[0]["diverged"] == "False"
    drawings = list(csv.DictReader(io.StringIO(export.drawings_csv.removeprefix("\ufeff"))))
    assert drawings == [{"drawing_id": "first", "nickname": "<script>", "label": "4",
                         "added_at_utc": "2027-01-15T08:00:00Z"}]
    with pytest.raises(WrongTeacherKey):
        store.export_csv(new.code, "wrong")


# --------------------------------------------------------------------------- privacy, restart


def test_expired_classes_are_deleted_with_all_their_rows(store, clock):
    old = store.create_class()
    me = store.join(old.code, "Ana")
    store.share_run(me, a_run())
    store.add_drawing(me, *a_drawing(0), label=1)
    with pytest.raises(WrongTeacherKey):
        store.verify_teacher(old.code, "wrong")
    store.set_training(me, True)
    clock.advance(7 * DAY)
    young = store.create_class()
    store.join(young.code, "Ben")
    clock.advance(7 * DAY)  # the first class is 14 days old: gone even before the clean-up
    with pytest.raises(ClassNotFound):
        store.board(old.code)
    assert store.cleanup_expired() == 1
    assert store.cleanup_expired(clock.now + 30 * DAY) == 1  # the young one, later
    for table in ("classes", "students", "runs", "drawings", "key_failures"):
        assert count_rows(store, table) == 0, table


def test_expiry_days_are_configurable_and_cleanup_runs_on_start(make_store, clock):
    store = make_store(class_days=1)
    new = store.create_class()
    assert new.expires_at == START + DAY
    clock.advance(DAY + 1)
    make_store().start()  # a new server starting deletes it
    assert count_rows(store, "classes") == 0


def test_classroom_days_comes_from_the_environment(monkeypatch, tmp_path):
    url = f"sqlite:///{tmp_path / 'classes.sqlite3'}"
    monkeypatch.setenv("CLASSROOM_DAYS", "2.5")
    assert ClassroomStore(url).limits.class_days == 2.5
    for wrong in ("0", "-1", "soon", "inf"):
        monkeypatch.setenv("CLASSROOM_DAYS", wrong)
        with pytest.raises(ValueError, match="CLASSROOM_DAYS"):
            ClassroomStore(url)
    monkeypatch.delenv("CLASSROOM_DAYS")
    assert ClassroomStore(url).limits == Limits()


def test_a_new_store_on_the_same_sqlite_file_sees_everything(tmp_path, clock):
    url = f"sqlite:///{tmp_path / 'classes.sqlite3'}"
    first = ClassroomStore(url, clock=clock)
    new = first.create_class()
    ana = first.join(new.code, "Ana")
    first.share_run(ana, a_run())
    first.dispose()
    again = ClassroomStore(url, clock=clock)
    assert again.join(new.code, "Ana") == ana
    assert len(again.runs(new.code)) == 1
    again.verify_teacher(new.code, new.teacher_key)
    with again._engine.connect() as conn:
        pragmas = [conn.exec_driver_sql(f"PRAGMA {p}").scalar()
                   for p in ("journal_mode", "busy_timeout", "foreign_keys")]
    assert pragmas == ["wal", db.BUSY_TIMEOUT_MS, 1]
    again.dispose()


def test_default_location_and_environment(monkeypatch, tmp_path):
    monkeypatch.delenv("CLASSROOM_DB_URL", raising=False)
    monkeypatch.delenv("CLASSROOM_DIR", raising=False)
    assert db.default_url() == f"sqlite:///{db.ROOT / 'classroom-data' / 'classes.sqlite3'}"
    monkeypatch.setenv("CLASSROOM_DIR", str(tmp_path / "elsewhere"))
    store = ClassroomStore()
    store.create_class()
    store.dispose()
    assert (tmp_path / "elsewhere" / "classes.sqlite3").is_file()
    monkeypatch.setenv("CLASSROOM_DB_URL", "postgresql+psycopg://u@db.invalid/x")
    assert ClassroomStore().url == "postgresql+psycopg://u@db.invalid/x"


def test_schema_version_and_migrations(store, make_store, monkeypatch):
    store.start()
    with store._engine.connect() as conn:
        assert conn.execute(select(db.schema_version.c.version)).scalar_one() == 2
    calls = []
    monkeypatch.setattr(db, "SCHEMA_VERSION", 3)
    monkeypatch.setitem(db.MIGRATIONS, 2, lambda conn: calls.append(conn.dialect.name))
    upgraded = make_store()
    upgraded.create_class()
    assert calls == [upgraded._engine.dialect.name]
    monkeypatch.setattr(db, "SCHEMA_VERSION", 2)  # this code is older than the database now
    with pytest.raises(ClassroomUnavailable, match="newer version"):
        make_store().create_class()


# --------------------------------------------------------------------------- faults


def _as_nobody(action):
    """Run ``action()`` in a child process as the user nobody (root writes any file anyway);
    return what it returns (a string). Without root, just call it."""
    if os.geteuid() != 0:
        return action()
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: drop root, act, report, exit without pytest's clean-up
        try:
            nobody = pwd.getpwnam("nobody")
            os.setgid(nobody.pw_gid)
            os.setuid(nobody.pw_uid)
            result = action()
        except BaseException as exc:  # any failure goes back to the test
            result = f"child failed: {exc!r}"
        os.write(write, result.encode())
        os._exit(0)
    os.close(write)
    os.waitpid(pid, 0)
    with os.fdopen(read) as pipe:
        return pipe.read()


@pytest.fixture
def open_folder():
    """A temporary folder anyone may write in (nobody too; pytest's own are private)."""
    with tempfile.TemporaryDirectory(prefix="classroom-ro-") as name:
        folder = Path(name)
        folder.chmod(0o777)
        yield folder


@pytest.mark.parametrize("folder_writable", [True, False])
def test_a_read_only_sqlite_file_opens_read_only(open_folder, clock, folder_writable):
    folder = open_folder  # the reader may add SQLite's -shm file; the database stays read-only
    url = f"sqlite:///{folder / 'classes.sqlite3'}"
    setup = ClassroomStore(url, clock=clock)
    new = setup.create_class()
    me = setup.join(new.code, "Ana")
    setup.share_run(me, a_run())
    setup.board(new.code), setup.runs(new.code)  # warm the lazy imports before the fork
    setup.dispose()
    (folder / "classes.sqlite3").chmod(0o444)
    if not folder_writable:  # no -shm can be made: SQLite reads it only as immutable
        folder.chmod(0o555)

    def attempt() -> str:
        store = ClassroomStore(url, clock=clock)
        outcome = [f"runs {len(store.runs(new.code))}"]
        outcome.append(f"problem: {store.problem()}")
        for write in (lambda: store.share_run(me, a_run()), store.create_class,
                      lambda: store.join(new.code, "Ben")):
            try:
                write()
                outcome.append("written")
            except ClassroomUnavailable as exc:
                outcome.append(str(exc))
        store.dispose()
        return "\n".join(outcome)

    try:
        lines = _as_nobody(attempt).splitlines()
    finally:
        folder.chmod(0o777)
    assert lines[0] == "runs 1", lines  # reading still works
    assert lines[1] == f"problem: {READ_ONLY}", lines  # what the teacher is told
    assert lines[2:] == [str(READ_ONLY)] * 3, lines


def test_an_unreachable_postgresql_raises_classroom_unavailable(caplog):
    port = free_port()
    store = ClassroomStore(f"postgresql+psycopg://nobody:secret@127.0.0.1:{port}/none",
                           limits=Limits(retry_seconds=0))
    with pytest.raises(ClassroomUnavailable, match="cannot be read") as failed:
        store.create_class()
    message = str(failed.value)  # what a student reads: no host, port or password
    assert message == "The class database cannot be read: it cannot be reached"
    assert "Connection refused" in caplog.text and str(port) in caplog.text  # the log has it
    with pytest.raises(ClassroomUnavailable):
        store.board("ABCDEF")  # and again: the store tries to open the database each time
    store.dispose()


# --------------------------------------------------------------------------- concurrency


def test_forty_students_at_once_lose_and_duplicate_nothing(make_store):
    store = make_store()
    new = store.create_class()
    n, runs_each, drawings_each = 40, 3, 2
    start = threading.Barrier(n)
    errors = []

    def student(i: int) -> None:
        try:
            start.wait()
            me = store.join(new.code, f"student {i}")
            assert store.join(new.code, f"STUDENT {i}") == me
            store.set_training(me, True)
            for k in range(runs_each):
                run = a_run(run_id=f"run-{i}-{k}", test_acc=(i + k) / 100)
                store.share_run(me, run)
                store.share_run(me, run)  # a retried click
            for k in range(drawings_each):
                store.add_drawing(me, *a_drawing(i), label=k, drawing_id=f"d-{i}-{k}")
                store.add_drawing(me, *a_drawing(i), label=k, drawing_id=f"d-{i}-{k}")
        except Exception as exc:  # reported by the main thread
            errors.append(repr(exc))

    threads = [threading.Thread(target=student, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=90)
    assert errors == []
    board = store.board(new.code)
    assert (board.students, board.runs, board.training_now) == (n, n * runs_each, n)
    assert sorted(e.run.run_id for e in store.runs(new.code)) == sorted(
        f"run-{i}-{k}" for i in range(n) for k in range(runs_each))
    got = store.drawings(new.code)
    assert sorted(got.ids) == sorted(f"d-{i}-{k}" for i in range(n) for k in range(drawings_each))
    assert [s.runs for s in store.students(new.code)] == [runs_each] * n


# --------------------------------------------------------------------------- issue 19: nicknames


def test_runuser_is_found_outside_a_plain_login_path(monkeypatch, tmp_path):
    import postgres_support

    monkeypatch.setenv("PATH", "/usr/bin:/bin")  # a plain login shell's: no /usr/sbin
    found = Path(postgres_support.runuser())
    assert found.is_absolute() and found.name == "runuser" and os.access(found, os.X_OK)
    if os.geteuid() == 0:
        assert postgres_support.TempPostgres()._as[0] == str(found)
    monkeypatch.setenv("PATH", str(tmp_path))
    monkeypatch.setattr(postgres_support, "SYSTEM_BIN", (str(tmp_path),))
    with pytest.raises(postgres_support.PostgresMissing, match="runuser"):
        postgres_support.runuser()


def test_a_nickname_too_long_once_normalised_is_the_students_error(store):
    new = store.create_class()
    with pytest.raises(InvalidInput, match=r"too long once .* \(432 characters, at most 96\)"):
        store.join(new.code, "\ufdfa" * 24)  # 24 characters typed, 432 once normalised
    # never an outage: the class goes on at once, reads and writes
    assert store.board(new.code).students == 0
    assert store.join(new.code, "Ana").nickname == "Ana"


def test_a_value_the_database_refuses_is_never_an_outage(make_store):
    store = make_store(nickname_chars=300)  # lets a nickname through that the column refuses
    new = store.create_class()
    if store.url.startswith("sqlite"):  # SQLite does not enforce VARCHAR lengths
        assert store.join(new.code, "x" * 300).nickname == "x" * 300
    else:
        with pytest.raises(InvalidInput, match="refused a value"):
            store.join(new.code, "x" * 300)
    assert store.join(new.code, "Ana").nickname == "Ana"  # not paused, not "unavailable"
    assert store.board(new.code).students >= 1


@pytest.mark.parametrize("nickname", [
    "A\u200bna", "\u200b", "Ana\u200d", "\u00adAna", "An\u2060a", "\ufeffAna",
    "Ana\U000e0041\U000e007f", "Ana\ufe0f", "Ana\U000e0100", "\u3164", "Ana\u3164",
    "\u2800", "\u115f", "\u1160", "\uffa0", "\u034fAna", "\u17b4", "\u180eAna",
    "\u0301\u0301", " \u0301 ", "\ue000", "Ana\U0010ffff"])
def test_invisible_nicknames_are_refused(store, nickname):
    new = store.create_class()
    with pytest.raises(InvalidInput, match="nickname"):
        store.join(new.code, nickname)
    assert store.students(new.code) == []


def test_look_alike_nicknames_are_one_student(store):
    new = store.create_class()
    ana = store.join(new.code, "Ana")
    for look_alike in ("\u0410na", "\u0430na", "ＡＮＡ", "ana", "Αna"):  # Cyrillic, Greek
        assert store.join(new.code, look_alike) == ana, look_alike
    alice = store.join(new.code, "Alice")
    for look_alike in ("A1ice", "ALICE", "Аlice"):  # digit 1 and l look alike; Cyrillic А
        assert store.join(new.code, look_alike) == alice, look_alike
    assert store.join(new.code, "Ama") != ana
    assert [s.nickname for s in store.students(new.code)] == ["Ana", "Alice", "Ama"]
    store.remove_student(new.code, new.teacher_key, "\u0410NA")
    assert [s.nickname for s in store.students(new.code)] == ["Alice", "Ama"]


def test_a_version_1_database_is_upgraded(store, make_store):
    new = store.create_class()
    store.join(new.code, "Ana")
    store.dispose()
    engine = create_engine(store.url)
    with engine.begin() as conn:  # back to version 1: no new columns, the old keys
        conn.execute(text("ALTER TABLE classes DROP COLUMN joins_closed"))
        conn.execute(text("ALTER TABLE students DROP COLUMN client"))
        conn.execute(text("ALTER TABLE students DROP COLUMN training_by"))
        conn.execute(text("UPDATE schema_version SET version = 1"))
        class_id = conn.execute(text("SELECT id FROM classes")).scalar_one()
        conn.execute(text("INSERT INTO students (class_id, nickname, nickname_key, joined_at) "
                          "VALUES (:c, :n, :k, :t)"),  # a Cyrillic А: a new student then
                     {"c": class_id, "n": "\u0410na", "k": "\u0430na", "t": START + 1})
    engine.dispose()
    upgraded = make_store()
    assert upgraded.class_info(new.code).joins_closed is False
    assert [s.nickname for s in upgraded.students(new.code)] == ["Ana", "\u0410na"]
    assert upgraded.join(new.code, "ana").nickname == "Ana"  # the first one keeps the key
    with upgraded._engine.connect() as conn:
        keys = conn.execute(text("SELECT nickname_key FROM students ORDER BY id")).scalars()
        assert [k.split("#")[0] for k in keys] == ["ana", "ana"]


# --------------------------------------------------------------------------- issue 19: floods


def test_one_browser_cannot_fill_a_class(make_store):
    store = make_store(students=6, nicknames_per_client=3, client_joins=100)
    new = store.create_class()
    mine = [store.join(new.code, f"fake {i}", client="browser-1") for i in range(3)]
    with pytest.raises(LimitReached, match="under 3 nicknames"):
        store.join(new.code, "fake 3", client="browser-1")
    assert store.join(new.code, "FAKE 1", client="browser-1") == mine[1]  # a rejoin is fine
    for i in range(3):  # real students, each from a browser of their own, still get in
        store.join(new.code, f"student {i}", client=f"browser-{i + 2}")
    with pytest.raises(LimitReached, match=r"full \(6 students\)"):
        store.join(new.code, "late", client="browser-9")
    with store._engine.connect() as conn:  # only a keyed hash of the client is stored
        stored = conn.execute(text("SELECT client FROM students")).scalars().all()
    assert len(set(stored)) == 4 and not any("browser" in c for c in stored)


def test_new_nicknames_from_one_client_are_rate_limited(make_store):
    store = make_store(client_joins=3, client_join_window=60, nicknames_per_client=50)
    first, second = store.create_class(), store.create_class()
    for i in range(3):
        store.join(first.code, f"n{i}", client="flooder")
    for code in (first.code, second.code):  # on any class of this server
        with pytest.raises(TooManyAttempts, match="Too many new nicknames") as refused:
            store.join(code, "one more", client="flooder")
        assert 0 < refused.value.retry_after <= 60
    store.join(first.code, "N0", client="flooder")  # a rejoin is not a new nickname
    store.join(first.code, "honest", client="someone else")
    assert len(store.students(first.code)) == 4 and store.students(second.code) == []


def test_the_teacher_stops_new_joins_and_removes_many_at_once(store):
    new = store.create_class()
    ana = store.join(new.code, "Ana")
    for i in range(5):
        store.join(new.code, f"spam {i}")
    with pytest.raises(WrongTeacherKey):
        store.set_joining(new.code, "wrong", False)
    store.set_joining(new.code, new.teacher_key, False)
    assert store.class_info(new.code).joins_closed
    with pytest.raises(LimitReached, match="takes no new students"):
        store.join(new.code, "spam 9")
    removed = store.remove_students(new.code, new.teacher_key,
                                    [f"SPAM {i}" for i in range(5)] + ["nobody"])
    assert removed == 5 and [s.nickname for s in store.students(new.code)] == ["Ana"]
    with pytest.raises(LimitReached, match="takes no new students"):
        store.join(new.code, "spam 0")  # a removed nickname does not come back
    assert store.join(new.code, "ana") == ana  # students in the class still rejoin
    store.set_joining(new.code, new.teacher_key, True)
    assert store.join(new.code, "Ben").nickname == "Ben"
    assert store.remove_students(new.code, new.teacher_key, []) == 0


# --------------------------------------------------------------------------- issue 19: faults


def _read_only_url(url: str) -> str:
    """The same PostgreSQL schema, every transaction read-only (a replica, a full disk's
    emergency mode): reads work, writes fail in the server."""
    return f"{url}%20-cdefault_transaction_read_only%3Don"


def test_a_failed_write_pauses_writes_only(postgres, clock):
    url = postgres.fresh_url()
    writer = ClassroomStore(url, clock=clock)
    new = writer.create_class()
    ana = writer.join(new.code, "Ana")
    writer.dispose()
    store = ClassroomStore(_read_only_url(url), clock=clock, limits=Limits(retry_seconds=600))
    try:
        assert store.board(new.code).students == 1
        with pytest.raises(ClassroomUnavailable, match="cannot be written: it is read-only"):
            store.share_run(ana, a_run())
        for _ in range(3):  # reads go on, at once
            assert store.board(new.code).students == 1 and store.runs(new.code) == []
        with pytest.raises(ClassroomUnavailable, match="trying again in"):
            store.set_training(ana, True)  # writes are paused: the database is not asked
    finally:
        store.dispose()


def _server_processes(postgres) -> list[int]:
    """The PostgreSQL server's processes: its postmaster and every child of it."""
    postmaster = int((postgres.data / "postmaster.pid").read_text().split()[0])
    children = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == postmaster:
            children.append(int(stat.parent.name))
    return [postmaster, *children]


def test_a_hung_postgresql_is_unavailable_within_seconds(postgres, clock):
    import signal

    url = postgres.fresh_url()
    store = ClassroomStore(url, clock=clock, limits=Limits(retry_seconds=0))
    new = store.create_class()
    store.join(new.code, "Ana")
    outcome = []

    def read_board() -> None:
        try:
            outcome.append(store.board(new.code))
        except Exception as exc:  # reported by the test
            outcome.append(exc)

    stopped = _server_processes(postgres)
    try:
        for pid in stopped:
            os.kill(pid, signal.SIGSTOP)  # the server hangs: alive to TCP, answers nothing
        reader = threading.Thread(target=read_board, daemon=True)
        reader.start()
        reader.join(timeout=60)  # without socket timeouts it waits for ever
        assert not reader.is_alive(), "the board hangs on a stopped database"
    finally:
        for pid in stopped:
            os.kill(pid, signal.SIGCONT)
    [failed] = outcome
    assert isinstance(failed, ClassroomUnavailable), failed
    assert str(failed) == "The class database cannot be read: it does not answer"
    board = None
    for _ in range(100):  # the server answers again: so does the store, without a restart
        try:
            board = store.board(new.code)
            break
        except ClassroomUnavailable:
            threading.Event().wait(0.2)
    assert board is not None and board.students == 1
    store.dispose()


def test_a_deleted_sqlite_file_stops_writes(tmp_path, clock):
    path = tmp_path / "classes.sqlite3"
    store = ClassroomStore(f"sqlite:///{path}", clock=clock)
    new = store.create_class()
    ana = store.join(new.code, "Ana")
    assert store.problem() is None
    for file in tmp_path.glob("classes.sqlite3*"):  # git clean -fdx
        file.unlink()
    with pytest.raises(ClassroomUnavailable) as refused:
        store.share_run(ana, a_run())
    assert str(refused.value) == str(FILE_LOST)
    assert store.problem() == FILE_LOST  # what the teacher is told
    with pytest.raises(ClassroomUnavailable):
        store.create_class()
    assert not path.exists()  # nothing was written into a new, empty file either
    store.dispose()


def test_a_replaced_sqlite_file_stops_writes(tmp_path, clock):
    path = tmp_path / "classes.sqlite3"
    store = ClassroomStore(f"sqlite:///{path}", clock=clock)
    new = store.create_class()
    store.join(new.code, "Ana")
    copy = tmp_path / "copy.sqlite3"
    copy.write_bytes(path.read_bytes())
    copy.replace(path)  # another file (a restored backup) under the same name
    with pytest.raises(ClassroomUnavailable, match="deleted or replaced"):
        store.join(new.code, "Ben")
    assert store.problem() == FILE_LOST
    store.dispose()


def test_nicknames_per_client_come_from_the_environment(monkeypatch, tmp_path):
    url = f"sqlite:///{tmp_path / 'classes.sqlite3'}"
    monkeypatch.setenv("CLASSROOM_NICKNAMES_PER_CLIENT", "60")  # a whole class behind a NAT
    limits = ClassroomStore(url).limits
    assert (limits.nicknames_per_client, limits.client_joins) == (60, 60)
    for wrong in ("0", "-3", "many", "1e9", "1001"):
        monkeypatch.setenv("CLASSROOM_NICKNAMES_PER_CLIENT", wrong)
        with pytest.raises(ValueError, match="CLASSROOM_NICKNAMES_PER_CLIENT"):
            ClassroomStore(url)


def test_a_killed_servers_runs_stop_counting_as_training_when_it_restarts(make_store, clock):
    before = make_store(server="host-a")  # the process that kill -9 ends
    new = before.create_class()
    ana, ben = before.join(new.code, "Ana"), before.join(new.code, "Ben")
    before.set_training(ana, True)
    replica = make_store(server="host-b")  # another server, still running, still beating
    replica.set_training(ben, True)
    assert replica.board(new.code).training_now == 2
    restarted = make_store(server="host-a")  # the killed server starts again
    board = restarted.board(new.code)
    assert board.training_now == 1  # its old run no longer counts; the replica's does
    assert [s.training_now for s in restarted.students(new.code)] == [False, True]
    clock.advance(61)  # a replica killed for good: its heartbeat stops counting after 60 s
    assert restarted.board(new.code).training_now == 0


# --------------------------------------------------------------------------- issue 21: trust


def test_guessers_never_lock_out_a_logged_in_teacher(store, clock):
    new = store.create_class()
    for _ in range(5):  # a student guessing from another browser
        with pytest.raises((WrongTeacherKey, TooManyAttempts)):
            store.verify_teacher(new.code, "AAAA-BBBB-CCCC-DDDD")
    with pytest.raises(TooManyAttempts):  # the log-in is throttled ...
        store.verify_teacher(new.code, new.teacher_key)
    store.set_challenge(new.code, new.teacher_key, None)  # ... the teacher's actions are not
    assert store.clear_board(new.code, new.teacher_key) == 0
    assert store.key_guesses(new.code, new.teacher_key) == 3  # and the teacher is told
    with pytest.raises(TooManyAttempts):  # a wrong key on an action is still refused
        store.clear_board(new.code, "AAAA-BBBB-CCCC-DDDD")


def test_a_teacher_session_token_stays_logged_in_until_log_out(store, clock):
    new = store.create_class()
    with pytest.raises(WrongTeacherKey):
        store.start_teacher_session(new.code, "wrong")
    token = store.start_teacher_session(new.code, new.teacher_key)
    assert token.startswith("ts_") and new.teacher_key not in token
    assert store.resume_teacher(new.code.lower(), token).code == new.code
    store.set_challenge(new.code, token, Challenge("", "", Condition("test_acc", ">=", 0.9)))
    with store._engine.connect() as conn:  # only its hash is kept
        stored = conn.execute(select(db.teacher_sessions.c.token_hash)).scalar_one()
    assert token not in stored
    other = store.create_class()
    with pytest.raises(WrongTeacherKey):  # a token is for its own class
        store.resume_teacher(other.code, token)
    store.end_teacher_session(token)
    with pytest.raises(WrongTeacherKey, match="ended"):
        store.resume_teacher(new.code, token)
    late = store.start_teacher_session(new.code, new.teacher_key)
    clock.advance(13 * 3600)  # sessions last 12 hours
    with pytest.raises(WrongTeacherKey):
        store.clear_board(new.code, late)


def test_a_closed_class_keeps_its_challenge_and_board(store):
    new = store.create_class()
    store.share_run(store.join(new.code, "Ana"), a_run())
    store.close_class(new.code, new.teacher_key)
    with pytest.raises(ClassClosed):
        store.set_challenge(new.code, new.teacher_key, None)
    with pytest.raises(ClassClosed):
        store.clear_board(new.code, new.teacher_key)
    assert len(store.runs(new.code)) == 1


def test_the_teacher_deletes_one_run_or_one_drawing(store):
    new = store.create_class()
    ana = store.join(new.code, "Ana")
    keep, rude = a_run(), a_run()
    for run in (keep, rude):
        store.share_run(ana, run)
    store.add_drawing(ana, *a_drawing(1), label=3, drawing_id="d1")
    store.add_drawing(ana, *a_drawing(2), label=4, drawing_id="d2")
    assert store.delete_run(new.code, new.teacher_key, rude.run_id)
    assert not store.delete_run(new.code, new.teacher_key, rude.run_id)
    assert store.delete_drawing(new.code, new.teacher_key, "d1")
    assert [e.run.run_id for e in store.runs(new.code)] == [keep.run_id]
    assert list(store.drawings(new.code).ids) == ["d2"]
    with pytest.raises(WrongTeacherKey):
        store.delete_drawing(new.code, "wrong", "d2")


def test_a_blocked_nickname_cannot_rejoin_until_unblocked(store):
    new = store.create_class()
    ana = store.join(new.code, "Ana", claim="browser-a")
    store.share_run(ana, a_run())
    assert store.block_student(new.code, new.teacher_key, "ana") == 1
    assert store.runs(new.code) == []
    with pytest.raises(NotInClass, match="removed"):  # the student's page is told
        store.touch(ana, "browser-a")
    with pytest.raises(NotInClass, match="blocked"):  # and a reload does not rejoin
        store.join(new.code, "ANA", claim="browser-a")
    assert store.blocked(new.code, new.teacher_key) == ["ana"]
    assert store.unblock_student(new.code, new.teacher_key, "Ana")
    assert store.join(new.code, "Ana").nickname == "Ana"


@pytest.mark.parametrize("name", ["the teacher", "Teacher", "ＴＥＡＣＨＥＲ", "先生",
                                  "T\u0435acher"])  # the last with a Cyrillic е
def test_no_student_is_called_the_teacher(store, name):
    new = store.create_class()
    with pytest.raises(InvalidInput, match="kept for the teacher"):
        store.join(new.code, name)


def test_a_nickname_belongs_to_the_browser_that_took_it(store, clock):
    new = store.create_class()
    ana = store.join(new.code, "Ana", claim="browser-a")
    assert store.join(new.code, "ana", claim="browser-a") == ana  # a reload of the same one
    with pytest.raises(NicknameTaken, match="another browser"):
        store.join(new.code, "Ana", claim="browser-b")
    clock.advance(300)
    store.touch(ana, "browser-a")  # still here
    clock.advance(300)
    with pytest.raises(NicknameTaken):
        store.join(new.code, "Ana", claim="browser-b")
    assert store.release_nickname(new.code, new.teacher_key, "Ana")  # the teacher frees it
    assert store.join(new.code, "Ana", claim="browser-b").student_id == ana.student_id
    with pytest.raises(NicknameTaken):  # the first browser learns it lost the name
        store.touch(ana, "browser-a")
    clock.advance(601)  # gone 10 minutes: the nickname is free again
    assert store.join(new.code, "Ana", claim="browser-a").student_id == ana.student_id


def test_a_students_choice_to_stop_sharing_lasts(store):
    new = store.create_class()
    ana = store.join(new.code, "Ana", claim="a")
    assert ana.sharing is True
    store.set_sharing(ana, False)
    assert store.join(new.code, "Ana", claim="a").sharing is False
    store.close_class(new.code, new.teacher_key)
    store.set_sharing(ana, True)  # a choice, not a contribution: fine in a closed class
    assert store.join(new.code, "Ana", claim="a").sharing is True


def test_a_deleted_class_says_the_teacher_deleted_it(store, clock):
    new = store.create_class()
    ana = store.join(new.code, "Ana")
    store.delete_class(new.code, new.teacher_key)
    for call in (lambda: store.board(new.code), lambda: store.touch(ana),
                 lambda: store.join(new.code, "Ana")):
        with pytest.raises(ClassDeleted, match="teacher deleted class"):
            call()
    clock.advance(15 * DAY)  # after the class would have ended, the code is forgotten
    store.cleanup_expired()
    with pytest.raises(ClassNotFound, match="no class with the code"):
        store.board(new.code)


def test_a_code_of_the_wrong_length_says_codes_have_6_characters(store):
    with pytest.raises(ClassNotFound, match="join codes have 6 characters, and this one has 5"):
        store.join("K7QMX", "Ana")


def test_checking_a_student_is_a_read_that_says_why_they_are_out(store):
    new = store.create_class()
    ana = store.join(new.code, "Ana", claim="a")
    store.check_student(ana, "a")
    store.close_class(new.code, new.teacher_key)
    store.check_student(ana, "a")  # a closed class still has its students
    with pytest.raises(NicknameTaken):
        store.check_student(ana, "b")
    store.remove_student(new.code, new.teacher_key, "Ana")
    with pytest.raises(NotInClass, match="removed"):
        store.check_student(ana, "a")


def test_a_session_token_or_the_right_key_passes_check_teacher_while_guessers_wait(store):
    new = store.create_class()
    token = store.start_teacher_session(new.code, new.teacher_key)
    for _ in range(3):
        with pytest.raises(WrongTeacherKey):
            store.verify_teacher(new.code, "AAAA-BBBB-CCCC-DDDD")
    for credential in (new.teacher_key, token):
        assert store.check_teacher(new.code, credential).code == new.code
    assert store.verify_teacher(new.code, token).code == new.code  # a token is no guess
    with pytest.raises(TooManyAttempts):
        store.check_teacher(new.code, "AAAA-BBBB-CCCC-DDDD")
