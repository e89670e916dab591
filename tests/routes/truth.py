"""What the database really holds, read with plain SQL that shares no code with the readers under test.

The audience tests compare what each role receives with these true figures (and what arithmetic on
the received figures reveals about them). What is counted follows issue 13: facts only (not a
service's activity), each event once across partners (a fact merged into another partner's
signalement, a row of ``event_link``, is not counted), unless ``own`` asks for a partner's own
facts, merged or not.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

import numpy as np
from shapely import wkb
from shapely.geometry import shape
from shapely.geometry.base import BaseGeometry
from sqlalchemy import Engine, text

from ols.access.disclosure import cell_key, rounded, secret
from ols.nomenclature import CATEGORY_BY_CODE
from ols.periods import Period, parse_period

SENSITIVE = [code for code, category in CATEGORY_BY_CODE.items() if category.sensitive]
IN_PERIOD = ("e.occurred_at >= (CAST(:start AS timestamp) AT TIME ZONE 'Europe/Paris') "
             "AND e.occurred_at < (CAST(:end AS timestamp) AT TIME ZONE 'Europe/Paris') "
             "AND e.measure = :measure")  # fmt: skip
NOT_MERGED = "NOT EXISTS (SELECT 1 FROM event_link l WHERE l.source_id = e.source_id AND l.id = e.id)"


NOT_COUNTS = ("evening_share", "rate_per_thousand", "evolution_pct", "evolution_n2_pct", "suppression_threshold",
              "rounded_to", "resolution", "area_km2", "cells", "coordinates", "breaks", "bounds")  # fmt: skip


def numbers(value: Any) -> Iterator[float]:
    """Every count in a JSON value, wherever it sits (shares, rates, settings and coordinates left out)."""
    if isinstance(value, bool):
        return
    if isinstance(value, int | float):
        yield value
    elif isinstance(value, dict):
        for key, item in value.items():
            if key not in NOT_COUNTS:
                yield from numbers(item)
    elif isinstance(value, list):
        for item in value:
            yield from numbers(item)


def small(values: Iterable[float | None], threshold: int = 5) -> list[float]:
    """The values strictly between 0 and the threshold (what no suppressed audience may receive)."""
    return [value for value in values if value is not None and 0 < value < threshold]


def _grouped(engine: Engine, period: str | Period, group: str, measures: str, *, territories: tuple[str, ...],
             open_only: bool, where: str, params: dict[str, Any]) -> list[Any]:  # fmt: skip
    """Rows of ``group`` (SQL expressions over ``event e``, ``territory t``, ``source s``) and its measures."""
    span = parse_period(period) if isinstance(period, str) else period
    sql = (f"SELECT {group}, {measures} FROM event e JOIN territory t ON t.id = e.territory_id "
           f"JOIN source s ON s.id = e.source_id WHERE {IN_PERIOD}")  # fmt: skip
    values: dict[str, Any] = {"start": span.start, "end": span.end, "measure": "facts", **params}
    if open_only:
        sql += " AND NOT (e.category = ANY(:sensitive))"
        values["sensitive"] = SENSITIVE
    if territories:
        sql += " AND t.code = ANY(:territories)"
        values["territories"] = list(territories)
    if where:
        sql += f" AND {where}"
    grouping = ", ".join(str(i) for i in range(1, group.count(",") + 2))
    with engine.connect() as connection:
        return list(connection.execute(text(f"{sql} GROUP BY {grouping}"), values).all())


def keyed(
    engine: Engine,
    period: str | Period,
    *,
    group: str,
    territories: tuple[str, ...] = (),
    open_only: bool = False,
    where: str = "",
    own: bool = False,
    measure: str = "facts",
) -> dict[Any, tuple[int, int]]:
    """True (count, cell key) of a period's events grouped by one SQL expression (the cell-key method's inputs):
    signalements of facts, a partner's own facts (``own``), or a service's activity (``measure``)."""
    condition = " AND ".join(part for part in (where, "" if own else NOT_MERGED) if part)
    rows = _grouped(engine, period, group, f"count(*), {cell_key('e')}", territories=territories,
                    open_only=open_only, where=condition, params={"measure": measure})  # fmt: skip
    return {row[0]: (int(row[1]), int(row[2]) % (1 << 32)) for row in rows}


def published(engine: Engine, truth: dict[Any, tuple[int, int]], *, threshold: int | None) -> dict[Any, int | None]:
    """What an audience must receive of true (count, key) cells: exact (no threshold) or rounded by cell key."""
    if threshold is None:
        return {key: count for key, (count, _) in truth.items()}
    with engine.connect() as connection:
        salt = secret(connection)
    names = list(truth)
    values = rounded(np.array([truth[k][0] for k in names]), np.array([truth[k][1] for k in names]),
                     threshold=threshold, salt=salt)  # fmt: skip
    return dict(zip(names, values, strict=True))


def counts(
    engine: Engine,
    period: str | Period,
    *,
    group: str,
    territories: tuple[str, ...] = (),
    open_only: bool = False,
    where: str = "",
    params: dict[str, Any] | None = None,
) -> dict[Any, int]:
    """True counts of signalements of a period grouped by SQL expressions (several: keys are tuples)."""
    width = group.count(",") + 1
    condition = " AND ".join(part for part in (where, NOT_MERGED) if part)
    rows = _grouped(engine, period, group, "count(*)", territories=territories, open_only=open_only,
                    where=condition, params=params or {})  # fmt: skip
    return {(row[0] if width == 1 else tuple(row[:width])): int(row[width]) for row in rows}


def outline(engine: Engine, code: str) -> BaseGeometry:
    """A territory's outline."""
    with engine.connect() as connection:
        found = connection.execute(text("SELECT ST_AsBinary(geom) FROM territory WHERE code = :c"), {"c": code})
        return wkb.loads(bytes(found.scalar_one()))


def centre_inside(feature: dict[str, Any], area: BaseGeometry) -> bool:
    """Whether a feature's centre lies in an area."""
    return bool(area.contains(shape(feature["geometry"]).centroid))


def as_int(value: Any) -> int | None:
    """A JSON count as an int (None stays None)."""
    return None if value is None else int(np.rint(value))


def tile_of(lon: float, lat: float, zoom: int) -> tuple[int, int]:
    """The x, y of the Web Mercator tile holding a point."""
    n = 2**zoom
    x = (lon + 180) / 360 * n
    y = (1 - np.arcsinh(np.tan(np.radians(lat))) / np.pi) / 2 * n
    return int(x), int(y)
