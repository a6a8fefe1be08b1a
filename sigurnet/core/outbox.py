"""The outbox: every e-mail the platform sends, written first, sent after the commit.

:func:`enqueue` writes an ``OutgoingMessage`` inside the caller's transaction and, once that
transaction commits, queues :func:`sigurnet.core.tasks.send_outgoing_message`. If the change is
rolled back, the message is gone with it. The task calls :func:`deliver`, which

1. claims the row with one conditional UPDATE (only an unsent, due row whose claim is free or
   expired; a run at the same moment updates nothing and sends nothing),
2. hands the e-mail, with the Message-ID fixed at enqueue, to Django's mail backend,
3. marks it sent in ONE write (``sent_at``).

A failure records the attempt and when the next one is due (backoff); the task queues itself
again for then, and the sweep (:func:`send_due`, every ``SIGURNET_OUTBOX_SWEEP_SECONDS``) sends
anything due that no task took: the broker was down at the commit, a worker died, a retry was
lost. The one window for a duplicate is between the SMTP server's "250" and the write of step 3:
a worker killed there leaves a claimed, unsent row that is sent again, with the same
Message-ID, once its claim expires.

Each attempt's outcome at the mail server is also noted for ``core.health`` (three refusals
in a row, with none accepted since, put a warning on the staff pages and fail ``/healthz``).
"""

from __future__ import annotations

import logging
import secrets
import smtplib
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.utils import make_msgid
from functools import partial
from urllib.parse import urlsplit

from django.conf import settings
from django.core.mail import EmailMessage
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from sigurnet.core import health
from sigurnet.core.models import OutgoingMessage

log = logging.getLogger(__name__)

# Backoff after a failed attempt: 30 s, 1, 2, 4 ... minutes, at most an hour between attempts.
RETRY_BASE = timedelta(seconds=30)
RETRY_MAX = timedelta(hours=1)
# Attempts before giving up (about seven hours of trying). A given-up message stays, unsent,
# for an operator (docs/operations.md) until retention deletes it.
MAX_ATTEMPTS = 12
# Sent (and given-up) messages may hold a reporter's address: deleted after this long.
OUTBOX_RETENTION = timedelta(days=30)
# Messages the sweep queues in one run at most (the next run takes the rest).
SWEEP_BATCH = 500


def claim_duration() -> timedelta:
    """How long a claim holds: far longer than one send takes (EMAIL_TIMEOUT per SMTP step)."""
    return timedelta(seconds=settings.SIGURNET_OUTBOX_CLAIM_SECONDS)


def sweep_interval() -> timedelta:
    return timedelta(seconds=settings.SIGURNET_OUTBOX_SWEEP_SECONDS)


def new_message_id(kind: str) -> str:
    host = urlsplit(settings.SIGURNET_PUBLIC_BASE_URL).hostname or "localhost"
    return make_msgid(kind.replace(".", "-").replace("_", "-")[:40], domain=host)


def enqueue(
    *,
    kind: str,
    to: Iterable[str],
    subject: str,
    body: str,
    headers: dict[str, str] | None = None,
    reply_to: Iterable[str] = (),
    from_email: str = "",
    key: str | None = None,
    send_after_commit: bool = True,
) -> OutgoingMessage:
    """Write one outgoing e-mail; it is sent after the surrounding transaction commits.

    Call it inside the transaction of the change that causes the message. ``key`` makes the
    call idempotent: a message already written with that key is returned, not a second one.
    ``headers`` are added to the e-mail (``Auto-Submitted`` and the like); the Message-ID is
    made here and never changes. ``send_after_commit=False`` is for a caller that sends the
    message itself (``core.tasks.send_outgoing_message``) right after its commit; if it does
    not get there, the sweep sends it.
    """
    recipients = [address for address in to if address]
    if not recipients:
        raise ValueError("an outgoing message needs a recipient")
    if key is not None:
        existing = OutgoingMessage.objects.filter(key=key).first()
        if existing is not None:
            return existing
    message = OutgoingMessage.objects.create(
        kind=kind,
        key=key,
        message_id=new_message_id(kind),
        from_email=from_email,
        recipients="\n".join(recipients),
        reply_to="\n".join(reply_to),
        subject=subject,
        body=body,
        headers=dict(headers or {}),
        next_attempt_at=timezone.now(),
    )
    if send_after_commit:
        transaction.on_commit(partial(_queue_send, message.pk))
    return message


def _queue_send(message_pk: int, countdown: float | None = None) -> None:
    from sigurnet.core.tasks import send_outgoing_message

    try:
        if countdown is None:
            send_outgoing_message.delay(message_pk)
        else:
            send_outgoing_message.apply_async((message_pk,), countdown=countdown)
    except Exception:  # broker down, or (eager) the mail server: the sweep sends it later
        log.exception("Could not queue outgoing message %s; the sweep will send it", message_pk)


