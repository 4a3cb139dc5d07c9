"""Classroom mode end to end: the real server with a class database of its own, a teacher and
two students in three browser contexts of Debian's chromium (playwright).

The teacher opens a class and sets a challenge; the students join with the link and a
nickname; one trains a short run (shared by itself: the teacher's board updates without a
reload), the other draws a digit and adds it to the class set (the board scores the model on
it). Screenshots go to ``screenshots/`` (ignored by git). Without /usr/bin/chromium these
tests fail, they never skip.
"""

from __future__ import annotations

import re
from urllib.parse import urlencode

import pytest
from playwright.sync_api import expect

from support.e2e import ROOT, checked_server, open_page, set_number, settle

SHOTS = ROOT / "screenshots"
BOLD = "**bold** <i>x</i>"  # a nickname that must never be read as markup
BOARD_WAIT = 30_000  # ms: the board refreshes every few seconds


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    folder = tmp_path_factory.mktemp("classroom")
    with checked_server({"CLASSROOM_DIR": str(folder), "CLASSROOM_DB_URL": ""}) as url:
        yield url


def _person(browser, width: int = 1280, height: int = 1000):
    return browser.new_context(viewport={"width": width, "height": height}).new_page()


def _no_exception(page) -> None:
    assert page.locator("[data-testid='stException']").count() == 0, page.inner_text("body")


