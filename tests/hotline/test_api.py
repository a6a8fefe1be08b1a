"""The HTTP API under /api/v1/: the contract integrations depend on, and fuzzing of it.

POST /api/v1/reports files a report (anonymous, or as a partner with a Bearer token), POST
/api/v1/reports/status follows it with the receipt, POST /api/v1/reports/messages answers the
hotline. Validation is the web form's; every error is JSON with "message" and "errors".
"""

from __future__ import annotations

import json
import re
import secrets
from collections.abc import Iterator
from datetime import timedelta
from types import SimpleNamespace
from typing import Any
from urllib.parse import urlsplit

import pytest
import schemathesis
from django.core.cache import cache
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from django.test import Client
from django.utils import timezone
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from sigurnet.core import ratelimit
from sigurnet.core.crypto import blind_index
from sigurnet.core.models import Institution
from sigurnet.hotline import services
from sigurnet.hotline.models import Category, Channel, ContentItem, Message, PartnerToken, Report

pytestmark = pytest.mark.django_db

REPORTS = "/api/v1/reports"
STATUS = "/api/v1/reports/status"
MESSAGES = "/api/v1/reports/messages"
OPENAPI = "/api/v1/openapi.json"
OPERATIONS = [(REPORTS, "POST"), (STATUS, "POST"), (MESSAGES, "POST")]
CATEGORIES = [value for value, _label in Category.choices]

A_REPORT = {
    "category": "phishing_fraud",
    "urls": ["https://bank-login.example.com/verify"],
    "where": {"platform": "Viber", "account": "", "how_to_find": ""},
    "seen_at": "2026-01-20",
    "description": "A message says my account is blocked and asks for my PIN.",
    "language": "en",
    "age_band": "18_plus",
    "contact": {"email": "", "phone": "", "consent": False},
}

# Any instant works; a fixed one keeps every rate-limit window whole for the whole test.
FROZEN_NOW = 1_800_000_000 + 5  # 5 s into a minute and into a 15-minute window


def post(client: Client, path: str, body: Any, **extra: Any) -> Any:
    data = body if isinstance(body, str | bytes) else json.dumps(body)
    # Also on an empty body, for which the test client would send no Content-Type at all.
    extra.setdefault("CONTENT_TYPE", "application/json")
    return client.post(path, data=data, content_type=extra["CONTENT_TYPE"], **extra)


def report(**changes: Any) -> dict[str, Any]:
    return {**A_REPORT, **changes}


