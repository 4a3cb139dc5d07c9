"""Issue 21, item 19: the projector view (/projector?class=CODE), its QR code, the spotlight
the teacher picks, and names hidden for a public display. Streamlit's AppTest on a real
SQLite class database; the QR code is checked module by module against segno's matrix."""

from __future__ import annotations

import io
import json

import numpy as np
import pytest
import segno
from PIL import Image
from streamlit.testing.v1 import AppTest

from apptest_support import TIMEOUT, click, session_of
from conftest import ROOT
from core.classroom import SharedRun
from core.classroom.handwriting import HandScore, with_score
from core.spotlight import SPOTLIGHTS, Spotlights

PROJECTOR = "views/projector.py"


@pytest.fixture
def classroom_db(tmp_path, monkeypatch):
    monkeypatch.setenv("CLASSROOM_DIR", str(tmp_path))
    monkeypatch.delenv("CLASSROOM_DB_URL", raising=False)
    from ui import classroom

    classroom._store.clear()
    yield classroom.store()
    classroom.store().dispose()
    classroom._store.clear()


def _run(run_id: str, lr: float, acc: float | None, diverged: bool = False) -> SharedRun:
    curves = with_score({"valid_acc": [0.8, acc or 0.1], "train_loss": [0.6, 0.4]},
                        HandScore(0.75, 12))
    return SharedRun(run_id, "mnist", "none", lr, 1e-4, 100, 2, 34, 2, test_acc=acc,
                     valid_acc=acc, diverged=diverged, curves=curves)


@pytest.fixture
def lesson(classroom_db):
    """A class with two students' runs (one diverged at lr 10) and a drawing."""
    new = classroom_db.create_class()
    ana, bo = classroom_db.join(new.code, "ana"), classroom_db.join(new.code, "<b>bo</b>")
    classroom_db.share_run(ana, _run("ana1", 0.1, 0.921))
    classroom_db.share_run(bo, _run("bo1", 10.0, 0.12, diverged=True))
    from core.data import load_mnist

    classroom_db.add_drawing(ana, load_mnist().x_test[0], np.full((56, 56), 9, np.uint8), 7,
                             drawing_id="seven")
    SPOTLIGHTS.clear(new.code)
    yield new
    SPOTLIGHTS.clear(new.code)


def _projector(query: dict) -> AppTest:
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=TIMEOUT)
    for name, value in query.items():
        at.query_params[name] = value
    at.switch_page(PROJECTOR).run()
    assert not at.exception, at.exception
    return at


def _html(at: AppTest) -> str:
    return "\n".join(m.value for m in at.markdown)


def _chart(at: AppTest, key: str) -> dict:
    [chart] = [c for c in at.get("plotly_chart") if c.proto.id and key in c.proto.id]
    return json.loads(chart.proto.spec)


def test_the_projector_shows_code_link_qr_and_board_without_sidebar_or_tools(lesson):
    at = _projector({"class": lesson.code.lower()})
    page = _html(at)
    assert f'<div class="join-code">{lesson.code}</div>' in page
    assert f"/classroom?class={lesson.code}" in page
    assert "display: none" in page and "stSidebar" in page  # the sidebar is hidden
    assert not at.sidebar.children or not list(at.sidebar)  # and nothing is drawn in it
    assert not at.text_input and not at.button and not at.selectbox  # no tools, no key
    assert len(at.image) == 1 and "Scan to join" in page  # the QR code
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Runs shared"] == "2" and metrics["Best test accuracy"] == "92.10%"
    assert metrics["Best on handwriting"] == "75.0%"
    figure = _chart(at, "projector_scatter")
    assert any("ana" in t for trace in figure["data"] for t in trace["text"])
    assert figure["layout"]["yaxis"]["range"][0] > 0.8  # the diverged run does not squash it


