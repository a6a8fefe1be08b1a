"""Staff sign-in limits that an attacker must not turn against the real user, and the session
and second-factor rules around them."""

from __future__ import annotations

import time
from datetime import timedelta
from importlib import import_module

import pytest
from axes.models import AccessAttempt
from django.conf import settings as django_settings
from django.test import Client
from django.utils import timezone
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from sigurnet.core.models import AuditEvent
from tests.conftest import STAFF_PASSWORD, current_code

ATTACKER = "203.0.113.66"
REAL_USER = "198.51.100.7"


def password_step(
    client: Client, username: str, password: str = STAFF_PASSWORD, address: str = "127.0.0.1"
):
    return client.post(
        "/staff/login/", {"username": username, "password": password}, REMOTE_ADDR=address
    )


def session_exists(key: str) -> bool:
    return import_module(django_settings.SESSION_ENGINE).SessionStore().exists(key)


def code_of(device: TOTPDevice) -> str:
    return f"{totp(device.bin_key, device.step, device.t0, device.digits, device.drift):06d}"


# --- Lockout: on the username and the address together, plus a slower throttle per username ---


def test_wrong_passwords_from_one_address_do_not_lock_the_real_user_out_elsewhere(make_staff):
    user = make_staff("Hotline analyst")
    attacker = Client()
    for _ in range(5):
        password_step(attacker, user.username, "wrong-password", ATTACKER)
    for _ in range(30):  # trying on while locked neither counts nor reaches the password check
        response = password_step(attacker, user.username, STAFF_PASSWORD, ATTACKER)
        assert response.status_code == 429
    assert "_auth_user_id" not in attacker.session

    real = Client()
    response = password_step(real, user.username, STAFF_PASSWORD, REAL_USER)
    assert response.status_code == 302
    assert real.get("/staff/")["Location"].startswith("/staff/login/verify/")


def test_attempts_refused_at_a_locked_address_do_not_count_towards_the_username_limit(
    make_staff, settings
):
    settings.SIGURNET_LOGIN_FAILURES_PER_USERNAME_PER_HOUR = 8
    user = make_staff("Hotline analyst")
    for _ in range(40):
        password_step(Client(), user.username, "wrong-password", ATTACKER)
    assert password_step(Client(), user.username, STAFF_PASSWORD, REAL_USER).status_code == 302


def test_an_ipv6_client_is_locked_on_its_whole_64(make_staff):
    user = make_staff("Hotline analyst")
    for host in range(1, 6):  # five addresses of one /64, one wrong password each
        password_step(Client(), user.username, "wrong-password", f"2001:db8:1:2::{host}")
    response = password_step(Client(), user.username, STAFF_PASSWORD, "2001:db8:1:2::99")
    assert response.status_code == 429
    response = password_step(Client(), user.username, STAFF_PASSWORD, "2001:db8:1:3::1")
    assert response.status_code == 302


def test_many_wrong_passwords_from_many_addresses_throttle_the_username_for_the_hour(
    make_staff, settings, monkeypatch
):
    assert settings.SIGURNET_LOGIN_FAILURES_PER_USERNAME_PER_HOUR == 50
    user = make_staff("Hotline analyst")
    other = make_staff("Editor", username="someone-else")
    start = 3600 * 500_000 + 60  # one minute into a clock hour
    monkeypatch.setattr(time, "time", lambda: start)
    for address in range(10):  # 4 wrong passwords from each of ten addresses: below their lock
        for _ in range(5 if address < 2 else 4):
            response = password_step(
                Client(), user.username, "wrong-password", f"192.0.2.{address}"
            )
    assert response.status_code == 200  # the 42nd: still an ordinary wrong password
    for address in range(10, 18):
        password_step(Client(), user.username, "wrong-password", f"192.0.2.{address}")

    # 50 wrong passwords this hour: the right one is refused too, from a fresh address.
    response = password_step(Client(), user.username, STAFF_PASSWORD, REAL_USER)
    assert response.status_code == 429
    assert "too many wrong passwords for this account" in response.content.decode()
    assert "59 minutes" in response.content.decode()
    assert int(response["Retry-After"]) == 3540
    assert AuditEvent.objects.filter(
        action="auth.locked_out", detail__scope="all addresses"
    ).exists()
    # Spaces or full-width letters, which the form removes, do not get round it.
    for variant in (f" {user.username} ", user.username.replace("a", "\uff41")):
        response = password_step(Client(), variant, STAFF_PASSWORD, "192.0.2.200")
        assert response.status_code == 429
    # Another username is not affected.
    assert password_step(Client(), other.username, STAFF_PASSWORD, REAL_USER).status_code == 302

    monkeypatch.setattr(time, "time", lambda: start + 3600)  # the next hour
    response = password_step(Client(), user.username, STAFF_PASSWORD, REAL_USER)
    assert response.status_code == 302


