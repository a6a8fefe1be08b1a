"""The audit trail: what it records, that nothing changes it, and who may read it."""

from __future__ import annotations

import pytest
from django.db import DatabaseError, connection, transaction

from sigurnet.core.models import AuditEvent
from sigurnet.core.services import record_audit_event
from tests.conftest import requires_postgresql


def an_event() -> AuditEvent:
    return record_audit_event("test.event", object_type="core.institution", object_id=7)


def test_sign_in_with_second_factor_is_recorded_with_client_address(signed_in):
    client = signed_in("Administrator", username="ana")
    actions = list(AuditEvent.objects.filter(actor_name="ana").values_list("action", flat=True))
    assert "auth.login" in actions
    assert "auth.second_factor_verified" in actions
    event = AuditEvent.objects.get(actor_name="ana", action="auth.login")
    assert event.client_ip == "127.0.0.1"
    assert client.get("/staff/").status_code == 200


@pytest.mark.django_db
def test_application_refuses_to_change_or_delete_an_event():
    event = an_event()
    event.action = "something.else"
    with pytest.raises(PermissionError):
        event.save()
    with pytest.raises(PermissionError):
        event.delete()
    with pytest.raises(PermissionError):
        AuditEvent.objects.filter(pk=event.pk).update(action="x")
    with pytest.raises(PermissionError):
        AuditEvent.objects.all().delete()
    assert AuditEvent.objects.get(pk=event.pk).action == "test.event"


@requires_postgresql
@pytest.mark.django_db
@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE core_auditevent SET action = 'tampered' WHERE id = %s",
        "DELETE FROM core_auditevent WHERE id = %s",
    ],
)
def test_database_itself_refuses_update_and_delete(statement):
    event = an_event()
    with (
        pytest.raises(DatabaseError, match="append-only"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute(statement, [event.pk])
    with connection.cursor() as cursor:
        cursor.execute("SELECT action FROM core_auditevent WHERE id = %s", [event.pk])
        assert cursor.fetchone() == ("test.event",)


def test_administrator_filters_the_trail_by_action_and_person(signed_in):
    client = signed_in("Administrator", username="admin-ana")
    record_audit_event("report.viewed", object_type="hotline.report", object_id=42)
    response = client.get("/staff/audit/", {"action": "report.viewed"})
    page = response.content.decode()
    assert response.status_code == 200
    assert "hotline.report #42" in page
    assert "auth.login" not in page.split("<tbody>")[1]

    response = client.get("/staff/audit/", {"actor": "admin-ana", "action": "auth.login"})
    rows = response.content.decode().split("<tbody>")[1]
    assert "admin-ana" in rows and "hotline.report" not in rows


def test_reading_the_trail_is_itself_recorded(signed_in):
    client = signed_in("Administrator", username="reader")
    client.get("/staff/audit/")
    assert AuditEvent.objects.filter(actor_name="reader", action="audit.viewed").exists()


@pytest.mark.parametrize(
    "role",
    ["Hotline analyst", "Hotline supervisor", "Helpline counsellor", "Editor", "Partner contact"],
)
def test_only_administrators_read_the_trail(signed_in, role):
    assert signed_in(role).get("/staff/audit/").status_code == 403


def test_admin_changes_are_recorded(signed_in):
    client = signed_in("Administrator", username="boss")
    response = client.post(
        "/admin/core/deploymentprofile/add/",
        {
            "centre_name": "Test centre",
            "country": "BA",
            "enabled_languages": ["en", "bs"],
            "emergency_number": "122",
            "emergency_service": "",
            "helpline_phone": "",
            "helpline_hours": "",
            "hotline_email": "",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    event = AuditEvent.objects.get(action="admin.added")
    assert event.actor_name == "boss"
    assert event.object_type == "core.deploymentprofile"


def all_stored_text() -> str:
    """Every row of every table, as text: what a database dump would show."""
    from django.db import connection

    rows = []
    with connection.cursor() as cursor:
        for table in connection.introspection.table_names():
            cursor.execute(f"SELECT * FROM {connection.ops.quote_name(table)}")
            rows += [repr(row) for row in cursor.fetchall()]
    return "\n".join(rows)


def test_a_password_typed_as_username_is_kept_nowhere_in_plain_text(make_staff):
    from django.test import Client

    from sigurnet.core.crypto import blind_index

    def username_hash(text: str) -> str:
        return blind_index(text, "staff-login-username")[:32]

    make_staff("Hotline analyst", username="ana")
    secret = "Correct-Horse-Battery-42"  # a password, typed into the username field
    client = Client()
    for _ in range(6):  # failures, then the lockout of that "username" on this address
        client.post("/staff/login/", {"username": secret, "password": "ana's password"})
    client.post("/staff/login/", {"username": "ana", "password": "wrong-password"})

    stored = all_stored_text()
    assert secret not in stored
    assert secret.lower() not in stored.lower()
    failed = AuditEvent.objects.filter(action="auth.login_failed")
    assert {"username_hash": username_hash(secret)} in [event.detail for event in failed]
    assert {"username": "ana"} in [event.detail for event in failed]  # an account: kept as is
    locked = AuditEvent.objects.get(action="auth.locked_out")
    assert locked.detail == {"username_hash": username_hash(secret), "scope": "this address"}

    from axes.models import AccessAttempt, AccessFailureLog, AccessLog

    assert set(AccessAttempt.objects.values_list("username", flat=True)) == {
        f"unknown:{username_hash(secret)}",
        "ana",
    }
    assert not AccessFailureLog.objects.exists() and not AccessLog.objects.exists()


def test_admin_changes_are_recorded_with_the_client_address(signed_in, make_staff, settings):
    from django_otp.plugins.otp_totp.models import TOTPDevice

    settings.SIGURNET_TRUSTED_PROXIES = 1
    client = signed_in("Administrator", username="chief")
    other = make_staff("Editor", username="lost-phone")
    device = TOTPDevice.objects.get(user=other)
    response = client.post(
        f"/admin/otp_totp/totpdevice/{device.pk}/delete/",
        {"post": "yes"},
        HTTP_X_FORWARDED_FOR="198.51.100.20",
        HTTP_USER_AGENT="Test browser",
    )
    assert response.status_code == 302
    event = AuditEvent.objects.get(action="admin.deleted")
    assert event.actor_name == "chief"
    assert event.client_ip == "198.51.100.20"
    assert event.user_agent == "Test browser"
    assert event.object_type == "otp_totp.totpdevice"


def test_deleting_several_objects_at_once_in_the_admin_records_each(signed_in):
    from sigurnet.core.models import Institution

    client = signed_in("Administrator", username="tidy")
    first, second = (
        Institution.objects.create(name=name, kind="police", country="RS") for name in "AB"
    )
    response = client.post(
        "/admin/core/institution/",
        {"action": "delete_selected", "_selected_action": [first.pk, second.pk], "post": "yes"},
    )
    assert response.status_code == 302
    assert not Institution.objects.filter(pk__in=[first.pk, second.pk]).exists()
    events = AuditEvent.objects.filter(action="admin.deleted", object_type="core.institution")
    assert sorted(events.values_list("object_id", flat=True)) == sorted(
        [str(first.pk), str(second.pk)]
    )
    assert {event.actor_name for event in events} == {"tidy"}
    assert {event.client_ip for event in events} == {"127.0.0.1"}
