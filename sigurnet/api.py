"""The HTTP API under /api/v1/ with its OpenAPI document at /api/v1/openapi.json."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from ninja import NinjaAPI
from ninja.errors import HttpError, ValidationError

from sigurnet.hotline.api import error_response
from sigurnet.hotline.api import router as hotline_router

api = NinjaAPI(
    title="Sigurnet API",
    version="1",
    description=(
        "Report illegal or harmful online content to the hotline, and follow a report with "
        "its receipt code. Errors are JSON: a message and field-level errors."
    ),
    docs_url=None,  # the interactive docs load scripts from a CDN; the JSON is enough
    urls_namespace="api-v1",
)
api.add_router("", hotline_router)


def _field_name(location: list[Any]) -> str:
    parts = [str(part) for part in location if part not in ("body", "payload")]
    return ".".join(parts) or "non_field_errors"


@api.exception_handler(ValidationError)
def invalid_request(request: HttpRequest, exc: ValidationError) -> HttpResponse:
    errors: dict[str, list[str]] = {}
    for error in exc.errors:
        errors.setdefault(_field_name(list(error.get("loc", []))), []).append(
            str(error.get("msg", _("This value is not right.")))
        )
    return error_response(400, _("The request is not valid JSON of the documented form."), errors)


@api.exception_handler(HttpError)
def http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
    return error_response(exc.status_code, str(exc))
