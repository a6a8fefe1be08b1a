from __future__ import annotations

from typing import Any

from django import forms
from django.conf import settings
from django.contrib import admin
from django.contrib.auth.admin import UserAdmin
from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse
from django.utils.dates import WEEKDAYS
from django.utils.http import urlencode
from django.utils.translation import gettext_lazy as _
from django_otp.plugins.otp_static.admin import StaticDeviceAdmin
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.admin import TOTPDeviceAdmin
from django_otp.plugins.otp_totp.models import TOTPDevice

from sigurnet.core.models import ContactPerson, DeploymentProfile, Institution
from sigurnet.core.selectors import device_display_name
from sigurnet.core.services import save_profile

admin.site.site_header = _("Sigurnet administration")
admin.site.site_title = _("Sigurnet")


def _staff_login(request: HttpRequest, extra_context: Any = None) -> HttpResponse:
    """The admin has no login of its own: everyone signs in (with a second factor) at /staff/."""
    if request.user.is_authenticated:
        # Signed in, but without the admin site among their roles.
        raise PermissionDenied
    query = urlencode({"next": request.GET.get("next", "/admin/")})
    return HttpResponseRedirect(f"{reverse('staff:login')}?{query}")


admin.site.login = _staff_login  # type: ignore[method-assign]


class DatesField(forms.CharField):
    """The closed dates, one per line (stored as a list)."""

    widget = forms.Textarea(attrs={"rows": 4})

    def prepare_value(self, value: Any) -> Any:
        return "\n".join(value) if isinstance(value, list) else value

    def to_python(self, value: Any) -> list[str]:  # type: ignore[override]
        return [line.strip() for line in str(value or "").splitlines() if line.strip()]


class DeploymentProfileForm(forms.ModelForm):
    enabled_languages = forms.MultipleChoiceField(
        label=_("Enabled languages"),
        choices=settings.LANGUAGES,
        widget=forms.CheckboxSelectMultiple,
    )
    helpline_days = forms.TypedMultipleChoiceField(
        label=_("Helpline open on"),
        choices=list(WEEKDAYS.items()),
        coerce=int,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    helpline_closed_dates = DatesField(
        label=_("Helpline closed on"),
        required=False,
        help_text=_(
            "One date per line: 2026-04-10 for that day only, 01-01 for the same day every year."
        ),
    )

    class Meta:
        model = DeploymentProfile
        fields = [
            "centre_name",
            "country",
            "enabled_languages",
            "logo",
            "emergency_number",
            "emergency_service",
            "helpline_phone",
            "helpline_days",
            "helpline_opens",
            "helpline_closes",
            "helpline_closed_dates",
            "helpline_hours",
            "hotline_email",
        ]
        widgets = {
            "helpline_opens": forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
            "helpline_closes": forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
        }


@admin.register(DeploymentProfile)
class DeploymentProfileAdmin(admin.ModelAdmin):
    form = DeploymentProfileForm
    fieldsets = [
        (None, {"fields": ["centre_name", "country", "enabled_languages", "logo"]}),
        (
            _("How the public reaches you"),
            {
                "fields": [
                    "emergency_number",
                    "emergency_service",
                    "helpline_phone",
                    "helpline_days",
                    ("helpline_opens", "helpline_closes"),
                    "helpline_closed_dates",
                    "helpline_hours",
                    "hotline_email",
                ]
            },
        ),
    ]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return not DeploymentProfile.objects.exists() and super().has_add_permission(request)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        save_profile(obj)


class ContactPersonInline(admin.TabularInline):
    model = ContactPerson
    extra = 0
    fields = ["name", "role", "email", "phone", "languages", "is_primary", "is_active", "user"]
    raw_id_fields = ["user"]  # the account of a Partner contact (core/handover.py)


class OnePerLineField(forms.CharField):
    """A list of short entries typed one per line (stored as a JSON list)."""

    widget = forms.Textarea(attrs={"rows": 4})

    def prepare_value(self, value: Any) -> Any:
        return "\n".join(value) if isinstance(value, list) else value

    def to_python(self, value: Any) -> list[str]:  # type: ignore[override]
        return [line.strip() for line in str(value or "").splitlines() if line.strip()]


class HttpsURLField(forms.URLField):
    """A web address typed without a scheme is https:// (Django 6's default, chosen now)."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("assume_scheme", "https")
        super().__init__(**kwargs)


class InstitutionForm(forms.ModelForm):
    # The model's validators check each entry (core.models.validate_domains/validate_networks).
    domains = OnePerLineField(
        label=_("Domains"),
        required=False,
        help_text=_(
            "Domain names it answers for (a platform), one per line, for example example.com. "
            "A domain covers its subdomains."
        ),
    )
    networks = OnePerLineField(
        label=_("Networks"),
        required=False,
        help_text=_(
            "AS numbers and address ranges it answers for (a hosting provider), one per line, "
            "for example AS64500 or 192.0.2.0/24."
        ),
    )

    class Meta:
        model = Institution
        exclude: list[str] = []  # every field, in the model's order
        field_classes = {"website": HttpsURLField}

    def clean_domains(self) -> list[str]:
        return [entry.lower().rstrip(".") for entry in self.cleaned_data["domains"]]


@admin.register(Institution)
class InstitutionAdmin(admin.ModelAdmin):
    form = InstitutionForm
    list_display = ["name", "kind", "country", "intake_method", "network", "is_active"]
    list_filter = ["kind", "country", "intake_method", "network", "is_active"]
    search_fields = ["name", "name_en"]
    inlines = [ContactPersonInline]


class StaffUserAdmin(UserAdmin):
    """Administrators manage accounts and roles; only a superuser can make a superuser."""

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        fields = list(super().get_readonly_fields(request, obj))
        if not request.user.is_superuser:
            fields += ["is_superuser", "is_staff", "user_permissions"]
        return fields


admin.site.unregister(User)
admin.site.register(User, StaffUserAdmin)


# The lists of sign-in devices (where administrators reset a lost second factor) give each
# device's name in the reader's language ("Authenticator app" is what core.auth stores).
@admin.display(description=_("Device"), ordering="name")
def device_name(device: TOTPDevice | StaticDevice) -> str:
    return device_display_name(device.name)


class NamedTOTPDeviceAdmin(TOTPDeviceAdmin):
    list_display = ["user", device_name, "created_at", "last_used_at", "confirmed"]


class NamedStaticDeviceAdmin(StaticDeviceAdmin):
    list_display = ["user", device_name, "created_at", "last_used_at", "confirmed"]


for _model, _model_admin in (
    (TOTPDevice, NamedTOTPDeviceAdmin),
    (StaticDevice, NamedStaticDeviceAdmin),
):
    if admin.site.is_registered(_model):
        admin.site.unregister(_model)
    admin.site.register(_model, _model_admin)
