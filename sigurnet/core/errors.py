"""Error pages (400, 403, 404, 500 and a failed CSRF check) as pages of the site.

They speak the visitor's language (from the address's language prefix, else the one the request
was answered in) and use the public layout, or the staff layout under /staff/ and /admin/. The
400 and 500 pages touch neither the database nor the context processors: whatever broke the
request may break those too, so they render from a template that needs only translations.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.template import loader
from django.template.response import TemplateResponse
from django.utils import translation

STAFF_PREFIXES = ("/staff/", "/admin/")


def _language(request: HttpRequest) -> str:
    from_path = translation.get_language_from_path(request.path_info)
    return from_path or translation.get_language() or settings.LANGUAGE_CODE


def _is_staff_path(request: HttpRequest) -> bool:
    return request.path_info.startswith(STAFF_PREFIXES)


def _page(request: HttpRequest, template: str, status: int) -> HttpResponse:
    """A 403 or 404 page in the site's own layout (it may read the profile and the user)."""
    with translation.override(_language(request)):
        context = {
            "base_template": "staff/base.html" if _is_staff_path(request) else "base.html",
            "staff": _is_staff_path(request),
        }
        response = TemplateResponse(request, template, context, status=status)
        response.render()
    return response


def _known_emergency_number() -> str:
    # Only this process's copy of the profile, if it has one: no database, no cache.
    from sigurnet.core import selectors

    memo: Any = getattr(selectors, "_memo", None)
    return str(memo[1].emergency_number) if memo else ""


def _static_page(request: HttpRequest, template: str, status: int) -> HttpResponse:
    """A 400 or 500 page: translations and the URL map only."""
    language = _language(request)
    with translation.override(language):
        context = {
            "language": language,
            "staff": _is_staff_path(request),
            "emergency_number": _known_emergency_number(),
        }
        body = loader.get_template(template).render(context)
    return HttpResponse(body, status=status)


def bad_request(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return _static_page(request, "400.html", 400)


def permission_denied(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return _page(request, "403.html", 403)


def page_not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return _page(request, "404.html", 404)


def server_error(request: HttpRequest) -> HttpResponse:
    return _static_page(request, "500.html", 500)


def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    """The form's security check failed (an old page, or cookies blocked): say so kindly."""
    return _page(request, "403_csrf.html", 403)
