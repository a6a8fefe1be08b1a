"""Whether the background work runs: the checks behind the staff banner and ``/healthz``.

Three things can stop without anyone noticing, and each one is a :class:`Problem`:

- **the schedule**: the heartbeat task (queued by Celery beat every minute, run by a worker)
  has not recorded a beat for ``SCHEDULE_SILENCE``: beat or every worker is down, so missed
  urgent notices are not re-sent, the outbox is not swept and retention does not run;
- **the outbox**: a message has been unsent for longer than ``OUTBOX_WAIT`` (waiting for a
  retry, or given up and waiting for a person);
- **the mail server**: the outbox's last ``MAIL_FAILURES_IN_A_ROW`` attempts all failed with an
  SMTP error or a connection error, and none has been accepted since.

:func:`problems` reads the facts with two queries on one-row or indexed data;
:func:`current_problems` keeps them for ``CACHE_SECONDS`` in the process, so that a staff page
or a monitor's request costs at most those two queries every few seconds. The quick start
(``SIGURNET_DEBUG`` on and no broker: tasks run in the web process, no beat exists) has no
schedule to check, so the schedule check does not apply there (docs/operations.md).
"""

from __future__ import annotations

import logging
import smtplib
import time
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import DatabaseError
from django.db.models import Count, F, Min, Value
from django.db.models.functions import Coalesce
from django.http import HttpRequest, HttpResponse
from django.utils import formats, timezone
from django.utils.translation import gettext, ngettext
from django.views.decorators.http import require_safe

from sigurnet.core.models import Heartbeat, OutgoingMessage

log = logging.getLogger(__name__)

VIEW_SYSTEM_HEALTH = "core.view_system_health"
# The heartbeat runs every minute: ten missed beats are not a slow worker.
SCHEDULE_SILENCE = timedelta(minutes=10)
OUTBOX_WAIT = timedelta(minutes=15)
# One refused attempt can be one bad address or a blip; three in a row, with no message
# accepted in between, is the server (or its settings).
MAIL_FAILURES_IN_A_ROW = 3
CACHE_SECONDS = 5.0
ROW = 1  # the one Heartbeat row
DOC = "docs/operations.md"


@dataclass(frozen=True)
class Problem:
    code: str  # "schedule", "outbox" or "mail": stable, for tests and the page's markup
    title: str  # what is wrong, in the active language
    advice: str  # what to do, in the active language
    section: str  # the section of docs/operations.md that says more

    @property
    def doc(self) -> str:
        return f"{DOC}#{self.section}"


@dataclass(frozen=True)
class Facts:
    """What the checks need, as read from the database at ``read_at``."""

    read_at: datetime
    beat_at: datetime | None
    mail_failures: int
    mail_failing_since: datetime | None
    mail_last_error: str
    waiting: int  # unsent messages older than OUTBOX_WAIT
    oldest_waiting: datetime | None


def schedule_expected() -> bool:
    """Whether beat and a worker should run. Not in the quick start: with DEBUG on and no
    broker, tasks run in the web process and nothing is scheduled. In production a missing
    broker is a fault, and the check says so."""
    return not (settings.DEBUG and settings.CELERY_TASK_ALWAYS_EAGER)


def read_facts(now: datetime | None = None) -> Facts:
    now = now or timezone.now()
    row = Heartbeat.objects.filter(pk=ROW).first()
    waiting = OutgoingMessage.objects.filter(
        sent_at__isnull=True, created_at__lt=now - OUTBOX_WAIT
    ).aggregate(count=Count("id"), oldest=Min("created_at"))
    return Facts(
        read_at=now,
        beat_at=row.beat_at if row else None,
        mail_failures=row.mail_failures if row else 0,
        mail_failing_since=row.mail_failing_since if row else None,
        mail_last_error=row.mail_last_error if row else "",
        waiting=waiting["count"],
        oldest_waiting=waiting["oldest"],
    )


def _when(moment: datetime) -> str:
    return formats.date_format(timezone.localtime(moment), "DATETIME_FORMAT")


