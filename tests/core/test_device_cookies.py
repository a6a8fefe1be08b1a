"""Device cookies: a browser in which the real staff member completed a sign-in keeps signing in
while others trip the locks on the username (OWASP's "Slow Down Online Guessing Attacks with
Device Cookies")."""

from __future__ import annotations

import time

import pytest
from django.contrib.auth.models import User
from django.core import signing
from django.test import Client
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice

from sigurnet.core.auth import DEVICE_COOKIE_NAME, DEVICE_COOKIE_SALT
from sigurnet.core.models import AuditEvent
from tests.conftest import STAFF_PASSWORD

REAL_USER = "198.51.100.7"
START = 3600 * 500_000 + 60  # one minute into a clock hour


def password_step(client: Client, username: str, password: str = STAFF_PASSWORD, address=REAL_USER):
    return client.post(
        "/staff/login/", {"username": username, "password": password}, REMOTE_ADDR=address
    )


def complete_sign_in(client: Client, user: User, address: str = REAL_USER) -> None:
    response = password_step(client, user.username, address=address)
    assert response.status_code == 302, response.content
    response = client.post("/staff/login/verify/", {"token": next_code(user)}, REMOTE_ADDR=address)
    assert response.status_code == 302, response.content


def signed_in_before(user: User) -> Client:
    """A browser in which ``user`` completed a sign-in earlier, and then signed out."""
    client = Client()
    complete_sign_in(client, user)
    client.post("/staff/logout/", REMOTE_ADDR=REAL_USER)
    assert client.get("/staff/").status_code == 302
    return client


def attack(username: str, *, also_from: str = REAL_USER) -> None:
    """50 wrong passwords this hour from 10 addresses (5 each), one of them the real user's own
    network: the throttle per username is tripped and the real user's address is locked."""
    for address in [also_from] + [f"192.0.2.{n}" for n in range(9)]:
        for _ in range(5):
            password_step(Client(), username, "wrong-password", address)
    assert AuditEvent.objects.filter(
        action="auth.locked_out", detail__scope="all addresses"
    ).exists()


@pytest.fixture(autouse=True)
def clock(monkeypatch):
    """A settable clock, for the hour windows, the cookies' age and the codes alike."""
    now = [float(START)]
    monkeypatch.setattr(time, "time", lambda: now[0])
    monkeypatch.setattr(f"{__name__}.NOW", now)
    return now


NOW: list[float] = []  # the clock's time while the fixture is in use


def next_code(user: User) -> str:
    """The authenticator's code of the next time step (a code is accepted only once)."""
    NOW[0] += 30
    device = TOTPDevice.objects.get(user=user, confirmed=True)
    generator = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    generator.time = time.time()
    return f"{generator.token():06d}"


def test_during_an_attack_the_real_user_signs_in_from_a_browser_used_before(make_staff, clock):
    user = make_staff("Hotline analyst")
    browser = signed_in_before(user)
    attack(user.username)

    # Without a device cookie, from anywhere, even with the right password: refused.
    for address in (REAL_USER, "203.0.113.9"):
        response = password_step(Client(), user.username, address=address)
        assert response.status_code == 429
    # The real user's browser: password, then the code, as always.
    response = password_step(browser, user.username)
    assert response.status_code == 302
    assert browser.get("/staff/")["Location"].startswith("/staff/login/verify/")
    response = browser.post("/staff/login/verify/", {"token": next_code(user)})
    assert response.status_code == 302
    assert browser.get("/staff/").status_code == 200


def test_the_device_cookie_is_httponly_strict_on_the_sign_in_path_and_holds_no_username(
    make_staff, settings
):
    assert settings.SIGURNET_DEVICE_COOKIE_DAYS == 90
    assert settings.SESSION_COOKIE_SECURE  # as in production
    user = make_staff("Hotline analyst")
    client = Client()
    password_step(client, user.username)
    assert DEVICE_COOKIE_NAME not in client.cookies  # not after the password alone
    response = client.post("/staff/login/verify/", {"token": next_code(user)})
    cookie = response.cookies[DEVICE_COOKIE_NAME]
    assert cookie["httponly"] and cookie["samesite"] == "Strict"
    assert cookie["path"] == "/staff/login/"
    assert cookie["max-age"] == 90 * 24 * 3600
    assert cookie["secure"]
    assert user.username not in cookie.value

    settings.SESSION_COOKIE_SECURE = False  # the quick start, without HTTPS
    client = Client()
    password_step(client, user.username)
    response = client.post("/staff/login/verify/", {"token": next_code(user)})
    assert not response.cookies[DEVICE_COOKIE_NAME]["secure"]


