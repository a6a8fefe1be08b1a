"""Triage reads: the queue (filters, counts, keyset pages) and one report with its parts.

The queue never loads an encrypted column: what a reporter typed is decrypted only on the
report's own page, for a permitted analyst, and that display is audited by the view.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, timedelta
from time import monotonic
from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.db.models import (
    Case,
    CharField,
    Count,
    F,
    IntegerField,
    Max,
    Min,
    Q,
    QuerySet,
    Value,
    When,
)
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from sigurnet.core.models import AuditEvent
from sigurnet.hotline.models import (
    Assessment,
    Category,
    Channel,
    ContentItem,
    Evidence,
    HeldEmail,
    HotlineSettings,
    LegalBasis,
    Message,
    Priority,
    Report,
    ReportedURL,
    Status,
)

PAGE_SIZE = 50
# How many reports of the same item or domain the report's page lists beside it.
CONTEXT_LIMIT = 20

# The defaults of the supervisors' settings (``HotlineSettings``), in force until a supervisor
# changes them at /staff/hotline/settings/; read them through ``hotline_settings()``.
# Reviewer wellness: after this many pictures revealed in a day, a gentle break reminder.
REVEAL_BREAK_AFTER = 25
# The centre's target time from receipt to assessment, per category (calendar time).
DEFAULT_TARGET = timedelta(days=2)
TARGET_TIMES: dict[str, timedelta] = {Category.CSAM: timedelta(hours=4)}
# Four eyes on actionable child sexual abuse material.
FOUR_EYES_FOR_CSAM = True
# Each process keeps the settings this long in memory; another process sees a supervisor's
# change within this time (the process that saved it at once).
SETTINGS_MEMO_SECONDS = 5.0
# The languages a supervisor writes question templates in; "sr" is "sr-latn" in Cyrillic.
QUESTION_LANGUAGES = ("en", "sr-latn", "bs")

OPEN_STATUSES = (Status.RECEIVED, Status.IN_ASSESSMENT, Status.NEEDS_INFO, Status.ASSESSED)
# Pseudo-values of the status filter besides the statuses themselves.
STATUS_OPEN = "open"
STATUS_ANY = "all"

# Age bands of a report (time since it was received): (value, label, newer bound, older bound).
AGE_BANDS: tuple[tuple[str, Any, timedelta | None, timedelta | None], ...] = (
    ("4h", _("Under 4 hours"), None, timedelta(hours=4)),
    ("1d", _("4 to 24 hours"), timedelta(hours=4), timedelta(days=1)),
    ("2d", _("1 to 2 days"), timedelta(days=1), timedelta(days=2)),
    ("7d", _("2 to 7 days"), timedelta(days=2), timedelta(days=7)),
    ("older", _("Over 7 days"), timedelta(days=7), None),
)
PRIORITY_NONE = "none"  # not assessed yet
ASSIGNEE_NONE = "none"
ASSIGNEE_ME = "me"

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


@dataclass(frozen=True)
class Target:
    """The target time of one category: ``hours`` from receipt to assessment; with
    ``working_days`` only Monday to Friday counts."""

    hours: int
    working_days: bool = False

    @property
    def span(self) -> timedelta:
        return timedelta(hours=self.hours)


@dataclass(frozen=True)
class TriageSettings:
    """The supervisors' settings as the triage uses them: every category has its target."""

    targets: Mapping[str, Target]
    reveal_break_after: int
    four_eyes_for_csam: bool
    # Edited question templates: {key: {language: text}} (the built-in text otherwise).
    questions: Mapping[str, Mapping[str, str]]

    def target(self, category: str) -> Target:
        return self.targets.get(category) or default_target(category)


