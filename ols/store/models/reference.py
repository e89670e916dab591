"""Reference data: the observatory, its territories and sectors, named places, BAN addresses, street networks
and the official SSMSI figures."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from geoalchemy2 import Geometry
from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    SmallInteger,
    String,
    Text,
    UniqueConstraint,
    func,
)
from sqlalchemy.orm import Mapped, mapped_column

from ols.store.models.base import Base

OBSERVATORY_KINDS = ("clspd", "cispd", "epci")


class Observatory(Base):
    """The observatory a database serves: a CLSPD (one commune), a CISPD or an EPCI/métropole (several).

    Its communes are the ``territory`` rows; there is at most one row.
    """

    __tablename__ = "observatory"
    __table_args__ = (CheckConstraint("kind IN ('clspd', 'cispd', 'epci')", name="observatory_kind"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(Text)
    kind: Mapped[str] = mapped_column(String(16))
    loaded_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class Territory(Base):
    """An area the observatory covers: one commune for a CLSPD, its member communes for a CISPD.

    ``timezone`` and ``holiday_zone`` are its calendar (:mod:`ols.reference.calendar`), NULL when
    nothing states it (no INSEE code, no option): it then follows the other territories.
    """

    __tablename__ = "territory"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(Text)
    insee: Mapped[str | None] = mapped_column(String(5))
    geom: Mapped[Any] = mapped_column(Geometry("MULTIPOLYGON", srid=4326, spatial_index=True))
    boundary_file: Mapped[str | None] = mapped_column(Text)
    population: Mapped[int | None] = mapped_column(Integer)
    dwellings: Mapped[int | None] = mapped_column(Integer)
    timezone: Mapped[str | None] = mapped_column(String(64))
    holiday_zone: Mapped[str | None] = mapped_column(String(32))
    loaded_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class Sector(Base):
    """A part of a commune (quartier, IRIS, QPV, secteur de police, commune associée), loaded from a polygon file.

    ``level`` says which kind of part; ``parent_id`` is the sector one level up in a two-level
    hierarchy (quartier → IRIS). Facts carry the deepest sector they lie in (``event.sector_id``).
    """

    __tablename__ = "sector"
    __table_args__ = (Index("sector_territory", "territory_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(Text)
    level: Mapped[str] = mapped_column(String(32))
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("sector.id", ondelete="SET NULL"))
    territory_id: Mapped[int] = mapped_column(ForeignKey("territory.id", ondelete="CASCADE"))
    geom: Mapped[Any] = mapped_column(Geometry("MULTIPOLYGON", srid=4326, spatial_index=True))
    source_file: Mapped[str | None] = mapped_column(Text)
    loaded_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class Place(Base):
    """A named place of a kind of :data:`ols.reference.places.PLACE_KINDS` (school, bus stop, park, camera...)."""

    __tablename__ = "place"
    __table_args__ = (UniqueConstraint("kind", "name_key"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(32))
    name: Mapped[str] = mapped_column(Text)
    name_key: Mapped[str] = mapped_column(Text)
    insee: Mapped[str | None] = mapped_column(String(5))
    geom: Mapped[Any] = mapped_column(Geometry("POINT", srid=4326, spatial_index=True))
    attributes: Mapped[dict[str, Any]] = mapped_column(default=dict)


class Address(Base):
    """One address of the Base Adresse Nationale, for offline geocoding."""

    __tablename__ = "address"
    __table_args__ = (Index("address_lookup", "insee", "street_key", "number", "suffix"),)

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    insee: Mapped[str] = mapped_column(String(5))
    postcode: Mapped[str | None] = mapped_column(String(5))
    street: Mapped[str] = mapped_column(Text)
    street_key: Mapped[str] = mapped_column(Text)
    number: Mapped[int | None] = mapped_column(Integer)
    suffix: Mapped[str] = mapped_column(String(16), default="")
    lon: Mapped[float]
    lat: Mapped[float]


class StreetEdge(Base):
    """One directed street segment of a territory's network (two-way streets have both directions)."""

    __tablename__ = "street_edge"

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    network: Mapped[str] = mapped_column(String(64), index=True)
    u: Mapped[int] = mapped_column(BigInteger)
    v: Mapped[int] = mapped_column(BigInteger)
    length_m: Mapped[float]
    oneway: Mapped[bool]
    name: Mapped[str | None] = mapped_column(Text)
    highway: Mapped[str | None] = mapped_column(Text)
    geom: Mapped[Any] = mapped_column(Geometry("LINESTRING", srid=4326, spatial_index=True))


class OfficialIndicator(Base):
    """An official SSMSI figure (département or commune), shown as context beside local counts."""

    __tablename__ = "official_indicator"

    scope: Mapped[str] = mapped_column(String(16), primary_key=True)
    code: Mapped[str] = mapped_column(String(5), primary_key=True)
    year: Mapped[int] = mapped_column(SmallInteger, primary_key=True)
    indicator: Mapped[str] = mapped_column(Text, primary_key=True)
    unit: Mapped[str | None] = mapped_column(Text)
    count: Mapped[int | None] = mapped_column(Integer)
    rate_per_thousand: Mapped[float | None]
    population: Mapped[int | None] = mapped_column(Integer)
    dwellings: Mapped[int | None] = mapped_column(Integer)
    source_file: Mapped[str] = mapped_column(Text)
