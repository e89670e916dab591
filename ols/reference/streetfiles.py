"""Reading road segments from the files territories have: IGN BD TOPO, OSM extracts, Geofabrik and other GIS layers.

Every source says the same three things differently: the street's name (``name``, BD TOPO's
``NOM_1_GAUCHE``…), its class (OSM's ``highway``, Geofabrik's ``fclass``, BD TOPO's ``NATURE`` and
``IMPORTANCE``) and its direction of travel (OSM's ``oneway``, Geofabrik's ``F``/``T``/``B``, BD
TOPO's ``SENS``). :func:`read_segments` reads them into one frame, in WGS84, with an OSM ``highway``
class (the map draws minor roads only when zoomed in) and a ``direction`` (``both``, ``forward``
along the line, ``backward`` against it). An OSM way runs through its junctions, so lines are cut
at every vertex they share with another line: the routing graph then meets at each crossing.
"""

from __future__ import annotations

import itertools
import re
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import shapely
from shapely.geometry import LineString

from ols.errors import InvalidInputError
from ols.reference.geofiles import read_geofile

NAME_COLUMNS = ("name", "nom_1_gauche", "nom_1_droite", "nom_1_g", "nom_1_d", "nom_voie_g", "nom_voie_d", "nom_voie",
                "nom_rue", "nom")  # fmt: skip
CLASS_COLUMNS = ("highway", "fclass", "nature", "clsrte")
DIRECTION_COLUMNS = ("oneway", "sens", "sens_unique", "other_tags")
# BD TOPO's NATURE (and the Géobase de Montréal's ClsRte), lower-cased, as OSM highway classes.
NATURES = {
    "type autoroutier": "motorway", "route à 2 chaussées": "primary", "route à 1 chaussée": "residential",
    "bretelle": "primary_link", "rond-point": "tertiary", "place": "pedestrian", "route empierrée": "track",
    "chemin": "track", "sentier": "path", "piste cyclable": "cycleway", "escalier": "steps",
    "bac ou liaison maritime": "ferry", "bac auto": "ferry", "bac piéton": "ferry", "autoroute": "motorway",
    "nationale": "trunk", "artere": "primary", "collectrice municipale": "tertiary", "locale": "residential",
}  # fmt: skip
# BD TOPO's IMPORTANCE (1: between cities … 5: local access, 6: hardly passable) refines the class of a road.
IMPORTANCE = {"1": "trunk", "2": "primary", "3": "secondary", "4": "tertiary", "5": "residential", "6": "track"}
ROADS = {"route à 2 chaussées", "route à 1 chaussée", "rond-point", "bretelle", "place"}
FORWARD = {"yes", "true", "1", "oui", "f", "sens direct", "direct", "conforme"}
BACKWARD = {"-1", "reverse", "t", "sens inverse", "inverse"}
OTHER_TAG = re.compile(r'"(oneway|junction)"=>"([^"]*)"')
NOT_STREETS = {"ferry", "proposed", "construction", "abandoned", "platform", "raceway", "bus_guideway"}


def _columns(frame: pd.DataFrame, names: tuple[str, ...]) -> list[str]:
    """The columns of ``names`` the frame has, in that order, whatever their case (NOM_1_GAUCHE or nom_1_gauche)."""
    columns = {str(column).lower(): str(column) for column in frame.columns}
    return [columns[name] for name in names if name in columns]


def _column(frame: pd.DataFrame, names: tuple[str, ...]) -> str | None:
    """The first of ``names`` the frame has."""
    return next(iter(_columns(frame, names)), None)


def _names(frame: pd.DataFrame) -> list[str | None]:
    """Each segment's name: the first name column that gives one (BD TOPO: the left side's, else the right's)."""
    found: list[str | None] = [None] * len(frame)
    for column in _columns(frame, NAME_COLUMNS):
        found = [known or first_of(value) for known, value in zip(found, frame[column], strict=True)]
    return found


def _text(value: object) -> str | None:
    """A cell as stripped text, None when empty."""
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return None
    text = str(value).strip()
    return text or None


def first_of(value: object) -> str | None:
    """A cell as text; the first item of a list OSMnx wrote as ``['Rue A', 'Rue B']`` (a street merged from ways)."""
    text = _text(value)
    if text is not None and text.startswith("[") and text.endswith("]"):
        return _text(text[1:-1].split(",")[0].strip(" '\""))
    return text


