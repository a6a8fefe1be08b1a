"""Demo data: one staff member per role, each with an authenticator, re-runnable."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import User
from django.core.management import call_command
from django_otp.plugins.otp_totp.models import TOTPDevice

from sigurnet.core.roles import ROLES


@pytest.mark.django_db
def test_demo_creates_one_staff_member_per_role_and_prints_logins(settings, capsys, tmp_path):
    settings.DEBUG = True
    settings.SIGURNET_EVIDENCE_ROOT = tmp_path / "evidence"  # the demo's evidence picture
    call_command("demo")
    out = capsys.readouterr().out
    for role in ROLES:
        members = User.objects.filter(groups__name=role.name)
        assert members.count() == 1, role.name
        member = members.get()
        assert member.email.endswith("@example.org")
        assert TOTPDevice.objects.filter(user=member, confirmed=True).exists()
        assert member.username in out
    assert "/staff/login/" in out

    call_command("demo")  # a second run changes nothing
    assert User.objects.count() == len(ROLES)
    assert TOTPDevice.objects.count() == len(ROLES)


@pytest.mark.django_db
def test_demo_refuses_in_production(settings):
    from django.core.management.base import CommandError

    settings.DEBUG = False
    with pytest.raises(CommandError, match="Refusing"):
        call_command("demo")
    assert not User.objects.exists()
