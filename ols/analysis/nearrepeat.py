"""Near-repeat burglaries: the Knox test and the zones of elevated risk after each burglary.

The Knox test counts pairs of burglaries close in space (bands of 100 m) and in time (bands of 7
days) and compares each count with Monte-Carlo simulations in which the dates are shuffled
among the burglaries (fixed seed). A band whose count is significantly above its simulations
shows near-repeat victimisation; the largest such distance and delay then bound, around each
recent burglary, the zone and window of elevated risk (Opération Tranquillité Vacances).
Facts dated only to the month are left out, and counted as such.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import numpy as np
from scipy.spatial import cKDTree
from shapely.geometry import Point, mapping
from sqlalchemy import Connection, text

from ols.access.audience import Audience
from ols.access.roles import Layer
from ols.cartography.aggregates import IN_PERIOD, period_params
from ols.cartography.zones import TO_L93, TO_WGS84, reproject
from ols.periods import Period
from ols.reference.calendar import calendar_of

DISTANCE_BAND_M = 100.0
DISTANCE_BANDS = 5
TIME_BAND_DAYS = 7
TIME_BANDS = 4
PERMUTATIONS = 999
SEED = 20_240
ALPHA = 0.05


@dataclass(frozen=True)
class Knox:
    """Observed and simulated pair counts per (distance band, time band)."""

    observed: np.ndarray
    expected: np.ndarray
    p: np.ndarray
    events: int
    permutations: int

    @property
    def ratio(self) -> np.ndarray:
        """Observed / expected (the Knox ratio); NaN where nothing was expected."""
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.where(self.expected > 0, self.observed / self.expected, np.nan)

    def significant(self) -> np.ndarray:
        """Bands significantly above what shuffled dates give."""
        return (self.p <= ALPHA) & (self.observed > self.expected)

    def reach(self) -> tuple[float, int] | None:
        """(metres, days) of elevated risk: the furthest significant band next to each axis."""
        significant = self.significant()
        if not significant[0, 0]:
            return None
        distance = int(np.argmin(np.append(significant[:, 0], False)))
        delay = int(np.argmin(np.append(significant[0, :], False)))
        return distance * DISTANCE_BAND_M, delay * TIME_BAND_DAYS


def _counts(pairs: np.ndarray, distance_bin: np.ndarray, days: np.ndarray, shape: tuple[int, int]) -> np.ndarray:
    delay_bin = (np.abs(days[pairs[:, 0]] - days[pairs[:, 1]]) // TIME_BAND_DAYS).astype(np.int64)
    keep = delay_bin < shape[1]
    flat = distance_bin[keep] * shape[1] + delay_bin[keep]
    return np.bincount(flat, minlength=shape[0] * shape[1]).reshape(shape)


def knox(
    x: np.ndarray,
    y: np.ndarray,
    days: np.ndarray,
    *,
    permutations: int = PERMUTATIONS,
    seed: int = SEED,
    distance_bands: int = DISTANCE_BANDS,
    time_bands: int = TIME_BANDS,
) -> Knox:
    """The Knox table of events at metric ``x``/``y`` on ``days`` (integers, e.g. days since an origin)."""
    shape = (distance_bands, time_bands)
    points = np.column_stack([x, y])
    pairs = cKDTree(points).query_pairs(distance_bands * DISTANCE_BAND_M, output_type="ndarray")
    if len(pairs) == 0:
        zeros = np.zeros(shape)
        return Knox(zeros.astype(int), zeros, np.ones(shape), len(x), permutations)
    distance = np.hypot(*(points[pairs[:, 0]] - points[pairs[:, 1]]).T)
    distance_bin = np.minimum((distance // DISTANCE_BAND_M).astype(np.int64), distance_bands - 1)
    days = np.asarray(days, dtype=np.int64)
    observed = _counts(pairs, distance_bin, days, shape)
    rng = np.random.default_rng(seed)
    simulated = np.stack([_counts(pairs, distance_bin, rng.permutation(days), shape) for _ in range(permutations)])
    exceed = (simulated >= observed).sum(axis=0)
    return Knox(observed, simulated.mean(axis=0), (exceed + 1) / (permutations + 1), len(x), permutations)


def near_repeat(
    connection: Connection,
    period: Period,
    audience: Audience,
    *,
    as_of: date | None = None,
    category: str = "residential_burglary",
    permutations: int = PERMUTATIONS,
) -> dict[str, Any]:
    """Knox table of the period's burglaries in the audience's territories and the risk zones of the recent ones."""
    audience.require(Layer.NEAR_REPEAT)
    facts = audience.facts("e")
    rows = connection.execute(
        text("SELECT e.id::text, ST_X(e.geom), ST_Y(e.geom), (e.occurred_at AT TIME ZONE :tz)::date, e.time_precision "
             f"FROM event e WHERE e.category = :category AND {IN_PERIOD.replace('occurred_at', 'e.occurred_at')}"
             f"{facts.sql} ORDER BY e.occurred_at"),
        {**period_params(period, calendar_of(connection).timezone), "category": category, **facts.params},
    ).all()  # fmt: skip
    dated = [row for row in rows if row[4] != "month"]
    result: dict[str, Any] = {"period": period.name, "category": category, "events": len(dated),
                              "left_out_month_precision": len(rows) - len(dated)}  # fmt: skip
    if len(dated) < 3:
        return result | {"knox": None, "risk_zones": {"type": "FeatureCollection", "features": []}}
    x, y = TO_L93.transform([r[1] for r in dated], [r[2] for r in dated])
    origin = dated[0][3]
    days = np.array([(r[3] - origin).days for r in dated])
    table = knox(np.asarray(x), np.asarray(y), days, permutations=permutations)
    reach = table.reach()
    as_of = as_of or min(period.end - timedelta(days=1), dated[-1][3])
    features = []
    if reach is not None:
        metres, delay = reach
        for (_, lon, lat, day, _), px, py in zip(dated, x, y, strict=True):
            if as_of - timedelta(days=delay) <= day <= as_of:
                area = reproject(Point(px, py).buffer(metres, quad_segs=8), TO_WGS84)
                features.append({"type": "Feature", "geometry": mapping(area), "properties": {
                    "burglary_date": day.isoformat(), "risk_until": (day + timedelta(days=delay)).isoformat(),
                    "radius_m": metres, "lon": round(lon, 5), "lat": round(lat, 5)}})  # fmt: skip
    return result | {
        "knox": {
            "distance_bands_m": [[i * DISTANCE_BAND_M, (i + 1) * DISTANCE_BAND_M] for i in range(DISTANCE_BANDS)],
            "time_bands_days": [[i * TIME_BAND_DAYS, (i + 1) * TIME_BAND_DAYS] for i in range(TIME_BANDS)],
            "observed": table.observed.tolist(), "expected": np.round(table.expected, 2).tolist(),
            "ratio": np.round(table.ratio, 2).tolist(), "p": np.round(table.p, 4).tolist(),
            "permutations": permutations, "seed": SEED,
        },
        "elevated_risk": None if reach is None else {"radius_m": reach[0], "days": reach[1]},
        "as_of": as_of.isoformat(),
        "risk_zones": {"type": "FeatureCollection", "features": features},
    }  # fmt: skip
