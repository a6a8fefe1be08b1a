"""The analysts' pages under /staff/hotline/: the queue, a report, its evidence, claims and
the assessment. Each view states the permission it needs; services do the work."""

from __future__ import annotations

import io
from collections.abc import Callable
from typing import Any

from django import forms
from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from PIL import Image, ImageFilter, ImageOps

from sigurnet.core.decorators import staff_permission_required
from sigurnet.hotline.evidence import read_decrypted
from sigurnet.hotline.forwarding import hosting_selectors, replies
from sigurnet.hotline.models import ContentItem, Evidence, Message, Report, Status
from sigurnet.hotline.triage import answers, selectors, services
from sigurnet.hotline.triage.forms import (
    AskReporterForm,
    AssessmentForm,
    AssignForm,
    FeedbackChoiceForm,
    GroupAssessmentForm,
    HotlineSettingsForm,
    LegalBasisForm,
    QuestionChoiceForm,
    QueueFilterForm,
)
from sigurnet.hotline.triage.services import TriageRefused

VIEW = "hotline.view_report"
CHANGE = "hotline.change_report"
EVIDENCE = "hotline.view_evidence"
ASSESS = "hotline.add_assessment"
ASSIGN = "hotline.assign_report"
SETTINGS = "hotline.change_hotlinesettings"

# The fields of a report that are decrypted for its page (named in the audit trail).
DECRYPTED_FIELDS = [
    "description",
    "account",
    "location_hint",
    "contact_email",
    "contact_phone",
    "urls",
    "evidence_names",
    "messages",
]
EXTENSIONS = {
    "image/jpeg": "jpg",
    "image/png": "png",
    "image/gif": "gif",
    "image/webp": "webp",
    "application/pdf": "pdf",
    "text/plain": "txt",
}


def _refusal_message(code: str) -> str:
    messages_by_code = {
        "taken": _("Someone else took this report a moment ago."),
        "not_held": _("This report is not held by anyone."),
        "not_yours": _("Take the report before you work on it."),
        "permission": _("You may not do that."),
        "assignee": _("That colleague cannot work on reports."),
        "transition": _("The report cannot move to that status now."),
        "classification": _("Needed for actionable child sexual abuse material."),
        "stale": _("Someone changed this report a moment ago. Check it and try again."),
        "duplicate_of": _("Give the reference of the earlier report."),
        "empty": _("No reports point to this address."),
        "unconfirmed": _("A second analyst must confirm the assessment first."),
        "not_waiting": _("This assessment does not wait for a confirmation."),
        "same_analyst": _("A second analyst must confirm: not the one who assessed it."),
        "disputed": _("An analyst disagreed: a supervisor decides."),
        "text": _("Write a message."),
        "legal_basis": _("Choose a legal basis from the current list."),
        "legal_basis_required": _("Choose the legal basis of an actionable report."),
        "exists": _("That article is already on the list."),
    }
    return messages_by_code.get(code, _("You may not do that."))


def _report_or_404(key: str) -> Report:
    report = selectors.find_report(key)
    if report is None:
        raise Http404
    return report


def _can_confirm(request: HttpRequest, assessments: list[Any]) -> bool:
    """Whether this person is offered "confirm" / "disagree" on the newest assessment."""
    newest = assessments[0] if assessments else None
    if newest is None or not newest.needs_confirmation or newest.confirmed_by_id is not None:
        return False
    if newest.analyst_id == request.user.pk or not request.user.has_perms([CHANGE, ASSESS]):
        return False
    return newest.disputed_by_id is None or request.user.has_perm(ASSIGN)


def _detail_url(report: Report) -> str:
    return reverse("hotline-triage:detail", args=[report.reference or report.pk])


