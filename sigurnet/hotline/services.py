"""Hotline writes: filing a report from any channel, and the conversation with its reporter."""

from __future__ import annotations

import logging
import secrets
from dataclasses import dataclass, field
from datetime import datetime

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, transaction
from django.utils import timezone

from sigurnet.core import ratelimit
from sigurnet.core.crypto import blind_index
from sigurnet.core.models import Institution
from sigurnet.hotline import evidence as evidence_files
from sigurnet.hotline.canonical import canonicalize
from sigurnet.hotline.models import (
    ContentItem,
    Evidence,
    Message,
    Report,
    ReportedURL,
)

log = logging.getLogger(__name__)

RECEIPT_DIGITS = 16


@dataclass
class ReportSubmission:
    """A validated report, whatever channel it came from (see ``forms.ReportForm``)."""

    category: str
    language: str
    urls: list[str] = field(default_factory=list)
    platform: str = ""
    account: str = ""
    location_hint: str = ""
    seen_at: datetime | None = None
    description: str = ""
    age_band: str = ""
    contact_email: str = ""
    contact_phone: str = ""
    contact_consent: bool = False
    news_notice: bool = False  # e-mails only say that news waits (needs an e-mail and consent)
    evidence_ids: list[int] = field(default_factory=list)


@dataclass(frozen=True)
class FiledReport:
    report: Report
    receipt: str  # shown to the reporter once; only its keyed hash is stored

    @property
    def reference(self) -> str:
        return str(self.report.reference)


def new_receipt() -> str:
    return f"{secrets.randbelow(10**RECEIPT_DIGITS):0{RECEIPT_DIGITS}d}"


def format_receipt(receipt: str) -> str:
    """``1234567812345678`` -> ``1234 5678 1234 5678``: easier to copy by hand."""
    return " ".join(receipt[i : i + 4] for i in range(0, len(receipt), 4))


def normalise_receipt(text: str) -> str:
    """What a person typed, without spaces or dashes; '' if it cannot be a receipt."""
    digits = "".join(ch for ch in text if ch.isdigit())
    return digits if len(digits) == RECEIPT_DIGITS else ""


def receipt_index(receipt: str) -> str:
    return blind_index(receipt, "receipt")


def account_key(platform: str, account: str) -> str:
    return f"account:{platform.strip().lower()}:{account.strip().lower().lstrip('@')}"


def _content_item(kind: str, canonical: str, domain: str) -> ContentItem:
    """The item for this canonical form: found by its blind index, created when new."""
    index = blind_index(canonical, "url")
    item = ContentItem.objects.filter(url_index=index).first()
    if item is None:
        try:
            with transaction.atomic():
                item = ContentItem.objects.create(
                    kind=kind,
                    url_index=index,
                    canonical=canonical,
                    domain_index=blind_index(domain, "domain") if domain else "",
                    registrable_domain=domain,
                )
        except IntegrityError:  # another request created it a moment ago
            item = ContentItem.objects.get(url_index=index)
    return item


@transaction.atomic
def file_report(
    submission: ReportSubmission, *, channel: str, partner: Institution | None = None
) -> FiledReport:
    """Store a report and link it to its content items; return it with its receipt.

    Once this returns, the report is committed (or the caller's transaction will commit it):
    the reference may be shown. Contact details are kept only with consent. Urgent categories
    notify the on-duty analysts after the commit, through Celery; a failure there never
    loses the report (a periodic task sends what was missed).
    """
    receipt = new_receipt()
    consent = submission.contact_consent and bool(
        submission.contact_email or submission.contact_phone
    )
    report = Report.objects.create(
        receipt_index=receipt_index(receipt),
        channel=channel,
        language=submission.language,
        category=submission.category,
        seen_at=submission.seen_at,
        platform=submission.platform[:100],
        account=submission.account,
        location_hint=submission.location_hint,
        description=submission.description,
        age_band=submission.age_band,
        contact_email=submission.contact_email if consent else "",
        contact_phone=submission.contact_phone if consent else "",
        contact_consent=consent,
        news_notice=consent and submission.news_notice and bool(submission.contact_email),
        partner=partner,
    )
    year = timezone.localtime(report.received_at).year
    report.reference = f"SIG-{year}-{report.pk:06d}"
    Report.objects.filter(pk=report.pk).update(reference=report.reference)

    wanted: list[tuple[str, str, str, str]] = []  # kind, canonical form, domain, as submitted
    for url in submission.urls:
        canonical = canonicalize(url)
        wanted.append((ContentItem.Kind.URL, canonical.url, canonical.registrable_domain, url))
    if submission.platform and submission.account:
        key = account_key(submission.platform, submission.account)
        wanted.append(
            (ContentItem.Kind.ACCOUNT, key, "", f"{submission.platform}: {submission.account}")
        )
    # Two reports naming the same new items must lock them in the same order, or they can
    # deadlock on the unique index: take them sorted by blind index.
    items = {
        form: _content_item(kind, form, domain)
        for kind, form, domain, _submitted in sorted(
            wanted, key=lambda entry: blind_index(entry[1], "url")
        )
    }
    ReportedURL.objects.bulk_create(
        ReportedURL(report=report, content_item=items[form], submitted=submitted, position=n)
        for n, (_kind, form, _domain, submitted) in enumerate(wanted)
    )
    if submission.evidence_ids:
        Evidence.objects.filter(pk__in=submission.evidence_ids, report__isnull=True).update(
            report=report
        )
    if report.is_urgent:
        transaction.on_commit(lambda: _queue_urgent_notice(report.pk))
    return FiledReport(report=report, receipt=receipt)


