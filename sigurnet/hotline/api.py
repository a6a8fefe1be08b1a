"""Public and partner API for the hotline (``/api/v1/``): same rules as the web form."""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from datetime import date, datetime
from functools import wraps
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.core.exceptions import DisallowedHost
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.http.request import split_domain_port, validate_host
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from ninja import Field, Router, Schema, Status
from ninja.decorators import decorate_view
from pydantic import BaseModel
from pydantic.json_schema import JsonDict

from sigurnet.core import ratelimit
from sigurnet.core.crypto import blind_index
from sigurnet.hotline import services
from sigurnet.hotline.forms import ReplyForm, ReportForm
from sigurnet.hotline.models import AgeBand, Category, Message, PartnerToken, Report

router = Router(tags=["reports"])

# Form field -> the API's name for it, so that errors point at what the caller sent.
API_FIELD_NAMES = {
    "platform": "where.platform",
    "account": "where.account",
    "location_hint": "where.how_to_find",
    "seen_on": "seen_at",
    "contact_email": "contact.email",
    "contact_phone": "contact.phone",
    "contact_consent": "contact.consent",
    "news_notice": "contact.news_notice",
    "text": "text",
    "__all__": "non_field_errors",
}


# What the schema cannot say with types alone: the rules of ``ReportForm``, checked after the
# types and answered with 400. Written as JSON Schema, so that generated clients and fuzzers know
# them; the form stays the one place where they are enforced.
NOT_BLANK = "\\S"  # at least one character that is not white space
REPORT_RULES: JsonDict = {
    "allOf": [
        {
            "description": "A description, unless the category is csam.",
            "anyOf": [
                {"required": ["category"], "properties": {"category": {"const": "csam"}}},
                {
                    "required": ["description"],
                    "properties": {"description": {"pattern": NOT_BLANK}},
                },
            ],
        },
        {
            "description": (
                "Where it is: a web address, or where.platform with where.account or "
                "where.how_to_find."
            ),
            "anyOf": [
                {
                    "required": ["urls"],
                    "properties": {"urls": {"minItems": 1, "contains": {"pattern": NOT_BLANK}}},
                },
                {
                    "required": ["where"],
                    "properties": {
                        "where": {
                            "required": ["platform"],
                            "properties": {"platform": {"pattern": NOT_BLANK}},
                            "anyOf": [
                                {
                                    "required": ["account"],
                                    "properties": {"account": {"pattern": NOT_BLANK}},
                                },
                                {
                                    "required": ["how_to_find"],
                                    "properties": {"how_to_find": {"pattern": NOT_BLANK}},
                                },
                            ],
                        }
                    },
                },
            ],
        },
    ]
}
REPLY_RULES: JsonDict = {
    "description": "Text that is not only white space, or at least one web address.",
    "anyOf": [
        {"required": ["text"], "properties": {"text": {"pattern": NOT_BLANK}}},
        {
            "required": ["urls"],
            "properties": {"urls": {"minItems": 1, "contains": {"pattern": NOT_BLANK}}},
        },
    ],
}
URLS_DESCRIPTION = (
    "Web addresses (http or https; www.example.org is read as http), at most 20. Blank items "
    "are ignored; an address that cannot be read is refused with its position."
)


class Where(BaseModel):
    platform: str = Field("", description="App, game or website, e.g. TikTok.", max_length=100)
    account: str = Field(
        "",
        description="Account or profile name, e.g. @name.",
        json_schema_extra={"maxLength": 300},
    )
    how_to_find: str = Field(
        "",
        description="How to find the content on the platform.",
        json_schema_extra={"maxLength": 1000},
    )


class Contact(BaseModel):
    email: str = Field(
        "",
        description=(
            "An e-mail address (name@example.org). Kept only with consent; needs consent: true."
        ),
        json_schema_extra={"maxLength": 254},
    )
    phone: str = Field(
        "",
        description="Digits, spaces and + ( ) / . - only, 6 to 25 characters; needs consent.",
        json_schema_extra={"maxLength": 25},
    )
    consent: bool = Field(
        False,
        description=(
            "The reporter may be contacted about the report. Must be true when an e-mail "
            "address or phone number is given."
        ),
    )
    news_notice: bool = Field(
        False,
        description=(
            "E-mails to the reporter only say that a new message waits on the receipt page, "
            "with nothing of the report or the message. Kept only with an e-mail and consent."
        ),
    )


