"""Public hotline pages: the report form (step by step, works without JavaScript) and the
anonymous follow-up with a receipt code."""

from __future__ import annotations

import time
from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import get_language
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from sigurnet.core import ratelimit
from sigurnet.hotline import draft as drafts
from sigurnet.hotline import evidence as evidence_files
from sigurnet.hotline import services
from sigurnet.hotline.forms import (
    CATEGORY_EXAMPLES,
    DetailsForm,
    ReplyForm,
    ReportForm,
    StatusForm,
    WhatForm,
    WhereForm,
    YouForm,
)
from sigurnet.hotline.models import (
    NO_UPLOAD_CATEGORIES,
    SUPPORT_CATEGORIES,
    Category,
    Evidence,
    Message,
    Report,
)

STEP_FORMS: dict[str, type[Any]] = {
    "what": WhatForm,
    "where": WhereForm,
    "details": DetailsForm,
    "you": YouForm,
}
STEP_URLS = {
    "what": "report",
    "where": "report-where",
    "details": "report-details",
    "you": "report-you",
}
STATUS_SESSION_KEY = "hotline_status_report"
STATUS_SESSION_SECONDS = 30 * 60


def _step_url(step: str, request: HttpRequest) -> str:
    url = reverse(STEP_URLS[step])
    return url + "?from=check" if request.GET.get("from") == "check" else url


def _next_url(step: str, request: HttpRequest) -> str:
    if request.GET.get("from") == "check":
        return reverse("report-check")
    order = list(STEP_URLS)
    index = order.index(step)
    return (
        reverse("report-check") if index == len(order) - 1 else reverse(STEP_URLS[order[index + 1]])
    )


def _render_step(
    request: HttpRequest, step: str, form: Any, draft: dict[str, Any], status: int = 200
) -> HttpResponse:
    order = list(STEP_URLS)
    context = {
        "form": form,
        "step": step,
        "step_number": order.index(step) + 1,
        "step_count": len(order) + 1,
        "back_url": reverse(STEP_URLS[order[order.index(step) - 1]]) if step != "what" else "",
        "category": (drafts.step_data(draft, "what") or {}).get("category", ""),
        "category_examples": CATEGORY_EXAMPLES,
        "evidence": draft.get("evidence"),
        "no_upload": NO_UPLOAD_CATEGORIES,
        "from_check": request.GET.get("from") == "check",
    }
    return render(request, f"hotline/report_{step}.html", context, status=status)


def _bot_response(
    request: HttpRequest, step: str, form: Any, draft: dict[str, Any]
) -> HttpResponse:
    form.add_error(None, _not_accepted_message())
    return _render_step(request, step, form, draft, status=400)


def _not_accepted_message() -> str:
    from django.utils.translation import gettext

    return gettext("We could not accept this. If you are a person, please try again.")


def _make_form(step: str, draft: dict[str, Any], data: Any = None, files: Any = None) -> Any:
    kwargs: dict[str, Any] = {}
    if step == "details":
        kwargs["category"] = (drafts.step_data(draft, "what") or {}).get("category", "")
    if data is None:
        return STEP_FORMS[step](initial=drafts.step_data(draft, step) or {}, **kwargs)
    return STEP_FORMS[step](data, files, **kwargs)


@require_http_methods(["GET", "POST"])
@never_cache
def report_step(request: HttpRequest, step: str) -> HttpResponse:
    draft = drafts.load(request)
    missing = drafts.first_missing_step(draft, until=step)
    if missing:
        return HttpResponseRedirect(reverse(STEP_URLS[missing]))
    if step == "details" and request.method == "POST" and request.POST.get("remove_evidence"):
        draft.pop("evidence", None)
        drafts.save(request, draft)
        return HttpResponseRedirect(_step_url(step, request))
    if request.method == "GET":
        if step == "what":
            drafts.save(request, draft)  # starts the clock for the minimum fill time
        return _render_step(request, step, _make_form(step, draft), draft)

    form = _make_form(step, draft, request.POST, request.FILES)
    if form.is_bot():
        return _bot_response(request, step, form, draft)
    valid = form.is_valid()
    if step == "details" and "evidence" in form.fields and form.cleaned_data.get("evidence"):
        stored = _store_upload(request, form, draft)
        if stored:
            draft["evidence"] = stored
        valid = valid and not form.errors
    # Keep what was typed even when something is wrong, so that nothing is lost.
    draft["steps"][step] = {
        name: request.POST.get(name, "")
        for name in form.fields
        if name not in ("website", "evidence")
    }
    valid_steps = draft.setdefault("valid", [])
    if not valid:
        if step in valid_steps:
            valid_steps.remove(step)
        drafts.save(request, draft)
        return _render_step(request, step, form, draft, status=400)
    if step not in valid_steps:
        valid_steps.append(step)
    if (
        step == "what"
        and draft.get("evidence")
        and form.cleaned_data["category"] in NO_UPLOAD_CATEGORIES
    ):
        draft.pop("evidence")
    drafts.save(request, draft)
    return HttpResponseRedirect(_next_url(step, request))


def _store_upload(request: HttpRequest, form: Any, draft: dict[str, Any]) -> dict[str, Any] | None:
    upload = form.cleaned_data["evidence"]
    # Every file this draft stored, also one replaced or removed since (limits per draft).
    usage = draft.setdefault("uploads", {"files": 0, "bytes": 0})
    try:
        row: Evidence = services.store_upload(
            ratelimit.client_key(request),
            upload,
            earlier_files=usage["files"],
            earlier_bytes=usage["bytes"],
        )
    except evidence_files.EvidenceRejected as exc:
        form.add_error(
            "evidence", evidence_files.message_for(exc.code) or _evidence_error(exc.code)
        )
        return None
    usage["files"] += 1
    usage["bytes"] += upload.size or 0
    return {"id": row.pk, "name": (upload.name or "")[:200]}


