"""The notice-and-takedown schedule: when a notice to a hosting provider or a platform goes,
what it lists, when a reminder follows, when it escalates, and how a police hold stops it.

The rules (docs/forwarding.md, "Notice and takedown on a schedule"):

1. **Grouping and delay.** A notice (a dispatch of kind ``takedown`` to a hosting provider
   or ``platform`` to a platform) waits ``SIGURNET_TAKEDOWN_DELAY_MINUTES`` (60) after the
   report is forwarded, so that the police, who get their dispatch at that moment, can ask
   for a hold. Every report forwarded to the same institution meanwhile joins the waiting
   notice: one e-mail lists all its items. Once that e-mail is written, later items start a
   new notice with a delay of its own. An item already in an open notice to the institution
   is not listed twice: its report joins that notice.
2. **Checked just before.** Before each notice and each reminder, every item is checked
   (``checks.still_online``, in the Celery task, with no transaction open). An item that is
   offline, removed or held is left out (``DispatchItem.left_out``). When nothing is left,
   nothing is sent: a first notice is tried again one check interval later, a reminder at
   the next reminder time.
3. **Reminders.** While an item is online and the institution recorded no outcome, a
   reminder goes every ``SIGURNET_TAKEDOWN_REMINDER_HOURS`` (24): a new e-mail of the same
   dispatch with its own outbox key and Message-ID, a fresh link of the same version. They
   end when the removal checks do (``SIGURNET_CHECK_STOP_AFTER_DAYS`` after the first notice).
4. **Escalation.** ``SIGURNET_TAKEDOWN_ESCALATE_AFTER_DAYS`` (7; 0: never) after the first
   notice was written, the items still online go once to the INHOPE partner hotline of the
   hosting country (abroad) or to the national police (at home, or abroad where the registry
   has no partner hotline there): new dispatches, which name the notice. Reminders go on.
5. **Removal stops everything.** A notice all of whose items are removed (the removal checks
   confirmed it) is closed with the outcome *removed*, whether it was sent or not.
6. **Police hold.** While an item has an active ``ItemHold`` no notice or reminder lists it;
   a notice that has nothing else waits. On release it goes with the next run. Placing and
   releasing a hold: ``holds.py``.

Everything that talks to the network runs in ``dispatch_tasks`` (Celery); the functions that
write take ``now`` so that a test can move the clock.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.conf import settings
from django.contrib.auth.base_user import AbstractBaseUser
from django.db import transaction
from django.db.models import Exists, Max, OuterRef, Q
from django.http import HttpRequest
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy as _

from sigurnet.core import handover, outbox
from sigurnet.core.models import ContactPerson, Institution, OutgoingMessage
from sigurnet.core.selectors import get_profile, register_audit_labels
from sigurnet.core.services import record_audit_event
from sigurnet.hotline.forwarding import checks, selectors, services
from sigurnet.hotline.models import (
    Category,
    ContentItem,
    Dispatch,
    DispatchItem,
    DispatchKind,
    HostingFacts,
    ItemHold,
    Report,
    dispatch_ack_hours,
)

log = logging.getLogger(__name__)

# Notices to the ones who can take the content down: these follow the schedule.
NOTICE_KINDS = (DispatchKind.TAKEDOWN, DispatchKind.PLATFORM)
# A run that claimed a notice (to check its items) holds it this long; if it dies, the
# notice is due again afterwards.
CLAIM_LEASE = timedelta(minutes=15)
# Notices one beat run takes at most of each step (the next run takes the rest).
BATCH = 200
REMINDER_MAIL_KIND = "hotline.dispatch_reminder"

State = ContentItem.State
LeftOut = DispatchItem.LeftOut
# Whether an item is online now: ``checks.still_online`` (which records the check); a test
# or a benchmark may pass another.
OnlineCheck = Callable[[ContentItem], bool]


class TakedownAction:
    """Audit trail actions of the schedule, on the dispatch. Stable: filters depend on them."""

    GROUPED = "hotline.notice_grouped"  # a report's items joined a notice
    CHECKED = "hotline.notice_checked"  # the check before a notice or reminder, what it left out
    REMINDED = "hotline.notice_reminded"
    ESCALATED = "hotline.notice_escalated"
    CLOSED_REMOVED = "hotline.notice_closed_removed"
    REMINDERS_ENDED = "hotline.notice_reminders_ended"
    HELD = "hotline.item_held"
    RELEASED = "hotline.item_hold_released"


register_audit_labels(
    {
        TakedownAction.GROUPED: _("Items added to a waiting notice"),
        TakedownAction.CHECKED: _("Items checked before a notice"),
        TakedownAction.REMINDED: _("Reminder sent"),
        TakedownAction.ESCALATED: _("Notice escalated"),
        TakedownAction.CLOSED_REMOVED: _("Notice closed: the content was removed"),
        TakedownAction.REMINDERS_ENDED: _(
            "Reminders ended: the content stayed online for the whole check period"
        ),
        TakedownAction.HELD: _("Notices held at the request of the police"),
        TakedownAction.RELEASED: _("Hold on notices released"),
    }
)


def is_notice(kind: str) -> bool:
    """Whether a dispatch of ``kind`` follows the schedule (a host's or a platform's)."""
    return kind in NOTICE_KINDS


def notice_delay() -> timedelta:
    return timedelta(minutes=settings.SIGURNET_TAKEDOWN_DELAY_MINUTES)


def reminder_interval() -> timedelta:
    return timedelta(hours=settings.SIGURNET_TAKEDOWN_REMINDER_HOURS)


def escalation_delay() -> timedelta | None:
    """How long after the first notice a notice escalates; None: never."""
    days = settings.SIGURNET_TAKEDOWN_ESCALATE_AFTER_DAYS
    return timedelta(days=days) if days else None


def withheld_retry() -> timedelta:
    """When a first notice that had nothing to list (every item offline) is tried again: one
    check interval, so that content back online is told to the host within hours."""
    return checks.check_interval()


def reminders_end(notice: Dispatch) -> datetime | None:
    """When a notice's reminders end if its content never goes: when the removal checks stop
    (``SIGURNET_CHECK_STOP_AFTER_DAYS`` after the first notice). Then the analysts decide."""
    first = notice.sent_at or notice.prepared_at
    return first + timedelta(days=settings.SIGURNET_CHECK_STOP_AFTER_DAYS) if first else None


def _reminders_over(notice: Dispatch, now: datetime) -> bool:
    end = reminders_end(notice)
    return end is not None and end <= now


def _end_reminders(notice: Dispatch) -> None:
    """No more reminders for ``notice`` (its check period is over), audited once."""
    if Dispatch.objects.filter(pk=notice.pk, next_reminder_at__isnull=False).update(
        next_reminder_at=None
    ):
        handover.record_event(notice, TakedownAction.REMINDERS_ENDED)


def reminder_mail_key(dispatch_id: int, number: int) -> str:
    """The outbox key of a notice's ``number``-th reminder: one per reminder."""
    return f"{REMINDER_MAIL_KIND}:{dispatch_id}:{number}"


