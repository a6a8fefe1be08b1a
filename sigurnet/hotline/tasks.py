"""Background work of the hotline. Every task may run twice: each one is idempotent."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from celery import shared_task
from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import connection, transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext, override

from sigurnet.core import outbox
from sigurnet.core.models import OutgoingMessage
from sigurnet.core.roles import HOTLINE_ANALYST, HOTLINE_SUPERVISOR
from sigurnet.hotline.forwarding import dispatch_tasks  # noqa: F401 - found only from here
from sigurnet.hotline.models import URGENT_CATEGORIES, Category, Report, UrgentNotice

log = logging.getLogger(__name__)


def on_duty_addresses() -> list[str]:
    """E-mail addresses of the active hotline analysts and supervisors."""
    users = get_user_model().objects.filter(
        is_active=True, groups__name__in=[HOTLINE_ANALYST.name, HOTLINE_SUPERVISOR.name]
    )
    return sorted({u.email for u in users if u.email})


# At most one urgent e-mail in this time: reports filed meanwhile wait for the next one.
URGENT_NOTICE_INTERVAL = timedelta(minutes=1)
# References named in one e-mail at most; the rest follow in the next ones.
URGENT_NOTICE_MAX_REPORTS = 1000
# PostgreSQL advisory lock that serialises the batching step of every worker.
URGENT_NOTICE_LOCK = 0x5167_4E6F_7469_6365
# The outbox kind of an urgent notice's e-mail.
URGENT_NOTICE_KIND = "hotline.urgent_notice"


def urgent_notice_key(notice_id: int) -> str:
    """The outbox key of a notice's e-mail: one per notice."""
    return f"{URGENT_NOTICE_KIND}:{notice_id}"


def urgent_recipients() -> list[str]:
    """Who an urgent notice goes to: the on-duty staff, or else the hotline's address."""
    recipients = on_duty_addresses()
    if recipients:
        return recipients
    from sigurnet.core.selectors import get_profile

    fallback = get_profile().hotline_email
    return [fallback] if fallback else []


def _unannounced_urgent_reports() -> QuerySet[Report]:
    """Urgent reports that no notice names yet."""
    return Report.objects.filter(
        category__in=list(URGENT_CATEGORIES),
        urgent_notified_at__isnull=True,
        urgent_notice__isnull=True,
    )


def _lock_urgent_notices() -> None:
    # Held until the batching transaction ends. SQLite (development) serialises writers itself.
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [URGENT_NOTICE_LOCK])


def record_sent_urgent_notices() -> int:
    """Copy the outbox's ``sent_at`` to every notice whose e-mail the mail server accepted and
    to the reports it names (``urgent_notified_at``). Idempotent; how many notices it recorded.

    Run after this task's own send, at the start of every batching step and by the sweep, so
    that a notice the outbox sent on a later retry is recorded within one sweep interval."""
    recorded = 0
    sent = UrgentNotice.objects.filter(
        sent_at__isnull=True, outgoing__sent_at__isnull=False
    ).values_list("pk", "outgoing__sent_at")
    for notice_pk, sent_at in sent:
        with transaction.atomic():
            UrgentNotice.objects.filter(pk=notice_pk, sent_at__isnull=True).update(sent_at=sent_at)
            Report.objects.filter(
                urgent_notice_id=notice_pk, urgent_notified_at__isnull=True
            ).update(urgent_notified_at=sent_at)
        recorded += 1
    return recorded


def _urgent_notice_text(named: list[tuple[str | None, str]]) -> tuple[str, str]:
    """Subject and body of a notice: references, categories and a link. Nothing a reporter
    wrote."""
    url = settings.SIGURNET_PUBLIC_BASE_URL.rstrip("/") + "/staff/"
    with override(settings.LANGUAGE_CODE):
        lines = [f"- {reference} ({Category(category).label})" for reference, category in named]
        if len(named) == 1:
            reference, category = named[0]
            subject = _("Urgent report %(reference)s") % {"reference": reference}
            body = _(
                "An urgent report arrived (%(category)s): %(reference)s.\n"
                "Sign in to read it: %(url)s\n"
                "This e-mail holds nothing of the report itself."
            ) % {"category": Category(category).label, "reference": reference, "url": url}
        else:
            values = {
                "count": len(named),
                "first": named[0][0],
                "last": named[-1][0],
                "url": url,
            }
            subject = (
                ngettext(
                    "%(count)d urgent report (%(first)s to %(last)s)",
                    "%(count)d urgent reports (%(first)s to %(last)s)",
                    len(named),
                )
                % values
            )
            body = (
                ngettext(
                    "%(count)d urgent report arrived:",
                    "%(count)d urgent reports arrived:",
                    len(named),
                )
                % values
                + "\n"
                + "\n".join(lines)
                + "\n"
                + _(
                    "Sign in to read them: %(url)s\n"
                    "This e-mail holds nothing of the reports themselves."
                )
                % values
            )
    return subject, body + "\n"


