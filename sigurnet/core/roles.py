"""Staff roles. Each role is a Django group; its permissions are declared here, once.

``sync_roles`` runs after every ``migrate`` so that a role gains the permissions that a new app
declares. Permissions that an administrator adds to a group by hand are kept.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib.auth.models import Group, Permission
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _


@dataclass(frozen=True)
class Role:
    name: str  # the group's name: stable, English, never shown untranslated
    label: Promise
    permissions: tuple[str, ...]  # "app_label.codename"
    uses_admin_site: bool = False  # whether members get is_staff (the Django admin at /admin/)


INSTITUTION_READ = ("core.view_institution", "core.view_contactperson")
INSTITUTION_WRITE = (
    *INSTITUTION_READ,
    "core.add_institution",
    "core.change_institution",
    "core.add_contactperson",
    "core.change_contactperson",
)

# The hotline's figures at /staff/stats/hotline/ (counts and delays only, nothing personal).
HOTLINE_FIGURES = "stats.view_hotline_figures"

ADMINISTRATOR = Role(
    "Administrator",
    _("Administrator"),
    (
        *INSTITUTION_WRITE,
        "core.delete_institution",
        "core.delete_contactperson",
        "core.view_auditevent",
        "core.view_system_health",  # the staff banner when background work or mail stops
        "core.view_deploymentprofile",
        "core.add_deploymentprofile",
        "core.change_deploymentprofile",
        "auth.view_user",
        "auth.add_user",
        "auth.change_user",
        "auth.view_group",
        "axes.view_accessattempt",
        "axes.delete_accessattempt",
        # Reset a lost second factor: delete the device, the person enrols again.
        "otp_totp.view_totpdevice",
        "otp_totp.delete_totpdevice",
        "otp_static.view_staticdevice",
        "otp_static.delete_staticdevice",
        # Figures are totals, no report and no person: administrators report them too.
        HOTLINE_FIGURES,
    ),
    uses_admin_site=True,
)
# Reports are read and changed only through /staff/hotline/ (hotline/triage/). Administrators
# manage accounts, not reports: they have none of these (least privilege).
HOTLINE_TRIAGE = (
    "hotline.view_report",
    "hotline.change_report",
    "hotline.view_evidence",
    "hotline.view_assessment",
    "hotline.add_assessment",
)
# Dispatches (hotline/forwarding/): forward an assessed report, read the dispatch list, revoke a
# link or send a new one.
HOTLINE_FORWARDING = (
    "hotline.view_dispatch",
    "hotline.add_dispatch",
    "hotline.change_dispatch",
)
HOTLINE_ANALYST = Role(
    "Hotline analyst",
    _("Hotline analyst"),
    (*INSTITUTION_READ, *HOTLINE_TRIAGE, *HOTLINE_FORWARDING),
)
HOTLINE_SUPERVISOR = Role(
    "Hotline supervisor",
    _("Hotline supervisor"),
    (
        *INSTITUTION_WRITE,
        *HOTLINE_TRIAGE,
        *HOTLINE_FORWARDING,
        "hotline.assign_report",
        # The staff banner when background work or mail stops: urgent notices depend on it.
        "core.view_system_health",
        # The hotline's settings (/staff/hotline/settings/): targets, four eyes, questions.
        "hotline.view_hotlinesettings",
        "hotline.change_hotlinesettings",
        HOTLINE_FIGURES,
    ),
    uses_admin_site=True,
)
HELPLINE_COUNSELLOR = Role("Helpline counsellor", _("Helpline counsellor"), INSTITUTION_READ)
HELPLINE_SUPERVISOR = Role(
    "Helpline supervisor", _("Helpline supervisor"), INSTITUTION_WRITE, uses_admin_site=True
)
EDITOR = Role("Editor", _("Editor"), ())
EDUCATOR = Role("Educator", _("Educator"), ())
# A contact person at an institution (core/handover.py): /partner/ shows what was handed over
# to their own institution, and nothing else of the platform.
PARTNER_CONTACT = Role("Partner contact", _("Partner contact"), ("core.view_own_handovers",))

ROLES: tuple[Role, ...] = (
    ADMINISTRATOR,
    HOTLINE_ANALYST,
    HOTLINE_SUPERVISOR,
    HELPLINE_COUNSELLOR,
    HELPLINE_SUPERVISOR,
    EDITOR,
    EDUCATOR,
    PARTNER_CONTACT,
)
ROLES_BY_NAME = {role.name: role for role in ROLES}


def uses_admin_site(group_names: set[str]) -> bool:
    return any(ROLES_BY_NAME[name].uses_admin_site for name in group_names if name in ROLES_BY_NAME)


def sync_roles() -> None:
    """Create every role's group and give it the permissions declared above."""
    available = {
        f"{p.content_type.app_label}.{p.codename}": p
        for p in Permission.objects.select_related("content_type")
    }
    for role in ROLES:
        group, _created = Group.objects.get_or_create(name=role.name)
        perms = [available[code] for code in role.permissions if code in available]
        group.permissions.add(*perms)