def assert_json_error(response: Any, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.content
    assert response["Content-Type"].startswith("application/json")
    body = response.json()
    assert isinstance(body["message"], str) and body["message"]
    assert isinstance(body["errors"], dict)
    for field, messages in body["errors"].items():
        assert isinstance(field, str)
        assert messages and all(isinstance(message, str) for message in messages)
    return body


def assert_throttled(response: Any) -> None:
    assert_json_error(response, 429)
    assert int(response["Retry-After"]) >= 1


@pytest.fixture
def client() -> Client:
    return Client()


@pytest.fixture
def frozen_limits(monkeypatch: pytest.MonkeyPatch) -> None:
    """Rate-limit windows do not roll over in the middle of a test (the limits' clock only)."""
    monkeypatch.setattr(ratelimit, "time", SimpleNamespace(time=lambda: FROZEN_NOW))


@pytest.fixture
def institution() -> Institution:
    return Institution.objects.create(
        name="Platform Trust & Safety", kind=Institution.Kind.PLATFORM, country="RS"
    )


def make_token(institution: Institution, **fields: Any) -> str:
    token = secrets.token_urlsafe(32)
    PartnerToken.objects.create(
        institution=institution,
        name="Integration",
        token_index=blind_index(token, "api-token"),
        **fields,
    )
    return token


@pytest.fixture
def filed() -> services.FiledReport:
    return services.file_report(
        services.ReportSubmission(
            category="grooming",
            language="sr-latn",
            urls=["https://chat.example.com/room/7"],
            description="Neko traži slike od moje sestre.",
        ),
        channel="web",
    )


# --- Filing a report ----------------------------------------------------------------------


def test_anonymous_report_is_filed_and_answered_with_reference_and_receipt(client):
    response = post(client, REPORTS, A_REPORT)

    assert response.status_code == 201, response.content
    assert response["Content-Type"].startswith("application/json")
    body = response.json()
    assert set(body) == {"reference", "receipt", "status"}
    assert re.fullmatch(r"SIG-\d{4}-\d{6}", body["reference"])
    assert re.fullmatch(r"\d{4} \d{4} \d{4} \d{4}", body["receipt"])
    assert body["status"] == "received"

    stored = Report.objects.get(reference=body["reference"])
    assert body["reference"] == f"SIG-{timezone.localtime(stored.received_at).year}-{stored.pk:06d}"
    assert stored.channel == Channel.API
    assert stored.partner is None
    assert stored.category == Category.PHISHING_FRAUD
    assert stored.description == A_REPORT["description"]
    assert stored.platform == "Viber"
    assert [link.submitted for link in stored.reported_urls.all()] == A_REPORT["urls"]
    assert [item.canonical for item in stored.content_items.all()] == [
        "https://bank-login.example.com/verify"
    ]
    assert services.report_by_receipt(body["receipt"]) == stored


def test_the_receipt_is_not_stored_only_its_index(client):
    body = post(client, REPORTS, A_REPORT).json()
    digits = body["receipt"].replace(" ", "")
    stored = Report.objects.get(reference=body["reference"])
    assert stored.receipt_index == blind_index(digits, "receipt")
    assert digits not in json.dumps(list(Report.objects.values()), default=str)


def test_partner_report_is_filed_on_the_partner_channel(client, institution):
    token = make_token(institution)

    response = post(client, REPORTS, A_REPORT, HTTP_AUTHORIZATION=f"Bearer {token}")

    assert response.status_code == 201, response.content
    stored = Report.objects.get(reference=response.json()["reference"])
    assert stored.channel == Channel.PARTNER
    assert stored.partner == institution


@pytest.mark.parametrize(
    "header",
    ["Bearer not-a-token", "Bearer ", "Basic dXNlcjpwYXNz", "Token abc", "Bearer"],
)
def test_bad_token_is_refused_with_401_json_and_files_nothing(client, institution, header):
    make_token(institution)
    response = post(client, REPORTS, A_REPORT, HTTP_AUTHORIZATION=header)
    assert_json_error(response, 401)
    assert not Report.objects.exists()


def test_revoked_token_is_refused(client, institution):
    token = make_token(institution, revoked_at=timezone.now() - timedelta(minutes=1))
    response = post(client, REPORTS, A_REPORT, HTTP_AUTHORIZATION=f"Bearer {token}")
    assert_json_error(response, 401)
    assert not Report.objects.exists()


def test_partners_have_higher_limits_than_anonymous_clients(
    client, institution, settings, frozen_limits
):
    settings.SIGURNET_REPORTS_PER_CLIENT_PER_MINUTE = 2
    token = make_token(institution, reports_per_minute=50)

    assert post(client, REPORTS, A_REPORT).status_code == 201
    assert post(client, REPORTS, A_REPORT).status_code == 201
    assert_throttled(post(client, REPORTS, A_REPORT))

    for _attempt in range(5):
        response = post(client, REPORTS, A_REPORT, HTTP_AUTHORIZATION=f"Bearer {token}")
        assert response.status_code == 201, response.content
    assert Report.objects.filter(channel=Channel.PARTNER).count() == 5
    assert Report.objects.filter(channel=Channel.API).count() == 2


def test_partner_token_has_its_own_limit(client, institution, frozen_limits):
    token = make_token(institution, reports_per_minute=3)
    auth = {"HTTP_AUTHORIZATION": f"Bearer {token}"}
    for _attempt in range(3):
        assert post(client, REPORTS, A_REPORT, **auth).status_code == 201
    assert_throttled(post(client, REPORTS, A_REPORT, **auth))
    # Anonymous clients are counted separately.
    assert post(client, REPORTS, A_REPORT).status_code == 201


def test_default_limits_let_a_person_try_the_api_by_hand(client, frozen_limits):
    for attempt in range(25):
        response = post(client, REPORTS, A_REPORT)
        assert response.status_code == 201, (attempt, response.content)


# --- Only JSON, and not from other websites ----------------------------------------------------


@pytest.mark.parametrize(
    "content_type",
    [
        "text/plain",  # what a foreign page can send without asking first
        "text/plain;charset=UTF-8",
        "application/x-www-form-urlencoded",
        "multipart/form-data; boundary=x",
        "application/octet-stream",
        "application/json-patch+json",
        "application/json; charset=latin-1",
        "application/json; boundary=x",
        "",
    ],
)
def test_a_body_that_is_not_declared_json_is_refused_with_415(client, content_type):
    response = post(client, REPORTS, json.dumps(A_REPORT), CONTENT_TYPE=content_type)
    assert_json_error(response, 415)
    assert not Report.objects.exists()


@pytest.mark.parametrize(
    "content_type",
    ["application/json", "application/json; charset=utf-8", 'Application/JSON;Charset="UTF-8"'],
)
def test_json_with_or_without_a_utf8_charset_is_accepted(client, content_type):
    response = post(client, REPORTS, A_REPORT, CONTENT_TYPE=content_type)
    assert response.status_code == 201, response.content


@pytest.mark.parametrize("path", [STATUS, MESSAGES])
def test_following_a_report_needs_json_too(client, filed, path):
    body = json.dumps({"receipt": filed.receipt, "text": "hello"})
    assert_json_error(post(client, path, body, CONTENT_TYPE="text/plain"), 415)
    assert not Message.objects.exists()


@pytest.mark.parametrize(
    "origin",
    [
        "https://evil.example.net",
        "http://testserver.example.net",
        "https://testserver:8443.example.net",
        "null",
        "file://",
        "",
    ],
)
def test_a_report_from_a_page_of_another_website_is_refused_with_403(client, origin):
    response = post(client, REPORTS, A_REPORT, HTTP_ORIGIN=origin)
    assert_json_error(response, 403)
    assert not Report.objects.exists()


def test_a_report_from_the_sites_own_pages_or_a_program_is_accepted(client, settings):
    settings.SIGURNET_PUBLIC_BASE_URL = "https://sigurnet.example.org"
    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, ".example.com"]
    for extra in (
        {},  # no Origin: a program, not a page in a browser
        {"HTTP_ORIGIN": "http://testserver"},  # the host the request came to
        {"HTTP_ORIGIN": "https://sigurnet.example.org"},  # the public address
        {"HTTP_ORIGIN": "https://www.example.com"},  # an allowed host
        {"HTTP_ORIGIN": "http://localhost:8000"},
    ):
        response = post(client, REPORTS, A_REPORT, **extra)
        assert response.status_code == 201, (extra, response.content)


