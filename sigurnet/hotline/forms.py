"""Report forms. The web steps and the API share these rules (``ReportForm`` holds them all)."""

from __future__ import annotations

import re
from datetime import date, datetime, time
from typing import Any

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext, ngettext_lazy

from sigurnet.hotline.canonical import InvalidURL, canonicalize
from sigurnet.hotline.models import NO_UPLOAD_CATEGORIES, AgeBand, Category
from sigurnet.hotline.services import ReportSubmission

MAX_URLS = 20
MAX_DESCRIPTION = 5000
PHONE_PATTERN = re.compile(r"^\+?[0-9 ()/.-]{6,25}$")

CATEGORY_EXAMPLES = {
    Category.CSAM: _("Photos or videos that show a child being sexually abused."),
    Category.GROOMING: _("An adult asks a child for photos, to meet, or to keep secrets."),
    Category.SEXTORTION: _("Someone says they will share your pictures unless you pay or obey."),
    Category.NCII: _("Nude or sexual pictures of someone, shared without their permission."),
    Category.CYBERBULLYING: _(
        "Someone is mean, spreads lies or threatens someone again and again."
    ),
    Category.HATE_SPEECH: _(
        "Attacks on people for their nationality, religion, skin or who they are."
    ),
    Category.VIOLENT_CONTENT: _(
        "Videos or pictures of cruelty, killing or people hurting themselves."
    ),
    Category.PHISHING_FRAUD: _(
        "Fake messages or sites that want passwords, card numbers or money."
    ),
    Category.IMPERSONATION: _(
        "A profile that pretends to be you or someone else, or a stolen account."
    ),
    Category.OTHER: _("Anything else online that worries you."),
}

URL_ERRORS = {
    "empty": _("This line is empty."),
    "too_long": _("This web address is too long."),
    "scheme": _("Only web addresses that start with http:// or https:// can be checked."),
    "no_host": _("This web address has no site name in it."),
    "bad_host": _("The site name in this web address is not right."),
    "credentials": _("This web address is not right."),
    "nul": _("This web address has characters we cannot read."),
}


def no_control_characters(value: str) -> None:
    if any(
        ch == "\x00" or (ord(ch) < 32 and ch not in "\t\r\n") or 0xD800 <= ord(ch) <= 0xDFFF
        for ch in value
    ):
        raise forms.ValidationError(
            _("This has characters we cannot read. Please type it again."), code="control"
        )


class CleanCharField(forms.CharField):
    default_validators = [no_control_characters]


class TooLongValidator:
    """Says by how much a text is too long (the text itself is kept and shown again)."""

    def __init__(self, limit: int) -> None:
        self.limit = limit

    def __call__(self, value: str) -> None:
        excess = len(value) - self.limit
        if excess > 0:
            raise forms.ValidationError(
                ngettext_lazy(
                    "This is %(excess)s character too long. You can write up to %(limit)s "
                    "characters: please make it a little shorter.",
                    "This is %(excess)s characters too long. You can write up to %(limit)s "
                    "characters: please make it a little shorter.",
                    "excess",
                ),
                code="max_length",
                params={"excess": excess, "limit": self.limit},
            )

    def __eq__(self, other: object) -> bool:
        return isinstance(other, TooLongValidator) and other.limit == self.limit


class CountedTextarea(forms.Textarea):
    """A text box that forms.js counts for: "N characters left", in the page's language.

    Give the field no ``max_length`` (it would add ``maxlength``, and a browser cuts a pasted
    text there without a word): ``TooLongValidator`` says on the server what is too long.
    The words are added when the page is drawn, one per plural form; ``{n}`` stands for the
    number and the script picks the form with ``Intl.PluralRules`` (``one``, ``few``, ``other``:
    1, 2 and 5 select them in English, Serbian and Bosnian).
    """

    def __init__(self, limit: int, attrs: dict[str, Any] | None = None) -> None:
        super().__init__({**(attrs or {}), "data-maxlength": str(limit)})

    def get_context(self, name: str, value: Any, attrs: dict[str, Any] | None) -> dict[str, Any]:
        context = super().get_context(name, value, attrs)
        words = context["widget"]["attrs"]
        for form_name, sample in (("one", 1), ("few", 2), ("other", 5)):
            words[f"data-counter-{form_name}"] = ngettext(
                "%(count)s character left", "%(count)s characters left", sample
            ) % {"count": "{n}"}
            words[f"data-over-{form_name}"] = ngettext(
                "%(count)s character too many", "%(count)s characters too many", sample
            ) % {"count": "{n}"}
        return context


# Bidirectional embedding, override and isolate marks: they make an address read differently
# from what it is (``moc.elpmaxe@`` shown as ``@example.com``). No address or number needs them.
BIDI_CONTROLS = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")


def has_bidi_controls(value: str) -> bool:
    return any(ch in BIDI_CONTROLS for ch in value)


