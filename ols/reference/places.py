"""Named places of any kind (schools, bus stops, parks, commerces, halls, cameras...): a gazetteer for partner files,
the map, zone names and patrol candidates.

A place's kind comes from one controlled list (:data:`PLACE_KINDS`, code → French label): a kind outside it is
refused with the list, so that patrol rules and labels never meet a kind they do not know. An operator may write the
code or the French label ("collège", "arrêt de bus").
"""

from __future__ import annotations

import logging
import unicodedata
from pathlib import Path

import geopandas as gpd
import h3
import pandas as pd
from geoalchemy2.shape import from_shape
from shapely.geometry import Point
from sqlalchemy import Connection, func, select
from sqlalchemy.dialects.postgresql import insert

from ols.errors import InvalidInputError, NotFoundError
from ols.names import name_key
from ols.reference.geofiles import read_geofile
from ols.store.models import Place

logger = logging.getLogger(__name__)

INSEE_COLUMNS = ("insee", "code_insee", "INSEE_COM")
PLACE_KINDS = {
    "town_hall": "mairie",
    "school": "école",
    "college": "collège",
    "lycee": "lycée",
    "metro": "station de métro",
    "tram": "arrêt de tramway",
    "bus_stop": "arrêt de bus",
    "train_station": "gare",
    "park": "parc ou jardin",
    "sport": "équipement sportif",
    "commerce": "commerce",
    "market": "marché",
    "bailleur_hall": "hall de bailleur",
    "camera": "caméra de vidéoprotection",
    "equipment": "équipement public",
}


def _folded(text: str) -> str:
    plain = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().casefold()
    return " ".join(plain.replace("_", " ").replace("-", " ").replace("'", " ").split())


KIND_NAMES = {_folded(name): code for code, label in PLACE_KINDS.items() for name in (code, label)}


def place_kind(value: str) -> str:
    """The code of a kind given by its code or its French label; anything else is refused with the list."""
    code = KIND_NAMES.get(_folded(value))
    if code is None:
        choices = ", ".join(f"{code} ({label})" for code, label in PLACE_KINDS.items())
        msg = f"type de lieu inconnu : « {value} » ; types connus : {choices}"
        raise InvalidInputError(msg)
    return code


def kind_label(kind: str) -> str:
    """The French label of a kind code (the code itself for a row older than the list)."""
    return PLACE_KINDS.get(kind, kind)


def read_places(path: Path, *, name_column: str = "name") -> gpd.GeoDataFrame:
    """Points of a CSV with ``lon``/``lat`` columns, or of any point file (GeoJSON, GeoPackage...), in WGS84."""
    if path.suffix.lower() == ".csv":
        frame = pd.read_csv(path, dtype=str, keep_default_na=False)
        if not {"lon", "lat", name_column} <= set(frame.columns):
            msg = f"{path.name} : un CSV de lieux doit avoir les colonnes {name_column}, lon et lat"
            raise InvalidInputError(msg)
        points = gpd.points_from_xy(frame["lon"].astype(float), frame["lat"].astype(float))
        places = gpd.GeoDataFrame(frame, geometry=points, crs=4326)
    else:
        places = read_geofile(path).to_crs(4326)
    if name_column not in places.columns:
        msg = f"{path.name} : pas de colonne « {name_column} » : donnez la colonne des noms (--name-column)"
        raise InvalidInputError(msg)
    return places


def kinds_of(places: gpd.GeoDataFrame, *, kind: str | None = None, kind_field: str | None = None) -> list[str]:
    """The kind code of each place: ``kind`` for all, or each row's ``kind_field`` (a file holding several kinds).

    Exactly one of the two is given; every value is checked against the list before anything is saved.
    """
    if (kind is None) == (kind_field is None):
        msg = "donnez soit le type des lieux (--kind), soit la colonne qui le porte (--kind-field)"
        raise InvalidInputError(msg)
    if kind is not None:
        return [place_kind(kind)] * len(places)
    if kind_field not in places.columns:
        msg = f"pas de colonne « {kind_field} » dans le fichier de lieux (--kind-field)"
        raise InvalidInputError(msg)
    by_value = {value: place_kind(str(value)) for value in places[kind_field].unique()}
    return [by_value[value] for value in places[kind_field]]


def _row(place: pd.Series, kind: str, name_column: str, insee_column: str | None, geometry: str) -> dict[str, object]:
    name = str(place[name_column]).strip()
    geom = place[geometry]
    point = geom if isinstance(geom, Point) else geom.representative_point()
    return {
        "kind": kind,
        "name": name,
        "name_key": name_key(name),
        "insee": str(place[insee_column]) if insee_column else None,
        "geom": from_shape(point, srid=4326),
        "attributes": {k: str(v) for k, v in place.items() if k not in (name_column, geometry)},
    }


def save_places(
    connection: Connection, places: gpd.GeoDataFrame, *, kind: str | None = None, kind_field: str | None = None,
    name_column: str = "name",
) -> int:  # fmt: skip
    """Create or update places of a kind (or of each row's kind), keyed by kind and name; return the count."""
    kinds = kinds_of(places, kind=kind, kind_field=kind_field)
    insee_column = next((c for c in INSEE_COLUMNS if c in places.columns), None)
    rows = [_row(place, code, name_column, insee_column, places.geometry.name)
            for code, (_, place) in zip(kinds, places.iterrows(), strict=True)]  # fmt: skip
    if not rows:
        return 0
    statement = insert(Place).values(rows)
    statement = statement.on_conflict_do_update(
        index_elements=["kind", "name_key"],
        set_={key: statement.excluded[key] for key in ("name", "insee", "geom", "attributes")},
    )
    connection.execute(statement)
    for code in sorted(set(kinds)):
        logger.info("lieux « %s » enregistrés : %d", kind_label(code), kinds.count(code))
    return len(rows)


def locate(connection: Connection, name: str) -> tuple[float, float]:
    """The (lon, lat) of a loaded place, found by its normalised name; a name that matches none is an error."""
    row = connection.execute(
        select(func.ST_X(Place.geom), func.ST_Y(Place.geom)).where(Place.name_key == name_key(name)).limit(1)
    ).one_or_none()
    if row is None:
        msg = (f"lieu inconnu : « {name} » ; donnez « longitude,latitude » ou le nom d'un lieu chargé "
               "(ols places load)")  # fmt: skip
        raise NotFoundError(msg)
    return float(row[0]), float(row[1])


def nearest_name(connection: Connection, cell: int) -> str | None:
    """The name of the named place nearest to an H3 cell's centre: what a person reads instead of a cell id."""
    lat, lon = h3.cell_to_latlng(h3.int_to_str(cell))
    point = func.ST_SetSRID(func.ST_MakePoint(lon, lat), 4326)
    return connection.execute(select(Place.name).order_by(Place.geom.op("<->")(point)).limit(1)).scalar()