def test_the_throttle_treats_a_username_without_account_alike(db, settings):
    settings.SIGURNET_LOGIN_FAILURES_PER_USERNAME_PER_HOUR = 3
    for address in range(3):
        assert password_step(Client(), "nobody", "x", f"192.0.2.{address}").status_code == 200
    assert password_step(Client(), "nobody", "x", REAL_USER).status_code == 429


# --- The pages say what the settings are ---


def test_sign_in_pages_give_the_configured_limit_and_lock_time(make_staff, settings):
    settings.AXES_FAILURE_LIMIT = 3
    settings.AXES_COOLOFF_TIME = 10 / 60  # hours, as django-axes reads it
    user = make_staff("Hotline analyst")
    client = Client()
    page = password_step(client, user.username, "wrong-password").content.decode()
    assert "After 3 wrong passwords" in page and "for 10 minutes" in page
    assert "five" not in page
    for _ in range(2):
        response = password_step(client, user.username, "wrong-password")
    page = response.content.decode()
    assert response.status_code == 429
    assert "Wait 10 minutes" in page and "half an hour" not in page


def test_a_limit_of_one_reads_in_the_singular(make_staff, settings):
    settings.AXES_FAILURE_LIMIT = 1
    settings.AXES_COOLOFF_TIME = 1 / 60
    page = password_step(Client(), "nobody", "wrong-password").content.decode()
    assert "Wait 1 minute," in page


# --- The client's address behind proxies ---


@pytest.mark.parametrize(
    ("hops", "forwarded", "recorded"),
    [
        (1, "not-an-address", "10.0.0.9"),
        (1, "<script>alert(1)</script>", "10.0.0.9"),
        (1, "999.1.1.1", "10.0.0.9"),
        (1, "198.51.100.7, garbage", "10.0.0.9"),
        (1, "198.51.100.7:abc", "10.0.0.9"),
        (2, "198.51.100.7", "10.0.0.9"),  # fewer hops than proxies configured
        (2, "", "10.0.0.9"),
        (1, "198.51.100.7", "198.51.100.7"),
        (2, "198.51.100.7, 10.0.0.1", "198.51.100.7"),
        (1, "198.51.100.7:51234", "198.51.100.7"),
        (1, "2001:DB8:0:0::1", "2001:db8::1"),
        (1, "[2001:db8::1]:443", "2001:db8::1"),
        (1, "[2001:db8::1", "10.0.0.9"),
        (1, "::ffff:198.51.100.7", "198.51.100.7"),
    ],
)
def test_a_forwarded_address_that_does_not_parse_falls_back_to_the_socket(
    make_staff, settings, hops, forwarded, recorded
):
    settings.SIGURNET_TRUSTED_PROXIES = hops
    user = make_staff("Hotline analyst")
    response = Client().post(
        "/staff/login/",
        {"username": user.username, "password": "wrong-password"},
        REMOTE_ADDR="10.0.0.9",
        HTTP_X_FORWARDED_FOR=forwarded,
    )
    assert response.status_code == 200
    event = AuditEvent.objects.get(action="auth.login_failed")
    assert event.client_ip == recorded
    # The lockout records an IPv6 client by its /64.
    assert AccessAttempt.objects.get().ip_address == recorded.replace("2001:db8::1", "2001:db8::")


def test_an_unparsable_socket_address_records_none(make_staff):
    user = make_staff("Hotline analyst")
    response = password_step(Client(), user.username, "wrong-password", "unix:/run/sigurnet")
    assert response.status_code == 200
    assert AuditEvent.objects.get(action="auth.login_failed").client_ip is None


