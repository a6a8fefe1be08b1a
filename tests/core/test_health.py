"""The schedule must not stop silently (issue 14): the staff banner and /healthz.

Three conditions, each alone: the periodic tasks have not run for 10 minutes, an e-mail has
waited in the outbox for 15 minutes, the mail server refused the last attempts. Each makes
/healthz answer 503 and shows its banner to Hotline supervisors and Administrators, and to
nobody else; with all clear, /healthz says "ok" and no staff page has a banner.
"""

from __future__ import annotations

import re
import smtplib
from collections.abc import Callable, Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from django.core.mail.backends.base import BaseEmailBackend
from django.db import DatabaseError
from django.test import Client
from django.utils import timezone

from sigurnet.core import health, outbox
from sigurnet.core.models import Heartbeat, OutgoingMessage
from sigurnet.core.roles import ROLES
from sigurnet.core.tasks import record_heartbeat
from tests.conftest import free_port

REPO = Path(__file__).resolve().parents[2]
SEE_BANNER = ["Hotline supervisor", "Administrator"]
NO_BANNER = [role.name for role in ROLES if role.name not in SEE_BANNER]
CONDITIONS = ["schedule", "outbox", "mail"]


@pytest.fixture(autouse=True)
def _production_like(settings) -> Iterator[None]:
    # The schedule check applies unless DEBUG is on without a broker (the quick start); the
    # tests run eagerly, so DEBUG must be off whatever the developer's environment says.
    settings.DEBUG = False
    health.forget()
    yield
    health.forget()


@pytest.fixture
def all_clear(db: Any) -> None:
    record_heartbeat.delay()  # what beat and a worker do every minute


def enqueue(n: int = 1) -> OutgoingMessage:
    return outbox.enqueue(
        kind="test.health",
        to=[f"reporter{n}@example.org"],
        subject=f"Message {n}",
        body="Text.\n",
        send_after_commit=False,
    )


class RefusingBackend(BaseEmailBackend):
    """A mail server that answers "535 authentication failed" to everything."""

    def send_messages(self, email_messages: Any) -> int:
        raise smtplib.SMTPAuthenticationError(535, b"5.7.8 Authentication failed")


class BrokenMessageBackend(BaseEmailBackend):
    """A fault that is not the mail server's (a bug while building the message)."""

    def send_messages(self, email_messages: Any) -> int:
        raise ValueError("not a mail server problem")


def fail_attempts(count: int) -> None:
    for n in range(count):
        message = enqueue(100 + n)
        assert not outbox.deliver(message.pk).sent


@pytest.fixture
def make_condition(settings) -> Callable[[str], None]:
    """Bring about one condition, the others staying clear."""

    def make(condition: str) -> None:
        if condition == "schedule":
            Heartbeat.objects.filter(pk=health.ROW).update(
                beat_at=timezone.now() - timedelta(minutes=11)
            )
        elif condition == "outbox":
            message = enqueue()
            OutgoingMessage.objects.filter(pk=message.pk).update(
                created_at=timezone.now() - timedelta(minutes=16)
            )
        elif condition == "mail":
            # Nothing listens on the port: "connection refused", as when the relay is down.
            settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
            settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", free_port()
            settings.EMAIL_TIMEOUT = 5
            fail_attempts(health.MAIL_FAILURES_IN_A_ROW)
        health.forget()

    return make


def healthz(client: Client | None = None, **extra: Any) -> Any:
    health.forget()
    return (client or Client()).get("/healthz", **extra)


def banner(page: str) -> set[str]:
    """The problems the staff page shows, by code; empty when it has no banner."""
    found = re.search(r'class="error-summary system-health"[^>]*data-problems="([^"]*)"', page)
    if found is None:
        assert "system-health" not in page
        return set()
    return set(found.group(1).split())


def staff_page(client: Client, path: str = "/staff/") -> str:
    health.forget()
    response = client.get(path)
    assert response.status_code == 200
    return response.content.decode()


