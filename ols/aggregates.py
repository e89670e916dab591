"""Counts of events per H3 cell, period, category and source, kept in ``cell_count``.

A refresh rebuilds a period's rows in the caller's transaction; maps, hot spots and tables read
them instead of the raw events. Period bounds are local dates (Europe/Paris by default).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from sqlalchemy import Connection, text

from ols.periods import Period

RESOLUTIONS = (8, 9, 10)
LOCAL_START = "(CAST(:start AS timestamp) AT TIME ZONE :tz)"
LOCAL_END = "(CAST(:end AS timestamp) AT TIME ZONE :tz)"
IN_PERIOD = f"occurred_at >= {LOCAL_START} AND occurred_at < {LOCAL_END}"


def period_params(period: Period, timezone: str) -> dict[str, object]:
    """Bind parameters of :data:`IN_PERIOD`."""
    return {"start": period.start, "end": period.end, "tz": timezone}


def rebuild(connection: Connection, period: Period, *, timezone: str) -> int:
    """Replace the period's cell counts (one pass over the events, three grouping sets); return the count."""
    connection.execute(text("DELETE FROM cell_count WHERE period = :p"), {"p": period.name})
    connection.execute(
        text(
            "INSERT INTO cell_count (period, resolution, h3, category, source_id, territory_id, family, count) "
            "SELECT :p, CASE WHEN GROUPING(h3_r8) = 0 THEN 8 WHEN GROUPING(h3_r9) = 0 THEN 9 ELSE 10 END, "
            "coalesce(h3_r8, h3_r9, h3_r10), category, source_id, territory_id, family, count(*) "
            f"FROM event WHERE {IN_PERIOD} GROUP BY GROUPING SETS ("
            "(h3_r8, category, family, source_id, territory_id), (h3_r9, category, family, source_id, territory_id), "
            "(h3_r10, category, family, source_id, territory_id))"
        ),
        {"p": period.name, **period_params(period, timezone)},
    )
    counted = connection.execute(
        text("SELECT coalesce(sum(count), 0) FROM cell_count WHERE period = :p AND resolution = 8"), {"p": period.name}
    )
    return int(counted.scalar_one())


def cell_totals(connection: Connection, period: str, resolution: int, family: str | None = None) -> pd.Series:
    """Events per cell (index: H3 int) for a period, all families or one."""
    query = "SELECT h3, sum(count) AS n FROM cell_count WHERE period = :p AND resolution = :r"
    params: dict[str, object] = {"p": period, "r": resolution}
    if family:
        query += " AND family = :f"
        params["f"] = family
    rows = connection.execute(text(query + " GROUP BY h3"), params).all()
    return pd.Series([n for _, n in rows], index=np.array([h for h, _ in rows], dtype=np.int64), dtype=np.int64)


def live_cell_totals(
    connection: Connection, period: Period, resolution: int, *, timezone: str, family: str | None = None
) -> pd.Series:
    """Events per cell straight from ``event`` (for the past semesters of emerging hot spots)."""
    column = {8: "h3_r8", 9: "h3_r9", 10: "h3_r10"}[resolution]
    query = f"SELECT {column}, count(*) FROM event WHERE {IN_PERIOD}"
    params = period_params(period, timezone)
    if family:
        query += " AND family = :f"
        params["f"] = family
    rows = connection.execute(text(query + " GROUP BY 1"), params).all()
    return pd.Series([n for _, n in rows], index=np.array([h for h, _ in rows], dtype=np.int64), dtype=np.int64)


def zone_counts(connection: Connection, period: Period, *, timezone: str) -> pd.DataFrame:
    """Events per zone (the computed zones of the period and the declared zones) and family."""
    in_period = IN_PERIOD.replace("occurred_at", "e.occurred_at")
    rows = connection.execute(
        text(
            "SELECT z.kind, z.code, z.name, e.family, count(*) FROM zone z "
            "JOIN event e ON ST_Intersects(z.geom, e.geom) "
            f"WHERE (z.kind = 'declared' OR z.period = :p) AND {in_period} GROUP BY 1, 2, 3, 4 ORDER BY 1, 2, 4"
        ),
        {"p": period.name, **period_params(period, timezone)},
    ).all()
    return pd.DataFrame(rows, columns=["kind", "code", "name", "family", "count"])