def _claim(message_pk: int, now: datetime) -> str | None:
    """Take the row for this run with one conditional UPDATE; the token, or None if taken,
    sent, given up or not yet due."""
    token = secrets.token_hex(16)
    taken = (
        OutgoingMessage.objects.filter(
            pk=message_pk, sent_at__isnull=True, next_attempt_at__lte=now
        )
        .filter(Q(claimed_until__isnull=True) | Q(claimed_until__lt=now))
        .update(claimed_until=now + claim_duration(), claim_token=token)
    )
    return token if taken else None


def as_email(message: OutgoingMessage) -> EmailMessage:
    return EmailMessage(
        subject=message.subject,
        body=message.body,
        from_email=message.from_email or None,
        to=message.recipient_list,
        reply_to=[line for line in message.reply_to.split("\n") if line] or None,
        headers={**message.headers, "Message-ID": message.message_id},
    )


def _error_text(exc: BaseException) -> str:
    """The kind of failure and the SMTP code; never the server's words (they may hold an
    address)."""
    code = getattr(exc, "smtp_code", None)
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        codes = sorted({str(reply[0]) for reply in exc.recipients.values()})
        return f"{type(exc).__name__} {','.join(codes)}"[:200]
    return f"{type(exc).__name__} {code}".strip()[:200] if code else type(exc).__name__[:200]


def _permanent(exc: BaseException) -> bool:
    """A refusal that another attempt cannot change (SMTP 5xx)."""
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        return all(int(reply[0]) >= 500 for reply in exc.recipients.values())
    code = getattr(exc, "smtp_code", None)
    return isinstance(code, int) and code >= 500


def backoff(attempts: int) -> timedelta:
    """The wait after the ``attempts``-th failed attempt."""
    return min(RETRY_BASE * 2 ** max(attempts - 1, 0), RETRY_MAX)


@dataclass(frozen=True)
class Delivery:
    sent: bool
    retry_in: float | None = None  # seconds until the next attempt, after a failure


def deliver(message_pk: int, now: datetime | None = None) -> Delivery:
    """Send one message if it is unsent, due and not claimed by another run. Idempotent."""
    now = now or timezone.now()
    token = _claim(message_pk, now)
    if token is None:
        return Delivery(sent=False)
    message = OutgoingMessage.objects.get(pk=message_pk)
    try:
        as_email(message).send()
    except Exception as exc:
        attempts = message.attempts + 1
        given_up = attempts >= MAX_ATTEMPTS or _permanent(exc)
        wait = backoff(attempts)
        OutgoingMessage.objects.filter(pk=message_pk, claim_token=token).update(
            attempts=attempts,
            last_error=_error_text(exc),
            next_attempt_at=None if given_up else timezone.now() + wait,
            claimed_until=None,
        )
        if health.is_mail_server_error(exc):  # for the staff banner and /healthz
            health.record_mail_failure(_error_text(exc))
        if given_up:
            log.error("Gave up outgoing message %s after %s attempt(s)", message_pk, attempts)
            return Delivery(sent=False)
        log.warning(
            "Outgoing message %s failed (attempt %s), retry in %s", message_pk, attempts, wait
        )
        return Delivery(sent=False, retry_in=wait.total_seconds())
    # The one write after the SMTP server accepted: until it is done, a killed worker means
    # the message is sent again (same Message-ID) once the claim expires.
    OutgoingMessage.objects.filter(pk=message_pk).update(
        sent_at=timezone.now(),
        attempts=message.attempts + 1,
        last_error="",
        next_attempt_at=None,
        claimed_until=None,
    )
    health.record_mail_success()
    return Delivery(sent=True)


def due_messages(now: datetime) -> list[int]:
    """Unsent messages due for longer than one sweep interval and not claimed: no task took
    them (the broker was down, the worker died, the retry was lost)."""
    return list(
        OutgoingMessage.objects.filter(
            sent_at__isnull=True, next_attempt_at__lte=now - sweep_interval()
        )
        .filter(Q(claimed_until__isnull=True) | Q(claimed_until__lt=now))
        .order_by("next_attempt_at", "pk")
        .values_list("pk", flat=True)[:SWEEP_BATCH]
    )


def send_due(now: datetime | None = None) -> int:
    """Queue a send task for every message the sweep finds; how many it queued."""
    waiting = due_messages(now or timezone.now())
    for pk in waiting:
        _queue_send(pk)
    return len(waiting)


def delete_old_messages(now: datetime | None = None) -> int:
    """Delete sent messages, and given-up ones, older than ``OUTBOX_RETENTION``. Messages still
    to be sent are never deleted."""
    cutoff = (now or timezone.now()) - OUTBOX_RETENTION
    sent = Q(sent_at__isnull=False, sent_at__lt=cutoff)
    given_up = Q(sent_at__isnull=True, next_attempt_at__isnull=True, created_at__lt=cutoff)
    return OutgoingMessage.objects.filter(sent | given_up).delete()[0]
