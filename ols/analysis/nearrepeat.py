"""Near-repeat burglaries: the Knox test and the zones of elevated risk after each burglary.

The Knox test counts pairs of burglaries close in space (bands of 100 m) and in time (bands of 7
days) and compares each count with Monte-Carlo simulations in which the dates are shuffled
among the burglaries (fixed seed). A band whose count is significantly above its simulations
shows near-repeat victimisation; the largest such distance and delay then bound, around each
recent burglary, the zone and window of elevated risk (Opération Tranquillité Vacances).
Facts dated only to the month are left out, and counted as such.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import numpy as np
import pandas as pd
from scipy.spatial import cKDTree
from shapely.geometry import Point, mapping
from sqlalchemy import Connection, Date, Row, cast, func, select

from ols.access.audience import Audience
from ols.access.roles import Layer
from ols.cartography.aggregates import in_period, local_time
from ols.cartography.zones import TO_L93, TO_WGS84, reproject
from ols.merging import counted
from ols.nomenclature import CATEGORY_BY_CODE
from ols.periods import Period
from ols.reference.calendar import calendar_of
from ols.store.models import Event
from ols.wording import (
    near_repeat_sentence,
    near_repeat_subject,
    no_near_repeat_sentence,
    number,
    risk_area_sentence,
)

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


def _burglaries(
    connection: Connection, period: Period, audience: Audience, category: str, timezone: str
) -> Sequence[Row[float, float, date, str]]:
    """(lon, lat, local date, time precision) of the period's facts of a category the audience may see, in order."""
    return connection.execute(
        select(func.ST_X(Event.geom), func.ST_Y(Event.geom), cast(local_time(Event.occurred_at, timezone), Date),
               Event.time_precision)
        .where(Event.category == category, in_period(Event.occurred_at, period, timezone),
               audience.facts(Event.__table__).clause, counted(Event.__table__))
        .order_by(Event.occurred_at)
    ).all()  # fmt: skip


def _risk_zones(
    dated: Sequence[Row[float, float, date, str]], x: Any, y: Any, reach: tuple[float, int], as_of: date, subject: str
) -> list[dict[str, Any]]:
    """A disc of the reach's radius around each burglary (``x``, ``y``: Lambert-93) of its last days up to
    ``as_of``, with its risk window and its sentence."""
    metres, delay = reach
    features = []
    for (lon, lat, day, _), px, py in zip(dated, x, y, strict=True):
        if as_of - timedelta(days=delay) <= day <= as_of:
            area = reproject(Point(px, py).buffer(metres, quad_segs=8), TO_WGS84)
            until = day + timedelta(days=delay)
            features.append({"type": "Feature", "geometry": mapping(area), "properties": {
                "burglary_date": day.isoformat(), "risk_until": until.isoformat(), "radius_m": metres,
                "lon": round(lon, 5), "lat": round(lat, 5),
                "sentence": risk_area_sentence(subject, day, metres, until)}})  # fmt: skip
    return features


def _knox_table(table: Knox, permutations: int) -> dict[str, Any]:
    """The Knox table as published: bands, observed and expected pairs, ratios, p-values and the simulation."""
    return {
        "distance_bands_m": [[i * DISTANCE_BAND_M, (i + 1) * DISTANCE_BAND_M] for i in range(DISTANCE_BANDS)],
        "time_bands_days": [[i * TIME_BAND_DAYS, (i + 1) * TIME_BAND_DAYS] for i in range(TIME_BANDS)],
        "observed": table.observed.tolist(), "expected": np.round(table.expected, 2).tolist(),
        "ratio": np.round(table.ratio, 2).tolist(), "p": np.round(table.p, 4).tolist(),
        "permutations": permutations, "seed": SEED,
    }  # fmt: skip


def subject_of(category: str) -> str:
    """The fact a sentence starts from: « un cambriolage de logement »."""
    found = CATEGORY_BY_CODE.get(category)
    return near_repeat_subject(category, found.label if found else category)


def risk_ratio(table: Knox, reach: tuple[float, int]) -> float:
    """Observed over expected pairs within the reach: how many times likelier a repeat is than chance gives."""
    bands = (max(1, int(reach[0] // DISTANCE_BAND_M)), max(1, reach[1] // TIME_BAND_DAYS))
    observed = table.observed[: bands[0], : bands[1]].sum()
    expected = table.expected[: bands[0], : bands[1]].sum()
    return float(observed / expected) if expected > 0 else float("nan")


def ratio_table(published: dict[str, Any]) -> pd.DataFrame:
    """A published Knox table as a French reader reads it: one row per distance band, one column per time band,
    each cell the ratio of observed to expected pairs, starred where significantly above chance."""
    significant = (np.array(published["p"]) <= ALPHA) & (np.array(published["ratio"], dtype=float) > 1)
    columns = [f"{number(low)} à {number(high)} j" for low, high in published["time_bands_days"]]
    rows = {f"{number(low)} à {number(high)} m": [f"{number(ratio, 1)}{' *' if star else ''}"
                                                   for ratio, star in zip(ratios, stars, strict=True)]
            for (low, high), ratios, stars in zip(published["distance_bands_m"], published["ratio"], significant,
                                                  strict=True)}  # fmt: skip
    return pd.DataFrame.from_dict(rows, orient="index", columns=columns).rename_axis("distance").reset_index()


def risk_sentence(table: Knox, reach: tuple[float, int] | None, category: str) -> str:
    """The Knox result as a sentence: « Après un cambriolage de logement, le risque dans un rayon de 200 m reste
    2,1 fois plus élevé pendant 14 jours » (:mod:`ols.wording` words it for every reader)."""
    if reach is None:
        return no_near_repeat_sentence(subject_of(category), table.events)
    return near_repeat_sentence(subject_of(category), reach[0], risk_ratio(table, reach), reach[1])


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
    rows = _burglaries(connection, period, audience, category, calendar_of(connection).timezone)
    dated = [row for row in rows if row[3] != "month"]
    result: dict[str, Any] = {"period": period.name, "category": category, "events": len(dated),
                              "left_out_month_precision": len(rows) - len(dated)}  # fmt: skip
    if len(dated) < 3:
        sentence = f"Trop peu de faits datés ({len(dated)}) pour tester le risque de répétition."
        return result | {
            "knox": None,
            "elevated_risk": None,
            "sentence": sentence,
            "risk_zones": {"type": "FeatureCollection", "features": []},
        }
    x, y = TO_L93.transform([row[0] for row in dated], [row[1] for row in dated])
    origin = dated[0][2]
    table = knox(np.asarray(x), np.asarray(y), np.array([(row[2] - origin).days for row in dated]),
                 permutations=permutations)  # fmt: skip
    reach = table.reach()
    as_of = as_of or min(period.end - timedelta(days=1), dated[-1][2])
    features = [] if reach is None else _risk_zones(dated, x, y, reach, as_of, subject_of(category))
    return result | {
        "knox": _knox_table(table, permutations),
        "elevated_risk": None
        if reach is None
        else {"radius_m": reach[0], "days": reach[1], "ratio": round(risk_ratio(table, reach), 2)},
        "sentence": risk_sentence(table, reach, category),
        "as_of": as_of.isoformat(),
        "risk_zones": {"type": "FeatureCollection", "features": features},
    }
