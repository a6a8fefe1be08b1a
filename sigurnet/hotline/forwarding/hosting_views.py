"""The analyst's "Look up again" on a report's page: where one of its content items is hosted
is looked up anew (in Celery; ``forwarding.hosting.look_up_again`` queues it and audits it).
The URL is in ``triage/urls.py``, in the staff URL table of the permission tests."""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from sigurnet.core.decorators import staff_permission_required
from sigurnet.hotline.forwarding import hosting
from sigurnet.hotline.models import ContentItem
from sigurnet.hotline.triage import selectors as triage_selectors

VIEW = "hotline.view_report"
CHANGE = "hotline.change_report"


@require_POST
@staff_permission_required(VIEW, CHANGE)
def look_up_again(request: HttpRequest, key: str, item_id: int) -> HttpResponse:
    """Queue the look-up of one item of the report ``key`` (404 for an item of another
    report), then back to the report's page, at that item."""
    report = triage_selectors.find_report(key)
    if report is None:
        raise Http404
    item = ContentItem.objects.filter(pk=item_id, reported_urls__report=report).only("pk").first()
    if item is None:
        raise Http404
    hosting.look_up_again(item, actor=request.user, request=request)  # type: ignore[arg-type]
    messages.success(
        request,
        _("A new look-up of where it is hosted is queued. The facts change once it has run."),
    )
    detail = reverse("hotline-triage:detail", args=[report.reference or report.pk])
    return HttpResponseRedirect(f"{detail}#hosting-{item.pk}")