def highway_class(value: object, importance: object = None) -> str | None:
    """An OSM highway class from OSM's, Geofabrik's or BD TOPO's own."""
    text = first_of(value)
    if text is None:
        return None
    text = text.lower()
    rank = _text(importance)
    if text in ROADS and rank is not None and rank in IMPORTANCE:
        return IMPORTANCE[rank]
    return NATURES.get(text, text)


def direction_of(value: object) -> str:
    """``forward``, ``backward`` or ``both`` from a oneway, a BD TOPO SENS or GDAL's OSM ``other_tags``."""
    text = (_text(value) or "").lower()
    if "=>" in text:
        tags = dict(OTHER_TAG.findall(text))
        text = tags.get("oneway") or ("yes" if tags.get("junction") == "roundabout" else "")
    if text in FORWARD:
        return "forward"
    return "backward" if text in BACKWARD else "both"


def split_at_junctions(lines: list[LineString]) -> tuple[list[LineString], list[int]]:
    """Lines cut at each inner vertex another line shares (a crossing), with the index of the line each came from."""
    coords, owner = shapely.get_coordinates(lines, return_index=True)
    keys = pd.Series(list(map(tuple, coords.round(7))))
    lines_at = pd.DataFrame({"key": keys, "owner": owner}).drop_duplicates().groupby("key")["owner"].size()
    shared = keys.map(lines_at).to_numpy() > 1
    pieces, origins = [], []
    start = 0
    for index, line in enumerate(lines):
        points = coords[start : start + len(line.coords)]
        cuts = [0, *(i for i in range(1, len(points) - 1) if shared[start + i]), len(points) - 1]
        for a, b in itertools.pairwise(cuts):
            pieces.append(LineString(points[a : b + 1]))
            origins.append(index)
        start += len(points)
    return pieces, origins


def _road_layer(path: Path) -> str | None:
    """BD TOPO's road layer when a GeoPackage of many layers has one (its other layers are not streets)."""
    if path.suffix.lower() != ".gpkg":
        return None
    try:
        names = [str(name) for name, _ in pyogrio.list_layers(path)]
    except pyogrio.errors.DataSourceError:
        return None  # read_geofile says why, in French
    return next((name for name in names if name.lower() == "troncon_de_route"), None)


def read_segments(path: Path, layer: str | None = None) -> gpd.GeoDataFrame:
    """A road file's segments in WGS84, cut at junctions: ``geometry``, ``name``, ``highway``, ``direction``."""
    osm = path.name.lower().endswith(".pbf")
    frame = read_geofile(path, layer="lines" if osm else layer or _road_layer(path))
    if frame.crs is None:
        msg = f"{path.name} : les tronçons n'ont pas de système de coordonnées : définissez-le dans le SIG"
        raise InvalidInputError(msg)
    frame = frame.explode(index_parts=False).to_crs(4326)
    frame = frame[(frame.geometry.geom_type == "LineString") & ~frame.geometry.is_empty].reset_index(drop=True)
    kind, sens = _column(frame, CLASS_COLUMNS), _column(frame, DIRECTION_COLUMNS)
    importance = _column(frame, ("importance",))
    classes = [highway_class(frame.at[i, kind] if kind else None, frame.at[i, importance] if importance else None)
               for i in range(len(frame))]  # fmt: skip
    segments = pd.DataFrame({
        "name": pd.Series(_names(frame), dtype=object),
        "highway": classes,
        "direction": [direction_of(value) for value in frame[sens]] if sens else "both",
    })  # fmt: skip
    keep = ~segments.highway.isin(NOT_STREETS) & (segments.highway.notna() if osm else True)
    segments, lines = segments[keep].reset_index(drop=True), list(frame.geometry[keep.to_numpy()])
    if not lines:
        msg = f"{path.name} : aucun tronçon de rue (lignes) dans ce fichier : vérifiez la couche choisie"
        raise InvalidInputError(msg)
    pieces, origins = split_at_junctions(lines)
    return gpd.GeoDataFrame(segments.iloc[origins].reset_index(drop=True), geometry=pieces, crs=4326)
