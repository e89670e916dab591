"""Seeded partner files with a known truth, for the statistics tests (issue 13): where and when each fact is.

One simple mapping (``terrain``: CSV, lon/lat, a date and an optional hour) stands for any partner,
so that the tests control every fact: the same event sent by several partners, uniform noise, a
planted cluster, a partner that starts later than the others.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import yaml
from sqlalchemy import Engine

from etl.ingest import BatchReport, ingest_file
from etl.mapping import load_mapping
from tests.helpers import add_territory

CENTRE = (3.1100, 50.6400)
BOX = (3.0960, 50.6310, 3.1240, 50.6490)  # about 2 km by 2 km
WIDE = (3.0600, 50.6080, 3.1600, 50.6720)  # about 7 km by 7 km: thousands of small cells
LABELS = {
    "Attroupement": "gathering",
    "Occupation de hall": "gathering",
    "Tapage": "noise",
    "Cambriolage": "residential_burglary",
    "Vol à la roulotte": "theft_from_vehicle",
    "Tags": "graffiti",
    "Refus de contrôle": "fare_evasion",
}


@dataclass(frozen=True)
class Fact:
    """One row of a partner file: label, local time (``timed=False``: the date only), lon/lat."""

    label: str
    when: datetime
    lon: float
    lat: float
    timed: bool = True


def mapping_file(folder: Path, stem: str = "terrain", **extra: Any) -> Path:
    """The ``terrain`` mapping, with extra keys (``measure``, ``measures``), written to ``stem``.yaml."""
    spec = {
        "name": "terrain",
        "format": "csv",
        "ref": "ref",
        "label": "nature",
        "date": {"column": "date", "formats": ["%Y-%m-%d"], "time_column": "heure"},
        "location": {"type": "lonlat", "lon": "lon", "lat": "lat"},
        "categories": LABELS,
        **extra,
    }
    path = folder / f"{stem}.yaml"
    path.write_text(yaml.safe_dump(spec, allow_unicode=True), encoding="utf-8")
    return path


def shifted(lon: float, lat: float, east_m: float, north_m: float) -> tuple[float, float]:
    """A point ``east_m`` metres east and ``north_m`` metres north of (lon, lat)."""
    return lon + east_m / (111_320 * math.cos(math.radians(lat))), lat + north_m / 110_574


def write_facts(path: Path, facts: Iterable[Fact]) -> Path:
    """A ``terrain`` CSV of the facts."""
    rows = [{"ref": f"{path.stem}-{index}", "nature": fact.label, "date": fact.when.strftime("%Y-%m-%d"),
             "heure": fact.when.strftime("%H:%M") if fact.timed else "", "lon": f"{fact.lon:.7f}",
             "lat": f"{fact.lat:.7f}"} for index, fact in enumerate(facts)]  # fmt: skip
    pd.DataFrame(rows, columns=["ref", "nature", "date", "heure", "lon", "lat"]).to_csv(path, index=False)
    return path


def send(engine: Engine, path: Path, source: str, mapping: Path) -> BatchReport:
    """Ingest a file as partner ``source``."""
    return ingest_file(engine, path, source_code=source, mapping=load_mapping(mapping), ingested_by="test")


def territory(engine: Engine, bounds: tuple[float, float, float, float] = BOX) -> None:
    """The test territory: a box, by default of about 2 km by 2 km (INSEE 59410: Europe/Paris, zone B)."""
    add_territory(engine, bounds, code="T", insee="59410")


def uniform(rng: np.random.Generator, count: int, start: datetime, days: int, label: str = "Cambriolage", *,
            bounds: tuple[float, float, float, float] = BOX) -> list[Fact]:  # fmt: skip
    """``count`` facts spread uniformly over the box and over ``days`` days from ``start``."""
    west, south, east, north = bounds
    margin = 0.0005
    return [Fact(label, start + timedelta(minutes=int(rng.integers(0, days * 24 * 60))),
                 float(rng.uniform(west + margin, east - margin)), float(rng.uniform(south + margin, north - margin)))
            for _ in range(count)]  # fmt: skip


def cluster(rng: np.random.Generator, count: int, centre: tuple[float, float], start: datetime, days: int,
            *, metres: float = 40.0, label: str = "Cambriolage") -> list[Fact]:  # fmt: skip
    """``count`` facts within about ``metres`` of ``centre``, over ``days`` days from ``start``."""
    facts = []
    for _ in range(count):
        lon, lat = shifted(*centre, float(rng.normal(0, metres / 2)), float(rng.normal(0, metres / 2)))
        facts.append(Fact(label, start + timedelta(minutes=int(rng.integers(0, days * 24 * 60))), lon, lat))
    return facts
