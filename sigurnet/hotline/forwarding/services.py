"""Forwarding writes: dispatches from an assessed report, their e-mails, and their links.

``forward`` is the one way a dispatch is made: from an assessed report whose newest
assessment is actionable (or harmful) and, where four eyes apply, confirmed. In one
transaction it writes the dispatches, their items and reports, the e-mail of each dispatch
that is due now (``prepare``: the text in the recipient's language with its signed link, into
the outbox), and moves the report to *forwarded* through the triage status table. After the
commit ``dispatch_tasks.send_dispatch`` sends each e-mail through the outbox; a dispatch is
*sent* once the outbox marked its e-mail sent (``record_sent_dispatches``). A dispatch queued
for later (``send_after``) is prepared by the beat task ``send_due_dispatches``.

Notices to hosting providers and platforms follow the notice-and-takedown schedule of
``takedown.py``: they wait, group, and are written only by its task, after their items were
checked (never here, in a web request).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import partial
from typing import Any

from django.conf import settings
from django.contrib.auth.base_user import AbstractBaseUser
from django.db import transaction
from django.http import HttpRequest
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy as _

from sigurnet.core import handover, outbox
from sigurnet.core.models import ContactPerson, Institution, OutgoingMessage
from sigurnet.core.selectors import get_profile, register_audit_labels
from sigurnet.core.services import record_audit_event
from sigurnet.hotline.forwarding import selectors, takedown
from sigurnet.hotline.models import (
    Assessment,
    Category,
    ContentItem,
    Dispatch,
    DispatchItem,
    DispatchKind,
    Report,
    Status,
    dispatch_ack_hours,
)
from sigurnet.hotline.triage.services import TriageRefused, transition


class ForwardingAction:
    """Audit trail actions of forwarding. Stable: filters depend on them."""

    DISPATCHED = "hotline.dispatched"  # on the report: a dispatch was made of it
    DISPATCH_CREATED = "hotline.dispatch_created"  # on the dispatch
    DISPATCH_VIEWED = "hotline.dispatch_viewed"
    LINK_SENT = "hotline.dispatch_link_sent"


# Registered when this module is first imported (the staff URLs import it, so before any
# page of the audit trail is shown).
register_audit_labels(
    {
        ForwardingAction.DISPATCHED: _("Report forwarded"),
        ForwardingAction.DISPATCH_CREATED: _("Dispatch made"),
        ForwardingAction.DISPATCH_VIEWED: _("Dispatch read"),
        ForwardingAction.LINK_SENT: _("New dispatch link sent"),
    }
)

DISPATCH_MAIL_KIND = "hotline.dispatch"
LINK_MAIL_KIND = "hotline.dispatch_link"
# Dispatches the beat task prepares or records in one run at most (the next run takes the rest).
BATCH = 500


def dispatch_mail_key(dispatch_id: int) -> str:
    """The outbox key of a dispatch's e-mail: one per dispatch."""
    return f"{DISPATCH_MAIL_KIND}:{dispatch_id}"


def link_mail_key(dispatch_id: int, version: int) -> str:
    """The outbox key of the e-mail with a dispatch's new link: one per link version."""
    return f"{LINK_MAIL_KIND}:{dispatch_id}:{version}"


@dataclass(frozen=True)
class Recipient:
    """One dispatch to make: to ``institution``, of ``kind``, about ``items`` (of the report;
    none: all of them), sent at ``send_after`` (None: now)."""

    institution: Institution
    kind: str
    items: Sequence[ContentItem] = field(default_factory=list)
    send_after: datetime | None = None


def check_forwardable(report: Report, actor: AbstractBaseUser) -> Assessment:
    """The newest assessment of ``report``, if ``actor`` may forward it now; otherwise
    ``TriageRefused``: "permission", "transition" (not assessed), "not_yours" (held by a
    colleague; supervisors may), "not_actionable" (the newest assessment is neither actionable
    nor harmful), "unconfirmed" (four eyes: a second analyst has not confirmed it)."""
    if not actor.has_perm("hotline.add_dispatch"):  # type: ignore[attr-defined]
        raise TriageRefused("permission")
    if report.status not in (Status.ASSESSED, Status.FORWARDED):
        raise TriageRefused("transition")
    if report.assignee_id != actor.pk and not actor.has_perm("hotline.assign_report"):  # type: ignore[attr-defined]
        raise TriageRefused("not_yours")
    newest = selectors.newest_assessment(report)
    if newest is None or newest.outcome not in selectors.FORWARDABLE_OUTCOMES:
        raise TriageRefused("not_actionable")
    if newest.needs_confirmation and newest.confirmed_by_id is None:
        raise TriageRefused("unconfirmed")
    return newest