# --- All clear ------------------------------------------------------------------------------


@pytest.mark.parametrize("role", SEE_BANNER)
def test_all_clear_answers_ok_and_shows_no_banner(all_clear, signed_in, role):
    response = healthz()
    assert response.status_code == 200
    assert response.content == b"ok\n"
    client = signed_in(role)
    assert banner(staff_page(client)) == set()
    assert banner(staff_page(client, "/staff/account/password/")) == set()


# --- Each condition alone -------------------------------------------------------------------


@pytest.mark.parametrize("role", SEE_BANNER)
@pytest.mark.parametrize("condition", CONDITIONS)
def test_each_condition_alone_fails_healthz_and_shows_its_banner(
    all_clear, make_condition, signed_in, condition, role
):
    client = signed_in(role)
    make_condition(condition)
    response = healthz()
    assert response.status_code == 503
    assert response.content == b"fail\n"
    page = staff_page(client)
    assert banner(page) == {condition}
    problem = health.problems()[0]
    assert problem.title in page
    assert f"docs/operations.md#{problem.section}" in page
    # every staff page, not only the overview
    assert banner(staff_page(client, "/staff/account/password/")) == {condition}


@pytest.mark.parametrize("role", NO_BANNER)
def test_other_roles_see_no_banner_whatever_is_wrong(all_clear, make_condition, signed_in, role):
    client = signed_in(role)
    for condition in CONDITIONS:
        make_condition(condition)
    assert {p.code for p in health.problems()} == set(CONDITIONS)
    assert banner(staff_page(client)) == set()


def test_a_signed_out_visitor_sees_no_banner_on_the_sign_in_page(all_clear, make_condition):
    make_condition("schedule")
    health.forget()
    page = Client().get("/staff/login/").content.decode()
    assert banner(page) == set()


def test_a_password_without_the_second_factor_shows_no_banner(
    all_clear, make_condition, make_staff
):
    from tests.conftest import STAFF_PASSWORD

    admin = make_staff("Administrator")
    client = Client()
    client.post("/staff/login/", {"username": admin.username, "password": STAFF_PASSWORD})
    make_condition("schedule")
    page = staff_page(client, "/staff/login/verify/")
    assert 'name="token"' in page  # the code is asked for on this page
    assert banner(page) == set()


def test_the_banner_says_what_to_do_in_the_staff_members_language(
    all_clear, make_condition, signed_in
):
    client = signed_in("Hotline supervisor")
    make_condition("schedule")
    client.post("/staff/language/", {"language": "sr-latn", "next": "/staff/"})
    page = staff_page(client)
    assert banner(page) == {"schedule"}
    assert "Periodični zadaci nisu radili više od 10 minuta" in page
    assert "systemctl status sigurnet-worker sigurnet-beat" in page


# --- The schedule ---------------------------------------------------------------------------


def test_the_heartbeat_task_records_its_time_and_clears_the_schedule_problem(db):
    assert "schedule" in {p.code for p in health.problems()}  # never ran
    before = timezone.now()
    record_heartbeat.delay()
    row = Heartbeat.objects.get()
    assert row.beat_at is not None and row.beat_at >= before
    assert health.problems() == []
    record_heartbeat.delay()  # one row, updated
    assert Heartbeat.objects.count() == 1


def test_beat_runs_the_heartbeat_every_minute(settings):
    entries = [
        e for e in settings.CELERY_BEAT_SCHEDULE.values() if e["task"] == record_heartbeat.name
    ]
    assert len(entries) == 1
    assert entries[0]["schedule"] <= 60


def test_a_heartbeat_of_nine_minutes_ago_is_still_fine(db):
    health.record_heartbeat(timezone.now() - timedelta(minutes=9))
    assert health.problems() == []
    health.record_heartbeat(timezone.now() - timedelta(minutes=11))
    assert [p.code for p in health.problems()] == ["schedule"]