def _evidence_error(code: str) -> str:
    from django.utils.translation import gettext

    messages = {
        "too_big": gettext("This file is bigger than 10 MB. Send a smaller one, or none."),
        "type": gettext("We can only take pictures (JPEG, PNG, GIF, WebP), PDF or text files."),
        "damaged": gettext("We could not open this file. It may be damaged."),
    }
    return messages.get(code, messages["damaged"])


def _combined_data(draft: dict[str, Any]) -> dict[str, Any]:
    data: dict[str, Any] = {}
    for step in drafts.STEPS:
        data.update(drafts.step_data(draft, step) or {})
    return data


@require_http_methods(["GET", "POST"])
@never_cache
def report_check(request: HttpRequest) -> HttpResponse:
    draft = drafts.load(request)
    missing = drafts.first_missing_step(draft)
    if missing:
        return HttpResponseRedirect(reverse(STEP_URLS[missing]))
    form = ReportForm(_combined_data(draft))
    valid = form.is_valid()
    context: dict[str, Any] = {"form": form, "draft": draft, "step_count": 5, "step_number": 5}
    if valid:
        context["summary"] = form.cleaned_data
        context["category_label"] = Category(form.cleaned_data["category"]).label
    if request.method == "GET" or not valid:
        return render(request, "hotline/report_check.html", context, status=200 if valid else 400)

    key = ratelimit.client_key(request)
    if not ratelimit.hit("report", key, services.report_client_limit()).allowed:
        return _too_many(request)
    if time.time() - float(draft.get("started_at", 0)) < settings.SIGURNET_FORM_MIN_SECONDS:
        form.add_error(None, _not_accepted_message())
        return render(request, "hotline/report_check.html", context, status=400)
    if not ratelimit.hit("report-global", "all", services.report_global_limit()).allowed:
        return _too_many(request)

    evidence_ids = [draft["evidence"]["id"]] if draft.get("evidence") else []
    filed = services.file_report(
        form.submission(
            language=get_language() or settings.LANGUAGE_CODE, evidence_ids=evidence_ids
        ),
        channel="web",
    )
    drafts.clear(request)
    drafts.remember_done(
        request, reference=filed.reference, receipt=filed.receipt, category=filed.report.category
    )
    return HttpResponseRedirect(reverse("report-done"))


def _too_many(request: HttpRequest) -> HttpResponse:
    response = render(request, "hotline/too_many.html", status=429)
    response["Retry-After"] = "60"
    return response


@never_cache
def report_done(request: HttpRequest) -> HttpResponse:
    done = drafts.take_done(request)
    if done is None:
        return HttpResponseRedirect(reverse("report"))
    context = {
        "reference": done["reference"],
        "receipt": services.format_receipt(done["receipt"]) if done["receipt"] else "",
        "support": done["category"] in SUPPORT_CATEGORIES,
        "retention_days": settings.SIGURNET_REPORT_RETENTION_DAYS,
    }
    return render(request, "hotline/report_done.html", context)


@require_http_methods(["GET", "POST"])
@never_cache
def status_lookup(request: HttpRequest) -> HttpResponse:
    form = StatusForm(request.POST or None)
    key = ratelimit.client_key(request)
    if request.method == "POST":
        if not services.receipt_lookups_blocked(key).allowed:
            response = render(request, "hotline/status_throttled.html", status=429)
            response["Retry-After"] = str(settings.SIGURNET_RECEIPT_LOCK_MINUTES * 60)
            return response
        if form.is_valid():
            report = services.follow_receipt(key, form.cleaned_data["receipt"])
            if report is not None:
                request.session.cycle_key()
                request.session[STATUS_SESSION_KEY] = [report.pk, time.time()]
                return HttpResponseRedirect(reverse("report-status-view"))
            form.add_error("receipt", _unknown_receipt_message())
        return render(request, "hotline/status.html", {"form": form}, status=400)
    return render(request, "hotline/status.html", {"form": form})


def _unknown_receipt_message() -> str:
    from django.utils.translation import gettext

    return gettext("We could not find a report with this code. Check the 16 digits and try again.")


def _status_report(request: HttpRequest) -> Report | None:
    stored = request.session.get(STATUS_SESSION_KEY)
    if not stored or time.time() - float(stored[1]) > STATUS_SESSION_SECONDS:
        request.session.pop(STATUS_SESSION_KEY, None)
        return None
    return Report.objects.filter(pk=stored[0]).first()


@require_http_methods(["GET", "POST"])
@never_cache
def status_view(request: HttpRequest) -> HttpResponse:
    report = _status_report(request)
    if report is None:
        return HttpResponseRedirect(reverse("report-status"))
    form = ReplyForm(request.POST or None)
    if request.method == "POST":
        if request.POST.get("leave"):
            request.session.pop(STATUS_SESSION_KEY, None)
            return HttpResponseRedirect(reverse("report-status"))
        if form.is_valid() and not form.is_bot():
            services.add_reporter_message(
                report, text=form.cleaned_data["text"], urls=form.cleaned_data["urls"]
            )
            request.session[STATUS_SESSION_KEY] = [report.pk, time.time()]
            return HttpResponseRedirect(reverse("report-status-view") + "?sent=1")
    messages = list(report.messages.all())
    context = {
        "report": report,
        "messages": messages,
        "form": form,
        "sent": request.GET.get("sent") == "1",
        "from_hotline": Message.Direction.FROM_HOTLINE,
    }
    return render(request, "hotline/status_view.html", context, status=400 if form.errors else 200)