def readable_address(value: str) -> None:
    """For contact details: no control characters, lone surrogates or bidirectional marks."""
    no_control_characters(value)
    if has_bidi_controls(value):
        raise forms.ValidationError(
            _("This has characters we cannot read. Please type it again."), code="bidi"
        )


class URLListField(forms.Field):
    """Web addresses, one per line (web form) or a list (API)."""

    widget = forms.Textarea(attrs={"rows": 3, "autocomplete": "off", "spellcheck": "false"})

    def to_python(self, value: Any) -> list[str]:
        if value in (None, ""):
            return []
        if isinstance(value, str):
            items = value.splitlines()
        elif isinstance(value, list | tuple):
            items = [str(item) for item in value]
        else:
            raise forms.ValidationError(_("Give web addresses as a list."), code="type")
        return [item.strip() for item in items if item.strip()]

    def validate(self, value: list[str]) -> None:
        super().validate(value)
        if len(value) > MAX_URLS:
            raise forms.ValidationError(
                _("Please give at most %(count)s web addresses.") % {"count": MAX_URLS},
                code="too_many",
            )
        problems = []
        for number, url in enumerate(value, start=1):
            problem: Any = None
            if has_bidi_controls(url):
                # Kept as typed, the address would read differently to the analyst.
                problem = URL_ERRORS["nul"]
            else:
                try:
                    canonicalize(url)
                except InvalidURL as exc:
                    problem = URL_ERRORS.get(exc.code, exc)
            if problem is not None:
                problems.append(
                    forms.ValidationError(
                        _("Line %(number)s: %(problem)s") % {"number": number, "problem": problem},
                        code="url",
                    )
                )
        if problems:
            raise forms.ValidationError(problems)


class HoneypotMixin(forms.Form):
    # People never see or fill this; many scripts fill every field they find.
    website = forms.CharField(
        required=False,
        label=_("Leave this empty"),
        widget=forms.TextInput(attrs={"autocomplete": "off", "tabindex": "-1"}),
    )

    def is_bot(self) -> bool:
        return bool(self.data.get(self.add_prefix("website")))


class WhatForm(HoneypotMixin):
    category = forms.ChoiceField(
        label=_("What did you see?"),
        # A radio group is one stop for Tab; the arrow keys move inside it.
        help_text=_("Choose one. With a keyboard, the arrow keys move between the choices."),
        choices=Category.choices,
        widget=forms.RadioSelect,
        error_messages={"required": _("Choose what you want to tell us about.")},
    )