def test_the_quick_start_has_no_schedule_to_check(settings, db):
    settings.DEBUG = True
    settings.CELERY_TASK_ALWAYS_EAGER = True  # no broker: no beat, no worker
    assert health.problems() == []
    settings.CELERY_TASK_ALWAYS_EAGER = False  # DEBUG with a broker: beat must run
    assert [p.code for p in health.problems()] == ["schedule"]


def test_production_without_a_broker_is_told_that_nothing_is_scheduled(settings, db):
    settings.DEBUG = False
    settings.CELERY_TASK_ALWAYS_EAGER = True
    assert [p.code for p in health.problems()] == ["schedule"]


# --- The outbox -----------------------------------------------------------------------------


def test_a_message_unsent_for_fourteen_minutes_is_still_fine(all_clear):
    message = enqueue()
    OutgoingMessage.objects.filter(pk=message.pk).update(
        created_at=timezone.now() - timedelta(minutes=14)
    )
    assert health.problems() == []


def test_a_given_up_message_waits_for_a_person_and_keeps_the_warning(all_clear, settings):
    settings.EMAIL_BACKEND = "tests.core.test_health.RefusingBackend"
    message = enqueue()
    outbox.deliver(message.pk)
    message.refresh_from_db()
    assert message.next_attempt_at is None  # 535: given up at once
    OutgoingMessage.objects.filter(pk=message.pk).update(
        created_at=timezone.now() - timedelta(minutes=20)
    )
    assert [p.code for p in health.problems()] == ["outbox"]


def test_sent_messages_never_count_however_old(all_clear):
    message = enqueue()
    assert outbox.deliver(message.pk).sent
    OutgoingMessage.objects.filter(pk=message.pk).update(
        created_at=timezone.now() - timedelta(days=2)
    )
    assert health.problems() == []


# --- The mail server ------------------------------------------------------------------------


def test_smtp_refusals_count_as_the_mail_server_refusing(all_clear, settings):
    settings.EMAIL_BACKEND = "tests.core.test_health.RefusingBackend"
    fail_attempts(health.MAIL_FAILURES_IN_A_ROW)
    (problem,) = health.problems()
    assert problem.code == "mail"
    assert "SMTPAuthenticationError 535" in problem.advice
    assert "Authentication failed" not in problem.advice  # never the server's words


def test_two_failures_in_a_row_are_not_yet_the_mail_server(all_clear, settings):
    settings.EMAIL_BACKEND = "tests.core.test_health.RefusingBackend"
    fail_attempts(2)
    assert health.problems() == []
    fail_attempts(1)
    assert [p.code for p in health.problems()] == ["mail"]


def test_one_accepted_message_ends_the_mail_warning(all_clear, settings):
    settings.EMAIL_BACKEND = "tests.core.test_health.RefusingBackend"
    fail_attempts(health.MAIL_FAILURES_IN_A_ROW)
    assert [p.code for p in health.problems()] == ["mail"]
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    assert outbox.deliver(enqueue(7).pk).sent
    assert health.problems() == []
    assert Heartbeat.objects.get().mail_failures == 0


def test_a_fault_that_is_not_the_mail_servers_does_not_blame_it(all_clear, settings):
    settings.EMAIL_BACKEND = "tests.core.test_health.BrokenMessageBackend"
    fail_attempts(health.MAIL_FAILURES_IN_A_ROW + 2)
    assert health.problems() == []


def test_the_heartbeat_row_is_made_when_mail_fails_first(db, settings):
    settings.EMAIL_BACKEND = "tests.core.test_health.RefusingBackend"
    assert not Heartbeat.objects.exists()
    fail_attempts(health.MAIL_FAILURES_IN_A_ROW)
    assert Heartbeat.objects.get().mail_failures == health.MAIL_FAILURES_IN_A_ROW


# --- /healthz gives nothing away ------------------------------------------------------------