def test_enrolling_an_authenticator_gives_a_device_cookie_that_works(make_staff, clock):
    user = make_staff("Hotline analyst", device=False)
    browser = Client()
    password_step(browser, user.username)
    browser.get("/staff/login/enrol/")
    device = TOTPDevice.objects.get(user=user, confirmed=False)
    generator = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    generator.time = time.time()
    code = f"{generator.token():06d}"
    response = browser.post("/staff/login/enrol/", {"token": code})
    assert DEVICE_COOKIE_NAME in response.cookies
    browser.post("/staff/logout/")
    attack(user.username)
    assert password_step(browser, user.username).status_code == 302


def forged(value: str) -> str:
    payload = signing.loads(value, salt=DEVICE_COOKIE_SALT)
    return signing.dumps(payload, key="not-the-secret-key", salt=DEVICE_COOKIE_SALT)


def with_other_user(other_cookie: str, value: str) -> str:
    """Another account's cookie with this account's id, signed with the site's key: the secret
    it carries is the other account's."""
    user_id = signing.loads(value, salt=DEVICE_COOKIE_SALT)["u"]
    payload = signing.loads(other_cookie, salt=DEVICE_COOKIE_SALT)
    return signing.dumps({**payload, "u": user_id}, salt=DEVICE_COOKIE_SALT)


def tampered(value: str) -> str:
    return value[:-1] + ("A" if value[-1] != "A" else "B")


def passes_the_password_step(browser: Client, user: User, password: str = STAFF_PASSWORD) -> bool:
    """Whether the password step lets ``browser`` through (then signed out again)."""
    response = password_step(browser, user.username, password)
    browser.post("/staff/logout/", REMOTE_ADDR=REAL_USER)
    assert response.status_code in (302, 429)
    return response.status_code == 302


@pytest.mark.parametrize(
    "change",
    [
        pytest.param(lambda value, other: tampered(value), id="tampered"),
        pytest.param(lambda value, other: forged(value), id="signed-with-another-key"),
        pytest.param(lambda value, other: with_other_user(other, value), id="another-accounts"),
        pytest.param(lambda value, other: "garbage", id="garbage"),
    ],
)
def test_a_forged_device_cookie_gives_no_exemption(make_staff, change):
    user = make_staff("Hotline analyst")
    other = make_staff("Editor", username="someone-else")
    browser = signed_in_before(user)
    other_cookie = signed_in_before(other).cookies[DEVICE_COOKIE_NAME].value
    attack(user.username)
    assert passes_the_password_step(browser, user)  # the genuine cookie
    browser.cookies[DEVICE_COOKIE_NAME] = change(
        browser.cookies[DEVICE_COOKIE_NAME].value, other_cookie
    )
    assert not passes_the_password_step(browser, user)


def test_another_staff_members_device_cookie_gives_no_exemption(make_staff):
    user = make_staff("Hotline analyst")
    colleague = make_staff("Editor", username="colleague")
    shared = signed_in_before(colleague)  # a shared computer
    attack(user.username)
    attack(colleague.username)
    assert passes_the_password_step(shared, colleague)
    assert not passes_the_password_step(shared, user)


def test_an_expired_device_cookie_gives_no_exemption(make_staff, clock):
    user = make_staff("Hotline analyst")
    clock[0] = START - 91 * 24 * 3600
    old = signed_in_before(user)
    clock[0] = START - 89 * 24 * 3600
    recent = signed_in_before(user)
    clock[0] = START
    attack(user.username)
    assert passes_the_password_step(recent, user)
    assert not passes_the_password_step(old, user)