# --- Grouping: in the transaction of ``services.forward`` -------------------------------------


def queue_notice(
    report: Report,
    *,
    institution: Institution,
    contact: ContactPerson | None,
    address: str,
    kind: str,
    items: Sequence[ContentItem],
    send_after: datetime | None,
    actor: AbstractBaseUser | None,
    request: HttpRequest | None,
    now: datetime,
) -> Dispatch:
    """The notice to ``institution`` that lists ``items`` of ``report``: a waiting one of that
    kind (its e-mail not written yet), which the items and the report join; else a new one,
    due ``SIGURNET_TAKEDOWN_DELAY_MINUTES`` from now (or at ``send_after``). Items already in
    an open notice to the institution are not listed again; when none is left, the report
    joins the newest of those notices. Call it inside the forwarding transaction: it locks
    the institution's row, so that two reports forwarded at once make one notice."""
    list(Institution.objects.select_for_update().filter(pk=institution.pk).values_list("pk"))
    open_notices = Dispatch.objects.filter(kind=kind, institution=institution).exclude(
        status=Dispatch.Status.CLOSED
    )
    listed = set(
        DispatchItem.objects.filter(dispatch__in=open_notices).values_list(
            "content_item_id", flat=True
        )
    )
    new_items = [item for item in items if item.pk not in listed]
    if items and not new_items:
        # Every item is in a notice already (another report of the same content).
        target = (
            open_notices.filter(dispatch_items__content_item__in=[item.pk for item in items])
            .order_by("-created_at", "-id")
            .first()
        )
    else:
        target = (
            open_notices.select_for_update()
            .filter(status=Dispatch.Status.QUEUED, prepared_at__isnull=True)
            .order_by("created_at", "id")
            .first()
        )
    if target is None:
        return services.create_dispatch(
            [report],
            institution=institution,
            contact=contact,
            address=address,
            kind=kind,
            items=new_items,
            send_after=send_after or now + notice_delay(),
            actor=actor,
            request=request,
            now=now,
        )
    return _join(target, report, new_items, actor=actor, request=request)