def test_allowing_every_host_does_not_allow_every_origin(client, settings):
    settings.ALLOWED_HOSTS = ["*"]
    assert_json_error(post(client, REPORTS, A_REPORT, HTTP_ORIGIN="https://evil.example.net"), 403)


def test_a_partner_token_is_accepted_whatever_the_origin(client, institution):
    token = make_token(institution)
    response = post(
        client,
        REPORTS,
        A_REPORT,
        HTTP_AUTHORIZATION=f"Bearer {token}",
        HTTP_ORIGIN="https://partner-console.example.net",
    )
    assert response.status_code == 201, response.content


@pytest.mark.parametrize("path", [STATUS, MESSAGES])
def test_following_a_report_from_another_website_is_refused_and_counts_nothing(
    client, filed, settings, frozen_limits, path
):
    settings.SIGURNET_RECEIPT_FAILURES_ALLOWED = 1
    for _attempt in range(3):
        response = post(
            client, path, {"receipt": "0" * 16, "text": "x"}, HTTP_ORIGIN="https://evil.example.net"
        )
        assert_json_error(response, 403)
    assert post(client, path, {"receipt": filed.receipt, "text": "x"}).status_code in (200, 201)


# --- Validation: the web form's rules --------------------------------------------------------


def test_missing_category_is_an_error_under_category(client):
    body = assert_json_error(post(client, REPORTS, {"urls": ["https://example.com/a"]}), 400)
    assert "category" in body["errors"]
    assert not Report.objects.exists()


@pytest.mark.parametrize("category", ["spam", "", "CSAM", "csam "])
def test_unknown_category_is_an_error_under_category(client, category):
    body = assert_json_error(post(client, REPORTS, report(category=category)), 400)
    assert "category" in body["errors"]


@pytest.mark.parametrize("category", CATEGORIES)
def test_every_documented_category_is_accepted(client, category):
    assert post(client, REPORTS, report(category=category)).status_code == 201


def test_report_without_url_or_platform_and_account_is_refused(client):
    body = assert_json_error(
        post(client, REPORTS, report(urls=[], where={"platform": "", "account": ""})), 400
    )
    assert list(body["errors"]) == ["non_field_errors"]
    only_platform = post(client, REPORTS, report(urls=[], where={"platform": "TikTok"}))
    assert "non_field_errors" in assert_json_error(only_platform, 400)["errors"]


def test_platform_and_account_are_enough_without_a_url(client):
    response = post(
        client, REPORTS, report(urls=[], where={"platform": "TikTok", "account": "@someone"})
    )
    assert response.status_code == 201, response.content
    stored = Report.objects.get()
    assert stored.account == "@someone"
    assert stored.content_items.get().kind == ContentItem.Kind.ACCOUNT


def test_invalid_url_is_reported_with_its_line(client):
    body = assert_json_error(
        post(client, REPORTS, report(urls=["https://example.com/ok", "ftp://example.com/x"])),
        400,
    )
    assert list(body["errors"]) == ["urls"]
    assert any("2" in message for message in body["errors"]["urls"])
    assert not any("1" in message for message in body["errors"]["urls"])


def test_contact_without_consent_is_an_error_under_contact_consent(client):
    body = assert_json_error(
        post(client, REPORTS, report(contact={"email": "me@example.org", "consent": False})),
        400,
    )
    assert "contact.consent" in body["errors"]