class ReportIn(Schema):
    category: str = Field(
        ...,
        json_schema_extra={"enum": [value for value, _label in Category.choices]},
        description=(
            "One of csam, grooming, sextortion, ncii, cyberbullying, hate_speech, "
            "violent_content, phishing_fraud, impersonation, other."
        ),
    )
    urls: list[str] = Field(
        default_factory=list,
        description="Where the content is. " + URLS_DESCRIPTION,
        json_schema_extra={"maxItems": 20},
    )
    where: Where = Field(default_factory=lambda: Where.model_validate({}))
    seen_at: str | None = Field(
        None, description="When it was seen (ISO 8601 date or time), not in the future."
    )
    description: str = Field(
        "",
        description=(
            "What happened, in the reporter's words, up to 5000 characters. Required (not "
            "only white space) unless the category is csam."
        ),
        json_schema_extra={"maxLength": 5000},
    )
    language: str = Field(
        "",
        description="en, sr-latn, sr or bs; empty: the request's language.",
        json_schema_extra={"enum": ["", "en", "sr-latn", "sr", "bs"]},
    )
    age_band: str = Field(
        "",
        description="under_13, 13_17, 18_plus or empty.",
        json_schema_extra={"enum": [value for value, _label in AgeBand.choices]},
    )
    contact: Contact = Field(default_factory=lambda: Contact.model_validate({}))

    model_config = {
        "json_schema_extra": {
            **REPORT_RULES,
            "examples": [
                {
                    "category": "phishing_fraud",
                    "urls": ["https://bank-login.example.com/verify"],
                    "where": {"platform": "Viber", "account": "", "how_to_find": ""},
                    "seen_at": "2026-11-20",
                    "description": "A message says my account is blocked and asks for my PIN.",
                    "language": "sr-latn",
                    "age_band": "18_plus",
                    "contact": {"email": "", "phone": "", "consent": False},
                }
            ],
        }
    }


class ReportCreated(Schema):
    reference: str = Field(..., examples=["SIG-2026-000123"])
    receipt: str = Field(
        ...,
        description="Shown once; needed to follow the report.",
        examples=["4921 0385 7712 6604"],
    )
    status: str = Field(..., examples=["received"])


class ReceiptIn(Schema):
    receipt: str = Field(..., examples=["4921 0385 7712 6604"])


class MessageOut(Schema):
    sender: str = Field(..., description="hotline or reporter", examples=["hotline"])
    text: str
    sent_at: datetime


class ReportStatus(Schema):
    reference: str
    status: str = Field(..., examples=["needs_info"])
    status_text: str = Field(..., examples=["We need more details"])
    received_at: datetime
    messages: list[MessageOut]


class ReplyIn(Schema):
    receipt: str = Field(..., examples=["4921 0385 7712 6604"])
    text: str = Field(
        "",
        description="The answer or more details, up to 5000 characters.",
        json_schema_extra={"maxLength": 5000},
        examples=["The profile is @name."],
    )
    urls: list[str] = Field(
        default_factory=list,
        description="More web addresses. " + URLS_DESCRIPTION,
        json_schema_extra={"maxItems": 20},
    )

    model_config = {"json_schema_extra": REPLY_RULES}


class ReplyCreated(Schema):
    reference: str
    status: str


class Errors(Schema):
    message: str = Field(..., examples=["Some of the report is missing or not right."])
    errors: dict[str, list[str]] = Field(
        default_factory=dict, examples=[{"category": ["Choose what you want to tell us about."]}]
    )


def error_response(
    status: int,
    message: str,
    errors: dict[str, list[str]] | None = None,
    retry_after: int | None = None,
) -> HttpResponse:
    response = JsonResponse({"message": message, "errors": errors or {}}, status=status)
    if retry_after is not None:
        response["Retry-After"] = str(retry_after)
    return response


def form_errors(form: Any) -> dict[str, list[str]]:
    return {
        API_FIELD_NAMES.get(field, field): [str(message) for message in messages]
        for field, messages in form.errors.items()
    }


def partner_for(request: HttpRequest) -> PartnerToken | HttpResponse | None:
    header = request.headers.get("Authorization", "")
    if not header:
        return None
    scheme, _sep, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return error_response(401, _("Use an Authorization header of the form: Bearer TOKEN."))
    partner = (
        PartnerToken.objects.select_related("institution")
        .filter(token_index=blind_index(token.strip(), "api-token"), revoked_at__isnull=True)
        .first()
    )
    if partner is None:
        return error_response(401, _("This API token is not valid or was revoked."))
    return partner


