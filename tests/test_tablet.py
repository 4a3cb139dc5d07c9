"""Tablets (768 x 1024, touch, no mouse): Draw takes a finger's stroke and every page fits.

Classes use tablets, and Teachable Machine's most reported classroom failure is the iPad.
These run the real server in Debian's chromium with touch emulation; without chromium they
fail, they do not skip. Screenshots go to ``screenshots/`` (ignored by git).
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from playwright.sync_api import expect

from support.e2e import CHROMIUM, ROOT, checked_server, chromium, open_page, settle

SHOTS = ROOT / "screenshots"
TABLET = {"viewport": {"width": 768, "height": 1024}, "has_touch": True, "is_mobile": True}
# ui.CHART_CONFIG's two buttons and Streamlit's own full-screen one
SMALL_TOOLBAR = {"Download plot as a PNG", "Reset axes", "Fullscreen"}
PAGES = ("", "results", "draw", "weights", "sweep", "how_it_works", "classroom")
# The canvas and the column that holds it, through the component's shadow root.
CANVAS_AND_COLUMN = """() => {
    const host = [...document.querySelectorAll('*')]
        .find(e => e.shadowRoot && e.shadowRoot.querySelector('canvas.upper-canvas'));
    const canvas = host.shadowRoot.querySelector('canvas.upper-canvas').getBoundingClientRect();
    const column = host.closest('[data-testid="stColumn"]').getBoundingClientRect();
    return {canvas: [canvas.left, canvas.right], column: [column.left, column.right]};
}"""


@pytest.fixture(scope="module")
def server():
    with checked_server() as url:
        yield url


@pytest.fixture(scope="module")
def tablet():
    assert Path(CHROMIUM).exists(), f"{CHROMIUM} is missing: apt-get install -y chromium"
    with chromium() as browser:
        context = browser.new_context(**TABLET)
        yield context, context.new_page()
        context.close()


def _stroke(context, page, points) -> None:
    """One finger stroke through ``points`` (page pixels), as touch events."""
    cdp = context.new_cdp_session(page)
    kinds = ["touchStart"] + ["touchMove"] * (len(points) - 1)
    for kind, (x, y) in zip(kinds, points, strict=True):
        cdp.send("Input.dispatchTouchEvent", {"type": kind, "touchPoints": [{"x": x, "y": y}]})
    cdp.send("Input.dispatchTouchEvent", {"type": "touchEnd", "touchPoints": []})
    cdp.detach()


def _line(a, b, steps: int) -> list[tuple[float, float]]:
    return [(a[0] + (b[0] - a[0]) * i / steps, a[1] + (b[1] - a[1]) * i / steps)
            for i in range(steps + 1)]


def test_a_finger_draws_a_digit_and_gets_a_prediction(server, tablet):
    context, page = tablet
    open_page(page, server, "draw")
    canvas = page.locator("canvas.upper-canvas")
    canvas.wait_for(state="visible", timeout=30_000)
    where = page.evaluate(CANVAS_AND_COLUMN)
    assert where["canvas"][1] - where["canvas"][0] == pytest.approx(280, abs=1)
    assert where["column"][0] - 1 <= where["canvas"][0], where  # not cut on the left
    assert where["canvas"][1] <= where["column"][1] + 1, where  # nor on the right
    box = canvas.bounding_box()
    x0, y0 = box["x"], box["y"]
    # a "7": the top bar, then the long diagonal, in one stroke of the finger
    _stroke(context, page, _line((x0 + 70, y0 + 60), (x0 + 210, y0 + 60), 12)
            + _line((x0 + 210, y0 + 60), (x0 + 120, y0 + 240), 15)[1:])
    metric = page.locator("[data-testid='stMetric']")
    metric.wait_for(timeout=30_000)
    settle(page)
    text = metric.inner_text()
    assert "Prediction" in text and re.search(r"\n7\n", text), text
    assert "with the mouse or a finger" in page.inner_text("body")  # not the mouse alone
    SHOTS.mkdir(exist_ok=True)
    page.screenshot(path=str(SHOTS / "tablet-draw-seven.png"), full_page=True)


def test_every_page_fits_768_px_and_charts_keep_a_small_toolbar(server, tablet):
    _, page = tablet
    SHOTS.mkdir(exist_ok=True)
    for path in PAGES:
        open_page(page, server, path)
        expect(page.locator("[data-testid='stException']")).to_have_count(0)
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= 768, f"/{path} is {width} px wide: it scrolls sideways on a tablet"
        buttons = page.evaluate("""() => [...document.querySelectorAll('.js-plotly-plot')]
            .flatMap(p => [...p.querySelectorAll('.modebar-btn')]
                          .map(b => b.getAttribute('data-title')))""")
        assert set(buttons) <= SMALL_TOOLBAR, (path, buttons)
        page.screenshot(path=str(SHOTS / f"tablet-{path or 'train'}.png"), full_page=True)
