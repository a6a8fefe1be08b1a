"""Handovers: something the centre hands to an institution's contact person, tracked to an
outcome. A hotline ``Dispatch`` and a helpline ``Referral`` are both one.

This module holds what every kind of handover shares:

- the abstract model ``Handover`` (institution, contact person, status queued -> sent ->
  acknowledged -> closed with an outcome, deadline and overdue flag, the text as it was sent,
  its outbox message, and the state of its signed link);
- the registry, where each pillar registers its concrete model (``register``), so that the
  signed-link page and the partner view find every kind;
- signed, expiring links (``make_link``, ``open_link``, ``revoke_link``, ``renew_link``):
  ``django.core.signing`` with a salt per concrete model; the payload is the handover's id and
  its link version, so a link opens its own handover only, and revoking bumps the version;
- the writes a contact person makes (``acknowledge``, ``record_outcome``), audited as
  ``handover.*`` events with who ("signed link" or the account) and when;
- the reads of the partner view (``contact_person_of``, ``partner_handovers``,
  ``partner_handover``).

A pillar's concrete model adds what is its own (for a dispatch: its kind, content items and
reports) and writes ``subject``, ``body``, ``prepared_at`` and ``outgoing`` when it hands the
e-mail to the outbox; ``mark_sent`` records the moment the mail server accepted it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, ClassVar, TypeVar

from django.conf import settings
from django.contrib.auth.base_user import AbstractBaseUser
from django.contrib.auth.models import AnonymousUser
from django.core import signing
from django.db import models, transaction
from django.db.models import F, Q
from django.http import HttpRequest
from django.urls import reverse
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from sigurnet.core.fields import EncryptedCharField, EncryptedTextField
from sigurnet.core.models import ContactPerson, Institution
from sigurnet.core.selectors import register_audit_labels
from sigurnet.core.services import record_audit_event

# How long a note with an outcome may be.
OUTCOME_NOTE_MAX_LENGTH = 2000
# Handovers listed on the partner view at most, per kind, newest first.
PARTNER_LIST_LIMIT = 200


class HandoverAction:
    """Audit trail actions of handovers. Stable: filters depend on them."""

    ACKNOWLEDGED = "handover.acknowledged"
    OUTCOME_RECORDED = "handover.outcome_recorded"
    SENT = "handover.sent"
    LINK_REVOKED = "handover.link_revoked"
    LINK_RENEWED = "handover.link_renewed"
    PARTNER_VIEWED = "handover.partner_viewed"


register_audit_labels(
    {
        HandoverAction.ACKNOWLEDGED: _("Handover acknowledged"),
        HandoverAction.OUTCOME_RECORDED: _("Handover outcome recorded"),
        HandoverAction.SENT: _("Handover sent"),
        HandoverAction.LINK_REVOKED: _("Handover link revoked"),
        HandoverAction.LINK_RENEWED: _("New handover link issued"),
        HandoverAction.PARTNER_VIEWED: _("Handover read by a partner"),
    }
)


class Handover(models.Model):
    """Something handed over to an institution (and, where known, one of its contact persons).

    Status: *queued* (written, its e-mail not yet accepted by the mail server; it may wait for
    ``send_after``), *sent* (the outbox marked its e-mail sent), *acknowledged* (the contact
    person confirmed they have it), *closed* (they recorded an outcome). ``due_at`` is when an
    acknowledgement is due (set from the concrete model's deadline); a queued or sent handover
    past it is overdue. ``subject`` and ``body`` are exactly what was sent: the signed-link page
    and the partner view show them and nothing else.
    """

    class Status(models.TextChoices):
        QUEUED = "queued", _("Queued")
        SENT = "sent", _("Sent")
        ACKNOWLEDGED = "acknowledged", _("Acknowledged")
        CLOSED = "closed", _("Outcome recorded")

    class Outcome(models.TextChoices):
        REMOVED = "removed", _("Removed")
        UNDER_INVESTIGATION = "under_investigation", _("Under investigation")
        NOT_ACTIONABLE = "not_actionable", _("Not actionable")
        NOT_OURS = "not_ours", _("Not ours to handle")

    class Via(models.TextChoices):
        LINK = "link", _("Signed link")
        ACCOUNT = "account", _("Partner account")

    # Waiting for an acknowledgement: these can be overdue.
    OPEN_STATUSES: ClassVar[tuple[str, ...]] = (Status.QUEUED, Status.SENT)

    # "%(app_label)s_%(class)s_set" keeps the reverse names apart for every concrete model
    # (institution.hotline_dispatch_set, institution.helpline_referral_set, ...).
    institution = models.ForeignKey(
        Institution,
        on_delete=models.PROTECT,
        related_name="%(app_label)s_%(class)s_set",
        verbose_name=_("institution"),
    )
    contact = models.ForeignKey(
        ContactPerson,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="%(app_label)s_%(class)s_set",
        verbose_name=_("contact person"),
    )
    # The address the e-mail went to (a contact person's or the institution's intake address).
    recipient = EncryptedCharField(_("sent to"), blank=True)
    language = models.CharField(_("language"), max_length=10)
    status = models.CharField(
        _("status"), max_length=16, choices=Status.choices, default=Status.QUEUED, db_index=True
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    # Queued until then: the task that sends due handovers leaves it alone before.
    send_after = models.DateTimeField(_("send after"), default=timezone.now, db_index=True)
    # When the text was written and its e-mail handed to the outbox (NULL: not yet).
    prepared_at = models.DateTimeField(null=True, blank=True)
    subject = EncryptedTextField(_("subject"), blank=True)
    body = EncryptedTextField(_("text"), blank=True)
    message_id = models.CharField(_("Message-ID"), max_length=255, blank=True)
    outgoing = models.ForeignKey(
        "core.OutgoingMessage", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    sent_at = models.DateTimeField(_("sent"), null=True, blank=True, db_index=True)
    due_at = models.DateTimeField(_("acknowledgement due"), null=True, blank=True)
    acknowledged_at = models.DateTimeField(_("acknowledged"), null=True, blank=True)
    acknowledged_via = models.CharField(max_length=10, choices=Via.choices, blank=True)
    outcome = models.CharField(_("outcome"), max_length=24, choices=Outcome.choices, blank=True)
    outcome_note = EncryptedTextField(_("note with the outcome"), blank=True)
    outcome_at = models.DateTimeField(_("outcome recorded"), null=True, blank=True)
    outcome_via = models.CharField(max_length=10, choices=Via.choices, blank=True)
    # The signed link: a link carries the version it was made for; revoking or renewing bumps
    # the version, so every older link stops working.
    link_version = models.PositiveIntegerField(default=1)
    link_revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        abstract = True
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["status", "due_at"], name="%(app_label)s_%(class)s_due"),
            models.Index(fields=["institution", "status"], name="%(app_label)s_%(class)s_inst"),
        ]

    def is_overdue(self, now: datetime | None = None) -> bool:
        """Waiting for an acknowledgement past its deadline."""
        now = now or timezone.now()
        return self.status in self.OPEN_STATUSES and self.due_at is not None and self.due_at < now

    @classmethod
    def overdue_q(cls, now: datetime | None = None) -> Q:
        """The filter of ``is_overdue``, for a queryset."""
        return Q(status__in=cls.OPEN_STATUSES, due_at__lt=now or timezone.now())

    # What a concrete model may add to the pages (override).
    def handover_kind_label(self) -> str:
        """What this handover is, for the pages (e.g. "Report to the police")."""
        return str(self._meta.verbose_name)

    def handover_items(self) -> list[str]:
        """What it concerns, one line each, as plain text (for a dispatch: its addresses)."""
        return []


H = TypeVar("H", bound=type[Handover])


# --- The registry ---------------------------------------------------------------------------


@dataclass(frozen=True)
class HandoverType:
    """One registered concrete model. ``slug`` names it in partner URLs
    (``/partner/<slug>/<id>/``); the link salt comes from the model's label."""

    model: type[Handover]
    slug: str
    label: str | Promise

    @property
    def salt(self) -> str:
        return link_salt(self.model)


_REGISTRY: dict[str, HandoverType] = {}


def register(slug: str, label: str | Promise) -> Callable[[H], H]:
    """Class decorator for a concrete handover model: ``@handover.register("dispatch", _(...))``."""

    def decorator(model: H) -> H:
        if not issubclass(model, Handover) or model._meta.abstract:
            raise TypeError(f"{model!r} is not a concrete Handover")
        existing = _REGISTRY.get(slug)
        if existing is not None and existing.model._meta.label != model._meta.label:
            raise ValueError(f"handover slug {slug!r} is taken by {existing.model._meta.label}")
        _REGISTRY[slug] = HandoverType(model=model, slug=slug, label=label)
        return model

    return decorator


def registered() -> list[HandoverType]:
    return list(_REGISTRY.values())


def type_of(handover: Handover) -> HandoverType:
    for entry in _REGISTRY.values():
        if isinstance(handover, entry.model):
            return entry
    raise LookupError(f"{type(handover).__name__} is not registered as a handover")


def type_by_slug(slug: str) -> HandoverType | None:
    return _REGISTRY.get(slug)


def object_type(handover: Handover) -> str:
    """How the audit trail names the handover's model ("hotline.dispatch")."""
    return handover._meta.label_lower


# --- Signed links ---------------------------------------------------------------------------

LINK_SALT_PREFIX = "sigurnet.handover"


def link_salt(model: type[Handover]) -> str:
    """One salt per concrete model: a dispatch's link never verifies as a referral's."""
    return f"{LINK_SALT_PREFIX}:{model._meta.label_lower}"


def link_lifetime() -> timedelta:
    return timedelta(days=settings.SIGURNET_HANDOVER_LINK_DAYS)


class _LinkSigner(signing.TimestampSigner):
    """Django's timestamp signer, with the time of signing given (the caller's ``now``)."""

    def __init__(self, *, salt: str, now: datetime | None = None) -> None:
        super().__init__(salt=salt)
        self._now = now

    def timestamp(self) -> str:
        moment = self._now or timezone.now()
        return signing.b62_encode(int(moment.timestamp()))

    def signed_at(self, token: str) -> datetime:
        """When ``token`` was signed; raises ``BadSignature`` for a token not signed here."""
        value = signing.Signer.unsign(self, token)
        stamp = value.rsplit(self.sep, 1)[1]
        return datetime.fromtimestamp(signing.b62_decode(stamp), tz=UTC)


def make_token(handover: Handover, now: datetime | None = None) -> str:
    """A signed token for ``handover``'s current link version, valid from ``now``."""
    signer = _LinkSigner(salt=link_salt(type(handover)), now=now)
    return signer.sign_object({"id": handover.pk, "v": handover.link_version})


def link_url(token: str) -> str:
    """The absolute address of a link page."""
    return settings.SIGURNET_PUBLIC_BASE_URL.rstrip("/") + reverse("handover:link", args=[token])


def make_link(handover: Handover, now: datetime | None = None) -> tuple[str, datetime]:
    """The absolute signed link for ``handover`` and when it expires."""
    now = now or timezone.now()
    return link_url(make_token(handover, now)), now + link_lifetime()


@dataclass(frozen=True)
class LinkCheck:
    """What a link opens: ``state`` is "open", "expired", "revoked" or "invalid"; ``handover``
    is set for every state but "invalid" (so that the refusal is in its language)."""

    state: str
    handover: Handover | None = None
    expires_at: datetime | None = None

    @property
    def is_open(self) -> bool:
        return self.state == "open"


INVALID = LinkCheck("invalid")


def open_link(token: str, now: datetime | None = None) -> LinkCheck:
    """Check a token: which handover it opens, and whether it still may.

    The signature is checked against each registered model's salt; the handover is the one
    whose id is in the signed payload, nothing else. A link made for an older version (the link
    was revoked or renewed since), or one whose handover has ``link_revoked_at``, is "revoked";
    one signed longer than ``SIGURNET_HANDOVER_LINK_DAYS`` ago is "expired".
    """
    now = now or timezone.now()
    if not token or len(token) > 400:
        return INVALID
    for entry in _REGISTRY.values():
        signer = _LinkSigner(salt=entry.salt)
        try:
            payload = signer.unsign_object(token)
            signed_at = signer.signed_at(token)
        except (signing.BadSignature, ValueError):
            continue
        if not isinstance(payload, dict):
            return INVALID
        pk, version = payload.get("id"), payload.get("v")
        if not isinstance(pk, int) or not isinstance(version, int):
            return INVALID
        handover = (
            entry.model._default_manager.select_related("institution", "contact")
            .filter(pk=pk)
            .first()
        )
        if handover is None:
            return INVALID
        expires_at = signed_at + link_lifetime()
        if handover.link_revoked_at is not None or version != handover.link_version:
            return LinkCheck("revoked", handover, expires_at)
        if now > expires_at:
            return LinkCheck("expired", handover, expires_at)
        return LinkCheck("open", handover, expires_at)
    return INVALID


# --- Writes ---------------------------------------------------------------------------------


class HandoverRefused(Exception):
    """The change is not allowed now; ``code`` says why (the views turn it into a message)."""

    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


def _actor_for(via: str, actor: AbstractBaseUser | None) -> AbstractBaseUser | AnonymousUser:
    # Through a link nobody is signed in, whoever holds the browser: the trail says "link".
    if via == Handover.Via.LINK or actor is None:
        return AnonymousUser()
    return actor


def record_event(
    handover: Handover,
    action: str,
    *,
    via: str = "",
    actor: AbstractBaseUser | None = None,
    request: HttpRequest | None = None,
    detail: dict[str, Any] | None = None,
) -> None:
    """Append one event of ``handover``'s trail to the audit trail: who (a staff member or a
    partner account by name, or "signed link"), what (``action``), when."""
    record_audit_event(
        action,
        actor=_actor_for(via, actor) if via else actor or AnonymousUser(),
        request=request,
        object_type=object_type(handover),
        object_id=handover.pk,
        detail={**({"via": via} if via else {}), **(detail or {})},
    )


def handover_events(handover: Handover, limit: int = 100) -> list[Any]:
    """The audit events of one handover, oldest first."""
    from sigurnet.core.models import AuditEvent

    events = AuditEvent.objects.filter(
        object_type=object_type(handover), object_id=str(handover.pk)
    ).order_by("occurred_at", "id")
    return list(events[:limit])


def acknowledge(
    handover: Handover,
    *,
    via: str,
    actor: AbstractBaseUser | None = None,
    request: HttpRequest | None = None,
    now: datetime | None = None,
) -> bool:
    """The contact person confirms they have it. Only once its e-mail was written (a queued one
    whose message the outbox has, too: the mail may arrive before the platform recorded it as
    sent). Idempotent: False, and nothing recorded, when it was acknowledged already."""
    if handover.prepared_at is None:
        raise HandoverRefused("not_sent")
    now = now or timezone.now()
    with transaction.atomic():
        changed = (
            type(handover)
            ._default_manager.filter(pk=handover.pk, status__in=Handover.OPEN_STATUSES)
            .update(status=Handover.Status.ACKNOWLEDGED, acknowledged_at=now, acknowledged_via=via)
        )
        if changed:
            record_event(
                handover, HandoverAction.ACKNOWLEDGED, via=via, actor=actor, request=request
            )
    handover.refresh_from_db(fields=["status", "acknowledged_at", "acknowledged_via"])
    return bool(changed)


def record_outcome(
    handover: Handover,
    *,
    outcome: str,
    note: str = "",
    via: str,
    actor: AbstractBaseUser | None = None,
    request: HttpRequest | None = None,
    now: datetime | None = None,
) -> None:
    """The contact person says how it ended (``Handover.Outcome``), with an optional note; the
    handover is closed, and acknowledged too if it was not yet. A later outcome replaces the
    earlier one (an investigation that ends); the trail keeps each."""
    if outcome not in Handover.Outcome.values:
        raise HandoverRefused("outcome")
    if handover.prepared_at is None:
        raise HandoverRefused("not_sent")
    note = note.strip()
    if len(note) > OUTCOME_NOTE_MAX_LENGTH or "\x00" in note:
        raise HandoverRefused("note")
    now = now or timezone.now()
    with transaction.atomic():
        row = type(handover)._default_manager.select_for_update().get(pk=handover.pk)
        row.status = Handover.Status.CLOSED
        row.outcome = outcome
        row.outcome_note = note
        row.outcome_at = now
        row.outcome_via = via
        if row.acknowledged_at is None:
            row.acknowledged_at = now
            row.acknowledged_via = via
        row.save(
            update_fields=[
                "status",
                "outcome",
                "outcome_note",
                "outcome_at",
                "outcome_via",
                "acknowledged_at",
                "acknowledged_via",
            ]
        )
        record_event(
            handover,
            HandoverAction.OUTCOME_RECORDED,
            via=via,
            actor=actor,
            request=request,
            detail={"outcome": outcome, "note": bool(note)},
        )
    handover.refresh_from_db()


def mark_sent(handover_model: type[Handover], pk: int, sent_at: datetime, due_at: datetime) -> bool:
    """Record that the mail server accepted the handover's e-mail (copied from the outbox):
    ``sent_at`` and the deadline, and the status *sent* unless it was acknowledged already.
    Idempotent; whether it recorded anything."""
    with transaction.atomic():
        first = handover_model._default_manager.filter(pk=pk, sent_at__isnull=True).update(
            sent_at=sent_at, due_at=due_at
        )
        handover_model._default_manager.filter(pk=pk, status=Handover.Status.QUEUED).update(
            status=Handover.Status.SENT
        )
        if first:
            handover = handover_model._default_manager.get(pk=pk)
            record_event(handover, HandoverAction.SENT, detail={"sent_at": sent_at.isoformat()})
    return bool(first)


def revoke_link(
    handover: Handover, *, actor: AbstractBaseUser, request: HttpRequest | None = None
) -> None:
    """Stop every link of ``handover`` from working (audited). A new one: ``renew_link``."""
    with transaction.atomic():
        type(handover)._default_manager.filter(pk=handover.pk).update(
            link_version=F("link_version") + 1, link_revoked_at=timezone.now()
        )
        record_event(handover, HandoverAction.LINK_REVOKED, actor=actor, request=request)
    handover.refresh_from_db(fields=["link_version", "link_revoked_at"])


def renew_link(
    handover: Handover,
    *,
    actor: AbstractBaseUser,
    request: HttpRequest | None = None,
    now: datetime | None = None,
) -> tuple[str, datetime]:
    """Make a new link (every earlier one stops working) and return it with its expiry; the
    pillar sends it. Audited. Call it inside the transaction that writes that e-mail."""
    now = now or timezone.now()
    with transaction.atomic():
        type(handover)._default_manager.filter(pk=handover.pk).update(
            link_version=F("link_version") + 1, link_revoked_at=None
        )
        handover.refresh_from_db(fields=["link_version", "link_revoked_at"])
        record_event(
            handover,
            HandoverAction.LINK_RENEWED,
            actor=actor,
            request=request,
            detail={"version": handover.link_version},
        )
    return make_link(handover, now)


# --- Reads of the partner view ------------------------------------------------------------


def contact_person_of(user: Any) -> ContactPerson | None:
    """The active contact person whose account ``user`` is, with their institution."""
    if user is None or not user.is_authenticated:
        return None
    return (
        ContactPerson.objects.select_related("institution")
        .filter(user=user, is_active=True, institution__is_active=True)
        .first()
    )


@dataclass(frozen=True)
class PartnerRow:
    kind: HandoverType
    handover: Handover


def partner_handovers(contact: ContactPerson) -> list[PartnerRow]:
    """Every handover of every registered kind to ``contact``'s institution whose e-mail was
    written, newest first (``PARTNER_LIST_LIMIT`` per kind). Reads the subject only."""
    rows: list[PartnerRow] = []
    for entry in _REGISTRY.values():
        found = (
            entry.model._default_manager.filter(
                institution_id=contact.institution_id, prepared_at__isnull=False
            )
            .only(
                "pk",
                "status",
                "subject",
                "prepared_at",
                "sent_at",
                "due_at",
                "acknowledged_at",
                "outcome",
                "language",
                "institution_id",
            )
            .order_by("-prepared_at", "-id")[:PARTNER_LIST_LIMIT]
        )
        rows += [PartnerRow(entry, handover) for handover in found]
    rows.sort(key=lambda row: row.handover.prepared_at or timezone.now(), reverse=True)
    return rows


def partner_handover(contact: ContactPerson, slug: str, pk: int) -> Handover | None:
    """One handover to ``contact``'s institution, or None (another institution's, not yet
    written, or unknown: the partner cannot tell these apart)."""
    entry = type_by_slug(slug)
    if entry is None:
        return None
    return (
        entry.model._default_manager.select_related("institution", "contact")
        .filter(pk=pk, institution_id=contact.institution_id, prepared_at__isnull=False)
        .first()
    )
