"""Where a zone lies: the communes and sectors it meets, and a name a reader recognises.

A computed zone is found over the whole observatory, so it may straddle two communes; it is filed
under every commune and sector it meets (``zone.communes``, ``zone.sectors``), so that a breakdown
by commune reports it in each. Its name says where it is in words: the nearest named place of any
kind and its commune ("près de Mairie, Loos"), or, with no place near enough, the commune and its
sector ("Loos — secteur Nord"); never "près de ?".
"""

from __future__ import annotations

from dataclasses import dataclass

import shapely
from geoalchemy2.shape import to_shape
from shapely.geometry.base import BaseGeometry
from sqlalchemy import Connection, func, select

from ols.cartography.zones import TO_L93, reproject
from ols.store.models import Place, Sector, Territory

PLACE_RADIUS_M = 500.0
LEVEL_LABELS = {"iris": "IRIS", "qpv": "QPV", "commune_associee": "commune associée"}


@dataclass(frozen=True)
class Part:
    """A commune or a sector: its code (a commune's INSEE code; None for an area loaded without one), name and
    outline (WGS84)."""

    code: str | None
    name: str
    geom: BaseGeometry
    level: str = "commune"
    top: bool = True


@dataclass(frozen=True)
class Whereabouts:
    """Where a zone lies: the communes (INSEE) and sectors (codes) it meets, and a place name in French."""

    communes: tuple[str, ...]
    sectors: tuple[str, ...]
    label: str


@dataclass(frozen=True)
class Gazetteer:
    """The observatory's communes, sectors and named places, read once per refresh."""

    communes: tuple[Part, ...]
    sectors: tuple[Part, ...]
    places: tuple[tuple[str, shapely.Point], ...]

    @classmethod
    def load(cls, connection: Connection) -> Gazetteer:
        """Communes, sectors and places from the database (places in Lambert-93, for distances in metres)."""
        communes = tuple(
            Part(insee, name, to_shape(geom))
            for insee, name, geom in connection.execute(
                select(Territory.insee, Territory.name, Territory.geom).order_by(Territory.code)
            )
        )
        sectors = tuple(
            Part(code, name, to_shape(geom), level, parent is None)
            for code, name, level, parent, geom in connection.execute(
                select(Sector.code, Sector.name, Sector.level, Sector.parent_id, Sector.geom).order_by(Sector.code)
            )
        )
        rows = connection.execute(select(Place.name, func.ST_X(Place.geom), func.ST_Y(Place.geom)))
        places = tuple((name, reproject(shapely.Point(x, y), TO_L93)) for name, x, y in rows)
        return cls(communes, sectors, places)

    def nearest_place(self, geom: BaseGeometry) -> tuple[str, float] | None:
        """The named place nearest to a geometry's representative point, with its distance in metres."""
        if not self.places:
            return None
        centre = reproject(geom.representative_point(), TO_L93)
        metres, name = min((point.distance(centre), name) for name, point in self.places)
        return name, metres

    def of(self, geom: BaseGeometry) -> Whereabouts:
        """The communes and sectors a zone meets (the one holding most of it first), and its name."""
        communes = _meeting(self.communes, geom)
        sectors = _meeting(self.sectors, geom)
        return Whereabouts(
            tuple(c.code for c in communes if c.code),
            tuple(s.code for s in sectors if s.code),
            self._label(geom, communes, sectors),
        )

    def _label(self, geom: BaseGeometry, communes: list[Part], sectors: list[Part]) -> str:
        where = " / ".join(commune.name for commune in communes)
        place = self.nearest_place(geom)
        if place is not None and place[1] <= PLACE_RADIUS_M:
            return f"près de {place[0]}, {where}" if where else f"près de {place[0]}"
        sector = next((s for s in sectors if s.top), None)
        if sector is not None:
            return f"{where} — {LEVEL_LABELS.get(sector.level, sector.level)} {sector.name}"
        if where:
            return where
        return f"près de {place[0]}" if place else "hors des communes de l'observatoire"


def _meeting(parts: tuple[Part, ...], geom: BaseGeometry) -> list[Part]:
    """The parts a geometry meets (shares some area with), the one holding most of it first."""
    shares = [(part.geom.intersection(geom).area, part) for part in parts if part.geom.intersects(geom)]
    return [part for share, part in sorted(shares, key=lambda item: -item[0]) if share > 0]
