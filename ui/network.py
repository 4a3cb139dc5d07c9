"""The address students should open, for this page (core.network): the page's own address
(st.context.url) with a loopback host replaced by the server's address on the network, so
that a teacher on ``http://localhost:8501`` shows the class ``http://192.168.1.23:8501``."""

from __future__ import annotations

import functools
import time

import streamlit as st

from core.network import lan_address, student_url

LAN_SECONDS = 30  # the laptop may change networks: look the address up again this often


@functools.lru_cache(maxsize=1)
def _lan(_period: int) -> str | None:
    return lan_address()


def student_page_url() -> str:
    """This page's address as students should open it ("" when unknown)."""
    headers = st.context.headers
    host = headers.get("Host") if headers is not None else None
    port = int(st.get_option("server.port") or 8501)
    return student_url(st.context.url or "", host, port,
                       _lan(int(time.monotonic() // LAN_SECONDS)))
