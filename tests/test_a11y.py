"""Accessibility (issue 23): axe-core in Debian's chromium on every page, in English and in
Japanese, and in the states a lesson reaches: after a short run, with a test digit opened,
with the confusion matrix open, after a drawing, and on the Class page as teacher and as
student. A serious or critical WCAG 2.x A/AA violation fails the test, which prints the rule
and the element.

The counts of every scan go to ``screenshots/a11y-axe.md`` (ignored by git), a table per
language. Without /usr/bin/chromium these tests fail, they do not skip.
"""

from __future__ import annotations

import re
import time

import pytest
from playwright.sync_api import expect

from core.describe import digit_alt
from core.i18n import translator
from support.a11y import axe_findings, blocking, counts
from support.e2e import ROOT, checked_server, drawn, open_page, settle

REPORT = ROOT / "screenshots" / "a11y-axe.md"
PAGES = ("", "results", "draw", "weights", "sweep", "how_it_works", "classroom")
LANGS = ("en", "ja")
TABLE: dict[tuple[str, str], dict[str, int]] = {}  # (language, scan) -> counts per impact


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    folder = tmp_path_factory.mktemp("a11y-class")
    with checked_server({"CLASSROOM_DIR": str(folder), "CLASSROOM_DB_URL": ""}) as url:
        yield url
    _write_report()


@pytest.fixture
def person(browser):
    contexts = []

    def new(lang: str, width: int = 1400):
        context = browser.new_context(viewport={"width": width, "height": 1000},
                                      locale="ja-JP" if lang == "ja" else "en-US")
        contexts.append(context)
        return context.new_page()

    yield new
    for context in contexts:
        context.close()


def _link(lang: str, path: str = "", query: str = "") -> str:
    """A page's address in that language: ``results?lang=ja&x=1``."""
    params = "&".join(p for p in (f"lang={lang}", query) if p)
    return f"{path}?{params}"


# every drawing canvas's toolbar (in the component's shadow root) drawn and given its style
A11Y_SCRIPT_DONE = """() => [
    ...document.querySelectorAll('[data-testid="stBidiComponentIsolated"]')]
    .map(host => host.shadowRoot).filter(root => root)
    .every(root => !(root.querySelector('canvas.upper-canvas')
                     || root.querySelector('.dc-icon-button'))
                   || (root.querySelector('.dc-icon-button')
                       && root.querySelector('style[data-a11y]')))"""


def _ready(page) -> None:
    """The page is drawn for good (:func:`support.e2e.drawn`) and its a11y script is done."""
    drawn(page)
    # the page's own a11y script has given the drawing toolbar (in a shadow root) its
    # 24 px targets: it does so after a short quiet spell, which a scan must not beat
    page.wait_for_function(A11Y_SCRIPT_DONE, timeout=30_000)


def _scan(page, lang: str, name: str) -> list:
    _ready(page)
    assert page.locator("[data-testid='stException']").count() == 0, page.inner_text("body")
    findings = axe_findings(page)
    TABLE[(lang, name)] = counts(findings)
    return [(name, f) for f in blocking(findings)]


def _fail_on(found: list) -> None:
    assert not found, f"{len(found)} serious or critical axe violations:\n" + "\n".join(
        f"{name}: {finding}" for name, finding in found)


def _write_report() -> None:
    """The table of every scan's counts, per language (and its totals)."""
    if not TABLE:
        return  # no scan ran (e.g. only the keyboard test was asked for)
    lines = []
    for lang in LANGS:
        rows = sorted((scan, c) for (la, scan), c in TABLE.items() if la == lang)
        if not rows:
            continue
        total = {k: sum(c.get(k, 0) for _, c in rows) for k in ("critical", "serious")}
        lines += [f"## {lang}: {len(rows)} scans, critical {total['critical']}, "
                  f"serious {total['serious']}", "", "| scan | critical | serious | moderate "
                  "| minor |", "|---|---:|---:|---:|---:|"]
        lines += [f"| {scan} | {c.get('critical', 0)} | {c.get('serious', 0)} | "
                  f"{c.get('moderate', 0)} | {c.get('minor', 0)} |" for scan, c in rows]
        lines.append("")
    REPORT.parent.mkdir(exist_ok=True)
    REPORT.write_text("\n".join(lines), encoding="utf-8")


