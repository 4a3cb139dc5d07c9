"""Digits drawn with the mouse in the real browser, read by the article's model and by the
deskewed one (the Draw page in Debian's chromium, as in tests/test_browser.py).

The strokes are bench.drawn_digits' paths (the first shape of each digit, leaning 20 degrees
left and 30 right, no jitter), moved along with the mouse on the canvas, whose brush is the
page's own. Measured here: the article's model 15 of 20, the deskewed one 18 of 20.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from playwright.sync_api import expect

from bench.drawn_digits import SHAPES, canvas_strokes
from support.e2e import CHROMIUM, chromium, open_page, server_exceptions, settle, streamlit_server

SLANTS = (-20, 30)
# True once the page shows a drawing canvas other than ``old`` (it lives in a shadow root)
NEW_CANVAS = """old => [...document.querySelectorAll('*')].filter(e => e.shadowRoot)
    .map(e => e.shadowRoot.querySelector('canvas.upper-canvas'))
    .some(c => c && c !== old && c.isConnected)"""
MODELS = {"article": "Pre-trained: the tutorial's 200 epochs",
          "deskewed": "Pre-trained: the same on deskewed digits"}


@pytest.fixture(scope="module")
def draw_page():
    assert Path(CHROMIUM).exists(), f"{CHROMIUM} is missing: apt-get install -y chromium"
    with streamlit_server() as (url, proc, log), chromium() as browser:
        page = browser.new_context(viewport={"width": 1400, "height": 1000}).new_page()
        open_page(page, url, "draw")
        yield page
        assert not server_exceptions(log.read_text()), log.read_text()[-5000:]


def _choose_model(page, label: str) -> None:
    page.locator("[data-testid='stSelectbox']").filter(
        has_text="Model shown on Results and Draw").click()
    page.get_by_role("option", name=re.compile(re.escape(label))).click()
    settle(page)
    expect(page.get_by_text(f"Model: {label}", exact=False)).to_have_count(1)


def _draw(page, strokes) -> str:
    """Draw ``strokes`` (canvas pixels) with the mouse; return the page's prediction."""
    canvas = page.locator("canvas.upper-canvas")
    canvas.wait_for(state="visible", timeout=30_000)
    box = canvas.bounding_box()
    for points in strokes:
        page.mouse.move(box["x"] + points[0][0], box["y"] + points[0][1])
        page.mouse.down()
        for x, y in points[1:]:
            page.mouse.move(box["x"] + x, box["y"] + y, steps=4)
        page.mouse.up()
    metric = page.locator("[data-testid='stMetric']")
    metric.wait_for(timeout=30_000)
    settle(page)
    text = metric.inner_text()
    prediction = re.search(r"Prediction\s*\n\s*(\d)\s*\n", text)
    assert prediction, text
    drawn_on = canvas.element_handle()
    page.get_by_role("button", name="Clear").click()
    page.get_by_text("Draw a digit on the black square").wait_for(timeout=30_000)
    # Clear mounts a new canvas component: strokes sent before its canvas exists are lost
    page.wait_for_function(NEW_CANVAS, arg=drawn_on, timeout=30_000)
    return prediction.group(1)


def test_slanted_mouse_drawn_digits_are_read_better_after_deskewing(draw_page):
    page, right = draw_page, {}
    for key, label in MODELS.items():
        _choose_model(page, label)
        right[key] = [_draw(page, canvas_strokes(shapes[0], slant)) == str(digit)
                      for digit, shapes in SHAPES.items() for slant in SLANTS]
    n = len(right["article"])
    print(f"mouse-drawn, slanted: article {sum(right['article'])}/{n}, "
          f"deskewed {sum(right['deskewed'])}/{n}")
    assert sum(right["deskewed"]) >= 0.8 * n
    assert sum(right["deskewed"]) > sum(right["article"])


def test_a_deskewing_model_shows_the_deskew_step(draw_page):
    page = draw_page
    _choose_model(page, MODELS["deskewed"])
    canvas = page.locator("canvas.upper-canvas")
    canvas.wait_for(state="visible", timeout=30_000)
    box = canvas.bounding_box()
    (points,) = canvas_strokes(SHAPES[1][0], 30)
    page.mouse.move(box["x"] + points[0][0], box["y"] + points[0][1])
    page.mouse.down()
    page.mouse.move(box["x"] + points[1][0], box["y"] + points[1][1], steps=12)
    page.mouse.up()
    page.locator("[data-testid='stMetric']").wait_for(timeout=30_000)
    settle(page)
    expect(page.get_by_text(re.compile("5. deskewed, as this model's training digits"))) \
        .to_have_count(1)
    expect(page.get_by_text(re.compile("then deskewed"))).to_have_count(1)