@require_GET
@staff_permission_required(VIEW)
def queue(request: HttpRequest) -> HttpResponse:
    form = QueueFilterForm(request.GET or None)
    criteria = form.criteria()
    page = selectors.queue_page(
        criteria,
        user=request.user,
        after=request.GET.get("after", ""),
        before=request.GET.get("before", ""),
    )
    form.show_counts(page.counts)
    # Also flagged: a report whose reporter wrote before the hotline ever did (a reopened
    # one closed without a question, details added on their own).
    wrote_last = answers.answered([row.report.pk for row in page.rows])
    for row in page.rows:
        row.answered = row.answered or row.report.pk in wrote_last
    revealed = selectors.revealed_today(request.user)
    query = request.GET.copy()
    for key in ("after", "before"):
        query.pop(key, None)
    return render(
        request,
        "hotline/triage/queue.html",
        {
            "form": form,
            "page": page,
            "query": query.urlencode(),
            "can_change": request.user.has_perm(CHANGE),
            "revealed_today": revealed,
            "take_a_break": revealed >= selectors.hotline_settings().reveal_break_after,
            "can_change_settings": request.user.has_perm(SETTINGS),
            "revealed_by_person": (
                selectors.revealed_today_by_person() if request.user.has_perm(ASSIGN) else None
            ),
            "late_answers": answers.late_answers(),
        },
    )


@require_GET
@staff_permission_required(VIEW)
def items(request: HttpRequest) -> HttpResponse:
    """Open reports grouped by the address or account they point to."""
    groups = selectors.item_groups()
    services.record_items_viewed(
        [item.pk for item in groups],
        actor=request.user,  # type: ignore[arg-type]
        request=request,
    )
    return render(
        request,
        "hotline/triage/items.html",
        {
            "groups": groups,
            "limit": selectors.GROUP_LIMIT,
            "can_bulk": request.user.has_perms([CHANGE, ASSESS]),
        },
    )


@require_POST
@staff_permission_required(VIEW, CHANGE, ASSESS)
def item_duplicates(request: HttpRequest, item_id: int) -> HttpResponse:
    item = ContentItem.objects.filter(pk=item_id).first()
    if item is None:
        raise Http404
    try:
        first, marked, skipped = services.mark_duplicates_of_first(
            item,
            actor=request.user,  # type: ignore[arg-type]
            request=request,
        )
    except TriageRefused as refused:
        messages.error(request, _refusal_message(refused.code))
    else:
        text = ngettext(
            "%(count)d report marked as a duplicate of %(reference)s.",
            "%(count)d reports marked as duplicates of %(reference)s.",
            marked,
        ) % {"count": marked, "reference": first}
        if skipped:
            text += " " + ngettext(
                "%(count)d report is held by a colleague and was left alone.",
                "%(count)d reports are held by colleagues and were left alone.",
                skipped,
            ) % {"count": skipped}
        messages.success(request, text)
    return HttpResponseRedirect(reverse("hotline-triage:items"))


@require_GET
@staff_permission_required(VIEW)
def domains(request: HttpRequest) -> HttpResponse:
    """Open reports grouped by the registrable domain of their addresses."""
    groups = selectors.domain_groups()
    services.record_domains_viewed(
        [group.item_id for group in groups],
        actor=request.user,  # type: ignore[arg-type]
        request=request,
    )
    return render(
        request,
        "hotline/triage/domains.html",
        {
            "groups": groups,
            "limit": selectors.GROUP_LIMIT,
            "can_bulk": request.user.has_perms([CHANGE, ASSESS]),
        },
    )


def _assess_together(
    request: HttpRequest, *, label: str, reports: list[Report], back: str
) -> HttpResponse:
    """The form that assesses every waiting report of a group at once, and its answer."""
    waiting = [r for r in reports if r.status in selectors.WAITING_STATUSES]
    form = GroupAssessmentForm(
        request.POST or None,
        csam_in_group=any(r.category == "csam" for r in waiting),
        categories=frozenset(r.category for r in waiting),
    )
    if request.method == "POST" and form.is_valid():
        try:
            assessed, skipped = services.assess_together(
                waiting,
                outcome=form.cleaned_data["outcome"],
                priority=form.cleaned_data["priority"],
                category=form.cleaned_data["category"] or "",
                notes=form.cleaned_data["notes"],
                classification=form.classification(),
                legal_basis=form.cleaned_data.get("legal_basis"),
                actor=request.user,  # type: ignore[arg-type]
                request=request,
            )
        except TriageRefused as refused:
            messages.error(request, _refusal_message(refused.code))
        else:
            text = ngettext(
                "%(count)d report assessed.", "%(count)d reports assessed.", len(assessed)
            ) % {"count": len(assessed)}
            confirming = sum(
                1 for r in assessed if r.status == Status.ASSESSED and r.category == "csam"
            )
            if confirming and services.needs_four_eyes(form.cleaned_data["outcome"], "csam"):
                text += " " + ngettext(
                    "%(count)d waits for a second analyst to confirm it.",
                    "%(count)d wait for a second analyst to confirm them.",
                    confirming,
                ) % {"count": confirming}
            if skipped:
                text += " " + _(
                    "Held by a colleague or changed meanwhile, left alone: %(refs)s."
                ) % {"refs": ", ".join(str(r) for r in skipped)}
            messages.success(request, text)
            return HttpResponseRedirect(back)
    return render(
        request,
        "hotline/triage/assess_group.html",
        {
            "label": label,
            "waiting": waiting,
            "form": form,
            "back": back,
            "user_pk": request.user.pk,
        },
    )


