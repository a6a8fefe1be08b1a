from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone

from sigurnet.core import opening_hours
from sigurnet.core.selectors import get_profile


def get_help(request: HttpRequest) -> HttpResponse:
    hours = opening_hours.OpeningHours.of(get_profile())
    context: dict[str, Any] = {"hours": None}
    if hours is not None:
        now = timezone.now()
        open_now = hours.is_open_at(now)
        context = {
            "hours": opening_hours.describe(hours),
            "open_now": open_now,
            "next_opening": "" if open_now else opening_hours.describe_next_opening(hours, now),
        }
    return render(request, "helpline/get_help.html", context)