def test_names_can_be_hidden_for_a_public_display(lesson):
    at = _projector({"class": lesson.code, "names": "0"})
    figure = _chart(at, "projector_scatter")
    hovers = " ".join(t for trace in figure["data"] for t in trace["text"])
    assert "ana" not in hovers and "bo" not in hovers and "student 1" in hovers
    assert "ana" not in " ".join(m.value for m in at.markdown)


@pytest.mark.parametrize("code", ["NOPE42", "<script>x</script>", "Z" * 5000])
def test_a_wrong_or_hostile_code_is_a_message_not_a_traceback(classroom_db, code):
    at = _projector({"class": code})
    assert at.error and "script" not in _html(at)


def test_without_a_code_the_view_says_where_it_comes_from(classroom_db):
    at = _projector({})
    assert any("Class page" in i.value for i in at.info)


def test_the_teacher_spotlights_a_run_and_a_drawing_and_the_projector_shows_it(lesson):
    teacher = AppTest.from_file(str(ROOT / "app.py"), default_timeout=TIMEOUT)
    teacher.switch_page("views/classroom.py").run()
    teacher.text_input(key="teacher_code").input(lesson.code)
    teacher.text_input[3].input(lesson.teacher_key)
    click(teacher, "Log in as the teacher")
    assert session_of(teacher).classroom.teacher_key
    picker = teacher.selectbox(key="projector_spotlight")
    [run_option] = [i for i, o in enumerate(picker.options) if o.startswith("run by ana")]
    picker.select_index(run_option).run()
    assert not teacher.exception, teacher.exception
    assert SPOTLIGHTS.get(lesson.code).item_id == "ana1"

    at = _projector({"class": lesson.code})
    assert "Spotlight: ana" in [s.value for s in at.subheader]
    assert _chart(at, "projector_curves")
    rings = [w for t in _chart(at, "projector_scatter")["data"]
             for w in t.get("marker", {}).get("line", {}).get("width", [])
             if isinstance(t["marker"]["line"]["width"], list)]
    assert 4 in rings  # the spotlighted run is ringed on the scatter

    picker = teacher.selectbox(key="projector_spotlight")
    [drawing] = [i for i, o in enumerate(picker.options) if o.startswith("drawing by ana")]
    picker.select_index(drawing).run()
    at.run()
    assert "Spotlight: a drawing by ana" in [s.value for s in at.subheader]
    assert len(at.image) == 2  # the QR code and the drawing
    picker = teacher.selectbox(key="projector_spotlight")
    picker.select_index(0).run()
    assert SPOTLIGHTS.get(lesson.code) is None


def test_the_qr_code_is_the_join_link_module_for_module():
    from ui.projector import qr_png

    link = "http://class.example:8501/classroom?class=K7QMXD&lang=ja"
    image = np.asarray(Image.open(io.BytesIO(qr_png(link))).convert("L"))
    expected = np.array([[bool(v) for v in row] for row in segno.make(link, error="m").matrix])
    side = expected.shape[0]
    scale = image.shape[0] // (side + 8)  # a 4-module quiet zone on each side
    modules = image[4 * scale + scale // 2::scale, 4 * scale + scale // 2::scale][:side, :side]
    assert (modules < 128).tolist() == expected.tolist()


def test_links_keep_the_host_and_base_path():
    from ui.projector import page_link

    got = page_link("classroom", "K7QMXD", "https://school.example/ml/projector?class=K7QMXD")
    assert got == "https://school.example/ml/classroom?class=K7QMXD"
    assert page_link("projector", "K7QMXD", None, {"names": "0"}) == \
        "/projector?class=K7QMXD&names=0"


def test_spotlights_are_bounded_and_checked():
    spots = Spotlights(kept=3)
    for i in range(10):
        spots.set(f"C{i}", "run", f"r{i}")
    assert len(spots) == 3 and spots.get("C0") is None and spots.get("C9").item_id == "r9"
    for kind, item in [("weights", "x"), ("run", ""), ("run", "x" * 65), ("run", None)]:
        with pytest.raises(ValueError):
            spots.set("C1", kind, item)
