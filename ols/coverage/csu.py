"""The CSU's own activity and utility indicators, entered per period with their provenance.

Figures the centre de supervision urbain keeps itself (hours of supervision, interventions it requested, by
intervener, arrests in the act, réquisitions judiciaires of its images) do not come from any partner file:
its operator enters them, saying where they come from. The tableau de bord reads them from here.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from sqlalchemy import Connection, select
from sqlalchemy.dialects.postgresql import insert

from ols.errors import InvalidInputError
from ols.periods import parse_period
from ols.store.models import CsuActivity


@dataclass(frozen=True)
class CsuEntry:
    """One period's figures for one intervener ('' : all interveners together)."""

    period: str
    provenance: str
    intervener: str = ""
    hours: float | None = None
    interventions: int | None = None
    arrests: int | None = None
    requisitions: int | None = None


def enter(connection: Connection, entry: CsuEntry, author: str) -> None:
    """Record (or correct) the figures of a period and intervener; a negative figure or no provenance is refused."""
    parse_period(entry.period)
    if not entry.provenance.strip():
        msg = "indiquez la provenance des chiffres du CSU (registre, logiciel, rapport d'activité...)"
        raise InvalidInputError(msg)
    figures = {k: v for k, v in asdict(entry).items() if k in ("hours", "interventions", "arrests", "requisitions")}
    if any(value is not None and value < 0 for value in figures.values()):
        msg = "les chiffres du CSU ne peuvent pas être négatifs"
        raise InvalidInputError(msg)
    statement = insert(CsuActivity).values(**asdict(entry), entered_by=author)
    connection.execute(statement.on_conflict_do_update(
        index_elements=["period", "intervener"],
        set_={**figures, "provenance": entry.provenance, "entered_by": author}))  # fmt: skip


def entries(connection: Connection, period: str) -> list[dict[str, Any]]:
    """The figures entered for a period, one row per intervener."""
    rows = connection.execute(
        select(CsuActivity.intervener, CsuActivity.hours, CsuActivity.interventions, CsuActivity.arrests,
               CsuActivity.requisitions, CsuActivity.provenance, CsuActivity.entered_by)
        .where(CsuActivity.period == period).order_by(CsuActivity.intervener)
    ).all()  # fmt: skip
    return [row._asdict() for row in rows]
