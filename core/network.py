"""The address students should open: the server's address on the network, not ``localhost``.

A teacher who starts the app on a laptop opens it as ``http://localhost:8501``; that address
means *this computer* to every student's browser, so a join link or QR code built from it
leads nowhere. :func:`student_url` keeps the address the teacher's browser used when it
already names the server on the network (a proxy's name, the school server's name, the
laptop's IP) and otherwise swaps the loopback host for :func:`lan_address`, the IP of the
interface the laptop's default route leaves by, keeping the port the browser used.

:func:`lan_address` asks the kernel which local address a UDP socket *connected* to a
documentation-only address (198.51.100.1, TEST-NET-2, RFC 5737: never on the internet) would
send from; connecting a UDP socket only picks the route, nothing is sent. No default route
(an offline laptop): None, and the page's own address is kept.
"""

from __future__ import annotations

import ipaddress
import socket
from urllib.parse import urlsplit, urlunsplit

PROBES = ((socket.AF_INET, ("198.51.100.1", 9)), (socket.AF_INET6, ("2001:db8::1", 9)))
LOOPBACK_NAMES = {"localhost", "localhost.localdomain", "ip6-localhost", "ip6-loopback"}


def is_local_only(host: str | None) -> bool:
    """Is ``host`` a name or address that means "this computer" (or no host at all)?"""
    if not host:
        return True
    host = host.strip("[]").lower()
    if host in LOOPBACK_NAMES or host.endswith(".localhost"):
        return True
    try:
        ip = ipaddress.ip_address(host)
    except ValueError:
        return False
    return ip.is_loopback or ip.is_unspecified


def lan_address() -> str | None:
    """This machine's address on its network: the source address of its default route (IPv4
    first, then IPv6), or None when it has no route out."""
    for family, probe in PROBES:
        try:
            with socket.socket(family, socket.SOCK_DGRAM) as probe_socket:
                probe_socket.connect(probe)  # UDP: picks a route, sends nothing
                address = probe_socket.getsockname()[0]
        except OSError:
            continue
        if not is_local_only(address) and not ipaddress.ip_address(address).is_link_local:
            return address
    return None


def _netloc(host: str, port: int | None) -> str:
    host = f"[{host}]" if ":" in host else host
    return f"{host}:{port}" if port else host


def student_url(page_url: str, host_header: str | None, server_port: int,
                lan: str | None) -> str:
    """The address students should open for the page at ``page_url`` (st.context.url, the
    address in the teacher's browser; when empty, ``http://<Host header>/``; with neither,
    "": the caller keeps a relative link): unchanged when its host names the server on the
    network, else with the host replaced by ``lan``, keeping the port the browser used (the
    server's, or a proxy's in front of it; ``server_port`` when that port is not a number).
    Unchanged when ``lan`` is None."""
    url = page_url or (f"http://{host_header}/" if host_header else "")
    if lan is None or not url:
        return url
    parts = urlsplit(url)
    if not parts.netloc or not is_local_only(parts.hostname):
        return url
    try:
        port = parts.port  # None: the scheme's own port, as the browser used it
    except ValueError:  # not a number: the server's
        port = server_port
    return urlunsplit((parts.scheme, _netloc(lan, port), parts.path, parts.query,
                       parts.fragment))
