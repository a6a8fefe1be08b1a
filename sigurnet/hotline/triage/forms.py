"""Forms of the triage pages: the queue's filters, assignment and assessment."""

from __future__ import annotations

import re
from datetime import date
from typing import Any

from django import forms
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from sigurnet.hotline.models import (
    Assessment,
    Category,
    Channel,
    LegalBasis,
    Priority,
    Report,
    Status,
)
from sigurnet.hotline.triage import selectors, working_time
from sigurnet.hotline.triage.selectors import AGE_BANDS, QueueFilter
from sigurnet.hotline.triage.services import CSAM_CLASSIFICATION, legal_basis_required

ANY = ("", _("Any"))


class QueueFilterForm(forms.Form):
    q = forms.CharField(label=_("Reference"), required=False, max_length=32)
    status = forms.ChoiceField(label=_("Status"), required=False)
    category = forms.ChoiceField(label=_("Category"), required=False)
    priority = forms.ChoiceField(label=_("Priority"), required=False)
    channel = forms.ChoiceField(label=_("Channel"), required=False)
    language = forms.CharField(label=_("Language"), required=False, max_length=10)
    age = forms.ChoiceField(label=_("Age"), required=False)
    assignee = forms.CharField(label=_("Assignee"), required=False, max_length=20)
    received_from = forms.DateField(
        label=_("Received from"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    received_to = forms.DateField(
        label=_("Received until"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    item = forms.IntegerField(required=False, min_value=1, widget=forms.HiddenInput)
    # A registrable domain's blind index (``ContentItem.domain_index``), never the domain.
    domain = forms.RegexField(regex=r"^[0-9a-f]{64}$", required=False, widget=forms.HiddenInput)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        status_choices: list[tuple[str, Any]] = [
            (selectors.STATUS_OPEN, _("Open")),
            *Status.choices,
            (selectors.STATUS_ANY, _("All")),
        ]
        self.fields["status"].choices = status_choices  # type: ignore[attr-defined]
        self.fields["category"].choices = [ANY, *Category.choices]  # type: ignore[attr-defined]
        self.fields["priority"].choices = [  # type: ignore[attr-defined]
            ANY,
            *Priority.choices,
            (selectors.PRIORITY_NONE, _("Not assessed yet")),
        ]
        self.fields["channel"].choices = [ANY, *Channel.choices]  # type: ignore[attr-defined]
        self.fields["age"].choices = [ANY, *[(v, label) for v, label, *_r in AGE_BANDS]]  # type: ignore[attr-defined]

    def criteria(self) -> QueueFilter:
        if not self.is_valid():
            return QueueFilter()
        data = {k: v for k, v in self.cleaned_data.items() if v not in ("", None)}
        return QueueFilter(**data)

    def show_counts(self, counts: dict[str, list[tuple[str, Any, int]]]) -> None:
        """Turn the free-text filters into choices and give every choice its count."""
        for name, values in counts.items():
            choices: list[tuple[str, Any]] = [(v, f"{label} ({n})") for v, label, n in values]
            if name != "status":
                choices.insert(0, ANY)
            field = self.fields[name]
            if not isinstance(field, forms.ChoiceField):
                self.fields[name] = field = forms.ChoiceField(label=field.label, required=False)
            field.choices = choices
        self._bound_fields_cache.clear()  # type: ignore[attr-defined]  # made with the old fields


class AssignForm(forms.Form):
    colleague = forms.ModelChoiceField(
        label=_("Colleague"), queryset=get_user_model().objects.none()
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["colleague"].queryset = selectors.colleagues()  # type: ignore[attr-defined]


class AssessmentForm(forms.Form):
    outcome = forms.ChoiceField(label=_("Outcome"), choices=Assessment.Outcome.choices)
    duplicate_of = forms.CharField(
        label=_("Duplicate of (reference)"),
        required=False,
        max_length=32,
        help_text=_("Only for the outcome “Duplicate”."),
    )
    priority = forms.ChoiceField(
        label=_("Priority"),
        choices=Assessment.Priority.choices,
        initial=Assessment.Priority.NORMAL,
    )
    category = forms.ChoiceField(
        label=_("Category"),
        choices=Category.choices,
        help_text=_("Correct it if the reporter chose the wrong one."),
    )
    legal_class = forms.ChoiceField(
        label=_("Legal classification"),
        required=False,
        choices=[("", "—"), *Assessment.LegalClass.choices],
        help_text=_("For actionable child sexual abuse material: as ICCAM classifies."),
    )
    victim_age = forms.ChoiceField(
        label=_("Apparent age of the victim"),
        required=False,
        choices=[("", "—"), *Assessment.VictimAge.choices],
    )
    victim_gender = forms.ChoiceField(
        label=_("Gender of the victim"),
        required=False,
        choices=[("", "—"), *Assessment.VictimGender.choices],
    )
    content_kind = forms.ChoiceField(
        label=_("Kind of content"),
        required=False,
        choices=[("", "—"), *Assessment.ContentKind.choices],
    )
    commercial = forms.NullBooleanField(
        label=_("Commercial"),
        required=False,
        widget=forms.Select(choices=[("unknown", "—"), ("true", _("Yes")), ("false", _("No"))]),
    )
    legal_basis = forms.ModelChoiceField(
        label=_("Legal basis"),
        required=False,
        queryset=LegalBasis.objects.none(),
        empty_label="—",
        help_text=_(
            "For other categories than child sexual abuse material, judged actionable or "
            "harmful: the article of the criminal code. Required for “Actionable”."
        ),
    )
    notes = forms.CharField(
        label=_("Notes"),
        required=False,
        max_length=10000,
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text=_("Stored encrypted. Only hotline staff can read them."),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        offered = selectors.legal_bases()
        self.fields["legal_basis"].queryset = offered  # type: ignore[attr-defined]
        self.legal_bases_listed = offered.exists()
        if not self.legal_bases_listed:
            del self.fields["legal_basis"]

    def judged_categories(self, data: dict[str, Any]) -> list[str]:
        """The categories the assessment will give (here: the one chosen)."""
        return [data["category"]] if data.get("category") else []

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        # The service's rule (``services.legal_basis_required``), asked here to show the
        # error beside the field; ``assess`` refuses the same without it.
        if (
            "legal_basis" in self.fields
            and data.get("legal_basis") is None
            and any(
                legal_basis_required(data.get("outcome") or "", category, listed=True)
                for category in self.judged_categories(data)
            )
        ):
            self.add_error("legal_basis", _("Choose the legal basis of an actionable report."))
        if data.get("outcome") == Assessment.Outcome.DUPLICATE:
            key = (data.get("duplicate_of") or "").strip()
            original = selectors.find_report(key) if key else None
            if original is None:
                self.add_error("duplicate_of", _("Give the reference of the earlier report."))
            data["duplicate_report"] = original
        else:
            data["duplicate_report"] = None
        if data.get("outcome") == Assessment.Outcome.ACTIONABLE and data.get("category") == "csam":
            for name in CSAM_CLASSIFICATION:
                if data.get(name) in (None, ""):
                    self.add_error(name, _("Needed for actionable child sexual abuse material."))
        return data

    def classification(self) -> dict[str, Any]:
        return {name: self.cleaned_data.get(name) for name in CSAM_CLASSIFICATION}

    def original(self) -> Report | None:
        value = self.cleaned_data.get("duplicate_report")
        return value if isinstance(value, Report) else None


KEEP_CATEGORY = ("", _("Keep each report's category"))


class GroupAssessmentForm(AssessmentForm):
    """One assessment for every waiting report of a group. Duplicate is not offered: the
    group's own action marks them duplicates of the first. ``categories`` are those of the
    group's waiting reports: with "keep each report's category", the legal basis is needed
    when one of them is not CSAM (and is not kept for the CSAM ones)."""

    def __init__(
        self,
        *args: Any,
        csam_in_group: bool = False,
        categories: frozenset[str] = frozenset(),
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        del self.fields["duplicate_of"]
        self.categories = categories
        if "legal_basis" in self.fields:
            self.fields["legal_basis"].help_text = _(
                "For reports in other categories than child sexual abuse material, judged "
                "actionable or harmful: the article of the criminal code. Required for "
                "“Actionable”. Not kept for child sexual abuse material."
            )
        self.fields["outcome"].choices = [  # type: ignore[attr-defined]
            (value, label)
            for value, label in Assessment.Outcome.choices
            if value != Assessment.Outcome.DUPLICATE
        ]
        category = self.fields["category"]
        category.required = False
        category.choices = [KEEP_CATEGORY, *Category.choices]  # type: ignore[attr-defined]
        category.help_text = _("Correct it for all of them, or keep each report's own.")
        self.csam_in_group = csam_in_group

    def judged_categories(self, data: dict[str, Any]) -> list[str]:
        """The chosen category, or each report's own when they keep theirs."""
        return [data["category"]] if data.get("category") else sorted(self.categories)

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        category = data.get("category") or ""
        csam = category == Category.CSAM or (not category and self.csam_in_group)
        if data.get("outcome") == Assessment.Outcome.ACTIONABLE and csam and category == "":
            for name in CSAM_CLASSIFICATION:
                if data.get(name) in (None, ""):
                    self.add_error(name, _("Needed for actionable child sexual abuse material."))
        return data


QUESTION_CHOICES = [
    ("address", _("The exact address")),
    ("where", _("Where on the page")),
    ("when", _("When it was seen")),
    ("account", _("Which account")),
]


class QuestionChoiceForm(forms.Form):
    question = forms.ChoiceField(label=_("Start from a question"), choices=QUESTION_CHOICES)


class AskReporterForm(forms.Form):
    text = forms.CharField(
        label=_("Your message to the reporter"),
        max_length=4000,
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text=_(
            "The reporter reads it with their receipt code. Write in the report's language."
        ),
    )


# The longest target a supervisor may set: 90 days.
MAX_TARGET_HOURS = 24 * 90
QUESTION_LANGUAGE_LABELS = {
    "en": _("English"),
    "sr-latn": _("Serbian (Latin)"),
    "bs": _("Bosnian"),
}


def _field_suffix(language: str) -> str:
    return language.replace("-", "_")


def html_lang(language: str) -> str:
    """A language code as HTML's ``lang`` spells it ("sr-latn" -> "sr-Latn")."""
    base, _sep, script = language.partition("-")
    return f"{base}-{script.title()}" if script else base


# A non-working day as a supervisor types it: 2026-01-07, or 7.1.2026 (7. 1. 2026.).
_ISO_DAY = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})$")
_LOCAL_DAY = re.compile(r"^(\d{1,2})\.\s*(\d{1,2})\.\s*(\d{4})\.?$")
# More would be no list of holidays; the page shows the first errors only.
MAX_NON_WORKING_DAYS = 400
MAX_DAY_ERRORS = 5


def parse_day(text: str) -> date:
    """A day typed as ``2026-01-07`` or ``7.1.2026`` (ValueError otherwise)."""
    iso, local = _ISO_DAY.match(text), _LOCAL_DAY.match(text)
    if iso:
        return date(int(iso[1]), int(iso[2]), int(iso[3]))
    if local:
        return date(int(local[3]), int(local[2]), int(local[1]))
    raise ValueError(text)


def country_name(code: str) -> str:
    from sigurnet.core.models import Country

    return str(dict(Country.choices).get(code.upper(), code.upper()))


class NonWorkingDaysField(forms.CharField):
    """One day a line (commas and semicolons also separate); gives the days, sorted."""

    widget = forms.Textarea(attrs={"rows": 10, "cols": 14})

    def __init__(self, *, first: date, last: date, **kwargs: Any) -> None:
        super().__init__(max_length=20000, required=False, **kwargs)
        self.first, self.last = first, last

    def to_python(self, value: Any) -> Any:
        text = super().to_python(value) or ""
        days: set[date] = set()
        errors: list[ValidationError] = []
        for part in re.split(r"[\n,;]+", text):
            typed = part.strip()
            if not typed:
                continue
            try:
                day = parse_day(typed)
            except ValueError:
                errors.append(
                    ValidationError(
                        _("“%(value)s” is not a date. Write one a line: 2026-01-07 or 7.1.2026."),
                        code="invalid",
                        params={"value": typed[:40]},
                    )
                )
                continue
            if not self.first <= day <= self.last:
                errors.append(
                    ValidationError(
                        _("%(day)s is not between %(first)s and %(last)s."),
                        code="range",
                        params={
                            "day": day.isoformat(),
                            "first": self.first.isoformat(),
                            "last": self.last.isoformat(),
                        },
                    )
                )
                continue
            days.add(day)
        if errors:
            raise ValidationError(errors[:MAX_DAY_ERRORS])
        if len(days) > MAX_NON_WORKING_DAYS:
            raise ValidationError(
                _("List at most %(count)d days."),
                code="too_many",
                params={"count": MAX_NON_WORKING_DAYS},
            )
        return sorted(days)


class HotlineSettingsForm(forms.Form):
    """The supervisors' settings. One target (hours, and whether only working days count)
    per category, the non-working days, the break reminder, four eyes, and every question in
    every language."""

    reveal_break_after = forms.IntegerField(
        label=_("Break reminder after this many pictures in a day"),
        min_value=1,
        max_value=1000,
    )
    four_eyes_for_csam = forms.BooleanField(
        label=_("Four eyes for actionable child sexual abuse material"),
        required=False,
        help_text=_(
            "A second analyst confirms the assessment before anything is forwarded. "
            "A change applies to assessments made from then on."
        ),
    )

    def __init__(
        self,
        *args: Any,
        current: selectors.TriageSettings,
        calendar: working_time.WorkingCalendar | None = None,
        today: date | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        from sigurnet.hotline.triage import services

        today = today or timezone.localdate()
        calendar = calendar or working_time.calendar()
        first, last = working_time.editable_range(today)
        year, next_year = working_time.shown_years(today)
        values = {"country": country_name(calendar.country), "year": year, "next": next_year}
        if working_time.NATIONAL_HOLIDAYS.get(calendar.country):
            hint = _(
                "One date a line, as 2026-01-07 or 7.1.2026. Filled in with the public holidays "
                "of %(country)s for %(year)d and %(next)d, worked out by the platform: check "
                "them, remove the days your centre works and add those it does not. The next "
                "year's holidays are added by themselves on 1 January; your changes stay."
            )
        else:
            hint = _(
                "One date a line, as 2026-01-07 or 7.1.2026. There is no built-in list of public "
                "holidays for %(country)s: add the days your centre does not work."
            )
        self.fields["non_working_days"] = NonWorkingDaysField(
            label=_("Non-working days"), help_text=hint % values, first=first, last=last
        )
        self.initial.setdefault(
            "non_working_days",
            "\n".join(d.isoformat() for d in working_time.listed_days(calendar, today)),
        )
        self.built_in_holidays = [
            holiday
            for y in (year, next_year)
            for holiday in working_time.national_holidays(calendar.country, y)
        ]
        self.initial.setdefault("reveal_break_after", current.reveal_break_after)
        self.initial.setdefault("four_eyes_for_csam", current.four_eyes_for_csam)
        self.category_rows: list[tuple[Any, str, str]] = []
        for value, label in Category.choices:
            target = current.target(value)
            hours, working = f"target_{value}", f"working_{value}"
            self.fields[hours] = forms.IntegerField(
                label=_("%(category)s: target in hours") % {"category": label},
                min_value=1,
                max_value=MAX_TARGET_HOURS,
            )
            self.fields[working] = forms.BooleanField(
                label=_("%(category)s: count only Monday to Friday") % {"category": label},
                required=False,
            )
            self.initial.setdefault(hours, target.hours)
            self.initial.setdefault(working, target.working_days)
            self.category_rows.append((label, hours, working))
        self.question_groups: list[tuple[Any, list[str]]] = []
        for key, label in QUESTION_CHOICES:
            names = []
            for language in selectors.QUESTION_LANGUAGES:
                name = f"question_{key}_{_field_suffix(language)}"
                self.fields[name] = forms.CharField(
                    label=QUESTION_LANGUAGE_LABELS[language],
                    max_length=2000,
                    widget=forms.Textarea(attrs={"rows": 3, "lang": html_lang(language)}),
                )
                self.initial.setdefault(name, services.question_text(key, language))
                names.append(name)
            self.question_groups.append((label, names))

    def category_fields(self) -> list[tuple[Any, forms.BoundField, forms.BoundField]]:
        return [(label, self[hours], self[working]) for label, hours, working in self.category_rows]

    def question_fields(self) -> list[tuple[Any, list[forms.BoundField]]]:
        return [(label, [self[name] for name in names]) for label, names in self.question_groups]

    def targets(self) -> dict[str, selectors.Target]:
        return {
            value: selectors.Target(
                self.cleaned_data[f"target_{value}"], self.cleaned_data[f"working_{value}"]
            )
            for value in Category.values
        }

    def non_working_days(self) -> list[date]:
        return list(self.cleaned_data["non_working_days"])

    def questions(self) -> dict[str, dict[str, str]]:
        return {
            key: {
                language: self.cleaned_data[f"question_{key}_{_field_suffix(language)}"]
                for language in selectors.QUESTION_LANGUAGES
            }
            for key, _label in QUESTION_CHOICES
        }


FEEDBACK_CHOICES = [
    ("received", _("Received")),
    ("forwarded", _("Forwarded")),
    ("removed", _("Removed")),
    ("not_illegal", _("Not illegal, with the helpline's offer")),
]


class FeedbackChoiceForm(forms.Form):
    template = forms.ChoiceField(label=_("Start from a template"), choices=FEEDBACK_CHOICES)


class LegalBasisForm(forms.Form):
    code = forms.CharField(
        label=_("Article"),
        max_length=40,
        help_text=_("As the code names it, for example “čl. 185 KZ”."),
    )
    title = forms.CharField(label=_("Title"), max_length=300)
