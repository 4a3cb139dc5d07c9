"""The dashboard in Japanese (ui.i18n): every page renders from a ?lang=ja link, the
language belongs to the session, and switching it keeps the run and the settings."""

from __future__ import annotations

import pytest
from streamlit.testing.v1 import AppTest

from apptest_support import TIMEOUT, session_of, stop_training, wait_for
from conftest import ROOT

PAGES = ("views/train.py", "views/results.py", "views/draw.py", "views/weights.py",
         "views/sweep.py", "views/how_it_works.py", "views/classroom.py")


def _japanese_app() -> AppTest:
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=TIMEOUT)
    at.query_params["lang"] = "ja"
    at.run()
    assert not at.exception, at.exception
    return at


@pytest.fixture
def ja():
    at = _japanese_app()
    try:
        yield at
    finally:
        stop_training(at)


def _picker(at: AppTest):
    return at.sidebar.button_group[0]


def test_a_lang_link_opens_in_japanese_and_keeps_the_language_in_the_address(ja):
    assert session_of(ja).language == "ja"
    assert ja.title[0].value == "ソフトマックス回帰の学習"
    assert ja.sidebar.selectbox[0].label == "データセット"
    assert ja.query_params["lang"] in ("ja", ["ja"])


@pytest.mark.parametrize("page", PAGES)
def test_every_page_renders_in_japanese(ja, page):
    ja.switch_page(page).run()
    assert not ja.exception, ja.exception
    assert session_of(ja).language == "ja"


def test_switching_language_keeps_the_run_and_the_settings(ja):
    ja.select_slider(key="lr").set_value(0.5).run()
    ja.number_input(key="epochs").set_value(1).run()
    [start] = [b for b in ja.button if b.label == "開始"]
    start.click().run()
    job = session_of(ja).job
    wait_for(lambda: not job.alive, "the run to end")
    ja.run()
    table = ja.dataframe[-1].value  # the runs of this session, headers and words in Japanese
    assert {"学習", "状態", "テスト正解率"} <= set(table.columns), list(table.columns)
    assert list(table["状態"]) == ["完了"] and list(table["学習"]) == ["学習 1"]  # its first
    _picker(ja).set_value("en").run()
    assert not ja.exception, ja.exception
    assert ja.title[0].value == "Train a softmax regression"
    assert session_of(ja).job is job and session_of(ja).settings["learning_rate"] == 0.5
    assert ja.select_slider(key="lr").value == 0.5
    assert "lang" not in ja.query_params or ja.query_params["lang"] in ("en", ["en"])


def test_english_is_the_default_and_one_session_does_not_switch_another(ja):
    en = AppTest.from_file(str(ROOT / "app.py"), default_timeout=TIMEOUT).run()
    assert not en.exception, en.exception
    assert en.title[0].value == "Train a softmax regression"
    assert "lang" not in en.query_params
    ja.run()
    assert ja.title[0].value == "ソフトマックス回帰の学習"


def test_a_japanese_teachers_join_link_opens_in_japanese(ja, tmp_path, monkeypatch):
    """The link a teacher shows the class carries ?lang=ja, and the board speaks Japanese."""
    monkeypatch.setenv("CLASSROOM_DIR", str(tmp_path))  # a class database of this test's own
    monkeypatch.delenv("CLASSROOM_DB_URL", raising=False)
    ja.switch_page("views/classroom.py").run()
    [open_class] = [b for b in ja.button if b.label == "クラスを開く"]
    open_class.click().run()
    assert not ja.exception, ja.exception
    code = session_of(ja).classroom.code
    assert f"/classroom?class={code}&lang=ja" in [c.value for c in ja.code]
    assert "共有された学習" in [m.label for m in ja.metric]
