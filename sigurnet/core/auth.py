"""Second factor (TOTP and backup codes) for staff accounts, on top of django-otp."""

from __future__ import annotations

import secrets

import segno
from django.contrib.auth.base_user import AbstractBaseUser
from django.contrib.auth.models import AnonymousUser
from django.db import transaction
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

BACKUP_CODE_COUNT = 10
TOTP_DEVICE_NAME = "Authenticator app"
BACKUP_DEVICE_NAME = "Backup codes"


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