def forward(
    report: Report,
    recipients: Sequence[Recipient],
    *,
    actor: AbstractBaseUser,
    request: HttpRequest | None = None,
    now: datetime | None = None,
) -> list[Dispatch]:
    """Make one dispatch per recipient and move an assessed report to *forwarded*.

    Refused (``TriageRefused``) as ``check_forwardable`` says, with no recipient
    ("no_recipients"), for a recipient without an e-mail address ("no_address", with the
    institution's name), or when every recipient already has a dispatch of that kind for this
    report ("already"; such recipients are skipped otherwise). All or nothing: one
    transaction, which also writes the e-mail of each dispatch due now to the outbox. Each
    dispatch is audited on the report (``hotline.dispatched``) and on itself.
    """
    check_forwardable(report, actor)
    if not recipients:
        raise TriageRefused("no_recipients")
    now = now or timezone.now()
    items_of_report = selectors.report_items(report)
    allowed = {item.pk for item in items_of_report}
    existing = set(report.dispatches.values_list("institution_id", "kind"))
    created: list[Dispatch] = []
    with transaction.atomic():
        for recipient in recipients:
            if recipient.kind not in DispatchKind.values:
                raise ValueError(recipient.kind)
            if (recipient.institution.pk, recipient.kind) in existing:
                continue
            contact, address = selectors.recipient_for(recipient.institution)
            if not address:
                raise TriageRefused("no_address", recipient.institution.name)
            items = [item for item in recipient.items if item.pk in allowed] or items_of_report
            if takedown.is_notice(recipient.kind):
                # Waits, and joins a notice to the same institution that waits already.
                dispatch = takedown.queue_notice(
                    report,
                    institution=recipient.institution,
                    contact=contact,
                    address=address,
                    kind=recipient.kind,
                    items=items,
                    send_after=recipient.send_after,
                    actor=actor,
                    request=request,
                    now=now,
                )
                existing.add((recipient.institution.pk, recipient.kind))
                created.append(dispatch)
                continue
            dispatch = create_dispatch(
                [report],
                institution=recipient.institution,
                contact=contact,
                address=address,
                kind=recipient.kind,
                items=items,
                send_after=recipient.send_after or now,
                actor=actor,
                request=request,
                now=now,
            )
            existing.add((recipient.institution.pk, recipient.kind))
            created.append(dispatch)
        if not created:
            raise TriageRefused("already")
        if report.status == Status.ASSESSED:
            transition(report, Status.FORWARDED, actor=actor, request=request)
    return created


def create_dispatch(
    reports: list[Report],
    *,
    institution: Institution,
    contact: ContactPerson | None,
    address: str,
    kind: str,
    items: Sequence[ContentItem],
    send_after: datetime,
    actor: AbstractBaseUser | None,
    request: HttpRequest | None,
    now: datetime,
    escalation_of: Dispatch | None = None,
) -> Dispatch:
    """Write one dispatch with its reports and items, in the caller's transaction; its e-mail
    too if it is due now (a notice to a host or platform: its task is queued instead, which
    checks the items before it writes the e-mail)."""
    deadline = timedelta(hours=dispatch_ack_hours(kind))
    dispatch = Dispatch.objects.create(
        institution=institution,
        contact=contact,
        recipient=address,
        language=selectors.recipient_language(institution, contact),
        kind=kind,
        csam=any(report.category == Category.CSAM for report in reports),
        created_by=actor,  # type: ignore[misc]
        send_after=send_after,
        # Until it is sent; then from the moment the mail server accepted it.
        due_at=max(send_after, now) + deadline,
        escalation_of=escalation_of,
    )
    dispatch.reports.set(reports)
    DispatchItem.objects.bulk_create(
        [
            DispatchItem(dispatch=dispatch, content_item=item, position=position)
            for position, item in enumerate(items)
        ]
    )
    detail = {
        "dispatch": dispatch.pk,
        "kind": kind,
        "institution": institution.pk,
        "items": [item.pk for item in items],
    }
    for report in reports:
        record_audit_event(
            ForwardingAction.DISPATCHED,
            actor=actor,
            request=request,
            object_type="hotline.report",
            object_id=report.pk,
            detail={"reference": report.reference or "", **detail},
        )
    handover.record_event(
        dispatch,
        ForwardingAction.DISPATCH_CREATED,
        actor=actor,
        request=request,
        detail={**detail, "reports": [report.pk for report in reports]},
    )
    if send_after <= now:
        if not takedown.is_notice(kind):
            prepare(dispatch, now=now)
        queue_send_after_commit(dispatch.pk)
    return dispatch


