"""Hotline data: reports, the content they point to, evidence and messages with the reporter.

Everything a reporter typed (description, URLs, account names, contact details, messages) is
encrypted at rest. Look-ups go through blind indexes: ``ContentItem.url_index`` for duplicate
URLs, ``Report.receipt_index`` for the anonymous follow-up.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from sigurnet.core.fields import EncryptedCharField, EncryptedTextField
from sigurnet.core.models import Institution


class Category(models.TextChoices):
    CSAM = "csam", _("Sexual abuse of a child (pictures or videos)")
    GROOMING = "grooming", _("An adult trying to get close to a child sexually")
    SEXTORTION = "sextortion", _("Threats to share sexual pictures")
    NCII = "ncii", _("Intimate pictures shared without permission")
    CYBERBULLYING = "cyberbullying", _("Bullying online")
    HATE_SPEECH = "hate_speech", _("Hate speech")
    VIOLENT_CONTENT = "violent_content", _("Violent or shocking content")
    PHISHING_FRAUD = "phishing_fraud", _("Phishing or fraud")
    IMPERSONATION = "impersonation", _("Fake or stolen account")
    OTHER = "other", _("Something else")


# Reports that wake the on-duty analysts at once.
URGENT_CATEGORIES = frozenset(
    {Category.CSAM, Category.GROOMING, Category.SEXTORTION, Category.NCII}
)
# No evidence upload for these: possessing or sending the material is itself a crime.
NO_UPLOAD_CATEGORIES = frozenset({Category.CSAM})
# Where the confirmation points to the helpline and the platform's own reporting as well.
SUPPORT_CATEGORIES = frozenset({Category.CYBERBULLYING, Category.NCII, Category.SEXTORTION})


class Channel(models.TextChoices):
    WEB = "web", _("Web form")
    EMAIL = "email", _("E-mail")
    API = "api", _("API")
    PHONE = "phone", _("Phone")
    PARTNER = "partner", _("Partner")


class Status(models.TextChoices):
    RECEIVED = "received", _("Received")
    IN_ASSESSMENT = "in_assessment", _("Being checked")
    NEEDS_INFO = "needs_info", _("We need more details")
    ASSESSED = "assessed", _("Checked")
    FORWARDED = "forwarded", _("Sent on to the people who can act")
    CLOSED = "closed", _("Closed")
    DUPLICATE = "duplicate", _("Already reported")
    INCOMPLETE = "incomplete", _("Closed: not enough details")


class Priority(models.TextChoices):
    HIGH = "high", _("High")
    NORMAL = "normal", _("Normal")
    LOW = "low", _("Low")


class AgeBand(models.TextChoices):
    UNDER_13 = "under_13", _("12 or younger")
    TEEN = "13_17", _("13 to 17")
    ADULT = "18_plus", _("18 or older")
    UNSAID = "", _("I'd rather not say")


class ContentItem(models.Model):
    """One piece of online content (a canonical URL, or an account on a platform).

    Many reports can point to one item: it is found by the blind index of its canonical form.
    """

    class Kind(models.TextChoices):
        URL = "url", _("Web address")
        ACCOUNT = "account", _("Account on a platform")

    class State(models.TextChoices):
        UNKNOWN = "unknown", _("Not checked yet")
        ONLINE = "online", _("Online")
        REMOVED = "removed", _("Removed")

    kind = models.CharField(max_length=16, choices=Kind.choices, default=Kind.URL)
    url_index = models.CharField(max_length=64, unique=True)
    canonical = EncryptedTextField()
    domain_index = models.CharField(max_length=64, blank=True, db_index=True)
    registrable_domain = EncryptedCharField(blank=True)
    state = models.CharField(max_length=16, choices=State.choices, default=State.UNKNOWN)
    first_reported_at = models.DateTimeField(auto_now_add=True)
    # No report counter here: it is derived from the links (a counter updated by every report
    # made one popular URL a hot row, and locks taken in typing order deadlocked).

    class Meta:
        verbose_name = _("content item")
        verbose_name_plural = _("content items")

    def __str__(self) -> str:
        return f"{self.get_kind_display()} #{self.pk}"


class Report(models.Model):
    """One submission to the hotline, from any channel."""

    reference = models.CharField(max_length=32, unique=True, null=True, blank=True)
    receipt_index = models.CharField(max_length=64, unique=True)
    channel = models.CharField(max_length=16, choices=Channel.choices, db_index=True)
    language = models.CharField(max_length=10)
    category = models.CharField(max_length=32, choices=Category.choices, db_index=True)
    status = models.CharField(
        max_length=16, choices=Status.choices, default=Status.RECEIVED, db_index=True
    )
    received_at = models.DateTimeField(auto_now_add=True, db_index=True)
    updated_at = models.DateTimeField(auto_now=True)
    seen_at = models.DateTimeField(null=True, blank=True)
    platform = models.CharField(max_length=100, blank=True)
    account = EncryptedCharField(blank=True)
    location_hint = EncryptedTextField(blank=True)
    description = EncryptedTextField(blank=True)
    age_band = models.CharField(max_length=10, choices=AgeBand.choices, blank=True)
    contact_email = EncryptedCharField(blank=True)
    contact_phone = EncryptedCharField(blank=True)
    contact_consent = models.BooleanField(default=False)
    # The reporter asked that e-mails say only that news waits on the receipt page: no text,
    # no reference, nothing about the report (hotline/triage/services.py ``_email_reporter``).
    news_notice = models.BooleanField(default=False)
    partner = models.ForeignKey(
        Institution, null=True, blank=True, on_delete=models.PROTECT, related_name="reports"
    )
    urgent_notified_at = models.DateTimeField(null=True, blank=True)
    # The notice that names this report (its e-mail in the outbox or sent); see ``UrgentNotice``.
    urgent_notice = models.ForeignKey(
        "UrgentNotice", null=True, blank=True, on_delete=models.SET_NULL, related_name="reports"
    )
    content_items = models.ManyToManyField(
        ContentItem, through="ReportedURL", related_name="reports"
    )
    # Triage (hotline/triage/): who works on the report. Claimed with a conditional UPDATE,
    # so two analysts never hold the same report.
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="assigned_reports",
    )
    claimed_at = models.DateTimeField(null=True, blank=True)
    # The priority of the newest assessment (empty until assessed), kept here to filter on.
    priority = models.CharField(max_length=10, choices=Priority.choices, blank=True)
    # 1 for an urgent category: computed by the database, so that the queue's order (urgent
    # first, then the oldest) is an index.
    urgent = models.GeneratedField(
        expression=models.Case(
            models.When(category__in=sorted(URGENT_CATEGORIES), then=models.Value(1)),
            default=models.Value(0),
        ),
        output_field=models.SmallIntegerField(),
        db_persist=True,
    )

    class Meta:
        ordering = ["-received_at"]
        verbose_name = _("report")
        verbose_name_plural = _("reports")
        permissions = [("assign_report", _("Can assign reports to analysts"))]
        indexes = [
            # The queue's keyset order.
            models.Index(models.F("urgent").desc(), "received_at", "id", name="report_queue_order"),
            # The same order within one category (the filter analysts use most): a page of a
            # category reads only its own rows, not the urgent ones before them.
            models.Index(
                "category",
                models.F("urgent").desc(),
                "received_at",
                "id",
                name="report_queue_category_order",
            ),
            # Every column the queue counts by, except the age (read from ``received_at``): the
            # counts are one index-only scan. Without a column that differs per report, equal
            # rows share one entry (deduplication): about 1 MB for 100,000 reports, not 20 MB.
            models.Index(
                fields=["status", "category", "priority", "channel", "language", "assignee"],
                name="report_queue_facets",
            ),
        ]

    def __str__(self) -> str:
        return self.reference or f"report #{self.pk}"

    @property
    def is_urgent(self) -> bool:
        return self.category in URGENT_CATEGORIES


class UrgentNotice(models.Model):
    """One e-mail to the on-duty staff naming new urgent reports (by reference and category).

    The row, its reports linked to it, and its e-mail in the outbox (``outgoing``, a
    ``core.OutgoingMessage``, which claims, sends and retries it) are written in one
    transaction. ``message_id`` is the outbox message's, so a re-send is recognisably the same
    message. ``sent_at`` and the reports' ``urgent_notified_at`` are copied from the outbox
    message's ``sent_at`` once the mail server accepted it.
    """

    message_id = models.CharField(max_length=255, unique=True)
    recipients = models.TextField()  # the addresses it goes to, one per line
    created_at = models.DateTimeField(auto_now_add=True)
    # The e-mail in the outbox. NULL for a notice written before the outbox (given one when
    # it is next looked at) and once the outbox's retention deleted the sent message.
    outgoing = models.OneToOneField(
        "core.OutgoingMessage",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="urgent_notice",
    )
    sent_at = models.DateTimeField(null=True, blank=True, db_index=True)
    # Whether a later run is already queued for the reports that came in after this one.
    follow_up_queued = models.BooleanField(default=False)

    class Meta:
        verbose_name = _("urgent notice")
        verbose_name_plural = _("urgent notices")

    def __str__(self) -> str:
        return f"Urgent notice {self.pk}"


class ReportedURL(models.Model):
    """A URL as the reporter gave it, linked to its canonical content item."""

    report = models.ForeignKey(Report, on_delete=models.CASCADE, related_name="reported_urls")
    content_item = models.ForeignKey(
        ContentItem, on_delete=models.PROTECT, related_name="reported_urls"
    )
    submitted = EncryptedTextField()
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["report", "position"]

    def __str__(self) -> str:
        return f"URL {self.position + 1} of report {self.report_id}"


class Evidence(models.Model):
    """A file the reporter attached; stored encrypted, outside the public media folder."""

    report = models.ForeignKey(
        Report, null=True, blank=True, on_delete=models.CASCADE, related_name="evidence"
    )
    storage_name = models.CharField(max_length=100, unique=True)
    original_name = EncryptedCharField(blank=True)
    content_type = models.CharField(max_length=100)
    size = models.PositiveIntegerField()
    uploaded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("evidence file")
        verbose_name_plural = _("evidence files")

    def __str__(self) -> str:
        return f"{self.content_type}, {self.size} bytes"


class Message(models.Model):
    """One message in the conversation between the hotline and a reporter."""

    class Direction(models.TextChoices):
        FROM_HOTLINE = "hotline", _("From the hotline")
        FROM_REPORTER = "reporter", _("From the reporter")

    report = models.ForeignKey(Report, on_delete=models.CASCADE, related_name="messages")
    direction = models.CharField(max_length=16, choices=Direction.choices)
    body = EncryptedTextField()
    author_id = models.BigIntegerField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"{self.get_direction_display()} {self.created_at:%Y-%m-%d %H:%M}"


class PartnerToken(models.Model):
    """An API token for a trusted flagger; only its keyed hash is stored."""

    institution = models.ForeignKey(
        Institution, on_delete=models.CASCADE, related_name="api_tokens"
    )
    name = models.CharField(max_length=100)
    token_index = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    reports_per_minute = models.PositiveIntegerField(default=600)

    def __str__(self) -> str:
        return f"{self.name} ({self.institution.name})"


class HeldEmail(models.Model):
    """An incoming e-mail that could not be turned into a report: kept for a person to read."""

    received_at = models.DateTimeField(auto_now_add=True)
    source = models.CharField(max_length=200)
    message_id_index = models.CharField(max_length=64, blank=True, db_index=True)
    # blind_index(sender address, lower-cased, "email-sender"); "" when the sender was not
    # readable, and for messages held before this column existed.
    sender_index = models.CharField(max_length=64, blank=True, db_index=True)
    raw = EncryptedTextField()
    reason = models.CharField(max_length=300)
    resolved_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"Held e-mail {self.pk}: {self.reason}"


class IngestedEmail(models.Model):
    """Which incoming e-mails were already handled, so a re-run never files one twice."""

    message_id_index = models.CharField(max_length=64, unique=True)
    report = models.ForeignKey(Report, null=True, blank=True, on_delete=models.SET_NULL)
    ingested_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"E-mail ingested {self.ingested_at:%Y-%m-%d}"


class Assessment(models.Model):
    """An analyst's decision on a report. A report may be assessed more than once (a second
    look, a correction): the newest one counts, the earlier ones stay as its history."""

    class Outcome(models.TextChoices):
        ACTIONABLE = "actionable", _("Actionable (illegal)")
        HARMFUL = "harmful", _("Harmful but not illegal")
        NOT_ACTIONABLE = "not_actionable", _("Not actionable")
        INCOMPLETE = "incomplete", _("Incomplete")
        DUPLICATE = "duplicate", _("Duplicate")
        OUTSIDE_REMIT = "outside_remit", _("Outside our remit")

    Priority = Priority

    # For child sexual abuse material, the classification INHOPE's ICCAM uses.
    class LegalClass(models.TextChoices):
        BASELINE = "baseline", _("Baseline (illegal internationally)")
        NATIONAL = "national", _("Illegal under national law")

    class VictimAge(models.TextChoices):
        INFANT = "infant", _("Infant or toddler")
        PREPUBESCENT = "prepubescent", _("Pre-pubescent")
        PUBESCENT = "pubescent", _("Pubescent")

    class VictimGender(models.TextChoices):
        FEMALE = "female", _("Female")
        MALE = "male", _("Male")
        BOTH = "both", _("Both")
        UNKNOWN = "unknown", _("Cannot tell")

    class ContentKind(models.TextChoices):
        IMAGE = "image", _("Image")
        VIDEO = "video", _("Video")
        OTHER = "other", _("Other")

    report = models.ForeignKey(Report, on_delete=models.CASCADE, related_name="assessments")
    analyst = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    outcome = models.CharField(max_length=20, choices=Outcome.choices)
    priority = models.CharField(max_length=10, choices=Priority.choices, default=Priority.NORMAL)
    category_before = models.CharField(max_length=32, choices=Category.choices)
    category = models.CharField(max_length=32, choices=Category.choices)
    duplicate_of = models.ForeignKey(
        Report, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    notes = EncryptedTextField(blank=True)
    legal_class = models.CharField(max_length=10, choices=LegalClass.choices, blank=True)
    victim_age = models.CharField(max_length=15, choices=VictimAge.choices, blank=True)
    victim_gender = models.CharField(max_length=10, choices=VictimGender.choices, blank=True)
    content_kind = models.CharField(max_length=10, choices=ContentKind.choices, blank=True)
    commercial = models.BooleanField(null=True, blank=True)
    # For other categories judged actionable or harmful: the article of the criminal code, from
    # the supervisors' list for the centre's country. A basis deactivated later stays here.
    legal_basis = models.ForeignKey(
        "LegalBasis", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    # Four eyes: an actionable CSAM assessment waits for a second analyst before anything can
    # be forwarded; a disagreement goes to a supervisor.
    needs_confirmation = models.BooleanField(default=False)
    confirmed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    confirmed_at = models.DateTimeField(null=True, blank=True)
    disputed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    disputed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("assessment")
        verbose_name_plural = _("assessments")

    def __str__(self) -> str:
        return f"{self.get_outcome_display()} ({self.created_at:%Y-%m-%d})"


class HotlineSettings(models.Model):
    """The hotline's working rules that a supervisor sets at /staff/hotline/settings/: one row
    (pk 1). Until it exists, and for any part left empty, the built-in defaults apply
    (``triage.selectors.hotline_settings`` reads it; ``triage.services.save_settings`` writes).
    """

    # Target time from receipt to assessment per category:
    # {category: {"hours": int, "working_days": bool}}. With ``working_days`` only time on
    # Monday to Friday (the centre's time zone) counts towards the target.
    target_times = models.JSONField(default=dict, blank=True)
    # The gentle break reminder appears after this many pictures revealed in a day.
    reveal_break_after = models.PositiveIntegerField(default=25)
    # A second analyst confirms an actionable CSAM assessment before anything is forwarded.
    four_eyes_for_csam = models.BooleanField(default=True)
    # Question templates that differ from the built-in ones: {key: {language: text}}, for
    # "en", "sr-latn" and "bs" ("sr" is written from "sr-latn" in Cyrillic when asked).
    questions = models.JSONField(default=dict, blank=True)
    updated_at = models.DateTimeField(auto_now=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        verbose_name = _("hotline settings")
        verbose_name_plural = _("hotline settings")

    def __str__(self) -> str:
        return str(_("Hotline settings"))


class LegalBasis(models.Model):
    """An article of a country's criminal code that an analyst may name as the legal basis of
    a non-CSAM assessment. Supervisors keep the list at /staff/hotline/settings/legal-bases/;
    the assessment form offers the active ones of the deployment profile's country. Never
    deleted there (old assessments point to it): deactivated instead."""

    country = models.CharField(_("country"), max_length=2, db_index=True)
    code = models.CharField(_("article"), max_length=40)
    title = models.CharField(_("title"), max_length=300)
    active = models.BooleanField(_("active"), default=True)
    order = models.PositiveIntegerField(_("order"), default=0)

    class Meta:
        ordering = ["country", "order", "id"]
        verbose_name = _("legal basis")
        verbose_name_plural = _("legal bases")
        constraints = [
            models.UniqueConstraint(fields=["country", "code"], name="legal_basis_unique_code")
        ]

    def __str__(self) -> str:
        return f"{self.code} - {self.title}"