def _join(
    notice: Dispatch,
    report: Report,
    items: list[ContentItem],
    *,
    actor: AbstractBaseUser | None,
    request: HttpRequest | None,
) -> Dispatch:
    """Add ``report`` and ``items`` to ``notice`` (items only while its e-mail is unwritten:
    the caller sees to it), audited on both."""
    start = notice.dispatch_items.aggregate(last=Max("position"))["last"]
    start = -1 if start is None else start
    DispatchItem.objects.bulk_create(
        [
            DispatchItem(dispatch=notice, content_item=item, position=start + 1 + offset)
            for offset, item in enumerate(items)
        ]
    )
    notice.reports.add(report)
    if report.category == Category.CSAM and not notice.csam:
        Dispatch.objects.filter(pk=notice.pk).update(csam=True)
        notice.csam = True
    detail = {
        "dispatch": notice.pk,
        "kind": notice.kind,
        "institution": notice.institution_id,
        "items": [item.pk for item in items],
    }
    record_audit_event(
        services.ForwardingAction.DISPATCHED,
        actor=actor,
        request=request,
        object_type="hotline.report",
        object_id=report.pk,
        detail={"reference": report.reference or "", "joined": True, **detail},
    )
    handover.record_event(
        notice,
        TakedownAction.GROUPED,
        actor=actor,
        request=request,
        detail={"report": report.pk, "items": detail["items"]},
    )
    return notice


# --- Which notices are due ------------------------------------------------------------------


def _active_holds() -> Exists:
    return Exists(ItemHold.objects.filter(item=OuterRef("content_item"), released_at=None))


def _sendable_items() -> Exists:
    """A notice's item that a notice may still list: not removed and not held."""
    return Exists(
        DispatchItem.objects.filter(dispatch=OuterRef("pk"))
        .exclude(content_item__state=State.REMOVED)
        .exclude(_active_holds())
    )


def _unclaimed(now: datetime) -> Q:
    return Q(schedule_claimed_until__isnull=True) | Q(schedule_claimed_until__lt=now)


def _first_notice_due(now: datetime) -> Q:
    return Q(
        kind__in=NOTICE_KINDS,
        status=Dispatch.Status.QUEUED,
        prepared_at__isnull=True,
        send_after__lte=now,
    )


def _reminder_due(now: datetime) -> Q:
    """Sent (or acknowledged) with no outcome, and a reminder or the escalation is due."""
    return Q(
        kind__in=NOTICE_KINDS,
        status__in=(Dispatch.Status.SENT, Dispatch.Status.ACKNOWLEDGED),
        outcome="",
    ) & (Q(next_reminder_at__lte=now) | Q(escalate_at__lte=now))


def due_notices(now: datetime | None = None) -> list[int]:
    """Notices whose first e-mail is due: queued, unwritten, past ``send_after``, with an
    item that is neither removed nor held. Oldest first."""
    now = now or timezone.now()
    due = Dispatch.objects.filter(_first_notice_due(now), _unclaimed(now)).filter(_sendable_items())
    return list(due.order_by("send_after", "id").values_list("pk", flat=True)[:BATCH])


def due_reminders(now: datetime | None = None) -> list[int]:
    """Notices whose reminder or escalation is due, with an item neither removed nor held."""
    now = now or timezone.now()
    due = Dispatch.objects.filter(_reminder_due(now), _unclaimed(now)).filter(_sendable_items())
    return list(due.order_by("next_reminder_at", "id").values_list("pk", flat=True)[:BATCH])


