"""Forms of the staff area."""

from __future__ import annotations

from django import forms
from django.conf import settings
from django.contrib.auth.forms import AuthenticationForm
from django.core.exceptions import ValidationError
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _

from sigurnet.core import auth
from sigurnet.core.selectors import audit_action_choices


class StaffLoginForm(AuthenticationForm):
    error_messages = {
        "invalid_login": _("That username and password do not match."),
        "inactive": _("This account is switched off. Ask an administrator."),
    }

    def get_invalid_login_error(self) -> ValidationError:
        limit = settings.AXES_FAILURE_LIMIT
        warning = ngettext(
            "After %(count)d wrong password, sign-in from this network is locked for %(wait)s.",
            "After %(count)d wrong passwords, sign-in from this network is locked for %(wait)s.",
            limit,
        ) % {"count": limit, "wait": auth.minutes_text(auth.lockout_minutes())}
        return ValidationError(
            f"{gettext('That username and password do not match.')} {warning}",
            code="invalid_login",
        )


class TokenForm(forms.Form):
    token = forms.CharField(
        label=_("Code"),
        max_length=16,
        help_text=_("The 6-digit code from your authenticator app, or one of your backup codes."),
        widget=forms.TextInput(
            attrs={"autocomplete": "one-time-code", "inputmode": "numeric", "autofocus": True}
        ),
    )

    def clean_token(self) -> str:
        return "".join(self.cleaned_data["token"].split())


class EnrolForm(TokenForm):
    token = forms.CharField(
        label=_("Code from the app"),
        max_length=8,
        help_text=_("Enter the 6-digit code your authenticator app now shows."),
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "numeric"}),
    )


class AuditFilterForm(forms.Form):
    actor = forms.CharField(label=_("Staff member"), required=False, max_length=150)
    action = forms.ChoiceField(label=_("Action"), required=False)
    object_type = forms.CharField(label=_("Object type"), required=False, max_length=100)
    object_id = forms.CharField(label=_("Object id"), required=False, max_length=64)
    since = forms.DateField(
        label=_("From"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    until = forms.DateField(
        label=_("Until"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )

    def __init__(self, *args: object, actions: list[str], **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        field = self.fields["action"]
        assert isinstance(field, forms.ChoiceField)
        field.choices = [("", _("Any action")), *audit_action_choices(actions)]