def test_healthz_says_only_ok_or_fail(all_clear, make_condition):
    ok = healthz()
    assert ok.status_code == 200
    bodies = set()
    for condition in CONDITIONS:
        make_condition(condition)
        failed = healthz()
        assert failed.status_code == 503
        bodies.add(failed.content)
        assert failed["Content-Type"] == ok["Content-Type"] == "text/plain; charset=utf-8"
    assert bodies == {b"fail\n"}  # which check failed is not told


def test_healthz_is_never_cached_sets_no_cookie_and_needs_no_session(all_clear, make_condition):
    client = Client()
    for response in (healthz(client), healthz(client, HTTP_ACCEPT_LANGUAGE="sr-latn")):
        assert response.status_code == 200
        assert response["Cache-Control"] == "no-store"
        assert not response.cookies
        assert "Set-Cookie" not in response
    make_condition("outbox")
    response = healthz(client)
    assert response.status_code == 503
    assert response["Cache-Control"] == "no-store"
    assert not response.cookies
    assert not client.cookies


def test_healthz_reveals_no_version(all_clear):
    from importlib.metadata import version

    response = healthz()
    headers = " ".join(f"{name}: {value}" for name, value in response.items())
    for name in ("sigurnet", "django", "celery"):
        assert version(name) not in response.content.decode() + headers
    assert "Server" not in response and "X-Powered-By" not in response


def test_healthz_is_not_redirected_to_https_a_language_or_a_sign_in(all_clear, settings):
    settings.SECURE_SSL_REDIRECT = True
    response = Client().get("/healthz", HTTP_ACCEPT_LANGUAGE="bs")
    assert response.status_code == 200
    assert Client().get("/en/").status_code == 301  # the rest of the site is redirected


def test_healthz_answers_head_and_refuses_post(all_clear):
    assert Client().head("/healthz").status_code == 200
    assert Client().post("/healthz").status_code == 405


def test_healthz_fails_when_the_database_does_not_answer(all_clear, monkeypatch):
    def unreachable(now: Any = None) -> Any:
        raise DatabaseError("connection refused")

    monkeypatch.setattr(health, "read_facts", unreachable)
    assert healthz().status_code == 503


def test_a_staff_page_still_works_when_the_checks_cannot_be_read(all_clear, signed_in, monkeypatch):
    client = signed_in("Administrator")

    def unreadable(now: Any = None) -> Any:
        raise DatabaseError('relation "core_heartbeat" does not exist')  # before `migrate`

    monkeypatch.setattr(health, "read_facts", unreadable)
    assert banner(staff_page(client)) == set()


# --- Cost -----------------------------------------------------------------------------------


def test_the_checks_are_read_once_per_few_seconds_per_process(
    all_clear, signed_in, django_assert_num_queries
):
    health.forget()
    with django_assert_num_queries(2):  # the heartbeat row, the outbox's unsent messages
        health.current_problems()
    with django_assert_num_queries(0):
        health.current_problems()
        assert Client().get("/healthz").status_code == 200


def test_roles_without_the_permission_cost_no_health_query(all_clear, signed_in):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client = signed_in("Hotline analyst")
    health.forget()
    with CaptureQueriesContext(connection) as captured:
        client.get("/staff/")
    assert not any("core_heartbeat" in q["sql"] for q in captured.captured_queries)


# --- Documentation --------------------------------------------------------------------------


def test_every_problem_points_to_a_section_of_the_operations_guide(all_clear, make_condition):
    for condition in CONDITIONS:
        make_condition(condition)
    doc = (REPO / "docs" / "operations.md").read_text()
    anchors = {
        re.sub(r"[^a-z0-9 -]", "", heading.lower()).replace(" ", "-")
        for heading in re.findall(r"^#+ (.+)$", doc, flags=re.M)
    }
    found = health.problems()
    assert {p.code for p in found} == set(CONDITIONS)
    for problem in found:
        assert problem.section in anchors, problem.section