def test_contact_with_consent_is_kept(client):
    response = post(
        client, REPORTS, report(contact={"email": "me@example.org", "phone": "", "consent": True})
    )
    assert response.status_code == 201, response.content
    stored = Report.objects.get()
    assert (stored.contact_email, stored.contact_consent) == ("me@example.org", True)


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"description": "before\x00after"}, "description"),
        ({"where": {"platform": "Tik\x00Tok", "account": "@x"}}, "where.platform"),
        ({"where": {"platform": "TikTok", "account": "@\x00x"}}, "where.account"),
        ({"where": {"platform": "TikTok", "how_to_find": "\x00"}}, "where.how_to_find"),
        ({"urls": ["https://example.com/\x00"]}, "urls"),
        ({"contact": {"phone": "064\x00123", "consent": True}}, "contact.phone"),
        ({"contact": {"email": "a\x00@example.org", "consent": True}}, "contact.email"),
        ({"language": "en\x00"}, "language"),
        ({"seen_at": "2026-01-01\x00"}, "seen_at"),
    ],
)
def test_nul_characters_are_refused_before_the_database(client, changes, field):
    body = assert_json_error(post(client, REPORTS, report(**changes)), 400)
    assert field in body["errors"]
    assert not Report.objects.exists()


@pytest.mark.parametrize("seen_at", ["yesterday", "2026-13-01", "20-01-2026", "2026-02-30", "T"])
def test_malformed_seen_at_is_an_error_under_seen_at(client, seen_at):
    body = assert_json_error(post(client, REPORTS, report(seen_at=seen_at)), 400)
    assert "seen_at" in body["errors"]


def test_seen_at_in_the_future_is_an_error_under_seen_at(client):
    tomorrow = timezone.localdate() + timedelta(days=2)
    for value in (tomorrow.isoformat(), f"{tomorrow.isoformat()}T10:00:00Z"):
        body = assert_json_error(post(client, REPORTS, report(seen_at=value)), 400)
        assert "seen_at" in body["errors"]


def test_seen_at_accepts_a_date_or_a_time(client):
    for value in ("2026-01-20", "2026-01-20T08:30:00Z", "2026-01-20T08:30:00+01:00", None, ""):
        response = post(client, REPORTS, report(seen_at=value))
        assert response.status_code == 201, (value, response.content)
    assert Report.objects.filter(seen_at__isnull=False).count() == 3
    assert {r.seen_at.date().isoformat() for r in Report.objects.exclude(seen_at=None)} == {
        "2026-01-20"
    }


@pytest.mark.parametrize(
    ("body", "fields"),
    [
        (report(category=7), {"category"}),
        (report(urls="https://example.com"), {"urls"}),
        (report(urls=[1, None]), {"urls.0", "urls.1"}),
        (report(where={"platform": 5}), {"where.platform"}),
        (report(contact={"consent": "maybe"}), {"contact.consent"}),
        (report(where="TikTok"), {"where"}),
        (report(contact="me@example.org"), {"contact"}),
        (report(where=["TikTok"]), {"where"}),
        (report(description=["a"], language={}), {"description", "language"}),
    ],
)
def test_wrong_json_types_are_400_with_field_names(client, body, fields):
    errors = assert_json_error(post(client, REPORTS, body), 400)["errors"]
    assert fields <= set(errors), errors


@pytest.mark.parametrize(
    "raw", ["{not json", "{'category': 'other'}", '{"category": "other",}', "\xff", "[" * 5000]
)
def test_malformed_json_is_a_400_json_error(client, raw):
    assert_json_error(post(client, REPORTS, raw), 400)


@pytest.mark.parametrize("raw", ["", "null", "[]", '"text"', "42"])
def test_json_that_is_not_an_object_is_a_400_json_error(client, raw):
    assert_json_error(post(client, REPORTS, raw), 400)


@pytest.mark.parametrize(
    "raw",
    [
        '"description": "\\ud800"',
        '"description": "x", "where": {"platform": "X", "account": "\\udfff"}',
        '"description": "x", "where": {"how_to_find": "a\\ud83d"}',
    ],
)
def test_unpaired_surrogates_in_a_report_are_a_400_not_a_server_error(client, raw):
    body = '{"category": "other", "urls": ["https://example.com/"], ' + raw + "}"
    assert_json_error(post(client, REPORTS, body), 400)
    assert not Report.objects.exists()


def test_unpaired_surrogate_in_a_reply_is_a_400_not_a_server_error(client, filed):
    body = '{"receipt": "' + filed.receipt + '", "text": "\\ud800"}'
    assert_json_error(post(client, MESSAGES, body), 400)


