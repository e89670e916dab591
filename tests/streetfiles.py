"""Small street files written by the tests: an OSM PBF extract and BD TOPO-like road segments.

The PBF writer encodes the protocol buffers by hand (no osmium here): a header block, then one
block of plain nodes and ways with their tags, as https://wiki.openstreetmap.org/wiki/PBF_Format
describes them, which GDAL's OSM driver (the product's reader) decodes.
"""

from __future__ import annotations

import struct
import zlib
from pathlib import Path

import geopandas as gpd
from shapely.geometry import LineString, Polygon


def _varint(value: int) -> bytes:
    out = bytearray()
    while True:
        byte, value = value & 0x7F, value >> 7
        out.append(byte | (0x80 if value else 0))
        if not value:
            return bytes(out)


def _zigzag(value: int) -> int:
    return (value << 1) ^ (value >> 63)


def _field(number: int, payload: bytes | int) -> bytes:
    if isinstance(payload, int):
        return _varint(number << 3) + _varint(payload)
    return _varint(number << 3 | 2) + _varint(len(payload)) + payload


def _packed(number: int, values: list[int]) -> bytes:
    return _field(number, b"".join(_varint(v) for v in values))


def _blob(kind: str, message: bytes) -> bytes:
    blob = _field(2, len(message)) + _field(3, zlib.compress(message))
    header = _field(1, kind.encode()) + _field(3, len(blob))
    return struct.pack(">I", len(header)) + header + blob


def _node(node: int, lon: float, lat: float) -> bytes:
    return _field(1, _zigzag(node)) + _field(8, _zigzag(round(lat * 1e7))) + _field(9, _zigzag(round(lon * 1e7)))


Ways = dict[int, tuple[list[int], dict[str, str]]]


def write_pbf(path: Path, nodes: dict[int, tuple[float, float]], ways: Ways) -> Path:
    """An .osm.pbf of ``nodes`` (id → lon, lat) and ``ways`` (id → node ids, tags)."""
    strings = ["", *sorted({text for _, tags in ways.values() for pair in tags.items() for text in pair})]
    index = {text: i for i, text in enumerate(strings)}
    group = b"".join(_field(1, _node(node, lon, lat)) for node, (lon, lat) in nodes.items())
    for way, (refs, tags) in ways.items():
        deltas = [_zigzag(b - a) for a, b in zip([0, *refs], refs, strict=False)]
        body = _field(1, way) + _packed(2, [index[k] for k in tags]) + _packed(3, [index[v] for v in tags.values()])
        group += _field(3, body + _packed(8, deltas))
    table = _field(1, b"".join(_field(1, text.encode()) for text in strings))
    header = _field(4, b"OsmSchema-V0.6")
    path.write_bytes(_blob("OSMHeader", header) + _blob("OSMData", table + _field(2, group)))
    return path


def write_bdtopo(path: Path, *, lower: bool = False) -> Path:
    """A TRONCON_DE_ROUTE layer of four segments in Lambert-93, BD TOPO's columns (upper or lower case), after a
    COMMUNE layer, as in BD TOPO's GeoPackage."""
    x, y = 705_000.0, 7_060_000.0
    rows = {
        "NOM_1_GAUCHE": ["Rue de la Gare", "Avenue Foch", None, "Sentier des Prés"],
        "NOM_1_DROITE": ["Rue de la Gare", "Avenue Foch", "Rue Basse", None],
        "SENS": ["Double sens", "Sens direct", "Sens inverse", "Sans objet"],
        "NATURE": ["Route à 1 chaussée", "Route à 2 chaussées", "Route à 1 chaussée", "Sentier"],
        "IMPORTANCE": ["5", "2", "4", "6"],
    }
    lines = [LineString([(x, y), (x + 200, y)]), LineString([(x + 200, y), (x + 200, y + 150)]),
             LineString([(x + 200, y + 150), (x, y + 150)]), LineString([(x, y + 150), (x, y)])]  # fmt: skip
    commune = gpd.GeoDataFrame({"NOM": ["Commune"]}, geometry=[Polygon([(x, y), (x + 200, y), (x, y + 150)])], crs=2154)
    commune.to_file(path, layer="commune" if lower else "COMMUNE")
    frame = gpd.GeoDataFrame({k.lower() if lower else k: v for k, v in rows.items()}, geometry=lines, crs=2154)
    frame.to_file(path, layer="troncon_de_route" if lower else "TRONCON_DE_ROUTE", mode="a")
    return path