def _enqueue_notice_email(notice: UrgentNotice) -> OutgoingMessage | None:
    """Write the notice's e-mail to the outbox, in the caller's transaction (the one that names
    its reports). None if it names no report (they were deleted before it could be sent)."""
    named = list(notice.reports.order_by("pk").values_list("reference", "category"))
    if not named:
        return None
    subject, body = _urgent_notice_text(named)
    message = outbox.enqueue(
        kind=URGENT_NOTICE_KIND,
        key=urgent_notice_key(notice.pk),
        to=notice.recipients.split("\n"),
        subject=subject,
        body=body,
        headers={"Auto-Submitted": "auto-generated"},
        send_after_commit=False,  # this task sends it right after the commit; else the sweep
    )
    # The notice's Message-ID, made when it was written: a notice from before the outbox (or
    # whose outbox row is gone) keeps the one it may already have gone out with.
    OutgoingMessage.objects.filter(pk=message.pk).update(message_id=notice.message_id)
    message.message_id = notice.message_id
    notice.outgoing = message
    notice.save(update_fields=["outgoing"])
    return message


def _batch_urgent_notice(follow_up: bool) -> tuple[int | None, float | None]:
    """The outbox message this run is to send, and when to run again for reports left over.

    One worker at a time (advisory lock): an unsent notice is finished first (its e-mail, with
    the same Message-ID, whose claim and retries are the outbox's); otherwise, if the last
    notice went out a minute ago or more, a new notice takes every report not yet named (up to
    ``URGENT_NOTICE_MAX_REPORTS``) and its e-mail is written to the outbox in the same
    transaction. Within the minute, the first run to look queues one follow-up for the end of
    the minute (a follow-up that comes early queues itself again).
    """
    now = timezone.now()
    with transaction.atomic():
        _lock_urgent_notices()
        record_sent_urgent_notices()
        unsent = UrgentNotice.objects.filter(sent_at__isnull=True).order_by("pk").first()
        if unsent is not None:
            if unsent.outgoing_id is not None:
                return unsent.outgoing_id, None
            # Written before the outbox, or its sent message already deleted.
            message = _enqueue_notice_email(unsent)
            if message is None:
                UrgentNotice.objects.filter(pk=unsent.pk).update(sent_at=now)
                return None, None
            return message.pk, None
        pending = _unannounced_urgent_reports()
        if not pending.exists():
            return None, None
        last = UrgentNotice.objects.filter(sent_at__isnull=False).order_by("-sent_at").first()
        if last is not None and last.sent_at and last.sent_at > now - URGENT_NOTICE_INTERVAL:
            if last.follow_up_queued and not follow_up:
                return None, None
            last.follow_up_queued = True
            last.save(update_fields=["follow_up_queued"])
            return None, (last.sent_at + URGENT_NOTICE_INTERVAL - now).total_seconds() + 1
        recipients = urgent_recipients()
        if not recipients:
            # Nobody to tell: leave them unmarked so the sweep tries again once someone is set up.
            log.error("Urgent reports waiting: no analyst e-mail and no hotline e-mail")
            return None, None
        notice = UrgentNotice.objects.create(
            message_id=outbox.new_message_id(URGENT_NOTICE_KIND),
            recipients="\n".join(recipients),
        )
        batch = list(
            pending.order_by("pk").values_list("pk", flat=True)[:URGENT_NOTICE_MAX_REPORTS]
        )
        Report.objects.filter(pk__in=batch).update(urgent_notice=notice)
        message = _enqueue_notice_email(notice)
        assert message is not None  # it names the batch just linked
        return message.pk, None


def _queue_follow_up(countdown: float) -> None:
    if notify_urgent_report.app.conf.task_always_eager:
        # No broker (quick start): a task cannot wait, it would run at once, again and again.
        # The next urgent report after the minute, or the sweep, sends what waits.
        return
    try:
        notify_urgent_report.apply_async(kwargs={"follow_up": True}, countdown=countdown)
    except Exception:  # broker down: the sweep runs the next notice instead
        log.exception("Could not queue the next urgent notice")


