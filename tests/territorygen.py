"""Seeded test material for an intercommunal observatory: the CISPD of Loos, Haubourdin and Emmerin (issue 18).

No IRIS nor quartier file exists for these communes in the shared data, so each commune is cut
into two synthetic sectors here: west and east of a meridian drawn at a seeded fraction (40 to
60 %) of the commune's width. The police file (``police_nationale`` mapping: CSV ``;``, cp1252,
Lambert-93) spreads facts uniformly over the three communes and gathers a third of them around
the middle of the Loos–Haubourdin border, so that a hot spot straddles it.
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from pathlib import Path

import numpy as np
import pandas as pd
import shapely
from pyproj import Transformer
from shapely.geometry import box, mapping
from shapely.geometry.base import BaseGeometry

from ols.reference.territories import read_boundary
from tests.helpers import NEIGHBOUR_LABELS

LOOS, HAUBOURDIN, EMMERIN = "59360", "59286", "59193"
CISPD = {LOOS: "Loos", HAUBOURDIN: "Haubourdin", EMMERIN: "Emmerin"}
START, END = datetime(2025, 1, 1), datetime(2026, 7, 1)


def outlines(communes_file: Path) -> dict[str, BaseGeometry]:
    """The real outlines of the three communes (WGS84), read as the product reads them."""
    return {insee: read_boundary(communes_file, commune=insee).geom for insee in CISPD}


def halves(outline: BaseGeometry, seed: int) -> dict[str, BaseGeometry]:
    """A commune cut at a seeded meridian into its ``ouest`` and ``est`` sectors (each a part of the outline)."""
    west, south, east, north = outline.bounds
    cut = west + (east - west) * np.random.default_rng(seed).uniform(0.4, 0.6)
    return {"ouest": outline.intersection(box(west - 1, south - 1, cut, north + 1)),
            "est": outline.intersection(box(cut, south - 1, east + 1, north + 1))}  # fmt: skip


def sectors_file(path: Path, insee: str, outline: BaseGeometry, seed: int) -> dict[str, BaseGeometry]:
    """Write a commune's two sectors as GeoJSON (fields ``code``, ``nom``); return them by code."""
    parts = {f"{insee}-{side}": geom for side, geom in halves(outline, seed).items()}
    write_geojson(path, parts)
    return parts


def write_geojson(path: Path, sectors: dict[str, BaseGeometry]) -> Path:
    """Sectors as GeoJSON, coded ``INSEE-side`` and named « Commune side »."""
    features = [{"type": "Feature", "properties": {"code": code, "nom": f"{CISPD[code[:5]]} {code.split('-')[1]}"},
                 "geometry": mapping(geom)} for code, geom in sectors.items()]  # fmt: skip
    path.write_text(json.dumps({"type": "FeatureCollection", "features": features}), encoding="utf-8")
    return path


def border_point(communes: dict[str, BaseGeometry]) -> shapely.Point:
    """The middle of the border Loos and Haubourdin share."""
    border = shapely.line_merge(communes[LOOS].boundary.intersection(communes[HAUBOURDIN].boundary))
    line = max(getattr(border, "geoms", [border]), key=lambda part: part.length)
    return line.interpolate(0.5, normalized=True)


def _points(communes: dict[str, BaseGeometry], count: int, rng: np.random.Generator) -> list[tuple[float, float]]:
    union = shapely.union_all(list(communes.values()))
    centre = border_point(communes)
    west, south, east, north = union.bounds
    points: list[tuple[float, float]] = []
    while len(points) < count:
        if len(points) % 3 == 0:
            x, y = centre.x + rng.normal(0, 0.0015), centre.y + rng.normal(0, 0.001)
        else:
            x, y = rng.uniform(west, east), rng.uniform(south, north)
        if shapely.contains_xy(union, x, y):
            points.append((x, y))
    return points


def police_file(path: Path, communes: dict[str, BaseGeometry], *, count: int, seed: int) -> Path:
    """A seeded police-nationale export over the three communes, 2025 to 2026-S1, a cluster on the border."""
    rng = np.random.default_rng(seed)
    points = _points(communes, count, rng)
    xs, ys = Transformer.from_crs(4326, 2154, always_xy=True).transform([p[0] for p in points], [p[1] for p in points])
    minutes = np.sort(rng.integers(0, int((END - START).total_seconds() // 60), count))
    stamps = [START + timedelta(minutes=int(m)) for m in minutes]
    labels = rng.choice(list(NEIGHBOUR_LABELS), size=count, p=list(NEIGHBOUR_LABELS.values()))
    pd.DataFrame({
        "N° fait": [f"LHE-{i:05d}" for i in range(count)],
        "Date des faits": [s.strftime("%d/%m/%Y") for s in stamps],
        "Heure": [s.strftime("%H:%M") for s in stamps],
        "Nature de l'infraction": labels,
        "X (L93)": [f"{v:.1f}".replace(".", ",") for v in xs],
        "Y (L93)": [f"{v:.1f}".replace(".", ",") for v in ys],
    }).to_csv(path, sep=";", index=False, encoding="cp1252")  # fmt: skip
    return path