@pytest.mark.parametrize("lang", LANGS)
def test_every_page(server, person, lang):
    page, found = person(lang), []
    for path in PAGES:
        open_page(page, server, _link(lang, path))
        if path == "results":
            page.locator("[data-testid='stImage'] img").nth(9).wait_for(timeout=30_000)
        if path in ("weights", "how_it_works"):
            page.locator(".js-plotly-plot").first.wait_for(timeout=30_000)
        found += _scan(page, lang, f"page {path or 'train'}")
        _headings_in_order(page, path)
        if path == "results":  # the accessibility tree chromium gives a screen reader
            tree = page.get_by_test_id("stMain").aria_snapshot()
            heading = translator(lang)("Results on the test set")
            assert f'heading "{heading}" [level=1]' in tree, tree[:2000]
            alt = translator(lang)(digit_alt(0, "0", "1", 0.5)).split(" 0")[0]  # "test digit"
            assert f'img "{alt} ' in tree, tree[:2000]
    _fail_on(found)


def _headings_in_order(page, path: str) -> None:
    """One h1, and each heading at most one level below the one before (WCAG 1.3.1)."""
    levels = page.evaluate("""() => [...document.querySelectorAll(
        '[data-testid="stMain"] :is(h1, h2, h3, h4, h5, h6)')]
        .filter(h => h.offsetParent !== null).map(h => Number(h.tagName[1]))""")
    assert levels and levels[0] == 1 and levels.count(1) == 1, (path, levels)
    jumps = [(a, b) for a, b in zip(levels, levels[1:], strict=False) if b > a + 1]
    assert not jumps, f"{path or 'train'}: headings skip a level: {levels}"


@pytest.mark.parametrize("lang", LANGS)
def test_after_a_short_run_a_digit_and_the_confusion_matrix(server, person, lang):
    t = translator(lang)
    page, found = person(lang), []
    open_page(page, server, _link(lang, "", "epochs=2&batch=1000"))
    page.get_by_role("button", name=t("Start"), exact=True).click()
    page.get_by_test_id("stAlertContentSuccess").wait_for(timeout=90_000)  # finished
    found += _scan(page, lang, "run: train")
    for path in ("results", "weights", "how_it_works"):
        open_page(page, server, _link(lang, path))
        page.locator(".js-plotly-plot").first.wait_for(timeout=30_000)
        found += _scan(page, lang, f"run: {path}")
    open_page(page, server, _link(lang, "results"))
    page.locator("[data-testid='stImage'] img").nth(9).wait_for(timeout=30_000)
    page.locator("[data-testid='stButton'] button:visible",
                 has_text=re.compile(r"^T:\S+ P:\S+$")).nth(2).click()
    page.mouse.move(5, 5)  # away: the button's tooltip fades out (mid-fade, its contrast is low)
    expect(page.locator(".stTooltipContent")).to_have_count(0, timeout=10_000)
    found += _scan(page, lang, "results: a digit opened")
    page.get_by_role("tab", name=t("Confusion matrix and per-class accuracy")).click()
    page.locator(".js-plotly-plot").nth(2).wait_for(timeout=30_000)
    found += _scan(page, lang, "results: confusion matrix")
    _fail_on(found)


@pytest.mark.parametrize("lang", LANGS)
def test_a_drawing(server, person, lang):
    page = person(lang)
    open_page(page, server, _link(lang, "draw"))
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
    _fail_on(_scan(page, lang, "draw: a drawing"))


@pytest.mark.parametrize("lang", LANGS)
def test_the_class_page_as_teacher_and_student(server, person, lang):
    t = translator(lang)
    teacher, found = person(lang), []
    open_page(teacher, server, _link(lang, "classroom"))
    teacher.get_by_role("button", name=t("Open a class")).click()
    teacher.locator("code", has_text="?class=").first.wait_for(timeout=30_000)
    found += _scan(teacher, lang, "class: teacher, key shown")
    link = next(c for c in teacher.locator("code").all_inner_texts() if "?class=" in c)
    written = teacher.get_by_role("button", name=t("I have written it down"))
    written.click()
    expect(written).to_have_count(0, timeout=30_000)  # the key is shown once
    found += _scan(teacher, lang, "class: teacher")

    student = person(lang)
    code = link.split("?class=")[1].strip()
    open_page(student, server, _link(lang, "classroom", f"class={code}"))
    student.get_by_role("textbox", name=t("Your nickname")).fill(f"pupil-{lang}")
    student.get_by_role("button", name=t("Join")).click()
    student.get_by_text(t("Share my finished runs with the class")).wait_for(timeout=30_000)
    found += _scan(student, lang, "class: student")
    _fail_on(found)


# ------------------------------------------------------------------ language, motion, live region


