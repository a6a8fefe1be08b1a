"""Working time for the target times: Monday to Friday, without the centre's non-working days.

A category whose target counts working days (``HotlineSettings.target_times``) counts only the
time that fell on a working day by the centre's local clock. Non-working days are the national
public holidays of the deployment profile's country, computed here for any year (no download,
no table to keep up to date), corrected by the supervisors at /staff/hotline/settings/: days they
added, and built-in holidays they removed (``HotlineSettings.non_working_days``, ``{"added":
[ISO dates], "removed": [ISO dates]}``). Because the supervisors' list is kept as changes to the
built-in one, next year's holidays come by themselves on 1 January, and edits stay.

The queue counts every row of a page with ``WorkingCalendar.age``: a few dictionary look-ups
and bisections per row, no query (``calendar()`` reads the settings once per page at most).
"""

from __future__ import annotations

import bisect
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from functools import lru_cache
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from sigurnet.hotline.models import HotlineSettings

# 1970-01-05 was a Monday: the origin of the Monday-to-Friday clock.
MONDAY = date(1970, 1, 5)
_US = timedelta(microseconds=1)
DAY_US = timedelta(days=1) // _US


@dataclass(frozen=True)
class Holiday:
    day: date
    name: Any  # a lazy translation


def orthodox_easter(year: int) -> date:
    """Easter Sunday of the Orthodox churches (Julian computus, Meeus), as a Gregorian date.

    The Julian calendar is 13 days behind from 1900 to 2099 and one day more every century
    after that is not a multiple of 400 (Easter never falls in the days where the rule is off).
    """
    a, b, c = year % 4, year % 7, year % 19
    d = (19 * c + 15) % 30
    e = (2 * a + 4 * b - d + 34) % 7
    month, day = divmod(d + e + 114, 31)
    julian_behind = year // 100 - year // 400 - 2
    return date(year, month, day + 1) + timedelta(days=julian_behind)


def _next_working_day(after: date, taken: set[date]) -> date:
    day = after + timedelta(days=1)
    while day.weekday() >= 5 or day in taken:
        day += timedelta(days=1)
    return day


def serbian_holidays(year: int) -> list[Holiday]:
    """The non-working days of the Republic of Serbia in ``year``.

    Zakon o državnim i drugim praznicima u Republici Srbiji ("Službeni glasnik RS", br.
    43/2001, 101/2007 i 92/2011): state holidays Sretenje - Dan državnosti (15 and 16 February,
    član 1), Nova godina (1 and 2 January), Praznik rada (1 and 2 May) and Dan primirja u Prvom
    svetskom ratu (11 November; član 1a; Dan pobede, 9 May, is marked while working, član 3);
    religious holidays for everyone: the first day of Christmas (7 January) and Easter from
    Good Friday to the second day of Easter (član 2; the Orthodox date). Član 3a: "Ako jedan
    od datuma kada se praznuju državni praznici Republike Srbije padne u nedelju, ne radi se
    prvog narednog radnog dana." Any day of a state holiday (not a religious one) on a Sunday
    gives the first following Monday-to-Friday day that is not a holiday already (2 May on a
    Sunday with Easter Monday on 3 May: 4 May). The religious holidays of other faiths are
    days off only for their believers, not for the centre: add them by hand where they apply.
    """
    easter = orthodox_easter(year)
    state = [
        Holiday(date(year, 1, 1), _("New Year")),
        Holiday(date(year, 1, 2), _("New Year")),
        Holiday(date(year, 2, 15), _("Statehood Day (Sretenje)")),
        Holiday(date(year, 2, 16), _("Statehood Day (Sretenje)")),
        Holiday(date(year, 5, 1), _("Labour Day")),
        Holiday(date(year, 5, 2), _("Labour Day")),
        Holiday(date(year, 11, 11), _("Armistice Day")),
    ]
    religious = [
        Holiday(date(year, 1, 7), _("Orthodox Christmas")),
        Holiday(easter - timedelta(days=2), _("Orthodox Good Friday")),
        Holiday(easter - timedelta(days=1), _("Orthodox Holy Saturday")),
        Holiday(easter, _("Orthodox Easter")),
        Holiday(easter + timedelta(days=1), _("Orthodox Easter Monday")),
    ]
    days = state + religious
    taken = {h.day for h in days}
    for holiday in sorted(state, key=lambda h: h.day):
        if holiday.day.weekday() == 6:
            instead = _next_working_day(holiday.day, taken)
            taken.add(instead)
            days.append(Holiday(instead, _("Day off: a holiday fell on a Sunday")))
    return days


