"""The emerging hot-spot step of a refresh: Gi* per semester, then each cell's pattern over time.

The series keeps only the semesters in which every partner with facts in the final semester had
data (:mod:`ols.cartography.coverage`), and counts only those partners' facts, so that a partner
joining or leaving the observatory never reads as cells becoming hot or cold; with fewer than
``OLS_EMERGING_MIN_SEMESTERS`` such semesters no trend is computed and the refresh says why
(:mod:`ols.cartography.guards`). Within a semester, the hot-spot guards apply: a semester with too
few facts, or a cell whose neighbourhood holds too few, is not significant.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import shapely
from sqlalchemy import Connection, delete, insert, select

from ols.access.audience import SCOPES, SENSITIVE_CATEGORIES, Scope
from ols.cartography import aggregates
from ols.cartography.coverage import covered_run, sources_with_data
from ols.cartography.emerging import ALPHA, classify_series
from ols.cartography.grid import study_area, weights
from ols.cartography.guards import neighbourhoods, trend_reason
from ols.cartography.hotspots import gi_star
from ols.merging import counted
from ols.periods import Period, semesters_until
from ols.reference.calendar import calendar_of
from ols.settings import CartographySettings
from ols.store.models import EmergingHotspot, Event, Source

ALL_FAMILIES = "*"
NO_PATTERN = ("no_pattern", float("nan"), float("nan"), 0, 0)


def _final_sources(connection: Connection, period: Period, timezone: str) -> set[int]:
    """The partners with facts in the final semester: those the trend follows."""
    rows = connection.execute(
        select(Event.source_id).distinct()
        .where(aggregates.in_period(Event.occurred_at, period, timezone), counted(Event.__table__))
    ).scalars()  # fmt: skip
    return set(rows)


def window(connection: Connection, period: Period, settings: CartographySettings) -> dict[str, Any]:
    """The semesters of the trend ending with ``period``, the partners it follows and those lacking data."""
    timezone = calendar_of(connection).timezone
    semesters = semesters_until(period, settings.emerging_semesters)
    present = sources_with_data(connection, semesters, timezone)
    sources = _final_sources(connection, period, timezone)
    run = covered_run(semesters, present, sources)
    codes = dict(connection.execute(select(Source.id, Source.code).where(Source.id.in_(sources))).all())
    missing = {codes[source]: [s.name for s in semesters if source not in present[s.name]] for source in sources}
    return {"semesters": run, "sources": sources, "missing": {k: v for k, v in missing.items() if v},
            "timezone": timezone}  # fmt: skip


def _guarded(cells: np.ndarray, counts: np.ndarray, w: Any, settings: CartographySettings) -> tuple[np.ndarray, ...]:
    """z and FDR p of one semester; p = 1 where the semester or the cell's neighbourhood holds too few facts."""
    result = gi_star(cells, counts, permutations=settings.permutations, w=w)
    p = np.asarray(result.p_fdr, dtype=float).copy()
    if counts.sum() < settings.hotspot_min_facts:
        p[:] = 1.0
    p[neighbourhoods(counts, w) < settings.hotspot_min_neighbourhood] = 1.0
    return np.asarray(result.z, dtype=float), p


def _rows(period: Period, cells: np.ndarray, series: list[pd.Series], settings: CartographySettings, scope: Scope,
          w: Any) -> list[dict[str, Any]]:  # fmt: skip
    results = [_guarded(cells, s.reindex(cells, fill_value=0).to_numpy(), w, settings) for s in series]
    z = np.vstack([r[0] for r in results])
    p = np.vstack([r[1] for r in results])
    ever = ((p <= ALPHA) & (z != 0)).any(axis=0)  # a cell never significant has no pattern: skip the test
    rows = []
    for index, cell in enumerate(cells):
        pattern, tau, trend_p, hot, cold = classify_series(z[:, index], p[:, index]) if ever[index] else NO_PATTERN
        rows.append({"period": period.name, "scope": scope, "resolution": settings.zone_resolution,
                     "family": ALL_FAMILIES, "h3": int(cell), "pattern": pattern,
                     "trend_tau": None if np.isnan(tau) else tau, "trend_p": None if np.isnan(trend_p) else trend_p,
                     "hot_periods": hot, "cold_periods": cold})  # fmt: skip
    return rows


def emerging(
    connection: Connection, period: Period, area: shapely.Geometry, settings: CartographySettings
) -> tuple[dict[str, int], dict[str, Any]]:
    """Emerging hot-spot patterns of the facts of all families, per scope (semesters only): the patterns of the
    full scope, and the status of the trend (the semesters used, or why there is none)."""
    connection.execute(delete(EmergingHotspot).where(EmergingHotspot.period == period.name))
    if period.kind != "semester":
        return {}, {"status": "not_applicable", "semesters": [], "reason": None}
    span = window(connection, period, settings)
    semesters: list[Period] = span["semesters"]
    reason = trend_reason(len(semesters), settings.emerging_min_semesters, span["missing"])
    status = {"status": "insufficient" if reason else "computed", "semesters": [s.name for s in semesters],
              "reason": reason}  # fmt: skip
    if reason:
        return {}, status
    series = [aggregates.live_scope_totals(connection, semester, settings.zone_resolution, timezone=span["timezone"],
                                           excluded=SENSITIVE_CATEGORIES, sources=sorted(span["sources"]))
              for semester in semesters]  # fmt: skip
    cells = study_area(area, settings.zone_resolution, np.concatenate([s.index.to_numpy() for s in series]))
    w = weights(cells)
    found: dict[str, int] = {}
    for scope in SCOPES:
        rows = _rows(period, cells, [s[scope] for s in series], settings, scope, w)
        connection.execute(insert(EmergingHotspot), rows)
        if scope == "full":
            counts = pd.Series([row["pattern"] for row in rows]).value_counts().sort_index()
            found = {str(pattern): int(count) for pattern, count in counts.items()}
    return found, status