# --- The second factor ---


def test_after_many_wrong_codes_the_real_user_verifies_within_the_cap(make_staff, settings):
    assert settings.SIGURNET_OTP_THROTTLE_MAX_SECONDS == 300
    user = make_staff("Administrator")
    device = TOTPDevice.objects.get(user=user)
    # Someone with the password has been failing for days: without a cap the next try would
    # wait 2**39 seconds.
    TOTPDevice.objects.filter(pk=device.pk).update(
        throttling_failure_count=40,
        throttling_failure_timestamp=timezone.now() - timedelta(seconds=299),
    )
    client = Client()
    password_step(client, user.username)
    response = client.post("/staff/login/verify/", {"token": current_code(user)})
    assert response.status_code == 302, "256 s is the longest wait, and 299 s have passed"
    assert client.get("/staff/").status_code == 200


def test_the_code_throttle_still_holds_within_the_cap(make_staff):
    user = make_staff("Administrator")
    device = TOTPDevice.objects.get(user=user)
    TOTPDevice.objects.filter(pk=device.pk).update(
        throttling_failure_count=40,
        throttling_failure_timestamp=timezone.now() - timedelta(seconds=200),
    )
    client = Client()
    password_step(client, user.username)
    response = client.post("/staff/login/verify/", {"token": current_code(user)})
    assert response.status_code == 200
    assert "Too many wrong codes" in response.content.decode()
    assert client.get("/staff/").status_code == 302


def test_backup_codes_are_not_blocked_for_ever_either(make_staff):
    from django_otp.plugins.otp_static.models import StaticDevice

    from sigurnet.core.auth import issue_backup_codes

    user = make_staff("Administrator")
    code = issue_backup_codes(user)[0]
    long_ago = timezone.now() - timedelta(seconds=300)
    for model in (TOTPDevice, StaticDevice):
        model.objects.filter(user=user).update(
            throttling_failure_count=60, throttling_failure_timestamp=long_ago
        )
    client = Client()
    password_step(client, user.username)
    assert client.post("/staff/login/verify/", {"token": code}).status_code == 302


def test_the_session_key_changes_when_the_second_factor_is_passed(make_staff):
    user = make_staff("Administrator")
    client = Client()
    password_step(client, user.username)
    after_password = client.session.session_key
    response = client.post("/staff/login/verify/", {"token": current_code(user)})
    assert response.status_code == 302
    assert client.session.session_key != after_password
    assert not session_exists(after_password)
    assert client.get("/staff/").status_code == 200


def test_the_session_key_changes_when_an_authenticator_is_enrolled(make_staff):
    user = make_staff("Hotline analyst", device=False)
    client = Client()
    password_step(client, user.username)
    client.get("/staff/login/enrol/")
    after_password = client.session.session_key
    device = TOTPDevice.objects.get(user=user, confirmed=False)
    response = client.post("/staff/login/enrol/", {"token": code_of(device)})
    assert response.status_code == 200 and "<code>" in response.content.decode()
    assert client.session.session_key != after_password
    assert not session_exists(after_password)
    assert client.get("/staff/").status_code == 200


def test_a_staff_member_with_a_device_cannot_enrol_another_before_the_second_factor(make_staff):
    user = make_staff("Administrator")
    client = Client()  # someone who has only the password
    password_step(client, user.username)

    response = client.get("/staff/login/enrol/")
    assert response.status_code == 302
    assert response["Location"].startswith("/staff/login/verify/")
    # Whatever they post (here the right code of any device the page may have made), no second
    # authenticator comes into being and the session stays unverified.
    pending = TOTPDevice.objects.filter(user=user, confirmed=False).first()
    token = code_of(pending) if pending else "123456"
    response = client.post("/staff/login/enrol/", {"token": token})
    assert response.status_code == 302
    assert list(TOTPDevice.objects.filter(user=user).values_list("confirmed", flat=True)) == [True]
    assert "<code>" not in response.content.decode()  # no backup codes shown
    assert client.get("/staff/").status_code == 302
