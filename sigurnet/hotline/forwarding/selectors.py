"""Forwarding reads: suggested recipients, who a dispatch goes to and in which language, and
the dispatch list of the analysts."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

from django.conf import settings
from django.core.paginator import Page, Paginator
from django.db.models import Prefetch, QuerySet
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from sigurnet.core.models import ContactPerson, Institution
from sigurnet.hotline.models import (
    Assessment,
    ContentItem,
    Dispatch,
    DispatchKind,
    Report,
    ReportedURL,
)

# The languages a dispatch can be written in (the platform's own).
MAIL_LANGUAGES = ("en", "sr-latn", "sr", "bs")
DISPATCH_PAGE_SIZE = 50

# What a dispatch to an institution of each kind is, when an analyst adds one by hand.
KIND_FOR_INSTITUTION: dict[str, str] = {
    Institution.Kind.POLICE: DispatchKind.POLICE,
    Institution.Kind.PROSECUTOR: DispatchKind.PROSECUTOR,
    Institution.Kind.PARTNER_HOTLINE: DispatchKind.PARTNER_HOTLINE,
    Institution.Kind.HOSTING_PROVIDER: DispatchKind.TAKEDOWN,
    Institution.Kind.PLATFORM: DispatchKind.PLATFORM,
    Institution.Kind.MINISTRY: DispatchKind.AUTHORITY,
    Institution.Kind.SOCIAL_WORK: DispatchKind.AUTHORITY,
    Institution.Kind.HEALTH: DispatchKind.AUTHORITY,
    Institution.Kind.SCHOOL_AUTHORITY: DispatchKind.AUTHORITY,
}
# Outcomes of an assessment after which a report may be forwarded: illegal, or harmful (a
# platform may still act on its own rules).
FORWARDABLE_OUTCOMES = (Assessment.Outcome.ACTIONABLE, Assessment.Outcome.HARMFUL)


class SuggestionLike(Protocol):
    @property
    def institution(self) -> Institution: ...
    @property
    def kind(self) -> str: ...
    @property
    def items(self) -> Sequence[ContentItem]: ...
    @property
    def reason(self) -> str | Promise: ...


@dataclass(frozen=True)
class Suggestion:
    """A recipient the forwarding page offers (the same shape as
    ``forwarding.recipients.Suggestion``)."""

    institution: Institution
    kind: str
    items: Sequence[ContentItem] = field(default_factory=list)
    reason: str | Promise = ""


def suggestions(report: Report) -> Sequence[SuggestionLike]:
    """The recipients to offer for ``report``: ``forwarding.recipients.suggest_recipients``
    (hosting facts and the registry). While the hosting of an item is not known (not looked
    up yet, the look-up failed, or no country was found), the centre's own police unit and
    prosecutor's office are offered too (``_suggested``): the analyst must not be left with
    nothing to confirm."""
    from sigurnet.hotline.forwarding.recipients import suggest_recipients
    from sigurnet.hotline.models import HostingFacts

    found: list[SuggestionLike] = list(suggest_recipients(report))
    items = report_items(report)
    # Known: found and placed in a country (an address that the registry data cannot place,
    # or a private one, says nothing about who should receive it).
    known = set(
        HostingFacts.objects.filter(item__in=items, outcome=HostingFacts.Outcome.FOUND)
        .exclude(country="")
        .values_list("item_id", flat=True)
    )
    if any(item.pk not in known for item in items):
        offered = {(s.institution.pk, s.kind) for s in found}
        found += [s for s in _suggested(report) if (s.institution.pk, s.kind) not in offered]
    return found


def _suggested(report: Report) -> list[Suggestion]:
    """The minimal suggestion: the police unit and the prosecutor's office of the centre's own
    country, from the registry, for every item of the report."""
    from sigurnet.core.selectors import get_profile

    country = get_profile().country.upper()
    items = report_items(report)
    reasons: dict[str, Promise] = {
        Institution.Kind.POLICE: _(
            "The national police unit for high-tech crime (where the content is hosted is "
            "not known yet)."
        ),
        Institution.Kind.PROSECUTOR: _(
            "The prosecutor's office for high-tech crime (where the content is hosted is not "
            "known yet)."
        ),
    }
    found = Institution.objects.filter(
        country=country, kind__in=list(reasons), is_active=True
    ).order_by("kind", "name")
    return [
        Suggestion(
            institution=institution,
            kind=KIND_FOR_INSTITUTION[institution.kind],
            items=items,
            reason=reasons[institution.kind],
        )
        for institution in found
    ]


def report_items(report: Report) -> list[ContentItem]:
    """The content items of a report, in the order the reporter gave them."""
    rows = ReportedURL.objects.filter(report=report).select_related("content_item")
    seen: dict[int, ContentItem] = {}
    for row in rows.order_by("position", "id"):
        seen.setdefault(row.content_item_id, row.content_item)
    return list(seen.values())


def newest_assessment(report: Report) -> Assessment | None:
    return (
        report.assessments.select_related("legal_basis", "confirmed_by")
        .order_by("-created_at", "-id")
        .first()
    )


def item_line(item: ContentItem) -> str:
    """One content item as plain text: its canonical address, or an account on a platform."""
    text = item.canonical
    if item.kind == ContentItem.Kind.ACCOUNT and text.startswith("account:"):
        _prefix, platform, name = [*text.split(":", 2), "", ""][:3]
        return str(_("Account %(name)s on %(platform)s")) % {"name": name, "platform": platform}
    return text


def recipient_for(institution: Institution) -> tuple[ContactPerson | None, str]:
    """Who a dispatch to ``institution`` is addressed to: its primary active contact person
    with an e-mail address (the centre's named contact there), else its intake address.
    ("", None) when it has neither: it cannot be sent by e-mail."""
    for contact in institution.contacts.filter(is_active=True).order_by("-is_primary", "name"):
        if contact.email:
            return contact, contact.email
    return None, institution.intake_email or ""


def recipient_language(institution: Institution, contact: ContactPerson | None) -> str:
    """The language of a dispatch: at home, the contact person's first language among the
    platform's, else the institution's, else the default one; abroad, the contact person's
    (a person who reads one of ours) else English."""
    from sigurnet.core.selectors import get_profile

    at_home = institution.country.upper() == get_profile().country.upper()
    choices = list(contact.languages or []) if contact is not None else []
    if at_home:
        choices += list(institution.languages or [])
    for code in choices:
        if code in MAIL_LANGUAGES:
            return str(code)
    return settings.LANGUAGE_CODE if at_home else "en"


@dataclass(frozen=True)
class DispatchFilter:
    status: str = ""
    kind: str = ""
    institution: int | None = None
    overdue: bool = False


def dispatches(criteria: DispatchFilter, now: datetime | None = None) -> QuerySet[Dispatch]:
    """Dispatches for the list, newest first; no encrypted column is read."""
    qs = (
        Dispatch.objects.select_related("institution")
        .only(
            "id",
            "kind",
            "status",
            "institution__name",
            "institution__country",
            "created_at",
            "send_after",
            "prepared_at",
            "sent_at",
            "due_at",
            "acknowledged_at",
            "outcome",
            "csam",
            "link_revoked_at",
        )
        .prefetch_related(Prefetch("reports", queryset=Report.objects.only("id", "reference")))
        .order_by("-created_at", "-id")
    )
    if criteria.status:
        qs = qs.filter(status=criteria.status)
    if criteria.kind:
        qs = qs.filter(kind=criteria.kind)
    if criteria.institution:
        qs = qs.filter(institution_id=criteria.institution)
    if criteria.overdue:
        qs = qs.filter(Dispatch.overdue_q(now))
    return qs


def dispatch_page(criteria: DispatchFilter, number: Any) -> Page[Dispatch]:
    return Paginator(dispatches(criteria), DISPATCH_PAGE_SIZE).get_page(number)


def overdue_count(now: datetime | None = None) -> int:
    return Dispatch.objects.filter(Dispatch.overdue_q(now)).count()


def report_dispatches(report: Report) -> list[Dispatch]:
    """The dispatches of one report, oldest first (no encrypted column)."""
    return list(
        report.dispatches.select_related("institution")
        .only(
            "id",
            "kind",
            "status",
            "institution__name",
            "created_at",
            "sent_at",
            "due_at",
            "acknowledged_at",
            "outcome",
        )
        .order_by("created_at", "id")
    )


def find_dispatch(pk: int) -> Dispatch | None:
    return (
        Dispatch.objects.select_related("institution", "contact", "outgoing", "created_by")
        .filter(pk=pk)
        .first()
    )


def dispatch_reports(dispatch: Dispatch) -> list[Report]:
    return list(dispatch.reports.only("id", "reference", "category", "status").order_by("id"))


def institutions_to_add() -> QuerySet[Institution]:
    """Institutions an analyst may add by hand: every active one (forwarding refuses one
    without an e-mail address, and says so)."""
    return Institution.objects.filter(is_active=True).order_by("country", "kind", "name")
