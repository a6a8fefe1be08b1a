"""Reads for the report page: where each content item is hosted (``HostingFacts``) and what
the removal checks found (``ContentItem``'s check fields, ``ContentCheck``).

Everything here is a plain read. The facts come from outside (DNS answers, the operator's
network database, an RDAP server): templates show them as text, escaped like everything else.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.conf import settings
from django.db.models import Count, OuterRef, Subquery
from django.utils import timezone

from sigurnet.core.countries import country_label
from sigurnet.hotline.forwarding.hosting import error_message
from sigurnet.hotline.models import ContentCheck, ContentItem, HostingFacts, ReportedURL


@dataclass
class ItemHosting:
    """One content item of a report, as the report page shows its hosting and its checks."""

    item: ContentItem
    shown: str  # the address or account as the reporter gave it (decrypted by the caller)
    position: int
    facts: HostingFacts | None
    # "not_looked_up", "found", "failed" or "no_host"
    look_up: str
    # A look-up asked for after the last one (or never run yet): waiting for the worker.
    queued_at: datetime | None
    country: str = ""  # "Netherlands (NL)" in the reader's language, "" when unknown
    addresses: list[dict[str, Any]] = field(default_factory=list)
    error: str = ""  # what went wrong, in words ("" when nothing did)
    error_detail: str = ""  # the technical detail, in English
    can_look_up: bool = False  # a web address (an account has no host to look up)
    check_count: int = 0
    last_check: ContentCheck | None = None
    confirmations: int = 3

    @property
    def checks_stopped(self) -> bool:
        """Checks ended by time (not by a removal): ``checks_until`` passed."""
        until = self.item.checks_until
        return (
            until is not None
            and self.item.state != ContentItem.State.REMOVED
            and until <= timezone.now()
        )


def _look_up_state(facts: HostingFacts | None) -> str:
    if facts is None or facts.looked_up_at is None:
        return "not_looked_up"
    return str(facts.outcome)


def _queued_at(facts: HostingFacts | None) -> datetime | None:
    if facts is None or facts.queued_at is None:
        return None
    if facts.looked_up_at is None or facts.queued_at > facts.looked_up_at:
        return facts.queued_at
    return None


def _address_rows(facts: HostingFacts) -> list[dict[str, Any]]:
    rows = []
    for entry in facts.addresses or []:
        if not isinstance(entry, dict):
            continue
        rows.append(
            {
                "address": str(entry.get("address", "")),
                "public": bool(entry.get("public")),
                "country": country_label(str(entry.get("country") or "")),
                "asn": entry.get("asn"),
                "network_name": str(entry.get("network_name") or ""),
            }
        )
    return rows


def report_hosting(urls: Sequence[ReportedURL]) -> list[ItemHosting]:
    """The hosting and the removal checks of each content item of ``urls`` (a report's
    ``ReportedURL`` rows, their ``submitted`` text already decrypted), in their order; an item
    named twice is listed once. Three queries, whatever the number of items; decrypts nothing
    more (the items' own encrypted columns are not read)."""
    order: dict[int, ReportedURL] = {}
    for url in urls:
        order.setdefault(url.content_item_id, url)
    if not order:
        return []
    last_check = ContentCheck.objects.filter(item=OuterRef("pk")).order_by("-checked_at", "-id")
    items = {
        item.pk: item
        for item in ContentItem.objects.filter(pk__in=list(order))
        .defer("canonical", "registrable_domain")
        .select_related("hosting")
        .annotate(check_count=Count("checks"), last_check_id=Subquery(last_check.values("pk")[:1]))
    }
    last_checks = ContentCheck.objects.in_bulk(
        [item.last_check_id for item in items.values() if item.last_check_id]  # type: ignore[attr-defined]
    )
    confirmations = max(1, settings.SIGURNET_CHECK_OFFLINE_CONFIRMATIONS)
    rows = []
    for item_id, url in order.items():
        item = items.get(item_id)
        if item is None:
            continue
        try:
            facts: HostingFacts | None = item.hosting
        except HostingFacts.DoesNotExist:
            facts = None
        row = ItemHosting(
            item=item,
            shown=url.submitted,
            position=url.position,
            facts=facts,
            look_up=_look_up_state(facts),
            queued_at=_queued_at(facts),
            can_look_up=item.kind == ContentItem.Kind.URL,
            check_count=item.check_count,  # type: ignore[attr-defined]
            last_check=last_checks.get(item.last_check_id),  # type: ignore[attr-defined]
            confirmations=confirmations,
        )
        if facts is not None and facts.looked_up_at is not None:
            row.country = country_label(facts.country)
            row.addresses = _address_rows(facts)
            row.error = error_message(facts.error_code)
            row.error_detail = facts.error
        rows.append(row)
    return rows
