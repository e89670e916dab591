"""What validation needs from the database, loaded once per ingest: territories, places, addresses."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime

import shapely
from geoalchemy2.shape import to_shape
from shapely.geometry.base import BaseGeometry
from sqlalchemy import Connection, select

from etl.geocode import Geocoder
from etl.mapping import Mapping
from ols.errors import NotFoundError
from ols.reference.calendar import calendar_of
from ols.settings import IngestLimits, ingest_limits
from ols.store.models import Place, Territory


@dataclass(frozen=True)
class TerritoryArea:
    """A loaded territory, as used to assign events."""

    id: int
    code: str
    insee: str | None
    geom: BaseGeometry


@dataclass
class Context:
    """What validation needs from the database, loaded once per ingest."""

    territories: list[TerritoryArea]
    timezone: str  # the territories' (ols.reference.calendar), for mappings that name none
    places: dict[str, tuple[float, float]] = field(default_factory=dict)
    geocoder: Geocoder | None = None
    now: datetime = field(default_factory=lambda: datetime.now(UTC))
    limits: IngestLimits = field(default_factory=ingest_limits)  # cell lengths (OLS_MAX_*_CHARS)

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
        territories=territories, timezone=calendar_of(connection).timezone, limits=limits or ingest_limits()
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
