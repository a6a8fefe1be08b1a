"""Shared models: the deployment profile, the audit trail, the institutions registry and the
outbox of e-mails the platform sends."""

from __future__ import annotations

import ipaddress
import re
from typing import Any, ClassVar

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import models
from django.utils.translation import gettext_lazy as _

from sigurnet.core.fields import EncryptedCharField, EncryptedTextField


def language_choices() -> list[tuple[str, str]]:
    return [(code, str(name)) for code, name in settings.LANGUAGES]


class Country(models.TextChoices):
    SERBIA = "RS", _("Serbia")
    BOSNIA_AND_HERZEGOVINA = "BA", _("Bosnia and Herzegovina")


class DeploymentProfile(models.Model):
    """Who runs this installation and how the public reaches them. There is exactly one."""

    centre_name = models.CharField(_("centre name"), max_length=200)
    country = models.CharField(
        _("country"), max_length=2, help_text=_("Two-letter country code, for example RS or BA.")
    )
    enabled_languages = models.JSONField(
        _("enabled languages"),
        default=list,
        help_text=_("The languages offered on public pages."),
    )
    emergency_number = models.CharField(
        _("emergency number"),
        max_length=20,
        help_text=_(
            "The number to call when a child is in danger right now (for example 192 in "
            "Serbia, 122 in Bosnia and Herzegovina)."
        ),
    )
    emergency_service = models.CharField(_("emergency service"), max_length=100, blank=True)
    helpline_phone = models.CharField(_("helpline phone"), max_length=40, blank=True)
    # Opening hours: one weekly period and the dates it is closed (see core/opening_hours.py).
    helpline_days = models.JSONField(
        _("helpline open on"),
        default=list,
        blank=True,
        help_text=_("The days of the week the helpline answers."),
    )
    helpline_opens = models.TimeField(_("helpline opens at"), null=True, blank=True)
    helpline_closes = models.TimeField(_("helpline closes at"), null=True, blank=True)
    helpline_closed_dates = models.JSONField(
        _("helpline closed on"),
        default=list,
        blank=True,
        help_text=_(
            "One date per line: 2026-04-10 for that day only, 01-01 for the same day every year."
        ),
    )
    helpline_hours = models.CharField(
        _("note on opening hours"),
        max_length=200,
        blank=True,
        help_text=_("Shown under the opening hours, as written, in every language."),
    )
    hotline_email = models.EmailField(_("hotline e-mail"), blank=True)
    logo = models.ImageField(_("logo"), upload_to="profile/", blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("deployment profile")
        verbose_name_plural = _("deployment profile")

    def __str__(self) -> str:
        return self.centre_name

    def save(self, *args: Any, **kwargs: Any) -> None:
        self.pk = 1  # a singleton: saving always writes the one row
        super().save(*args, **kwargs)

    def clean(self) -> None:
        known = {code for code, _name in settings.LANGUAGES}
        unknown = [code for code in self.enabled_languages if code not in known]
        if unknown:
            raise ValidationError(
                {
                    "enabled_languages": _("Unknown language codes: %(codes)s")
                    % {"codes": ", ".join(unknown)}
                }
            )
        if not self.enabled_languages:
            raise ValidationError({"enabled_languages": _("Enable at least one language.")})
        self._clean_opening_hours()

    def _clean_opening_hours(self) -> None:
        from sigurnet.core.opening_hours import DAYS, parse_closed_date

        errors: dict[str, Any] = {}
        if any(day not in DAYS for day in self.helpline_days or []):
            errors["helpline_days"] = _("Days are numbers from 0 (Monday) to 6 (Sunday).")
        times = (self.helpline_opens, self.helpline_closes)
        if self.helpline_days and None in times:
            errors["helpline_closes"] = _("Give the opening and the closing time.")
        elif None not in times and self.helpline_opens >= self.helpline_closes:  # type: ignore[operator]
            errors["helpline_closes"] = _("The closing time must be after the opening time.")
        elif not self.helpline_days and times != (None, None):
            errors["helpline_days"] = _("Choose the days the helpline is open.")
        wrong = []
        for text in self.helpline_closed_dates or []:
            try:
                parse_closed_date(str(text))
            except ValueError:
                wrong.append(str(text))
        if wrong:
            errors["helpline_closed_dates"] = _("Not a date: %(dates)s") % {
                "dates": ", ".join(wrong)
            }
        if errors:
            raise ValidationError(errors)


class AuditEventQuerySet(models.QuerySet["AuditEvent"]):
    def update(self, **kwargs: Any) -> int:
        raise PermissionError("Audit events cannot be changed")

    def delete(self) -> tuple[int, dict[str, int]]:
        raise PermissionError("Audit events cannot be deleted")


class AuditEvent(models.Model):
    """One staff action on personal or case data, or on the platform's security.

    Append-only: the application offers no way to change or delete a row, and on PostgreSQL a
    trigger makes UPDATE and DELETE fail in the database itself (migration 0002).
    The actor is stored by id and name, without a foreign key, so that removing a staff
    account never needs to touch the trail.
    """

    occurred_at = models.DateTimeField(auto_now_add=True, db_index=True)
    actor_id = models.BigIntegerField(null=True, blank=True, db_index=True)
    actor_name = models.CharField(max_length=150, blank=True)
    action = models.CharField(max_length=64, db_index=True)
    object_type = models.CharField(max_length=100, blank=True, db_index=True)
    object_id = models.CharField(max_length=64, blank=True)
    client_ip = models.GenericIPAddressField(null=True, blank=True)
    user_agent = models.CharField(max_length=200, blank=True)
    detail = models.JSONField(default=dict, blank=True)

    objects: ClassVar[models.Manager[AuditEvent]] = AuditEventQuerySet.as_manager()  # type: ignore[assignment]

    class Meta:
        ordering = ["-occurred_at", "-id"]
        verbose_name = _("audit event")
        verbose_name_plural = _("audit events")

    def __str__(self) -> str:
        return f"{self.occurred_at:%Y-%m-%d %H:%M} {self.actor_name} {self.action}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self.pk is not None:
            raise PermissionError("Audit events cannot be changed")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> tuple[int, dict[str, int]]:
        raise PermissionError("Audit events cannot be deleted")


def validate_domains(value: Any) -> None:
    """A list of domain names (``example.com``, ``video.example.com``), lower-case, no scheme."""
    if not isinstance(value, list) or not all(isinstance(entry, str) for entry in value):
        raise ValidationError(_('Enter a list of domain names, for example ["example.com"].'))
    for entry in value:
        if not _DOMAIN.fullmatch(entry):
            raise ValidationError(
                _("%(entry)s is not a domain name like example.com (lower-case, no http://)."),
                params={"entry": entry},
            )


def validate_networks(value: Any) -> None:
    """A list of AS numbers (``AS64500``) and address ranges (``192.0.2.0/24``,
    ``2001:db8::/32``)."""
    if not isinstance(value, list) or not all(isinstance(entry, str) for entry in value):
        raise ValidationError(
            _(
                "Enter a list of AS numbers and address ranges, for example "
                '["AS64500", "192.0.2.0/24"].'
            )
        )
    for entry in value:
        if parse_network(entry) is None:
            raise ValidationError(
                _("%(entry)s is neither an AS number like AS64500 nor a range like 192.0.2.0/24."),
                params={"entry": entry},
            )


_DOMAIN = re.compile(r"(?=.{1,253}$)([a-z0-9_]([a-z0-9_-]{0,61}[a-z0-9_])?\.)+[a-z0-9-]{2,63}")


def parse_network(entry: str) -> int | ipaddress.IPv4Network | ipaddress.IPv6Network | None:
    """An entry of ``Institution.networks``: an AS number (int) or an address range; None if it
    is neither."""
    text = entry.strip()
    if text[:2].upper() == "AS" and text[2:].isdigit():
        text = text[2:]
    if text.isdigit():
        number = int(text)
        return number if 0 < number < 2**32 else None
    try:
        return ipaddress.ip_network(text, strict=False)
    except ValueError:
        return None


class Institution(models.Model):
    """An organisation the centre forwards to or refers to: police, prosecutor, hotline, ..."""

    class Kind(models.TextChoices):
        POLICE = "police", _("Police unit")
        PROSECUTOR = "prosecutor", _("Prosecutor's office")
        MINISTRY = "ministry", _("Ministry")
        SOCIAL_WORK = "social_work", _("Social-work centre")
        HEALTH = "health", _("Health centre")
        PARTNER_HOTLINE = "partner_hotline", _("Partner hotline")
        HOSTING_PROVIDER = "hosting_provider", _("Hosting provider")
        PLATFORM = "platform", _("Online platform")
        SCHOOL_AUTHORITY = "school_authority", _("School authority")

    class IntakeMethod(models.TextChoices):
        EMAIL = "email", _("E-mail")
        API = "api", _("API")
        MANUAL = "manual", _("Manual (phone, letter, portal)")

    name = models.CharField(_("name"), max_length=300)
    name_en = models.CharField(_("name in English"), max_length=300, blank=True)
    kind = models.CharField(_("kind"), max_length=32, choices=Kind.choices, db_index=True)
    country = models.CharField(_("country"), max_length=2, db_index=True)
    languages = models.JSONField(_("languages"), default=list, blank=True)
    intake_method = models.CharField(
        _("intake method"),
        max_length=16,
        choices=IntakeMethod.choices,
        default=IntakeMethod.MANUAL,
    )
    intake_email = models.EmailField(_("intake e-mail"), blank=True)
    website = models.URLField(_("website"), blank=True)
    network = models.CharField(
        _("network"), max_length=50, blank=True, help_text=_("For example INHOPE or Insafe.")
    )
    notes = models.TextField(_("notes"), blank=True)
    source = models.CharField(
        _("source"),
        max_length=300,
        blank=True,
        help_text=_("Where the facts about this institution come from."),
    )
    # What a hosting provider or platform answers for (forwarding/recipients.py suggests it for
    # content on these): domains, and AS numbers and address ranges.
    domains = models.JSONField(
        _("domains"),
        default=list,
        blank=True,
        validators=[validate_domains],
        help_text=_(
            'Domain names it answers for (a platform), for example ["example.com"]. A domain '
            "covers its subdomains."
        ),
    )
    networks = models.JSONField(
        _("networks"),
        default=list,
        blank=True,
        validators=[validate_networks],
        help_text=_(
            "AS numbers and address ranges it answers for (a hosting provider), for example "
            '["AS64500", "192.0.2.0/24", "2001:db8::/32"].'
        ),
    )
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["country", "kind", "name"]
        verbose_name = _("institution")
        verbose_name_plural = _("institutions")
        constraints = [
            models.UniqueConstraint(fields=["country", "name"], name="institution_unique_name"),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.country})"