def test_surrogates_where_pydantic_or_the_form_already_refuse_them(client):
    for raw in (
        '"where": {"platform": "X\\ud800", "account": "@x"}',
        '"urls": ["https://ex\\ud800ample.com/"]',
        '"contact": {"email": "\\udfff@example.org", "consent": true}',
        '"seen_at": "2026-01-01\\ud800"',
    ):
        body = '{"category": "other", "description": "x", ' + raw + "}"
        assert_json_error(post(client, REPORTS, body), 400)


def test_a_lone_surrogate_in_the_contact_email_is_a_400_under_contact_email(client):
    for email in ("a@ex\\ud800ample.org", "a@example.org\\udfff", "a@\\udbff.org"):
        body = (
            '{"category": "other", "description": "x", "urls": ["https://example.com/"], '
            '"contact": {"email": "' + email + '", "consent": true}}'
        )
        errors = assert_json_error(post(client, REPORTS, body), 400)["errors"]
        assert "contact.email" in errors, (email, errors)
    assert not Report.objects.exists()


BIDI_MARKS = [
    "\u202a",
    "\u202b",
    "\u202c",
    "\u202d",
    "\u202e",
    "\u2066",
    "\u2067",
    "\u2068",
    "\u2069",
]


@pytest.mark.parametrize("mark", BIDI_MARKS)
def test_bidirectional_marks_in_contact_details_and_urls_are_refused(client, mark):
    cases = [
        ({"contact": {"email": f"me{mark}@example.org", "consent": True}}, "contact.email"),
        ({"contact": {"email": f"me@exam{mark}ple.org", "consent": True}}, "contact.email"),
        ({"contact": {"phone": f"064 123{mark} 4567", "consent": True}}, "contact.phone"),
        ({"contact": {"phone": f"{mark}064 123 4567", "consent": True}}, "contact.phone"),
        ({"urls": [f"https://example.com/file{mark}gpj.exe"]}, "urls"),
        ({"urls": [f"https://example.com/?q={mark}x"]}, "urls"),
    ]
    for changes, field in cases:
        errors = assert_json_error(post(client, REPORTS, report(**changes)), 400)["errors"]
        assert field in errors, (changes, errors)
    assert not Report.objects.exists()


def test_a_bidirectional_mark_in_a_reply_url_is_refused(client, filed):
    body = {"receipt": filed.receipt, "urls": ["https://example.com/a\u202eb"]}
    assert "urls" in assert_json_error(post(client, MESSAGES, body), 400)["errors"]


# --- Following a report ---------------------------------------------------------------------


def test_status_with_the_receipt_shows_status_and_messages(client, filed):
    services.add_hotline_message(
        filed.report, text="Can you tell us the profile name?", author_id=None
    )
    for receipt in (filed.receipt, services.format_receipt(filed.receipt)):
        response = post(client, STATUS, {"receipt": receipt})
        assert response.status_code == 200, response.content
        assert response["Content-Type"].startswith("application/json")
        body = response.json()
        assert body["reference"] == filed.reference
        assert body["status"] == "received"
        assert body["status_text"]
        assert [(m["sender"], m["text"]) for m in body["messages"]] == [
            ("hotline", "Can you tell us the profile name?")
        ]


def test_wrong_receipt_is_404_and_reveals_nothing(client, filed):
    services.add_hotline_message(filed.report, text="Secret question", author_id=None)
    wrong = f"{(int(filed.receipt) + 1) % 10**16:016d}"
    answers = [post(client, STATUS, {"receipt": receipt}) for receipt in (wrong, "12", "abc")]
    bodies = [assert_json_error(response, 404) for response in answers]
    assert bodies[0] == bodies[1] == bodies[2]
    for response in answers:
        text = response.content.decode()
        assert filed.reference not in text
        assert "Secret question" not in text
        assert "SIG-" not in text


def test_many_wrong_receipts_lock_the_client_out(client, filed, settings, frozen_limits):
    allowed = settings.SIGURNET_RECEIPT_FAILURES_ALLOWED
    assert allowed == 20
    for attempt in range(allowed):
        assert post(client, STATUS, {"receipt": f"{attempt:016d}"}).status_code == 404
    assert_throttled(post(client, STATUS, {"receipt": filed.receipt}))
    assert_throttled(post(client, MESSAGES, {"receipt": filed.receipt, "text": "hello"}))
    assert not Message.objects.exists()


