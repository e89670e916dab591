"""The semester: refreshed periods, a refresh or a publication as a background job, the editions compared.

Every route needs ``Layer.MANAGE``. The refresh and the publication are those of ``ols refresh`` and
``ols editions publish`` (:func:`ols.cartography.refresh.refresh`, :func:`ols.cartography.editions.publish`).
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path
from sqlalchemy import Connection, Engine, select

from api.deps import CurrentManager, EngineDep
from api.routers.jobs import Jobs
from api.schemas import ERRORS, PERIOD_PATTERN
from ols.cartography.comparison import comparison
from ols.cartography.editions import publish
from ols.cartography.layers import refresh_record
from ols.cartography.refresh import refresh
from ols.jobs import Progress
from ols.periods import Period, parse_period
from ols.store.models import Edition, Refresh

router = APIRouter(responses=ERRORS, tags=["semester"])
COMPARED = ("entering", "leaving", "continuing", "declared_not_hot", "hot_outside_declared")
PeriodName = Annotated[str, Path(pattern=PERIOD_PATTERN)]


def _editions(connection: Connection) -> dict[str, dict[str, Any]]:
    rows = connection.execute(select(Edition.period, Edition.published_at, Edition.published_by, Edition.content))
    return {row.period: _edition_counts(row) for row in rows}


def _edition_counts(row: Any) -> dict[str, Any]:
    """An edition in a few comparable numbers: facts, zones, hot-spot cells, zones entering and leaving."""
    content, compared = row.content, row.content.get("comparison", {})
    return {"period": row.period, "label": parse_period(row.period).label, "published_at": row.published_at.isoformat(),
            "published_by": row.published_by, "events": content.get("summary", {}).get("events"),
            "zones": len(content.get("zones", {}).get("features", [])),
            "hotspot_cells": len(content.get("hotspots", {}).get("features", [])),
            **{name: len(compared.get(name, [])) for name in COMPARED}}  # fmt: skip


@router.get("/semester")
def semesters(engine: EngineDep, manager: CurrentManager) -> list[dict[str, Any]]:
    """The refreshed periods, newest first: when, stale or not (a batch undone since), facts, zones, edition."""
    with engine.connect() as connection:
        rows = connection.execute(select(Refresh.period, Refresh.refreshed_at, Refresh.stale, Refresh.summary)).all()
        editions = _editions(connection)
    shown = [{"period": row.period, "label": parse_period(row.period).label,
              "refreshed_at": row.refreshed_at.isoformat(), "stale": row.stale, "events": row.summary.get("events"),
              "zones": len(row.summary.get("zones", [])), "edition": editions.get(row.period)}
             for row in rows]  # fmt: skip
    return sorted(shown, key=lambda item: parse_period(item["period"]).end, reverse=True)


@router.get("/semester/{period}")
def semester(period: PeriodName, engine: EngineDep, manager: CurrentManager) -> dict[str, Any]:
    """A period's last refresh summary and the preview of its edition: zones compared, as the cellule will see."""
    chosen = parse_period(period)
    with engine.connect() as connection:
        record = refresh_record(connection, chosen)
        stale = connection.execute(select(Refresh.stale).where(Refresh.period == chosen.name)).scalar()
        compared = comparison(connection, chosen, manager)
        edition = _editions(connection).get(chosen.name)
    return {"summary": record, "stale": bool(stale), "comparison": compared, "edition": edition,
            "map": f"/?period={chosen.name}"}  # fmt: skip


def _refresh_work(period: Period) -> Any:
    def work(engine: Engine, progress: Progress) -> dict[str, Any]:
        progress(0.05, f"Rafraîchissement de {period.label} : agrégats, points chauds, tendances, zones")
        return dict(refresh(engine, period))

    return work


def _publish_work(period: Period, by: str) -> Any:
    def work(engine: Engine, progress: Progress) -> dict[str, Any]:
        progress(0.1, f"Publication de l'édition {period.label}")
        with engine.begin() as connection:
            edition_id = publish(connection, period, by=by)
        return {"edition": edition_id, "period": period.name}

    return work


@router.post("/semester/{period}/refresh", status_code=202)
def semester_refresh(period: PeriodName, manager: CurrentManager, jobs: Jobs) -> dict[str, Any]:
    """Refresh the period as a background job; its id, to be followed at ``/jobs/{id}``."""
    chosen = parse_period(period)
    return {"job": jobs.start("refresh", by=manager.name, work=_refresh_work(chosen))}


@router.post("/semester/{period}/publish", status_code=202)
def semester_publish(period: PeriodName, manager: CurrentManager, jobs: Jobs) -> dict[str, Any]:
    """Publish the period's edition (frozen, never overwritten) as a background job."""
    chosen = parse_period(period)
    return {"job": jobs.start("publish", by=manager.name, work=_publish_work(chosen, manager.name))}


@router.get("/editions")
def editions(engine: EngineDep, manager: CurrentManager) -> list[dict[str, Any]]:
    """The published editions, newest first, each in a few numbers to compare them."""
    with engine.connect() as connection:
        found = _editions(connection)
    return sorted(found.values(), key=lambda item: parse_period(item["period"]).end, reverse=True)
