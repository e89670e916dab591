"""Sectors: the parts of a commune (quartiers, IRIS, QPV, secteurs de police), loaded from any polygon file.

A commune may be cut in two levels (quartier → IRIS): the lower level is loaded with ``within``,
and each of its sectors gets as parent the sector of that level holding its representative point.
Communes associées (Lomme and Hellemmes in Lille) stand at the top, beside the quartiers: a
feature whose ``associated_field`` names another commune than its own is one. Facts carry the
deepest sector they lie in, the smallest sector holding them (in a hierarchy, the deepest);
reloading a level replaces its sectors and gives the commune's facts their sector again.
"""

from __future__ import annotations

import logging
import re
import unicodedata
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import shapely
from geoalchemy2.shape import from_shape, to_shape
from sqlalchemy import Connection, Select, delete, func, select, update
from sqlalchemy.dialects.postgresql import insert

from ols.errors import InvalidInputError
from ols.reference.geofiles import read_geofile
from ols.reference.territories import as_multipolygon
from ols.store.models import Event, Sector

logger = logging.getLogger(__name__)

ASSOCIATED = "commune associée"
TOP_LEVELS = (ASSOCIATED,)
"""Levels that stand beside any upper level: a lower sector in a commune associée has it as parent."""


@dataclass(frozen=True)
class SectorShape:
    """A sector read from a file, not yet saved: its code, name, level and WGS84 outline."""

    code: str
    name: str
    level: str
    geom: shapely.MultiPolygon


@dataclass(frozen=True)
class LoadedSectors:
    """What a sector load did: sectors saved per level, sectors removed, facts given their sector."""

    levels: dict[str, int]
    removed: int
    facts: int


def slug(text: str) -> str:
    """A code-safe form of a name: « Saint-Maurice Pellevoisin » → ``saint-maurice-pellevoisin``."""
    plain = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower()
    return re.sub(r"[^a-z0-9]+", "-", plain).strip("-")


def _same_name(a: str, b: str) -> bool:
    return slug(a) == slug(b)


def read_sectors(
    path: Path,
    *,
    commune: str,
    commune_name: str,
    name_field: str,
    level: str,
    code_field: str | None = None,
    associated_field: str | None = None,
) -> list[SectorShape]:
    """The sectors of a polygon file (any CRS): one per feature, named by ``name_field``.

    Codes come from ``code_field``, else from the commune and the name (``59350-wazemmes``). With
    ``associated_field``, a feature whose field differs from ``commune_name`` is a commune associée.
    """
    frame = read_geofile(path)
    if frame.crs is None:
        msg = f"{path.name} : le fichier n'a pas de système de coordonnées : définissez-le dans le SIG"
        raise InvalidInputError(msg)
    for field in (name_field, code_field, associated_field):
        if field and field not in frame.columns:
            msg = f"{path.name} : pas de champ « {field} » (champs : {', '.join(map(str, frame.columns[:-1]))})"
            raise InvalidInputError(msg)
    frame = frame.to_crs(4326)
    sectors = []
    for _, row in frame.iterrows():
        name = str(row[name_field]).strip()
        associated = associated_field is not None and not _same_name(str(row[associated_field]), commune_name)
        code = str(row[code_field]).strip() if code_field else f"{commune}-{slug(name)}"
        geom = as_multipolygon(row.geometry, path.name)
        sectors.append(SectorShape(code=code, name=name, level=ASSOCIATED if associated else level, geom=geom))
    if len({sector.code for sector in sectors}) < len(sectors):
        msg = f"{path.name} : des secteurs ont le même code : donnez un champ de code unique (--code-field)"
        raise InvalidInputError(msg)
    return sectors


def _parents(connection: Connection, territory_id: int, within: str, sectors: list[SectorShape]) -> list[int]:
    """For each sector, the sector of level ``within`` (or a commune associée) holding its representative point."""
    rows = connection.execute(
        select(Sector.id, Sector.geom).where(
            Sector.territory_id == territory_id, Sector.level.in_([within, *TOP_LEVELS])
        )
    ).all()
    if not rows:
        msg = f"aucun secteur de niveau « {within} » dans cette commune : chargez-les d'abord"
        raise InvalidInputError(msg)
    tree = shapely.STRtree([to_shape(row.geom) for row in rows])
    points = shapely.point_on_surface([sector.geom for sector in sectors])
    inside, found = tree.query(points, predicate="intersects")
    parents = np.full(len(sectors), -1, dtype=np.int64)
    parents[inside[::-1]] = np.asarray([rows[index].id for index in found], dtype=np.int64)[::-1]
    if missing := [sectors[index].name for index in np.flatnonzero(parents < 0)]:
        msg = f"secteurs hors de tout secteur de niveau « {within} » : {', '.join(missing[:5])}"
        raise InvalidInputError(msg)
    return [int(parent) for parent in parents]


def save_sectors(
    connection: Connection,
    territory_id: int,
    sectors: list[SectorShape],
    *,
    source: str,
    within: str | None = None,
) -> LoadedSectors:
    """Create or replace the sectors of a commune's levels, then give the commune's facts their sector.

    Sectors are kept by code (their facts and lower sectors stay tied to them); those of the loaded
    levels missing from ``sectors`` are removed.
    """
    parents = _parents(connection, territory_id, within, sectors) if within else [None] * len(sectors)
    ids = []
    for sector, parent in zip(sectors, parents, strict=True):
        values = {"name": sector.name, "level": sector.level, "parent_id": parent, "territory_id": territory_id,
                  "geom": from_shape(sector.geom, srid=4326), "source_file": source}  # fmt: skip
        statement = insert(Sector).values(code=sector.code, **values)
        upsert = statement.on_conflict_do_update(index_elements=["code"], set_=values).returning(Sector.id)
        ids.append(int(connection.execute(upsert).scalar_one()))
    levels = sorted({sector.level for sector in sectors})
    removed = connection.execute(
        delete(Sector).where(Sector.territory_id == territory_id, Sector.level.in_(levels), Sector.id.not_in(ids))
    ).rowcount
    facts = assign_facts(connection, territory_id)
    counts = {level: sum(sector.level == level for sector in sectors) for level in levels}
    logger.info("secteurs enregistrés depuis %s (%s) ; retirés : %d ; faits rattachés à un secteur : %d", source,
                ", ".join(f"{level} : {count}" for level, count in counts.items()), removed, facts)  # fmt: skip
    return LoadedSectors(levels=counts, removed=removed, facts=facts)


def deepest_sector(territory_id: object, point: object) -> Select[int]:
    """The deepest sector of a commune holding a point: the smallest (ties: the lowest id)."""
    return (
        select(Sector.id)
        .where(Sector.territory_id == territory_id, func.ST_Intersects(Sector.geom, point))
        .order_by(func.ST_Area(Sector.geom), Sector.id)
        .limit(1)
    )


def assign_facts(connection: Connection, territory_id: int) -> int:
    """Give every fact of a commune its deepest sector (NULL outside all); return how many facts have one."""
    sector = deepest_sector(Event.territory_id, Event.geom).correlate(Event).scalar_subquery()
    connection.execute(update(Event).where(Event.territory_id == territory_id).values(sector_id=sector))
    count = connection.execute(
        select(func.count()).where(Event.territory_id == territory_id, Event.sector_id.is_not(None))
    ).scalar_one()
    return int(count)