@pytest.mark.parametrize("path", [STATUS, MESSAGES])
def test_a_right_receipt_does_not_clear_the_count_of_wrong_ones(client, filed, frozen_limits, path):
    # Someone with a receipt of their own types it after every 18 guesses: the guesses still
    # add up, and the 21st request after the 20th wrong code is refused.
    statuses = []
    for _round in range(3):
        for attempt in range(18):
            statuses.append(post(client, path, {"receipt": f"{attempt:016d}", "text": "x"}))
        statuses.append(post(client, path, {"receipt": filed.receipt, "text": "x"}))
    codes = [response.status_code for response in statuses]
    assert codes[:18] == [404] * 18
    assert codes[18] in (200, 201)
    assert codes[19:21] == [404, 404]  # the 19th and 20th wrong codes
    assert set(codes[21:]) == {429}
    assert_throttled(statuses[-1])


def test_status_without_a_receipt_is_400(client):
    assert "receipt" in assert_json_error(post(client, STATUS, {}), 400)["errors"]
    assert "receipt" in assert_json_error(post(client, STATUS, {"receipt": 123}), 400)["errors"]


# --- Replies --------------------------------------------------------------------------------


def test_reply_with_text_and_url_is_stored(client, filed):
    response = post(
        client,
        MESSAGES,
        {
            "receipt": services.format_receipt(filed.receipt),
            "text": "The profile is @primer",
            "urls": ["https://chat.example.com/u/primer"],
        },
    )
    assert response.status_code == 201, response.content
    assert response.json() == {"reference": filed.reference, "status": "received"}
    message = Message.objects.get()
    assert message.direction == Message.Direction.FROM_REPORTER
    assert "The profile is @primer" in message.body
    canonicals = {item.canonical for item in filed.report.content_items.all()}
    assert canonicals == {"https://chat.example.com/room/7", "https://chat.example.com/u/primer"}


@pytest.mark.parametrize(
    "changes",
    [{}, {"text": ""}, {"text": "   ", "urls": []}, {"urls": ["  "]}],
)
def test_empty_reply_is_400(client, filed, changes):
    body = assert_json_error(post(client, MESSAGES, {"receipt": filed.receipt, **changes}), 400)
    assert body["errors"]
    assert not Message.objects.exists()


def test_reply_with_bad_url_or_nul_is_400(client, filed):
    for changes in ({"urls": ["javascript:alert(1)"]}, {"text": "a\x00b"}):
        body = assert_json_error(post(client, MESSAGES, {"receipt": filed.receipt, **changes}), 400)
        assert set(body["errors"]) <= {"text", "urls"}
    assert not Message.objects.exists()


def test_reply_with_a_wrong_receipt_is_404(client, filed):
    assert_json_error(post(client, MESSAGES, {"receipt": "0" * 16, "text": "hello"}), 404)
    assert not Message.objects.exists()


@pytest.mark.parametrize("path", [REPORTS, STATUS, MESSAGES])
def test_wrong_method_is_a_json_error_too(client, path):
    assert_json_error(client.get(path), 405)


# --- Duplicates -----------------------------------------------------------------------------


def test_two_spellings_of_one_url_share_one_content_item(client):
    for url in ("HTTP://Example.COM:80/a/../b?utm_source=x#top", "http://example.com/b"):
        assert post(client, REPORTS, report(urls=[url])).status_code == 201
    item = ContentItem.objects.get()
    assert item.canonical == "http://example.com/b"
    assert item.reports.count() == 2
    assert item.reports.count() == 2


# --- OpenAPI document -----------------------------------------------------------------------


@pytest.fixture
def wsgi_requests_keep_the_test_transaction() -> Iterator[None]:
    """Requests through the real WSGI handler must not close the test's connection.

    Django's own test client does the same: close_old_connections would end the transaction
    the test runs in (on PostgreSQL).
    """
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        yield
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)


@pytest.fixture
def api_schema(wsgi_requests_keep_the_test_transaction: None) -> Any:
    from sigurnet.wsgi import application

    return schemathesis.openapi.from_wsgi(OPENAPI, application)