def test_the_page_language_follows_the_session(server, person):
    """Streamlit writes <html lang="en">: the page script sets the session's language, and
    sets it again after a switch in the sidebar and on another page."""
    page = person("en")
    open_page(page, server, _link("ja", "results"))
    expect(page.locator("html")).to_have_attribute("lang", "ja")
    page.get_by_role("radio", name="English").click()
    page.get_by_role("heading", name="Results on the test set").wait_for(timeout=30_000)
    expect(page.locator("html")).to_have_attribute("lang", "en")
    page.get_by_role("link", name="Draw").click()
    page.get_by_role("heading", name="Draw a digit").wait_for(timeout=30_000)
    settle(page)
    expect(page.locator("html")).to_have_attribute("lang", "en")
    page.get_by_role("radio", name="日本語").click()
    page.get_by_role("heading", name=translator("ja")("Draw a digit")).wait_for(timeout=30_000)
    expect(page.locator("html")).to_have_attribute("lang", "ja")


def test_reduced_motion_and_the_polite_live_region(server, browser):
    """A browser that prefers reduced motion starts with "Reduce motion" on: the live chart
    has no transition; the live region says politely when the run's epochs have finished."""
    context = browser.new_context(viewport={"width": 1400, "height": 1000},
                                  reduced_motion="reduce")
    try:
        page = context.new_page()
        open_page(page, server, _link("en", "", "epochs=2&batch=1000"))
        expect(page.get_by_role("switch", name="Reduce motion")).to_be_checked(timeout=30_000)
        page.get_by_role("button", name="Start", exact=True).click()
        page.get_by_test_id("stAlertContentSuccess").wait_for(timeout=90_000)
        status = page.locator("[role='status'][aria-live='polite']")
        expect(status).to_have_text(re.compile(r"Epoch 2 of 2 finished: validation accuracy "
                                               r"\d+\.\d%\. Training finished\."))
        transition = page.evaluate("""() => [...document.querySelectorAll('.js-plotly-plot')]
            .map(p => p.layout && p.layout.transition && p.layout.transition.duration)""")
        assert transition and all(d == 0 for d in transition), transition
        summary = page.get_by_text(re.compile(r"^validation accuracy (rose|fell|went) from"))
        expect(summary).to_have_count(1)
        page.get_by_text("The chart's numbers as a table").click()
        expect(page.get_by_test_id("stDataFrame")).to_have_count(2)  # and the runs' table
    finally:
        context.close()


def _full_runs_of(page) -> list[float]:
    """The full script runs of ``page`` from now on, as they start (a websocket frame that
    is a ForwardMsg new_session with no fragment ids)."""
    from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

    starts: list[float] = []

    def frame(payload) -> None:
        if isinstance(payload, bytes):
            msg = ForwardMsg()
            msg.ParseFromString(payload)
            if msg.WhichOneof("type") == "new_session" and not msg.metadata.run.fragment_ids:
                starts.append(time.monotonic())

    page.on("websocket", lambda ws: ws.on("framereceived", frame))
    return starts


def test_a_fresh_tab_costs_one_script_run(server, person):
    """The page's a11y script reports the browser's prefers-reduced-motion only when it is
    on (the test above): a report is a rerun, and one on every first load could cut short a
    click made meanwhile (a student's Join, pressed at once, was lost that way about one
    time in five here)."""
    page = person("en")
    runs = _full_runs_of(page)
    open_page(page, server, "classroom")
    page.wait_for_function("() => window.__a11yScrollables !== undefined")  # it has run
    drawn(page)
    assert len(runs) == 1, runs


# ------------------------------------------------------------------ the keyboard alone

ACTIVE = """() => {
    const e = document.activeElement;
    if (!e || e === document.body) return null;
    const label = e.getAttribute('aria-label') || (e.labels && e.labels[0] && e.labels[0].innerText)
        || e.innerText || e.value || '';
    const lines = label.trim().split('\\n').filter(line => line.trim());
    const key = [...(e.closest('[class*="st-key-"]') || {classList: []}).classList]
        .find(c => c.startsWith('st-key-')) || '';
    const box = e.getBoundingClientRect();
    return {name: (lines[lines.length - 1] || '').trim(), role: e.getAttribute('role') || e.type
            || e.tagName.toLowerCase(), key: key, x: box.x + window.scrollX,
            y: box.y + window.scrollY, w: box.width, h: box.height};
}"""
MAX_TABS = 120  # a page's tab stops, sidebar included, are fewer


