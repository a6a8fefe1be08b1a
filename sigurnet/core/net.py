"""The client's address, as far as it can be trusted."""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest


def client_ip(request: HttpRequest) -> str:
    """The client's IP address.

    Behind ``SIGURNET_TRUSTED_PROXIES`` reverse proxies (nginx appends to X-Forwarded-For) the
    address is taken that many hops from the right of X-Forwarded-For; a client cannot forge it
    by sending its own header. Without proxies the socket's address is used.
    """
    hops = settings.SIGURNET_TRUSTED_PROXIES
    remote = request.META.get("REMOTE_ADDR", "") or ""
    if hops > 0:
        forwarded = [
            part.strip()
            for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")
            if part.strip()
        ]
        if len(forwarded) >= hops:
            return forwarded[-hops]
    return remote