def _claim(dispatch_id: int, due: Q, now: datetime) -> bool:
    """Take a due notice for this run with one conditional UPDATE (a run at the same moment,
    or a task delivered twice, updates nothing and checks nothing)."""
    return bool(
        Dispatch.objects.filter(due, _unclaimed(now), pk=dispatch_id).update(
            schedule_claimed_until=now + CLAIM_LEASE
        )
    )


def _unclaim(dispatch_id: int) -> None:
    Dispatch.objects.filter(pk=dispatch_id).update(schedule_claimed_until=None)


# --- The check just before a notice: network, no transaction --------------------------------


def _held_item_ids(item_ids: Sequence[int]) -> set[int]:
    return set(
        ItemHold.objects.filter(item_id__in=item_ids, released_at=None).values_list(
            "item_id", flat=True
        )
    )


def _check_items(rows: Sequence[DispatchItem], online: OnlineCheck | None) -> dict[int, str]:
    """For each row (by its pk), why the next e-mail leaves its item out ("": it lists it).
    Held items are not checked; every other item is, removed ones too (a check is how a
    removed item that came back is found). Call it outside any transaction."""
    online = online or checks.still_online
    held = _held_item_ids([row.content_item_id for row in rows])
    found: dict[int, str] = {}
    for row in rows:
        item = row.content_item
        if item.pk in held:
            found[row.pk] = LeftOut.HELD
        elif online(item):
            found[row.pk] = LeftOut.LISTED
        else:
            removed = ContentItem.objects.filter(pk=item.pk, state=State.REMOVED).exists()
            found[row.pk] = LeftOut.REMOVED if removed else LeftOut.OFFLINE
    return found


def _rows(dispatch_id: int) -> list[DispatchItem]:
    return list(
        DispatchItem.objects.filter(dispatch_id=dispatch_id)
        .select_related("content_item")
        .order_by("position", "id")
    )


def _record_findings(
    notice: Dispatch, rows: list[DispatchItem], found: dict[int, str], now: datetime, what: str
) -> list[DispatchItem]:
    """Write the check's findings on the rows (a hold placed meanwhile wins), audit them, and
    return the rows the e-mail lists."""
    held = _held_item_ids([row.content_item_id for row in rows])
    for row in rows:
        if row.content_item_id in held:
            found[row.pk] = LeftOut.HELD
        row.left_out = found[row.pk]
        row.checked_at = now
    DispatchItem.objects.bulk_update(rows, ["left_out", "checked_at"])
    handover.record_event(
        notice,
        TakedownAction.CHECKED,
        detail={
            "for": what,
            "listed": [row.content_item_id for row in rows if not row.left_out],
            "left_out": {str(row.content_item_id): row.left_out for row in rows if row.left_out},
        },
    )
    return [row for row in rows if not row.left_out]


# --- Closing a notice whose content is gone --------------------------------------------------


def _all_removed(dispatch_id: int) -> bool:
    rows = DispatchItem.objects.filter(dispatch_id=dispatch_id)
    return rows.exists() and not rows.exclude(content_item__state=State.REMOVED).exists()


def _close_removed(notice: Dispatch, now: datetime) -> None:
    """Close ``notice`` with the outcome *removed* (the checks confirmed every item gone):
    no more notices, reminders or escalation. Not an acknowledgement: the institution said
    nothing. In the caller's transaction, with the row locked."""
    Dispatch.objects.filter(pk=notice.pk).update(
        status=Dispatch.Status.CLOSED,
        outcome=Dispatch.Outcome.REMOVED,
        outcome_at=now,
        outcome_via="",
        next_reminder_at=None,
        escalate_at=None,
    )
    removed = ContentItem.objects.filter(dispatch_items__dispatch=notice).aggregate(
        last=Max("removed_at")
    )["last"]
    handover.record_event(
        notice,
        TakedownAction.CLOSED_REMOVED,
        detail={
            "sent": notice.prepared_at is not None,
            "removed_at": removed.isoformat() if removed else "",
        },
    )


