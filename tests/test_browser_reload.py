"""Nothing lost on a reload (issue 22), in Debian's chromium: a student's runs live in the
browser's workspace on the server (core.workspaces, ui.workspace), not in one websocket
session. One training slot on this server (TRAINING_SLOTS=1), so a run left behind by a
reload would keep everyone else queued. Fails without chromium, never skips.
"""

from __future__ import annotations

import re
import time

import pytest
from playwright.sync_api import expect

from support.e2e import checked_server, open_page, set_number, settle


@pytest.fixture(scope="module")
def server():
    with checked_server({"TRAINING_SLOTS": "1"}) as url:
        yield url


def _points(page) -> int:
    """How many epochs the live chart shows (its first trace's points; -1: no chart yet)."""
    return page.evaluate("""() => {
        const plots = [...document.querySelectorAll('.js-plotly-plot')];
        const curves = plots.find(p => p.data && p.data[0] && p.data[0].name === 'train');
        return curves ? curves.data[0].x.length : -1;
    }""")


def _wait_for_points(page, more_than: int, timeout: float = 60.0) -> int:
    deadline = time.monotonic() + timeout
    while (n := _points(page)) <= more_than:
        assert time.monotonic() < deadline, f"the chart stayed at {n} epochs"
        time.sleep(0.1)
    return n


def _start(page, epochs: int) -> None:
    set_number(page, "Epochs", epochs)
    page.get_by_role("button", name="Start").click()


def _no_exception(page) -> None:
    assert page.locator("[data-testid='stException']").count() == 0, page.inner_text("body")


def test_a_reload_mid_run_finds_the_same_run_live_with_working_controls(server, browser):
    student = browser.new_context(viewport={"width": 1400, "height": 1000})
    other = browser.new_context(viewport={"width": 1400, "height": 1000})
    page, neighbour = student.new_page(), other.new_page()
    try:
        open_page(page, server)
        _start(page, 400)
        before = _wait_for_points(page, 1)
        page.reload()
        page.get_by_role("heading", level=1).first.wait_for(timeout=30_000)
        # the same run, its curves drawn from the start, still growing: not a fresh page
        after = _wait_for_points(page, before)
        assert after > before
        assert "press Start" not in page.inner_text("body")
        expect(page.get_by_role("button", name="Start")).to_be_disabled()
        # its controls work: Pause holds it, and a paused run gives its slot away
        page.get_by_role("button", name="Pause").click()
        expect(page.get_by_role("button", name="Resume")).to_be_visible(timeout=30_000)
        open_page(neighbour, server)
        _start(neighbour, 1)  # one slot: it trains only if the reload left no run behind
        expect(neighbour.get_by_text(re.compile("Test accuracy"))).to_be_visible(timeout=60_000)
        held = _points(page)
        page.get_by_role("button", name="Resume").click()
        _wait_for_points(page, held)
        page.get_by_role("button", name="Stop").click()
        expect(page.get_by_role("button", name="Start")).to_be_enabled(timeout=30_000)
        _no_exception(page)
        _no_exception(neighbour)
    finally:
        student.close()
        other.close()


def test_a_closed_and_reopened_tab_finds_its_runs(server, browser):
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    try:
        page = context.new_page()
        open_page(page, server)
        _start(page, 2)
        expect(page.get_by_text(re.compile("Test accuracy"))).to_be_visible(timeout=60_000)
        page.close()
        page = context.new_page()
        open_page(page, server)
        assert _wait_for_points(page, 0) == 2  # the finished run, both epochs
        expect(page.get_by_text(re.compile("Test accuracy"))).to_be_visible()
        assert "press Start" not in page.inner_text("body")
        _no_exception(page)
    finally:
        context.close()


def test_a_settings_link_gives_another_browser_the_settings_not_the_workspace(server, browser):
    owner = browser.new_context(viewport={"width": 1400, "height": 1000})
    friend = browser.new_context(viewport={"width": 1400, "height": 1000})
    try:
        page = owner.new_page()
        open_page(page, server)
        set_number(page, "Seed", 7)
        _start(page, 2)
        expect(page.get_by_text(re.compile("Test accuracy"))).to_be_visible(timeout=60_000)
        link = page.url
        assert "seed=7" in link
        theirs = friend.new_page()
        theirs.goto(link)
        theirs.get_by_role("heading", level=1).first.wait_for(timeout=30_000)
        settle(theirs)
        expect(theirs.get_by_label("Seed", exact=True)).to_have_value("7")
        assert "press Start" in theirs.inner_text("body")  # no run: not the owner's workspace
        assert _points(theirs) in (-1, 0)
        _no_exception(theirs)
    finally:
        owner.close()
        friend.close()