class WhereForm(HoneypotMixin):
    urls = URLListField(
        label=_("Web addresses"),
        required=False,
        help_text=_("Copy the address from the top of the browser. One per line."),
    )
    platform = CleanCharField(
        label=_("App, game or website"),
        required=False,
        max_length=100,
        help_text=_("For example TikTok, Instagram, Viber, Roblox."),
    )
    account = CleanCharField(
        label=_("Name of the account or profile"),
        required=False,
        max_length=300,
        help_text=_("For example @name. This helps when there is no web address."),
    )
    location_hint = CleanCharField(
        label=_("How can we find it?"),
        required=False,
        validators=[TooLongValidator(1000)],
        widget=CountedTextarea(1000, attrs={"rows": 3}),
        help_text=_("For example: in the group chat called ..., the video posted on ..."),
    )
    seen_on = forms.DateField(
        label=_("When did you see it?"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        error_messages={"invalid": _("Enter a date like 2026-03-01.")},
    )

    def clean_seen_on(self) -> date | None:
        seen: date | None = self.cleaned_data.get("seen_on")
        if seen and seen > timezone.localdate():
            raise forms.ValidationError(_("This date is in the future."), code="future")
        return seen

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        has_url = bool(data.get("urls"))
        has_place = bool(data.get("platform")) and bool(
            data.get("account") or data.get("location_hint")
        )
        if not has_url and not has_place and not self.errors:
            raise forms.ValidationError(
                _(
                    "Tell us where it is: a web address, or the app and the name of the "
                    "account or how to find it."
                ),
                code="where",
            )
        return data


class DetailsForm(HoneypotMixin):
    description = CleanCharField(
        label=_("What happened?"),
        required=False,
        validators=[TooLongValidator(MAX_DESCRIPTION)],
        widget=CountedTextarea(MAX_DESCRIPTION, attrs={"rows": 6}),
        help_text=_("In your own words. What did you see, and who is in it, if you know?"),
    )
    evidence = forms.FileField(
        label=_("A screenshot or file"),
        required=False,
        help_text=_("A picture, PDF or text file, up to 10 MB. Only if it is safe to share."),
    )

    def __init__(self, *args: Any, category: str = "", **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.category = category
        if category == Category.CSAM:
            # One message: nobody is asked to look at, or describe, such pictures again.
            self.fields["description"].help_text = _(
                "You do not need to describe the pictures. A few words about where and when "
                "you saw them are enough."
            )
        if category in NO_UPLOAD_CATEGORIES:
            del self.fields["evidence"]
        else:
            self.fields["description"].required = True
            self.fields["description"].error_messages["required"] = _(
                "Tell us in a few words what happened."
            )


class YouForm(HoneypotMixin):
    age_band = forms.ChoiceField(
        label=_("How old are you?"),
        choices=[(value, label) for value, label in AgeBand.choices],
        required=False,
        widget=forms.RadioSelect,
    )
    # autocomplete="off": children report from family and school devices that others use too;
    # a report must not leave the child's address in that device's autofill, nor fill in a
    # parent's address that the child did not choose. inputmode brings the right keyboard.
    contact_email = forms.EmailField(
        label=_("E-mail"),
        required=False,
        max_length=254,
        widget=forms.EmailInput(attrs={"autocomplete": "off", "inputmode": "email"}),
        validators=[readable_address],
        error_messages={"invalid": _("Enter an e-mail address like name@example.org.")},
    )
    contact_phone = forms.CharField(
        label=_("Phone"),
        required=False,
        max_length=25,
        validators=[readable_address],
        widget=forms.TextInput(attrs={"autocomplete": "off", "inputmode": "tel"}),
    )
    contact_consent = forms.BooleanField(
        label=_("You can contact me about this report."), required=False
    )
    news_notice = forms.BooleanField(
        label=_(
            "By e-mail, only tell me that there is a new message on my report's page. "
            "Write nothing about the report in the e-mail."
        ),
        required=False,
    )

    def clean_contact_phone(self) -> str:
        phone: str = self.cleaned_data.get("contact_phone", "")
        if phone and not PHONE_PATTERN.match(phone):
            raise forms.ValidationError(
                _("Enter a phone number with digits only, for example 064 123 4567."),
                code="phone",
            )
        return phone

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        has_contact = bool(data.get("contact_email") or data.get("contact_phone"))
        if has_contact and not data.get("contact_consent"):
            self.add_error(
                "contact_consent",
                forms.ValidationError(
                    _("Tick this box if we may contact you, or leave the e-mail and phone empty."),
                    code="consent",
                ),
            )
        return data


class ReportForm(WhatForm, WhereForm, YouForm):
    """Every rule of a report at once: the last check of the web form, and the API's check."""

    description = DetailsForm.base_fields["description"]
    language = forms.ChoiceField(choices=[], required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        from django.conf import settings

        language = self.fields["language"]
        assert isinstance(language, forms.ChoiceField)
        language.choices = [("", "")] + [(code, code) for code, _n in settings.LANGUAGES]

    def clean(self) -> dict[str, Any]:
        data = WhereForm.clean(self)
        YouForm.clean(self)
        category = data.get("category")
        if category and category not in NO_UPLOAD_CATEGORIES and not data.get("description"):
            self.add_error(
                "description",
                forms.ValidationError(_("Tell us in a few words what happened."), code="required"),
            )
        return data

    def submission(
        self, *, language: str, evidence_ids: list[int] | None = None
    ) -> ReportSubmission:
        data = self.cleaned_data
        seen = data.get("seen_on")
        return ReportSubmission(
            category=data["category"],
            language=data.get("language") or language,
            urls=data.get("urls", []),
            platform=data.get("platform", ""),
            account=data.get("account", ""),
            location_hint=data.get("location_hint", ""),
            seen_at=timezone.make_aware(datetime.combine(seen, time(12))) if seen else None,
            description=data.get("description", ""),
            age_band=data.get("age_band", ""),
            contact_email=data.get("contact_email", ""),
            contact_phone=data.get("contact_phone", ""),
            contact_consent=bool(data.get("contact_consent")),
            news_notice=bool(data.get("news_notice")),
            evidence_ids=evidence_ids or [],
        )


class StatusForm(forms.Form):
    receipt = forms.CharField(
        label=_("Your receipt code"),
        max_length=40,
        help_text=_("The 16 digits you got when you sent the report."),
        widget=forms.TextInput(attrs={"autocomplete": "off", "inputmode": "numeric"}),
    )


class ReplyForm(HoneypotMixin):
    # No max_length (the browser would cut a pasted reply): a longer one is kept and the
    # excess told, as for the description.
    text = CleanCharField(
        label=_("Your answer or more details"),
        required=False,
        validators=[TooLongValidator(MAX_DESCRIPTION)],
        widget=CountedTextarea(MAX_DESCRIPTION, attrs={"rows": 5}),
    )
    urls = URLListField(
        label=_("More web addresses"),
        required=False,
        help_text=_("One per line."),
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if not data.get("text") and not data.get("urls") and not self.errors:
            raise forms.ValidationError(_("Write something or add a web address."), code="empty")
        return data
