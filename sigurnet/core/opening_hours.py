"""The helpline's opening hours, from the deployment profile, in words and as "open now".

The profile holds one weekly period (the days, one opening and one closing time) and the dates
the helpline is closed: ``YYYY-MM-DD`` for one day, ``MM-DD`` for the same day every year. Times
are those of the installation's time zone (``TIME_ZONE``, ``SIGURNET_TIME_ZONE``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from django.utils import timezone
from django.utils.dates import WEEKDAYS
from django.utils.formats import date_format
from django.utils.translation import gettext

DAYS = tuple(range(7))  # Monday is 0, as in ``date.weekday()``
_ONE_DAY = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_EVERY_YEAR = re.compile(r"^(\d{2})-(\d{2})$")
# The old free text "8-20" (also "8:00 - 20:00", "8h - 20h", en dashes): hours without days.
_BARE_RANGE = re.compile(
    r"^\s*(\d{1,2})(?:[:.](\d{2}))?\s*(?:h\s*)?[-\u2013\u2014]\s*(\d{1,2})(?:[:.](\d{2}))?\s*h?\.?\s*$"
)


@dataclass(frozen=True)
class ClosedDate:
    month: int
    day: int
    year: int | None = None  # None: every year

    def matches(self, day: date) -> bool:
        return (
            day.month == self.month
            and day.day == self.day
            and (self.year is None or day.year == self.year)
        )


def parse_closed_date(text: str) -> ClosedDate:
    """``2026-04-10`` (that day) or ``01-01`` (every year); ValueError otherwise."""
    text = text.strip()
    if _ONE_DAY.match(text):
        day = date.fromisoformat(text)
        return ClosedDate(day.month, day.day, day.year)
    every_year = _EVERY_YEAR.match(text)
    if every_year:
        month, day_of_month = int(every_year.group(1)), int(every_year.group(2))
        date(2024, month, day_of_month)  # a leap year: 02-29 is a valid yearly date
        return ClosedDate(month, day_of_month)
    raise ValueError(text)


def parse_bare_range(text: str) -> tuple[time, time] | None:
    """The times of an old free-text value such as ``8-20``, or None if it says more."""
    found = _BARE_RANGE.match(text)
    if not found:
        return None
    try:
        opens = time(int(found.group(1)), int(found.group(2) or 0))
        closes_hour, closes_minute = int(found.group(3)), int(found.group(4) or 0)
        closes = (
            time.max
            if (closes_hour, closes_minute) == (24, 0)
            else time(closes_hour, closes_minute)
        )
    except ValueError:
        return None
    return (opens, closes) if opens < closes else None


@dataclass(frozen=True)
class OpeningHours:
    days: tuple[int, ...]
    opens: time
    closes: time
    closed: tuple[ClosedDate, ...] = ()

    @classmethod
    def of(cls, profile: Any) -> OpeningHours | None:
        """The profile's hours, or None when it gives none (or they do not make sense)."""
        days = tuple(sorted({int(d) for d in profile.helpline_days or [] if int(d) in DAYS}))
        if not days or profile.helpline_opens is None or profile.helpline_closes is None:
            return None
        closed = []
        for text in profile.helpline_closed_dates or []:
            try:
                closed.append(parse_closed_date(str(text)))
            except ValueError:
                continue
        return cls(days, profile.helpline_opens, profile.helpline_closes, tuple(closed))

    def is_closed_on(self, day: date) -> bool:
        return any(closed.matches(day) for closed in self.closed)

    def is_open_at(self, moment: datetime) -> bool:
        local = timezone.localtime(moment)
        day = local.date()
        return (
            day.weekday() in self.days
            and not self.is_closed_on(day)
            and self.opens <= local.time() < self.closes
        )

    def next_opening(self, moment: datetime) -> datetime | None:
        """When the helpline opens next after ``moment`` (within a year)."""
        local = timezone.localtime(moment)
        for offset in range(367):
            day = local.date() + timedelta(days=offset)
            if day.weekday() not in self.days or self.is_closed_on(day):
                continue
            opening = datetime.combine(day, self.opens, local.tzinfo)
            if opening > local:
                return opening
        return None


def _clock(moment: time) -> str:
    if moment == time.max:
        return "24:00"
    return f"{moment.hour}:{moment.minute:02d}"


def _runs(days: tuple[int, ...]) -> list[tuple[int, int]]:
    runs: list[tuple[int, int]] = []
    for day in days:
        if runs and runs[-1][1] == day - 1:
            runs[-1] = (runs[-1][0], day)
        else:
            runs.append((day, day))
    return runs


def _join(parts: list[str]) -> str:
    if len(parts) == 1:
        return parts[0]
    return gettext("%(list)s and %(last)s") % {"list": ", ".join(parts[:-1]), "last": parts[-1]}


def describe_days(days: tuple[int, ...]) -> str:
    """``Monday to Friday``, ``Monday, Wednesday and Friday``, ``Every day``."""
    if len(days) == 7:
        return gettext("Every day")
    parts = []
    for first, last in _runs(days):
        if first == last:
            parts.append(str(WEEKDAYS[first]))
        elif last == first + 1:
            parts.append(_join([str(WEEKDAYS[first]), str(WEEKDAYS[last])]))
        else:
            parts.append(
                gettext("%(first)s to %(last)s")
                % {"first": WEEKDAYS[first], "last": WEEKDAYS[last]}
            )
    return _join(parts)


def _sentence(text: str) -> str:
    return text[:1].upper() + text[1:]


def describe(hours: OpeningHours, today: date | None = None) -> list[str]:
    """The hours in words, one line each: the week, then the dates it is closed (yearly ones,
    and one-off dates from ``today`` on)."""
    today = today or timezone.localdate()
    lines = [
        _sentence(
            gettext("%(days)s, %(opens)s to %(closes)s")
            % {
                "days": describe_days(hours.days),
                "opens": _clock(hours.opens),
                "closes": _clock(hours.closes),
            }
        )
    ]
    for closed in hours.closed:
        if closed.year is None:
            when = date_format(date(2024, closed.month, closed.day), "MONTH_DAY_FORMAT")
            lines.append(gettext("Closed every year on %(date)s") % {"date": when})
        else:
            day = date(closed.year, closed.month, closed.day)
            if day >= today:
                lines.append(gettext("Closed on %(date)s") % {"date": date_format(day)})
    return lines


def describe_next_opening(hours: OpeningHours, moment: datetime) -> str:
    opening = hours.next_opening(moment)
    if opening is None:
        return ""
    today = timezone.localtime(moment).date()
    if opening.date() == today:
        day = gettext("today")
    elif opening.date() == today + timedelta(days=1):
        day = gettext("tomorrow")
    elif opening.date() - today < timedelta(days=7):
        day = str(WEEKDAYS[opening.weekday()])
    else:
        day = date_format(opening.date())
    return gettext("We open again %(day)s at %(time)s.") % {
        "day": day,
        "time": _clock(opening.time()),
    }
