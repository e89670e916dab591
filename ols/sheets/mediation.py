"""Mediation against the facts of the same place: when facts occur while no mediator is there.

Mediation's presence is what its partner reports (source kind ``mediation``: interventions, rounds, timed to
the minute) inside the sheet's place or sector. A fact "without a mediator" is a fact timed to the minute with
no mediation report there in the same local hour. Per block of three hours: the facts, those without a
mediator, and the hours in which mediation was present — all published through the audience.

For the sheet's map the same is told by place: per H3 cell of the reader's resolution (:meth:`Audience.resolution`,
coarser for an élu), the hours mediation was there and when most often, and the facts that occurred there
without a mediator, published like every count (a cell whose count is hidden is not drawn).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import h3
from sqlalchemy import ColumnElement, Connection, Integer, Select, and_, cast, exists, extract, func, select
from sqlalchemy.sql import FromClause

from ols.access.audience import Audience
from ols.access.disclosure import cell_key
from ols.cartography.aggregates import in_period, local_time
from ols.merging import counted
from ols.periods import Period
from ols.reference.calendar import calendar_of
from ols.sheets.subject import Subject
from ols.store.models import Event, Source

BLOCK = 3
KEY = 1 << 32


@dataclass(frozen=True)
class MediationPlace:
    """One cell of the map: mediation's hours of presence there and its usual block, the facts without a mediator."""

    cell: str
    lon: float
    lat: float
    presence_hours: int | None
    usual_block: str | None  # the block of hours mediation is there most often (None: absent or hidden)
    unattended: int | None


@dataclass(frozen=True)
class MediationTable:
    """Per block of hours: facts, facts with no mediator present, hours of mediation presence (published)."""

    blocks: list[str]
    facts: list[int | None]
    unattended: list[int | None]
    presence_hours: list[int | None]
    reported: bool  # whether mediation reported anything there in the period
    places: list[MediationPlace]

    def counts(self) -> list[int | None]:
        """Every count of the table and of its places."""
        by_place = [n for p in self.places for n in (p.presence_hours, p.unattended)]
        return [*self.facts, *self.unattended, *self.presence_hours, *by_place]


def _mediation_sources() -> Select[Any]:
    return select(Source.id).where(Source.kind == "mediation")


@dataclass(frozen=True)
class _Sides:
    """The facts and mediation's reports of a sheet's subject and period, with their local hours."""

    facts: FromClause
    mediation: FromClause
    fact_hour: ColumnElement[Any]
    med_hour: ColumnElement[Any]
    mediation_there: ColumnElement[bool]
    facts_there: list[ColumnElement[bool]]

    @property
    def unattended(self) -> ColumnElement[bool]:
        """Whether a fact occurred in an hour when no mediation report was made in the subject."""
        return ~exists().where(self.mediation_there, self.med_hour == self.fact_hour)


def _sides(connection: Connection, subject: Subject, period: Period, audience: Audience) -> _Sides:
    timezone = calendar_of(connection).timezone
    facts, mediation = Event.__table__.alias("e"), Event.__table__.alias("m")
    fact_hour, med_hour = (func.date_trunc("hour", local_time(t.c.occurred_at, timezone)) for t in (facts, mediation))
    mediation_there = and_(mediation.c.source_id.in_(_mediation_sources()), subject.holds(mediation),
                           mediation.c.time_precision == "minute",
                           in_period(mediation.c.occurred_at, period, timezone))  # fmt: skip
    facts_there = [in_period(facts.c.occurred_at, audience.period(period), timezone), audience.facts(facts).clause,
                   subject.holds(facts), counted(facts), facts.c.time_precision == "minute"]  # fmt: skip
    return _Sides(facts, mediation, fact_hour, med_hour, mediation_there, facts_there)


def _label(block: int) -> str:
    return f"{block * BLOCK} h–{(block + 1) * BLOCK} h"


def mediation_places(connection: Connection, sides: _Sides, audience: Audience) -> list[MediationPlace]:
    """Per cell of the reader's resolution: mediation's hours there and usual block, the facts without a
    mediator (published; cells where nothing is left to show once published are left out)."""
    resolution = audience.resolution()
    fact_cell, med_cell = sides.facts.c[f"h3_r{resolution}"], sides.mediation.c[f"h3_r{resolution}"]
    unattended = {int(cell): (int(n), int(key) % KEY) for cell, n, key in connection.execute(
        select(fact_cell, func.count(), cell_key(sides.facts)).where(*sides.facts_there, sides.unattended)
        .group_by(fact_cell))}  # fmt: skip
    med_block = cast(extract("hour", sides.med_hour), Integer) // BLOCK
    hours: dict[int, dict[int, int]] = {}
    for cell, block, n in connection.execute(select(med_cell, med_block, func.count(func.distinct(sides.med_hour)))
                                             .where(sides.mediation_there).group_by(med_cell, med_block)):  # fmt: skip
        hours.setdefault(int(cell), {})[int(block)] = int(n)
    cells = sorted(set(unattended) | set(hours))
    counts = [sum(hours.get(c, {}).values()) for c in cells] + [unattended.get(c, (0, 0))[0] for c in cells]
    keys = [c % KEY for c in cells] + [unattended.get(c, (0, c % KEY))[1] for c in cells]
    published = audience.publish(connection, counts, keys)
    places = []
    for cell, present, facts in zip(cells, published[: len(cells)], published[len(cells) :], strict=True):
        if present is None and facts is None:
            continue
        lat, lon = h3.cell_to_latlng(h3.int_to_str(cell))
        usual = max(hours[cell], key=lambda b: hours[cell][b]) if present and cell in hours else None
        places.append(MediationPlace(h3.int_to_str(cell), round(lon, 6), round(lat, 6), present,
                                     None if usual is None else _label(usual), facts))  # fmt: skip
    return places


def mediation_table(connection: Connection, subject: Subject, period: Period, audience: Audience) -> MediationTable:
    """The table of a sheet: facts and mediation's presence per block of hours of the period, and by place."""
    sides = _sides(connection, subject, period, audience)
    block = cast(extract("hour", sides.fact_hour), Integer) // BLOCK
    rows = connection.execute(
        select(block, func.count(), func.count().filter(sides.unattended), cell_key(sides.facts))
        .where(*sides.facts_there).group_by(block)
    ).all()  # fmt: skip
    med_block = cast(extract("hour", sides.med_hour), Integer) // BLOCK
    present = dict(connection.execute(select(med_block, func.count(func.distinct(sides.med_hour)))
                                      .where(sides.mediation_there).group_by(med_block)).all())  # fmt: skip
    found = {int(r[0]): (int(r[1]), int(r[2]), int(r[3]) % KEY) for r in rows}
    n = 24 // BLOCK
    cells = [found.get(i, (0, 0, 0)) for i in range(n)]
    counts = [c[0] for c in cells] + [c[1] for c in cells] + [int(present.get(i, 0)) for i in range(n)]
    keys = [c[2] for c in cells] + [(c[2] * 3 + 1) % KEY for c in cells] + list(range(n))
    published = audience.publish(connection, counts, keys)
    return MediationTable([_label(i) for i in range(n)], published[:n], published[n : 2 * n], published[2 * n :],
                          bool(present), mediation_places(connection, sides, audience))  # fmt: skip