class ContactPerson(models.Model):
    """A named person at an institution who takes cases from the centre."""

    institution = models.ForeignKey(
        Institution,
        on_delete=models.CASCADE,
        related_name="contacts",
        verbose_name=_("institution"),
    )
    name = models.CharField(_("name"), max_length=200)
    role = models.CharField(_("role"), max_length=200, blank=True)
    # A person's direct contacts are personal data: encrypted at rest.
    email = EncryptedCharField(_("e-mail"), blank=True, validators=[validate_email])
    phone = EncryptedCharField(_("phone"), blank=True)
    languages = models.JSONField(_("languages"), default=list, blank=True)
    is_primary = models.BooleanField(_("primary contact"), default=False)
    is_active = models.BooleanField(_("active"), default=True)
    # A contact person who signs in (role Partner contact) sees, at /partner/, what was handed
    # over to their institution (core/handover.py), and nothing else.
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="contact_person",
        verbose_name=_("account"),
        help_text=_(
            "The staff account of this person, if they have one (role Partner contact): they "
            "then see their institution's handovers at /partner/."
        ),
    )

    class Meta:
        ordering = ["institution", "-is_primary", "name"]
        verbose_name = _("contact person")
        verbose_name_plural = _("contact persons")
        permissions = [
            ("view_own_handovers", _("Can see the handovers to their own institution")),
        ]

    def __str__(self) -> str:
        return f"{self.name}, {self.institution.name}"


