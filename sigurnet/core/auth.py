"""Staff sign-in: what is kept about failed attempts, the throttles, and the second factor
(TOTP and backup codes) on top of django-axes and django-otp."""

from __future__ import annotations

import logging
import math
import secrets
from dataclasses import dataclass
from typing import Any

import segno
from axes.helpers import get_cool_off
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.base_user import AbstractBaseUser
from django.contrib.auth.models import AnonymousUser
from django.core import signing
from django.core.cache import cache
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.utils.crypto import constant_time_compare, salted_hmac
from django.utils.translation import ngettext
from django_otp import devices_for_user
from django_otp.models import ThrottlingMixin
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from sigurnet.core import ratelimit
from sigurnet.core.crypto import blind_index

BACKUP_CODE_COUNT = 10
TOTP_DEVICE_NAME = "Authenticator app"
BACKUP_DEVICE_NAME = "Backup codes"

# A username that belongs to no account is recorded as this prefix and a keyed hash. Usernames
# cannot contain ":", so the two never collide.
UNKNOWN_USERNAME_PREFIX = "unknown:"
LOGIN_THROTTLE_SCOPE = "staff-login-username"
LOGIN_THROTTLE_SECONDS = 3600

log = logging.getLogger(__name__)


def username_hash(username: str) -> str:
    """A keyed hash of a typed username: equal inputs match, the text cannot be read back."""
    return blind_index(username, "staff-login-username")[:32]


def recorded_username(request: HttpRequest | None, credentials: dict[str, Any] | None) -> str:
    """The username as the sign-in records keep it (django-axes' ``AXES_USERNAME_CALLABLE``).

    An account's username is kept as it is; anything else (often a password typed into the
    username field) only as a keyed hash, so that no record holds it in plain text.
    """
    username = ""
    if credentials:
        username = str(credentials.get("username") or "")
    elif request is not None:
        username = str(request.POST.get("username", "") or "")
    return username_for_records(username)


def username_for_records(username: str) -> str:
    model = get_user_model()
    if username and model._default_manager.filter(**{model.USERNAME_FIELD: username}).exists():
        return username
    return UNKNOWN_USERNAME_PREFIX + username_hash(username)


def username_detail(recorded: str) -> dict[str, str]:
    """The audit detail for a username already passed through ``username_for_records``."""
    if recorded.startswith(UNKNOWN_USERNAME_PREFIX):
        return {"username_hash": recorded[len(UNKNOWN_USERNAME_PREFIX) :]}
    return {"username": recorded}


def lockout_minutes() -> int:
    """How long wrong passwords lock a username on one address (django-axes' cool-off)."""
    cool_off = get_cool_off()
    return max(1, math.ceil(cool_off.total_seconds() / 60)) if cool_off else 0


def minutes_text(minutes: int) -> str:
    return ngettext("%(count)d minute", "%(count)d minutes", minutes) % {"count": minutes}


def login_throttle() -> ratelimit.Limit:
    """Wrong passwords for one username from all addresses together, per clock hour."""
    return ratelimit.Limit(
        settings.SIGURNET_LOGIN_FAILURES_PER_USERNAME_PER_HOUR, LOGIN_THROTTLE_SECONDS
    )


def username_refused_for(username: str) -> int:
    """Seconds until sign-in for ``username`` is accepted again; 0 when it is accepted now.

    After ``SIGURNET_LOGIN_FAILURES_PER_USERNAME_PER_HOUR`` wrong passwords for one username in
    a clock hour, from whatever addresses, every attempt for it is refused until the hour ends,
    the right password too, and whether or not an account has that name.
    """
    verdict = ratelimit.peek(LOGIN_THROTTLE_SCOPE, username_hash(username), login_throttle())
    return 0 if verdict.allowed else verdict.retry_after


def count_wrong_password(username: str) -> bool:
    """Count one wrong password for ``username``; True when this one reached the limit."""
    limit, key = login_throttle(), username_hash(username)
    counted = ratelimit.hit(LOGIN_THROTTLE_SCOPE, key, limit)
    return counted.allowed and not ratelimit.peek(LOGIN_THROTTLE_SCOPE, key, limit).allowed


# --- Device cookies (OWASP "Slow Down Online Guessing Attacks with Device Cookies") ---------
#
# A browser in which someone completed a sign-in (password and second factor) gets a signed
# cookie naming the account by its id. An attempt for that account that presents it is exempt
# from the lock on the client's address and from the throttle per username (both of which
# others can trip); it has a lock of its own instead, on that cookie.

