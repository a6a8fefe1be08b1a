"""The pages of a handover's recipient: the signed-link page (no account) and the partner view
(role Partner contact). Both show what was sent and nothing else, and take an acknowledgement
and an outcome; the rules are in ``core/handover.py``."""

from __future__ import annotations

from typing import Any

from django import forms
from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext_lazy as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods

from sigurnet.core import handover, ratelimit
from sigurnet.core.decorators import staff_permission_required
from sigurnet.core.handover import Handover, HandoverRefused

PARTNER_PERMISSION = "core.view_own_handovers"
LANGUAGE_CODES = {code for code, _name in settings.LANGUAGES}


class OutcomeForm(forms.Form):
    outcome = forms.ChoiceField(
        label=_("Outcome"), choices=Handover.Outcome.choices, widget=forms.RadioSelect
    )
    note = forms.CharField(
        label=_("Note"),
        required=False,
        max_length=handover.OUTCOME_NOTE_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("For the centre: a case number, or what happens next. No personal data."),
    )


DONE_MESSAGES = {
    "acknowledged": _("Thank you: your acknowledgement is recorded."),
    "outcome": _("Thank you: the outcome is recorded."),
}
REFUSALS = {
    "not_sent": _("This has not been sent yet."),
    "outcome": _("Choose an outcome."),
    "note": _("The note is too long."),
}


def _private(response: HttpResponse) -> HttpResponse:
    """Headers of every page that shows a handover: not indexed, not kept by any cache, no
    path in a Referer (the link's path is its secret)."""
    response["X-Robots-Tag"] = "noindex, nofollow"
    # Not "no-referrer": with it, browsers send "Origin: null" on the page's form posts and
    # the CSRF check refuses them (settings.SECURE_REFERRER_POLICY). "strict-origin" sends
    # only the scheme and host, never the path, to this site and to any other.
    response["Referrer-Policy"] = "strict-origin"
    if response.status_code >= 400:
        # Django would log "Gone: /handover/<token>/": the token is the link's secret.
        response._has_been_logged = True  # type: ignore[attr-defined]
    return response


def _act(request: HttpRequest, item: Handover, *, via: str) -> tuple[str | None, OutcomeForm, str]:
    """Handle a POST of the acknowledgement or the outcome form. (done, form, refusal)."""
    form = OutcomeForm()
    if request.method != "POST":
        return None, form, ""
    actor = request.user if via == Handover.Via.ACCOUNT else None
    try:
        if request.POST.get("action") == "acknowledge":
            handover.acknowledge(item, via=via, actor=actor, request=request)  # type: ignore[arg-type]
            return "acknowledged", form, ""
        form = OutcomeForm(request.POST)
        if form.is_valid():
            handover.record_outcome(
                item,
                outcome=form.cleaned_data["outcome"],
                note=form.cleaned_data["note"],
                via=via,
                actor=actor,  # type: ignore[arg-type]
                request=request,
            )
            return "outcome", form, ""
    except HandoverRefused as refused:
        return None, form, str(REFUSALS.get(refused.code, REFUSALS["outcome"]))
    return None, form, ""


def _page_context(item: Handover, form: OutcomeForm, done: str, refusal: str) -> dict[str, Any]:
    return {
        "handover": item,
        "kind_label": item.handover_kind_label(),
        "items": item.handover_items(),
        "form": form,
        "done": DONE_MESSAGES.get(done, ""),
        "refusal": refusal,
        "can_acknowledge": item.status in Handover.OPEN_STATUSES,
    }


def _language_of(item: Handover) -> str:
    return item.language if item.language in LANGUAGE_CODES else settings.LANGUAGE_CODE


@never_cache
@require_http_methods(["GET", "POST"])
def link_page(request: HttpRequest, token: str) -> HttpResponse:
    """``/handover/<token>/``: what was sent to this contact person, with "acknowledge" and
    the outcome form. No account: the signed token is the key, to this handover only."""
    limit = ratelimit.Limit(settings.SIGURNET_HANDOVER_REQUESTS_PER_CLIENT_PER_MINUTE, 60)
    verdict = ratelimit.hit("handover", ratelimit.client_key(request), limit)
    if not verdict.allowed:
        response = render(request, "handover/throttled.html", status=429)
        response["Retry-After"] = str(verdict.retry_after)
        return _private(response)
    check = handover.open_link(token)
    if check.handover is None:
        return _private(render(request, "handover/invalid.html", status=404))
    item = check.handover
    with translation.override(_language_of(item)):
        if not check.is_open:
            context = {"state": check.state, "handover": item}
            return _private(render(request, "handover/gone.html", context, status=410))
        done, form, refusal = _act(request, item, via=Handover.Via.LINK)
        if done:
            # After a POST, the same page by GET: a reload does not send the form again.
            return _private(HttpResponseRedirect(f"{request.path}?done={done}", status=303))
        context = _page_context(item, form, request.GET.get("done", ""), refusal)
        context["expires_at"] = check.expires_at
        context["post_url"] = request.path
        return _private(render(request, "handover/link.html", context))


def _contact_or_none(request: HttpRequest) -> Any:
    return handover.contact_person_of(request.user)


def _partner_language(request: HttpRequest, contact: Any) -> str | None:
    """The contact person's first language, unless they chose one with the language switch."""
    if request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME):
        return None
    for code in contact.languages or []:
        if code in LANGUAGE_CODES:
            return str(code)
    return None


@never_cache
@require_GET
@staff_permission_required(PARTNER_PERMISSION)
def partner_list(request: HttpRequest) -> HttpResponse:
    """``/partner/``: every handover to the signed-in contact person's institution."""
    contact = _contact_or_none(request)
    language = _partner_language(request, contact) if contact else None
    with translation.override(language or translation.get_language()):
        rows = handover.partner_handovers(contact) if contact else []
        return _private(render(request, "partner/list.html", {"contact": contact, "rows": rows}))


@never_cache
@require_http_methods(["GET", "POST"])
@staff_permission_required(PARTNER_PERMISSION)
def partner_detail(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    """``/partner/<kind>/<id>/``: one handover to the contact person's institution (404 for any
    other), with the same acknowledgement and outcome forms as the link page."""
    contact = _contact_or_none(request)
    item = handover.partner_handover(contact, slug, pk) if contact else None
    if item is None:
        raise Http404
    language = _partner_language(request, contact)
    with translation.override(language or translation.get_language()):
        done, form, refusal = _act(request, item, via=Handover.Via.ACCOUNT)
        if done:
            target = reverse("partner:detail", args=[slug, pk])
            return HttpResponseRedirect(f"{target}?done={done}", status=303)
        if request.method == "GET":
            handover.record_event(
                item,
                handover.HandoverAction.PARTNER_VIEWED,
                actor=request.user,  # type: ignore[arg-type]
                request=request,
            )
        context = _page_context(item, form, request.GET.get("done", ""), refusal)
        context["post_url"] = request.path
        context["contact"] = contact
        return _private(render(request, "partner/detail.html", context))
