"""Crafted links in a real browser (issue 19, item 6): the real server and Debian's chromium.
``/?preset=[Your session expired - click here](http://evil/phish)`` drew a live link inside
the app's own warning and ``/?lr=![](//evil/img)`` made the browser fetch an outside image.
Here no link, image or request to the outside comes of them, or of bare addresses, HTML,
colour directives and icons; the warnings show the values as typed.

AppTest (tests/test_crafted_links.py) sees the markdown the server sends; only a browser
shows what Streamlit's markdown renderer makes of it, so the escaping is checked here too.
"""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlencode, urlparse

import pytest

from support.e2e import CHROMIUM, checked_server, chromium, open_page

LINKS = {
    "preset": "[Your session expired - click here](http://evil.example/phish)",
    "lr": "![](//evil.example/img)",
    "l2": "see http://evil.example/p www.evil.example a@evil.example",
    "seed": "<img src=//evil.example/i> :red[ALERT] :material/warning: $x^2$",
}


@pytest.fixture(scope="module")
def server():
    with checked_server() as url:
        yield url


def test_crafted_links_draw_no_link_image_or_outside_request(server):
    assert Path(CHROMIUM).exists(), f"{CHROMIUM} is missing: apt-get install -y chromium"
    with chromium() as browser:
        page = browser.new_page()
        outside = []
        page.on("request", lambda r: outside.append(r.url)  # the page's own address has it
                if "evil" in r.url and urlparse(r.url).hostname != "127.0.0.1" else None)
        open_page(page, server, "?" + urlencode(LINKS))
        warnings = page.locator("[data-testid=stAlertContentWarning]").all_inner_texts()
        text = " ".join(w.replace("\u2060", "") for w in warnings)
        for value in LINKS.values():
            assert value in text, (value, warnings)  # shown as typed
        main = page.locator("[data-testid=stMain]")
        assert main.locator("a[href*=evil]").count() == 0
        assert main.locator("img[src*=evil]").count() == 0
        assert main.locator("[data-testid=stAlertContentWarning] span[role=img]").count() == 0
        assert main.locator("[data-testid=stAlertContentWarning] .katex").count() == 0
        assert not outside, outside
