"""Staff area: sign-in with a second factor, the dashboard and the audit trail."""

from __future__ import annotations

import math
from typing import Any

import django_otp
from axes.handlers.proxy import AxesProxyHandler
from django.conf import settings
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required, permission_required
from django.contrib.auth.forms import UsernameField
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext
from django.views.decorators.http import require_http_methods

from sigurnet.core import auth
from sigurnet.core.forms import AuditFilterForm, EnrolForm, StaffLoginForm, TokenForm
from sigurnet.core.roles import ROLES_BY_NAME
from sigurnet.core.selectors import AuditFilter, audit_actions, audit_events, audit_row
from sigurnet.core.services import AuditAction, record_audit_event

AUDIT_PAGE_SIZE = 50


def _next_url(request: HttpRequest) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return reverse("staff:dashboard")


class StaffLoginView(auth_views.LoginView):
    template_name = "staff/login.html"
    authentication_form = StaffLoginForm
    redirect_authenticated_user = True

    def get_context_data(self, **kwargs: object) -> dict[str, object]:
        context = super().get_context_data(**kwargs)
        context["expired"] = self.request.GET.get("expired") == "1"
        return context

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        # The username as the form will hand it to authenticate() (stripped, NFKC-normalised),
        # so that " name" or a full-width variant is refused like "name".
        username = UsernameField().to_python(request.POST.get("username", "")) or ""
        # A browser in which this account completed a sign-in before is exempt from the locks
        # that other clients can cause; it has a lock of its own (auth.count_device_failure).
        device = auth.trusted_device(request, username)
        auth.remember_trusted_device(request, device)
        if device is None:
            wait = auth.username_refused_for(username)
            if wait:  # too many wrong passwords for this username from all addresses together
                return locked_out(request, seconds=wait, everywhere=True)
            if not AxesProxyHandler.is_allowed(request, {"username": username}):
                # Locked on this address: the password is not even checked.
                return locked_out(request)
        return super().post(request, *args, **kwargs)


def locked_out(
    request: HttpRequest,
    original_response: HttpResponse | None = None,
    credentials: dict[str, Any] | None = None,
    *,
    seconds: int = 0,
    everywhere: bool = False,
) -> HttpResponse:
    """The page for a refused sign-in (django-axes' ``AXES_LOCKOUT_CALLABLE``, and ours for the
    per-username throttle), saying how long to wait as the settings have it."""
    minutes = math.ceil(seconds / 60) if seconds else auth.lockout_minutes()
    response = render(
        request,
        "staff/locked_out.html",
        {"wait": auth.minutes_text(minutes), "everywhere": everywhere},
        status=429,
    )
    response["Retry-After"] = str(seconds or minutes * 60)
    return response


@require_http_methods(["GET", "POST"])
@login_required
def verify(request: HttpRequest) -> HttpResponse:
    """Second step of sign-in: a code from the authenticator app or a backup code."""
    if request.user.is_verified():  # type: ignore[union-attr]
        return HttpResponseRedirect(_next_url(request))
    if not auth.has_confirmed_device(request.user):
        return HttpResponseRedirect(reverse("staff:enrol"))
    form = TokenForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        auth.cap_code_throttle(request.user)
        throttled = auth.is_throttled(request.user)
        device = django_otp.match_token(request.user, form.cleaned_data["token"])
        if device is not None:
            django_otp.login(request, device)
            request.session.cycle_key()  # a new session key for the now verified session
            record_audit_event(
                AuditAction.LOGIN_VERIFIED, request=request, detail={"device": device.name}
            )
            response = HttpResponseRedirect(_next_url(request))
            auth.issue_device_cookie(response, request.user)  # type: ignore[arg-type]
            return response
        record_audit_event(AuditAction.SECOND_FACTOR_FAILED, request=request)
        form.add_error("token", _wrong_code_message(throttled))
    return render(request, "staff/verify.html", {"form": form, "next": _next_url(request)})


@require_http_methods(["GET", "POST"])
@login_required
def enrol(request: HttpRequest) -> HttpResponse:
    """Set up an authenticator app; on success show the backup codes, once."""
    if auth.has_confirmed_device(request.user):
        return HttpResponseRedirect(reverse("staff:verify"))
    device = auth.pending_totp_device(request.user)  # type: ignore[arg-type]
    form = EnrolForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        auth.cap_code_throttle(request.user)
        device.refresh_from_db()
        throttled = not device.verify_is_allowed()[0]
        if device.verify_token(form.cleaned_data["token"]):
            device.confirmed = True
            device.save(update_fields=["confirmed"])
            django_otp.login(request, device)
            request.session.cycle_key()  # a new session key for the now verified session
            codes = auth.issue_backup_codes(request.user)  # type: ignore[arg-type]
            record_audit_event(AuditAction.TOTP_ENROLLED, request=request)
            record_audit_event(AuditAction.BACKUP_CODES_ISSUED, request=request)
            response = render(
                request,
                "staff/backup_codes.html",
                {"codes": codes, "next": _next_url(request)},
            )
            auth.issue_device_cookie(response, request.user)  # type: ignore[arg-type]
            return response
        form.add_error("token", _wrong_code_message(throttled))
    context = {
        "form": form,
        "qr_svg": auth.qr_code_svg(device),
        "secret": auth.secret_for_manual_entry(device),
        "next": _next_url(request),
    }
    return render(request, "staff/enrol.html", context)


@require_http_methods(["POST"])
@login_required
def new_backup_codes(request: HttpRequest) -> HttpResponse:
    codes = auth.issue_backup_codes(request.user)  # type: ignore[arg-type]
    record_audit_event(AuditAction.BACKUP_CODES_ISSUED, request=request)
    return render(
        request, "staff/backup_codes.html", {"codes": codes, "next": reverse("staff:dashboard")}
    )


def _wrong_code_message(throttled: bool) -> str:
    if throttled:
        return gettext("Too many wrong codes in a row. Wait a little, then try the newest code.")
    return gettext("That code did not work. Check the time on your phone and try the newest code.")


@login_required
def dashboard(request: HttpRequest) -> HttpResponse:
    groups = request.user.groups.order_by("name").values_list("name", flat=True)  # type: ignore[union-attr]
    roles = [ROLES_BY_NAME[name].label for name in groups if name in ROLES_BY_NAME]
    return render(
        request,
        "staff/dashboard.html",
        {"roles": roles, "idle_minutes": settings.SIGURNET_STAFF_IDLE_MINUTES},
    )


@login_required
@permission_required("core.view_auditevent", raise_exception=True)
def audit_log(request: HttpRequest) -> HttpResponse:
    form = AuditFilterForm(request.GET or None, actions=audit_actions())
    criteria = AuditFilter()
    if form.is_valid():
        criteria = AuditFilter(**{k: v for k, v in form.cleaned_data.items() if v})
    # Recorded first, so that the count and the list include this very reading.
    record_audit_event(
        AuditAction.AUDIT_VIEWED,
        request=request,
        object_type="core.auditevent",
        detail={k: str(v) for k, v in form.cleaned_data.items() if v} if form.is_valid() else {},
    )
    page = Paginator(audit_events(criteria), AUDIT_PAGE_SIZE).get_page(request.GET.get("page"))
    rows = [audit_row(event) for event in page.object_list]
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "staff/audit_log.html",
        {"form": form, "page": page, "rows": rows, "query": query.urlencode()},
    )
