"""The analysts' forwarding pages under /staff/hotline/: forward a report, the dispatch list,
one dispatch with its link. Each view states the permission it needs; services do the work."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from sigurnet.core import handover
from sigurnet.core.decorators import staff_permission_required
from sigurnet.core.selectors import audit_action_label
from sigurnet.hotline.forwarding import holds, selectors, services, takedown
from sigurnet.hotline.forwarding.forms import (
    DispatchFilterForm,
    ForwardForm,
    HoldForm,
    ReleaseHoldForm,
    suggestion_key,
)
from sigurnet.hotline.models import Dispatch, Report
from sigurnet.hotline.triage import selectors as triage_selectors
from sigurnet.hotline.triage.services import TriageRefused

VIEW_REPORT = "hotline.view_report"
VIEW = "hotline.view_dispatch"
ADD = "hotline.add_dispatch"
CHANGE = "hotline.change_dispatch"


def _refusal_message(refused: TriageRefused) -> str:
    messages_by_code = {
        "permission": _("You may not do that."),
        "transition": _("Only an assessed report can be forwarded."),
        "not_yours": _("Take the report before you work on it."),
        "not_actionable": _(
            "Only a report assessed as actionable or harmful can be forwarded. Assess it first."
        ),
        "unconfirmed": _("A second analyst must confirm the assessment first."),
        "no_recipients": _("Choose at least one recipient."),
        "no_address": _(
            "%(name)s has no e-mail address in the registry: forward to it by hand, or add an "
            "address first."
        )
        % {"name": str(refused)},
        "already": _("Each of these already has a dispatch of this report."),
        "stale": _("Someone changed this report a moment ago. Check it and try again."),
        "not_sent": _("The dispatch has not been sent yet."),
        "held": _("Notices about this address are held already."),
        "not_held": _("Notices about this address are not held."),
        "note": _("The note is too long."),
    }
    return messages_by_code.get(refused.code, _("You may not do that."))


def _report_or_404(key: str) -> Report:
    report = triage_selectors.find_report(key)
    if report is None:
        raise Http404
    return report


def _dispatch_or_404(pk: int) -> Dispatch:
    dispatch = selectors.find_dispatch(pk)
    if dispatch is None:
        raise Http404
    return dispatch


def _forward_url(report: Report) -> str:
    return reverse("hotline-triage:forward", args=[report.reference or report.pk])


@require_http_methods(["GET", "POST"])
@staff_permission_required(VIEW_REPORT, ADD)
def forward(request: HttpRequest, key: str) -> HttpResponse:
    """Suggested recipients for an assessed report, to confirm, remove or add to; "Send"
    makes the dispatches and moves the report to *forwarded*."""
    report = _report_or_404(key)
    refusal = ""
    try:
        services.check_forwardable(report, request.user)  # type: ignore[arg-type]
    except TriageRefused as refused:
        refusal = _refusal_message(refused)
    suggestions = selectors.suggestions(report) if not refusal else []
    form = ForwardForm(request.POST or None, suggestions=suggestions)
    if request.method == "POST" and form.is_valid():
        try:
            made = services.forward(
                report,
                form.chosen(),
                actor=request.user,  # type: ignore[arg-type]
                request=request,
            )
        except TriageRefused as refused:
            messages.error(request, _refusal_message(refused))
        else:
            _say_what_was_made(request, made)
            return HttpResponseRedirect(_forward_url(report))
    rows = []
    for suggestion in suggestions:
        contact, address = selectors.recipient_for(suggestion.institution)
        rows.append(
            {
                "key": suggestion_key(suggestion),
                "suggestion": suggestion,
                "kind_label": Dispatch.Kind(suggestion.kind).label,
                "contact": contact,
                "has_address": bool(address),
                "language": selectors.recipient_language(suggestion.institution, contact),
                "checked": suggestion_key(suggestion) in (form["recipients"].value() or []),
            }
        )
    return render(
        request,
        "hotline/forwarding/forward.html",
        {
            "report": report,
            "assessment": selectors.newest_assessment(report),
            "refusal": refusal,
            "rows": rows,
            "form": form,
            "item_count": len(selectors.report_items(report)),
            "dispatches": selectors.report_dispatches(report),
        },
    )


def _say_what_was_made(request: HttpRequest, made: list[Dispatch]) -> None:
    now = timezone.now()
    later = [d for d in made if takedown.is_notice(d.kind) and d.send_after > now]
    at_once = [d for d in made if d not in later]
    if at_once:
        messages.success(
            request,
            ngettext(
                "%(count)d dispatch made. It goes out by e-mail now.",
                "%(count)d dispatches made. They go out by e-mail now.",
                len(at_once),
            )
            % {"count": len(at_once)},
        )
    for notice in later:
        messages.success(
            request,
            _(
                "The notice to %(name)s goes at %(time)s, after a check that the content is "
                "still online. Until then the police can ask to hold it, and other reports "
                "of content there join it."
            )
            % {
                "name": notice.institution.name,
                "time": timezone.localtime(notice.send_after).strftime("%Y-%m-%d %H:%M"),
            },
        )


@require_GET
@staff_permission_required(VIEW)
def dispatch_list(request: HttpRequest) -> HttpResponse:
    form = DispatchFilterForm(request.GET or None)
    page = selectors.dispatch_page(form.criteria(), request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "hotline/forwarding/dispatches.html",
        {
            "form": form,
            "page": page,
            "query": query.urlencode(),
            "now": timezone.now(),
            "overdue_count": selectors.overdue_count(),
        },
    )


def _trail(dispatch: Dispatch) -> list[dict[str, Any]]:
    rows = []
    for event in handover.handover_events(dispatch):
        via = event.detail.get("via", "")
        if via == Dispatch.Via.LINK:
            who = _("signed link")
        elif event.actor_name:
            who = event.actor_name
        else:
            who = _("the platform")
        rows.append(
            {"when": event.occurred_at, "who": who, "what": audit_action_label(event.action)}
        )
    return rows


@require_GET
@staff_permission_required(VIEW)
def dispatch_detail(request: HttpRequest, pk: int) -> HttpResponse:
    dispatch = _dispatch_or_404(pk)
    services.record_dispatch_viewed(
        dispatch,
        actor=request.user,  # type: ignore[arg-type]
        request=request,
    )
    outgoing = dispatch.outgoing
    return render(
        request,
        "hotline/forwarding/dispatch.html",
        {
            "handover": dispatch,
            "dispatch": dispatch,
            "kind_label": dispatch.handover_kind_label(),
            "items": dispatch.handover_items(),
            "reports": selectors.dispatch_reports(dispatch),
            "trail": _trail(dispatch),
            "outgoing": outgoing,
            "given_up": outgoing is not None
            and outgoing.sent_at is None
            and outgoing.next_attempt_at is None,
            "overdue": dispatch.is_overdue(),
            "can_change": request.user.has_perm(CHANGE),
            "staff_view": True,
            "notice": takedown.is_notice(dispatch.kind),
            "item_rows": holds.item_rows(dispatch),
            "requesters": holds.hold_requesters(),
            "escalations": list(dispatch.escalations.select_related("institution")),
            "hold_note_max": holds.HOLD_NOTE_MAX_LENGTH,
        },
    )


def _dispatch_url(dispatch: Dispatch) -> str:
    return reverse("hotline-triage:dispatch", args=[dispatch.pk])


@require_POST
@staff_permission_required(VIEW, CHANGE)
def revoke(request: HttpRequest, pk: int) -> HttpResponse:
    dispatch = _dispatch_or_404(pk)
    try:
        services.revoke_link(dispatch, actor=request.user, request=request)  # type: ignore[arg-type]
    except TriageRefused as refused:
        messages.error(request, _refusal_message(refused))
    else:
        messages.success(request, _("The link no longer works."))
    return HttpResponseRedirect(_dispatch_url(dispatch))


@require_POST
@staff_permission_required(VIEW, CHANGE)
def new_link(request: HttpRequest, pk: int) -> HttpResponse:
    dispatch = _dispatch_or_404(pk)
    try:
        services.send_new_link(dispatch, actor=request.user, request=request)  # type: ignore[arg-type]
    except TriageRefused as refused:
        messages.error(request, _refusal_message(refused))
    else:
        messages.success(
            request,
            _("A new link goes to the recipient by e-mail; the earlier one no longer works."),
        )
    return HttpResponseRedirect(_dispatch_url(dispatch))


@require_POST
@staff_permission_required(VIEW, CHANGE)
def hold(request: HttpRequest, pk: int) -> HttpResponse:
    """Hold notices to hosts and platforms about one item of the dispatch (the police asked)."""
    dispatch = _dispatch_or_404(pk)
    form = HoldForm(request.POST, dispatch=dispatch)
    if not form.is_valid():
        if "item" in form.errors:
            messages.error(request, _("Choose an address of this dispatch."))
        else:
            messages.error(request, _("The note is too long."))
        return HttpResponseRedirect(_dispatch_url(dispatch))
    try:
        holds.place_hold(
            form.cleaned_data["item"],
            actor=request.user,  # type: ignore[arg-type]
            dispatch=dispatch,
            requested_by=form.cleaned_data.get("requested_by"),
            note=form.cleaned_data.get("note") or "",
            request=request,
        )
    except TriageRefused as refused:
        messages.error(request, _refusal_message(refused))
    else:
        messages.success(
            request,
            _(
                "Notices about this address are held: no notice or reminder to a host or "
                "platform lists it until you release the hold."
            ),
        )
    return HttpResponseRedirect(_dispatch_url(dispatch))


@require_POST
@staff_permission_required(VIEW, CHANGE)
def release_hold(request: HttpRequest, pk: int) -> HttpResponse:
    dispatch = _dispatch_or_404(pk)
    form = ReleaseHoldForm(request.POST, dispatch=dispatch)
    if not form.is_valid():
        messages.error(request, _("Choose an address of this dispatch."))
        return HttpResponseRedirect(_dispatch_url(dispatch))
    try:
        holds.release_hold(
            form.cleaned_data["item"],
            actor=request.user,  # type: ignore[arg-type]
            dispatch=dispatch,
            request=request,
        )
    except TriageRefused as refused:
        messages.error(request, _refusal_message(refused))
    else:
        messages.success(
            request,
            _("The hold is released: the next notice or reminder lists the address again."),
        )
    return HttpResponseRedirect(_dispatch_url(dispatch))