def close_removed_notices(now: datetime | None = None) -> int:
    """Close every open notice all of whose items the removal checks confirmed removed (the
    beat task; also done just before a notice or reminder). How many it closed."""
    now = now or timezone.now()
    items = DispatchItem.objects.filter(dispatch=OuterRef("pk"))
    candidates = (
        Dispatch.objects.filter(kind__in=NOTICE_KINDS, outcome="")
        .exclude(status=Dispatch.Status.CLOSED)
        .filter(Exists(items))
        .exclude(Exists(items.exclude(content_item__state=State.REMOVED)))
        .values_list("pk", flat=True)
    )
    closed = 0
    for pk in list(candidates[:BATCH]):
        with transaction.atomic():
            notice = Dispatch.objects.select_for_update().filter(pk=pk, outcome="").first()
            if notice is None or notice.status == Dispatch.Status.CLOSED:
                continue
            if _all_removed(pk):
                _close_removed(notice, now)
                closed += 1
    return closed


# --- The first notice -----------------------------------------------------------------------


def send_notice(
    dispatch_id: int,
    *,
    now: datetime | None = None,
    online: OnlineCheck | None = None,
    queue_send: bool = True,
) -> int | None:
    """Write the first e-mail of a due notice, listing the items that are online now.

    The items are checked first (no transaction open); then, with the dispatch's row locked
    and still unwritten, the findings are recorded on its items, and the e-mail is written to
    the outbox (``services.prepare``) with the items found online, in one transaction.
    Nothing online: nothing written, and the notice is tried again one check interval later
    (or closed as removed when every item is). Returns the outbox message's id (that of an
    e-mail written before, too, so that a redelivered ``send_dispatch`` can finish sending
    it); None when nothing is to be sent. ``queue_send``: send it after the commit
    (``dispatch_tasks.send_dispatch``, which sends it itself, passes False).
    """
    now = now or timezone.now()
    notice = Dispatch.objects.filter(pk=dispatch_id).first()
    if notice is None or not is_notice(notice.kind):
        return None
    if notice.outgoing_id is not None:
        return int(notice.outgoing_id)
    if not _claim(dispatch_id, _first_notice_due(now), now):
        return None
    try:
        rows = _rows(dispatch_id)
        found = _check_items(rows, online)
        with transaction.atomic():
            notice = Dispatch.objects.select_for_update().get(pk=dispatch_id)
            if notice.prepared_at is not None or notice.status != Dispatch.Status.QUEUED:
                return int(notice.outgoing_id) if notice.outgoing_id else None
            rows = _rows(dispatch_id)
            if any(row.pk not in found for row in rows):
                return None  # items joined during the check: the next run checks them too
            if _all_removed(dispatch_id):
                _close_removed(notice, now)
                return None
            listed = _record_findings(notice, rows, found, now, "notice")
            if not listed:
                retry = now + withheld_retry()
                # Not overdue while it waits: its deadline counts from when it can go.
                deadline = timedelta(hours=dispatch_ack_hours(notice.kind))
                Dispatch.objects.filter(pk=dispatch_id).update(
                    send_after=retry, due_at=retry + deadline
                )
                return None
            message = services.prepare(notice, now=now)
            DispatchItem.objects.filter(pk__in=[row.pk for row in listed]).update(notified_at=now)
            delay = escalation_delay()
            Dispatch.objects.filter(pk=dispatch_id).update(
                next_reminder_at=now + reminder_interval(),
                escalate_at=now + delay if delay else None,
            )
            if queue_send:
                services.queue_send_after_commit(dispatch_id)
            return message.pk
    finally:
        _unclaim(dispatch_id)


# --- Reminders and escalation ---------------------------------------------------------------


@dataclass
class ReminderRun:
    """What one reminder pass of a notice did."""

    reminder: OutgoingMessage | None = None
    escalations: list[Dispatch] = field(default_factory=list)
    closed: bool = False