def resolve(document: dict[str, Any], node: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in node:
        target: Any = document
        for part in node["$ref"].removeprefix("#/").split("/"):
            target = target[part]
        node = target
    return node


def request_example(document: dict[str, Any], operation: dict[str, Any]) -> dict[str, Any]:
    """The example request body the document gives for an operation."""
    media = operation["requestBody"]["content"]["application/json"]
    if "example" in media:
        return media["example"]
    if media.get("examples"):
        return next(iter(media["examples"].values()))["value"]
    schema = resolve(document, media["schema"])
    if schema.get("examples"):
        return schema["examples"][0]
    example = {}
    for name in schema.get("required", []):
        prop = resolve(document, schema["properties"][name])
        assert prop.get("examples"), f"no example for {name!r} of {operation['operationId']}"
        example[name] = prop["examples"][0]
    return example


def test_openapi_document_is_valid_openapi_3(api_schema):
    api_schema.validate()  # against the OpenAPI meta-schema
    assert api_schema.raw_schema["openapi"].startswith("3.")
    documented = {
        (operation.path, operation.method.upper())
        for operation in (result.ok() for result in api_schema.get_all_operations())
    }
    assert documented == set(OPERATIONS)


def test_openapi_documents_each_operation_with_examples_and_error_responses(client):
    response = client.get(OPENAPI)
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/json")
    document = response.json()
    for path, method in OPERATIONS:
        operation = document["paths"][path][method.lower()]
        assert operation["summary"]
        assert {"400", "429"} <= set(operation["responses"])
        assert set(operation["responses"]) & {"200", "201"}
        for code in ("400", "429"):
            error_schema = resolve(
                document, operation["responses"][code]["content"]["application/json"]["schema"]
            )
            assert {"message", "errors"} <= set(error_schema["properties"])
        assert request_example(document, operation)
    assert "201" in document["paths"][REPORTS]["post"]["responses"]
    assert "201" in document["paths"][MESSAGES]["post"]["responses"]
    assert "401" in document["paths"][REPORTS]["post"]["responses"]
    for path, method in OPERATIONS:
        assert {"403", "415"} <= set(document["paths"][path][method.lower()]["responses"])


def validator_for(document: dict[str, Any], schema_name: str) -> Any:
    from jsonschema_rs import Draft202012Validator  # schemathesis's validator

    return Draft202012Validator(
        {"$ref": f"#/components/schemas/{schema_name}", "components": document["components"]}
    )


@pytest.mark.parametrize(
    ("changes", "accepted"),
    [
        ({"category": "csam", "description": ""}, True),  # the one category without one
        ({"category": "other", "description": ""}, False),
        ({"category": "other", "description": "   "}, False),
        ({"category": "other", "description": "x"}, True),
        ({"urls": [], "where": {"platform": "TikTok", "account": "@x"}}, True),
        ({"urls": [], "where": {"platform": "TikTok", "how_to_find": "the 2nd video"}}, True),
        ({"urls": [], "where": {"platform": "TikTok"}}, False),
        ({"urls": [], "where": {"platform": " ", "account": "@x"}}, False),
        ({"urls": ["  "], "where": {}}, False),
        ({"urls": ["https://example.com/", " "]}, True),  # blank items are ignored
    ],
)
def test_the_documented_report_rules_are_the_servers(client, changes, accepted):
    document = client.get(OPENAPI).json()
    body = {**report(contact={}, where={}), **changes}
    assert validator_for(document, "ReportIn").is_valid(body) is accepted
    response = post(client, REPORTS, body)
    assert response.status_code == (201 if accepted else 400), response.content


@pytest.mark.parametrize(
    ("changes", "accepted"),
    [
        ({"text": "The profile is @name"}, True),
        ({"urls": ["https://example.com/u/name"]}, True),
        ({"text": "  "}, False),
        ({}, False),
        ({"text": "", "urls": [" "]}, False),
    ],
)
def test_the_documented_reply_rules_are_the_servers(client, filed, changes, accepted):
    document = client.get(OPENAPI).json()
    body = {"receipt": filed.receipt, **changes}
    assert validator_for(document, "ReplyIn").is_valid(body) is accepted
    response = post(client, MESSAGES, body)
    assert response.status_code == (201 if accepted else 400), response.content


def test_the_partner_token_is_an_optional_bearer_security_scheme(client):
    document = client.get(OPENAPI).json()
    schemes = document["components"]["securitySchemes"]
    [(name, scheme)] = schemes.items()
    assert (scheme["type"], scheme["scheme"]) == ("http", "bearer")
    security = document["paths"][REPORTS]["post"]["security"]
    assert {name: []} in security and {} in security  # with a token, or anonymous
    for path in (STATUS, MESSAGES):
        assert "security" not in document["paths"][path]["post"]


def test_the_documented_report_example_is_accepted(client):
    document = client.get(OPENAPI).json()
    example = request_example(document, document["paths"][REPORTS]["post"])
    response = post(client, REPORTS, example)
    assert response.status_code == 201, response.content


def test_api_pages_reference_no_third_party_urls(client):
    document = client.get(OPENAPI).content.decode()
    hosts = {urlsplit(url).hostname for url in re.findall(r"https?://[^\s\"'<>)]+", document)}
    third_party = {
        host for host in hosts if host and not re.search(r"(^|\.)example\.(com|org|net)$", host)
    }
    assert not third_party
    for page in ("/api/v1/docs", "/api/v1/docs/"):
        html = client.get(page).content.decode()
        assert not re.search(r"(src|href)=[\"']?(https?:)?//", html), page


# --- Property-based -------------------------------------------------------------------------


def check_response(status: int, content_type: str, body: bytes) -> None:
    assert status < 500, body[:500]
    assert content_type.split(";")[0].strip() == "application/json", (status, content_type)
    if 400 <= status < 500:
        payload = json.loads(body)
        assert isinstance(payload, dict) and isinstance(payload.get("message"), str), payload


# Not "positive_data_acceptance": the document spells out the form's main rules (a description
# unless csam, where the content is, what a reply needs) but not every one (a web address that
# cannot be read, a date in the future, consent with contact details), so schema-valid data may
# rightly be refused.
SCHEMATHESIS_CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]