def _origin_of(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme.lower()}://{parts.netloc.lower()}" if parts.netloc else ""


def foreign_origin(request: HttpRequest) -> bool:
    """Whether a browser sent this request from another website.

    No ``Origin`` header (a program, not a page in a browser) is not foreign. The site's own
    origin, ``SIGURNET_PUBLIC_BASE_URL``, ``CSRF_TRUSTED_ORIGINS`` and the hosts of
    ``ALLOWED_HOSTS`` (but not its ``*``) are the site's; anything else, ``null`` included, is
    foreign.
    """
    origin = request.headers.get("Origin")
    if origin is None:
        return False
    parts = urlsplit(origin.strip())
    if parts.scheme.lower() not in ("http", "https") or not parts.netloc:
        return True
    own = {_origin_of(settings.SIGURNET_PUBLIC_BASE_URL)}
    own.update(_origin_of(trusted) for trusted in settings.CSRF_TRUSTED_ORIGINS)
    with contextlib.suppress(DisallowedHost):
        own.add(f"{request.scheme}://{request.get_host().lower()}")
    if _origin_of(origin.strip()) in own:
        return False
    domain, _port = split_domain_port(parts.netloc.lower())
    allowed = [host for host in settings.ALLOWED_HOSTS if host != "*"]
    return not (domain and validate_host(domain, allowed))


def is_json(request: HttpRequest) -> bool:
    """``Content-Type: application/json``, with no parameter but an optional UTF-8 charset."""
    media, _sep, parameters = request.META.get("CONTENT_TYPE", "").partition(";")
    if media.strip().lower() != "application/json":
        return False
    for parameter in parameters.split(";"):
        if not parameter.strip():
            continue
        name, _eq, value = parameter.partition("=")
        if name.strip().lower() != "charset":
            return False
        if value.strip().strip('"').lower() not in ("utf-8", "utf8"):
            return False
    return True


def json_from_this_site(*, partners_anywhere: bool = False) -> Callable[..., Any]:
    """Refuse, before the body is read, what a foreign page could make a browser send.

    A page may post ``text/plain`` to another site without asking it first (no CORS
    preflight), so only ``application/json`` is read (415 otherwise), and a request whose
    ``Origin`` is another website is refused (403). ``partners_anywhere``: a request with an
    ``Authorization`` header is a partner's program, which no browser sends cross-site without
    a preflight that this API never answers.
    """

    def decorate(run: Callable[..., Any]) -> Callable[..., Any]:
        @wraps(run)
        def guarded(request: HttpRequest, *args: Any, **kwargs: Any) -> Any:
            partner = partners_anywhere and "Authorization" in request.headers
            if not partner and foreign_origin(request):
                return error_response(403, _("Requests from other websites are not accepted."))
            if not is_json(request):
                return error_response(
                    415, _("Send the request as JSON, with Content-Type: application/json.")
                )
            return run(request, *args, **kwargs)

        return guarded

    return decorate


def _seen_on(value: str | None) -> str | date | None:
    if not value:
        return None
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00")).date()
    except ValueError:
        return value  # the form's date field explains what is wrong


def _too_many(retry_after: int) -> HttpResponse:
    return error_response(
        429,
        _("Too many reports in a short time. Please wait and send again."),
        retry_after=retry_after,
    )


REFUSED = {403: Errors, 415: Errors}


class PartnerBearer:
    """The partner token in the OpenAPI document. It is optional: ``partner_for`` reads it."""

    openapi_security_schema = {
        "type": "http",
        "scheme": "bearer",
        "description": (
            "A partner's API token (Authorization: Bearer TOKEN). Optional: without it a "
            "report is anonymous. A token that is wrong or revoked is refused with 401."
        ),
    }

    def __call__(self, request: HttpRequest) -> bool:
        return True