def send_reminder(
    dispatch_id: int, *, now: datetime | None = None, online: OnlineCheck | None = None
) -> ReminderRun:
    """The reminder and escalation pass of a sent notice whose reminder or escalation is due.

    The items are checked first (no transaction open); then, with the row locked: every item
    removed - the notice is closed as removed; a reminder due - one listing the items online
    (none online: none, until the next reminder time), the next one a reminder interval on;
    the escalation due - the items online go to the partner hotline or the police (none
    online: tried again at the next reminder time). Its e-mails are sent after the commit.
    Safe to run twice: the claim and the locked re-read let one run do each step once."""
    now = now or timezone.now()
    done = ReminderRun()
    if not _claim(dispatch_id, _reminder_due(now), now):
        return done
    try:
        before = Dispatch.objects.get(pk=dispatch_id)
        if _reminders_over(before, now) and not (before.escalate_at and before.escalate_at <= now):
            _end_reminders(before)  # nothing to check for
            return done
        rows = _rows(dispatch_id)
        found = _check_items(rows, online)
        with transaction.atomic():
            locked = (
                Dispatch.objects.select_for_update()
                .filter(_reminder_due(now), pk=dispatch_id)
                .first()
            )
            if locked is None:
                return done
            notice = locked
            if _all_removed(dispatch_id):
                _close_removed(notice, now)
                done.closed = True
                return done
            rows = _rows(dispatch_id)
            for row in rows:
                found.setdefault(row.pk, LeftOut.OFFLINE)  # (rows do not join a sent notice)
            over = _reminders_over(notice, now)
            remind = (
                not over and notice.next_reminder_at is not None and notice.next_reminder_at <= now
            )
            escalate = notice.escalate_at is not None and notice.escalate_at <= now
            listed = _record_findings(
                notice, rows, found, now, "reminder" if remind else "escalation"
            )
            changes: dict[str, object] = {}
            if remind:
                if listed:
                    done.reminder = _write_reminder(notice, rows, listed, now)
                    changes["reminder_count"] = notice.reminder_count + 1
                changes["next_reminder_at"] = now + reminder_interval()
            if escalate:
                if listed:
                    done.escalations = _escalate(notice, listed, now)
                    changes.update(escalate_at=None, escalated_at=now)
                else:
                    changes["escalate_at"] = now + reminder_interval()
            Dispatch.objects.filter(pk=dispatch_id).update(**changes)
            if over:
                _end_reminders(notice)
            return done
    finally:
        _unclaim(dispatch_id)


def _write_reminder(
    notice: Dispatch, rows: list[DispatchItem], listed: list[DispatchItem], now: datetime
) -> OutgoingMessage:
    """The next reminder of ``notice`` into the outbox (key: one per reminder number), listing
    ``listed``; sent after the commit. Audited."""
    number = notice.reminder_count + 1
    link, expires_at = handover.make_link(notice, now)
    subject, body = render_reminder(notice, listed, link=link, expires_at=expires_at)
    hotline_email = get_profile().hotline_email
    threading = {"In-Reply-To": notice.message_id, "References": notice.message_id}
    message = outbox.enqueue(
        kind=REMINDER_MAIL_KIND,
        key=reminder_mail_key(notice.pk, number),
        to=[notice.recipient],
        subject=subject,
        body=body,
        reply_to=[hotline_email] if hotline_email else [],
        headers=threading if notice.message_id else {},
    )
    first_time = [row.pk for row in listed if row.notified_at is None]
    DispatchItem.objects.filter(pk__in=first_time).update(notified_at=now)
    handover.record_event(
        notice,
        TakedownAction.REMINDED,
        detail={
            "number": number,
            "message": message.pk,
            "items": [row.content_item_id for row in listed],
        },
    )
    return message


def _tidy(text: str) -> str:
    lines = [line.rstrip() for line in text.strip().splitlines()]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)) + "\n"


def render_reminder(
    notice: Dispatch, listed: Sequence[DispatchItem], *, link: str, expires_at: datetime
) -> tuple[str, str]:
    """Subject and body of a reminder in the notice's language: when the notice went, the
    items still online (and apart, those that no earlier e-mail listed: held or offline
    then), the request again, and a fresh link to answer (the earlier ones still work)."""
    profile = get_profile()
    still = [selectors.item_line(row.content_item) for row in listed if row.notified_at]
    new = [selectors.item_line(row.content_item) for row in listed if not row.notified_at]
    first_sent = notice.sent_at or notice.prepared_at or timezone.now()
    with translation.override(notice.language or settings.LANGUAGE_CODE):
        subject = str(_("Reminder: %(subject)s")) % {"subject": notice.subject}
        body = render_to_string(
            "hotline/forwarding/mail/reminder.txt",
            {
                "centre": profile.centre_name or "Sigurnet",
                "hotline_email": profile.hotline_email,
                "contact_name": notice.contact.name if notice.contact else "",
                "sent_on": timezone.localtime(first_sent).strftime("%Y-%m-%d"),
                "original_subject": notice.subject,
                "still": still,
                "new": new,
                "csam": notice.csam,
                "link": link,
                "link_expires": timezone.localtime(expires_at).strftime("%Y-%m-%d"),
            },
        )
    return " ".join(subject.split()), _tidy(body)


