"""The strategy's indicators: computed from the observatory, or entered by a partner, per period.

A computed indicator's ``spec`` says what it measures (``kind``, ``count`` when left out):

- ``count``: the facts of a set of ``categories`` in the observatory, a commune (``territory``), a sector or a
  declared ``zone`` over a period (merged signalements counted once, as every count of OLS);
- ``rate``: that count per 1 000 inhabitants of the commune ``territory`` (its population in the reference data);
- ``coverage``: the share (in %) of those facts within a camera's coverage (:func:`ols.coverage.shares.covered`);
- ``zones_leaving``: the computed zones of the previous period that leave vigilance in this one
  (:mod:`ols.cartography.comparison`), in the observatory or a commune or sector;
- ``csu``: a ``figure`` the CSU entered for the period (``hours``, ``interventions``, ``arrests``,
  ``requisitions``; :mod:`ols.coverage.csu`), all interveners or one ``intervener``, kept as entered by its author.

Each refresh recomputes the computed indicators for its period (:func:`compute_indicators`, called by
:mod:`ols.cartography.refresh`), and an edition freezes them with the rest of the period's cartography. A value
that cannot be known (no population, no fact, the previous period never computed, no CSU figure) is not stored.
An entered value keeps who entered it.
"""

from __future__ import annotations

import logging
from typing import Any, NamedTuple

from sqlalchemy import Connection, func, select
from sqlalchemy.dialects.postgresql import insert as upsert

from ols.access.audience import Audience
from ols.access.roles import Role
from ols.cartography.aggregates import in_period
from ols.cartography.comparison import comparison
from ols.coverage.csu import entries
from ols.coverage.shares import covered
from ols.errors import InvalidInputError, NotFoundError
from ols.merging import counted
from ols.periods import Period
from ols.reference.areas import Area
from ols.reference.calendar import calendar_of
from ols.store.models import Event, Indicator, IndicatorValue, Refresh, Territory, Zone

logger = logging.getLogger(__name__)
MEASURES = ("count", "rate", "coverage", "zones_leaving", "csu")
CSU_FIGURES = ("hours", "interventions", "arrests", "requisitions")
MEASURE_LABELS = {"count": "nombre de faits", "rate": "taux pour 1 000 habitants",
                  "coverage": "part des faits couverts par la vidéoprotection (%)",
                  "zones_leaving": "zones sortant de vigilance", "csu": "chiffre saisi par le CSU"}  # fmt: skip


class Computed(NamedTuple):
    """A computed value, the facts it rests on (what decides who receives it: ``Audience.indicator_value``) and who
    it comes from: the refresh, or the author of the figure it reads."""

    value: float
    basis: int | None
    provenance: str = "computed"
    by: str = "rafraîchissement"


def _zone_condition(connection: Connection, code: str) -> Any:
    geom = connection.execute(select(Zone.geom).where(Zone.kind == "declared", Zone.code == code)).scalar()
    if geom is None:
        raise NotFoundError(f"zone déclarée inconnue « {code} » dans la définition d'un indicateur")
    return func.ST_Within(Event.geom, select(Zone.geom).where(Zone.kind == "declared", Zone.code == code)
                          .limit(1).scalar_subquery())  # fmt: skip


def _area(spec: dict[str, Any]) -> Area:
    return Area(communes=tuple(filter(None, [spec.get("territory")])),
                sectors=tuple(filter(None, [spec.get("sector")])))  # fmt: skip


def _facts(connection: Connection, spec: dict[str, Any], period: Period) -> list[Any]:
    """The conditions on ``event`` rows of the facts a spec counts over ``period``."""
    conditions = [
        Event.category.in_(list(spec["categories"])),
        in_period(Event.occurred_at, period, calendar_of(connection).timezone),
        counted(Event.__table__, spec.get("measure", "facts")),
        _area(spec).facts(Event.__table__),
    ]
    if spec.get("zone"):
        conditions.append(_zone_condition(connection, spec["zone"]))
    return conditions


def _count(connection: Connection, spec: dict[str, Any], period: Period) -> int:
    return int(connection.execute(select(func.count()).select_from(Event).where(*_facts(connection, spec, period)))
               .scalar_one())  # fmt: skip


def _counted(connection: Connection, spec: dict[str, Any], period: Period) -> Computed:
    count = _count(connection, spec, period)
    return Computed(float(count), count)


def _rate(connection: Connection, spec: dict[str, Any], period: Period) -> Computed | None:
    population = connection.execute(select(Territory.population).where(Territory.code == spec["territory"])).scalar()
    if not population:
        logger.warning("taux de %s non calculé : population de %s inconnue", period.name, spec["territory"])
        return None
    count = _count(connection, spec, period)
    return Computed(count * 1000 / population, count)