@pytest.mark.parametrize("mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE])
@pytest.mark.parametrize(("path", "method"), OPERATIONS)
def test_generated_requests_never_break_the_contract(
    api_schema, settings, filed, path, method, mode
):
    settings.SIGURNET_REPORTS_PER_CLIENT_PER_MINUTE = 100_000
    settings.SIGURNET_REPORTS_PER_MINUTE = 100_000
    settings.SIGURNET_RECEIPT_FAILURES_ALLOWED = 100_000
    operation = api_schema[path][method]

    @hypothesis_settings(
        max_examples=60,
        deadline=None,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    @given(case=operation.as_strategy(generation_mode=mode), steer=st.integers(0, 3))
    def run(case: Any, steer: int) -> None:
        cache.clear()
        if mode is GenerationMode.POSITIVE and isinstance(case.body, dict) and steer:
            steer_towards_success(case.body, path, steer, filed.receipt)
        response = case.call_and_validate(checks=SCHEMATHESIS_CHECKS)
        content_type = response.headers.get("content-type", [""])[0]
        check_response(response.status_code, content_type, response.content)
        outcomes.add(response.status_code)

    outcomes: set[int] = set()
    run()
    if mode is GenerationMode.POSITIVE:  # the generated cases also reached the success paths
        assert outcomes & {200, 201}, outcomes


def steer_towards_success(body: dict[str, Any], path: str, steer: int, receipt: str) -> None:
    """Schema-valid data is mostly refused by the form's rules; make some of it acceptable."""
    if path == REPORTS:
        body["category"] = CATEGORIES[steer * 3 % len(CATEGORIES)]
        if steer >= 2:
            body["urls"] = ["https://example.com/" + str(len(body.get("description", "")))]
            body["description"] = "Seen on a forum."
            body.pop("seen_at", None)
            body.pop("language", None)
            body.pop("age_band", None)
            body.pop("contact", None)
    else:
        body["receipt"] = receipt if steer == 1 else services.format_receipt(receipt)


json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats()
    | st.text()
    | st.sampled_from(["\x00", "a\x00b", "https://example.com/\x00", "2026-01-01", "csam"]),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=12), children, max_size=4)
    ),
    max_leaves=12,
)
tricky_text = st.text() | st.sampled_from(["\x00", "a\x00b", " ", "\r\n", "\u202e", "🙂" * 50])
report_like = st.fixed_dictionaries(
    {
        "category": st.sampled_from(CATEGORIES) | json_values,
        "urls": st.lists(
            st.sampled_from(
                ["https://example.com/a", "example.org/b?utm_source=x", "hxxp://a[.]b"]
            ),
            min_size=1,
            max_size=3,
        )
        | st.lists(tricky_text | st.just("https://example.com/\x00"), max_size=3)
        | json_values,
        "description": tricky_text | json_values,
    },
    optional={
        "where": st.fixed_dictionaries(
            {}, optional={k: tricky_text for k in ("platform", "account", "how_to_find")}
        )
        | json_values,
        "seen_at": st.sampled_from(["2026-01-01", "2026-01-01T10:00:00Z", "9999-01-01"])
        | json_values,
        "language": st.sampled_from(["en", "sr-latn", "sr", "bs", "xx"]) | json_values,
        "age_band": st.sampled_from(["", "under_13", "13_17", "18_plus"]) | json_values,
        "contact": st.fixed_dictionaries(
            {},
            optional={
                "email": st.sampled_from(["", "me@example.org"]) | tricky_text,
                "phone": st.sampled_from(["", "064 123 4567"]) | tricky_text,
                "consent": st.booleans() | json_values,
            },
        )
        | json_values,
    },
)


def test_arbitrary_json_never_causes_a_server_error(settings):
    settings.SIGURNET_REPORTS_PER_CLIENT_PER_MINUTE = 100_000
    settings.SIGURNET_REPORTS_PER_MINUTE = 100_000
    client = Client()

    @hypothesis_settings(
        max_examples=150, deadline=None, database=None, suppress_health_check=list(HealthCheck)
    )
    @given(body=json_values | report_like)
    def run(body: Any) -> None:
        cache.clear()
        response = post(client, REPORTS, json.dumps(body))
        check_response(response.status_code, response["Content-Type"], response.content)
        outcomes.add(response.status_code)

    outcomes: set[int] = set()
    run()
    assert {201, 400} <= outcomes, outcomes
