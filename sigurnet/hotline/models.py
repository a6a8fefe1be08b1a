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

    # Removal tracking (hotline/forwarding/checks.py, docs/takedown-checks.md). The beat
    # re-checks an item of a forwarded report when ``next_check_at`` is due (NULL: never
    # checked), until ``checks_until`` (set at its first check) or its removal.
    next_check_at = models.DateTimeField(null=True, blank=True, db_index=True)
    last_checked_at = models.DateTimeField(null=True, blank=True)
    last_check_result = models.CharField(max_length=16, blank=True)
    checks_until = models.DateTimeField(null=True, blank=True)
    # Offline checks in a row (an "error" check neither adds to it nor resets it), and the
    # time of the first of them.
    consecutive_offline = models.PositiveSmallIntegerField(default=0)
    offline_since = models.DateTimeField(null=True, blank=True)
    # When the content went: the first of the offline checks that confirmed the removal (what
    # the figures use); ``removal_confirmed_at`` is the check that confirmed it.
    removed_at = models.DateTimeField(null=True, blank=True)
    removal_confirmed_at = models.DateTimeField(null=True, blank=True)
    # The claim of the run that is checking it now (a random token; see ``claim_due_items``).
    check_claim = models.CharField(max_length=32, blank=True)

    class Meta:
        verbose_name = _("content item")
        verbose_name_plural = _("content items")
        indexes = [
            # The figures' removals (hotline/figures.py): found by id without reading the row.
            models.Index(fields=["id"], include=["removed_at"], name="content_item_removal"),
        ]

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
    # Removal tracking: when the reporter was told that everything they reported was removed
    # (once, however often an item comes back and goes again; hotline/forwarding/checks.py).
    removal_told_at = models.DateTimeField(null=True, blank=True)
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
    # For the figures (hotline/figures.py), written with each assessment by
    # ``triage.services.assess``: the newest assessment's outcome (an ``Assessment.Outcome``
    # value; '' until assessed) and when the first assessment was made. With them the figures
    # page reads one index of the reports instead of grouping every assessment by report.
    outcome = models.CharField(max_length=20, blank=True)
    first_assessed_at = models.DateTimeField(null=True, blank=True)
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
            # The figures page (hotline/figures.py): every column it counts by, so that a
            # period's figures are one index-only range scan.
            # ``id`` too: the dispatch figures join the period's reports to their dispatches.
            models.Index(
                fields=["received_at", "category", "channel", "outcome", "first_assessed_at"],
                include=["id"],
                name="report_figures",
            ),
            # The figures of content items: the actionable and harmful reports of a period.
            models.Index(
                fields=["received_at", "id"],
                condition=models.Q(outcome__in=["actionable", "harmful"]),
                name="report_abuse",
            ),
            # The figures of actionable CSAM (the four-eyes wait; INHOPE's measures): a few
            # per cent of the reports, found by the period without reading the others.
            models.Index(
                fields=["received_at", "id"],
                condition=models.Q(category="csam", outcome="actionable"),
                name="report_actionable_csam",
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
        # The figures (hotline/figures.py): a report's content items from the index alone.
        indexes = [models.Index(fields=["report", "content_item"], name="reported_url_figures")]

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
        indexes = [
            # The figures' four-eyes wait (hotline/figures.py): the confirmed ones only.
            models.Index(
                fields=["report", "created_at", "id", "confirmed_at"],
                condition=models.Q(needs_confirmation=True, confirmed_at__isnull=False),
                name="assessment_confirmed",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_outcome_display()} ({self.created_at:%Y-%m-%d})"


class HotlineSettings(models.Model):
    """The hotline's working rules that a supervisor sets at /staff/hotline/settings/: one row
    (pk 1). Until it exists, and for any part left empty, the built-in defaults apply
    (``triage.selectors.hotline_settings`` reads it; ``triage.services.save_settings`` writes).
    """

    # Target time from receipt to assessment per category:
    # {category: {"hours": int, "working_days": bool}}. With ``working_days`` only time on
    # working days (the centre's time zone) counts towards the target.
    target_times = models.JSONField(default=dict, blank=True)
    # Non-working days as changes to the built-in public holidays of the centre's country
    # (``triage.working_time``): {"added": [ISO dates], "removed": [ISO dates]}. Empty: the
    # built-in holidays of every year, as they are.
    non_working_days = models.JSONField(default=dict, blank=True)
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


# --- Forwarding, part A (issue 14): where the content is hosted ------------------------------


class HostingFacts(models.Model):
    """Where one content item is hosted, as its last look-up found it
    (``hotline.forwarding.hosting.look_up``, run by Celery, never in a web request).

    Every fact is as of ``looked_up_at``: a new look-up replaces them all. A failed look-up
    keeps its reason in ``error_code``/``error`` and can be repeated. Plain text: the host
    name and the network's facts are technical, public facts (the host groups notices); the
    abuse address is an organisation's role address from RDAP.
    """

    class Outcome(models.TextChoices):
        PENDING = "pending", _("Not looked up yet")
        FOUND = "found", _("Found")
        FAILED = "failed", _("Look-up failed")
        NO_HOST = "no_host", _("No host to look up (an account on a platform)")

    item = models.OneToOneField(ContentItem, on_delete=models.CASCADE, related_name="hosting")
    outcome = models.CharField(max_length=16, choices=Outcome.choices, default=Outcome.PENDING)
    host = models.CharField(max_length=253, blank=True, db_index=True)
    # [{"address": "192.0.2.1", "version": 4, "country": "RS" or "", "public": true,
    #   "asn": 64500 or null, "network_name": "..."}], A records first, then AAAA.
    addresses = models.JSONField(default=list, blank=True)
    # Of the first public address: ISO 3166 alpha-2, "" when unknown (no public address,
    # or an address that the registry data does not place).
    country = models.CharField(max_length=2, blank=True, db_index=True)
    asn = models.PositiveBigIntegerField(null=True, blank=True)
    network_name = models.CharField(max_length=200, blank=True)
    abuse_email = models.CharField(max_length=254, blank=True)
    queued_at = models.DateTimeField(null=True, blank=True)
    looked_up_at = models.DateTimeField(null=True, blank=True)
    # Why the last look-up failed (or what part of it did, e.g. RDAP): a short stable code
    # ("nxdomain", "timeout", "no_answer", "servfail", "rdap_http", ...) and a sentence.
    error_code = models.CharField(max_length=32, blank=True)
    error = models.CharField(max_length=300, blank=True)
    # Tries of the current look-up (the task's retries count; "look up again" starts anew).
    attempts = models.PositiveSmallIntegerField(default=0)

    class Meta:
        verbose_name = _("hosting facts")
        verbose_name_plural = _("hosting facts")
        # The figures' hosting countries (hotline/figures.py) from the index alone.
        indexes = [models.Index(fields=["item"], include=["country"], name="hosting_country")]

    def __str__(self) -> str:
        return f"Hosting of item {self.item_id}: {self.get_outcome_display()}"


# --- Removal tracking (issue 14, part C: recheck14) -----------------------------------------


class ContentCheck(models.Model):
    """One check of whether a content item is still online: what the server answered, never
    what it sent (no body is read or kept). ``event`` marks the check that confirmed a removal
    or reopened a removed item."""

    class Result(models.TextChoices):
        ONLINE = "online", _("Online")
        OFFLINE = "offline", _("Offline")
        ERROR = "error", _("Could not tell")

    class Event(models.TextChoices):
        NONE = "", _("None")
        REMOVED = "removed", _("Removal confirmed")
        REOPENED = "reopened", _("Back online: reopened")

    item = models.ForeignKey(ContentItem, on_delete=models.CASCADE, related_name="checks")
    checked_at = models.DateTimeField(db_index=True)
    result = models.CharField(max_length=16, choices=Result.choices)
    method = models.CharField(max_length=8, blank=True)  # HEAD or GET
    status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    # Short and technical ("http 404", "dns: name not known", "timeout"); nothing of the page.
    reason = models.CharField(max_length=200, blank=True)
    # The host that a redirect to another host pointed to (not followed). Encrypted like the
    # item's own address: it can name the site.
    redirect_host = EncryptedCharField(blank=True)
    event = models.CharField(max_length=16, choices=Event.choices, blank=True)

    class Meta:
        ordering = ["-checked_at", "-id"]
        verbose_name = _("content check")
        verbose_name_plural = _("content checks")
        indexes = [models.Index(fields=["item", "-checked_at"], name="content_check_item_time")]

    def __str__(self) -> str:
        return f"{self.get_result_display()} {self.checked_at:%Y-%m-%d %H:%M}"


# --- Dispatches (issue 14, part B: dispatch14) ---------------------------------------------
# A dispatch hands reported content to an institution (core/handover.py: status, deadline,
# signed link, partner view); the flow is in hotline/forwarding/ (services.py, dispatch_tasks.py).

from sigurnet.core import handover as _handover  # noqa: E402


class DispatchKind(models.TextChoices):
    POLICE = "police", _("Report to the police")
    PROSECUTOR = "prosecutor", _("Report to the prosecutor's office")
    PARTNER_HOTLINE = "partner_hotline", _("Referral to a partner hotline")
    TAKEDOWN = "takedown", _("Notice and takedown to a hosting provider")
    PLATFORM = "platform", _("Notice to a platform")
    AUTHORITY = "authority", _("Notice to an authority")


# Hours after sending by which each kind of dispatch should be acknowledged (overdue after).
# The police and prosecutors: INHOPE measures CSAM reports reaching law enforcement within 3
# days; hosts and platforms: removal "within 2.5 days" needs the notice read within 2; other
# authorities (a ministry, a centre for social work) work in days. SIGURNET_DISPATCH_ACK_HOURS
# changes any of them (docs/configuration.md).
DISPATCH_ACK_HOURS: dict[str, int] = {
    DispatchKind.POLICE: 72,
    DispatchKind.PROSECUTOR: 72,
    DispatchKind.PARTNER_HOTLINE: 48,
    DispatchKind.TAKEDOWN: 48,
    DispatchKind.PLATFORM: 48,
    DispatchKind.AUTHORITY: 120,
}


@_handover.register("dispatch", _("Dispatch"))
class Dispatch(_handover.Handover):
    """A report, referral or notice about reported content, to one institution.

    It carries content items (``DispatchItem``, in the order listed) of one or more reports;
    its text is rendered in the recipient's language when its e-mail is written to the outbox
    (``forwarding.services.prepare``), and kept (encrypted) as it was sent. Never an
    attachment: the outbox sends text only, and a CSAM dispatch (``csam``) names addresses,
    never a picture.
    """

    Kind = DispatchKind

    kind = models.CharField(_("kind"), max_length=20, choices=DispatchKind.choices, db_index=True)
    reports = models.ManyToManyField(Report, related_name="dispatches", verbose_name=_("reports"))
    content_items = models.ManyToManyField(
        ContentItem, through="DispatchItem", related_name="dispatches"
    )
    # Whether it concerns child sexual abuse material (a report of that category).
    csam = models.BooleanField(default=False)
    # The notice-and-takedown schedule of a notice to a host or platform
    # (hotline/forwarding/takedown.py): when its next reminder and its escalation are due
    # (NULL: none), reminders written so far, when it was escalated, and the claim of the run
    # that is checking its items now.
    next_reminder_at = models.DateTimeField(null=True, blank=True, db_index=True)
    reminder_count = models.PositiveSmallIntegerField(default=0)
    escalate_at = models.DateTimeField(null=True, blank=True, db_index=True)
    escalated_at = models.DateTimeField(null=True, blank=True)
    schedule_claimed_until = models.DateTimeField(null=True, blank=True)
    # An escalation (to the partner hotline or the police) names the notice it escalates.
    escalation_of = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="escalations"
    )

    class Meta(_handover.Handover.Meta):
        verbose_name = _("dispatch")
        verbose_name_plural = _("dispatches")
        indexes = [
            *_handover.Handover.Meta.indexes,
            # The figures (hotline/figures.py) read the sent dispatches by id or by the time
            # they were sent, from these narrow indexes instead of the rows with their text.
            models.Index(
                fields=["id"],
                include=["kind", "sent_at"],
                condition=models.Q(sent_at__isnull=False),
                name="dispatch_sent_by_id",
            ),
            models.Index(
                fields=["sent_at"],
                include=["acknowledged_at"],
                condition=models.Q(sent_at__isnull=False),
                name="dispatch_sent",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} #{self.pk}"

    def handover_kind_label(self) -> str:
        return str(self.get_kind_display())

    def handover_items(self) -> list[str]:
        from sigurnet.hotline.forwarding.selectors import item_line

        # What was sent: an item that the notice schedule left out of every e-mail of this
        # dispatch (offline or held when they went) is not among them.
        items = (
            self.dispatch_items.select_related("content_item")
            .filter(models.Q(notified_at__isnull=False) | models.Q(left_out=""))
            .order_by("position", "id")
        )
        return [item_line(row.content_item) for row in items]


def dispatch_ack_hours(kind: str) -> int:
    """The acknowledgement deadline of ``kind`` in hours (the setting wins)."""
    return int(settings.SIGURNET_DISPATCH_ACK_HOURS.get(kind, DISPATCH_ACK_HOURS[kind]))


class DispatchItem(models.Model):
    """One content item of a dispatch, in the order the e-mail lists them."""

    class LeftOut(models.TextChoices):
        LISTED = "", _("Listed")
        OFFLINE = "offline", _("Offline at the check")
        REMOVED = "removed", _("Removed")
        HELD = "held", _("Held at the request of the police")

    dispatch = models.ForeignKey(Dispatch, on_delete=models.CASCADE, related_name="dispatch_items")
    content_item = models.ForeignKey(
        ContentItem, on_delete=models.PROTECT, related_name="dispatch_items"
    )
    position = models.PositiveSmallIntegerField(default=0)
    # The notice schedule (notices to hosts and platforms): when an e-mail of the dispatch
    # first listed the item, and, from the check just before the last notice or reminder,
    # when it was checked and why it was left out ("": listed, or not decided yet).
    notified_at = models.DateTimeField(null=True, blank=True)
    checked_at = models.DateTimeField(null=True, blank=True)
    left_out = models.CharField(max_length=16, choices=LeftOut.choices, blank=True)

    class Meta:
        ordering = ["dispatch", "position", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["dispatch", "content_item"], name="dispatch_item_unique"
            )
        ]
        # The figures (hotline/figures.py): an item's dispatches from the index alone.
        indexes = [models.Index(fields=["content_item", "dispatch"], name="dispatch_item_figures")]

    def __str__(self) -> str:
        return f"Item {self.position + 1} of dispatch {self.dispatch_id}"


# --- Figures (stats14): what the figures keep of a report that retention deleted -------------


class DeletedReportFacts(models.Model):
    """The anonymous facts that the figures (hotline/figures.py) need of one report that
    retention deleted, written in the transaction that deletes it, so that past figures stay
    as they were. Nothing that names or points to the report or a person: no reference, no
    id, no text, no time of day (the date it came in, in the centre's time zone, is enough
    for a period), only delays.
    """

    received_on = models.DateField()
    channel = models.CharField(max_length=16, choices=Channel.choices)
    category = models.CharField(max_length=32, choices=Category.choices)
    outcome = models.CharField(max_length=20, blank=True)  # an Assessment.Outcome value
    # Report -> first assessment; first actionable CSAM assessment -> its confirmation.
    assessment_delay = models.DurationField(null=True, blank=True)
    confirmation_delay = models.DurationField(null=True, blank=True)
    # First assessment -> the report's first dispatch sent (any kind); receipt -> its first
    # dispatch to the police or a prosecutor sent (INHOPE: "reached law enforcement").
    first_dispatch_delay = models.DurationField(null=True, blank=True)
    police_delay = models.DurationField(null=True, blank=True)
    deleted_on = models.DateField()

    class Meta:
        verbose_name = _("deleted report's figures")
        verbose_name_plural = _("deleted reports' figures")
        indexes = [
            models.Index(
                fields=["received_on", "category", "channel", "outcome"],
                name="deleted_report_facts",
            )
        ]

    def __str__(self) -> str:
        return f"Deleted report of {self.received_on:%Y-%m-%d}"


class DeletedItemFacts(models.Model):
    """The anonymous facts that the figures need of one content item of one actionable or
    harmful report that retention deleted (hotline/figures.py: hosting countries, removal,
    dispatch -> removal), written with the report's ``DeletedReportFacts``. No address, no
    host name, no id: the report's date, category and outcome, the country the item was
    hosted in, and delays only.
    """

    received_on = models.DateField()
    category = models.CharField(max_length=32, choices=Category.choices)
    outcome = models.CharField(max_length=20)  # actionable or harmful
    country = models.CharField(max_length=2, blank=True)  # "" when never looked up
    # Report's receipt -> the item's removal; the item's first notice asking for removal
    # (figures.REMOVAL_KINDS) -> its removal (negative when it was gone before the notice).
    removal_delay = models.DurationField(null=True, blank=True)
    noticed = models.BooleanField(default=False)  # a notice asking for removal was sent
    notice_removal_delay = models.DurationField(null=True, blank=True)
    deleted_on = models.DateField()

    class Meta:
        verbose_name = _("deleted content item's figures")
        verbose_name_plural = _("deleted content items' figures")
        indexes = [models.Index(fields=["received_on", "outcome"], name="deleted_item_facts")]

    def __str__(self) -> str:
        return f"Deleted item of a report of {self.received_on:%Y-%m-%d}"


# --- Notice-and-takedown schedule (issue 14: schedule14) ------------------------------------


class ItemHold(models.Model):
    """A hold on notices about one content item: while it is active (``released_at`` NULL),
    no notice or reminder to a host or platform lists the item, so that the police can
    secure evidence first (hotline/forwarding/takedown.py). At most one active hold per
    item; a released hold stays as the record of who asked, who placed and who released it.
    """

    item = models.ForeignKey(ContentItem, on_delete=models.CASCADE, related_name="holds")
    # Who asked for it (usually the police unit); empty when staff held it on their own.
    requested_by = models.ForeignKey(
        Institution,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("requested by"),
    )
    note = EncryptedTextField(_("note"), blank=True)
    held_at = models.DateTimeField(_("held"))
    held_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    released_at = models.DateTimeField(_("released"), null=True, blank=True)
    released_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["-held_at", "-id"]
        verbose_name = _("hold on notices")
        verbose_name_plural = _("holds on notices")
        constraints = [
            models.UniqueConstraint(
                fields=["item"],
                condition=models.Q(released_at__isnull=True),
                name="item_hold_one_active",
            )
        ]

    def __str__(self) -> str:
        return f"Hold on item {self.item_id}"


# --- Replies to dispatches (issue 14, ui14) -------------------------------------------------
# An e-mail whose In-Reply-To/References name a dispatch's mail is kept with the dispatch
# (hotline/email_intake.py, forwarding/replies.py), never filed as a report, never answered.


class DispatchReply(models.Model):
    """An e-mail answering a dispatch (the police, a host or a partner wrote back), as it came
    into the hotline's mailbox: shown on the dispatch's page for the analysts to read. It
    changes nothing by itself: no status, no acknowledgement, no answer to the sender."""

    dispatch = models.ForeignKey(Dispatch, on_delete=models.CASCADE, related_name="replies")
    received_at = models.DateTimeField(auto_now_add=True)
    source = models.CharField(max_length=200)
    # The ``IngestedEmail`` key of the message (``email_intake.message_key``).
    message_id_index = models.CharField(max_length=64, blank=True, db_index=True)
    sender = EncryptedCharField(blank=True)
    # Whether it came from the address the dispatch went to (anyone who has the dispatch's
    # Message-ID can answer it: a colleague, a ticket system).
    from_recipient = models.BooleanField(default=False)
    subject = EncryptedTextField(blank=True)
    # The new part of the reply (the quoted dispatch left out; ``email_intake.reply_text``).
    text = EncryptedTextField(blank=True)
    # File names of its attachments, one a line (the files are in ``raw``).
    attachment_names = EncryptedTextField(blank=True)
    # Why it is an automatic message (an auto-reply, a bounce), "" when a person wrote it.
    # Never anything taken from the message but a header keyword (as ``HeldEmail.reason``).
    automatic = models.CharField(max_length=300, blank=True)
    # The original message, base64-encoded, then encrypted by the field.
    raw = EncryptedTextField()

    class Meta:
        ordering = ["received_at", "id"]
        verbose_name = _("reply to a dispatch")
        verbose_name_plural = _("replies to dispatches")

    def __str__(self) -> str:
        return f"Reply {self.pk} to dispatch {self.dispatch_id}"
