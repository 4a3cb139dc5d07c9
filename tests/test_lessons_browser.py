"""The lessons a single student does (issue 25, items 3-5) in Debian's chromium, in English
and Japanese, driven from the keyboard where the lesson asks for an action: Change one thing
(Train), Flip a digit (Results), One step of SGD (How it works). (Markdown shows "->" as an
arrow.) Screenshots of each go to
screenshots/lesson-*.png for a person to look at."""

from __future__ import annotations

import re

import pytest

from support.e2e import ROOT, checked_server, open_page, set_number, settle

SHOTS = ROOT / "screenshots"
WORDS = {  # what each language calls the things the test reads and presses
    "en": {"epochs": "Epochs", "start": "Start", "finished": "Finished 3 epochs",
           "change": "Change one thing", "caption": "only lambda changed, 0.0001 → 0.01",
           "flip": "Flip it.", "as_it_is": "as it is: read as",
           "flipped": "just flipped: read as", "sgd": "One step of SGD, seen",
           "another": "Another step", "step2": "Step 2: the batch"},
    "ja": {"epochs": "エポック数", "start": "開始", "finished": "3 エポックの学習が終わりました",
           "change": "ひとつだけ変える", "caption": "λ だけを変更、0.0001 → 0.01",
           "flip": "ひっくり返す。", "as_it_is": "そのまま:",
           "flipped": "反転した直後:", "sgd": "SGD の 1 ステップを見る",
           "another": "もう1ステップ", "step2": "ステップ 2:"},
}


@pytest.fixture(scope="module")
def server():
    with checked_server() as url:
        yield url


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    pg = context.new_page()
    yield pg
    context.close()


def _shot(page, name: str, anchor) -> None:
    """The lesson's part of the page: scrolled to ``anchor``, one screen high."""
    SHOTS.mkdir(exist_ok=True)
    settle(page)
    page.wait_for_function("() => [...document.images].every(i => i.complete)", timeout=30_000)
    anchor.evaluate("e => e.scrollIntoView({block: 'start'})")
    page.evaluate("window.scrollBy(0, -60)")
    page.screenshot(path=str(SHOTS / f"{name}.png"))


def _no_exception(page) -> None:
    assert page.locator("[data-testid='stException']").count() == 0, page.inner_text("body")


def _press(page, name: str) -> None:
    """Press a button from the keyboard: focus it, then Enter."""
    button = page.get_by_role("button", name=name, exact=True)
    button.focus()
    page.keyboard.press("Enter")
    settle(page)


@pytest.mark.parametrize("language", ["en", "ja"])
def test_change_one_thing(server, page, language):
    w = WORDS[language]
    open_page(page, server, f"?lang={language}")
    set_number(page, w["epochs"], 3)
    _press(page, w["start"])
    page.get_by_text(w["finished"]).first.wait_for(timeout=60_000)
    settle(page)
    _press(page, w["change"])
    caption = page.get_by_text(w["caption"])
    caption.first.wait_for(timeout=60_000)
    page.wait_for_function("""() => [...document.querySelectorAll('.js-plotly-plot')]
        .some(p => p.data && p.data.some(t => t.opacity === 0.35))""", timeout=30_000)
    _no_exception(page)
    _shot(page, f"lesson-change-one-thing-{language}", page.get_by_role("heading", level=1))
    _shot(page, f"lesson-change-one-thing-caption-{language}", caption.first)


@pytest.mark.parametrize("language", ["en", "ja"])
def test_flip_a_digit(server, page, language):
    w = WORDS[language]
    open_page(page, server, f"results?lang={language}")
    lesson = page.get_by_text(w["flip"])
    lesson.wait_for(timeout=30_000)
    _shot(page, f"lesson-flip-{language}", lesson)
    page.get_by_text(re.compile(re.escape(w["as_it_is"]))).first.wait_for(timeout=30_000)
    slider = page.get_by_role("slider").last
    slider.focus()
    page.keyboard.press("End")  # the slider from the keyboard: to "just flipped"
    settle(page)
    page.wait_for_function(f"""() => document.body.innerText.split({w["flipped"]!r}).length
        - 1 >= 2""", timeout=30_000)  # the slider's image and the flip point's
    _no_exception(page)
    _shot(page, f"lesson-flip-just-flipped-{language}", lesson)


@pytest.mark.parametrize("language", ["en", "ja"])
def test_one_step_of_sgd(server, page, language):
    w = WORDS[language]
    open_page(page, server, f"how_it_works?lang={language}")
    heading = page.get_by_role("heading", name=w["sgd"])
    heading.wait_for(timeout=30_000)
    _press(page, w["another"])
    page.get_by_text(w["step2"]).first.wait_for(timeout=30_000)
    _no_exception(page)
    _shot(page, f"lesson-sgd-step-{language}", heading)


def test_flip_a_drawing(server, page):
    """A "7" drawn with the mouse, flipped to its runner-up beside the why map."""
    open_page(page, server, "draw")
    canvas = page.locator("canvas.upper-canvas")
    canvas.wait_for(state="visible", timeout=30_000)
    box = canvas.bounding_box()
    x0, y0 = box["x"], box["y"]
    page.mouse.move(x0 + 70, y0 + 60)
    page.mouse.down()
    page.mouse.move(x0 + 210, y0 + 60, steps=12)
    page.mouse.move(x0 + 120, y0 + 240, steps=15)
    page.mouse.up()
    lesson = page.get_by_text(WORDS["en"]["flip"])
    lesson.wait_for(timeout=30_000)
    page.get_by_text(re.compile(r"as it is: read as 7")).wait_for(timeout=30_000)
    _no_exception(page)
    _shot(page, "lesson-flip-drawing-en", page.get_by_role("heading", name="Why 7?"))
