"""What a sheet holds, gathered once and already cut for its reader.

Every count goes through :meth:`Audience.publish` (an élu's or a partner's sheet shows no count below the
threshold, rounded counts above it), the facts through :meth:`Audience.facts` (no sensitive category for
them), the hour grid at :attr:`Audience.sheet_hours` hours per column and deal points only where
:meth:`Audience.may` allows them: the sheet's code decides nothing about who sees what. The words about
sensitive periods are computed from the published counts, so they say nothing the grid does not.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import numpy as np
from sqlalchemy import Connection, Date, Integer, cast, extract, func, select

from ols.access.audience import Audience
from ols.access.disclosure import cell_key
from ols.access.roles import Layer
from ols.analysis.profiles import WEEKDAYS
from ols.cartography.aggregates import in_period, local_time
from ols.coverage.cameras import caveat
from ols.coverage.shares import active, covered
from ols.errors import UnsupportedHolidayError
from ols.holidays import school_holidays
from ols.merging import counted
from ols.nomenclature import FAMILY_BY_CODE
from ols.periods import Period, parse_period, semesters_until
from ols.reference.calendar import calendar_of
from ols.sheets import ambiance, hooks
from ols.sheets.mediation import MediationTable, mediation_table
from ols.sheets.subject import Subject
from ols.store.models import Camera, DealPoint, Event, Source
from ols.wording import number, percent

SEMESTERS = 4
SLOT = 3  # hours of the busiest slot named in words
KEY = 1 << 32


@dataclass
class Sheet:
    """The content of one sheet, cut for its reader (counts ``None``: below the threshold)."""

    subject: Subject
    period: Period
    audience: Audience
    families: list[dict[str, Any]] = field(default_factory=list)  # family label, count per semester
    semesters: list[str] = field(default_factory=list)
    grid: list[list[int | None]] = field(default_factory=list)  # weekday × hour block
    hour_blocks: list[str] = field(default_factory=list)
    periods_in_words: list[str] = field(default_factory=list)
    partners: list[dict[str, Any]] = field(default_factory=list)
    cameras: list[str] = field(default_factory=list)
    covered: dict[str, Any] = field(default_factory=dict)
    deal_points: int | None = None  # None: not shown to this reader
    mediation: MediationTable | None = None
    decisions: list[dict[str, Any]] = field(default_factory=list)
    indicators: list[dict[str, Any]] = field(default_factory=list)
    ambiance: list[dict[str, Any]] = field(default_factory=list)
    caveats: list[str] = field(default_factory=list)

    def counts(self) -> list[int | None]:
        """Every count the sheet shows, for the checks of what a reader receives."""
        values: list[int | None] = [c for row in self.grid for c in row]
        values += [n for family in self.families for n in family["counts"]]
        values += [p["count"] for p in self.partners] + [self.covered.get("covered"), self.covered.get("total")]
        return values + (self.mediation.counts() if self.mediation else [])


def _scope(subject: Subject, period: Period, audience: Audience, timezone: str) -> list[Any]:
    events = Event.__table__
    return [in_period(events.c.occurred_at, audience.period(period), timezone), audience.facts(events).clause,
            subject.holds(events), counted(events)]  # fmt: skip


def _publish(connection: Connection, audience: Audience, counts: list[int], keys: list[int]) -> list[int | None]:
    return audience.publish(connection, counts, [int(k) % KEY for k in keys])


def family_rows(connection: Connection, subject: Subject, semesters: list[Period], audience: Audience,
                timezone: str) -> list[dict[str, Any]]:  # fmt: skip
    """Facts per family and semester (oldest first), published."""
    found: dict[str, dict[str, tuple[int, int]]] = {}
    for semester in semesters:
        rows = connection.execute(
            select(Event.family, func.count(), cell_key(Event.__table__))
            .where(*_scope(subject, semester, audience, timezone))
            .group_by(Event.family)
        ).all()
        for family, count, key in rows:
            found.setdefault(family, {})[semester.name] = (int(count), int(key))
    result = []
    for family in sorted(found, key=lambda f: list(FAMILY_BY_CODE).index(f) if f in FAMILY_BY_CODE else 99):
        cells = [found[family].get(s.name, (0, 0)) for s in semesters]
        counts = _publish(connection, audience, [c for c, _ in cells], [k for _, k in cells])
        label = FAMILY_BY_CODE[family].label if family in FAMILY_BY_CODE else family
        result.append({"family": family, "label": label, "counts": counts})
    return result


def hour_grid(connection: Connection, subject: Subject, period: Period, audience: Audience, timezone: str
              ) -> tuple[list[list[int | None]], list[str]]:  # fmt: skip
    """Facts timed to the minute per weekday and block of hours (the audience's width), published."""
    local = local_time(Event.occurred_at, timezone)
    weekday, hour = cast(extract("isodow", local), Integer), cast(extract("hour", local), Integer)
    rows = connection.execute(select(weekday, hour, func.count(), cell_key(Event.__table__))
                              .where(*_scope(subject, period, audience, timezone), Event.time_precision == "minute")
                              .group_by(weekday, hour)).all()  # fmt: skip
    step = audience.sheet_hours
    counts, keys = np.zeros((7, 24 // step), dtype=np.int64), np.zeros((7, 24 // step), dtype=object)
    for day, at, count, key in rows:
        counts[day - 1, at // step] += count
        keys[day - 1, at // step] += int(key)
    flat = _publish(connection, audience, counts.ravel().tolist(), keys.ravel().tolist())
    grid = [flat[i * (24 // step) : (i + 1) * (24 // step)] for i in range(7)]
    return grid, [f"{h} h–{h + step} h" if step > 1 else str(h) for h in range(0, 24, step)]


def _share(part: int, whole: int) -> str:
    return percent(100 * part / whole, 0) if whole else "—"


def in_words(grid: list[list[int | None]], step: int) -> list[str]:
    """The sensitive periods in words, from the published grid: evenings, nights, weekends, the busiest slot."""
    values = np.array([[c or 0 for c in row] for row in grid], dtype=np.int64)
    total = int(values.sum())
    if not total:
        return ["Trop peu de faits datés à l'heure près pour dégager des périodes sensibles."]
    evening, night = int(values[:, 18 // step :].sum()), int(values[:, : 6 // step].sum())
    weekend = int(values[5:, :].sum())
    return [f"Le soir (18 h–minuit) : {_share(evening, total)} des faits datés à l'heure près ; la nuit (minuit–6 h) : "
            f"{_share(night, total)}.",
            f"Le week-end (samedi et dimanche, 2 jours sur 7) : {_share(weekend, total)} des faits.",
            f"Créneau le plus chargé : {busiest(grid, step)}."]  # fmt: skip


def busiest(grid: list[list[int | None]], step: int) -> str | None:
    """The busiest slot of a published grid in words (« le vendredi entre 18 h et 21 h »), None when empty."""
    values = np.array([[c or 0 for c in row] for row in grid], dtype=np.int64)
    if not values.sum():
        return None
    if step < SLOT:  # read in slots of three hours at least: an hour's peak is mostly noise
        values, step = values.reshape(7, 24 // SLOT, SLOT // step).sum(axis=2), SLOT
    day, block = np.unravel_index(int(values.argmax()), values.shape)
    return f"le {WEEKDAYS[day]} entre {block * step} h et {(block + 1) * step} h"


def holiday_words(connection: Connection, subject: Subject, period: Period, audience: Audience) -> str:
    """Facts per day during the school holidays and during school days, from published counts."""
    calendar = calendar_of(connection)
    local_day = cast(local_time(Event.occurred_at, calendar.timezone), Date)
    rows = connection.execute(select(local_day, func.count(), cell_key(Event.__table__))
                              .where(*_scope(subject, period, audience, calendar.timezone),
                                     Event.time_precision != "month").group_by(local_day)).all()  # fmt: skip
    days = [period.start + timedelta(days=i) for i in range(period.days())]
    try:
        holiday = school_holidays(days, calendar.holiday_zone)
    except UnsupportedHolidayError as error:
        return f"Vacances scolaires : comparaison impossible ({error})."
    sums = {True: [0, 0], False: [0, 0]}
    for day, count, key in rows:
        sums[holiday[day]][0] += int(count)
        sums[holiday[day]][1] += int(key)
    during, outside = _publish(connection, audience, [sums[True][0], sums[False][0]], [sums[True][1], sums[False][1]])
    n_during = sum(holiday.values())
    rate = [None if c is None or not n else c / n for c, n in ((during, n_during), (outside, len(days) - n_during))]
    if None in rate:
        return "Vacances scolaires : trop peu de faits pour comparer vacances et période scolaire."
    return (f"Vacances scolaires : {number(rate[0], 1)} faits par jour, contre {number(rate[1], 1)} en période "
            f"scolaire ({n_during} jours de vacances sur {len(days)}).")  # fmt: skip


def partner_rows(connection: Connection, subject: Subject, period: Period, audience: Audience, timezone: str
                 ) -> list[dict[str, Any]]:  # fmt: skip
    """The partners that report there (facts and activity), with their published counts."""
    events = Event.__table__
    scope = [in_period(events.c.occurred_at, audience.period(period), timezone), audience.facts(events).clause,
             subject.holds(events)]  # fmt: skip
    rows = connection.execute(select(Source.name, Event.measure, func.count(), cell_key(events))
                              .join(Source, Source.id == Event.source_id).where(*scope)
                              .group_by(Source.name, Event.measure).order_by(Source.name)).all()  # fmt: skip
    counts = _publish(connection, audience, [int(r[2]) for r in rows], [int(r[3]) for r in rows])
    return [{"source": name, "measure": "activité" if measure == "activity" else "faits", "count": count}
            for (name, measure, _, _), count in zip(rows, counts, strict=True)]  # fmt: skip


def camera_part(connection: Connection, subject: Subject, period: Period, audience: Audience, timezone: str
                ) -> tuple[list[str], dict[str, Any]]:  # fmt: skip
    """The cameras watching the subject in the period, and how many of its facts they cover (published)."""
    names = connection.execute(select(Camera.name).where(active(period), func.ST_Intersects(
        Camera.coverage, subject.geometry())).order_by(Camera.name)).scalars().all()  # fmt: skip
    events = Event.__table__
    total, inside = connection.execute(select(func.count(), func.count().filter(covered(events, period)))
                                       .where(*_scope(subject, period, audience, timezone))).one()  # fmt: skip
    published = _publish(connection, audience, [int(inside), int(total)], [int(inside) + 11, int(total) + 13])
    return list(names), {"covered": published[0], "total": published[1]}


def deal_points(connection: Connection, subject: Subject, audience: Audience) -> int | None:
    """Active deal points in the subject, for the readers who may see them (None for the others)."""
    if not audience.may(Layer.DEAL_POINTS):
        return None
    return int(connection.execute(select(func.count()).select_from(DealPoint).where(
        DealPoint.status == "actif", func.ST_Intersects(subject.geometry(), DealPoint.geom))).scalar_one())  # fmt: skip


def build_sheet(connection: Connection, subject: Subject, period_name: str, audience: Audience) -> Sheet:
    """The content of a sheet of ``subject`` for ``period_name``, cut for ``audience``."""
    audience.require(Layer.SHEETS)
    period = audience.period(parse_period(period_name))
    timezone = calendar_of(connection).timezone
    last = period if period.kind == "semester" else parse_period(f"{period.start.year}-S{1 + (period.start.month > 6)}")
    semesters = semesters_until(last, SEMESTERS)
    sheet = Sheet(subject, period, audience, semesters=[s.label for s in semesters])
    sheet.families = family_rows(connection, subject, semesters, audience, timezone)
    sheet.grid, sheet.hour_blocks = hour_grid(connection, subject, period, audience, timezone)
    sheet.periods_in_words = [*in_words(sheet.grid, audience.sheet_hours),
                              holiday_words(connection, subject, period, audience)]  # fmt: skip
    sheet.partners = partner_rows(connection, subject, period, audience, timezone)
    sheet.cameras, sheet.covered = camera_part(connection, subject, period, audience, timezone)
    sheet.deal_points = deal_points(connection, subject, audience)
    sheet.mediation = mediation_table(connection, subject, period, audience)
    sheet.decisions = hooks.open_decisions(connection, subject, audience)
    sheet.indicators = hooks.indicators(connection, subject, period, audience)
    sheet.ambiance = ambiance.entries(connection, subject, period.name)
    sheet.caveats = [caveat(connection)] if sheet.cameras else []
    return sheet
