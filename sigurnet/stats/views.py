"""The figures pages. Aggregates only: no report, no person, nothing to audit."""

from __future__ import annotations

from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBadRequest
from django.shortcuts import render
from django.utils.translation import gettext as _

from sigurnet.core.decorators import staff_permission_required
from sigurnet.hotline import figures
from sigurnet.stats import hotline
from sigurnet.stats.forms import PeriodForm

# UTF-8 with a byte order mark: spreadsheets then read Cyrillic and č, ć, š, ž, đ correctly.
CSV_ENCODING = "utf-8-sig"


@staff_permission_required("stats.view_hotline_figures")
def hotline_figures(request: HttpRequest) -> HttpResponse:
    """The hotline's figures for a period (GET ``from``, ``to`` or ``all``; the last 12
    months by default); ``?format=csv&table=NAME`` gives one table as CSV."""
    form = PeriodForm(request.GET)
    valid = form.is_valid()
    period = form.period() if valid else figures.last_12_months()
    if request.GET.get("format") == "csv":
        name = request.GET.get("table", "")
        builder = hotline.builder_of(name)
        if builder is None:
            raise Http404(name)
        if not valid:
            return HttpResponseBadRequest(_("The period is not valid."))
        table = next(f.table for f in builder.build(period) if f.table.name == name)
        response = HttpResponse(
            table.csv_text().encode(CSV_ENCODING), content_type="text/csv; charset=utf-8"
        )
        filename = f"hotline-{name}-{period.start:%Y-%m-%d}-{period.end:%Y-%m-%d}.csv"
        response["Content-Disposition"] = f'attachment; filename="{filename}"'
        return response
    return render(
        request,
        "stats/hotline.html",
        {"form": form, "period": period, "figures": hotline.build_all(period)},
    )