@require_http_methods(["GET", "POST"])
@staff_permission_required(VIEW, CHANGE, ASSESS)
def item_assess(request: HttpRequest, item_id: int) -> HttpResponse:
    item = ContentItem.objects.filter(pk=item_id).first()
    if item is None:
        raise Http404
    services.record_items_viewed(
        [item.pk],
        actor=request.user,  # type: ignore[arg-type]
        request=request,
    )
    return _assess_together(
        request,
        label=item.canonical,
        reports=selectors.group_reports(item=item),
        back=reverse("hotline-triage:items"),
    )


@require_http_methods(["GET", "POST"])
@staff_permission_required(VIEW, CHANGE, ASSESS)
def domain_assess(request: HttpRequest, index: str) -> HttpResponse:
    item = ContentItem.objects.filter(domain_index=index).order_by("id").first()
    if item is None or not index:
        raise Http404
    services.record_domains_viewed(
        [item.pk],
        actor=request.user,  # type: ignore[arg-type]
        request=request,
    )
    return _assess_together(
        request,
        label=item.registrable_domain,
        reports=selectors.group_reports(domain=index),
        back=reverse("hotline-triage:domains"),
    )


@require_GET
@staff_permission_required(VIEW)
def detail(request: HttpRequest, key: str) -> HttpResponse:
    report = _report_or_404(key)
    parts = selectors.report_parts(report)
    reveal = request.GET.get("reveal", "")
    revealed = int(reveal) if reveal.isdigit() else None
    if revealed is not None and not any(e.pk == revealed for e in parts["evidence"]):
        revealed = None
    if revealed is not None and not request.user.has_perm(EVIDENCE):
        revealed = None
    services.record_view(
        report,
        actor=request.user,  # type: ignore[arg-type]
        request=request,
        fields=DECRYPTED_FIELDS,
        revealed_evidence=revealed,
    )
    held = selectors.held_from_sender(report)
    if held:
        services.record_held_viewed(
            report,
            held_ids=[row["held"].pk for row in held],
            actor=request.user,  # type: ignore[arg-type]
            request=request,
        )
    urls = [
        {
            "reported": u,
            "openable": u.content_item.kind == ContentItem.Kind.URL
            and u.content_item.canonical.lower().startswith(("http://", "https://")),
        }
        for u in parts["urls"]
    ]
    context: dict[str, Any] = {
        "report": report,
        "urls": urls,
        "evidence": [
            {"file": e, "image": e.content_type.startswith("image/"), "revealed": e.pk == revealed}
            for e in parts["evidence"]
        ],
        "messages_list": parts["messages"],
        "reporter_wrote_last": bool(parts["messages"])
        and parts["messages"][-1].direction == Message.Direction.FROM_REPORTER,
        "assessments": parts["assessments"],
        "can_change": request.user.has_perm(CHANGE),
        "can_assign": request.user.has_perm(ASSIGN),
        "can_assess": request.user.has_perms([CHANGE, ASSESS])
        and services.allowed(report.status, Status.ASSESSED)
        and (report.assignee_id == request.user.pk or request.user.has_perm(ASSIGN)),
        "can_see_evidence": request.user.has_perm(EVIDENCE),
        "held_by_me": report.assignee_id == request.user.pk,
        "assign_form": AssignForm() if request.user.has_perm(ASSIGN) else None,
        "context": selectors.report_context(report, parts["urls"]),
        "hosting": hosting_selectors.report_hosting(parts["urls"]),
        "dispatches": replies.report_dispatches(report),
        "held_from_sender": held,
        "can_confirm": _can_confirm(request, parts["assessments"]),
        "can_ask": request.user.has_perm(CHANGE)
        and services.allowed(report.status, Status.NEEDS_INFO)
        and (report.assignee_id == request.user.pk or request.user.has_perm(ASSIGN)),
        "can_feedback": request.user.has_perm(CHANGE)
        and (report.assignee_id == request.user.pk or request.user.has_perm(ASSIGN)),
    }
    revealed_today = selectors.revealed_today(request.user)
    context["revealed_today"] = revealed_today
    context["take_a_break"] = revealed_today >= selectors.hotline_settings().reveal_break_after
    return render(request, "hotline/triage/detail.html", context)