def _queue_urgent_notice(report_id: int) -> None:
    from sigurnet.hotline.tasks import notify_urgent_report

    try:
        notify_urgent_report.delay(report_id)
    except Exception:  # broker down: the periodic sweep sends it later
        log.exception("Could not queue the urgent notice for report %s", report_id)


def report_client_limit() -> ratelimit.Limit:
    """Reports one client may send per minute (web form and API together)."""
    return ratelimit.Limit(settings.SIGURNET_REPORTS_PER_CLIENT_PER_MINUTE, 60)


def report_global_limit() -> ratelimit.Limit:
    """Accepted reports per minute from everyone together."""
    return ratelimit.Limit(settings.SIGURNET_REPORTS_PER_MINUTE, 60)


def receipt_failure_limit() -> ratelimit.Limit:
    return ratelimit.Limit(
        settings.SIGURNET_RECEIPT_FAILURES_ALLOWED, settings.SIGURNET_RECEIPT_LOCK_MINUTES * 60
    )


def receipt_lookups_blocked(client: str) -> ratelimit.Verdict:
    """Whether this client typed too many wrong receipts in the window to try again now."""
    return ratelimit.peek("receipt-failures", client, receipt_failure_limit())


def follow_receipt(client: str, receipt: str) -> Report | None:
    """The report of a receipt typed by ``client``; a wrong one counts towards the lock.

    A right code clears nothing: the failures are counted on their own, so the lock comes after
    ``SIGURNET_RECEIPT_FAILURES_ALLOWED`` wrong codes in the window whatever else the client
    typed (someone with a receipt of their own cannot interleave it to guess without end).
    Callers check ``receipt_lookups_blocked`` first.
    """
    report = report_by_receipt(receipt)
    if report is None:
        ratelimit.hit("receipt-failures", client, receipt_failure_limit())
    return report


def upload_client_limit() -> ratelimit.Limit:
    """Evidence files one client may send per clock hour (web form; every file counts)."""
    return ratelimit.Limit(settings.SIGURNET_UPLOADS_PER_CLIENT_PER_HOUR, 3600)


def store_upload(
    client: str, upload: UploadedFile, *, earlier_files: int, earlier_bytes: int
) -> Evidence:
    """Check an evidence file sent with a web report in progress; store it encrypted.

    ``earlier_files`` and ``earlier_bytes`` are what this draft stored before (a file that was
    replaced or removed still counts). Refused with ``EvidenceRejected`` - before the file is
    read or decoded - when the file is over ``SIGURNET_EVIDENCE_MAX_BYTES`` ("too_big"), the
    draft already holds ``SIGURNET_UPLOADS_PER_DRAFT`` files ("draft_count") or would pass
    ``SIGURNET_UPLOAD_BYTES_PER_DRAFT`` ("draft_size"), or the client sent
    ``SIGURNET_UPLOADS_PER_CLIENT_PER_HOUR`` files this hour ("client_limit"; every file that
    gets this far counts, stored or not); then by ``evidence.inspect``'s own checks.
    """
    size = upload.size or 0
    if size > settings.SIGURNET_EVIDENCE_MAX_BYTES:
        raise evidence_files.EvidenceRejected("too_big", "the file is too big")
    if earlier_files >= settings.SIGURNET_UPLOADS_PER_DRAFT:
        raise evidence_files.EvidenceRejected("draft_count", "this draft has enough files")
    if earlier_bytes + size > settings.SIGURNET_UPLOAD_BYTES_PER_DRAFT:
        raise evidence_files.EvidenceRejected("draft_size", "the draft's files are too big")
    if not ratelimit.hit("upload", client, upload_client_limit()).allowed:
        raise evidence_files.EvidenceRejected("client_limit", "too many files from this client")
    clean = evidence_files.inspect(upload.read())
    name = evidence_files.write_encrypted(clean)
    return Evidence.objects.create(
        storage_name=name,
        original_name=(upload.name or "")[:200],
        content_type=clean.content_type,
        size=len(clean.content),
    )


def report_by_receipt(receipt: str) -> Report | None:
    """The report a receipt belongs to, or None. The receipt itself is never stored."""
    digits = normalise_receipt(receipt)
    if not digits:
        return None
    return Report.objects.filter(receipt_index=receipt_index(digits)).first()


@transaction.atomic
def add_reporter_message(
    report: Report, *, text: str, urls: list[str], urls_in_text: bool = False
) -> Message:
    """The reporter answers or adds details; new URLs join the report's content items.

    The one way a reporter's message reaches a report (receipt page, API, e-mail reply),
    whatever the report's status: the message is always stored. What it does to the status
    is the triage's rule (``triage.services.reporter_wrote``: waiting, closed and incomplete
    reports go back to assessment; the others keep their status and are flagged).
    The URLs are listed below the text unless ``urls_in_text`` (an e-mail reply, whose text
    holds them already)."""
    body = text.strip()
    if urls and not urls_in_text:
        body = (body + "\n\n" if body else "") + "\n".join(urls)
    message = Message.objects.create(
        report=report, direction=Message.Direction.FROM_REPORTER, body=body
    )
    start = report.reported_urls.count()
    for offset, url in enumerate(urls):
        canonical = canonicalize(url)
        item = _content_item(ContentItem.Kind.URL, canonical.url, canonical.registrable_domain)
        ReportedURL.objects.create(
            report=report, content_item=item, submitted=url, position=start + offset
        )
    from sigurnet.hotline.triage.services import reporter_wrote

    reporter_wrote(report)  # the status table's rule, audited
    return message


def add_hotline_message(report: Report, *, text: str, author_id: int | None) -> Message:
    """A message from the hotline that the reporter reads with their receipt."""
    return Message.objects.create(
        report=report, direction=Message.Direction.FROM_HOTLINE, body=text, author_id=author_id
    )