DEVICE_COOKIE_NAME = "sigurnet_device"
# Only the sign-in pages read or write it; it is not sent with the other staff pages.
DEVICE_COOKIE_PATH = "/staff/login/"
DEVICE_COOKIE_SALT = "sigurnet.core.auth.device-cookie"
DEVICE_FAILURES_SCOPE = "staff-login-device"
TRUSTED_DEVICE_ATTRIBUTE = "sigurnet_trusted_device"


@dataclass(frozen=True)
class TrustedDevice:
    """A valid device cookie for the account being signed in to."""

    user_id: int
    cookie_id: str


def device_cookie_seconds() -> int:
    return int(settings.SIGURNET_DEVICE_COOKIE_DAYS) * 24 * 3600


def device_cookie_secret(user: AbstractBaseUser) -> str:
    """What a device cookie must match: a keyed hash of the account's password hash and its
    authenticators' keys. A new password (set by the person or by an administrator) or a new
    authenticator changes it, and every device cookie issued before no longer counts."""
    keys = sorted(
        TOTPDevice.objects.filter(user_id=user.pk, confirmed=True).values_list("key", flat=True)
    )
    material = "\n".join([str(user.pk), user.password or "", *keys])
    return salted_hmac(DEVICE_COOKIE_SALT, material, algorithm="sha256").hexdigest()[:32]


def issue_device_cookie(response: HttpResponse, user: AbstractBaseUser) -> None:
    """Give the browser a device cookie for ``user`` after a complete sign-in (a fresh one each
    time, with a new id, so that its failures start from nothing)."""
    value = signing.dumps(
        {"u": user.pk, "c": secrets.token_urlsafe(16), "s": device_cookie_secret(user)},
        salt=DEVICE_COOKIE_SALT,
    )
    response.set_cookie(
        DEVICE_COOKIE_NAME,
        value,
        max_age=device_cookie_seconds(),
        path=DEVICE_COOKIE_PATH,
        secure=settings.SESSION_COOKIE_SECURE,
        httponly=True,
        samesite="Strict",
    )


def trusted_device(request: HttpRequest, username: str) -> TrustedDevice | None:
    """The request's device cookie if it is valid for the account named ``username``: signed
    by us, not older than ``SIGURNET_DEVICE_COOKIE_DAYS``, issued to that account (by id) since
    its last password or authenticator change, and not distrusted after wrong passwords."""
    value = request.COOKIES.get(DEVICE_COOKIE_NAME)
    if not value or not username:
        return None
    try:
        payload = signing.loads(value, salt=DEVICE_COOKIE_SALT, max_age=device_cookie_seconds())
        user_id, cookie_id, secret = int(payload["u"]), str(payload["c"]), str(payload["s"])
    except (signing.BadSignature, KeyError, TypeError, ValueError):
        return None
    model = get_user_model()
    user = model._default_manager.filter(pk=user_id, is_active=True).first()
    if user is None or user.get_username() != username:
        return None
    if not constant_time_compare(secret, device_cookie_secret(user)):
        return None
    try:
        if cache.get(f"{DEVICE_FAILURES_SCOPE}:locked:{cookie_id}"):
            return None
    except Exception:
        # Without the cache its failures cannot be counted: no exemption (fail closed).
        log.warning("Cache unavailable; device cookie not trusted")
        return None
    return TrustedDevice(user_id, cookie_id)


def remember_trusted_device(request: HttpRequest, device: TrustedDevice | None) -> None:
    setattr(request, TRUSTED_DEVICE_ATTRIBUTE, device)


def trusted_device_of(request: HttpRequest | None) -> TrustedDevice | None:
    """The trusted device cookie the sign-in view found on this request, if any."""
    device = getattr(request, TRUSTED_DEVICE_ATTRIBUTE, None)
    return device if isinstance(device, TrustedDevice) else None


def is_trusted_attempt(request: HttpRequest | None, credentials: dict[str, Any] | None) -> bool:
    """django-axes' ``AXES_WHITELIST_CALLABLE``: an attempt with a trusted device cookie is not
    locked by, and does not count towards, the lock on the client's address."""
    return trusted_device_of(request) is not None


