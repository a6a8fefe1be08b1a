"""Background work of the hotline. Every task may run twice: each one is idempotent."""

from __future__ import annotations

import logging
import smtplib
from datetime import timedelta

from celery import shared_task
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.mail import send_mail
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import override

from sigurnet.core.roles import HOTLINE_ANALYST, HOTLINE_SUPERVISOR
from sigurnet.hotline.models import URGENT_CATEGORIES, Category, Report

log = logging.getLogger(__name__)


def on_duty_addresses() -> list[str]:
    """E-mail addresses of the active hotline analysts and supervisors."""
    users = get_user_model().objects.filter(
        is_active=True, groups__name__in=[HOTLINE_ANALYST.name, HOTLINE_SUPERVISOR.name]
    )
    return sorted({u.email for u in users if u.email})


@shared_task(
    bind=True,
    autoretry_for=(smtplib.SMTPException, OSError),
    retry_backoff=30,
    retry_backoff_max=600,
    max_retries=20,  # about three hours of backoff; the sweep below catches anything later
    acks_late=True,
)
def notify_urgent_report(self: object, report_id: int) -> bool:
    """Tell the on-duty analysts that an urgent report arrived. Sends nothing of its content.

    Retried while the mail server is unreachable. Returns False when there was nothing to do
    (already sent, or not urgent), so that a repeated delivery sends no second e-mail.
    """
    with transaction.atomic():
        report = (
            Report.objects.select_for_update()
            .filter(pk=report_id, urgent_notified_at__isnull=True)
            .first()
        )
        if report is None or report.category not in URGENT_CATEGORIES:
            return False
        recipients = on_duty_addresses()
        if not recipients:
            from sigurnet.core.selectors import get_profile

            fallback = get_profile().hotline_email
            recipients = [fallback] if fallback else []
        if not recipients:
            # Nobody to tell: leave it unmarked so the sweep tries again once someone is set up.
            log.error("Urgent report %s: no analyst e-mail and no hotline e-mail", report_id)
            return False
        if recipients:
            with override(settings.LANGUAGE_CODE):
                subject = _("Urgent report %(reference)s") % {"reference": report.reference}
                body = _(
                    "An urgent report arrived (%(category)s): %(reference)s.\n"
                    "Sign in to read it: %(url)s\n"
                    "This e-mail holds nothing of the report itself."
                ) % {
                    "category": Category(report.category).label,
                    "reference": report.reference,
                    "url": settings.SIGURNET_PUBLIC_BASE_URL.rstrip("/") + "/staff/",
                }
            send_mail(subject, body, None, recipients)
        Report.objects.filter(pk=report.pk).update(urgent_notified_at=timezone.now())
    return True


@shared_task
def sweep_urgent_notices() -> int:
    """Queue notices for urgent reports whose notice never went out (broker or worker down)."""
    cutoff = timezone.now() - timedelta(minutes=2)
    pending = Report.objects.filter(
        category__in=list(URGENT_CATEGORIES),
        urgent_notified_at__isnull=True,
        received_at__lt=cutoff,
    ).values_list("pk", flat=True)
    count = 0
    for report_id in pending[:500]:
        notify_urgent_report.delay(report_id)
        count += 1
    return count


CLOSED_STATUSES = ("closed", "duplicate", "incomplete")


@shared_task
def apply_retention() -> dict[str, int]:
    """Delete what the confirmation page promises to delete, and uploads never sent.

    Closed reports go ``SIGURNET_REPORT_RETENTION_DAYS`` after their last change, with their
    messages, URLs and evidence files. Evidence uploaded to a draft that was never sent goes
    after a day. Held e-mails (messages that could not become reports, kept for a person) go
    the same number of days after they arrived, read or not, and so does the record of an
    ingested e-mail once its report is gone. Safe to run any number of times.
    """
    from sigurnet.hotline import evidence as evidence_files
    from sigurnet.hotline.models import Evidence, HeldEmail, IngestedEmail

    now = timezone.now()
    cutoff = now - timedelta(days=settings.SIGURNET_REPORT_RETENTION_DAYS)
    expired = Report.objects.filter(status__in=CLOSED_STATUSES, updated_at__lt=cutoff)
    orphans = Evidence.objects.filter(report__isnull=True, uploaded_at__lt=now - timedelta(days=1))
    files = list(
        Evidence.objects.filter(report__in=expired).values_list("storage_name", flat=True)
    ) + list(orphans.values_list("storage_name", flat=True))
    orphan_count = orphans.delete()[0]
    report_count = expired.delete()[1].get("hotline.Report", 0)
    for name in files:
        (evidence_files.evidence_root() / name).unlink(missing_ok=True)
    held_count = HeldEmail.objects.filter(received_at__lt=cutoff).delete()[0]
    # The record only stops a re-run from filing a message twice; a year on, the mailbox has
    # long marked the message as handled.
    ingested_count = IngestedEmail.objects.filter(
        report__isnull=True, ingested_at__lt=cutoff
    ).delete()[0]
    return {
        "reports": report_count,
        "orphan_evidence": orphan_count,
        "held_emails": held_count,
        "ingested_email_records": ingested_count,
    }


# How long a sent acknowledgement is remembered, so that a redelivered task sends no second one.
EMAIL_ACK_GUARD_SECONDS = 30 * 24 * 3600


def email_ack_cache_key(report_id: int) -> str:
    return f"sigurnet:hotline:email-ack-sent:{report_id}"


@shared_task(
    autoretry_for=(smtplib.SMTPException, OSError),
    retry_backoff=30,
    retry_backoff_max=600,
    max_retries=10,  # about an hour; an acknowledgement that late is not worth more
    acks_late=True,
)
def send_email_acknowledgement(report_id: int) -> bool:
    """Tell the person who e-mailed a report its reference. Quotes nothing of their message.

    Sent only for e-mail reports with a contact address (given with consent), in the report's
    language, marked ``Auto-Submitted: auto-replied`` (RFC 3834) so that auto-responders do not
    answer it. Without a field for the original Message-ID it carries no In-Reply-To.
    Guard against a second e-mail when the task is delivered again: a cache key set after a
    successful send (``email_ack_cache_key``). A redelivery after a worker died between the
    send and the key, or after the cache was emptied, may send it twice: acceptable for a
    receipt. Returns False when there was nothing to send.
    """
    from django.core.cache import cache
    from django.core.mail import EmailMessage

    from sigurnet.core.selectors import get_profile
    from sigurnet.hotline.models import Channel

    report = Report.objects.filter(pk=report_id, channel=Channel.EMAIL).first()
    if report is None or not report.reference:
        return False
    if not (report.contact_consent and report.contact_email):
        return False
    key = email_ack_cache_key(report_id)
    try:
        if cache.get(key):
            return False
    except Exception:  # cache down: better a possible second receipt than none
        log.warning("Cache unavailable; sending the acknowledgement of %s unguarded", report_id)
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
    message = EmailMessage(
        subject=subject,
        body="\n\n".join(paragraphs) + "\n",
        to=[report.contact_email],
        reply_to=[profile.hotline_email] if profile.hotline_email else None,
        headers={"Auto-Submitted": "auto-replied", "X-Auto-Response-Suppress": "All"},
    )
    message.send()
    try:
        cache.set(key, timezone.now().isoformat(), EMAIL_ACK_GUARD_SECONDS)
    except Exception:
        log.warning("Cache unavailable; acknowledgement of %s sent but not remembered", report_id)
    return True
