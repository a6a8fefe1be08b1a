"""Staff sign-in: password, then a TOTP second factor; lockout after five wrong passwords."""

from __future__ import annotations

import re
import time

from django.test import Client
from django_otp.plugins.otp_static.models import StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from sigurnet.core.models import AuditEvent
from tests.conftest import STAFF_PASSWORD, current_code


def password_step(client: Client, username: str, password: str = STAFF_PASSWORD):
    return client.post("/staff/login/", {"username": username, "password": password})


def test_staff_without_device_reaches_nothing_but_enrolment(make_staff):
    user = make_staff("Hotline analyst", device=False)
    client = Client()
    password_step(client, user.username)
    for path in ["/staff/", "/staff/audit/", "/admin/", "/admin/core/institution/"]:
        response = client.get(path)
        assert response.status_code == 302
        assert response["Location"].startswith("/staff/login/enrol/")
    response = client.get("/staff/login/enrol/")
    assert response.status_code == 200
    assert b"<svg" in response.content  # the QR code is drawn on the server


def test_enrolment_with_the_right_code_shows_backup_codes_once(make_staff):
    user = make_staff("Hotline analyst", device=False)
    client = Client()
    password_step(client, user.username)
    client.get("/staff/login/enrol/")
    device = TOTPDevice.objects.get(user=user, confirmed=False)

    response = client.post("/staff/login/enrol/", {"token": "000000"})
    assert "That code did not work" in response.content.decode()

    time.sleep(1.1)  # after a wrong code, django-otp refuses any code for a second
    response = client.post("/staff/login/enrol/", {"token": current_code_of(device)})
    page = response.content.decode()
    codes = re.findall(r"<code>(\d{8})</code>", page)
    assert len(codes) == 10
    assert sorted(codes) == sorted(StaticToken.objects.values_list("token", flat=True))
    device.refresh_from_db()
    assert device.confirmed
    assert client.get("/staff/").status_code == 200
    assert AuditEvent.objects.filter(action="auth.totp_enrolled", actor_id=user.pk).exists()


def current_code_of(device: TOTPDevice) -> str:
    from django_otp.oath import totp

    return f"{totp(device.bin_key, device.step, device.t0, device.digits, device.drift):06d}"


def test_staff_with_device_must_give_a_code_before_anything(make_staff):
    user = make_staff("Administrator")
    client = Client()
    password_step(client, user.username)
    response = client.get("/staff/audit/")
    assert response["Location"].startswith("/staff/login/verify/")

    response = client.post("/staff/login/verify/?next=/staff/audit/", {"token": "123456x"})
    assert response.status_code == 200
    assert client.get("/staff/audit/").status_code == 302

    time.sleep(1.1)  # django-otp's throttle after a wrong code
    response = client.post(
        "/staff/login/verify/", {"token": current_code(user), "next": "/staff/audit/"}
    )
    assert response["Location"] == "/staff/audit/"
    assert client.get("/staff/audit/").status_code == 200


def test_backup_code_signs_in_once(make_staff):
    user = make_staff("Administrator")
    from sigurnet.core.auth import issue_backup_codes

    code = issue_backup_codes(user)[0]
    first, second = Client(), Client()
    for client in (first, second):
        password_step(client, user.username)
    assert first.post("/staff/login/verify/", {"token": code}).status_code == 302
    response = second.post("/staff/login/verify/", {"token": code})
    assert response.status_code == 200
    assert "error-message" in response.content.decode()
    assert second.get("/staff/").status_code == 302


def test_six_wrong_passwords_lock_the_account_even_for_the_right_password(make_staff):
    user = make_staff("Hotline analyst")
    client = Client()
    for _ in range(4):
        response = password_step(client, user.username, "wrong-password")
        assert response.status_code == 200
        assert "do not match" in response.content.decode()
    for _ in range(2):  # the fifth failure locks; the sixth attempt meets the lock
        response = password_step(client, user.username, "wrong-password")
        assert response.status_code == 429
        assert "locked" in response.content.decode()

    # The right password from another browser does not open a locked account.
    response = password_step(Client(), user.username, STAFF_PASSWORD)
    assert response.status_code == 429
    assert "_auth_user_id" not in Client().session
    assert AuditEvent.objects.filter(action="auth.locked_out").exists()
    assert AuditEvent.objects.filter(action="auth.login_failed").count() >= 5


def test_idle_staff_session_expires(signed_in, settings):
    client = signed_in("Administrator")
    assert client.get("/staff/").status_code == 200
    session = client.session
    session["staff_last_seen"] -= settings.SIGURNET_STAFF_IDLE_MINUTES * 60 + 5
    session.save()
    response = client.get("/staff/")
    assert response.status_code == 302
    assert "expired=1" in response["Location"]
    assert client.get("/staff/").status_code == 302  # signed out for good
    assert AuditEvent.objects.filter(action="auth.session_expired").exists()


def test_admin_site_opens_only_after_second_factor(signed_in):
    client = signed_in("Administrator")
    assert client.get("/admin/core/institution/").status_code == 200


def test_analyst_cannot_open_audit_trail_or_admin(signed_in):
    client = signed_in("Hotline analyst")
    assert client.get("/staff/audit/").status_code == 403
    assert client.get("/admin/core/institution/").status_code in (302, 403)
    assert client.get("/admin/login/").status_code == 403


def test_staff_sign_in_ends_after_the_maximum_time_however_active(signed_in, settings):
    client = signed_in("Administrator")
    session = client.session
    session["staff_signed_in_at"] -= settings.SIGURNET_STAFF_SESSION_MAX_HOURS * 3600 + 5
    session.save()
    assert client.get("/staff/").status_code == 302


def test_joining_a_role_decides_admin_site_access(make_staff):
    from django.contrib.auth.models import Group

    user = make_staff("Hotline analyst")
    assert not user.is_staff
    user.groups.add(Group.objects.get(name="Hotline supervisor"))
    user.refresh_from_db()
    assert user.is_staff
    user.groups.remove(Group.objects.get(name="Hotline supervisor"))
    user.refresh_from_db()
    assert not user.is_staff


def test_administrator_cannot_make_anyone_a_superuser(signed_in, make_staff):
    client = signed_in("Administrator", username="chief")
    other = make_staff("Editor", username="ed")
    page = client.get(f"/admin/auth/user/{other.pk}/change/").content.decode()
    assert 'name="is_superuser"' not in page


def test_administrator_can_reset_a_lost_second_factor(signed_in, make_staff):
    client = signed_in("Administrator", username="chief2")
    other = make_staff("Editor", username="lost-phone")
    device = TOTPDevice.objects.get(user=other)
    response = client.post(f"/admin/otp_totp/totpdevice/{device.pk}/delete/", {"post": "yes"})
    assert response.status_code == 302
    assert not TOTPDevice.objects.filter(user=other).exists()


def test_staff_member_changes_own_password(signed_in):
    client = signed_in("Hotline analyst")
    response = client.post(
        "/staff/account/password/",
        {
            "old_password": STAFF_PASSWORD,
            "new_password1": "another-long-passphrase-42",
            "new_password2": "another-long-passphrase-42",
        },
    )
    assert response.status_code == 302
    assert client.get("/staff/").status_code == 200  # still signed in