def count_device_failure(device: TrustedDevice) -> bool:
    """Count one wrong password with ``device``'s cookie; True when this one reached the limit.

    After ``SIGURNET_LOGIN_FAILURE_LIMIT`` wrong passwords with one device cookie within the
    cool-off time, the cookie is no longer trusted for that time: its attempts are treated like
    any other (the lock on the address and the throttle per username apply again).
    """
    seconds = lockout_minutes() * 60 or 30 * 60
    counter = f"{DEVICE_FAILURES_SCOPE}:failures:{device.cookie_id}"
    try:
        cache.add(counter, 0, timeout=seconds)
        try:
            count = cache.incr(counter)
        except ValueError:  # expired between add and incr
            cache.set(counter, 1, timeout=seconds)
            count = 1
        if count < settings.AXES_FAILURE_LIMIT:
            return False
        cache.set(f"{DEVICE_FAILURES_SCOPE}:locked:{device.cookie_id}", 1, timeout=seconds)
        cache.delete(counter)
    except Exception:
        log.warning("Cache unavailable; could not count a device cookie's failure")
        return False
    return True


def cap_code_throttle(user: AbstractBaseUser | AnonymousUser) -> None:
    """Keep django-otp's delay after wrong codes within ``SIGURNET_OTP_THROTTLE_MAX_SECONDS``.

    django-otp makes the n-th wrong code in a row cost ``factor * 2**(n-1)`` seconds of waiting,
    without end. Before each check the count is lowered to the highest that stays within the
    cap, so that after any number of wrong codes the real user can verify again within it.
    """
    if user.pk is None:
        return
    for device in devices_for_user(user, confirmed=None):
        if not isinstance(device, ThrottlingMixin):
            continue
        factor = device.get_throttle_factor()
        if factor <= 0:
            continue
        highest = max_throttled_failures(factor)
        if device.throttling_failure_count > highest:
            type(device)._default_manager.filter(pk=device.pk).update(
                throttling_failure_count=highest
            )


def max_throttled_failures(factor: float) -> int:
    """The highest failure count whose delay ``factor * 2**(n-1)`` stays within the cap."""
    cap = max(settings.SIGURNET_OTP_THROTTLE_MAX_SECONDS, factor)
    return math.floor(math.log2(cap / factor)) + 1


def has_confirmed_device(user: AbstractBaseUser | AnonymousUser) -> bool:
    return TOTPDevice.objects.filter(user_id=user.pk, confirmed=True).exists()


def is_throttled(user: AbstractBaseUser | AnonymousUser) -> bool:
    """Whether wrong codes have made django-otp refuse this user's authenticator for a while."""
    devices = TOTPDevice.objects.filter(user_id=user.pk, confirmed=True)
    return any(not device.verify_is_allowed()[0] for device in devices)


def pending_totp_device(user: AbstractBaseUser) -> TOTPDevice:
    """The unconfirmed authenticator device being enrolled (created once, then reused)."""
    device = TOTPDevice.objects.filter(user=user, confirmed=False).first()
    if device is None:
        device = TOTPDevice.objects.create(user=user, name=TOTP_DEVICE_NAME, confirmed=False)
    return device


def qr_code_svg(device: TOTPDevice) -> str:
    """The device's otpauth:// URI as an inline SVG QR code, drawn on the server."""
    qr = segno.make(device.config_url, error="m")
    return str(qr.svg_inline(scale=5, dark="#000", light="#fff", title="QR code"))


def secret_for_manual_entry(device: TOTPDevice) -> str:
    """The TOTP secret in base32, in groups of four, for apps that cannot scan."""
    import base64

    text = base64.b32encode(device.bin_key).decode("ascii").rstrip("=")
    return " ".join(text[i : i + 4] for i in range(0, len(text), 4))


def new_backup_code() -> str:
    return f"{secrets.randbelow(10**8):08d}"


@transaction.atomic
def issue_backup_codes(user: AbstractBaseUser) -> list[str]:
    """Replace the user's backup codes with a fresh set and return them (shown once)."""
    device, _created = StaticDevice.objects.get_or_create(user=user, name=BACKUP_DEVICE_NAME)
    device.token_set.all().delete()
    codes = [new_backup_code() for _ in range(BACKUP_CODE_COUNT)]
    StaticToken.objects.bulk_create(StaticToken(device=device, token=code) for code in codes)
    return codes
