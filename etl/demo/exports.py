"""Each synthetic partner's yearly export, in its native format, with re-sent facts and a few bad rows."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from pyproj import Transformer
from shapely.geometry import Point
from shapely.geometry.base import BaseGeometry

from etl.demo.commune import BLOCKS, MARK, Territory, nearest_addresses
from etl.demo.partners import FIRST_DAY, LAST_DAY, PARTNERS, labels, timestamps
from etl.demo.spec import DemoCommune

MIN_FACTS = 20  # a partner's yearly file at a reduced scale still holds its few bad rows


@dataclass(frozen=True)
class Setting:
    """What the writer knows of the demo: its communes with their outlines, its places, calendar and scale."""

    communes: tuple[tuple[DemoCommune, BaseGeometry], ...]
    places: pd.DataFrame
    holiday_zone: str | None
    scale: float = 1.0

    def labels_of(self, points: list[Point]) -> list[str]:
        """The name a partner writes for the commune of each point (the first commune's when on no outline)."""
        names = np.full(len(points), self.communes[0][0].label, dtype=object)
        x, y = np.array([p.x for p in points]), np.array([p.y for p in points])
        for commune, outline in reversed(self.communes):
            names[shapely.contains_xy(outline, x, y)] = commune.label
        return names.tolist()


class Writer:
    """Writes one partner's yearly export in its native format."""

    def __init__(
        self, out: Path, territory: Territory, ban: pd.DataFrame, rng: np.random.Generator, setting: Setting
    ) -> None:
        self.out = out
        self.territory = territory
        self.ban = ban
        self.rng = rng
        self.setting = setting
        self.to_l93 = Transformer.from_crs(4326, 2154, always_xy=True)

    def facts(self, kind: str, year: int) -> tuple[list[datetime], list[str], list[Point]]:
        """Times, labels and points of one partner's facts in one year."""
        partner = PARTNERS[kind]
        count = int(partner.per_year * self.setting.scale * (1 + 0.08 * (year - 2022)) * self.rng.uniform(0.9, 1.1))
        if year == LAST_DAY.year:
            count //= 2
        count = max(count, MIN_FACTS)
        zone = self.setting.holiday_zone
        if kind == "transport":
            return timestamps(self.rng, year, count, zone), labels(self.rng, partner, count), []
        return (
            timestamps(self.rng, year, count, zone),
            labels(self.rng, partner, count),
            self.territory.points(count, partner.hot_share),
        )

    def police_nationale(self, year: int) -> Path:
        """``;``-separated cp1252 CSV, Lambert-93 X/Y with decimal commas, date and hour columns."""
        stamps, labels, points = self.facts("police_nationale", year)
        x, y = self.to_l93.transform([p.x for p in points], [p.y for p in points])
        frame = pd.DataFrame(
            {
                "N° fait": [f"PN{year}-{i:05d}" for i in range(len(stamps))],
                "Date des faits": [s.strftime("%d/%m/%Y") for s in stamps],
                "Heure": [s.strftime("%H:%M") if i % 9 else "" for i, s in enumerate(stamps)],
                "Nature de l'infraction": labels,
                "X (L93)": [f"{v:.1f}".replace(".", ",") for v in x],
                "Y (L93)": [f"{v:.1f}".replace(".", ",") for v in y],
                "Commune": self.setting.labels_of(points),
            }
        )
        if year > FIRST_DAY.year:
            previous = self.rng.choice(len(frame), 5, replace=False)
            frame = frame.copy()
            frame.loc[previous, "N° fait"] = [f"PN{year - 1}-{i:05d}" for i in range(5)]
        frame = _with_bad_rows(
            frame,
            {
                "X (L93)": ("", 3),
                "Nature de l'infraction": ("Infraction non répertoriée", 2),
                "Date des faits": ("31/02/" + str(year), 1),
            },
        )
        path = self.out / f"{MARK}_police_nationale_{year}.csv"
        frame.to_csv(path, sep=";", index=False, encoding="cp1252")
        return path

    def police_municipale(self, year: int) -> Path:
        """XLSX export of the main courante, WGS84 lat/lon."""
        stamps, labels, points = self.facts("police_municipale", year)
        frame = pd.DataFrame(
            {
                "Réf. intervention": [f"PM-{year}-{i:05d}" for i in range(len(stamps))],
                "Date/heure": [s.strftime("%d/%m/%Y %H:%M") for s in stamps],
                "Motif": labels,
                "Latitude": [round(p.y, 6) for p in points],
                "Longitude": [round(p.x, 6) for p in points],
                "Suite donnée": self.rng.choice(
                    ["Rappel à l'ordre", "Dispersion", "Verbalisation", "Sans suite"], len(stamps)
                ),
            }
        ).astype(str)
        frame.loc[frame.index[:2], "Latitude"] = "50.63"
        frame.loc[frame.index[:2], "Longitude"] = "3.06"
        path = self.out / f"{MARK}_police_municipale_{year}.xlsx"
        frame.to_excel(path, index=False, sheet_name="Interventions")
        return path

    def bailleur(self, year: int) -> Path:
        """``;`` UTF-8 CSV with a BOM; facts located by address (to geocode against the BAN)."""
        stamps, labels, points = self.facts("bailleur", year)
        addresses = nearest_addresses(self.ban, points)
        frame = pd.DataFrame(
            {
                "Date": [s.strftime("%d/%m/%Y") for s in stamps],
                "Résidence": self.rng.choice(list(BLOCKS), len(stamps)),
                "N°": addresses["numero"].astype(str),
                "Voie": addresses["nom_voie"].str.replace("Rue ", "R. ").str.replace("Avenue ", "Av. "),
                "Code postal": addresses["code_postal"],
                "Type d'incivilité": labels,
            }
        )
        frame.loc[frame.index[:2], "Voie"] = "Rue Imaginaire"
        path = self.out / f"{MARK}_bailleur_{year}.csv"
        frame.to_csv(path, sep=";", index=False, encoding="utf-8-sig")
        return path

    def mediation(self, year: int) -> Path:
        """GeoJSON points from the mediators' mobile application."""
        stamps, labels, points = self.facts("mediation", year)
        features: list[dict[str, Any]] = [
            {
                "type": "Feature",
                "geometry": {"type": "Point", "coordinates": [round(p.x, 6), round(p.y, 6)]},
                "properties": {
                    "date_intervention": s.strftime("%Y-%m-%dT%H:%M"),
                    "motif": label,
                    "duree_min": int(self.rng.integers(5, 90)),
                },
            }
            for s, label, p in zip(stamps, labels, points, strict=True)
        ]
        features[0]["properties"]["date_intervention"] = f"{year + 5}-01-01T10:00"
        features[1]["geometry"] = None
        path = self.out / f"{MARK}_mediation_{year}.geojson"
        path.write_text(
            json.dumps({"type": "FeatureCollection", "features": features}, ensure_ascii=False),
            encoding="utf-8",
        )
        return path

    def transport(self, year: int) -> Path:
        """``,``-separated CSV; facts located at the station where they happened or were reported."""
        stamps, labels, _ = self.facts("transport", year)
        stations = self.setting.places
        names = stations["name"].str.title().tolist()
        weights = np.where(stations["insee"].isin([commune.insee for commune, _ in self.setting.communes]), 6.0, 0.0)
        picks = self.rng.choice(len(names), len(stamps), p=weights / weights.sum())
        frame = pd.DataFrame(
            {
                "date": [s.strftime("%Y-%m-%d") for s in stamps],
                "heure": [s.strftime("%H:%M") for s in stamps],
                "ligne": "M2",
                "station": [names[i] for i in picks],
                "type_incident": labels,
            }
        )
        frame.loc[frame.index[:1], "station"] = "Station Fantôme"
        path = self.out / f"{MARK}_transport_{year}.csv"
        frame.to_csv(path, index=False, encoding="utf-8")
        return path

    def services_techniques(self, year: int) -> Path:
        """GeoPackage in Lambert-93 from the municipal works' GIS."""
        stamps, labels, points = self.facts("services_techniques", year)
        frame = gpd.GeoDataFrame(
            {
                "type_intervention": labels,
                "date_signalement": [s.date().isoformat() for s in stamps],
            },
            geometry=points,
            crs=4326,
        ).to_crs(2154)
        path = self.out / f"{MARK}_services_techniques_{year}.gpkg"
        frame.to_file(path, layer="interventions", driver="GPKG")
        return path


def _with_bad_rows(frame: pd.DataFrame, spoil: dict[str, tuple[str, int]]) -> pd.DataFrame:
    frame = frame.copy()
    start = 10
    for column, (value, count) in spoil.items():
        frame.loc[frame.index[start : start + count], column] = value
        start += count
    return frame