def bosnian_holidays(year: int) -> list[Holiday]:
    """The holidays of Bosnia and Herzegovina at state level in ``year``: New Year (1 and 2
    January), Independence Day (1 March), Labour Day (1 and 2 May), Statehood Day (25
    November). The entities and Brčko District have their own lists, and the religious
    holidays (Orthodox and Catholic Christmas and Easter, Ramazanski and Kurban bajram) are
    days off by where one lives and works: the centre edits the list on the settings page."""
    return [
        Holiday(date(year, 1, 1), _("New Year")),
        Holiday(date(year, 1, 2), _("New Year")),
        Holiday(date(year, 3, 1), _("Independence Day")),
        Holiday(date(year, 5, 1), _("Labour Day")),
        Holiday(date(year, 5, 2), _("Labour Day")),
        Holiday(date(year, 11, 25), _("Statehood Day")),
    ]


NATIONAL_HOLIDAYS: Mapping[str, Callable[[int], list[Holiday]]] = {
    "RS": serbian_holidays,
    "BA": bosnian_holidays,
}


def national_holidays(country: str, year: int) -> list[Holiday]:
    """The built-in holidays of ``country`` (two letters) in ``year``, by date; none for a
    country without a built-in list. Two holidays on one day (Easter Monday on 2 May) are
    one day, named by the first."""
    rule = NATIONAL_HOLIDAYS.get(country.upper())
    if rule is None:
        return []
    by_day: dict[date, Holiday] = {}
    for holiday in sorted(rule(year), key=lambda h: h.day):
        by_day.setdefault(holiday.day, holiday)
    return list(by_day.values())


@lru_cache(maxsize=256)
def _built_in(country: str, year: int) -> frozenset[date]:
    return frozenset(h.day for h in national_holidays(country, year))


def built_in_days(country: str, years: Iterable[int]) -> set[date]:
    found: set[date] = set()
    for year in years:
        found |= _built_in(country.upper(), year)
    return found


def parse_stored(value: Any) -> tuple[frozenset[date], frozenset[date]]:
    """(added, removed) of a stored ``HotlineSettings.non_working_days``; anything that is not
    an ISO date is ignored."""
    if not isinstance(value, dict):
        return frozenset(), frozenset()

    def dates(key: str) -> frozenset[date]:
        found = set()
        for text in value.get(key) or ():
            try:
                found.add(date.fromisoformat(str(text)))
            except ValueError:
                continue
        return frozenset(found)

    return dates("added"), dates("removed")


class WorkingCalendar:
    """Working time by the centre's local clock: Monday to Friday, without the non-working
    days (the built-in holidays of ``country``, plus ``added``, minus ``removed``). The
    non-working weekdays of a year are worked out once, when first needed."""

    def __init__(
        self,
        country: str = "",
        added: frozenset[date] = frozenset(),
        removed: frozenset[date] = frozenset(),
    ) -> None:
        self.country = country.upper()
        self.added = added
        self.removed = removed
        self._years: dict[int, tuple[date, ...]] = {}

    def non_working_days(self, year: int) -> tuple[date, ...]:
        """Every non-working day of ``year`` (weekends included when listed), by date."""
        built = _built_in(self.country, year) if self.country else frozenset()
        days = (built | {d for d in self.added if d.year == year}) - self.removed
        return tuple(sorted(days))

    def _closed_weekdays(self, year: int) -> tuple[date, ...]:
        closed = self._years.get(year)
        if closed is None:
            closed = tuple(d for d in self.non_working_days(year) if d.weekday() < 5)
            self._years[year] = closed  # one assignment: safe between threads
        return closed

    def is_working_day(self, day: date) -> bool:
        if day.weekday() >= 5:
            return False
        closed = self._closed_weekdays(day.year)
        at = bisect.bisect_left(closed, day)
        return not (at < len(closed) and closed[at] == day)

    def _closed_between(self, first: date, last: date) -> int:
        """How many non-working weekdays lie strictly between ``first`` and ``last``."""
        count = 0
        for year in range(first.year, last.year + 1):
            closed = self._closed_weekdays(year)
            count += bisect.bisect_left(closed, last) - bisect.bisect_right(closed, first)
        return count

    def age(self, received_at: datetime, now: datetime) -> timedelta:
        """The working time from ``received_at`` to ``now`` (zero if ``now`` is earlier)."""
        start = timezone.localtime(received_at).replace(tzinfo=None)
        end = timezone.localtime(now).replace(tzinfo=None)
        if end <= start:
            return timedelta(0)
        counted = weekday_microseconds(end) - weekday_microseconds(start)
        first, last = start.date(), end.date()
        if first == last:
            return timedelta(0) if not self.is_working_day(first) else end - start
        # Weekday time that fell on a non-working day: on the first day from receipt to
        # midnight, whole days between, on the last day from midnight to now.
        if first.weekday() < 5 and not self.is_working_day(first):
            counted -= DAY_US - _since_midnight(start)
        counted -= self._closed_between(first, last) * DAY_US
        if last.weekday() < 5 and not self.is_working_day(last):
            counted -= _since_midnight(end)
        return timedelta(microseconds=max(counted, 0))


