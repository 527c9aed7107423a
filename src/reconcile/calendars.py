"""Fiscal calendars: which days a company's fiscal year, half and quarter cover.

A calendar is read from an entity's `fiscal_year_end` in `vocab/entities.yaml`:

- a month number (`6`): the year ends on the last day of that month; quarters are three calendar months;
- a retail-style 52/53-week year (`last Sunday of January`): the year ends on the last given weekday of
  that month and the next year starts the day after; quarters are 13 weeks, the fourth taking the
  53rd week when there is one (as NVIDIA, Apple or Walmart report);
- the same, ending on the weekday nearest the month's end (`Saturday nearest the end of January`: Macy's,
  Target), which may fall a few days into the next month.

Fiscal year N is the year that *ends* in calendar year N (NVIDIA's FY2026 ends on 2026-01-25), unless the spec
adds `, named by its start year`: many retailers call the year that ends in January 2026 "fiscal 2025".
"""
from __future__ import annotations

import calendar
import datetime as dt
import functools
import re
from dataclasses import dataclass

MONTH_NAMES = {name.lower(): i for i, name in enumerate(calendar.month_name) if name}
WEEKDAY_NAMES = {name.lower(): i for i, name in enumerate(calendar.day_name)}
_WEEKLY_SPEC = re.compile(r"(?:last\s+(?P<day>[a-z]+)\s+(?:of|in)|(?P<near>[a-z]+)\s+nearest\s+the\s+end\s+of)"
                          r"\s+(?P<month>[a-z]+)(?P<start>\s*,\s*named\s+by\s+its\s+start\s+year)?", re.I)


@dataclass(frozen=True)
class FiscalCalendar:
    end_month: int = 12
    end_weekday: int | None = None   # None: the year ends on the month's last day; else on its last such weekday
    nearest: bool = False            # the weekday nearest the month's end, not the last one in it
    named_by_start: bool = False     # fiscal year N ends in calendar year N + 1

    @property
    def is_calendar_year(self) -> bool:
        return self.end_month == 12 and self.end_weekday is None

    def describe(self) -> str:
        month = calendar.month_name[self.end_month]
        named = ", named by its start year" if self.named_by_start else ""
        if self.end_weekday is None:
            return f"year ends on the last day of {month}{named}"
        day = calendar.day_name[self.end_weekday]
        where = f"the {day} nearest the end of {month}" if self.nearest else f"the last {day} of {month}"
        return f"year ends on {where} (52/53 weeks){named}"

    def year_end(self, fy: int) -> dt.date:
        return _year_end(self, fy + self.named_by_start)

    def year_span(self, fy: int) -> tuple[dt.date, dt.date]:
        return self.year_end(fy - 1) + dt.timedelta(days=1), self.year_end(fy)

    def part(self, fy: int, index: int, size_months: int) -> tuple[dt.date, dt.date]:
        """The index-th (1-based) block of `size_months` months (3 = quarter, 6 = half) of fiscal year `fy`."""
        return _part(self, fy, index, size_months)

    def quarter(self, fy: int, q: int) -> tuple[dt.date, dt.date]:
        return self.part(fy, q, 3)

    def year_of(self, day: dt.date) -> int:
        """The fiscal year a day falls in."""
        fy = day.year
        while day > self.year_end(fy):
            fy += 1
        while fy > 1 and day <= self.year_end(fy - 1):
            fy -= 1
        return fy


CALENDAR_YEAR = FiscalCalendar()
# One calendar per month-end, made once: periods are resolved against a month number hundreds of thousands of times.
_MONTH_END = {month: FiscalCalendar(month) for month in range(1, 13)}


def parse_calendar(spec: object) -> FiscalCalendar:
    """A calendar from its vocabulary form: a month number, or 'last <weekday> of <month>'.

    Raises ValueError with the accepted forms when the spec is neither."""
    if isinstance(spec, FiscalCalendar):
        return spec
    if isinstance(spec, int) and not isinstance(spec, bool):
        if 1 <= spec <= 12:
            return _MONTH_END[spec]
        raise ValueError(f"{spec} is not a month: write a month number from 1 to 12 or 'last Sunday of January'")
    if isinstance(spec, str):
        text = spec.strip()
        if text.isdigit():
            return parse_calendar(int(text))
        m = _WEEKLY_SPEC.fullmatch(text)
        day = (m["day"] or m["near"]).lower() if m else ""
        if m and day in WEEKDAY_NAMES and m["month"].lower() in MONTH_NAMES:
            return FiscalCalendar(MONTH_NAMES[m["month"].lower()], WEEKDAY_NAMES[day], nearest=bool(m["near"]),
                                  named_by_start=bool(m["start"]))
    raise ValueError(f"{spec!r} is not a fiscal year end: write a month number (6), 'last Sunday of January' or "
                     "'Saturday nearest the end of January, named by its start year'")


def as_calendar(value: object) -> FiscalCalendar:
    """A calendar from a FiscalCalendar or a month number; anything unreadable is the calendar year."""
    if isinstance(value, FiscalCalendar):
        return value
    try:
        return parse_calendar(value)
    except ValueError:
        return CALENDAR_YEAR


@functools.lru_cache(maxsize=4096)
def _year_end(cal: FiscalCalendar, fy: int) -> dt.date:
    last = dt.date(fy, cal.end_month, calendar.monthrange(fy, cal.end_month)[1])
    if cal.end_weekday is None:
        return last
    back = (last.weekday() - cal.end_weekday) % 7
    if cal.nearest and back > 3:
        return last + dt.timedelta(days=7 - back)  # "Saturday nearest the end of January": 2025-02-01
    return last - dt.timedelta(days=back)


@functools.lru_cache(maxsize=4096)
def _part(cal: FiscalCalendar, fy: int, index: int, size_months: int) -> tuple[dt.date, dt.date]:
    start, end = cal.year_span(fy)
    if cal.end_weekday is None:
        first = _add_months(start, (index - 1) * size_months)
        after = _add_months(start, index * size_months)
        return first, after - dt.timedelta(days=1)
    weeks = 13 * size_months // 3
    first = start + dt.timedelta(weeks=weeks * (index - 1))
    last_part = index * size_months >= 12
    return first, end if last_part else first + dt.timedelta(weeks=weeks, days=-1)


def _add_months(day: dt.date, months: int) -> dt.date:
    total = day.year * 12 + day.month - 1 + months
    return dt.date(total // 12, total % 12 + 1, 1)