def prepare(dispatch: Dispatch, *, now: datetime | None = None) -> OutgoingMessage:
    """Write the dispatch's e-mail: its text in its language with a new signed link, into the
    outbox (key ``hotline.dispatch:<id>``: one per dispatch), in the caller's transaction.
    The text is kept on the dispatch, as sent. The caller sends it after the commit
    (``queue_send_after_commit``, or ``dispatch_tasks.send_dispatch`` itself); if that never
    happens, the outbox's sweep does, and the beat task records it sent."""
    now = now or timezone.now()
    link, expires_at = handover.make_link(dispatch, now)
    subject, body = render_dispatch(dispatch, link=link, expires_at=expires_at, now=now)
    hotline_email = get_profile().hotline_email
    message = outbox.enqueue(
        kind=DISPATCH_MAIL_KIND,
        key=dispatch_mail_key(dispatch.pk),
        to=[dispatch.recipient],
        subject=subject,
        body=body,
        # Replies go to the hotline's mailbox. No Auto-Submitted header: a person decided to
        # send this, and abuse desks drop automatic mail.
        reply_to=[hotline_email] if hotline_email else [],
        send_after_commit=False,
    )
    Dispatch.objects.filter(pk=dispatch.pk).update(
        subject=subject,
        body=body,
        prepared_at=now,
        outgoing=message,
        message_id=message.message_id,
    )
    dispatch.subject, dispatch.body, dispatch.prepared_at = subject, body, now
    dispatch.outgoing, dispatch.message_id = message, message.message_id
    return message


def queue_send_after_commit(dispatch_id: int) -> None:
    """Once the surrounding transaction commits, queue ``dispatch_tasks.send_dispatch``."""
    transaction.on_commit(partial(_queue_send, dispatch_id))


def _queue_send(dispatch_id: int) -> None:
    import logging

    from sigurnet.hotline.forwarding.dispatch_tasks import send_dispatch

    try:
        send_dispatch.delay(dispatch_id)
    except Exception:  # the broker is down, or (eager) the mail server: the sweeps send it
        logging.getLogger(__name__).exception(
            "Could not queue dispatch %s; the outbox sweep sends it", dispatch_id
        )


def prepare_if_due(dispatch_id: int, now: datetime | None = None) -> int | None:
    """The outbox message of a dispatch, written now if the dispatch is queued, due and has
    none yet; None when there is nothing to send (not due, unknown, or its sent message was
    already deleted by the outbox's retention). One dispatch at a time (row lock)."""
    now = now or timezone.now()
    with transaction.atomic():
        dispatch = Dispatch.objects.select_for_update().filter(pk=dispatch_id).first()
        if dispatch is None:
            return None
        if dispatch.outgoing_id is not None:
            return int(dispatch.outgoing_id)
        if dispatch.prepared_at is not None or dispatch.status != Dispatch.Status.QUEUED:
            return None
        if takedown.is_notice(dispatch.kind):
            return None  # only the schedule writes a notice, after checking its items
        if dispatch.send_after > now:
            return None
        return prepare(dispatch, now=now).pk


def prepare_due(now: datetime | None = None) -> list[int]:
    """Write the e-mails of queued dispatches whose ``send_after`` has come (the beat task;
    the notice-and-takedown schedule queues dispatches so); the ids of those it wrote, each to
    be sent with ``dispatch_tasks.send_dispatch``."""
    now = now or timezone.now()
    due = (
        Dispatch.objects.filter(
            status=Dispatch.Status.QUEUED, prepared_at__isnull=True, send_after__lte=now
        )
        .exclude(kind__in=takedown.NOTICE_KINDS)  # takedown.due_notices: checked first
        .order_by("send_after", "id")
    )
    written = []
    for pk in due.values_list("pk", flat=True)[:BATCH]:
        if prepare_if_due(pk, now) is not None:
            written.append(pk)
    return written


