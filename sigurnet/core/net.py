"""The client's address, as far as it can be trusted."""

from __future__ import annotations

import ipaddress

from django.conf import settings
from django.http import HttpRequest

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address


def parse_address(text: str) -> IPAddress | None:
    """An IP address from a header or socket value, or None if it is not one.

    Accepts what proxies write: ``198.51.100.7``, ``198.51.100.7:5678``, ``2001:db8::1``,
    ``[2001:db8::1]:443``. A zone (``%eth0``) is dropped and an IPv4-mapped IPv6 address is
    read as the IPv4 address, so that one client has one spelling.
    """
    text = text.strip()
    if text.startswith("["):  # [IPv6] or [IPv6]:port
        end = text.find("]")
        if end < 0 or (text[end + 1 :] and not _is_port(text[end + 1 :])):
            return None
        text = text[1:end]
    elif text.count(":") == 1:  # IPv4:port (an IPv6 address has at least two colons)
        text, port = text.split(":")
        if not _is_port(":" + port):
            return None
    text = text.split("%", 1)[0]
    try:
        address = ipaddress.ip_address(text)
    except ValueError:
        return None
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped
    return address


def _is_port(text: str) -> bool:
    return len(text) > 1 and text[0] == ":" and text[1:].isascii() and text[1:].isdigit()


def client_address(request: HttpRequest) -> IPAddress | None:
    """The client's IP address (None when even the socket gives none that parses).

    Behind ``SIGURNET_TRUSTED_PROXIES`` reverse proxies (nginx appends to X-Forwarded-For) the
    address is taken that many hops from the right of X-Forwarded-For; a client cannot forge it
    by sending its own header. A request that bypassed the proxies (fewer hops than configured,
    or an entry there that is not an address) falls back to the socket's address, as does a
    deployment without proxies.
    """
    hops = settings.SIGURNET_TRUSTED_PROXIES
    if hops > 0:
        forwarded = [
            part.strip()
            for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")
            if part.strip()
        ]
        if len(forwarded) >= hops:
            address = parse_address(forwarded[-hops])
            if address is not None:
                return address
    return parse_address(str(request.META.get("REMOTE_ADDR", "") or ""))


def client_ip(request: HttpRequest) -> str:
    """The client's IP address as text (see ``client_address``); empty when there is none."""
    address = client_address(request)
    return str(address) if address is not None else ""


def client_network(request: HttpRequest) -> str:
    """The client as sign-in lockouts see it: an IPv4 address, or an IPv6 client's /64.

    One IPv6 subscriber usually holds a whole /64, so counting each of its addresses apart would
    give them billions of fresh starts. The network is written as its first address
    (``2001:db8:1:2::``), which the address fields of the lockout records accept.
    """
    address = client_address(request)
    if address is None:
        return ""
    if isinstance(address, ipaddress.IPv6Address):
        return str(ipaddress.IPv6Network((address, 64), strict=False).network_address)
    return str(address)
