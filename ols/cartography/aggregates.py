"""Counts of events per H3 cell, period, category and source, kept in ``cell_count``.

A refresh rebuilds a period's rows in the caller's transaction; maps, hot spots and tables read
them instead of the raw events. Each row keeps the cell key of the facts it counts (the sum of
their record keys, :mod:`ols.access.disclosure`), so that any table built from these rows can be
published through disclosure control. Period bounds are local dates, in the territories' timezone
(:func:`ols.reference.calendar.calendar_of`).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from sqlalchemy import Connection, text

from ols.access.audience import Audience
from ols.access.disclosure import MODULUS, cell_key
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
            "INSERT INTO cell_count (period, resolution, h3, category, source_id, territory_id, family, count, "
            "cell_key) SELECT :p, CASE WHEN GROUPING(h3_r8) = 0 THEN 8 WHEN GROUPING(h3_r9) = 0 THEN 9 ELSE 10 END, "
            f"coalesce(h3_r8, h3_r9, h3_r10), category, source_id, territory_id, family, count(*), "
            f"{cell_key('event')} % {MODULUS} "
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


def cell_totals(
    connection: Connection, period: str, resolution: int, family: str | None = None, *, excluded: tuple[str, ...] = ()
) -> pd.Series:
    """Events per cell (index: H3 int) for a period, all families or one, without the ``excluded`` categories."""
    query = ("SELECT h3, sum(count) AS n FROM cell_count WHERE period = :p AND resolution = :r "
             "AND NOT (category = ANY(:excluded))")  # fmt: skip
    params: dict[str, object] = {"p": period, "r": resolution, "excluded": list(excluded)}
    if family:
        query += " AND family = :f"
        params["f"] = family
    rows = connection.execute(text(query + " GROUP BY h3"), params).all()
    return pd.Series([n for _, n in rows], index=np.array([h for h, _ in rows], dtype=np.int64), dtype=np.int64)


def cell_table(connection: Connection, period: str, resolution: int, *, sensitive: tuple[str, ...]) -> pd.DataFrame:
    """Events per cell and family, apart for the ``sensitive`` categories: every total a refresh needs, in one read."""
    rows = connection.execute(
        text("SELECT h3, family, category = ANY(:sensitive), sum(count) FROM cell_count WHERE period = :p "
             "AND resolution = :r GROUP BY 1, 2, 3"), {"p": period, "r": resolution, "sensitive": list(sensitive)},
    ).all()  # fmt: skip
    frame = pd.DataFrame([tuple(row) for row in rows], columns=["h3", "family", "sensitive", "count"])
    return frame.astype({"h3": np.int64, "count": np.int64, "sensitive": bool})


def live_scope_totals(
    connection: Connection, period: Period, resolution: int, *, timezone: str, excluded: tuple[str, ...]
) -> pd.DataFrame:
    """Events per cell straight from ``event``, all of them (``full``) and without ``excluded`` categories
    (``open``), in one pass (for the past semesters of emerging hot spots)."""
    column = {8: "h3_r8", 9: "h3_r9", 10: "h3_r10"}[resolution]
    query = (f"SELECT {column}, count(*), count(*) FILTER (WHERE NOT (category = ANY(:excluded))) FROM event "
             f"WHERE {IN_PERIOD} GROUP BY 1")  # fmt: skip
    rows = connection.execute(text(query), period_params(period, timezone) | {"excluded": list(excluded)}).all()
    index = np.array([row[0] for row in rows], dtype=np.int64)
    return pd.DataFrame({"full": [row[1] for row in rows], "open": [row[2] for row in rows]}, index=index)


def zone_counts(connection: Connection, period: Period, audience: Audience, *, timezone: str) -> pd.DataFrame:
    """Events per zone the audience may see (its computed zones of the period, the declared ones) and family."""
    in_period = IN_PERIOD.replace("occurred_at", "e.occurred_at")
    facts, area = audience.facts("e"), audience.area("z.geom")
    rows = connection.execute(
        text(
            f"SELECT z.kind, z.code, z.name, e.family, count(*), {cell_key('e')} FROM zone z "
            "JOIN event e ON ST_Intersects(z.geom, e.geom) "
            "WHERE (z.kind = 'declared' OR (z.period = :p AND z.scope = :scope)) "
            f"AND {in_period}{facts.sql}{area.sql} GROUP BY 1, 2, 3, 4 ORDER BY 1, 2, 4"
        ),
        {"p": period.name, "scope": audience.scope, **period_params(period, timezone), **facts.params, **area.params},
    ).all()
    frame = pd.DataFrame([row[:4] for row in rows], columns=["kind", "code", "name", "family"])
    frame["count"] = audience.publish(connection, [row[4] for row in rows], [row[5] for row in rows])
    return frame[frame["count"].notna()].reset_index(drop=True)  # like the heatmap: an absent row means "< 5"