def _shot(page, name: str) -> None:
    SHOTS.mkdir(exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


def _metric(page, label: str):
    return page.locator("[data-testid='stMetric']", has_text=label).first


def _open_class(teacher, url: str) -> tuple[str, str]:
    open_page(teacher, url, "classroom")
    teacher.get_by_role("button", name="Open a class").click()
    teacher.get_by_text("Write down your teacher key now").wait_for(timeout=30_000)
    settle(teacher)
    teacher.locator("code", has_text="?class=").first.wait_for(timeout=30_000)
    shown = re.compile(r"^[A-Z0-9]{4}(-[A-Z0-9]{4}){3}$")
    expect(teacher.get_by_text(shown)).not_to_be_visible()  # folded away until asked
    teacher.get_by_text("Show the teacher key").click()
    expect(teacher.get_by_text(shown)).to_be_visible(timeout=30_000)
    codes = teacher.locator("code").all_inner_texts()
    link = next(c for c in codes if "?class=" in c)
    key = next(c for c in codes if re.fullmatch(r"[A-Z0-9]{4}(-[A-Z0-9]{4}){3}", c.strip()))
    return link.split("?class=")[1].strip(), key.strip()


def _join(student, link: str, nickname: str) -> None:
    student.goto(link)
    student.get_by_role("heading", name="Class", exact=True).wait_for(timeout=30_000)
    settle(student)
    student.get_by_role("textbox", name="Your nickname").fill(nickname)
    student.get_by_role("button", name="Join").click()
    student.get_by_text("Share my finished runs with the class").wait_for(timeout=30_000)
    settle(student)


def _draw_a_seven(page) -> None:
    canvas = page.locator("canvas.upper-canvas")
    canvas.wait_for(state="visible", timeout=30_000)
    box = canvas.bounding_box()
    x0, y0 = box["x"], box["y"]
    page.mouse.move(x0 + 70, y0 + 60)
    page.mouse.down()
    page.mouse.move(x0 + 210, y0 + 60, steps=12)
    page.mouse.move(x0 + 120, y0 + 240, steps=15)
    page.mouse.up()
    page.locator("[data-testid='stMetric']").first.wait_for(timeout=30_000)
    settle(page)


def _board_points(page) -> int:
    """How many runs the board's scatter shows."""
    return page.evaluate("""() => {
        const plots = [...document.querySelectorAll('.js-plotly-plot')];
        const board = plots.find(p => p.layout && p.layout.yaxis
                                      && p.layout.yaxis.title.text === 'test accuracy');
        return board ? board.data.reduce((n, t) => n + t.x.length, 0) : -1;
    }""")


def test_a_teacher_and_two_students(server, browser):
    teacher = _person(browser)
    code, key = _open_class(teacher, server)
    assert re.fullmatch(r"[A-Z0-9]{6}", code), code
    teacher.get_by_role("button", name="I have written it down").click()
    expect(teacher.get_by_text(key)).to_have_count(0, timeout=30_000)  # shown once
    settle(teacher)
    teacher.get_by_role("button", name="Set the challenge").click()
    teacher.get_by_text("Challenge set").wait_for(timeout=30_000)
    _no_exception(teacher)

    link = f"{server}/classroom?class={code}"
    ana, bold = _person(browser), _person(browser, 768, 1024)
    _join(ana, link, "ana")
    _join(bold, link, BOLD)
    expect(bold.get_by_text(BOLD, exact=True).first).to_be_visible()
    assert bold.locator("i", has_text="x").count() == 0  # never rendered as markup
    expect(_metric(teacher, "Students")).to_contain_text("2", timeout=BOARD_WAIT)

    # ana trains two epochs on the Train page: the challenge is there, the run is shared
    ana.get_by_role("link", name="Train").click()
    ana.get_by_role("heading", name="Train a softmax regression").wait_for(timeout=30_000)
    settle(ana)
    expect(ana.get_by_text(re.compile("Class challenge: test accuracy"))).to_be_visible()
    assert f"class={code}" in ana.url and "nick=ana" in ana.url  # a reload stays in the class
    set_number(ana, "Epochs", 2)
    ana.get_by_role("button", name="Start").click()
    ana.get_by_text(re.compile("Finished 2 epochs")).wait_for(timeout=60_000)
    expect(ana.get_by_text(re.compile(r"Shared with the class: run \d+ \(2 epochs"))
           ).to_be_visible(timeout=BOARD_WAIT)
    _no_exception(ana)
    _shot(ana, "class-student-train")

    # the teacher's board shows it without a reload
    expect(_metric(teacher, "Runs shared")).to_contain_text("1", timeout=BOARD_WAIT)
    expect(_metric(teacher, "Best test accuracy")).to_contain_text(re.compile(r"\d\d\.\d\d%"))
    assert _board_points(teacher) == 1
    expect(teacher.get_by_text("by ana")).to_be_visible()

    # the other student adds a drawing to the class set; the board scores the model on it
    # on a tablet the sidebar is folded away: the address brings the student back (a reload)
    bold.goto(f"{server}/draw?{urlencode({'class': code, 'nick': BOLD})}")
    bold.get_by_role("heading", name="Draw a digit").wait_for(timeout=30_000)
    _draw_a_seven(bold)
    bold.get_by_role("button", name="Add to our class set").click()
    bold.get_by_text(re.compile("set as the digit 7")).wait_for(timeout=30_000)
    _no_exception(bold)
    _shot(bold, "class-student-draw")
    expect(_metric(teacher, "Our handwriting")).to_contain_text("%", timeout=BOARD_WAIT)
    expect(_metric(teacher, "MNIST test digits")).to_contain_text("%")
    _no_exception(teacher)
    teacher.set_viewport_size({"width": 1280, "height": 3000})
    _shot(teacher, "class-teacher-board")
    for page in (teacher, ana, bold):
        page.context.close()


def _tab(page, name: str):
    return page.get_by_role("tab", name=name)


def test_reloads_tabs_and_a_challenge_that_reaches_the_train_page(server, browser):
    teacher = _person(browser)
    code, key = _open_class(teacher, server)
    teacher.get_by_role("button", name="I have written it down").click()
    settle(teacher)
    link = f"{server}/classroom?class={code}"
    ana = _person(browser)
    _join(ana, link, "ana")
    ana.get_by_role("link", name="Train").click()
    ana.get_by_role("heading", name="Train a softmax regression").wait_for(timeout=30_000)
    settle(ana)
    expect(ana.get_by_text(re.compile("Class challenge"))).to_have_count(0)

    # the tools keep their tab after an action
    _tab(teacher, "Students").click()
    teacher.get_by_role("button", name="Stop new students joining").click()
    teacher.get_by_text("No new students can join now.").wait_for(timeout=30_000)
    settle(teacher)
    expect(_tab(teacher, "Students")).to_have_attribute("aria-selected", "true")
    teacher.get_by_role("button", name="Let new students join").click()
    teacher.get_by_text("New students can join again.").wait_for(timeout=30_000)
    expect(_tab(teacher, "Students")).to_have_attribute("aria-selected", "true")
    bo = _person(browser)
    _join(bo, link, "bo")  # the roster is live: bo appears with no action of the teacher
    expect(teacher.get_by_text("2 students in the class")).to_be_visible(timeout=15_000)

    # a new challenge reaches ana's open Train page with no touch of hers
    _tab(teacher, "Challenge").click()
    teacher.get_by_role("button", name="Set the challenge").click()
    teacher.get_by_text("Challenge set").wait_for(timeout=30_000)
    expect(ana.get_by_text(re.compile("Class challenge: test accuracy"))
           ).to_be_visible(timeout=15_000)

    # F5: the teacher stays logged in (no key in the address), ana stays ana
    teacher.reload()
    teacher.get_by_role("heading", name="Teacher's tools").wait_for(timeout=30_000)
    assert key not in teacher.url and key.replace("-", "") not in teacher.url
    ana.reload()
    ana.get_by_text("Share my finished runs with the class").wait_for(timeout=30_000)

    # another browser cannot become ana, with the link or the form
    other = _person(browser)
    other.goto(f"{server}/classroom?class={code}&nick=ana")
    other.get_by_text(re.compile("already used in class .* by another browser")).first \
        .wait_for(timeout=30_000)
    _no_exception(other)

    # log out ends it: a reload shows the log-in form
    teacher.get_by_role("button", name="Log out").click()
    teacher.get_by_role("button", name="Log in as the teacher").wait_for(timeout=30_000)
    teacher.reload()
    teacher.get_by_role("button", name="Log in as the teacher").wait_for(timeout=30_000)
    expect(teacher.get_by_role("heading", name="Teacher's tools")).to_have_count(0)
    for page in (teacher, ana, other, bo):
        page.context.close()


def test_the_whole_lesson_a_teacher_three_students_the_projector_and_a_reload_of_each(
        server, browser):
    """Issue 21's lesson end to end: the teacher opens a class and puts the projector view
    up; three students join with the link and each trains a run, shared by itself; the
    projector shows the three without anyone touching it. Then every one of them presses
    F5: the teacher is still the teacher, each student still in the class with their run,
    the projector still showing the board."""
    teacher = _person(browser)
    code, _ = _open_class(teacher, server)
    teacher.get_by_role("button", name="I have written it down").click()
    settle(teacher)
    projector = _person(browser, 1920, 1080)
    projector.goto(f"{server}/projector?class={code}")
    expect(projector.get_by_text(code, exact=True).first).to_be_visible(timeout=30_000)
    link = f"{server}/classroom?class={code}"
    students = {name: _person(browser) for name in ("ana", "bo", "cy")}
    for name, page in students.items():
        _join(page, link, name)
        page.get_by_role("link", name="Train").click()
        page.get_by_role("heading", name="Train a softmax regression").wait_for(timeout=30_000)
        settle(page)
        set_number(page, "Epochs", 1)
        page.get_by_role("button", name="Start").click()
    for page in students.values():
        page.get_by_text(re.compile("Finished 1 epoch")).wait_for(timeout=90_000)
        expect(page.get_by_text(re.compile(r"Shared with the class: run 1 \(1 epoch"))
               ).to_be_visible(timeout=BOARD_WAIT)
    expect(_metric(projector, "Runs shared")).to_contain_text("3", timeout=BOARD_WAIT)
    expect(_metric(teacher, "Students")).to_contain_text("3", timeout=BOARD_WAIT)
    _shot(projector, "class-lesson-projector")

    for page in (teacher, *students.values()):
        page.reload()
        page.get_by_role("heading", level=1).first.wait_for(timeout=30_000)
        settle(page)
    projector.reload()
    expect(projector.get_by_text(code, exact=True).first).to_be_visible(timeout=30_000)
    expect(teacher.get_by_role("heading", name="Teacher's tools")).to_be_visible(timeout=30_000)
    expect(_metric(teacher, "Runs shared")).to_contain_text("3", timeout=BOARD_WAIT)
    expect(_metric(projector, "Runs shared")).to_contain_text("3", timeout=BOARD_WAIT)
    for name, page in students.items():
        expect(page.get_by_text(re.compile("Finished 1 epoch"))).to_be_visible(timeout=30_000)
        expect(page.get_by_text(re.compile(r"Shared with the class: run 1"))
               ).to_be_visible(timeout=BOARD_WAIT)
        assert f"nick={name}" in page.url
    for page in (teacher, projector, *students.values()):
        _no_exception(page)
        page.context.close()