@require_POST
@staff_permission_required(VIEW, CHANGE)
def claim(request: HttpRequest, key: str) -> HttpResponse:
    report = _report_or_404(key)
    try:
        services.claim(report, actor=request.user, request=request)  # type: ignore[arg-type]
    except TriageRefused as refused:
        messages.error(request, _refusal_message(refused.code))
    else:
        messages.success(request, _("You took report %(reference)s.") % {"reference": report})
    return HttpResponseRedirect(_detail_url(report))


@require_POST
@staff_permission_required(VIEW, CHANGE)
def release(request: HttpRequest, key: str) -> HttpResponse:
    report = _report_or_404(key)
    try:
        services.release(report, actor=request.user, request=request)  # type: ignore[arg-type]
    except TriageRefused as refused:
        messages.error(request, _refusal_message(refused.code))
    else:
        messages.success(
            request, _("Report %(reference)s is back in the queue.") % {"reference": report}
        )
    return HttpResponseRedirect(_detail_url(report))


@require_POST
@staff_permission_required(VIEW, CHANGE, ASSIGN)
def assign(request: HttpRequest, key: str) -> HttpResponse:
    report = _report_or_404(key)
    form = AssignForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose a colleague."))
        return HttpResponseRedirect(_detail_url(report))
    colleague = form.cleaned_data["colleague"]
    try:
        services.assign(report, colleague, actor=request.user, request=request)  # type: ignore[arg-type]
    except TriageRefused as refused:
        messages.error(request, _refusal_message(refused.code))
    else:
        messages.success(
            request,
            _("Report %(reference)s is now with %(name)s.")
            % {"reference": report, "name": colleague.get_username()},
        )
    return HttpResponseRedirect(_detail_url(report))


@require_GET
@staff_permission_required(VIEW)
def open_url(request: HttpRequest, key: str, position: int) -> HttpResponse:
    """The deliberate "open" of a reported address: audited, then a redirect that carries no
    referrer. The page itself never holds the address as a link."""
    report = _report_or_404(key)
    reported = report.reported_urls.select_related("content_item").filter(position=position).first()
    if reported is None or reported.content_item.kind != ContentItem.Kind.URL:
        raise Http404
    target = reported.content_item.canonical
    if not target.lower().startswith(("http://", "https://")):
        raise Http404
    services.record_url_opened(
        report,
        position=position,
        actor=request.user,  # type: ignore[arg-type]
        request=request,
    )
    response = HttpResponseRedirect(target)
    response["Referrer-Policy"] = "no-referrer"
    return response


def _blurred(data: bytes) -> tuple[bytes, str]:
    """A greyscale, heavily blurred copy of a picture: what is shown until it is revealed.
    Made on the server, so that the picture itself reaches the browser only when asked for."""
    with Image.open(io.BytesIO(data)) as image:
        image.seek(0)
        grey = ImageOps.grayscale(image.convert("RGB"))
        grey.thumbnail((480, 480))
        radius = max(grey.size) / 12
        soft = grey.filter(ImageFilter.GaussianBlur(radius))
        out = io.BytesIO()
        soft.save(out, format="PNG")
    return out.getvalue(), "image/png"