@shared_task(acks_late=True)
def notify_urgent_report(report_id: int | None = None, follow_up: bool = False) -> bool:
    """Tell the on-duty staff which urgent reports arrived: one e-mail a minute at most.

    Queued after every urgent report, by the sweep, and by itself (``follow_up``) for the end
    of the minute; ``report_id`` is not needed (every run looks at all reports not yet
    announced) and is accepted for tasks queued by older code.
    The batching (``_batch_urgent_notice``) names the waiting reports in a notice and writes its
    e-mail to the outbox in one transaction under a lock; this run then sends it through the
    outbox (``core.tasks.send_outgoing_message``: claim by conditional UPDATE, send with the
    stable Message-ID, mark sent in one write; after a failure the outbox's backoff and
    retries, and no run tries again before the next attempt is due). A run at the same moment
    finds the reports named and the message claimed, and sends nothing. The reports count as
    notified once the outbox marked the message sent (``record_sent_urgent_notices``). The one
    window for a duplicate is the outbox's (docs/architecture.md, "Outbox"). Returns whether
    this run sent an e-mail.
    """
    from sigurnet.core.tasks import send_outgoing_message

    message_pk, follow_up_in = _batch_urgent_notice(follow_up)
    if follow_up_in is not None:
        _queue_follow_up(follow_up_in)
    if message_pk is None:
        return False
    sent = bool(send_outgoing_message(message_pk))
    if not sent:
        return False
    record_sent_urgent_notices()
    if _unannounced_urgent_reports().exists():
        UrgentNotice.objects.filter(outgoing_id=message_pk).update(follow_up_queued=True)
        _queue_follow_up(URGENT_NOTICE_INTERVAL.total_seconds() + 1)
    return True


def retry_given_up_urgent_notices(now: datetime | None = None) -> int:
    """Nothing urgent may be lost: an urgent notice's e-mail that the outbox gave up (12
    attempts, or a permanent refusal) is tried again, to the current on-duty addresses, with
    its Message-ID. Logged as an error each time. How many it re-queued."""
    now = now or timezone.now()
    given_up = OutgoingMessage.objects.filter(
        kind=URGENT_NOTICE_KIND, sent_at__isnull=True, next_attempt_at__isnull=True
    )
    recipients = urgent_recipients()
    count = 0
    for message in given_up:
        log.error(
            "Urgent notice e-mail %s was given up after %s attempt(s) (%s); trying again",
            message.pk,
            message.attempts,
            message.last_error,
        )
        if recipients:
            message.recipients = "\n".join(recipients)
            UrgentNotice.objects.filter(outgoing=message).update(recipients=message.recipients)
        message.next_attempt_at = now
        message.save(update_fields=["recipients", "next_attempt_at"])
        count += 1
    return count


@shared_task
def sweep_urgent_notices() -> int:
    """Run the notice again when urgent reports wait for one longer than they should (broker
    or worker down, the outbox sent it on a later retry, or gave up: then it is re-queued).
    Returns how many wait."""
    record_sent_urgent_notices()
    retry_given_up_urgent_notices()
    cutoff = timezone.now() - timedelta(minutes=2)
    waiting = Report.objects.filter(
        category__in=list(URGENT_CATEGORIES),
        urgent_notified_at__isnull=True,
        received_at__lt=cutoff,
    ).count()
    if waiting:
        notify_urgent_report.delay()
    return waiting


CLOSED_STATUSES = ("closed", "duplicate", "incomplete")
# A sent urgent notice holds the staff addresses it went to. Once sent it serves only to answer
# "was the on-duty staff told, and who?" in the days after a report (the coalescing looks at the
# last minute only; each report keeps its own ``urgent_notified_at`` for as long as it is kept),
# so it goes after 30 days, not after the report's own, much longer, retention. Notices not yet
# sent are work still to do and are never deleted.
URGENT_NOTICE_RETENTION = timedelta(days=30)