def _tab_to(page, name, role: str | None = None, back: bool = False) -> dict:
    """Press Tab (Shift+Tab with ``back``) until the focused element's name is ``name`` (or
    matches it, a regex) and its role is ``role``; fail after MAX_TABS presses."""
    seen = []
    for _ in range(MAX_TABS):
        page.keyboard.press("Shift+Tab" if back else "Tab")
        active = page.evaluate(ACTIVE)
        if active is None:
            continue
        seen.append(active["name"])
        named = (name.search(active["name"]) if isinstance(name, re.Pattern)
                 else active["name"] == name)
        if named and (role is None or active["role"] == role):
            return active
    raise AssertionError(f"{name!r} not reached with the keyboard; focus went to: {seen}")


def _type_into(page, label: str, text: str) -> None:
    """Tab to a text or number box, replace its value and commit it with Enter."""
    _tab_to(page, label)
    page.keyboard.press("Control+a")
    page.keyboard.type(text)
    page.keyboard.press("Enter")
    settle(page)


def _choose(page, label: str, option: str) -> None:
    """Tab to a select box, type an option's name and, once the list offers it (as a
    person would see it), take it with Enter (Enter before the list has caught up with the
    typing takes nothing)."""
    _tab_to(page, label, "combobox")
    page.keyboard.type(option)
    expect(page.get_by_role("option", name=option, exact=True)).to_be_visible()
    page.keyboard.press("Enter")


def _focus_order(page, name: str, stops: int) -> list[str]:
    """Tab through the first ``stops`` stops, then number them on the page and save a
    screenshot, ``screenshots/a11y-focus-<name>.png`` (with the order as text beside it)."""
    order = []
    page.reload()  # the start of the page, nothing focused
    page.get_by_role("heading", level=1).first.wait_for(timeout=30_000)
    _ready(page)
    for _ in range(stops):
        page.keyboard.press("Tab")
        active = page.evaluate(ACTIVE)
        if active is not None:
            order.append(active)
    page.evaluate("""order => order.forEach((a, i) => {
        const tag = document.createElement('div');
        tag.textContent = i + 1;
        tag.style.cssText = `position:absolute; left:${a.x - 6}px; top:${a.y - 6}px;
            z-index:2147483647; background:#c0182c; color:#fff; font:bold 12px sans-serif;
            padding:1px 4px; border-radius:8px; pointer-events:none`;
        const ring = document.createElement('div');
        ring.style.cssText = `position:absolute; left:${a.x}px; top:${a.y}px; width:${a.w}px;
            height:${a.h}px; outline:2px solid #c0182c; z-index:2147483646; pointer-events:none`;
        document.body.append(ring, tag);
    })""", order)
    SHOTS = ROOT / "screenshots"
    SHOTS.mkdir(exist_ok=True)
    page.screenshot(path=str(SHOTS / f"a11y-focus-{name}.png"), full_page=True)
    lines = [f"{i + 1}. {a['role']}: {a['name']}" for i, a in enumerate(order)]
    (SHOTS / f"a11y-focus-{name}.txt").write_text("\n".join(lines) + "\n", encoding="utf-8")
    page.reload()  # without the numbers
    page.get_by_role("heading", level=1).first.wait_for(timeout=30_000)
    page.get_by_role("switch", name="Reduce motion").wait_for(timeout=30_000)  # the sidebar
    _ready(page)
    return lines