def record_sent_dispatches() -> int:
    """Copy the outbox's ``sent_at`` to every dispatch whose e-mail the mail server accepted:
    *sent*, with its acknowledgement deadline from then. Idempotent; how many it recorded."""
    rows = Dispatch.objects.filter(
        sent_at__isnull=True, outgoing__sent_at__isnull=False
    ).values_list("pk", "kind", "outgoing__sent_at")
    recorded = 0
    for pk, kind, sent_at in rows[:BATCH]:
        assert sent_at is not None  # the filter
        due = sent_at + timedelta(hours=dispatch_ack_hours(kind))
        recorded += handover.mark_sent(Dispatch, pk, sent_at, due)
    return recorded


# --- The text ----------------------------------------------------------------------------

SUBJECTS: Mapping[str, Any] = {
    DispatchKind.POLICE: _("Report of illegal content online, our reference %(reference)s"),
    DispatchKind.PROSECUTOR: _("Report of illegal content online, our reference %(reference)s"),
    DispatchKind.PARTNER_HOTLINE: _(
        "Referral from %(centre)s: content hosted in your country, our reference %(reference)s"
    ),
    DispatchKind.TAKEDOWN: _("Notice of illegal content on your network, reference %(reference)s"),
    DispatchKind.PLATFORM: _("Notice of illegal content on your service, reference %(reference)s"),
    DispatchKind.AUTHORITY: _("For your attention: report %(reference)s to %(centre)s"),
}
# An escalation of a notice that the host or platform did not act on (takedown.py).
ESCALATION_SUBJECT = _("Still online after our notice to the host, our reference %(reference)s")


def _classification(assessment: Assessment) -> str:
    """An actionable CSAM assessment's ICCAM classification, in the active language."""
    if not assessment.legal_class:
        return ""
    commercial = _("commercial") if assessment.commercial else _("not commercial")
    parts = [
        assessment.get_legal_class_display(),
        assessment.get_victim_age_display(),
        assessment.get_victim_gender_display(),
        assessment.get_content_kind_display(),
        commercial,
    ]
    return "; ".join(str(part) for part in parts if part)


def _report_facts(report: Report) -> dict[str, Any]:
    assessment = selectors.newest_assessment(report)
    facts: dict[str, Any] = {
        "reference": report.reference or f"#{report.pk}",
        "category": str(Category(report.category).label),
        "classification": "",
        "legal_basis": "",
        "assessed_on": "",
        "illegal": False,
    }
    if assessment is not None:
        facts["classification"] = _classification(assessment)
        facts["legal_basis"] = str(assessment.legal_basis) if assessment.legal_basis else ""
        facts["assessed_on"] = timezone.localtime(assessment.created_at).strftime("%Y-%m-%d")
        facts["illegal"] = assessment.outcome == Assessment.Outcome.ACTIONABLE
    return facts


def _tidy(text: str) -> str:
    """Template output as an e-mail: no trailing spaces, at most one empty line in a row."""
    lines = [line.rstrip() for line in text.strip().splitlines()]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)) + "\n"