@shared_task
def apply_retention() -> dict[str, int]:
    """Delete what the confirmation page promises to delete, and uploads never sent.

    Closed reports go ``SIGURNET_REPORT_RETENTION_DAYS`` after their last change, with their
    messages, URLs and evidence files. Evidence uploaded to a draft that was never sent goes
    after a day. Held e-mails (messages that could not become reports, kept for a person) go
    the same number of days after they arrived, read or not, and so does the record of an
    ingested e-mail once its report is gone. Urgent notices go ``URGENT_NOTICE_RETENTION``
    (30 days) after they were sent. Safe to run any number of times.
    """
    from sigurnet.hotline import evidence as evidence_files
    from sigurnet.hotline import figures
    from sigurnet.hotline.models import Evidence, HeldEmail, IngestedEmail

    now = timezone.now()
    cutoff = now - timedelta(days=settings.SIGURNET_REPORT_RETENTION_DAYS)
    expired = Report.objects.filter(status__in=CLOSED_STATUSES, updated_at__lt=cutoff)
    orphans = Evidence.objects.filter(report__isnull=True, uploaded_at__lt=now - timedelta(days=1))
    files = list(
        Evidence.objects.filter(report__in=expired).values_list("storage_name", flat=True)
    ) + list(orphans.values_list("storage_name", flat=True))
    orphan_count = orphans.delete()[0]
    # Each deleted report leaves its anonymous facts for the figures (hotline/figures.py).
    report_count = figures.delete_reports_keeping_figures(expired)
    for name in files:
        (evidence_files.evidence_root() / name).unlink(missing_ok=True)
    held_count = HeldEmail.objects.filter(received_at__lt=cutoff).delete()[0]
    # The record only stops a re-run from filing a message twice; a year on, the mailbox has
    # long marked the message as handled.
    ingested_count = IngestedEmail.objects.filter(
        report__isnull=True, ingested_at__lt=cutoff
    ).delete()[0]
    # A report that a deleted notice named keeps its urgent_notified_at: it is not announced
    # again (the reference to the notice is set to NULL).
    notice_count = UrgentNotice.objects.filter(
        sent_at__isnull=False, sent_at__lt=now - URGENT_NOTICE_RETENTION
    ).delete()[0]
    return {
        "reports": report_count,
        "orphan_evidence": orphan_count,
        "held_emails": held_count,
        "ingested_email_records": ingested_count,
        "urgent_notices": notice_count,
    }


def email_acknowledgement_key(report_id: int) -> str:
    """The outbox key of a report's acknowledgement: one per report, however often asked."""
    return f"hotline.email_ack:{report_id}"


def enqueue_email_acknowledgement(report: Report) -> OutgoingMessage | None:
    """Write the acknowledgement of an e-mailed report to the outbox; call it in the
    transaction that files the report. Quotes nothing of their message.

    Only for e-mail reports with a contact address (given with consent), in the report's
    language, marked ``Auto-Submitted: auto-replied`` (RFC 3834) so that auto-responders do not
    answer it. Without a field for the original Message-ID it carries no In-Reply-To. One per
    report (the outbox key): asking again returns the first. None when there is nothing to send.
    """
    from sigurnet.core.selectors import get_profile
    from sigurnet.hotline.models import Channel

    if report.channel != Channel.EMAIL or not report.reference:
        return None
    if not (report.contact_consent and report.contact_email):
        return None
    profile = get_profile()
    with override(report.language or settings.LANGUAGE_CODE):
        values = {
            "reference": report.reference,
            "centre": profile.centre_name or "Sigurnet",
            "number": profile.emergency_number,
        }
        subject = _("We received your report (%(reference)s)") % values
        paragraphs = [
            _("Hello,"),
            _(
                "Thank you for writing to us. We received your report and gave it the "
                "reference %(reference)s. Please mention it if you write to us again about "
                "the same matter."
            )
            % values,
            _(
                "Our analysts will check what you reported. If we need more details, we will "
                "write to you at this address."
            ),
        ]
        if profile.emergency_number:
            paragraphs.append(_("If a child is in danger right now, call %(number)s.") % values)
        paragraphs += [
            _("This is an automatic reply. Please do not send us the content again."),
            values["centre"],
        ]
    return outbox.enqueue(
        kind="hotline.email_acknowledgement",
        key=email_acknowledgement_key(report.pk),
        to=[report.contact_email],
        subject=subject,
        body="\n\n".join(paragraphs) + "\n",
        reply_to=[profile.hotline_email] if profile.hotline_email else [],
        headers={"Auto-Submitted": "auto-replied", "X-Auto-Response-Suppress": "All"},
    )


@shared_task
def send_email_acknowledgement(report_id: int) -> bool:
    """Kept for tasks queued by versions before the outbox: writes the acknowledgement to the
    outbox unless it is there already. Returns whether it wrote one."""
    report = Report.objects.filter(pk=report_id).first()
    if report is None:
        return False
    with transaction.atomic():
        if OutgoingMessage.objects.filter(key=email_acknowledgement_key(report_id)).exists():
            return False
        return enqueue_email_acknowledgement(report) is not None