def problems_in(facts: Facts, now: datetime | None = None) -> list[Problem]:
    """The problems these facts show, worded in the active language."""
    now = now or timezone.now()
    found: list[Problem] = []
    if schedule_expected() and (facts.beat_at is None or now - facts.beat_at > SCHEDULE_SILENCE):
        last = (
            gettext("The last one ran at %(time)s and none since.") % {"time": _when(facts.beat_at)}
            if facts.beat_at
            else gettext("None has run yet.")
        )
        found.append(
            Problem(
                "schedule",
                gettext("The periodic tasks have not run for more than 10 minutes"),
                gettext(
                    "%(beat)s or the %(worker)s is not running: missed urgent notices are not "
                    "sent again, the outbox is not swept and old data is not deleted. On the "
                    "server, check both (%(command)s) and start the one that stopped."
                )
                % {
                    "beat": "Celery beat",
                    "worker": "Celery worker",
                    "command": "systemctl status sigurnet-worker sigurnet-beat",
                }
                + " "
                + last,
                "the-periodic-tasks-have-stopped",
            )
        )
    if facts.waiting:
        found.append(
            Problem(
                "outbox",
                gettext("E-mail has waited more than 15 minutes to be sent"),
                ngettext(
                    "Since %(time)s, %(count)s message in the outbox has not been sent.",
                    "Since %(time)s, %(count)s messages in the outbox have not been sent.",
                    facts.waiting,
                )
                % {"count": facts.waiting, "time": _when(facts.oldest_waiting or now)}
                + " "
                + gettext(
                    "Look at the outbox on the server to see why (no worker, or the mail server "
                    "refuses it), fix the cause, then send the given-up messages again."
                ),
                "e-mail-is-stuck-in-the-outbox",
            )
        )
    if facts.mail_failures >= MAIL_FAILURES_IN_A_ROW:
        found.append(
            Problem(
                "mail",
                gettext("The mail server refuses e-mail"),
                ngettext(
                    "Since %(time)s, the last attempt to send e-mail failed (%(error)s).",
                    "Since %(time)s, the last %(count)s attempts to send e-mail failed "
                    "(%(error)s).",
                    facts.mail_failures,
                )
                % {
                    "count": facts.mail_failures,
                    "error": facts.mail_last_error or "?",
                    "time": _when(facts.mail_failing_since or now),
                }
                + " "
                + gettext(
                    "Check that the mail server answers and accepts the platform's user, "
                    "password and sender address (settings %(settings)s), then send a test "
                    "message through the outbox."
                )
                % {"settings": "EMAIL_*"},
                "the-mail-server-refuses-e-mail",
            )
        )
    return found


def problems(now: datetime | None = None) -> list[Problem]:
    """Every problem of the background work now, read fresh from the database."""
    now = now or timezone.now()
    return problems_in(read_facts(now), now)


_cached: tuple[float, Facts] | None = None


def current_problems() -> list[Problem]:
    """:func:`problems`, with the facts kept in this process for ``CACHE_SECONDS``."""
    global _cached
    cached = _cached
    if cached is None or time.monotonic() - cached[0] > CACHE_SECONDS:
        cached = (time.monotonic(), read_facts())
        _cached = cached
    return problems_in(cached[1])


def forget() -> None:
    """Drop the kept facts (tests; the next call reads the database)."""
    global _cached
    _cached = None


def may_see(user: object) -> bool:
    """Whether the staff pages show this user the problems: signed in with the second factor,
    and holding ``core.view_system_health`` (Administrators, Hotline supervisors)."""
    return bool(
        getattr(user, "is_authenticated", False)
        and getattr(user, "is_verified", lambda: False)()
        and user.has_perm(VIEW_SYSTEM_HEALTH)  # type: ignore[attr-defined]
    )


# --- Writes: the heartbeat and the outcome of the outbox's attempts ---------------------------


def _update(**changes: object) -> None:
    if not Heartbeat.objects.filter(pk=ROW).update(**changes):
        Heartbeat.objects.get_or_create(pk=ROW)
        Heartbeat.objects.filter(pk=ROW).update(**changes)


def record_heartbeat(now: datetime | None = None) -> None:
    """The heartbeat task ran (beat queued it, a worker ran it)."""
    _update(beat_at=now or timezone.now())


def is_mail_server_error(exc: BaseException) -> bool:
    """An SMTP error or a network error (refused, unreachable, timed out, TLS): something the
    mail server or the way to it did, not a fault of the message or of the code."""
    return isinstance(exc, smtplib.SMTPException | OSError)


def record_mail_failure(error: str, now: datetime | None = None) -> None:
    """One attempt of the outbox failed at the mail server; ``error`` is the kind and the SMTP
    code only (``outbox._error_text``)."""
    now = now or timezone.now()
    _update(
        mail_failures=F("mail_failures") + 1,
        mail_failing_since=Coalesce(F("mail_failing_since"), Value(now)),
        mail_last_error=error[:200],
    )


def record_mail_success() -> None:
    """The mail server accepted a message: whatever failed before is over. Writes nothing
    while nothing failed (one indexed no-op UPDATE)."""
    Heartbeat.objects.filter(pk=ROW, mail_failures__gt=0).update(
        mail_failures=0, mail_failing_since=None, mail_last_error=""
    )


# --- /healthz -----------------------------------------------------------------------------


@require_safe
def healthz(request: HttpRequest) -> HttpResponse:
    """For a monitoring system: 200 "ok" when the checks pass, 503 when any fails. Nothing
    else: no detail of what failed, no version; no session, no login, never cached."""
    try:
        healthy = not current_problems()
    except DatabaseError:
        log.warning("Health check could not read the database", exc_info=True)
        healthy = False
    response = HttpResponse(
        b"ok\n" if healthy else b"fail\n",
        content_type="text/plain; charset=utf-8",
        status=200 if healthy else 503,
    )
    response["Cache-Control"] = "no-store"
    return response