def test_every_task_with_the_keyboard_alone(server, person):
    """Start, pause, steer, resume and stop a run; browse the results and open a digit; drill
    into the confusion matrix; read a test digit on the Draw page; all with Tab, Enter,
    Space, arrows and typing. The focus order of Train and Results is saved as pictures."""
    page = person("en")
    open_page(page, server, "")
    order = _focus_order(page, "train", 34)
    assert any(line.endswith("submit: Start") for line in order), order
    page.get_by_role("heading", level=1).wait_for(timeout=30_000)
    settle(page)

    _type_into(page, "Epochs", "300")
    _type_into(page, "Batch size", "1000")
    _tab_to(page, "Start", "submit")
    page.keyboard.press("Enter")
    page.get_by_text(re.compile(r"epoch \d+/300: batch")).wait_for(timeout=60_000)
    _tab_to(page, "Pause", "submit")
    page.keyboard.press("Space")
    page.get_by_text(re.compile(r"paused at epoch \d+/300")).wait_for(timeout=30_000)
    slider = _tab_to(page, "Learning rate", back=True)  # steer: one notch down
    assert slider["role"] in ("slider", "range"), slider
    page.keyboard.press("ArrowLeft")
    rate = page.locator("[data-testid='stMetric']", has_text="Learning rate")
    expect(rate).to_contain_text(re.compile(r"0\.0[0-9]+"), timeout=30_000)
    expect(page.get_by_role("button", name="Resume", exact=True)).to_be_visible()  # still paused
    _tab_to(page, "Resume", "submit")
    page.keyboard.press("Enter")
    page.get_by_text(re.compile(r"^epoch \d+/300: batch")).wait_for(timeout=30_000)
    _tab_to(page, "Stop", "submit")
    page.keyboard.press("Enter")
    page.get_by_text(re.compile("Stopped")).first.wait_for(timeout=30_000)

    # Results: browse, open a digit, the confusion matrix's drill-down
    _tab_to(page, "Results", back=True)
    page.keyboard.press("Enter")
    page.get_by_role("heading", name="Results on the test set").wait_for(timeout=30_000)
    settle(page)
    page.locator("[data-testid='stImage'] img").nth(9).wait_for(timeout=30_000)
    _focus_order(page, "results", 40)
    page.locator("[data-testid='stImage'] img").nth(9).wait_for(timeout=30_000)  # reloaded
    _ready(page)
    _tab_to(page, re.compile(r"^T:\S+ P:\S+$"))
    page.keyboard.press("Tab")
    digit = _tab_to(page, re.compile(r"^T:\S+ P:\S+$"))  # the third digit on the page
    index = int(digit["key"].removeprefix("st-key-digit-"))
    page.keyboard.press("Enter")
    page.get_by_text(f"test image #{index}:").wait_for(timeout=30_000)
    expect(page.get_by_role("img", name=re.compile(f"^test digit {index:,}: true"))
           ).to_have_count(2)  # in the grid and opened
    _ready(page)  # the digit's run is over: the tabs are not redrawn under the keys
    _tab_to(page, "Digits", "tab", back=True)
    page.keyboard.press("ArrowRight")
    page.keyboard.press("Enter")
    confusion = page.get_by_role("tab", name=re.compile("^Confusion matrix"))
    expect(confusion).to_have_attribute("aria-selected", "true")
    # the Digits tab has boxes of the same names: these are the drill-down's, on this tab
    _choose(page, "True class", "3")
    expect(page.get_by_text(re.compile(r"test digits of true class 3 predicted as"))
           ).to_be_visible(timeout=30_000)
    _ready(page)
    _choose(page, "Predicted class", "5")
    expect(page.get_by_text(re.compile(r"test digits of true class 3 predicted as 5"))
           ).to_be_visible(timeout=30_000)

    # Draw: without a mouse, a test digit goes through the same steps
    _tab_to(page, "Draw", back=True)
    page.keyboard.press("Enter")
    page.get_by_role("heading", name="Draw a digit").wait_for(timeout=30_000)
    settle(page)
    _tab_to(page, "Draw it", "radio")
    page.keyboard.press("ArrowRight")
    page.keyboard.press("ArrowRight")
    settle(page)
    _type_into(page, "Test digit number (0 to 9,999)", "7")
    expect(page.locator("[data-testid='stMetric']", has_text="Prediction")).to_have_count(1)
    expect(page.get_by_role("img", name=re.compile(r"^4\. centred by mass \(MNIST\): read as"))
           ).to_have_count(1)
    assert page.locator("[data-testid='stException']").count() == 0


def test_joining_a_class_and_the_teachers_tools_with_the_keyboard(server, person):
    teacher = person("en")
    open_page(teacher, server, "classroom")
    _tab_to(teacher, "Open a class", "submit")
    teacher.keyboard.press("Enter")
    teacher.locator("code", has_text="?class=").first.wait_for(timeout=30_000)
    settle(teacher)
    link = next(c for c in teacher.locator("code").all_inner_texts() if "?class=" in c)
    _tab_to(teacher, "I have written it down", "submit")
    teacher.keyboard.press("Enter")
    settle(teacher)
    _tab_to(teacher, "Set the challenge", "submit")
    teacher.keyboard.press("Enter")
    teacher.get_by_text("Challenge set").first.wait_for(timeout=30_000)

    student = person("en")
    code = link.split("?class=")[1].strip()
    open_page(student, server, f"classroom?class={code}")
    _tab_to(student, "Your nickname")
    student.keyboard.type("keys")
    _tab_to(student, "Join", "submit")
    student.keyboard.press("Enter")
    student.get_by_text("Share my finished runs with the class").wait_for(timeout=30_000)