class OutgoingMessage(models.Model):
    """One e-mail the platform sends, written in the same transaction as the change that causes
    it and sent by ``core.outbox`` (see docs/architecture.md, "Outbox").

    Recipients, subject and body may hold a reporter's address or words: encrypted at rest.
    ``last_error`` holds only the kind of failure and the SMTP code, never the server's text
    (which may repeat an address). Sent messages are deleted after
    ``outbox.OUTBOX_RETENTION``.
    """

    kind = models.CharField(_("kind"), max_length=64, db_index=True)
    # Optional idempotency key: enqueueing a second message with the same key returns the first.
    key = models.CharField(max_length=128, null=True, blank=True, unique=True)
    message_id = models.CharField(_("Message-ID"), max_length=255, unique=True)
    from_email = models.CharField(max_length=254, blank=True)
    recipients = EncryptedTextField(_("recipients"))  # one address a line
    reply_to = EncryptedTextField(blank=True)
    subject = EncryptedTextField(_("subject"))
    body = EncryptedTextField(_("body"))
    headers = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    sent_at = models.DateTimeField(null=True, blank=True, db_index=True)
    attempts = models.PositiveIntegerField(default=0)
    last_error = models.CharField(max_length=200, blank=True)
    # When the next attempt is due; NULL once sent or given up.
    next_attempt_at = models.DateTimeField(null=True, blank=True, db_index=True)
    claimed_until = models.DateTimeField(null=True, blank=True)
    claim_token = models.CharField(max_length=32, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("outgoing message")
        verbose_name_plural = _("outgoing messages")

    def __str__(self) -> str:
        return f"{self.kind} {self.message_id}"

    @property
    def recipient_list(self) -> list[str]:
        return [line for line in self.recipients.split("\n") if line]


class Heartbeat(models.Model):
    """Signs of life of the background work, in one row (pk 1), updated in place and read by
    ``core.health``: when the heartbeat task last ran (beat queued it and a worker ran it), and
    whether the mail server refuses the outbox's attempts (failures in a row since the last
    message it accepted, and the kind of the last failure: never the server's words).
    """

    beat_at = models.DateTimeField(null=True, blank=True)
    mail_failures = models.PositiveIntegerField(default=0)
    mail_failing_since = models.DateTimeField(null=True, blank=True)
    mail_last_error = models.CharField(max_length=200, blank=True)

    class Meta:
        default_permissions = ()
        permissions = [
            ("view_system_health", _("Can see whether the background work and the mail run")),
        ]
        verbose_name = _("heartbeat")
        verbose_name_plural = _("heartbeat")

    def __str__(self) -> str:
        return f"heartbeat {self.beat_at:%Y-%m-%d %H:%M:%S}" if self.beat_at else "heartbeat"
