"""Who is asking: the client a request comes from, for the fair training queue.

Streamlit gives a session no per-browser identity that a student cannot reset (no cookie
of ours, and a new tab is a new session), so a *client* is the address of the machine the
browser runs on: the TCP peer of its websocket. Behind a reverse proxy (deploy/'s nginx)
every peer is the proxy; the proxy then names the real peer in ``X-Forwarded-For``
("client, proxy1, proxy2", each proxy appending the address it was reached from). Anyone
can *send* that header, so it is believed only as far as the proxies that wrote it are
trusted: walking from the right (the entry the last proxy wrote), every trusted address is
skipped and the first untrusted one is the client. A direct visitor's header is ignored.

Which addresses are proxies is the server admin's setting, ``TRUSTED_PROXIES``: a comma-
separated list of addresses or networks (``127.0.0.1``, ``10.0.0.0/8``, ``::1``); by
default the loopback addresses, where deploy/replicas.sh puts nginx. Many students behind
one NAT address are one client: see README ("Serving a classroom").
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable

Network = ipaddress.IPv4Network | ipaddress.IPv6Network

DEFAULT_TRUSTED_PROXIES = "127.0.0.0/8, ::1"
MAX_FORWARDED = 16  # entries of X-Forwarded-For read at most (from the right)
MAX_ADDRESS_CHARS = 64  # a longer entry is not an address


def parse_networks(text: str | None) -> tuple[Network, ...]:
    """``"127.0.0.1, 10.0.0.0/8"`` as networks; entries that are not addresses or networks
    are left out. None or blank: :data:`DEFAULT_TRUSTED_PROXIES`."""
    if text is None or not text.strip():
        text = DEFAULT_TRUSTED_PROXIES
    networks = []
    for item in text.split(","):
        try:
            networks.append(ipaddress.ip_network(item.strip()[:MAX_ADDRESS_CHARS], strict=False))
        except ValueError:
            continue
    return tuple(networks)


def _address(text: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        address = ipaddress.ip_address(text.strip()[:MAX_ADDRESS_CHARS])
    except ValueError:
        return None
    mapped = getattr(address, "ipv4_mapped", None)  # ::ffff:10.0.0.5 from a dual-stack socket
    return mapped or address


def _trusted(address, proxies: tuple[Network, ...]) -> bool:
    return address is not None and any(address in net for net in proxies
                                       if net.version == address.version)


def client_address(peer: str, forwarded_for: Iterable[str] = (),
                   proxies: tuple[Network, ...] = ()) -> str:
    """The client's address: ``peer`` (the connection's), or, when ``peer`` is a trusted
    proxy, the right-most untrusted address of the ``X-Forwarded-For`` header values (in
    the order received). An entry that is not an address ends the walk: the proxy before it
    is the client. Shape: a normalised address string such as ``"192.168.1.20"``."""
    here = _address(peer)
    client = str(here) if here is not None else peer[:MAX_ADDRESS_CHARS]
    if not _trusted(here, proxies):
        return client
    entries = [e for value in forwarded_for for e in value.split(",") if e.strip()]
    for entry in reversed(entries[-MAX_FORWARDED:]):
        address = _address(entry)
        if address is None:
            return client
        client = str(address)
        if not _trusted(address, proxies):
            return client
    return client
