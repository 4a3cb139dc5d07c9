"""Who a request comes from (core.clients), for the fair training queue: the connection's
address, and X-Forwarded-For believed only from the configured proxies."""

from __future__ import annotations

from core.clients import DEFAULT_TRUSTED_PROXIES, client_address, parse_networks

LOOPBACK = parse_networks(None)  # the default: nginx on the same machine (deploy/)


def test_a_direct_visitor_is_its_own_address_and_its_forwarded_header_is_ignored():
    assert client_address("192.168.1.20", [], LOOPBACK) == "192.168.1.20"
    # a student cannot pose as 100 machines by sending the header themselves
    for fake in ("10.9.9.1", "10.9.9.2", "127.0.0.1", "garbage"):
        assert client_address("192.168.1.20", [fake], LOOPBACK) == "192.168.1.20"


def test_behind_a_trusted_proxy_the_address_it_forwarded_is_the_client():
    assert client_address("127.0.0.1", ["192.168.1.20"], LOOPBACK) == "192.168.1.20"
    # what the student sent comes first; nginx appends the address it saw: that one counts
    assert client_address("127.0.0.1", ["10.9.9.1, 192.168.1.20"], LOOPBACK) == "192.168.1.20"
    assert client_address("127.0.0.1", ["10.9.9.1", "192.168.1.20"], LOOPBACK) == "192.168.1.20"
    # a chain of trusted proxies is walked through
    two = parse_networks("127.0.0.1, 10.0.0.2")
    assert client_address("127.0.0.1", ["192.168.1.20, 10.0.0.2"], two) == "192.168.1.20"


def test_no_header_or_a_bad_entry_stops_at_the_last_address_known():
    assert client_address("127.0.0.1", [], LOOPBACK) == "127.0.0.1"
    assert client_address("127.0.0.1", ["not-an-address"], LOOPBACK) == "127.0.0.1"
    assert client_address("127.0.0.1", ["x" * 10_000], LOOPBACK) == "127.0.0.1"
    assert client_address("127.0.0.1", ["192.168.1.20, ::1"], LOOPBACK) == "192.168.1.20"
    # only the last MAX_FORWARDED entries are read: a huge header costs nothing
    assert client_address("127.0.0.1", [", ".join(["127.0.0.1"] * 100_000)],
                          LOOPBACK) == "127.0.0.1"


def test_trusted_proxies_setting():
    assert parse_networks("") == parse_networks(DEFAULT_TRUSTED_PROXIES)
    nets = parse_networks("10.0.0.0/8, bogus, ::1")
    assert [str(n) for n in nets] == ["10.0.0.0/8", "::1/128"]
    # a proxy at 10.1.2.3 is believed, the loopback no longer is
    assert client_address("10.1.2.3", ["192.168.1.20"], nets) == "192.168.1.20"
    assert client_address("127.0.0.1", ["192.168.1.20"], nets) == "127.0.0.1"
    # IPv6, and an IPv4 peer seen through a dual-stack socket
    assert client_address("::ffff:192.168.1.20", [], nets) == "192.168.1.20"
    assert client_address("2001:db8::5", ["192.168.1.20"], nets) == "2001:db8::5"
