"""The address students should open (core.network, ui.network; issue 24 item 3): a teacher on
``http://localhost:8501`` shows the class the laptop's address on the network, on the Class
page (the join link) and on the projector view (the link and its QR code)."""

from __future__ import annotations

import asyncio
import subprocess
import time

import pytest

from core.network import is_local_only, lan_address, student_url
from support.e2e import streamlit_server
from support.load_protocol import BrowserTab


@pytest.mark.parametrize("host", ["localhost", "LOCALHOST", "127.0.0.1", "127.3.4.5", "::1",
                                  "[::1]", "0.0.0.0", "app.localhost", "", None])
def test_loopback_hosts_mean_this_computer(host):
    assert is_local_only(host)


@pytest.mark.parametrize("host", ["192.168.1.23", "10.0.0.5", "class.school.example", "fe80::1",
                                  "2001:db8::5"])
def test_network_hosts_are_kept(host):
    assert not is_local_only(host)


def test_a_localhost_page_becomes_the_lan_address_with_the_browsers_port():
    got = student_url("http://localhost:8501/classroom?class=K7QMXD&lang=ja", "localhost:8501",
                      8501, "192.168.1.23")
    assert got == "http://192.168.1.23:8501/classroom?class=K7QMXD&lang=ja"
    # a proxy on this laptop (nginx on :8080 in front of a server on :8601): the browser's port
    assert student_url("http://127.0.0.1:8080/classroom", "127.0.0.1:8080", 8601,
                       "10.0.0.7") == "http://10.0.0.7:8080/classroom"
    assert student_url("http://[::1]:8501/", None, 8501, "fd00::7") == "http://[fd00::7]:8501/"
    assert student_url("https://localhost/app/classroom", None, 8501, "10.0.0.7") == \
        "https://10.0.0.7/app/classroom"  # the scheme's own port, as the browser used it


def test_an_address_on_the_network_is_kept_as_the_browser_has_it():
    """Behind a proxy or on a school server the page's own host is what students open."""
    for url in ("https://mnist.school.example/classroom?class=K7QMXD",
                "http://192.168.1.23:8501/classroom"):
        assert student_url(url, "whatever", 8501, "10.0.0.7") == url


def test_without_a_page_address_the_host_header():
    assert student_url("", "localhost:9000", 8501, "10.0.0.7") == "http://10.0.0.7:9000/"
    assert student_url("", "mnist.example", 8501, "10.0.0.7") == "http://mnist.example/"
    assert student_url("", None, 8501, "10.0.0.7") == ""  # unknown: the page links relatively
    assert student_url("http://localhost:8501/", None, 8501, None) == "http://localhost:8501/"


def _route_source() -> str:
    """The kernel's own answer: ``ip route get`` to the same documentation address."""
    out = subprocess.run(["ip", "route", "get", "198.51.100.1"], capture_output=True,
                         text=True, check=True).stdout.split()
    return out[out.index("src") + 1]


def test_the_lan_address_is_the_default_routes_source():
    assert lan_address() == _route_source()
    assert not is_local_only(lan_address())


async def _texts(url: str, page: str, query: str = "", click: str | None = None):
    """(the markdown and code texts on ``page``, errors) as a browser tab opening it sees."""
    tab = BrowserTab(url, timeout=90, page=page, query=query)
    async with tab.connect() as ws:
        tab.ws = ws
        deadline = time.monotonic() + 90
        await tab._full_rerun("load", deadline)
        if click:
            trigger = tab._widget("button", click).button.id
            tab.page_script_hash = ""  # ask for the page by name (see hosting_support)
            await tab._full_rerun("click", deadline, trigger=trigger)
    texts = []
    for shown in tab.page.values():
        kind = shown.element.WhichOneof("type")
        if kind == "markdown":
            texts.append(shown.element.markdown.body)
        elif kind == "code":
            texts.append(shown.element.code.code_text)
    return texts, tab.result.errors


@pytest.mark.timeout(300)
def test_the_class_page_and_the_projector_show_the_network_address(tmp_path):
    """A teacher on http://127.0.0.1:PORT opens a class: the join link under the code is
    http://<lan>:PORT/classroom?class=CODE, and the projector view shows the same link (its
    QR code is made from that text: ui.projector._header)."""
    lan = _route_source()
    env = {"CLASSROOM_DIR": str(tmp_path), "CLASSROOM_DB_URL": ""}
    with streamlit_server(env) as (url, _proc, _log):
        port = url.rsplit(":", 1)[1]
        texts, _ = asyncio.run(_texts(url, "classroom", click="Open a class"))
        links = [t for t in texts if "/classroom?class=" in t]
        assert links and links[0].startswith(f"http://{lan}:{port}/classroom?class="), texts
        code = links[0].split("class=")[1][:6]
        texts, errors = asyncio.run(_texts(url, "projector", query=f"class={code}"))
        assert not errors, errors
        assert any(f"http://{lan}:{port}/classroom?class={code}" in t for t in texts), texts
        assert not any("127.0.0.1" in t for t in texts), texts
