"""Periods of the observatory: semesters, months, ISO weeks, years, custom ranges, year-to-date.

One parser for every way a user names a period, with clear errors, and the comparisons the bilans
use: the previous period of the same kind and the same period last year. A period is a half-open
range of local dates ``[start, end)``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Literal

from ols.errors import InvalidInputError

Kind = Literal["semester", "month", "week", "year", "ytd", "range"]

SEMESTER = re.compile(r"^(\d{4})-S([12])$")
MONTH = re.compile(r"^(\d{4})-(\d{2})$")
WEEK = re.compile(r"^(\d{4})-W(\d{2})$")
YEAR = re.compile(r"^(\d{4})$")
YTD = re.compile(r"^(\d{4})-YTD(\d{2})$")
RANGE = re.compile(r"^(\d{4}-\d{2}-\d{2})\.\.(\d{4}-\d{2}-\d{2})$")
FORMS = "2024-S2, 2024-11, 2024-W48, 2024, 2024-YTD11 (11 premiers mois), 2024-01-01..2024-03-31"


class InvalidPeriod(InvalidInputError):
    """A period that cannot be read, or that does not exist (2024-S3, 2024-13, 2021-W53)."""


@dataclass(frozen=True, order=True)
class Period:
    """A named half-open range of local dates."""

    start: date
    end: date
    name: str
    kind: Kind

    @property
    def label(self) -> str:
        """French label for reports and legends."""
        months = ("janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août", "septembre", "octobre",
                  "novembre", "décembre")  # fmt: skip
        year = self.start.year
        labels = {
            "semester": f"{'1er' if self.start.month == 1 else '2e'} semestre {year}",
            "month": f"{months[self.start.month - 1]} {year}",
            "week": f"semaine {self.start.isocalendar().week} de {self.start.isocalendar().year}",
            "year": f"année {year}",
            "ytd": f"{(self.end - timedelta(days=1)).month} premiers mois de {year}",
        }
        last = self.end - timedelta(days=1)
        return labels.get(self.kind, f"du {self.start:%d/%m/%Y} au {last:%d/%m/%Y}")

    def days(self) -> int:
        """Length in days."""
        return (self.end - self.start).days

    def previous(self) -> Period:
        """The period of the same kind just before (previous semester, month, week...)."""
        if self.kind == "week":
            return week(self.start - timedelta(days=7))
        if self.kind == "semester":
            return parse_period(f"{self.start.year - 1}-S2" if self.start.month == 1 else f"{self.start.year}-S1")
        if self.kind == "month":
            first = (self.start - timedelta(days=1)).replace(day=1)
            return parse_period(f"{first:%Y-%m}")
        if self.kind in ("year", "ytd"):
            return self.last_year()
        return custom(self.start - timedelta(days=self.days()), self.start)

    def last_year(self) -> Period:
        """The same period one year earlier (for a week: the same ISO week number)."""
        if self.kind == "week":
            iso = self.start.isocalendar()
            return parse_period(f"{iso.year - 1}-W{min(iso.week, _weeks_in(iso.year - 1)):02d}")
        if self.kind == "range":
            return custom(_minus_year(self.start), _minus_year(self.end))
        return parse_period(self.name.replace(str(self.start.year), str(self.start.year - 1), 1))


def _minus_year(day: date) -> date:
    try:
        return day.replace(year=day.year - 1)
    except ValueError:
        return day.replace(year=day.year - 1, day=28)


def _weeks_in(year: int) -> int:
    return date(year, 12, 28).isocalendar().week


def week(day: date) -> Period:
    """The ISO week holding ``day``."""
    iso = day.isocalendar()
    start = day - timedelta(days=iso.weekday - 1)
    return Period(start, start + timedelta(days=7), f"{iso.year}-W{iso.week:02d}", "week")


def custom(start: date, end: date) -> Period:
    """A custom range ``[start, end)``."""
    if end <= start:
        msg = f"période vide : du {start} au {end}, la fin doit suivre le début"
        raise InvalidPeriod(msg)
    last = end - timedelta(days=1)
    return Period(start, end, f"{start.isoformat()}..{last.isoformat()}", "range")


def _month_start(year: int, month: int) -> date:
    return date(year + (month - 1) // 12, (month - 1) % 12 + 1, 1)


def parse_period(text: str) -> Period:
    """Read a period name; raise :class:`InvalidPeriod` saying which forms are accepted."""
    value = text.strip().upper()
    try:
        return _parse(value)
    except ValueError as error:
        msg = f"période invalide « {text} » : {error} ; formes acceptées : {FORMS}"
        raise InvalidPeriod(msg) from error


def _parse(value: str) -> Period:
    if match := SEMESTER.match(value):
        year, half = int(match[1]), int(match[2])
        return Period(date(year, 1 + 6 * (half - 1), 1), _month_start(year, 7 + 6 * (half - 1)), value, "semester")
    if match := MONTH.match(value):
        year, month = int(match[1]), int(match[2])
        if not 1 <= month <= 12:
            msg = f"le mois {month} n'existe pas"
            raise ValueError(msg)
        return Period(date(year, month, 1), _month_start(year, month + 1), value, "month")
    if match := WEEK.match(value):
        year, number = int(match[1]), int(match[2])
        if not 1 <= number <= _weeks_in(year):
            msg = f"{year} compte {_weeks_in(year)} semaines ISO"
            raise ValueError(msg)
        return week(date.fromisocalendar(year, number, 1))
    if match := YEAR.match(value):
        year = int(match[1])
        return Period(date(year, 1, 1), date(year + 1, 1, 1), value, "year")
    if match := YTD.match(value):
        year, month = int(match[1]), int(match[2])
        if not 1 <= month <= 12:
            msg = f"le mois {month} n'existe pas"
            raise ValueError(msg)
        return Period(date(year, 1, 1), _month_start(year, month + 1), value, "ytd")
    if match := RANGE.match(value):
        try:
            start, last = date.fromisoformat(match[1]), date.fromisoformat(match[2])
        except ValueError:
            msg = "une des deux dates n'existe pas"
            raise ValueError(msg) from None
        return custom(start, last + timedelta(days=1))
    msg = "forme inconnue"
    raise ValueError(msg)


def semesters_until(period: Period, count: int) -> list[Period]:
    """The ``count`` semesters ending with ``period`` (a semester), oldest first."""
    result = [period]
    while len(result) < count:
        result.insert(0, result[0].previous())
    return result
