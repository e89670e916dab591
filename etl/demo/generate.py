"""Seeded generator of synthetic partner exports for the demo territory.

It writes, in each partner's native format, several years of facts over the real outline of
Mons-en-Barœul: hot spots around the real metro stations and a few residential blocks, evening,
weekend and school-holiday rhythms (zone B), a synthetic BAN address file for the bailleur's
addresses, re-sent facts (duplicates) and a few bad rows. Every file name says SYNTHETIQUE: none
of these facts happened.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from pyproj import Transformer
from shapely.geometry import MultiPolygon, Point

from ols.holidays import school_holidays
from ols.reference.calendar import calendar_for

MARK = "SYNTHETIQUE"
INSEE = "59410"
POSTCODE = "59370"
FIRST_DAY = date(2022, 1, 1)
LAST_DAY = date(2026, 6, 30)
HOUR_WEIGHTS = np.array([3, 2, 1, 1, 1, 1, 1, 2, 3, 3, 3, 4, 4, 4, 4, 5, 6, 7, 9, 10, 10, 9, 7, 5], dtype=float)
STREETS = (
    "Rue Jean Jaurès",
    "Avenue Robert Schuman",
    "Rue du Général de Gaulle",
    "Rue de la Paix",
    "Place de l'Europe",
    "Rue Victor Hugo",
    "Boulevard du Général Leclerc",
    "Rue Louis Pasteur",
    "Allée des Tilleuls",
    "Rue Émile Zola",
    "Rue Pierre Curie",
    "Avenue de la République",
    "Rue des Écoles",
    "Rue Gambetta",
    "Rue Anatole France",
    "Chemin du Fort",
    "Rue Jules Ferry",
    "Rue du Moulin",
    "Square des Acacias",
    "Rue Saint-Exupéry",
)
BLOCKS = ("Résidence des Sarts", "Résidence du Fort", "Résidence Europe")


@dataclass(frozen=True)
class Partner:
    """A synthetic partner: how many facts a year, which labels, and where they cluster."""

    labels: dict[str, float]
    per_year: int
    hot_share: float


PARTNERS = {
    "police_nationale": Partner(
        {
            "Cambriolage de résidence principale": 14,
            "Vol de véhicule automobile": 8,
            "Vol à la roulotte": 14,
            "Incendie volontaire de véhicule": 4,
            "Destructions dégradations": 14,
            "Coups et blessures volontaires": 12,
            "Violences intrafamiliales": 8,
            "Trafic de stupéfiants": 5,
            "Usage de stupéfiants": 9,
            "Vol avec violence sans arme": 6,
            "Vol simple": 6,
        },
        1200,
        0.55,
    ),
    "police_municipale": Partner(
        {
            "Rodéo urbain": 10,
            "Attroupement": 20,
            "Tapage nocturne": 15,
            "Occupation de hall": 14,
            "Conflit de voisinage": 10,
            "Véhicule ventouse": 8,
            "Dépôt sauvage constaté": 8,
            "Excès de vitesse": 6,
            "Point de deal signalé": 3,
        },
        900,
        0.6,
    ),
    "bailleur": Partner(
        {
            "Dégradation parties communes": 30,
            "Occupation de hall": 30,
            "Tags": 10,
            "Encombrants": 15,
            "Trouble de voisinage": 10,
            "Incendie local poubelles": 5,
        },
        300,
        0.7,
    ),
    "mediation": Partner(
        {"Regroupement de jeunes": 40, "Conflit de voisinage": 25, "Nuisances sonores": 20, "Incivilité": 15},
        1050,
        0.6,
    ),
    "transport": Partner(
        {
            "Agression en station": 15,
            "Agression en rame": 10,
            "Vol en station": 20,
            "Dégradation de matériel": 20,
            "Refus de contrôle": 25,
            "Incident en rame": 10,
        },
        140,
        1.0,
    ),
    "services_techniques": Partner({"Enlèvement de tags": 12, "Dépôt sauvage": 88}, 250, 0.4),
}


class Territory:
    """Random points inside the commune, near its hot spots or anywhere."""

    def __init__(self, outline: MultiPolygon, stations: pd.DataFrame, rng: np.random.Generator) -> None:
        self.outline = outline
        self.rng = rng
        self.stations = stations
        inside = [Point(x, y) for x, y in zip(stations.lon, stations.lat, strict=True)]
        self.station_points = [p for p in inside if outline.contains(p)]
        self.blocks = [self.uniform(1)[0] for _ in BLOCKS]

    def uniform(self, count: int) -> list[Point]:
        """Points drawn uniformly inside the outline."""
        minx, miny, maxx, maxy = self.outline.bounds
        found: list[Point] = []
        while len(found) < count:
            x = self.rng.uniform(minx, maxx, count * 2)
            y = self.rng.uniform(miny, maxy, count * 2)
            keep = shapely.contains_xy(self.outline, x, y)
            found += [Point(a, b) for a, b in zip(x[keep], y[keep], strict=True)]
        return found[:count]

    def around(self, centres: list[Point], count: int, spread_m: float) -> list[Point]:
        """Points scattered around centres (about ``spread_m`` metres), kept inside the outline."""
        found: list[Point] = []
        scale = spread_m / 111_000
        while len(found) < count:
            picks = self.rng.integers(0, len(centres), count)
            dx = self.rng.normal(0, scale * 1.5, count)
            dy = self.rng.normal(0, scale, count)
            x = np.array([centres[i].x for i in picks]) + dx
            y = np.array([centres[i].y for i in picks]) + dy
            keep = shapely.contains_xy(self.outline, x, y)
            found += [Point(a, b) for a, b in zip(x[keep], y[keep], strict=True)]
        return found[:count]

    def points(self, count: int, hot_share: float) -> list[Point]:
        """A mix of hot-spot and background points, shuffled."""
        hot = int(count * hot_share)
        points = self.around(self.station_points + self.blocks, hot, 120) + self.uniform(count - hot)
        order = self.rng.permutation(len(points))
        return [points[i] for i in order]


def _day_weights(days: list[date]) -> tuple[np.ndarray, np.ndarray]:
    holidays = school_holidays(days, calendar_for(INSEE).holiday_zone)
    on_holiday = np.array([holidays[day] for day in days])
    weekend = np.array([day.weekday() >= 4 for day in days])
    return np.where(weekend, 1.35, 1.0) * np.where(on_holiday, 1.25, 1.0), on_holiday


def timestamps(rng: np.random.Generator, year: int, count: int) -> list[datetime]:
    """Times of facts in one year: more in the evening, at weekends and during school holidays."""
    start, end = max(date(year, 1, 1), FIRST_DAY), min(date(year, 12, 31), LAST_DAY)
    days = [start + timedelta(days=i) for i in range((end - start).days + 1)]
    weights, _ = _day_weights(days)
    picks = rng.choice(len(days), size=count, p=weights / weights.sum())
    hours = rng.choice(24, size=count, p=HOUR_WEIGHTS / HOUR_WEIGHTS.sum())
    minutes = rng.integers(0, 60, count)
    stamps = [
        datetime(days[d].year, days[d].month, days[d].day, int(h), int(m))
        for d, h, m in zip(picks, hours, minutes, strict=True)
    ]
    return sorted(stamps)


def _labels(rng: np.random.Generator, partner: Partner, count: int) -> list[str]:
    names = list(partner.labels)
    weights = np.array([partner.labels[name] for name in names])
    return [names[i] for i in rng.choice(len(names), size=count, p=weights / weights.sum())]


def synthetic_ban(territory: Territory, rng: np.random.Generator) -> pd.DataFrame:
    """A BAN-format address file of synthetic streets laid across the commune."""
    rows = []
    for index, street in enumerate(STREETS):
        a, b = territory.uniform(2)
        numbers = int(rng.integers(20, 80))
        for number in range(1, numbers + 1):
            t = number / (numbers + 1)
            point = Point(a.x + (b.x - a.x) * t, a.y + (b.y - a.y) * t)
            if not territory.outline.contains(point):
                continue
            rows.append(
                {
                    "id": f"{INSEE}_{index:04d}_{number:05d}",
                    "id_fantoir": f"{INSEE}_{index:04d}",
                    "numero": number,
                    "rep": "",
                    "nom_voie": street,
                    "code_postal": POSTCODE,
                    "code_insee": INSEE,
                    "nom_commune": "Mons-en-Barœul",
                    "code_insee_ancienne_commune": "",
                    "nom_ancienne_commune": "",
                    "x": "",
                    "y": "",
                    "lon": round(point.x, 6),
                    "lat": round(point.y, 6),
                    "type_position": "entrée",
                    "alias": "",
                    "nom_ld": "",
                    "libelle_acheminement": "MONS EN BAROEUL",
                    "nom_afnor": street.upper(),
                    "source_position": MARK,
                    "source_nom_voie": MARK,
                    "certification_commune": 0,
                    "cad_parcelles": "",
                }
            )
    return pd.DataFrame(rows)


def _nearest_addresses(ban: pd.DataFrame, points: list[Point]) -> pd.DataFrame:
    tree = shapely.STRtree(gpd.points_from_xy(ban.lon, ban.lat))
    nearest = tree.nearest(points)
    return pd.DataFrame(ban.iloc[nearest].reset_index(drop=True))


class Writer:
    """Writes one partner's yearly export in its native format."""

    def __init__(self, out: Path, territory: Territory, ban: pd.DataFrame, rng: np.random.Generator) -> None:
        self.out = out
        self.territory = territory
        self.ban = ban
        self.rng = rng
        self.to_l93 = Transformer.from_crs(4326, 2154, always_xy=True)

    def facts(self, kind: str, year: int) -> tuple[list[datetime], list[str], list[Point]]:
        """Times, labels and points of one partner's facts in one year."""
        partner = PARTNERS[kind]
        count = int(partner.per_year * (1 + 0.08 * (year - 2022)) * self.rng.uniform(0.9, 1.1))
        if year == LAST_DAY.year:
            count //= 2
        if kind == "transport":
            return timestamps(self.rng, year, count), _labels(self.rng, partner, count), []
        return (
            timestamps(self.rng, year, count),
            _labels(self.rng, partner, count),
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
                "Commune": "MONS EN BAROEUL",
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
        addresses = _nearest_addresses(self.ban, points)
        frame = pd.DataFrame(
            {
                "Date": [s.strftime("%d/%m/%Y") for s in stamps],
                "Résidence": self.rng.choice(list(BLOCKS), len(stamps)),
                "N°": addresses["numero"].astype(str),
                "Voie": addresses["nom_voie"].str.replace("Rue ", "R. ").str.replace("Avenue ", "Av. "),
                "Code postal": POSTCODE,
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
        stations = self.territory.stations
        names = stations["name"].str.title().tolist()
        weights = np.where(stations["insee"] == INSEE, 6.0, 0.0)
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


def generate(out: Path, *, communes_file: Path, stations_file: Path, seed: int) -> dict[str, list[Path]]:
    """Write the synthetic BAN and every partner's yearly exports; return the files by mapping name."""
    out.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    communes = gpd.read_file(communes_file)
    outline = shapely.union_all(communes[communes["code"] == INSEE].to_crs(4326).geometry.to_numpy())
    outline = outline if isinstance(outline, MultiPolygon) else MultiPolygon([outline])
    stations = pd.read_csv(stations_file, dtype={"insee": str})
    territory = Territory(outline, stations, rng)
    ban = synthetic_ban(territory, rng)
    ban.to_csv(out / f"{MARK}_ban_{INSEE}.csv", sep=";", index=False)
    writer = Writer(out, territory, ban, rng)
    files: dict[str, list[Path]] = {"ban": [out / f"{MARK}_ban_{INSEE}.csv"]}
    for kind in PARTNERS:
        files[kind] = [getattr(writer, kind)(year) for year in range(FIRST_DAY.year, LAST_DAY.year + 1)]
    (out / "LISEZMOI.txt").write_text(
        "Fichiers SYNTHÉTIQUES générés par OLS pour la démonstration (etl/demo/generate.py).\n"
        "Aucun de ces faits n'a eu lieu. Seuls le contour communal et les stations de métro sont réels.\n",
        encoding="utf-8",
    )
    return files
