"""What a sheet is about: a named place (with the ground around it), a sector, or a vigilance zone.

A place is a point: its sheet covers the disc of :data:`PLACE_RADIUS` metres around it, where what happens
"at the station" happens. A sector's facts are those filed under it (or its sub-sectors); a zone's and a
place's, those inside their outline.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

import shapely
from geoalchemy2 import Geography
from sqlalchemy import ColumnElement, Connection, cast, func, select
from sqlalchemy.sql import FromClause

from ols.access.audience import AccessDenied, Audience
from ols.errors import NotFoundError
from ols.names import name_key
from ols.reference.areas import Area
from ols.reference.places import kind_label
from ols.store.models import Place, Sector, Territory, Zone

PLACE_RADIUS = 250.0
SubjectKind = Literal["place", "sector", "zone"]
KIND_WORDS = {"place": "Fiche lieu", "sector": "Fiche secteur", "zone": "Fiche zone"}


@dataclass(frozen=True)
class Subject:
    """The place, sector or zone of a sheet: its kind, code, name, outline (WGS84) and commune."""

    kind: SubjectKind
    code: str
    name: str
    what: str  # « station de métro », « secteur (IRIS) », « zone de vigilance »
    outline: shapely.Geometry
    commune: str | None

    @property
    def title(self) -> str:
        """« Fiche lieu — Gare Jean Lebas (station de métro) »."""
        return f"{KIND_WORDS[self.kind]} — {self.name} ({self.what})"

    def geometry(self) -> ColumnElement[Any]:
        """Its outline as a PostGIS geometry."""
        return func.ST_GeomFromText(self.outline.wkt, 4326)

    def holds(self, events: FromClause) -> ColumnElement[bool]:
        """Whether a fact lies in it: filed under the sector, or inside the outline of a place or zone."""
        if self.kind == "sector":
            return Area(sectors=(self.code,)).facts(events)
        return func.ST_Intersects(self.geometry(), events.c.geom)


def _place(connection: Connection, name: str) -> Subject:
    disc = func.ST_Buffer(cast(Place.geom, Geography), PLACE_RADIUS)
    row = connection.execute(
        select(Place.id, Place.name, Place.kind, func.ST_AsBinary(disc), Territory.code)
        .outerjoin(Territory, func.ST_Intersects(Territory.geom, Place.geom))
        .where(Place.name_key == name_key(name)).order_by(Place.id).limit(1)
    ).one_or_none()  # fmt: skip
    if row is None:
        msg = f"lieu inconnu « {name} » : voyez les lieux chargés (couche « Lieux » de la carte)"
        raise NotFoundError(msg)
    return Subject("place", str(row[0]), row[1], kind_label(row[2]), shapely.from_wkb(bytes(row[3])), row[4])


def _sector(connection: Connection, code: str) -> Subject:
    row = connection.execute(
        select(Sector.code, Sector.name, Sector.level, func.ST_AsBinary(Sector.geom), Territory.code)
        .join(Territory, Territory.id == Sector.territory_id).where(Sector.code == code)
    ).one_or_none()  # fmt: skip
    if row is None:
        msg = f"secteur inconnu « {code} » : voyez les secteurs avec « ols territory list »"
        raise NotFoundError(msg)
    return Subject("sector", row[0], row[1], f"secteur, {row[2]}", shapely.from_wkb(bytes(row[3])), row[4])


def _zone(connection: Connection, code: str) -> Subject:
    row = connection.execute(
        select(Zone.code, Zone.name, func.ST_AsBinary(Zone.geom), Territory.code)
        .outerjoin(Territory, func.ST_Intersects(Territory.geom, func.ST_PointOnSurface(Zone.geom)))
        .where(Zone.code == code).order_by(Zone.kind.desc(), Zone.period.desc()).limit(1)
    ).one_or_none()  # fmt: skip
    if row is None:
        msg = f"zone inconnue « {code} » : voyez les zones de vigilance de la carte"
        raise NotFoundError(msg)
    return Subject("zone", row[0], row[1], "zone de vigilance", shapely.from_wkb(bytes(row[2])), row[3])


FINDERS = {"place": _place, "sector": _sector, "zone": _zone}


def find_subject(connection: Connection, kind: SubjectKind, code: str, audience: Audience) -> Subject:
    """The place, sector or zone asked for, if it lies in the audience's area (AccessDenied otherwise)."""
    subject = FINDERS[kind](connection, code)
    if subject.kind == "sector":
        audience.check_area(connection, Area(sectors=(subject.code,)))
    elif not connection.execute(select(audience.area(subject.geometry()).clause)).scalar():
        msg = f"{subject.name} est hors du périmètre de {audience.name}"
        raise AccessDenied(msg)
    return subject


def commune_subjects(connection: Connection, commune: str) -> tuple[str, list[tuple[SubjectKind, str]]]:
    """A commune's name and the subjects of its schéma local: its sectors (top level) and its named places of
    the kinds a schéma local looks at (transport, schools, public equipment...)."""
    row = connection.execute(
        select(Territory.id, Territory.name, Territory.geom)
        .where((Territory.code == commune) | (Territory.insee == commune))
    ).one_or_none()  # fmt: skip
    if row is None:
        msg = f"commune inconnue « {commune} »"
        raise NotFoundError(msg)
    sectors = connection.execute(select(Sector.code).where(Sector.territory_id == row[0], Sector.parent_id.is_(None))
                                 .order_by(Sector.code)).scalars().all()  # fmt: skip
    places = connection.execute(select(Place.name).where(func.ST_Intersects(row[2], Place.geom),
                                                         Place.kind.in_(LOCAL_PLAN_KINDS)).order_by(Place.name)
                                ).scalars().all()  # fmt: skip
    subjects: list[tuple[SubjectKind, str]] = [("sector", code) for code in sectors]
    return row[1], subjects + [("place", name) for name in places[:LOCAL_PLAN_PLACES]]


LOCAL_PLAN_KINDS = ("metro", "tram", "train_station", "college", "lycee")  # the places a schéma local has sheets for
LOCAL_PLAN_PLACES = 12
