"""What validation needs from the database, loaded once per ingest: territories, sectors, places, addresses."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime

import numpy as np
import shapely
from geoalchemy2.shape import to_shape
from shapely.geometry.base import BaseGeometry
from sqlalchemy import Connection, func, select

from etl.geocode import Geocoder
from etl.mapping import Mapping
from ols.errors import NotFoundError
from ols.reference.calendar import calendar_of
from ols.settings import IngestLimits, ingest_limits
from ols.store.models import Place, Sector, Territory


@dataclass(frozen=True)
class TerritoryArea:
    """A loaded territory, as used to assign events."""

    id: int
    code: str
    insee: str | None
    geom: BaseGeometry


@dataclass(frozen=True)
class SectorIndex:
    """The sectors of every commune, smallest first (ties: lowest id first), prepared for point tests.

    A fact gets the smallest sector of its commune holding it, the lowest id among equals: in a
    hierarchy (quartier → IRIS), the deepest, as :func:`ols.reference.sectors.deepest_sector`
    gives it when a reload assigns the facts again. Tested in this order, the first sector holding a
    point is the one it gets.
    """

    geoms: list[BaseGeometry]
    ids: np.ndarray
    territories: np.ndarray
    bounds: np.ndarray  # (n, 4): west, south, east, north

    @classmethod
    def load(cls, connection: Connection) -> SectorIndex | None:
        """The loaded sectors, None when there are none."""
        rows = connection.execute(
            select(Sector.id, Sector.territory_id, Sector.geom).order_by(func.ST_Area(Sector.geom), Sector.id)
        ).all()
        if not rows:
            return None
        geoms = [_prepared(to_shape(row.geom)) for row in rows]
        return cls(
            geoms=geoms,
            ids=np.array([row.id for row in rows], dtype=np.int64),
            territories=np.array([row.territory_id for row in rows], dtype=np.int64),
            bounds=shapely.bounds(geoms).reshape(-1, 4),
        )


@dataclass
class Context:
    """What validation needs from the database, loaded once per ingest."""

    territories: list[TerritoryArea]
    timezone: str  # the territories' (ols.reference.calendar), for mappings that name none
    places: dict[str, tuple[float, float]] = field(default_factory=dict)
    geocoder: Geocoder | None = None
    now: datetime = field(default_factory=lambda: datetime.now(UTC))
    limits: IngestLimits = field(default_factory=ingest_limits)  # cell lengths (OLS_MAX_*_CHARS)
    sectors: SectorIndex | None = None  # None: no commune is divided, facts have no sector

    def communes(self) -> list[str]:
        """INSEE codes of the territories, to geocode addresses that do not name their commune."""
        return [territory.insee for territory in self.territories if territory.insee]


def _prepared(geom: BaseGeometry) -> BaseGeometry:
    """The geometry with its spatial index built, for fast point-in-polygon tests on every row."""
    shapely.prepare(geom)
    return geom


def load_context(connection: Connection, mapping: Mapping, limits: IngestLimits | None = None) -> Context:
    """Territories, named places and the geocoder the mapping needs, and the limits of cells (``OLS_MAX_*``)."""
    territories = [
        TerritoryArea(id=row.id, code=row.code, insee=row.insee, geom=_prepared(to_shape(row.geom)))
        for row in connection.execute(select(Territory.__table__).order_by(Territory.id))
    ]
    if not territories:
        msg = "aucun territoire chargé : lancez d'abord « ols territory load »"
        raise NotFoundError(msg)
    context = Context(
        territories=territories,
        timezone=calendar_of(connection).timezone,
        limits=limits or ingest_limits(),
        sectors=SectorIndex.load(connection),
    )
    spec = mapping.location
    if spec.type == "place":
        query = select(Place.name_key, Place.geom)
        if spec.place_kind:
            query = query.where(Place.kind == spec.place_kind)
        context.places = {key: (to_shape(geom).x, to_shape(geom).y) for key, geom in connection.execute(query)}
    if spec.type == "address":
        context.geocoder = Geocoder.from_database(connection)
    return context