@router.post(
    "/reports",
    response={201: ReportCreated, 400: Errors, 401: Errors, 429: Errors, **REFUSED},
    summary="File a report",
    description=(
        "Anyone may file a report; partners authenticate with a Bearer token. The body must be "
        "JSON (Content-Type: application/json, 415 otherwise); a browser request from another "
        "website (a foreign Origin header) is refused with 403, except with a partner token. "
        "Rules beyond the schema, answered with 400: a description unless the category is "
        "csam; a web address, or where.platform with where.account or where.how_to_find; "
        "contact.consent when contact.email or contact.phone is given; at most 20 urls."
    ),
    auth=PartnerBearer(),
    openapi_extra={"security": [{}]},  # ninja lists PartnerBearer first: optional
)
@decorate_view(json_from_this_site(partners_anywhere=True))
def create_report(request: HttpRequest, payload: ReportIn) -> Any:
    partner = partner_for(request)
    if isinstance(partner, HttpResponse):
        return partner
    if partner is not None:
        verdict = ratelimit.hit(
            "api-partner", str(partner.pk), ratelimit.Limit(partner.reports_per_minute, 60)
        )
    else:
        verdict = ratelimit.hit(
            "report", ratelimit.client_key(request), services.report_client_limit()
        )
    if not verdict.allowed:
        return _too_many(verdict.retry_after)
    form = ReportForm(
        {
            "category": payload.category,
            "urls": payload.urls,
            "platform": payload.where.platform,
            "account": payload.where.account,
            "location_hint": payload.where.how_to_find,
            "seen_on": _seen_on(payload.seen_at),
            "description": payload.description,
            "language": payload.language,
            "age_band": payload.age_band,
            "contact_email": payload.contact.email,
            "contact_phone": payload.contact.phone,
            "contact_consent": payload.contact.consent,
            "news_notice": payload.contact.news_notice,
        }
    )
    if not form.is_valid():
        return error_response(
            400, _("Some of the report is missing or not right."), form_errors(form)
        )
    if partner is None:
        verdict = ratelimit.hit("report-global", "all", services.report_global_limit())
        if not verdict.allowed:
            return _too_many(verdict.retry_after)
    filed = services.file_report(
        form.submission(language=get_language() or settings.LANGUAGE_CODE),
        channel="partner" if partner else "api",
        partner=partner.institution if partner else None,
    )
    return Status(
        201,
        {
            "reference": filed.reference,
            "receipt": services.format_receipt(filed.receipt),
            "status": filed.report.status,
        },
    )


def report_for_receipt(request: HttpRequest, receipt: str) -> Report | HttpResponse:
    """The report, or the error to answer: throttled after too many wrong receipts."""
    key = ratelimit.client_key(request)
    verdict = services.receipt_lookups_blocked(key)
    if not verdict.allowed:
        return error_response(
            429,
            _("Too many wrong codes. Please wait and try again."),
            retry_after=verdict.retry_after,
        )
    report = services.follow_receipt(key, receipt)
    if report is None:
        return error_response(
            404,
            _("We could not find a report with this code."),
            {"receipt": [_("Check the 16 digits and try again.")]},
        )
    return report


@router.post(
    "/reports/status",
    response={200: ReportStatus, 400: Errors, 404: Errors, 429: Errors, **REFUSED},
    summary="Follow a report with its receipt",
    description=(
        "JSON only (415 otherwise); a browser request from another website is refused (403)."
    ),
)
@decorate_view(json_from_this_site())
def report_status(request: HttpRequest, payload: ReceiptIn) -> Any:
    report = report_for_receipt(request, payload.receipt)
    if isinstance(report, HttpResponse):
        return report
    return {
        "reference": report.reference,
        "status": report.status,
        "status_text": report.get_status_display(),
        "received_at": report.received_at,
        "messages": [
            {
                "sender": "hotline"
                if m.direction == Message.Direction.FROM_HOTLINE
                else "reporter",
                "text": m.body,
                "sent_at": m.created_at,
            }
            for m in report.messages.all()
        ],
    }


@router.post(
    "/reports/messages",
    response={201: ReplyCreated, 400: Errors, 404: Errors, 429: Errors, **REFUSED},
    summary="Answer the hotline or add details, with the receipt",
    description=(
        "A reply needs text (not only spaces) or at least one web address (400 otherwise). "
        "JSON only (415 otherwise); a browser request from another website is refused (403)."
    ),
)
@decorate_view(json_from_this_site())
def report_reply(request: HttpRequest, payload: ReplyIn) -> Any:
    report = report_for_receipt(request, payload.receipt)
    if isinstance(report, HttpResponse):
        return report
    form = ReplyForm({"text": payload.text, "urls": payload.urls})
    if not form.is_valid():
        return error_response(400, _("The message is empty or not right."), form_errors(form))
    services.add_reporter_message(
        report, text=form.cleaned_data["text"], urls=form.cleaned_data["urls"]
    )
    report.refresh_from_db(fields=["status"])
    return Status(201, {"reference": report.reference, "status": report.status})
