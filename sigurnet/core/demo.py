"""Demo data for the quick start: a centre profile, one staff member per role, and hotline
reports for the analysts' queue (``sigurnet.hotline.demo``)."""

from __future__ import annotations

import base64
import datetime
from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.db import transaction
from django_otp.plugins.otp_totp.models import TOTPDevice

from sigurnet.core.auth import TOTP_DEVICE_NAME
from sigurnet.core.models import DeploymentProfile
from sigurnet.core.roles import (
    ADMINISTRATOR,
    EDITOR,
    EDUCATOR,
    HELPLINE_COUNSELLOR,
    HELPLINE_SUPERVISOR,
    HOTLINE_ANALYST,
    HOTLINE_SUPERVISOR,
    PARTNER_CONTACT,
    Role,
    sync_roles,
)
from sigurnet.core.services import save_profile
from sigurnet.hotline.demo import create_demo_reports

DEMO_PASSWORD = "demo-password-only"  # noqa: S105 - printed on screen: the quick start is not for real data

DEMO_STAFF: tuple[tuple[str, Role], ...] = (
    ("admin", ADMINISTRATOR),
    ("analyst", HOTLINE_ANALYST),
    ("hotline-lead", HOTLINE_SUPERVISOR),
    ("counsellor", HELPLINE_COUNSELLOR),
    ("helpline-lead", HELPLINE_SUPERVISOR),
    ("editor", EDITOR),
    ("educator", EDUCATOR),
    ("partner", PARTNER_CONTACT),
)


@dataclass(frozen=True)
class DemoLogin:
    role: str
    username: str
    totp_secret: str


def totp_secret(device: TOTPDevice) -> str:
    return base64.b32encode(device.bin_key).decode("ascii").rstrip("=")


@transaction.atomic
def create_demo_data() -> list[DemoLogin]:
    """Create (or keep) the demo profile and staff; returns their logins. Idempotent."""
    sync_roles()
    if not DeploymentProfile.objects.exists():
        save_profile(
            DeploymentProfile(
                centre_name="Centar za bezbedni internet (demo)",
                country="RS",
                enabled_languages=["en", "sr-latn", "sr", "bs"],
                emergency_number="192",
                emergency_service="Policija",
                helpline_phone="0800 000 000",
                helpline_days=[0, 1, 2, 3, 4],
                helpline_opens=datetime.time(8, 0),
                helpline_closes=datetime.time(20, 0),
                helpline_closed_dates=["01-01", "01-07", "05-01"],
                hotline_email="hotline@example.org",
            )
        )
    logins = []
    users = get_user_model()
    for username, role in DEMO_STAFF:
        user, created = users.objects.get_or_create(
            username=username,
            defaults={"email": f"{username}@example.org", "is_staff": role.uses_admin_site},
        )
        if created:
            user.set_password(DEMO_PASSWORD)
            user.save()
        user.groups.add(Group.objects.get(name=role.name))
        device = TOTPDevice.objects.filter(user=user, confirmed=True).first()
        if device is None:
            device = TOTPDevice.objects.create(user=user, name=TOTP_DEVICE_NAME, confirmed=True)
        logins.append(DemoLogin(role=role.name, username=username, totp_secret=totp_secret(device)))
    create_demo_reports(analyst="analyst", supervisor="hotline-lead")
    return logins