def render_dispatch(
    dispatch: Dispatch, *, link: str, expires_at: datetime, now: datetime | None = None
) -> tuple[str, str]:
    """Subject and body of a dispatch in its language: its kind's template
    (``hotline/forwarding/mail/<kind>.txt``) with the report references and facts (the ICCAM
    classification of CSAM, the legal basis of other content), the items as plain text, the
    signed link and its expiry. Nothing the reporter wrote, no picture, no attachment. An
    escalation of a notice (``escalation_of``) has a text of its own: the notice it follows,
    when it went, and how long the content has stayed online since."""
    profile = get_profile()
    with translation.override(dispatch.language or settings.LANGUAGE_CODE):
        reports = [_report_facts(report) for report in dispatch.reports.order_by("id")]
        references = ", ".join(facts["reference"] for facts in reports)
        centre = profile.centre_name or "Sigurnet"
        context = {
            "centre": centre,
            "hotline_email": profile.hotline_email,
            "contact_name": dispatch.contact.name if dispatch.contact else "",
            "institution": dispatch.institution,
            "reports": reports,
            "illegal": all(facts["illegal"] for facts in reports),
            "items": dispatch.handover_items(),
            "csam": dispatch.csam,
            "link": link,
            "link_expires": timezone.localtime(expires_at).strftime("%Y-%m-%d"),
        }
        template = f"hotline/forwarding/mail/{dispatch.kind}.txt"
        subject_text = SUBJECTS[dispatch.kind]
        notice = dispatch.escalation_of
        if notice is not None:
            template = "hotline/forwarding/mail/escalation.txt"
            subject_text = ESCALATION_SUBJECT
            now = now or timezone.now()
            first_sent = notice.sent_at or notice.prepared_at or now
            context["notice_to"] = notice.institution.name
            context["notice_sent_on"] = timezone.localtime(first_sent).strftime("%Y-%m-%d")
            context["days"] = max((now - first_sent).days, 1)
        body = render_to_string(template, context)
        subject = str(subject_text) % {"reference": references, "centre": centre}
    return " ".join(subject.split()), _tidy(body)


# --- Links --------------------------------------------------------------------------------


def _may_change(actor: AbstractBaseUser) -> None:
    if not actor.has_perm("hotline.change_dispatch"):  # type: ignore[attr-defined]
        raise TriageRefused("permission")


def revoke_link(
    dispatch: Dispatch, *, actor: AbstractBaseUser, request: HttpRequest | None = None
) -> None:
    """Stop the dispatch's link from working (audited as ``handover.link_revoked``)."""
    _may_change(actor)
    handover.revoke_link(dispatch, actor=actor, request=request)


def send_new_link(
    dispatch: Dispatch,
    *,
    actor: AbstractBaseUser,
    request: HttpRequest | None = None,
    now: datetime | None = None,
) -> OutgoingMessage:
    """A new link for the dispatch, e-mailed to the address the dispatch went to, in its
    language; every earlier link stops working. Refused ("not_sent") before the dispatch's
    own e-mail was written. Audited (``handover.link_renewed``, ``hotline.dispatch_link_sent``)."""
    _may_change(actor)
    if dispatch.prepared_at is None or not dispatch.recipient:
        raise TriageRefused("not_sent")
    now = now or timezone.now()
    profile = get_profile()
    with transaction.atomic():
        link, expires_at = handover.renew_link(dispatch, actor=actor, request=request, now=now)
        with translation.override(dispatch.language or settings.LANGUAGE_CODE):
            centre = profile.centre_name or "Sigurnet"
            subject = str(_("New link: %(subject)s")) % {"subject": dispatch.subject}
            body = render_to_string(
                "hotline/forwarding/mail/new_link.txt",
                {
                    "centre": centre,
                    "hotline_email": profile.hotline_email,
                    "contact_name": dispatch.contact.name if dispatch.contact else "",
                    "subject": dispatch.subject,
                    "sent_on": timezone.localtime(
                        dispatch.sent_at or dispatch.prepared_at
                    ).strftime("%Y-%m-%d"),
                    "link": link,
                    "link_expires": timezone.localtime(expires_at).strftime("%Y-%m-%d"),
                },
            )
        message = outbox.enqueue(
            kind=LINK_MAIL_KIND,
            key=link_mail_key(dispatch.pk, dispatch.link_version),
            to=[dispatch.recipient],
            subject=" ".join(subject.split()),
            body=_tidy(body),
            reply_to=[profile.hotline_email] if profile.hotline_email else [],
            headers={"In-Reply-To": dispatch.message_id} if dispatch.message_id else {},
        )
        handover.record_event(
            dispatch,
            ForwardingAction.LINK_SENT,
            actor=actor,
            request=request,
            detail={"version": dispatch.link_version},
        )
    return message


def record_dispatch_viewed(
    dispatch: Dispatch, *, actor: AbstractBaseUser, request: HttpRequest | None = None
) -> None:
    """Audit one display of a dispatch's text (it names the reported addresses)."""
    handover.record_event(dispatch, ForwardingAction.DISPATCH_VIEWED, actor=actor, request=request)
