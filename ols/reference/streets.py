"""Street networks: imported from an OSMnx GraphML, an OSM extract or road segments (any CRS).

Edges are directed. A two-way street has both directions; a one-way street only its own. Walking
and cycling ignore one-way rules, driving follows them. Lengths are in metres.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

import networkx as nx
import numpy as np
import pandas as pd
import shapely
from geoalchemy2.shape import from_shape
from pyproj import Geod
from shapely import wkt
from shapely.geometry import LineString
from sqlalchemy import Connection, delete, func, insert, select

from ols.errors import InvalidInputError
from ols.reference.streetfiles import first_of, highway_class, read_segments
from ols.store.models import StreetEdge

logger = logging.getLogger(__name__)

GEOD = Geod(ellps="WGS84")
MODES = {"pedestre": 4.5, "cycliste": 14.0, "vehicule": 25.0}
TRUE = {"true", "yes", "1", "-1", "oui"}


@dataclass(frozen=True)
class Edge:
    """A directed street segment."""

    u: int
    v: int
    length_m: float
    oneway: bool
    name: str | None
    highway: str | None
    geom: LineString


def _length(line: LineString) -> float:
    return float(GEOD.geometry_length(line))


def _graph_edges(graph: nx.MultiDiGraph) -> list[Edge]:
    """Edges of a networkx street graph (OSMnx's, read from GraphML or built from OSM XML)."""
    coords = {node: (float(data["x"]), float(data["y"])) for node, data in graph.nodes(data=True)}
    ids = {node: index for index, node in enumerate(graph.nodes)}
    edges = []
    for u, v, data in graph.edges(data=True):
        geometry = data.get("geometry")
        line = wkt.loads(geometry) if isinstance(geometry, str) else geometry or LineString([coords[u], coords[v]])
        length = float(data["length"]) if "length" in data else _length(line)
        oneway = str(data.get("oneway", "False")).lower() in TRUE
        name, highway = first_of(data.get("name")), highway_class(data.get("highway"))
        edges.append(Edge(ids[u], ids[v], length, oneway, name, highway, line))
    if not graph.is_directed():
        edges += [Edge(e.v, e.u, e.length_m, False, e.name, e.highway, LineString(e.geom.coords[::-1])) for e in edges]
    return edges


def _segment_edges(path: Path, layer: str | None) -> list[Edge]:
    """Directed edges of road segments: both ways unless the segment is one-way (then along its direction)."""
    frame = read_segments(path, layer)
    lines = [LineString(line.coords[::-1]) if direction == "backward" else line
             for line, direction in zip(frame.geometry, frame.direction, strict=True)]  # fmt: skip
    ends = np.array([[line.coords[0], line.coords[-1]] for line in lines]).round(7)
    keys = pd.factorize(pd.Series([tuple(point) for point in ends.reshape(-1, 2)]))[0].reshape(-1, 2)
    edges = []
    for (u, v), line, label, highway, direction in zip(keys, lines, frame.name, frame.highway, frame.direction,
                                                         strict=True):  # fmt: skip
        oneway, length, name = direction != "both", _length(line), label if isinstance(label, str) else None
        edges.append(Edge(int(u), int(v), length, oneway, name, highway, line))
        if not oneway:
            edges.append(Edge(int(v), int(u), length, False, name, highway, LineString(line.coords[::-1])))
    return edges


def read_edges(path: Path, *, layer: str | None = None) -> list[Edge]:
    """The directed edges of a street file: GraphML (OSMnx), an OSM extract (.osm XML, .osm.pbf), or road segments
    (GeoPackage, Shapefile, GeoJSON: BD TOPO's TRONCON_DE_ROUTE, Geofabrik's roads…; see :mod:`.streetfiles`)."""
    suffix = path.suffix.lower()
    if suffix in (".graphml", ".gml"):
        return _graph_edges(nx.read_graphml(path))
    if suffix == ".osm":
        import osmnx

        return _graph_edges(osmnx.graph_from_xml(path, simplify=True))
    if suffix in (".gpkg", ".geojson", ".json", ".shp", ".pbf"):
        return _segment_edges(path, layer)
    msg = (f"{path.name} : les rues se lisent dans des fichiers .graphml ou .osm.pbf / .osm (OSMnx, extrait "
           "OpenStreetMap), .gpkg, .shp ou .geojson (tronçons, dont TRONCON_DE_ROUTE de la BD TOPO)")  # fmt: skip
    raise InvalidInputError(msg)


def graph_of(edges: list[Edge], mode: str) -> nx.DiGraph:
    """The routing graph of a mode: directed for driving, every edge both ways on foot and by bike."""
    if mode not in MODES:
        msg = f"mode inconnu « {mode} » : choisissez parmi {', '.join(MODES)}"
        raise InvalidInputError(msg)
    graph = nx.DiGraph()
    for edge in edges:
        pairs = [(edge.u, edge.v, edge.geom)]
        if mode != "vehicule":
            pairs.append((edge.v, edge.u, LineString(edge.geom.coords[::-1])))
        for u, v, line in pairs:
            if not graph.has_edge(u, v) or graph[u][v]["length"] > edge.length_m:
                graph.add_edge(u, v, length=edge.length_m, geom=line)
    for node in graph.nodes:
        out = next(iter(graph.out_edges(node, data=True)), None) or next(iter(graph.in_edges(node, data=True)))
        line = out[2]["geom"]
        graph.nodes[node]["xy"] = line.coords[0] if out[0] == node else line.coords[-1]
    return graph


def save_edges(connection: Connection, network: str, edges: list[Edge]) -> int:
    """Replace a network's edges in the database."""
    connection.execute(delete(StreetEdge).where(StreetEdge.network == network))
    connection.execute(insert(StreetEdge), [
        {"network": network, "u": e.u, "v": e.v, "length_m": e.length_m, "oneway": e.oneway, "name": e.name,
         "highway": e.highway, "geom": from_shape(e.geom, srid=4326)} for e in edges
    ])  # fmt: skip
    logger.info("réseau de rues %s enregistré : %d tronçons", network, len(edges))
    return len(edges)


def load_streets(connection: Connection, path: Path, *, network: str = "rues", layer: str | None = None) -> int:
    """Read a street file and replace a network with it (``ols territory load-streets``, the demo): the patrols
    route on it and the map draws it as the offline base map. Returns the number of directed edges."""
    return save_edges(connection, network, read_edges(path, layer=layer))


def load_edges(connection: Connection, network: str | None = None) -> list[Edge]:
    """The edges stored for a network (the first one loaded when ``network`` is None)."""
    name = network or connection.execute(select(func.min(StreetEdge.network))).scalar()
    columns = (StreetEdge.u, StreetEdge.v, StreetEdge.length_m, StreetEdge.oneway, StreetEdge.name, StreetEdge.highway)
    rows = connection.execute(
        select(*columns, func.ST_AsBinary(StreetEdge.geom)).where(StreetEdge.network == name)
    ).all()
    return [Edge(u, v, length, oneway, label, highway, shapely.from_wkb(bytes(geom)))
            for u, v, length, oneway, label, highway, geom in rows]  # fmt: skip


def streets_within(
    connection: Connection, box: tuple[float, float, float, float]
) -> list[tuple[LineString, str | None, str | None]]:
    """The streets of every loaded network meeting ``box`` (west, south, east, north in WGS84), each street once
    (a two-way street is stored as two directed edges, drawn once): (line, highway, name), to draw a map's streets."""
    west, south, east, north = box
    envelope = func.ST_MakeEnvelope(west, south, east, north, 4326)
    rows = connection.execute(
        select(func.ST_AsBinary(StreetEdge.geom), StreetEdge.highway, StreetEdge.name)
        .where(StreetEdge.geom.op("&&")(envelope), StreetEdge.oneway | (StreetEdge.u <= StreetEdge.v))
        .order_by(StreetEdge.id)
    ).all()
    return [(shapely.from_wkb(bytes(geom)), highway, name) for geom, highway, name in rows]
