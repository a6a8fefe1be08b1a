"""The period filter of the figures pages: a GET form that works without JavaScript."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from sigurnet.hotline import figures

# Dates outside these bounds are refused (and a year 9999 cannot overflow a day later).
EARLIEST = date(1990, 1, 1)
LATEST_AHEAD = timedelta(days=366)


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(format="%Y-%m-%d", **kwargs)


class PeriodForm(forms.Form):
    """``from`` and ``to`` (both optional, days included), or ``all`` for all years. Nothing
    given: the last 12 months."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # "from" is a Python keyword: the fields are added by name.
        self.fields["from"] = forms.DateField(label=_("From"), required=False, widget=DateInput())
        self.fields["to"] = forms.DateField(label=_("To"), required=False, widget=DateInput())
        # Set by the "All years" link, never by the form (the template shows only the dates).
        self.fields["all"] = forms.BooleanField(required=False)

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        latest = figures.today() + LATEST_AHEAD
        for name in ("from", "to"):
            day = cleaned.get(name)
            if day is not None and not EARLIEST <= day <= latest:
                self.add_error(
                    name,
                    _("Choose a date between %(first)s and %(last)s.")
                    % {"first": EARLIEST.isoformat(), "last": latest.isoformat()},
                )
        start, end = cleaned.get("from"), cleaned.get("to")
        if start and end and start > end:
            self.add_error("to", _("The end of the period comes before its start."))
        return cleaned

    def period(self) -> figures.Period:
        """The period asked for; call after ``is_valid()`` returned True."""
        data = self.cleaned_data
        if data.get("all"):
            return figures.all_years()
        start, end = data.get("from"), data.get("to")
        if not start and not end:
            return figures.last_12_months()
        end = end or figures.today()
        if not start:
            start = figures.all_years(on=end).start
        return figures.Period(start, end)