@require_GET
@staff_permission_required(VIEW, EVIDENCE)
def evidence_file(request: HttpRequest, key: str, evidence_id: int) -> HttpResponse:
    """One evidence file, decrypted in memory. ``?variant=full`` shows the picture itself,
    ``?download=1`` saves it; by default a picture is served blurred and grey."""
    report = _report_or_404(key)
    evidence = Evidence.objects.filter(pk=evidence_id, report=report).first()
    if evidence is None:
        raise Http404
    data = read_decrypted(evidence.storage_name)
    content_type = evidence.content_type
    is_image = content_type.startswith("image/")
    download = request.GET.get("download") == "1"
    variant = "download" if download else request.GET.get("variant", "blurred")
    if variant not in ("download", "full", "blurred"):
        variant = "blurred"
    if variant == "blurred" and is_image:
        data, content_type = _blurred(data)
    elif variant != "download" and not is_image:
        variant = "download"  # only pictures are shown in the page
    services.record_evidence_served(
        report,
        evidence_id=evidence.pk,
        variant=variant,
        actor=request.user,  # type: ignore[arg-type]
        request=request,
    )
    extension = "png" if content_type == "image/png" else EXTENSIONS.get(content_type, "bin")
    filename = f"{report.reference or report.pk}-evidence-{evidence.pk}.{extension}"
    disposition = "attachment" if variant == "download" else "inline"
    response = HttpResponse(data, content_type=content_type)
    response["Content-Disposition"] = f'{disposition}; filename="{filename}"'
    response["Cache-Control"] = "no-store"
    response["X-Content-Type-Options"] = "nosniff"
    return response


def _write_to_reporter(
    request: HttpRequest,
    key: str,
    *,
    chooser_form: type[forms.Form],
    template_text: Callable[[str, str], str],
    send: Callable[..., Any],
    page: str,
    question: bool,
) -> HttpResponse:
    """A message to the reporter (a question or feedback). Without JavaScript, choosing a
    template reloads the page with its text, in the report's language, ready to edit."""
    report = _report_or_404(key)
    chooser = chooser_form(request.GET or None)
    initial = ""
    if chooser.is_valid():
        (choice,) = chooser.cleaned_data.values()
        initial = template_text(choice, report.language)
    form = AskReporterForm(request.POST or None, initial={"text": initial})
    if request.method == "POST" and form.is_valid():
        try:
            send(
                report,
                text=form.cleaned_data["text"],
                actor=request.user,
                request=request,
            )
        except TriageRefused as refused:
            messages.error(request, _refusal_message(refused.code))
        else:
            messages.success(request, _sent_message(report, question=question))
            return HttpResponseRedirect(_detail_url(report))
    return render(
        request,
        page,
        {"report": report, "chooser": chooser, "form": form, "emailed": _emailed(report)},
    )


@require_http_methods(["GET", "POST"])
@staff_permission_required(VIEW, CHANGE)
def ask(request: HttpRequest, key: str) -> HttpResponse:
    """Ask the reporter a question; the report waits for the answer."""
    return _write_to_reporter(
        request,
        key,
        chooser_form=QuestionChoiceForm,
        template_text=services.question_text,
        send=services.ask_reporter,
        page="hotline/triage/ask.html",
        question=True,
    )


@require_http_methods(["GET", "POST"])
@staff_permission_required(VIEW, CHANGE)
def feedback(request: HttpRequest, key: str) -> HttpResponse:
    """Tell the reporter how their report went."""
    return _write_to_reporter(
        request,
        key,
        chooser_form=FeedbackChoiceForm,
        template_text=services.feedback_text,
        send=services.send_feedback,
        page="hotline/triage/feedback.html",
        question=False,
    )


def _emailed(report: Report) -> bool:
    return bool(services.reporter_address(report))


def _sent_message(report: Report, *, question: bool) -> str:
    if question and _emailed(report):
        return _(
            "Your question is on the reporter's receipt page and goes to them by e-mail. "
            "The report waits for them."
        )
    if question:
        return _("Your question is on the reporter's receipt page. The report waits for them.")
    if _emailed(report):
        return _("Your message is on the reporter's receipt page and goes to them by e-mail.")
    return _("Your message is on the reporter's receipt page.")


@require_POST
@staff_permission_required(VIEW, CHANGE, ASSESS)
def confirm(request: HttpRequest, key: str) -> HttpResponse:
    report = _report_or_404(key)
    try:
        services.confirm(report, actor=request.user, request=request)  # type: ignore[arg-type]
    except TriageRefused as refused:
        messages.error(request, _refusal_message(refused.code))
    else:
        messages.success(request, _("You confirmed the assessment."))
    return HttpResponseRedirect(_detail_url(report))


@require_POST
@staff_permission_required(VIEW, CHANGE, ASSESS)
def dispute(request: HttpRequest, key: str) -> HttpResponse:
    report = _report_or_404(key)
    try:
        services.dispute(report, actor=request.user, request=request)  # type: ignore[arg-type]
    except TriageRefused as refused:
        messages.error(request, _refusal_message(refused.code))
    else:
        messages.success(request, _("Your disagreement is noted: a supervisor decides."))
    return HttpResponseRedirect(_detail_url(report))


