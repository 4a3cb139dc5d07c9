"""End to end: the real server, Debian's chromium driven by playwright, mouse and all.

Screenshots of each page go to ``screenshots/`` (ignored by git) for a person to look at.
These tests need /usr/bin/chromium (``bash run.sh test`` installs it); without it they
fail, they do not skip.
"""

from __future__ import annotations

import re
import time

import pytest
from playwright.sync_api import expect

from support.e2e import (
    ROOT,
    checked_server,
    open_page,
    server_exceptions,
    set_number,
    settle,
    streamlit_server,
)

SHOTS = ROOT / "screenshots"


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


@pytest.fixture(scope="module")
def shipped():
    """The shipped model's evaluation on the MNIST test set, computed with core/: the pages
    must show the same numbers (they change whenever the model is retrained)."""
    from core.data import load_mnist
    from core.metrics import evaluate
    from core.model_file import load_model

    data = load_mnist()
    model = load_model(ROOT / "data" / "default_model.npz")
    return evaluate(model, data.features("test"), data.y_test)


def _no_exception(page) -> None:
    assert page.locator("[data-testid='stException']").count() == 0, page.inner_text("body")


def _shot(page, name: str) -> None:
    SHOTS.mkdir(exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


def _points_in_curves(page) -> int:
    """How many epochs the live loss chart shows (markers of its first trace)."""
    return page.evaluate("""() => {
        const plots = [...document.querySelectorAll('.js-plotly-plot')];
        const curves = plots.find(p => p.data && p.data[0] && p.data[0].name === 'train'
                                       && p.data[0].hovertemplate.includes('loss'));
        return curves ? curves.data[0].x.length : -1;
    }""")


def test_every_page_opens(server, page, shipped):
    pages = (("", "Train a softmax regression"), ("results", "Results on the test set"),
             ("draw", "Draw a digit"), ("weights", None), ("sweep", None), ("how_it_works", None))
    for path, heading in pages:
        open_page(page, server, path)
        if heading:
            assert page.get_by_role("heading", name=heading).count() == 1
        if path == "results":
            page.locator("[data-testid='stImage'] img").nth(9).wait_for(timeout=30_000)
        if path == "weights":
            page.locator(".js-plotly-plot").first.wait_for(timeout=30_000)
        _no_exception(page)
        _shot(page, f"page-{path or 'train'}")
    open_page(page, server, "results")
    expect(page.get_by_text(f"{shipped.n_wrong:,} incorrect of 10,000").first).to_be_visible()


@pytest.mark.parametrize("width", [1280, 1400, 1920])
def test_results_digit_titles_read_in_full(server, browser, width):
    """Every "T:<true> P:<pred>" title of the digit grid fits its button: a button cuts a
    label that does not fit to "T:2 ..." (8 columns did at 1400 px). A cut title's text is
    wider than its box: scrollWidth > clientWidth."""
    context = browser.new_context(viewport={"width": width, "height": 1000})
    page = context.new_page()
    try:
        open_page(page, server, "results")
        # Each button is drawn twice, once hidden (the variant with its tooltip): the
        # visible ones are the ones a student reads.
        titles = page.locator("[data-testid='stButton'] button:visible",
                              has_text=re.compile(r"^T:\S+ P:\S+$"))
        expect(titles).to_have_count(40)  # one page of digits
        page.evaluate("document.fonts.ready.then(() => true)")  # widths in the final font
        boxes = titles.evaluate_all("""buttons => buttons.map(b => {
            const text = b.querySelector('[data-testid="stMarkdownContainer"]');
            return {title: text.innerText, text: text.scrollWidth, box: text.clientWidth};
        })""")
        cut = [b for b in boxes if b["text"] > b["box"] or b["box"] == 0]
        assert not cut, f"titles cut at {width} px: {cut}"
        _no_exception(page)
        _shot(page, f"results-grid-{width}")
    finally:
        context.close()


def test_training_chart_grows_live_and_survives_leaving_the_page(server, page):
    open_page(page, server)
    set_number(page, "Epochs", 30)
    page.get_by_role("button", name="Start").click()
    page.wait_for_function("() => document.body.innerText.includes('batch')", timeout=30_000)
    seen = set()
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and len(seen) < 3:
        n = _points_in_curves(page)
        if n > 0:
            seen.add(n)
        time.sleep(0.1)
    assert len(seen) >= 3, f"the chart did not grow live: saw {sorted(seen)} points"
    _shot(page, "train-running")
    # leave for Results and come back: the same run is still there, further along
    before = max(seen)
    page.get_by_role("link", name="Results").click()
    page.get_by_role("heading", name="Results on the test set").wait_for()
    page.get_by_role("link", name="Train").click()
    page.get_by_role("heading", name="Train a softmax regression").wait_for()
    page.wait_for_function("() => document.body.innerText.includes('Test accuracy')",
                           timeout=90_000)
    deadline = time.monotonic() + 10  # plotly redraws a moment after the text changes
    while _points_in_curves(page) != 30 and time.monotonic() < deadline:
        time.sleep(0.1)
    assert _points_in_curves(page) == 30 > before
    _no_exception(page)
    _shot(page, "train-finished")


def test_divergence_is_explained(server, page):
    open_page(page, server)
    slider = page.get_by_role("slider", name="Learning rate")
    slider.focus()
    slider.press("End")  # the largest learning rate, 10
    settle(page)
    set_number(page, "Epochs", 10)  # at learning rate 10 it diverges in epoch 5
    page.get_by_role("button", name="Start").click()
    page.get_by_text(re.compile("Training diverged")).first.wait_for(timeout=60_000)
    assert page.get_by_text(re.compile("Try a learning rate of 1")).count() == 1
    _no_exception(page)
    _shot(page, "train-diverged")


def test_drawing_a_digit_gets_a_prediction(server, page):
    open_page(page, server, "draw")
    expect(page.get_by_text("Draw a digit on the black square")).to_have_count(1)
    canvas = page.locator("canvas.upper-canvas")
    canvas.wait_for(state="visible", timeout=30_000)
    box = canvas.bounding_box()
    x0, y0 = box["x"], box["y"]
    # a "7": the top bar, then the long diagonal
    page.mouse.move(x0 + 70, y0 + 60)
    page.mouse.down()
    page.mouse.move(x0 + 210, y0 + 60, steps=12)
    page.mouse.move(x0 + 120, y0 + 240, steps=15)
    page.mouse.up()
    metric = page.locator("[data-testid='stMetric']")
    metric.wait_for(timeout=30_000)
    settle(page)
    text = metric.inner_text()
    assert "Prediction" in text and re.search(r"\n7\n", text), text
    expect(page.get_by_text("What the model sees")).to_have_count(1)
    # why 7: the exact pixel account, and the model's answer after each preprocessing step
    expect(page.get_by_role("heading", name="Why 7?")).to_have_count(1)
    expect(page.get_by_text(re.compile(r"= z7 - z\d"))).to_have_count(1)
    expect(page.get_by_text(re.compile("4. centred by mass"))).to_have_count(1)
    _no_exception(page)
    _shot(page, "draw-seven")
    page.get_by_role("button", name="Clear").click()
    page.get_by_text("Draw a digit on the black square").wait_for(timeout=30_000)
    assert page.locator("[data-testid='stMetric']").count() == 0


def test_a_shared_link_opens_with_its_settings_and_notes_bad_values(server, page):
    open_page(page, server, "?preset=lambda-too-high&epochs=7&lr=0.5&seed=3&batch=oops")
    expect(page.get_by_label("Epochs", exact=True)).to_have_value("7")
    expect(page.get_by_label("Seed", exact=True)).to_have_value("3")
    assert page.get_by_role("slider", name="Learning rate").get_attribute("aria-valuetext") == "0.5"
    assert page.get_by_role("slider", name="L2 lambda").get_attribute("aria-valuetext") == "0.1"
    expect(page.get_by_text(re.compile("batch=.oops. is not a number"))).to_have_count(1)
    expect(page.get_by_text("What to watch for")).to_have_count(1)  # the lesson's note
    _no_exception(page)
    _shot(page, "train-shared-link")


def test_uploading_a_bad_model_says_why_and_changes_nothing(server, page, shipped):
    open_page(page, server, "results")
    accuracy = page.get_by_text(re.compile(re.escape(f"Test accuracy {shipped.accuracy:.2%}")))
    expect(accuracy).to_have_count(1)
    page.get_by_test_id("stFileUploaderDropzoneInput").set_input_files(files=[
        {"name": "broken.npz", "mimeType": "application/octet-stream",
         "buffer": b"this is not a model"}])
    page.get_by_text(re.compile("Upload refused, nothing changed")).wait_for(timeout=30_000)
    assert page.get_by_text(re.compile("not a valid .npz model file")).count() == 1
    settle(page)
    expect(accuracy).to_have_count(1)  # unchanged
    _no_exception(page)
    _shot(page, "upload-refused")


def test_clicking_a_confusion_cell_drills_down_with_why_maps(server, page):
    open_page(page, server, "results")
    page.get_by_role("tab", name=re.compile("Confusion matrix")).click()
    points = page.locator(".js-plotly-plot .scatterlayer .trace .points path")
    points.nth(99).wait_for(timeout=30_000)
    box = points.nth(4 * 10 + 9).bounding_box()  # row: true 4, column: predicted 9
    page.mouse.click(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    heading = page.get_by_text(re.compile(r"test digits of true class 4 predicted as 9"))
    heading.wait_for(timeout=30_000)
    settle(page)
    assert "why 9 and not 4" in page.get_by_text(re.compile("why 9 and not 4")).inner_text()
    _no_exception(page)
    _shot(page, "results-confusion-drill")


def test_pinned_run_is_drawn_faded_under_the_live_one(server, page):
    open_page(page, server)
    set_number(page, "Epochs", 2)
    page.get_by_role("button", name="Start").click()
    page.get_by_text(re.compile("Finished 2 epochs")).wait_for(timeout=60_000)
    settle(page)
    page.get_by_role("button", name="Reset", exact=True).click()
    settle(page)
    page.get_by_role("button", name="Start").click()
    page.get_by_text(re.compile("Finished 2 epochs")).wait_for(timeout=60_000)
    settle(page)
    page.get_by_test_id("stMultiSelect").click()
    page.keyboard.press("ArrowDown")
    page.keyboard.press("Enter")
    page.keyboard.press("Escape")
    page.wait_for_function("""() => [...document.querySelectorAll('.js-plotly-plot')]
        .some(p => p.data && p.data.some(t => t.opacity === 0.35))""", timeout=30_000)
    assert page.get_by_text("Download all runs' metrics (CSV)").count() == 1
    _no_exception(page)
    _shot(page, "train-pinned")


def test_closing_the_tab_pauses_its_run_and_frees_the_slot(browser):
    """One training slot; A trains, B queues behind it; A's tab closes: within about
    35 s (watchdog interval + grace) A's run pauses (it goes on when A's browser comes
    back: tests/test_browser_reload.py) and B's starts by itself."""
    with streamlit_server({"TRAINING_SLOTS": "1"}) as (url, proc, log):
        a, b = (browser.new_context(viewport={"width": 1400, "height": 1000}) for _ in range(2))
        page_a, page_b = a.new_page(), b.new_page()
        open_page(page_a, url)
        set_number(page_a, "Epochs", 500)  # the most one run may train here (MAX_RUN_EXAMPLES)
        page_a.get_by_role("button", name="Start").click()
        page_a.wait_for_function("() => document.body.innerText.includes('batch')", timeout=30_000)
        open_page(page_b, url)
        page_b.get_by_role("button", name="Start").click()
        page_b.get_by_text(re.compile("Queued: 0 ahead of you")).wait_for(timeout=30_000)
        _shot(page_b, "train-queued")
        a.close()  # the student closes the tab
        # "within about a minute" (the watchdog checks every 5 s and allows 30 s of absence)
        page_b.wait_for_function("() => /epoch \\d+\\/200: batch/.test(document.body.innerText)",
                                 timeout=75_000)
        b.close()
        assert not server_exceptions(log.read_text()), log.read_text()[-5000:]
