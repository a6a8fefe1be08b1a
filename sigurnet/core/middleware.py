"""Middleware: security headers, enabled languages, and the staff area's access rules."""

from __future__ import annotations

import time
from collections.abc import Callable
from contextvars import ContextVar

from django.conf import settings
from django.contrib.auth import logout
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import get_language

from sigurnet.core.selectors import fallback_language

# No page loads anything from another host; nothing may be framed; forms post only here.
CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "img-src 'self' data:",
        "style-src 'self'",
        "script-src 'self'",
        "connect-src 'self'",
        "font-src 'self'",
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)
PERMISSIONS_POLICY = "camera=(), microphone=(), geolocation=(), payment=(), usb=()"

STAFF_PREFIXES = ("/staff/", "/admin/", "/cms/")
Handler = Callable[[HttpRequest], HttpResponse]

_current_request: ContextVar[HttpRequest | None] = ContextVar("current_request", default=None)


def current_request() -> HttpRequest | None:
    """The request being handled in this thread or task, for code that is not handed one (the
    audit entries for Django admin changes, made from a signal). None outside a request."""
    return _current_request.get()


class SecurityHeadersMiddleware:
    def __init__(self, get_response: Handler) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        response.headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
        response.headers.setdefault("Permissions-Policy", PERMISSIONS_POLICY)
        if request.path.startswith(STAFF_PREFIXES):
            response.headers.setdefault("Cache-Control", "no-store")
        return response


class EnabledLanguageMiddleware:
    """Send a visitor who asks for a language the centre has not enabled to the default one."""

    def __init__(self, get_response: Handler) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        language = get_language()
        prefix = f"/{language}/"
        if request.path.startswith(prefix):
            target_language = fallback_language(language)
            if target_language != language:
                target = f"/{target_language}/" + request.path[len(prefix) :]
                return HttpResponseRedirect(target)
        return self.get_response(request)


class StaffAccessMiddleware:
    """Rules for the staff area (/staff/, /admin/, /cms/).

    - A signed-in staff member who has not passed the second factor in this session reaches
      nothing but the second-factor pages: verification if they have a device, enrolment if not.
    - A staff session ends after SIGURNET_STAFF_IDLE_MINUTES without a request.
    - While a request is handled, ``current_request()`` returns it.
    """

    OPEN_NAMES = ("staff:login", "staff:logout", "staff:verify", "staff:enrol", "staff:language")

    def __init__(self, get_response: Handler) -> None:
        self.get_response = get_response
        self._open_paths: tuple[str, ...] | None = None

    def open_paths(self) -> tuple[str, ...]:
        if self._open_paths is None:
            self._open_paths = tuple(reverse(name) for name in self.OPEN_NAMES)
        return self._open_paths

    def __call__(self, request: HttpRequest) -> HttpResponse:
        token = _current_request.set(request)
        try:
            return self.handle(request)
        finally:
            _current_request.reset(token)

    def handle(self, request: HttpRequest) -> HttpResponse:
        user = request.user
        if not user.is_authenticated:
            if request.path.startswith("/admin/") and request.path != "/admin/logout/":
                query = urlencode({"next": request.get_full_path()})
                return HttpResponseRedirect(f"{reverse('staff:login')}?{query}")
            return self.get_response(request)

        now = int(time.time())
        last_seen = request.session.get("staff_last_seen")
        signed_in_at = request.session.setdefault("staff_signed_in_at", now)
        idle_limit = settings.SIGURNET_STAFF_IDLE_MINUTES * 60
        too_long = now - int(signed_in_at) > settings.SIGURNET_STAFF_SESSION_MAX_HOURS * 3600
        if (last_seen is not None and now - int(last_seen) > idle_limit) or too_long:
            from sigurnet.core.services import AuditAction, record_audit_event

            record_audit_event(AuditAction.SESSION_EXPIRED, request=request)
            logout(request)
            if request.path.startswith(STAFF_PREFIXES):
                query = urlencode({"next": request.get_full_path(), "expired": "1"})
                return HttpResponseRedirect(f"{reverse('staff:login')}?{query}")
            return self.get_response(request)
        if last_seen is None or now - int(last_seen) >= 30:  # spare a session write per click
            request.session["staff_last_seen"] = now

        if (
            request.path.startswith(STAFF_PREFIXES)
            and not user.is_verified()  # type: ignore[union-attr,attr-defined]
            and request.path not in self.open_paths()
        ):
            from sigurnet.core.auth import has_confirmed_device

            name = "staff:verify" if has_confirmed_device(user) else "staff:enrol"
            query = urlencode({"next": request.get_full_path()})
            return HttpResponseRedirect(f"{reverse(name)}?{query}")
        return self.get_response(request)


class ApiErrorsAsJsonMiddleware:
    """Under /api/, every error is JSON of the documented shape, even the framework's own
    (wrong method, unknown path), so that integrations never have to parse HTML."""

    def __init__(self, get_response: Handler) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if (
            request.path.startswith("/api/")
            and response.status_code >= 400
            and not response.get("Content-Type", "").startswith("application/json")
        ):
            replacement = JsonResponse(
                {"message": response.reason_phrase, "errors": {}}, status=response.status_code
            )
            for header in ("Allow", "Retry-After"):
                if header in response:
                    replacement[header] = response[header]
            return replacement
        return response