def _since_midnight(local: datetime) -> int:
    return (local - datetime.combine(local.date(), time.min)) // _US


def weekday_microseconds(local: datetime) -> int:
    """Monday-to-Friday time from ``MONDAY`` to the naive local time ``local``."""
    weeks, weekday = divmod((local.date() - MONDAY).days, 7)
    counted = (weeks * 5 + min(weekday, 5)) * DAY_US
    if weekday < 5:
        counted += _since_midnight(local)
    return counted


_memo: tuple[object, str, WorkingCalendar] | None = None


def calendar() -> WorkingCalendar:
    """The centre's working calendar: the profile's country and the supervisors' changes.

    Read again whenever the triage settings are (``selectors.hotline_settings``, kept a few
    seconds per process and dropped when a supervisor saves) or the country changes: at most
    one query per page, none per row.
    """
    global _memo
    from sigurnet.core.selectors import get_profile
    from sigurnet.hotline.triage import selectors

    rules = selectors.hotline_settings()
    country = (get_profile().country or "").upper()
    memo = _memo
    if memo is not None and memo[0] is rules and memo[1] == country:
        return memo[2]
    stored = HotlineSettings.objects.filter(pk=1).values_list("non_working_days", flat=True)
    added, removed = parse_stored(stored.first())
    found = WorkingCalendar(country, added, removed)
    _memo = (rules, country, found)
    return found


def working_age(received_at: datetime, now: datetime) -> timedelta:
    """The working time from ``received_at`` to ``now`` by the centre's calendar."""
    return calendar().age(received_at, now)


# --- The supervisors' list on the settings page ---------------------------------------------

# How many years ahead a supervisor may list a day (this year and the next five).
YEARS_AHEAD = 5


def shown_years(today: date) -> tuple[int, int]:
    """The years whose non-working days the settings page lists: this one and the next."""
    return today.year, today.year + 1


def editable_range(today: date) -> tuple[date, date]:
    return date(today.year, 1, 1), date(today.year + YEARS_AHEAD, 12, 31)


def listed_days(found: WorkingCalendar, today: date) -> list[date]:
    """What the settings page lists: every non-working day of this year and the next, and
    the days added for the years after."""
    first, last = editable_range(today)
    days = {d for year in shown_years(today) for d in found.non_working_days(year)}
    days |= {d for d in found.added if first <= d <= last}
    return sorted(days)


def changes_for(
    found: WorkingCalendar, wanted: Iterable[date], today: date
) -> tuple[dict[str, list[str]], list[date], list[date]]:
    """The stored value that makes the listed days ``wanted`` (all within ``editable_range``),
    and which days that adds and removes from what the page listed.

    Built-in holidays of the years listed that are not wanted are stored as removed; wanted
    days that are not built-in as added. What lies outside the page (earlier years, built-in
    holidays of later years) stays as it was.
    """
    wanted_set = set(wanted)
    first, last = editable_range(today)
    before = set(listed_days(found, today))
    shown_built = built_in_days(found.country, shown_years(today))
    later_built = built_in_days(found.country, range(first.year, last.year + 1))
    added = {d for d in found.added if not first <= d <= last}
    added |= wanted_set - later_built
    removed = (set(found.removed) - shown_built) | (shown_built - wanted_set)
    removed -= wanted_set
    stored = {
        "added": [d.isoformat() for d in sorted(added)],
        "removed": [d.isoformat() for d in sorted(removed)],
    }
    return stored, sorted(wanted_set - before), sorted(before - wanted_set)
