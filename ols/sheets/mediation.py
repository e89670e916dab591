"""Mediation against the facts of the same place: when facts occur while no mediator is there.

Mediation's presence is what its partner reports (source kind ``mediation``: interventions, rounds, timed to
the minute) inside the sheet's place or sector. A fact "without a mediator" is a fact timed to the minute with
no mediation report there in the same local hour. Per block of three hours: the facts, those without a
mediator, and the hours in which mediation was present — all published through the audience.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, Integer, Select, and_, cast, exists, extract, func, select

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
class MediationTable:
    """Per block of hours: facts, facts with no mediator present, hours of mediation presence (published)."""

    blocks: list[str]
    facts: list[int | None]
    unattended: list[int | None]
    presence_hours: list[int | None]
    reported: bool  # whether mediation reported anything there in the period

    def counts(self) -> list[int | None]:
        """Every count of the table."""
        return [*self.facts, *self.unattended, *self.presence_hours]


def _mediation_sources() -> Select[Any]:
    return select(Source.id).where(Source.kind == "mediation")


def mediation_table(connection: Connection, subject: Subject, period: Period, audience: Audience) -> MediationTable:
    """The table of a sheet: facts and mediation's presence per block of hours of the period."""
    timezone = calendar_of(connection).timezone
    facts, mediation = Event.__table__.alias("e"), Event.__table__.alias("m")
    fact_hour, med_hour = (func.date_trunc("hour", local_time(t.c.occurred_at, timezone)) for t in (facts, mediation))
    mediation_there = and_(mediation.c.source_id.in_(_mediation_sources()), subject.holds(mediation),
                           mediation.c.time_precision == "minute",
                           in_period(mediation.c.occurred_at, period, timezone))  # fmt: skip
    block = cast(extract("hour", fact_hour), Integer) // BLOCK
    rows = connection.execute(
        select(block, func.count(), func.count().filter(~exists().where(mediation_there, med_hour == fact_hour)),
               cell_key(facts))
        .where(in_period(facts.c.occurred_at, audience.period(period), timezone), audience.facts(facts).clause,
               subject.holds(facts), counted(facts), facts.c.time_precision == "minute").group_by(block)
    ).all()  # fmt: skip
    med_block = cast(extract("hour", med_hour), Integer) // BLOCK
    present = dict(connection.execute(select(med_block, func.count(func.distinct(med_hour)))
                                      .where(mediation_there).group_by(med_block)).all())  # fmt: skip
    found = {int(r[0]): (int(r[1]), int(r[2]), int(r[3]) % KEY) for r in rows}
    n = 24 // BLOCK
    cells = [found.get(i, (0, 0, 0)) for i in range(n)]
    counts = [c[0] for c in cells] + [c[1] for c in cells] + [int(present.get(i, 0)) for i in range(n)]
    keys = [c[2] for c in cells] + [(c[2] * 3 + 1) % KEY for c in cells] + list(range(n))
    published = audience.publish(connection, counts, keys)
    return MediationTable([f"{i * BLOCK} h–{(i + 1) * BLOCK} h" for i in range(n)], published[:n],
                          published[n : 2 * n], published[2 * n :], bool(present))  # fmt: skip
