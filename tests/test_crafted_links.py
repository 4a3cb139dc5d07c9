"""Crafted links (issue 19, item 6): every value in the address is shown as text, never as
markdown. ``/?preset=[Your session expired - click here](http://evil/phish)`` drew a live
link inside the app's own warning, and ``/?lr=![](//evil/img)`` made the browser fetch an
outside image; the address bar is rewritten afterwards, so the victim never saw them.

Each query parameter the app reads gets each hostile value (a link, an image, HTML, a
colour directive, LaTeX, a bare address, 100 KB, a NUL byte) on the Train page, the Class
page and the projector view; no element's markdown may then hold markup from the link,
and no exception.
"""

from __future__ import annotations

import re

import pytest
from streamlit.testing.v1 import AppTest

from apptest_support import TIMEOUT, stop_training
from conftest import ROOT
from core.config import SETTINGS
from core.markup import plain
from core.presets import DESKEW_QUERY
from ui.classroom import CLASS_QUERY, NICK_QUERY
from ui.i18n import LANG_QUERY
from ui.projector import AXIS_QUERY, NAMES_QUERY

# Every parameter the app reads from the address (test_every_read_parameter_is_tested
# fails when a page reads one more).
PARAMETERS = ["preset", *(s.query for s in SETTINGS.values()), DESKEW_QUERY, LANG_QUERY,
              CLASS_QUERY, NICK_QUERY, NAMES_QUERY, AXIS_QUERY]
HOSTILE = {
    "link": "[Your session expired - click here](http://evil.example/phish)",
    "image": "![](//evil.example/img)",
    "html": "<img src=//evil.example/i onerror=alert(1)><script>alert(1)</script>",
    "colour": ":red[**ALERT**] :material/warning:",
    "latex": "$x^2$ $$\\frac{1}{0}$$",
    "bare address": "see http://evil.example/phish or www.evil.example or a@evil.example",
    "100 KB": "[x](http://evil.example/" + "a" * 100_000 + ")",
    "NUL": "0.1\x00[x](http://evil.example)",
}
CLASS_PAGE = "views/classroom.py"
PROJECTOR = "views/projector.py"  # the teacher's projector view (?class=, ?names=, ?axis=)
# Markup that the page would draw: an unescaped link, image or HTML tag, a directive, LaTeX.
MARKUP = re.compile(r"(?<!\\)(\]\(|!\[|<[a-zA-Z/]|:[a-z]+\[|:material/|\$)")
BARE_ADDRESS = re.compile(r"(?i)(https?://|www\.|\w@\w)")  # linked by GitHub's link finder
MARKERS = ("evil", "ALERT", "x^2", "frac", "alert(1)")  # in every hostile value


@pytest.fixture(autouse=True)
def classroom_db(tmp_path, monkeypatch):
    """A class database of this test's own (the links try to join a class)."""
    monkeypatch.setenv("CLASSROOM_DIR", str(tmp_path))
    monkeypatch.delenv("CLASSROOM_DB_URL", raising=False)
    from ui import classroom

    classroom._store.clear()
    yield
    classroom._store.clear()


def _open(query: dict[str, str], page: str | None = None) -> AppTest:
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=TIMEOUT)
    at.query_params.update(query)
    if page:
        at.switch_page(page)
    at.run()
    stop_training(at)
    return at


def _markdown_bodies(at: AppTest) -> list[str]:
    """The text of every element Streamlit draws as markdown, sidebar included."""
    kinds = ("markdown", "caption", "warning", "error", "info", "success", "toast", "title",
             "header", "subheader", "exception")
    return [e.value if isinstance(e.value, str) else str(e.value)
            for kind in kinds for e in at.get(kind)]


def _assert_shown_as_text(at: AppTest) -> None:
    """No exception, and every element that quotes the hostile input holds no markup (the
    pages' own markup, in elements without it, is theirs to use)."""
    assert not at.exception, at.exception
    for body in _markdown_bodies(at):
        assert len(body) < 5_000, f"{len(body):,} characters shown"
        if not any(marker in plain(body) for marker in MARKERS):
            continue
        escaped_backslashes_out = body.replace("\\\\", "")
        assert not MARKUP.search(escaped_backslashes_out), body[:300]
        assert not BARE_ADDRESS.search(body.replace("\\", "")), body[:300]


@pytest.mark.parametrize("kind", HOSTILE)
def test_every_parameter_at_once_shows_hostile_values_as_text(kind):
    query = dict.fromkeys(PARAMETERS, HOSTILE[kind])
    for page in (None, CLASS_PAGE, PROJECTOR):
        at = _open(query, page)
        _assert_shown_as_text(at)


@pytest.mark.parametrize("name", PARAMETERS)
def test_each_parameter_alone_shows_a_crafted_link_as_text(name):
    at = _open({name: HOSTILE["link"]})
    _assert_shown_as_text(at)
    _assert_shown_as_text(_open({name: HOSTILE["image"]}, CLASS_PAGE))
    _assert_shown_as_text(_open({name: HOSTILE["bare address"]}, PROJECTOR))


def test_the_issues_two_links_are_quoted_as_typed():
    at = _open({"preset": "[Your session expired - click here](http://evil/phish)",
                "lr": "![](//evil/img)"})
    _assert_shown_as_text(at)
    notes = [plain(w.value) for w in at.warning]
    assert any("preset='[Your session expired - click here](http://evil/phish)' is not a "
               "known lesson" in n for n in notes), notes
    assert any("lr='![](//evil/img)' is not a number" in n for n in notes), notes


def test_a_long_value_is_cut_before_it_is_kept_or_shown():
    at = _open({"lr": "9" * 100_000})
    _assert_shown_as_text(at)
    notes = " ".join(plain(w.value) for w in at.warning)
    assert "lr=" in notes and len(notes) < 400, notes
    from apptest_support import session_of

    assert all(len(str(n)) < 400 for n in session_of(at).url_notes)


def test_every_read_parameter_is_tested():
    """Each place the pages read the address names one of PARAMETERS (a new one must be
    added there, so that the tests above cover it)."""
    reads = set()
    for path in [ROOT / "app.py", *(ROOT / "ui").glob("*.py"), *(ROOT / "views").glob("*.py")]:
        text = path.read_text(encoding="utf-8")
        reads |= set(re.findall(r"query_params\.get\(\s*([A-Za-z_\"']+)", text))
        reads |= {"to_dict" for _ in re.findall(r"query_params\.to_dict\(\)", text)}
    known = {"LANG_QUERY": LANG_QUERY, "CLASS_QUERY": CLASS_QUERY, "NICK_QUERY": NICK_QUERY,
             "NAMES_QUERY": NAMES_QUERY, "AXIS_QUERY": AXIS_QUERY,
             "name": "(ui.classroom's own address keeping)",
             "to_dict": "(the Train page: presets.settings_from_query and preprocessing)"}
    assert reads <= set(known), f"a page reads {reads - set(known)} from the address"


def test_an_uploaded_models_file_name_is_shown_as_text():
    from apptest_support import go

    at = _open({})
    name = "[Your session expired](http://evil.example/phish) ![](//evil.example/i).npz"
    uploader = next(u for u in at.get("file_uploader") if u.key == "_upload")
    uploader.upload(name, (ROOT / "data" / "default_model.npz").read_bytes())
    at.run()
    assert not at.sidebar.error, [e.value for e in at.sidebar.error]
    for page in ("views/results.py", "views/draw.py", "views/how_it_works.py"):
        go(at, page)
        _assert_shown_as_text(at)
        assert any("Uploaded: -Your session expired" in c.value for c in at.caption), page