def _first_with_address(
    found: Iterable[Institution],
) -> tuple[Institution, ContactPerson | None, str] | None:
    for institution in found:
        contact, address = selectors.recipient_for(institution)
        if address:
            return institution, contact, address
    return None


def escalation_target(
    item: ContentItem,
) -> tuple[Institution, ContactPerson | None, str, str] | None:
    """Where an item still online after the notice goes: the partner hotline of the country
    where it is hosted (abroad), else the national police unit (at home, unknown hosting, or
    no partner hotline with an address there). (institution, contact, address, kind) or None."""
    home = get_profile().country.upper()
    try:
        facts: HostingFacts | None = item.hosting
    except HostingFacts.DoesNotExist:
        facts = None
    country = facts.country.upper() if facts and facts.outcome == HostingFacts.Outcome.FOUND else ""
    if country and country != home:
        partner = _first_with_address(
            Institution.objects.filter(
                kind=Institution.Kind.PARTNER_HOTLINE, country=country, is_active=True
            ).order_by("name")
        )
        if partner is not None:
            return (*partner, DispatchKind.PARTNER_HOTLINE)
    police = _first_with_address(
        Institution.objects.filter(
            kind=Institution.Kind.POLICE, country=home, is_active=True
        ).order_by("name")
    )
    return (*police, DispatchKind.POLICE) if police is not None else None


def _escalate(notice: Dispatch, listed: list[DispatchItem], now: datetime) -> list[Dispatch]:
    """Escalate ``notice`` once: one dispatch per target (``escalation_target``) with the
    items still online, written now and sent after the commit; audited on the notice (also
    when no target has an address: then it says so, and the analysts must act)."""
    targets: dict[
        tuple[int, str], tuple[Institution, ContactPerson | None, str, list[ContentItem]]
    ] = {}
    unplaced: list[int] = []
    for row in listed:
        item = ContentItem.objects.select_related("hosting").get(pk=row.content_item_id)
        target = escalation_target(item)
        if target is None:
            unplaced.append(item.pk)
            continue
        institution, contact, address, kind = target
        entry = targets.setdefault((institution.pk, kind), (institution, contact, address, []))
        entry[3].append(item)
    reports = list(notice.reports.order_by("id"))
    made = []
    for (_pk, kind), (institution, contact, address, items) in targets.items():
        made.append(
            services.create_dispatch(
                reports,
                institution=institution,
                contact=contact,
                address=address,
                kind=kind,
                items=items,
                send_after=now,
                actor=None,
                request=None,
                now=now,
                escalation_of=notice,
            )
        )
    handover.record_event(
        notice,
        TakedownAction.ESCALATED,
        detail={
            "dispatches": [dispatch.pk for dispatch in made],
            "institutions": [dispatch.institution_id for dispatch in made],
            "items": [row.content_item_id for row in listed],
            "no_recipient": unplaced,
        },
    )
    if unplaced:
        log.warning("Notice %s: no recipient to escalate items %s to", notice.pk, unplaced)
    return made


# --- One synchronous run (tests, a shell) ---------------------------------------------------


@dataclass
class ScheduleRun:
    closed: int = 0
    notices: list[int] = field(default_factory=list)  # outbox messages written
    reminders: list[int] = field(default_factory=list)
    escalations: list[int] = field(default_factory=list)  # dispatches made


def run_schedule(*, now: datetime | None = None, online: OnlineCheck | None = None) -> ScheduleRun:
    """The whole schedule once, in this process, at ``now``: close notices whose content is
    removed, write the due first notices, reminders and escalations. The beat task
    (``dispatch_tasks.run_takedown_schedule``) does the same with a task per notice."""
    now = now or timezone.now()
    run = ScheduleRun(closed=close_removed_notices(now))
    for pk in due_notices(now):
        message = send_notice(pk, now=now, online=online)
        if message is not None:
            run.notices.append(message)
    for pk in due_reminders(now):
        done = send_reminder(pk, now=now, online=online)
        run.closed += int(done.closed)
        if done.reminder is not None:
            run.reminders.append(done.reminder.pk)
        run.escalations += [dispatch.pk for dispatch in done.escalations]
    return run
