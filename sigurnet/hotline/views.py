"""Public hotline pages: the report form (step by step, works without JavaScript) and the
anonymous follow-up with a receipt code."""

from __future__ import annotations

import json
import re
import time
from typing import Any

from django.conf import settings
from django.core.exceptions import NON_FIELD_ERRORS
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.translation import get_language
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from sigurnet.core import crypto, ratelimit
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
from sigurnet.hotline.forwarding.check_selectors import removal_on_receipt
from sigurnet.hotline.models import (
    NO_UPLOAD_CATEGORIES,
    SUPPORT_CATEGORIES,
    AgeBand,
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


def _previous_url(step: str, request: HttpRequest) -> str:
    order = list(STEP_URLS)
    return _step_url(order[max(order.index(step) - 1, 0)], request)


def _render_step(
    request: HttpRequest, step: str, form: Any, draft: dict[str, Any], status: int = 200
) -> HttpResponse:
    order = list(STEP_URLS)
    context = {
        "form": form,
        "step": step,
        "step_number": order.index(step) + 1,
        "step_count": len(order) + 1,
        "has_back": step != "what",
        "category": (drafts.step_data(draft, "what") or {}).get("category", ""),
        "category_examples": CATEGORY_EXAMPLES,
        "evidence": draft.get("evidence"),
        "no_upload": NO_UPLOAD_CATEGORIES,
        "from_check": request.GET.get("from") == "check",
        "start_token": drafts.start_token() if step == "what" else "",
        "answers_lost": drafts.take_lost(request) if step == "what" else False,
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


def _tie_step_errors(form: Any) -> None:
    """Give an error about the step as a whole a field to point at.

    "Tell us where it is" concerns the whole step; shown at the first web address field, the
    error summary can link to it and the field is marked invalid and described by the error.
    """
    if not isinstance(form, WhereForm):
        return
    where = [e for e in form.non_field_errors().as_data() if e.code == "where"]
    if where:
        form.errors.pop(NON_FIELD_ERRORS, None)
        for error in where:
            form.add_error("urls", error)


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
        # Nothing is saved here: a visitor who only looks gets no session (see draft.py).
        return _render_step(request, step, _make_form(step, draft), draft)

    form = _make_form(step, draft, request.POST, request.FILES)
    if form.is_bot():
        return _bot_response(request, step, form, draft)
    if step == "what" and not draft["steps"]:
        # The first answer starts the draft; the clock started when the page was shown.
        draft["started_at"] = drafts.started_at(request.POST.get("started", ""))
    going_back = bool(request.POST.get("back"))
    previous_category = (drafts.step_data(draft, "what") or {}).get("category", "")
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
        if going_back:
            # "Back" keeps the answers as typed without judging them; the step is asked
            # again (with its errors) before the report can be sent.
            return HttpResponseRedirect(_previous_url(step, request))
        _tie_step_errors(form)
        return _render_step(request, step, form, draft, status=400)
    if step not in valid_steps:
        valid_steps.append(step)
    category = form.cleaned_data["category"] if step == "what" else ""
    if step == "what" and draft.get("evidence") and category in NO_UPLOAD_CATEGORIES:
        draft.pop("evidence")
    drafts.save(request, draft)
    if going_back:
        return HttpResponseRedirect(_previous_url(step, request))
    if (
        step == "what"
        and request.GET.get("from") == "check"
        and category == Category.CSAM
        and previous_category != Category.CSAM
    ):
        # The warning not to download or screenshot is on the "where" step: never skip it.
        return HttpResponseRedirect(_step_url("where", request))
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
    wrong_step = _first_step_with_errors(form)
    if wrong_step:
        # A change made from here can make another answer wrong (a new category that needs a
        # description): ask that step again rather than list errors of fields not on this page.
        draft["valid"] = [step for step in draft.get("valid", []) if step != wrong_step]
        drafts.save(request, draft)
        return HttpResponseRedirect(reverse(STEP_URLS[wrong_step]) + "?from=check")
    context: dict[str, Any] = {"form": form, "draft": draft, "step_count": 5, "step_number": 5}
    if valid:
        context["summary"] = form.cleaned_data
        context["category_label"] = Category(form.cleaned_data["category"]).label
        age_band = form.cleaned_data.get("age_band")
        context["age_band_label"] = AgeBand(age_band).label if age_band else ""
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


def _first_step_with_errors(form: ReportForm) -> str | None:
    for step in drafts.STEPS:
        if any(name in form.errors for name in STEP_FORMS[step].base_fields):
            return step
    return None


def _too_many(request: HttpRequest) -> HttpResponse:
    response = render(request, "hotline/too_many.html", status=429)
    response["Retry-After"] = "60"
    return response


@require_http_methods(["GET", "POST"])
@never_cache
def report_done(request: HttpRequest) -> HttpResponse:
    """The confirmation. The receipt is shown in this browser session until the reporter says
    they have kept it (or the session ends); no other session ever sees it."""
    done = drafts.load_done(request)
    if done is None:
        return HttpResponseRedirect(reverse("report"))
    if done.get("lost"):
        return render(request, "hotline/report_done_lost.html")
    if request.method == "POST":
        if request.POST.get("saved"):
            drafts.forget_receipt(request)
        return HttpResponseRedirect(reverse("report-done"))
    receipt = services.format_receipt(done["receipt"]) if done["receipt"] else ""
    if request.GET.get("download") and receipt:
        return _receipt_file(request, done["reference"], receipt)
    context = {
        "reference": done["reference"],
        "receipt": receipt,
        "support": done["category"] in SUPPORT_CATEGORIES,
        "retention_days": settings.SIGURNET_REPORT_RETENTION_DAYS,
    }
    return render(request, "hotline/report_done.html", context)


def _receipt_file(request: HttpRequest, reference: str, receipt: str) -> HttpResponse:
    """The report number and receipt code as a small text file to keep."""
    status_url = settings.SIGURNET_PUBLIC_BASE_URL.rstrip("/") + reverse("report-status")
    text = render_to_string(
        "hotline/report_receipt.txt",
        {"reference": reference, "receipt": receipt, "status_url": status_url},
        request=request,
    )
    response = HttpResponse(text.replace("\n", "\r\n"), content_type="text/plain; charset=utf-8")
    name = re.sub(r"[^A-Za-z0-9-]", "", reference) or "report"
    response["Content-Disposition"] = f'attachment; filename="{name}.txt"'
    response["X-Content-Type-Options"] = "nosniff"
    return response


# Access to a report after its receipt was typed: it ends after 30 minutes without a request to
# the status page (each one renews it) and at the latest 2 hours after the code was typed. Nothing
# typed is lost when it ends (see ``_keep_reply``), so the cap costs a reporter only typing the
# code again, and it bounds how long a forgotten or stolen session opens someone's report.
STATUS_SESSION_SECONDS = 30 * 60
STATUS_SESSION_MAX_SECONDS = 2 * 3600
# A reply sent after access ended, sealed in the session until the code is typed again.
STATUS_PENDING_KEY = "hotline_status_pending_reply"
# Bounds the session row; four times what the reply box accepts, so a too-long reply is kept
# whole and shown back with the error rather than cut.
KEPT_REPLY_MAX_CHARS = 20_000


def _seal_report_id(report: Report) -> str:
    return crypto.encrypt(f"status-reply:{report.pk}")


def _sealed_report_id(sealed: str) -> int | None:
    try:
        kind, _sep, pk = crypto.decrypt(sealed).partition(":")
    except crypto.DecryptionError:
        return None
    return int(pk) if kind == "status-reply" and pk.isdigit() else None


def _keep_reply(request: HttpRequest, report_id: int | None) -> None:
    """Seal what was typed on the status page so that it survives the end of access."""
    kept = {
        "report": report_id,
        "text": request.POST.get("text", "")[:KEPT_REPLY_MAX_CHARS],
        "urls": request.POST.get("urls", "")[:KEPT_REPLY_MAX_CHARS],
    }
    request.session[STATUS_PENDING_KEY] = crypto.encrypt(json.dumps(kept))


def _kept_reply(request: HttpRequest) -> dict[str, Any] | None:
    sealed = request.session.get(STATUS_PENDING_KEY)
    if not sealed:
        return None
    try:
        kept: dict[str, Any] = json.loads(crypto.decrypt(sealed))
    except (crypto.DecryptionError, ValueError):
        return None
    return kept


def _open_report(request: HttpRequest, report: Report) -> HttpResponse:
    """Access to ``report`` starts; a reply kept for this report is sent now."""
    request.session.cycle_key()
    now = time.time()
    request.session[STATUS_SESSION_KEY] = [report.pk, now, now]
    kept = _kept_reply(request)
    if kept is None or kept.get("report") != report.pk:
        # A reply kept for another report stays kept (the status page says so); one whose
        # report is unknown is offered in the reply box there.
        return HttpResponseRedirect(reverse("report-status-view"))
    form = ReplyForm({"text": kept["text"], "urls": kept["urls"]})
    if not form.is_valid():
        # Shown in the reply box with its errors (the status page reads it from the session).
        return HttpResponseRedirect(reverse("report-status-view"))
    request.session.pop(STATUS_PENDING_KEY, None)
    services.add_reporter_message(
        report, text=form.cleaned_data["text"], urls=form.cleaned_data["urls"]
    )
    return HttpResponseRedirect(reverse("report-status-view") + "?sent=1")


@require_http_methods(["GET", "POST"])
@never_cache
def status_lookup(request: HttpRequest) -> HttpResponse:
    form = StatusForm(request.POST or None)
    key = ratelimit.client_key(request)
    context: dict[str, Any] = {
        "form": form,
        "reply_kept": _kept_reply(request) is not None,
        "ended": request.GET.get("ended") == "1",
    }
    if request.method == "POST":
        if not services.receipt_lookups_blocked(key).allowed:
            response = render(request, "hotline/status_throttled.html", context, status=429)
            response["Retry-After"] = str(settings.SIGURNET_RECEIPT_LOCK_MINUTES * 60)
            return response
        if form.is_valid():
            report = services.follow_receipt(key, form.cleaned_data["receipt"])
            if report is not None:
                return _open_report(request, report)
            form.add_error("receipt", _unknown_receipt_message())
        return render(request, "hotline/status.html", context, status=400)
    return render(request, "hotline/status.html", context)


def _unknown_receipt_message() -> str:
    from django.utils.translation import gettext

    return gettext("We could not find a report with this code. Check the 16 digits and try again.")


def _status_report(request: HttpRequest) -> Report | None:
    """The report this session may read, renewing the idle window; None once access ended."""
    stored = request.session.get(STATUS_SESSION_KEY)
    if not stored:
        return None
    now = time.time()
    last_seen = float(stored[1])
    opened_at = float(stored[2]) if len(stored) > 2 else last_seen
    if now - last_seen > STATUS_SESSION_SECONDS or now - opened_at > STATUS_SESSION_MAX_SECONDS:
        return None  # the caller ends access (and keeps a reply that came with the request)
    report = Report.objects.filter(pk=stored[0]).first()
    if report is not None:
        request.session[STATUS_SESSION_KEY] = [report.pk, now, opened_at]
    return report


def _access_ended(request: HttpRequest) -> HttpResponse:
    """Access ended: keep a reply that was being sent, then ask for the code again."""
    typed = request.POST.get("text", "").strip() or request.POST.get("urls", "").strip()
    if request.method == "POST" and typed and not request.POST.get("leave"):
        stored = request.session.get(STATUS_SESSION_KEY)
        report_id = _sealed_report_id(request.POST.get("reply_for", ""))
        if report_id is None and stored:
            report_id = int(stored[0])
        _keep_reply(request, report_id)
    if request.session.pop(STATUS_SESSION_KEY, None) is None:
        return HttpResponseRedirect(reverse("report-status"))
    return HttpResponseRedirect(reverse("report-status") + "?ended=1")


@require_http_methods(["GET", "POST"])
@never_cache
def status_view(request: HttpRequest) -> HttpResponse:
    report = _status_report(request)
    if report is None:
        return _access_ended(request)
    kept = _kept_reply(request)
    kept_here = kept is not None and kept.get("report") in (report.pk, None)
    if request.method == "POST":
        form = ReplyForm(request.POST)
        if request.POST.get("leave"):
            request.session.pop(STATUS_SESSION_KEY, None)
            return HttpResponseRedirect(reverse("report-status"))
        if request.POST.get("discard_kept"):
            request.session.pop(STATUS_PENDING_KEY, None)
            return HttpResponseRedirect(reverse("report-status-view") + "?discarded=1")
        if form.is_valid() and not form.is_bot():
            services.add_reporter_message(
                report, text=form.cleaned_data["text"], urls=form.cleaned_data["urls"]
            )
            if kept_here:
                request.session.pop(STATUS_PENDING_KEY, None)
            return HttpResponseRedirect(reverse("report-status-view") + "?sent=1")
    elif kept is not None and kept_here:
        # A kept reply that could not be sent as it was (or whose report was not known): it is
        # put back in the box, with its errors, for the reporter to check and send.
        form = ReplyForm({"text": kept["text"], "urls": kept["urls"]})
        form.is_valid()
    else:
        form = ReplyForm()
    messages = list(report.messages.all())
    context = {
        "report": report,
        "messages": messages,
        "form": form,
        "sent": request.GET.get("sent") == "1",
        "discarded": request.GET.get("discarded") == "1",
        "kept_here": kept_here,
        "kept_elsewhere": kept is not None and not kept_here,
        "reply_for": _seal_report_id(report),
        "idle_minutes": STATUS_SESSION_SECONDS // 60,
        "from_hotline": Message.Direction.FROM_HOTLINE,
        "removal": removal_on_receipt(report),
    }
    status = 400 if request.method == "POST" and form.errors else 200
    return render(request, "hotline/status_view.html", context, status=status)