def _coverage(connection: Connection, spec: dict[str, Any], period: Period) -> Computed | None:
    """The covered share; it rests on its smaller non-empty side (2 facts outside of 500 are as telling as 2
    inside)."""
    is_covered = covered(Event.__table__, period)
    query = select(func.count(), func.count().filter(is_covered)).select_from(Event)
    total, inside = connection.execute(query.where(*_facts(connection, spec, period))).one()
    if not total:
        return None
    return Computed(100 * inside / total, min(side for side in (inside, total - inside) if side))


def _zones_leaving(connection: Connection, spec: dict[str, Any], period: Period) -> Computed | None:
    both = [period.name, period.previous().name]
    if connection.execute(select(func.count()).select_from(Refresh).where(Refresh.period.in_(both))).scalar_one() < 2:
        return None
    changes = comparison(connection, period, Audience("indicateurs", Role.COORDINATOR), _area(spec))
    return Computed(float(len(changes["leaving"])), None)


def _csu(connection: Connection, spec: dict[str, Any], period: Period) -> Computed | None:
    rows = [row for row in entries(connection, period.name) if row[spec["figure"]] is not None]
    chosen = [row for row in rows if row["intervener"] == spec.get("intervener", "")]
    if not chosen and "intervener" not in spec:
        chosen = rows
    if not chosen:
        return None
    authors = sorted({f"{row['entered_by']} (CSU : {row['provenance']})" for row in chosen})
    return Computed(float(sum(row[spec["figure"]] for row in chosen)), None, "entered", ", ".join(authors))


def computed_value(connection: Connection, spec: dict[str, Any], period: Period) -> Computed | None:
    """The value a computed indicator's ``spec`` gives over ``period`` (None when it cannot be known)."""
    measures = {"count": _counted, "rate": _rate, "coverage": _coverage, "zones_leaving": _zones_leaving, "csu": _csu}
    return measures[spec.get("kind", "count")](connection, spec, period)


def _store(connection: Connection, indicator_id: int, period: str, computed: Computed) -> None:
    values = {"value": computed.value, "provenance": computed.provenance, "basis": computed.basis,
              "recorded_by": computed.by}  # fmt: skip
    connection.execute(upsert(IndicatorValue).values(indicator_id=indicator_id, period=period, **values)
                       .on_conflict_do_update(index_elements=["indicator_id", "period"],
                                              set_=values | {"recorded_at": func.now()}))  # fmt: skip


def compute_indicators(connection: Connection, period: Period) -> dict[str, float]:
    """Recompute every computed indicator for ``period``; return the values known, by code."""
    rows = connection.execute(
        select(Indicator.id, Indicator.code, Indicator.spec).where(Indicator.source == "computed")
    )
    values = {}
    for row in rows.all():
        computed = computed_value(connection, row.spec, period)
        if computed is not None:
            values[row.code] = computed.value
            _store(connection, row.id, period.name, computed)
    if values:
        logger.info("indicateurs calculés de %s : %d", period.name, len(values))
    return values


def enter_value(connection: Connection, code: str, period: Period, value: float, audience: Audience) -> None:
    """Record a value of an entered indicator for ``period``, with who entered it (the audience decides who may)."""
    audience.require_strategy_edit()
    row = connection.execute(select(Indicator.id, Indicator.source).where(Indicator.code == code)).one_or_none()
    if row is None:
        raise NotFoundError(f"indicateur inconnu « {code} »")
    if row.source != "entered":
        raise InvalidInputError(f"l'indicateur {code} est calculé par l'observatoire : il ne se saisit pas")
    if value < 0:
        raise InvalidInputError("une valeur d'indicateur est positive ou nulle")
    _store(connection, row.id, period.name, Computed(value, None, "entered", audience.name))
    logger.info("valeur de %s pour %s saisie par %s", code, period.name, audience.name)


def period_values(connection: Connection, period: Period) -> dict[str, dict[str, Any]]:
    """Every indicator's value for ``period`` with its provenance (what an edition freezes)."""
    rows = connection.execute(
        select(Indicator.code, IndicatorValue.value, IndicatorValue.provenance, IndicatorValue.recorded_by)
        .join(IndicatorValue, IndicatorValue.indicator_id == Indicator.id)
        .where(IndicatorValue.period == period.name).order_by(Indicator.code)
    )  # fmt: skip
    return {row.code: {"value": row.value, "provenance": row.provenance, "by": row.recorded_by} for row in rows}