def test_after_a_password_change_old_device_cookies_give_no_exemption(make_staff):
    user = make_staff("Hotline analyst")
    laptop = signed_in_before(user)
    phone = Client()
    complete_sign_in(phone, user)
    attack(user.username)
    assert passes_the_password_step(laptop, user)

    new_password = "another-long-password-2"
    response = phone.post(
        "/staff/account/password/",
        {
            "old_password": STAFF_PASSWORD,
            "new_password1": new_password,
            "new_password2": new_password,
        },
    )
    assert response.status_code == 302
    phone.post("/staff/logout/")
    for browser in (laptop, phone):
        assert not passes_the_password_step(browser, user, new_password)


def test_a_password_set_by_an_administrator_revokes_the_device_cookies(make_staff):
    user = make_staff("Hotline analyst")
    laptop = signed_in_before(user)
    attack(user.username)
    assert passes_the_password_step(laptop, user)
    user.set_password("set-by-the-administrator-3")  # as /admin/ -> Users -> change password
    user.save()
    assert not passes_the_password_step(laptop, user, "set-by-the-administrator-3")


def test_removing_the_authenticator_revokes_the_device_cookies(make_staff):
    user = make_staff("Hotline analyst")
    laptop = signed_in_before(user)
    attack(user.username)
    assert passes_the_password_step(laptop, user)
    TOTPDevice.objects.filter(user=user).delete()  # an administrator resets the second factor
    TOTPDevice.objects.create(user=user, name="Authenticator app", confirmed=True)
    assert not passes_the_password_step(laptop, user)


def test_five_wrong_passwords_with_a_device_cookie_end_its_exemption(make_staff, clock):
    user = make_staff("Hotline analyst")
    browser, other = signed_in_before(user), signed_in_before(user)
    attack(user.username)
    for _ in range(4):
        assert password_step(browser, user.username, "wrong-password").status_code == 200
    # After four wrong ones the cookie still lets the right password through ...
    assert password_step(browser, user.username).status_code == 302

    attack_events = AuditEvent.objects.filter(action="auth.locked_out").count()
    for _ in range(5):
        assert password_step(other, user.username, "wrong-password").status_code == 200
    failures = AuditEvent.objects.filter(
        action="auth.login_failed", detail__device_cookie="trusted"
    )
    assert failures.count() == 9
    locked = AuditEvent.objects.filter(action="auth.locked_out").exclude(
        detail__scope__in=["all addresses", "this address"]
    )
    assert [event.detail for event in locked] == [
        {"username": user.username, "scope": "this device"}
    ]
    assert AuditEvent.objects.filter(action="auth.locked_out").count() == attack_events + 1
    # ... after five it is treated like any other browser: refused during the attack.
    response = password_step(other, user.username)
    assert response.status_code == 429
    assert "too many wrong passwords for this account" in response.content.decode()

    # Half an hour later (the throttle per username still holds) it is trusted again.
    clock[0] += 30 * 60
    assert password_step(Client(), user.username).status_code == 429
    assert password_step(other, user.username).status_code == 302


def test_wrong_passwords_with_a_device_cookie_do_not_lock_the_address_or_the_username(
    make_staff, settings, clock
):
    settings.SIGURNET_LOGIN_FAILURES_PER_USERNAME_PER_HOUR = 5
    user = make_staff("Hotline analyst")
    browser = signed_in_before(user)
    for _ in range(5):
        password_step(browser, user.username, "wrong-password")
    # The same network without the cookie is neither locked on its address nor throttled.
    assert password_step(Client(), user.username).status_code == 302


def test_without_a_device_cookie_the_locks_are_unchanged(make_staff, clock):
    user = make_staff("Hotline analyst")
    browser = signed_in_before(user)
    browser.cookies.pop(DEVICE_COOKIE_NAME)
    for _ in range(5):
        password_step(Client(), user.username, "wrong-password")
    assert password_step(browser, user.username).status_code == 429  # this address is locked
    assert password_step(Client(), user.username, address="203.0.113.9").status_code == 302