def default_target(category: str) -> Target:
    span = TARGET_TIMES.get(category, DEFAULT_TARGET)
    return Target(hours=int(span.total_seconds() // 3600))


def resolve_settings(row: HotlineSettings | None) -> TriageSettings:
    """The settings of ``row`` (None: no row yet) over the defaults; every category has a
    target."""
    stored: dict[str, Any] = (row.target_times if row is not None else None) or {}
    targets: dict[str, Target] = {}
    for category in Category.values:
        value = stored.get(category)
        if isinstance(value, dict) and isinstance(value.get("hours"), int) and value["hours"] > 0:
            targets[category] = Target(value["hours"], bool(value.get("working_days")))
        else:
            targets[category] = default_target(category)
    questions: dict[str, dict[str, str]] = {}
    for key, texts in ((row.questions if row is not None else None) or {}).items():
        if isinstance(texts, dict):
            questions[str(key)] = {
                str(lang): text
                for lang, text in texts.items()
                if lang in QUESTION_LANGUAGES and isinstance(text, str) and text.strip()
            }
    if row is None:
        return TriageSettings(targets, REVEAL_BREAK_AFTER, FOUR_EYES_FOR_CSAM, questions)
    return TriageSettings(targets, row.reveal_break_after, row.four_eyes_for_csam, questions)


_settings_memo: tuple[float, TriageSettings] | None = None


def hotline_settings() -> TriageSettings:
    """The supervisors' settings, kept a few seconds per process (``SETTINGS_MEMO_SECONDS``):
    a queue page reads them once per row without a query per row."""
    global _settings_memo
    memo = _settings_memo
    now = monotonic()
    if memo is not None and memo[0] > now:
        return memo[1]
    resolved = resolve_settings(HotlineSettings.objects.filter(pk=1).first())
    _settings_memo = (now + SETTINGS_MEMO_SECONDS, resolved)  # one assignment: thread-safe
    return resolved


def forget_hotline_settings() -> None:
    """Drop this process's copy of the settings (``services.save_settings`` calls it)."""
    global _settings_memo
    _settings_memo = None


def target_time(category: str) -> timedelta:
    return hotline_settings().target(category).span


# 1970-01-05 was a Monday: the origin of the Monday-to-Friday clock below.
_MONDAY = date(1970, 1, 5)


def _weekday_microseconds(moment: datetime) -> int:
    """Monday-to-Friday time from ``_MONDAY`` to ``moment``, by the centre's local clock
    (holidays not taken off: ``working_time`` has the working-time rules)."""
    from sigurnet.hotline.triage import working_time

    return working_time.weekday_microseconds(timezone.localtime(moment).replace(tzinfo=None))


def counted_age(received_at: datetime, now: datetime, *, working_days: bool) -> timedelta:
    """The time since receipt that counts towards a target: all of it, or with
    ``working_days`` only working time: Monday to Friday without the centre's non-working
    days (public holidays; ``working_time.WorkingCalendar``)."""
    if not working_days:
        return now - received_at
    from sigurnet.hotline.triage import working_time

    return working_time.working_age(received_at, now)


def duration_label(span: timedelta) -> str:
    """A duration in words, rounded down: minutes under an hour, hours under two days."""
    minutes = max(int(span.total_seconds() // 60), 0)
    if minutes < 60:
        return ngettext("%(n)d minute", "%(n)d minutes", minutes) % {"n": minutes}
    hours = minutes // 60
    if hours < 48:
        return ngettext("%(n)d hour", "%(n)d hours", hours) % {"n": hours}
    days = hours // 24
    return ngettext("%(n)d day", "%(n)d days", days) % {"n": days}


@dataclass(frozen=True)
class QueueFilter:
    status: str = STATUS_OPEN
    category: str = ""
    priority: str = ""
    channel: str = ""
    language: str = ""
    age: str = ""
    assignee: str = ""  # "", "none", "me" or a user's id
    received_from: date | None = None
    received_to: date | None = None
    q: str = ""
    item: int | None = None  # reports of one content item (from the grouped view)
    domain: str = ""  # reports of one registrable domain: its blind index (grouped view)


@dataclass(frozen=True)
class Cursor:
    """A position in the queue's order: (urgent first, oldest first, id)."""

    urgent: int
    received_us: int  # microseconds since the epoch: exact, unlike a float
    id: int

    def token(self) -> str:
        return f"{self.urgent}.{self.received_us}.{self.id}"

    @classmethod
    def parse(cls, token: str) -> Cursor | None:
        try:
            urgent, received, pk = (int(part) for part in token.split("."))
        except ValueError:
            return None
        if urgent not in (0, 1) or pk < 0:
            return None
        return cls(urgent, received, pk)

    @classmethod
    def of(cls, report: Report) -> Cursor:
        delta = report.received_at - EPOCH
        return cls(int(report.urgent), delta // timedelta(microseconds=1), report.pk)

    @property
    def received_at(self) -> datetime:
        return EPOCH + timedelta(microseconds=self.received_us)


@dataclass
class QueueRow:
    report: Report
    age: timedelta
    target: timedelta
    answered: bool = False  # the reporter wrote after the hotline's last message
    working_days: bool = False  # only Monday to Friday counts towards the target
    counted: timedelta | None = None  # the age that counts (``age`` unless working days)

    @property
    def age_label(self) -> str:
        return duration_label(self.age)

    @property
    def target_label(self) -> str:
        label = duration_label(self.target)
        if self.working_days:
            return _("%(span)s (Monday to Friday)") % {"span": label}
        return label

    @property
    def overdue(self) -> bool:
        counted = self.age if self.counted is None else self.counted
        return counted > self.target and self.report.status in (
            Status.RECEIVED,
            Status.IN_ASSESSMENT,
            Status.NEEDS_INFO,
        )


@dataclass
class QueuePage:
    rows: list[QueueRow]
    next_cursor: str = ""
    previous_cursor: str = ""
    total: int = 0
    counts: dict[str, list[tuple[str, str, int]]] = field(default_factory=dict)


def _age_q(band: str, now: datetime) -> Q:
    for value, _label, newer, older in AGE_BANDS:
        if value == band:
            q = Q()
            if newer is not None:
                q &= Q(received_at__lte=now - newer)
            if older is not None:
                q &= Q(received_at__gt=now - older)
            return q
    return Q()


def _start_of_day(day: date) -> datetime:
    """Midnight at the start of ``day`` by the current time zone (the one ``__date`` uses)."""
    return timezone.make_aware(datetime.combine(day, datetime.min.time()))


def _filtered(
    criteria: QueueFilter, *, user: Any, now: datetime, skip: str = ""
) -> QuerySet[Report]:
    """Reports matching every criterion except ``skip`` (for that dimension's counts)."""
    qs = Report.objects.all()
    if skip != "status":
        if criteria.status == STATUS_OPEN:
            qs = qs.filter(status__in=OPEN_STATUSES)
        elif criteria.status in Status.values:
            qs = qs.filter(status=criteria.status)
    for name in ("category", "channel", "language"):
        value = getattr(criteria, name)
        if value and skip != name:
            qs = qs.filter(**{name: value})
    if criteria.priority and skip != "priority":
        wanted = "" if criteria.priority == PRIORITY_NONE else criteria.priority
        qs = qs.filter(priority=wanted)
    if criteria.age and skip != "age":
        qs = qs.filter(_age_q(criteria.age, now))
    if criteria.assignee and skip != "assignee":
        if criteria.assignee == ASSIGNEE_NONE:
            qs = qs.filter(assignee__isnull=True)
        elif criteria.assignee == ASSIGNEE_ME:
            qs = qs.filter(assignee=user)
        elif criteria.assignee.isdigit():
            qs = qs.filter(assignee_id=int(criteria.assignee))
    # Days of the centre's clock, as ranges of ``received_at`` (its index serves them).
    if criteria.received_from:
        qs = qs.filter(received_at__gte=_start_of_day(criteria.received_from))
    if criteria.received_to:
        qs = qs.filter(received_at__lt=_start_of_day(criteria.received_to + timedelta(days=1)))
    if criteria.q:
        qs = qs.filter(reference__icontains=criteria.q.strip())
    if criteria.item:
        links = ReportedURL.objects.filter(content_item_id=criteria.item).values("report_id")
        qs = qs.filter(id__in=links)
    if criteria.domain:
        links = ReportedURL.objects.filter(content_item__domain_index=criteria.domain).values(
            "report_id"
        )
        qs = qs.filter(id__in=links)
    return qs


def _age_band_expression(now: datetime) -> Case:
    whens = [
        When(received_at__gt=now - older, then=Value(value))
        for value, _label, _newer, older in AGE_BANDS
        if older is not None
    ]
    return Case(*whens, default=Value(AGE_BANDS[-1][0]))


# The columns the queue counts by, besides the age (read from ``received_at``), in the order of
# the index ``report_queue_facets``.
FACET_COLUMNS = ("status", "category", "priority", "channel", "language", "assignee_id")
# The faceted filters besides the status, by their place in a group (``_facet_groups``).
FACETS = ("category", "priority", "channel", "language", "assignee", "age")
# Every age band but the last ends within this span: older reports are all "Over 7 days".
RECENT_SPAN = max(older for *_rest, older in AGE_BANDS if older is not None)


def _facet_groups(
    criteria: QueueFilter, *, user: Any, now: datetime
) -> tuple[list[tuple[Any, ...]], dict[str, int] | None]:
    """The reports of the chosen status and the unfaceted filters (dates, search, item, domain)
    in groups of equal faceted values: ``(status, category, priority, channel, language,
    assignee_id, age band, number)``; and unless the status is "all", the number per status
    with every other filter applied.

    One statement, so that every count comes from the same snapshot and they add up even while
    reports arrive. Its parts: the reports grouped by the faceted columns without the age (an
    index-only scan of ``report_queue_facets``, deduplicated: about 1 MB for 100,000 reports);
    those of the last 7 days grouped once more with their age band (a range of the index on
    ``received_at``), which leaves the rest "Over 7 days"; and the count per status.
    """
    base = _filtered(
        QueueFilter(
            status=criteria.status,
            received_from=criteria.received_from,
            received_to=criteria.received_to,
            q=criteria.q,
            item=criteria.item,
            domain=criteria.domain,
        ),
        user=user,
        now=now,
    )
    every_age = (
        base.values(*FACET_COLUMNS)
        .annotate(queue_age=Value(""), part=Value("all"), n=Count("*"))
        .order_by()
    )
    recent = (
        base.filter(received_at__gt=now - RECENT_SPAN)
        .annotate(queue_age=_age_band_expression(now))
        .values(*FACET_COLUMNS, "queue_age")
        .annotate(part=Value("recent"), n=Count("*"))
        .order_by()
    )
    parts = [recent]
    if criteria.status != STATUS_ANY:
        # The columns of a union are matched by position: the other facets are empty here.
        blank = {f"blank_{name}": Value(None, CharField()) for name in FACET_COLUMNS[1:-1]}
        parts.append(
            _filtered(criteria, user=user, now=now, skip="status")
            .values("status")
            .annotate(
                **blank,
                blank_assignee=Value(None, IntegerField()),
                queue_age=Value(""),
                part=Value("status"),
                n=Count("*"),
            )
            .order_by()
        )
    rows = every_age.union(*parts, all=True).values_list(*FACET_COLUMNS, "queue_age", "part", "n")

    every: dict[tuple[Any, ...], int] = {}
    by_band: dict[tuple[Any, ...], int] = {}
    by_status: dict[str, int] | None = None if criteria.status == STATUS_ANY else {}
    for *key, queue_age, part, n in rows:
        if part == "all":
            every[tuple(key)] = n
        elif part == "recent":
            by_band[(*key, queue_age)] = n
        elif by_status is not None:
            by_status[key[0]] = n
    older = dict(every)  # of the same snapshot: the recent groups are part of ``every``
    for (*key, _age), n in by_band.items():
        older[tuple(key)] = older.get(tuple(key), 0) - n
    by_band.update({(*key, AGE_BANDS[-1][0]): n for key, n in older.items() if n > 0})
    return [(*key, n) for key, n in by_band.items()], by_status


def _facet_wanted(criteria: QueueFilter, user: Any) -> dict[int, Any]:
    """The value each faceted filter in use (but the status) asks for, by its place in a
    group: every one is an equality."""
    wanted: dict[int, Any] = {}
    for place, name in enumerate(FACETS, start=1):
        value = getattr(criteria, name)
        if not value:
            continue
        if name == "priority" and value == PRIORITY_NONE:
            value = ""
        elif name == "assignee":
            if value == ASSIGNEE_NONE:
                value = None
            elif value == ASSIGNEE_ME:
                value = user.pk
            elif value.isdigit():
                value = int(value)
            else:
                continue  # not a person: the queue ignores it too
        wanted[place] = value
    return wanted


def _counts(criteria: QueueFilter, *, user: Any, now: datetime) -> tuple[int, dict[str, list[Any]]]:
    """The number of reports the filters show, and for each filter every value with the number
    of reports it would show (the other filters as they are): exact, from one statement
    (``_facet_groups``), summed here.

    A group counts towards a filter's values when it passes every other filter: towards all of
    them when it passes every filter, towards the one it fails when it fails one, towards none
    when it fails more."""
    groups, status_counts = _facet_groups(criteria, user=user, now=now)
    wanted = _facet_wanted(criteria, user).items()
    places = list(enumerate(FACETS, start=1))
    tallies: dict[str, dict[Any, int]] = {name: defaultdict(int) for name in (*FACETS, "status")}
    total = 0
    for *key, n in groups:
        failed = [place for place, value in wanted if key[place] != value]
        if not failed:
            total += n
            for place, name in places:
                tallies[name][key[place]] += n
            # With the status "all" every status is in the groups: its facet is summed here.
            tallies["status"][key[0]] += n
        elif len(failed) == 1:
            place = failed[0]
            tallies[FACETS[place - 1]][key[place]] += n
    if status_counts is not None:
        tallies["status"] = status_counts

    counts: dict[str, list[Any]] = {}
    by_status = tallies["status"]
    counts["status"] = [
        (STATUS_OPEN, _("Open"), sum(by_status.get(s, 0) for s in OPEN_STATUSES)),
        *[(value, label, by_status.get(value, 0)) for value, label in Status.choices],
        (STATUS_ANY, _("All"), sum(by_status.values())),
    ]
    for name, choices in (("category", Category.choices), ("channel", Channel.choices)):
        counts[name] = [(value, label, tallies[name].get(value, 0)) for value, label in choices]
    counts["priority"] = [
        *[(value, label, tallies["priority"].get(value, 0)) for value, label in Priority.choices],
        (PRIORITY_NONE, _("Not assessed yet"), tallies["priority"].get("", 0)),
    ]
    counts["language"] = [(code, code, n) for code, n in sorted(tallies["language"].items())]
    counts["age"] = [
        (value, label, tallies["age"].get(value, 0)) for value, label, *_rest in AGE_BANDS
    ]
    assignees = tallies["assignee"]
    names = dict(
        get_user_model()
        .objects.filter(pk__in=[pk for pk in assignees if pk is not None])
        .values_list("pk", "username")
    )
    counts["assignee"] = [
        (ASSIGNEE_NONE, _("Nobody"), assignees.get(None, 0)),
        (ASSIGNEE_ME, _("Me"), assignees.get(user.pk, 0)),
        *sorted(
            (str(pk), names.get(pk, str(pk)), n)
            for pk, n in assignees.items()
            if pk is not None and pk != user.pk
        ),
    ]
    return total, counts


def queue_page(
    criteria: QueueFilter,
    *,
    user: Any,
    after: str = "",
    before: str = "",
    page_size: int | None = None,
    now: datetime | None = None,
    with_counts: bool = True,
) -> QueuePage:
    """One page of the queue, urgent categories first, then the oldest.

    Pages by keyset: ``after``/``before`` are cursor tokens of the last/first row seen, so
    every page costs the same and a row is never skipped or repeated, even when many reports
    share a timestamp (the id breaks ties).
    """
    now = now or timezone.now()
    page_size = page_size or PAGE_SIZE
    qs = (
        _filtered(criteria, user=user, now=now)
        .select_related("assignee")
        .only(
            "id",
            "reference",
            "category",
            "priority",
            "channel",
            "language",
            "status",
            "received_at",
            "urgent",
            "claimed_at",
            "assignee__id",
            "assignee__username",
        )
    )
    forward = ("-urgent", "received_at", "id")
    backward = ("urgent", "-received_at", "-id")
    cursor = Cursor.parse(before or after) if (before or after) else None
    if cursor is not None and before:
        rows = list(qs.filter(_before(cursor)).order_by(*backward)[: page_size + 1])
        has_previous = len(rows) > page_size
        rows = list(reversed(rows[:page_size]))
        has_next = True
    else:
        if cursor is not None:
            qs = qs.filter(_after(cursor))
        rows = list(qs.order_by(*forward)[: page_size + 1])
        has_next = len(rows) > page_size
        rows = rows[:page_size]
        has_previous = cursor is not None
    rules = hotline_settings()
    page = QueuePage(rows=[])
    for r in rows:
        target = rules.target(r.category)
        page.rows.append(
            QueueRow(
                report=r,
                age=now - r.received_at,
                target=target.span,
                working_days=target.working_days,
                counted=counted_age(r.received_at, now, working_days=target.working_days),
            )
        )
    answered = _answered([r.pk for r in rows])
    for row in page.rows:
        row.answered = row.report.pk in answered
    if rows:
        page.next_cursor = Cursor.of(rows[-1]).token() if has_next else ""
        page.previous_cursor = Cursor.of(rows[0]).token() if has_previous else ""
    if with_counts:
        page.total, page.counts = _counts(criteria, user=user, now=now)
    return page


def _answered(report_ids: list[int]) -> set[int]:
    """Which of these reports the reporter wrote to after the hotline's last message (one
    query for the page)."""
    last: dict[int, dict[str, datetime]] = {}
    for report_id, direction, at in (
        Message.objects.filter(report_id__in=report_ids)
        .values_list("report_id", "direction")
        .annotate(at=Max("created_at"))
        .order_by()
    ):
        last.setdefault(report_id, {})[direction] = at
    answered = set()
    for report_id, times in last.items():
        theirs = times.get(Message.Direction.FROM_REPORTER)
        ours = times.get(Message.Direction.FROM_HOTLINE)
        if theirs is not None and ours is not None and theirs >= ours:
            answered.add(report_id)
    return answered


def _after(c: Cursor) -> Q:
    at = c.received_at
    return (
        Q(urgent__lt=c.urgent)
        | Q(urgent=c.urgent, received_at__gt=at)
        | Q(urgent=c.urgent, received_at=at, id__gt=c.id)
    )


def _before(c: Cursor) -> Q:
    at = c.received_at
    return (
        Q(urgent__gt=c.urgent)
        | Q(urgent=c.urgent, received_at__lt=at)
        | Q(urgent=c.urgent, received_at=at, id__lt=c.id)
    )


def without(criteria: QueueFilter, **changes: Any) -> QueueFilter:
    return replace(criteria, **changes)


def find_report(key: str) -> Report | None:
    """A report by its reference (``SIG-2026-000042``) or its id; no encrypted field is read."""
    qs = Report.objects.select_related("assignee")
    report = qs.filter(reference=key).first()
    if report is None and key.isdigit():
        report = qs.filter(pk=int(key)).first()
    return report


def report_parts(report: Report) -> dict[str, Any]:
    """Everything shown beside a report: its URLs, evidence, messages and assessments."""
    return {
        "urls": list(ReportedURL.objects.filter(report=report).select_related("content_item")),
        "evidence": list(Evidence.objects.filter(report=report).order_by("id")),
        "messages": list(report.messages.all()),
        "assessments": list(
            report.assessments.select_related(
                "analyst", "duplicate_of", "confirmed_by", "disputed_by"
            ).order_by("-created_at", "-id")
        ),
    }


def colleagues() -> QuerySet[Any]:
    """Active staff members who may work on reports (candidates for an assignment)."""
    perm = Permission.objects.filter(
        content_type__app_label="hotline", codename="change_report"
    ).first()
    users = get_user_model().objects.filter(is_active=True)
    if perm is None:
        return users.none()
    return (
        users.filter(Q(groups__permissions=perm) | Q(user_permissions=perm) | Q(is_superuser=True))
        .distinct()
        .order_by("username")
    )


REPORT_SUMMARY_FIELDS = ("id", "reference", "category", "status", "received_at")


def report_context(report: Report, urls: list[ReportedURL]) -> dict[str, Any]:
    """What is known beside this report: other reports of the same content items, other
    reports of the same registrable domains, and earlier assessments of those items. Reads no
    encrypted column of the other reports."""
    item_ids = {u.content_item_id for u in urls}
    domains = {u.content_item.domain_index for u in urls if u.content_item.domain_index}
    same_item = list(
        Report.objects.filter(reported_urls__content_item_id__in=item_ids)
        .exclude(pk=report.pk)
        .distinct()
        .only(*REPORT_SUMMARY_FIELDS)
        .order_by("-received_at", "-id")[:CONTEXT_LIMIT]
    )
    same_domain = list(
        Report.objects.filter(reported_urls__content_item__domain_index__in=domains)
        .exclude(pk=report.pk)
        .exclude(reported_urls__content_item_id__in=item_ids)
        .distinct()
        .only(*REPORT_SUMMARY_FIELDS)
        .order_by("-received_at", "-id")[:CONTEXT_LIMIT]
        if domains
        else []
    )
    earlier = list(
        Assessment.objects.filter(report__reported_urls__content_item_id__in=item_ids)
        .exclude(report=report)
        .distinct()
        .select_related("report")
        .defer("notes")
        .order_by("-created_at", "-id")[:CONTEXT_LIMIT]
    )
    return {"same_item": same_item, "same_domain": same_domain, "earlier_assessments": earlier}


def held_from_sender(report: Report) -> list[dict[str, Any]]:
    """For an e-mailed report, the held e-mails from its sender (the report's contact address),
    newest first, at most ``CONTEXT_LIMIT``, each with its decrypted subject. One query; only
    the listed messages are decrypted. Messages held before the sender index existed have none
    and are not listed."""
    from sigurnet.hotline.email_intake import held_subject, sender_index

    if report.channel != Channel.EMAIL:
        return []
    index = sender_index(report.contact_email or "")
    if not index:
        return []
    held = HeldEmail.objects.filter(sender_index=index).order_by("-received_at", "-id")
    return [{"held": h, "subject": held_subject(h)} for h in held[:CONTEXT_LIMIT]]


def _start_of_today() -> datetime:
    return timezone.localtime().replace(hour=0, minute=0, second=0, microsecond=0)


def revealed_today(user: Any) -> int:
    """How many evidence pictures ``user`` revealed since midnight (from the audit trail)."""
    from sigurnet.hotline.triage.services import TriageAction

    return AuditEvent.objects.filter(
        action=TriageAction.EVIDENCE_REVEALED, actor_id=user.pk, occurred_at__gte=_start_of_today()
    ).count()


def revealed_today_by_person() -> list[tuple[str, int]]:
    """(staff member, pictures revealed since midnight), most first: for supervisors."""
    from sigurnet.hotline.triage.services import TriageAction

    rows = (
        AuditEvent.objects.filter(
            action=TriageAction.EVIDENCE_REVEALED, occurred_at__gte=_start_of_today()
        )
        .values_list("actor_name")
        .annotate(n=Count("id"))
        .order_by("-n", "actor_name")
    )
    return [(name, n) for name, n in rows.values_list("actor_name", "n")]


GROUP_LIMIT = 50


def item_groups(limit: int = GROUP_LIMIT) -> list[ContentItem]:
    """Content items that two or more open reports point to, the most reported first (then the
    oldest): each is one piece of work. Annotated with ``open_reports`` and ``first_received``.
    Decrypts only the items' canonical forms (the caller audits that display).

    Two queries whatever the number of items: the links of the open reports grouped by item
    (starting from the open reports, not from every item), then the items shown."""
    rows = list(
        _open_links()
        .values("content_item_id")
        .annotate(open_reports=Count("report_id", distinct=True), first_received=Min("received"))
        .filter(open_reports__gte=2)
        .order_by("-open_reports", "first_received", "content_item_id")[:limit]
    )
    items = ContentItem.objects.only("id", "kind", "canonical", "state").in_bulk(
        [row["content_item_id"] for row in rows]
    )
    groups = []
    for row in rows:
        item = items[row["content_item_id"]]
        item.open_reports = row["open_reports"]  # type: ignore[attr-defined]
        item.first_received = row["first_received"]  # type: ignore[attr-defined]
        groups.append(item)
    return groups


def _open_links() -> QuerySet[ReportedURL]:
    """The links of the open reports to their content items, with the report's ``received``."""
    return ReportedURL.objects.filter(report__status__in=OPEN_STATUSES).annotate(
        received=F("report__received_at")
    )


@dataclass
class DomainGroup:
    """Open reports whose addresses share one registrable domain: one row of work."""

    index: str  # ``ContentItem.domain_index``, the blind index: what the queue filters on
    open_reports: int
    first_received: datetime
    item_id: int  # one item of the domain, whose (encrypted) domain is shown
    domain: str = ""


def domain_groups(limit: int = GROUP_LIMIT) -> list[DomainGroup]:
    """Registrable domains that two or more open reports point to (through any of their
    addresses), the most reported first (then the oldest). Two queries whatever the number of
    rows: one grouped count on the blind index, one read of a single item per domain, whose
    ``registrable_domain`` is decrypted for display (the caller audits that display)."""
    rows = list(
        Report.objects.filter(
            status__in=OPEN_STATUSES, reported_urls__content_item__domain_index__gt=""
        )
        .values(index=F("reported_urls__content_item__domain_index"))
        .annotate(
            open_reports=Count("id", distinct=True),
            first_received=Min("received_at"),
            item_id=Min("reported_urls__content_item_id"),
        )
        .filter(open_reports__gte=2)
        .order_by("-open_reports", "first_received", "index")[:limit]
    )
    groups = [DomainGroup(**row) for row in rows]
    names = dict(
        ContentItem.objects.filter(pk__in=[g.item_id for g in groups]).values_list(
            "pk", "registrable_domain"
        )
    )
    for group in groups:
        group.domain = names.get(group.item_id, "")
    return groups


WAITING_STATUSES = (Status.RECEIVED, Status.IN_ASSESSMENT)
# Not read for a group: what the reporter typed is decrypted only on the report's page.
ENCRYPTED_REPORT_FIELDS: tuple[str, ...] = ("account", "location_hint", "description")
ENCRYPTED_REPORT_FIELDS += ("contact_email", "contact_phone")


def group_reports(*, item: ContentItem | None = None, domain: str = "") -> list[Report]:
    """The reports of one group of the grouped view (one content item, or one registrable
    domain by its blind index), the oldest first. Reads no encrypted column."""
    if item is not None:
        qs = Report.objects.filter(reported_urls__content_item=item)
    elif domain:
        qs = Report.objects.filter(reported_urls__content_item__domain_index=domain)
    else:
        return []
    return list(
        qs.distinct()
        .select_related("assignee")
        .defer(*ENCRYPTED_REPORT_FIELDS)
        .order_by("received_at", "id")
    )


def legal_bases(country: str | None = None, *, active_only: bool = True) -> QuerySet[LegalBasis]:
    """The legal bases of ``country`` (default: the deployment profile's), in the supervisors'
    order; only the active ones unless ``active_only`` is off."""
    from sigurnet.core.selectors import get_profile

    code = (country or get_profile().country).upper()
    found = LegalBasis.objects.filter(country=code)
    return found.filter(active=True) if active_only else found