@require_http_methods(["GET", "POST"])
@staff_permission_required(VIEW, CHANGE, ASSESS)
def assess(request: HttpRequest, key: str) -> HttpResponse:
    report = _report_or_404(key)
    form = AssessmentForm(request.POST or None, initial={"category": report.category})
    if request.method == "POST" and form.is_valid():
        try:
            services.assess(
                report,
                outcome=form.cleaned_data["outcome"],
                priority=form.cleaned_data["priority"],
                category=form.cleaned_data["category"],
                notes=form.cleaned_data["notes"],
                duplicate_of=form.original(),
                classification=form.classification(),
                legal_basis=form.cleaned_data.get("legal_basis"),
                actor=request.user,  # type: ignore[arg-type]
                request=request,
            )
        except TriageRefused as refused:
            messages.error(request, _refusal_message(refused.code))
        else:
            messages.success(
                request, _("Report %(reference)s is assessed.") % {"reference": report}
            )
            return HttpResponseRedirect(_detail_url(report))
    return render(request, "hotline/triage/assess.html", {"report": report, "form": form})


@require_http_methods(["GET", "POST"])
@staff_permission_required(VIEW, SETTINGS)
def hotline_settings(request: HttpRequest) -> HttpResponse:
    """The supervisors' settings: target times, non-working days, the break reminder, four
    eyes, questions."""
    form = HotlineSettingsForm(request.POST or None, current=selectors.hotline_settings())
    if request.method == "POST" and form.is_valid():
        try:
            changed = services.save_settings(
                targets=form.targets(),
                reveal_break_after=form.cleaned_data["reveal_break_after"],
                four_eyes_for_csam=form.cleaned_data["four_eyes_for_csam"],
                questions=form.questions(),
                non_working_days=form.non_working_days(),
                actor=request.user,  # type: ignore[arg-type]
                request=request,
            )
        except TriageRefused as refused:
            messages.error(request, _refusal_message(refused.code))
        else:
            if changed:
                messages.success(request, _("The settings are saved."))
            else:
                messages.info(request, _("Nothing changed."))
            return HttpResponseRedirect(reverse("hotline-triage:settings"))
    return render(request, "hotline/triage/settings.html", {"form": form})


LEGAL_BASIS_ACTIONS = ("deactivate", "activate", "up", "down")


@require_http_methods(["GET", "POST"])
@staff_permission_required(VIEW, SETTINGS)
def legal_bases(request: HttpRequest) -> HttpResponse:
    """The supervisors' list of legal bases for the centre's country: add one (POST with
    code and title), or deactivate, reactivate or move one (POST with ``basis`` and
    ``action``)."""
    form = LegalBasisForm(request.POST if "code" in request.POST else None)
    if request.method == "POST":
        try:
            if "code" in request.POST:
                if form.is_valid():
                    services.add_legal_basis(
                        code=form.cleaned_data["code"].strip(),
                        title=form.cleaned_data["title"].strip(),
                        actor=request.user,  # type: ignore[arg-type]
                        request=request,
                    )
                    messages.success(request, _("The legal basis is added."))
                    return HttpResponseRedirect(reverse("hotline-triage:legal-bases"))
            else:
                action = request.POST.get("action", "")
                pk = request.POST.get("basis", "")
                basis = (
                    selectors.legal_bases(active_only=False).filter(pk=int(pk)).first()
                    if pk.isdigit()
                    else None
                )
                if basis is None or action not in LEGAL_BASIS_ACTIONS:
                    raise Http404
                services.change_legal_basis(
                    basis,
                    action=action,
                    actor=request.user,  # type: ignore[arg-type]
                    request=request,
                )
                messages.success(request, _("The list is saved."))
                return HttpResponseRedirect(reverse("hotline-triage:legal-bases"))
        except TriageRefused as refused:
            messages.error(request, _refusal_message(refused.code))
    from sigurnet.core.selectors import get_profile

    return render(
        request,
        "hotline/triage/legal_bases.html",
        {
            "form": form,
            "bases": selectors.legal_bases(active_only=False),
            "country": get_profile().country.upper(),
        },
    )
