"""Areas: the part of the observatory a result is cut to, some of its communes and sectors (none: all of it).

One rule for every cut, written once: an output asked for one commune or one quartier, and a user
tied to communes or sectors (:mod:`ols.access.audience`), both restrict their rows through an
:class:`Area`. A sector includes the sectors below it (a quartier its IRIS); a fact lies in a
sector when its ``sector_id`` is one of them, a cell count when its cell's centre lies in the
sector and it counts facts of the sector's commune, a geometry when it shares ground with the
sector; a zone across the area's border is drawn clipped to it (:meth:`Area.clip`). Communes are
``territory`` rows, named by their code.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import shapely
from geoalchemy2.shape import to_shape
from shapely.geometry.base import BaseGeometry
from sqlalchemy import (
    BindParameter,
    ColumnElement,
    Connection,
    Select,
    String,
    and_,
    any_,
    bindparam,
    exists,
    false,
    func,
    literal_column,
    not_,
    or_,
    select,
    true,
    union_all,
)
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import QueryableAttribute

from ols.errors import InvalidInputError
from ols.reference.territories import commune_of
from ols.store.models import Cell, Observatory, Sector, Territory
from ols.store.sql import Rows, column_of

Geometries = ColumnElement[Any] | QueryableAttribute[Any] | str
"""Geometries an area tests: a Core column, or ``alias.column`` in a text() query."""


def _codes(name: str, codes: tuple[str, ...]) -> BindParameter[list[str]]:
    return bindparam(name, list(codes), type_=ARRAY(String), unique=True)  # type: ignore[arg-type]


@dataclass(frozen=True)
class Area:
    """Some communes (territory codes) and sectors (sector codes) of the observatory; both empty: all of it.

    The area is their union: a commune whole, plus each sector with the sectors below it.
    """

    communes: tuple[str, ...] = ()
    sectors: tuple[str, ...] = ()

    @property
    def whole(self) -> bool:
        """Whether the area is the whole observatory (nothing is left out)."""
        return not self.communes and not self.sectors

    @classmethod
    def parse(cls, connection: Connection, commune: str | None = None, sector: str | None = None) -> Area:
        """The area a user asked for: a commune (INSEE or territory code), a sector of it, or both.

        An unknown commune or sector, or a sector outside the commune given, is refused.
        """
        code = commune_of(connection, commune)[1] if commune else None
        if not sector:
            return cls(communes=(code,) if code else ())
        row = connection.execute(
            select(Sector.code, Territory.code.label("commune"))
            .join(Territory, Territory.id == Sector.territory_id)
            .where(Sector.code == sector)
        ).one_or_none()
        if row is None:
            msg = f"secteur inconnu « {sector} » : voyez les secteurs avec « ols territory list »"
            raise InvalidInputError(msg)
        if code is not None and row.commune != code:
            msg = f"le secteur « {sector} » n'est pas dans la commune {commune}"
            raise InvalidInputError(msg)
        return cls(sectors=(row.code,))

    def subtree(self) -> Select[tuple[int]]:
        """The ids of its sectors and of every sector below them (a quartier's IRIS)."""
        tree = select(Sector.id).where(Sector.code == any_(_codes("area_sectors", self.sectors)))
        tree_cte = tree.cte("area_sector_tree", recursive=True, nesting=True)
        below = Sector.__table__.alias("area_below")
        tree_cte = tree_cte.union_all(select(below.c.id).where(below.c.parent_id == tree_cte.c.id))
        return select(tree_cte.c.id)

    def facts(self, rows: Rows) -> ColumnElement[bool]:
        """Keeps the rows that lie in the area: events, cell counts or any rows with a territory and a geometry.

        Events by ``territory_id`` and ``sector_id``; cell counts (no sector of their own) by
        ``territory_id`` and the centre of their cell; other rows by ``territory_id`` and ``geom``.
        """
        if self.whole:
            return true()
        conditions: list[ColumnElement[bool]] = []
        if self.communes:
            communes = select(Territory.id).where(Territory.code == any_(_codes("area_communes", self.communes)))
            conditions.append(column_of(rows, "territory_id").in_(communes.correlate(None)))
        if self.sectors:
            conditions.append(self._sector_rows(rows))
        return or_(*conditions)

    def _sector_rows(self, rows: Rows) -> ColumnElement[bool]:
        columns = set(rows.c.keys()) if not isinstance(rows, str) else {"sector_id"}
        if "sector_id" in columns:
            return column_of(rows, "sector_id").in_(self.subtree())
        if "h3" in columns:
            cell = Cell.__table__.alias("area_cell")
            inside = self._in_sectors(cell.c.geom, centre=True, territory=column_of(rows, "territory_id"))
            return exists().where(cell.c.h3 == column_of(rows, "h3"), inside)
        return self._in_sectors(column_of(rows, "geom"), centre=False)

    def _in_sectors(
        self, geometry: Geometries, *, centre: bool, territory: ColumnElement[Any] | None = None
    ) -> ColumnElement[bool]:
        """Whether the geometry meets one of its sectors (a cell count: of the sector's commune, too)."""
        sector = Sector.__table__.alias("area_sector")
        own = sector.c.code == any_(_codes("area_sectors", self.sectors))
        same_commune = sector.c.territory_id == territory if territory is not None else true()
        return exists().where(own, same_commune, _meets(sector.c.geom, geometry, centre)).correlate_except(sector)

    def meets(self, geometries: Geometries, *, centre: bool = False) -> ColumnElement[bool]:
        """Keeps geometries that meet the area (``centre``: whose centre lies in it).

        Meeting means sharing some ground: a polygon that only touches the area's border stays out.
        """
        if self.whole:
            return true()
        conditions: list[ColumnElement[bool]] = []
        if self.communes:
            territory = Territory.__table__.alias("area_territory")
            own = territory.c.code == any_(_codes("area_communes", self.communes))
            meets = _meets(territory.c.geom, geometries, centre)
            conditions.append(exists().where(own, meets).correlate_except(territory))
        if self.sectors:
            conditions.append(self._in_sectors(geometries, centre=centre))
        return or_(*conditions)

    def territories(self) -> ColumnElement[bool]:
        """Keeps the ``territory`` rows of the area: its communes and the communes of its sectors."""
        if self.whole:
            return true()
        of_sectors = select(Sector.territory_id).where(Sector.code == any_(_codes("area_sectors", self.sectors)))
        return or_(
            Territory.code == any_(_codes("area_communes", self.communes)) if self.communes else false(),
            Territory.id.in_(of_sectors.correlate(None)) if self.sectors else false(),
        )

    def outline(self) -> ColumnElement[Any]:
        """The area's outline in SQL: the union of its communes' and sectors' geometries (one scalar subquery)."""
        parts = [
            select(Territory.geom.label("geom")).where(Territory.code == any_(_codes("area_communes", self.communes))),
            select(Sector.geom.label("geom")).where(Sector.code == any_(_codes("area_sectors", self.sectors))),
        ]
        union = union_all(*parts).subquery("area_parts")
        return select(func.ST_Union(union.c.geom)).scalar_subquery()

    def clip(self, geometries: ColumnElement[Any] | QueryableAttribute[Any]) -> ColumnElement[Any]:
        """Polygons cut to the area (as they are when the area is whole): what of a zone a reader may see drawn."""
        if self.whole:
            return geometries  # type: ignore[return-value]
        return func.ST_Multi(func.ST_CollectionExtract(func.ST_Intersection(geometries, self.outline()), 3))

    def own_sectors(self) -> ColumnElement[bool]:
        """Keeps the ``sector`` rows of the area: every sector of its communes, its sectors and those below them."""
        if self.whole:
            return true()
        communes = select(Territory.id).where(Territory.code == any_(_codes("area_communes", self.communes)))
        return or_(
            Sector.territory_id.in_(communes.correlate(None)) if self.communes else false(),
            Sector.id.in_(self.subtree()) if self.sectors else false(),
        )

    def covers(self, other: Area, connection: Connection) -> bool:
        """Whether ``other`` lies within this area (a commune or a sector a user asks for)."""
        if self.whole:
            return True
        if other.whole or not set(other.communes) <= set(self.communes):
            return False
        if not other.sectors:
            return True
        inside = select(func.count()).where(Sector.code == any_(_codes("covers_sectors", other.sectors)),
                                            self.own_sectors())  # fmt: skip
        return int(connection.execute(inside).scalar_one()) == len(set(other.sectors))

    def label(self, connection: Connection) -> str:
        """The area in French: « Loos », « quartier Wazemmes (Lille) », the observatory's name when whole."""
        if self.whole:
            name = connection.execute(select(Observatory.name)).scalar()
            return str(name) if name else "tout l'observatoire"
        communes = connection.execute(
            select(Territory.name).where(Territory.code == any_(_codes("area_communes", self.communes)))
            .order_by(Territory.name)
        ).scalars().all()  # fmt: skip
        sectors = connection.execute(
            select(Sector.level, Sector.name, Territory.name.label("commune"))
            .join(Territory, Territory.id == Sector.territory_id)
            .where(Sector.code == any_(_codes("area_sectors", self.sectors)))
            .order_by(Territory.name, Sector.name)
        ).all()
        parts = [*communes, *(f"{row.level} {row.name} ({row.commune})" for row in sectors)]
        return ", ".join(parts)

    def geometry(self, connection: Connection) -> BaseGeometry | None:
        """The outline of the area in WGS84: the union of its communes and sectors (of every territory when whole)."""
        statements = [select(Territory.geom)] if self.whole else []
        if self.communes:
            statements.append(
                select(Territory.geom).where(Territory.code == any_(_codes("area_communes", self.communes)))
            )
        if self.sectors:
            statements.append(select(Sector.geom).where(Sector.code == any_(_codes("area_sectors", self.sectors))))
        geoms = [to_shape(geom) for statement in statements for geom in connection.execute(statement).scalars()]
        return shapely.union_all(geoms) if geoms else None


def _meets(outline: Any, geometries: Geometries, centre: bool) -> ColumnElement[bool]:
    geometry = literal_column(geometries) if isinstance(geometries, str) else geometries
    if centre:
        return func.ST_Intersects(outline, func.ST_Centroid(geometry))
    return and_(func.ST_Intersects(outline, geometry), not_(func.ST_Touches(outline, geometry)))
