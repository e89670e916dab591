"""The strategy's indicators: computed from the observatory's facts, or entered by a partner, per period.

A computed indicator counts the facts of a set of categories in the observatory, a commune, a sector or a
declared zone over a period (merged signalements counted once, as every count of OLS). Each refresh recomputes
the computed indicators for its period (:func:`compute_indicators`, called by :mod:`ols.cartography.refresh`),
and an edition freezes them with the rest of the period's cartography. An entered value keeps who entered it.
"""

from __future__ import annotations

import logging
from typing import Any

from sqlalchemy import Connection, func, select
from sqlalchemy.dialects.postgresql import insert as upsert

from ols.cartography.aggregates import in_period
from ols.errors import InvalidInputError, NotFoundError
from ols.merging import counted
from ols.periods import Period
from ols.reference.areas import Area
from ols.reference.calendar import calendar_of
from ols.store.models import Event, Indicator, IndicatorValue, Zone

logger = logging.getLogger(__name__)


def _zone_condition(connection: Connection, code: str) -> Any:
    geom = connection.execute(select(Zone.geom).where(Zone.kind == "declared", Zone.code == code)).scalar()
    if geom is None:
        raise NotFoundError(f"zone déclarée inconnue « {code} » dans la définition d'un indicateur")
    return func.ST_Within(Event.geom, select(Zone.geom).where(Zone.kind == "declared", Zone.code == code)
                          .limit(1).scalar_subquery())  # fmt: skip


def computed_value(connection: Connection, spec: dict[str, Any], period: Period) -> int:
    """The count a computed indicator's ``spec`` gives over ``period``."""
    area = Area(
        communes=tuple(filter(None, [spec.get("territory")])), sectors=tuple(filter(None, [spec.get("sector")]))
    )
    conditions = [
        Event.category.in_(list(spec["categories"])),
        in_period(Event.occurred_at, period, calendar_of(connection).timezone),
        counted(Event.__table__, spec.get("measure", "facts")),
        area.facts(Event.__table__),
    ]
    if spec.get("zone"):
        conditions.append(_zone_condition(connection, spec["zone"]))
    return int(connection.execute(select(func.count()).select_from(Event).where(*conditions)).scalar_one())


def _store(connection: Connection, indicator_id: int, period: str, value: float, provenance: str, by: str) -> None:
    values = {"indicator_id": indicator_id, "period": period, "value": value, "provenance": provenance,
              "recorded_by": by}  # fmt: skip
    connection.execute(upsert(IndicatorValue).values(**values).on_conflict_do_update(
        index_elements=["indicator_id", "period"],
        set_={"value": value, "provenance": provenance, "recorded_by": by, "recorded_at": func.now()}))  # fmt: skip


def compute_indicators(connection: Connection, period: Period) -> dict[str, int]:
    """Recompute every computed indicator for ``period``; return their values by code."""
    rows = connection.execute(
        select(Indicator.id, Indicator.code, Indicator.spec).where(Indicator.source == "computed")
    )
    values = {}
    for row in rows.all():
        values[row.code] = computed_value(connection, row.spec, period)
        _store(connection, row.id, period.name, values[row.code], "computed", "rafraîchissement")
    if values:
        logger.info("indicateurs calculés de %s : %d", period.name, len(values))
    return values


def enter_value(connection: Connection, code: str, period: Period, value: float, *, by: str) -> None:
    """Record a partner's value of an entered indicator for ``period``, with who entered it."""
    row = connection.execute(select(Indicator.id, Indicator.source).where(Indicator.code == code)).one_or_none()
    if row is None:
        raise NotFoundError(f"indicateur inconnu « {code} »")
    if row.source != "entered":
        raise InvalidInputError(f"l'indicateur {code} est calculé par l'observatoire : il ne se saisit pas")
    if value < 0:
        raise InvalidInputError("une valeur d'indicateur est positive ou nulle")
    _store(connection, row.id, period.name, value, "entered", by)
    logger.info("valeur de %s pour %s saisie par %s", code, period.name, by)


def period_values(connection: Connection, period: Period) -> dict[str, dict[str, Any]]:
    """Every indicator's value for ``period`` with its provenance (what an edition freezes)."""
    rows = connection.execute(
        select(Indicator.code, IndicatorValue.value, IndicatorValue.provenance, IndicatorValue.recorded_by)
        .join(IndicatorValue, IndicatorValue.indicator_id == Indicator.id)
        .where(IndicatorValue.period == period.name).order_by(Indicator.code)
    )  # fmt: skip
    return {row.code: {"value": row.value, "provenance": row.provenance, "by": row.recorded_by} for row in rows}
