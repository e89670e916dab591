"""Named places (metro stations, schools, equipment): a gazetteer for partner files and the map."""

from __future__ import annotations

import logging
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


def read_places(path: Path, *, name_column: str = "name") -> gpd.GeoDataFrame:
    """Points of a CSV with ``lon``/``lat`` columns, or of any point file, in WGS84."""
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


def save_places(connection: Connection, places: gpd.GeoDataFrame, *, kind: str, name_column: str = "name") -> int:
    """Create or update the places of one kind, keyed by their normalised name; return the count."""
    insee_column = next((c for c in INSEE_COLUMNS if c in places.columns), None)
    rows = []
    for _, place in places.iterrows():
        name = str(place[name_column]).strip()
        geom = place.geometry
        point = geom if isinstance(geom, Point) else geom.representative_point()
        attributes = {k: str(v) for k, v in place.items() if k not in (name_column, places.geometry.name)}
        rows.append(
            {
                "kind": kind,
                "name": name,
                "name_key": name_key(name),
                "insee": str(place[insee_column]) if insee_column else None,
                "geom": from_shape(point, srid=4326),
                "attributes": attributes,
            }
        )
    if not rows:
        return 0
    statement = insert(Place).values(rows)
    statement = statement.on_conflict_do_update(
        index_elements=["kind", "name_key"],
        set_={key: statement.excluded[key] for key in ("name", "insee", "geom", "attributes")},
    )
    connection.execute(statement)
    logger.info("lieux « %s » enregistrés : %d", kind, len(rows))
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
