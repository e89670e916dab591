"""The observatory's tables, as typed SQLAlchemy 2 models.

An ``event`` is one fact reported by one partner (``source``), read from one file (``batch``),
located in one ``territory``. Its id is a deterministic fingerprint of the fact within its
source, so the same fact sent twice is stored once. Every row read from a file is an event, a
duplicate (counted on the batch) or a ``rejected_row`` with its reason: nothing read is lost.
No table has a column for a person's name, birth date or contact details.
"""

from __future__ import annotations

import uuid
from datetime import date as date_
from datetime import datetime
from typing import Any, ClassVar

from geoalchemy2 import Geometry
from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    Date,
    DateTime,
    ForeignKey,
    ForeignKeyConstraint,
    Index,
    Integer,
    PrimaryKeyConstraint,
    SmallInteger,
    String,
    Text,
    UniqueConstraint,
    func,
    text,
)
from sqlalchemy.dialects.postgresql import ARRAY, JSONB, UUID
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from ols.access.roles import Role

TIME_PRECISIONS = ("minute", "day", "month")
LOCATION_PRECISIONS = ("exact", "address", "street", "zone")
CONFIDENTIALITY_LEVELS = ("open", "partners", "police")
SOURCE_KINDS = (
    "police_nationale",
    "police_municipale",
    "bailleur",
    "mediation",
    "transport",
    "services_techniques",
    "doleances",
    "cellule_veille",
    "other",
)


def _in(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(value) for value in values)})"


class Base(DeclarativeBase):
    """Declarative base of every OLS table."""

    type_annotation_map: ClassVar[dict[Any, Any]] = {dict[str, Any]: JSONB}


class Source(Base):
    """A partner that sends facts, with the confidentiality its facts get by default."""

    __tablename__ = "source"
    __table_args__ = (
        CheckConstraint(_in("kind", SOURCE_KINDS), name="source_kind"),
        CheckConstraint(_in("default_confidentiality", CONFIDENTIALITY_LEVELS), name="source_confidentiality"),
    )

    id: Mapped[int] = mapped_column(SmallInteger, primary_key=True)
    code: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(Text)
    kind: Mapped[str] = mapped_column(String(32))
    default_confidentiality: Mapped[str] = mapped_column(String(16))


class Territory(Base):
    """An area the observatory covers: one commune for a CLSPD, several territories for a CISPD."""

    __tablename__ = "territory"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(Text)
    insee: Mapped[str | None] = mapped_column(String(5))
    geom: Mapped[Any] = mapped_column(Geometry("MULTIPOLYGON", srid=4326, spatial_index=True))
    boundary_file: Mapped[str | None] = mapped_column(Text)
    population: Mapped[int | None] = mapped_column(Integer)
    dwellings: Mapped[int | None] = mapped_column(Integer)
    loaded_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class Place(Base):
    """A named place: metro station, school, equipment; a gazetteer for partner files and the map."""

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


class Batch(Base):
    """One ingested file: what it was, how it was read, by whom, and what became of its rows."""

    __tablename__ = "batch"
    __table_args__ = (
        UniqueConstraint("source_id", "sha256"),
        UniqueConstraint("id", "source_id", name="batch_id_source_id_key"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    source_id: Mapped[int] = mapped_column(ForeignKey("source.id"))
    sha256: Mapped[str] = mapped_column(String(64))
    filename: Mapped[str] = mapped_column(Text)
    mapping_name: Mapped[str] = mapped_column(Text)
    mapping: Mapped[dict[str, Any]]
    ingested_by: Mapped[str] = mapped_column(Text)
    ingested_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    rows_read: Mapped[int] = mapped_column(Integer, default=0)
    accepted: Mapped[int] = mapped_column(Integer, default=0)
    duplicates: Mapped[int] = mapped_column(Integer, default=0)
    rejected: Mapped[int] = mapped_column(Integer, default=0)


class RejectedRow(Base):
    """A row that could not become an event, kept with its reason to be sent back to the partner."""

    __tablename__ = "rejected_row"

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    batch_id: Mapped[int] = mapped_column(ForeignKey("batch.id", ondelete="CASCADE"), index=True)
    line: Mapped[int] = mapped_column(Integer)
    reason: Mapped[str] = mapped_column(String(32))
    column_name: Mapped[str | None] = mapped_column(Text)
    message: Mapped[str] = mapped_column(Text)
    raw: Mapped[dict[str, Any]]


class Event(Base):
    """One fact: what (harmonised category), when (with precision), where (with precision), who said it.

    Keyed by the fact: ``(source_id, id)``, so the database itself stores a fact once, whichever
    ingests send it and however many at once (``etl.load`` inserts with ``ON CONFLICT DO
    NOTHING``). One table, not partitioned (migration ``0009_event_key_constraint`` says why).
    """

    __tablename__ = "event"
    __table_args__ = (
        CheckConstraint(_in("time_precision", TIME_PRECISIONS), name="event_time_precision"),
        CheckConstraint(_in("location_precision", LOCATION_PRECISIONS), name="event_location_precision"),
        CheckConstraint(_in("confidentiality", CONFIDENTIALITY_LEVELS), name="event_confidentiality"),
        Index("event_geom", "geom", postgresql_using="gist"),
        Index("event_occurred_at", "occurred_at"),
        ForeignKeyConstraint(["batch_id", "source_id"], ["batch.id", "batch.source_id"], name="event_batch_fkey"),
        PrimaryKeyConstraint("source_id", "id", name="event_pkey"),
    )

    id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True))
    source_id: Mapped[int] = mapped_column(SmallInteger)
    batch_id: Mapped[int] = mapped_column(Integer)
    territory_id: Mapped[int] = mapped_column(ForeignKey("territory.id"))
    category: Mapped[str] = mapped_column(String(48))
    family: Mapped[str] = mapped_column(String(32))
    raw_label: Mapped[str] = mapped_column(Text)
    occurred_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    time_precision: Mapped[str] = mapped_column(String(8))
    geom: Mapped[Any] = mapped_column(Geometry("POINT", srid=4326, spatial_index=False))
    location_precision: Mapped[str] = mapped_column(String(8))
    h3_r8: Mapped[int] = mapped_column(BigInteger)
    h3_r9: Mapped[int] = mapped_column(BigInteger)
    h3_r10: Mapped[int] = mapped_column(BigInteger)
    commune_insee: Mapped[str | None] = mapped_column(String(5))
    partner_ref: Mapped[str | None] = mapped_column(Text)
    confidentiality: Mapped[str] = mapped_column(String(16))
    line: Mapped[int] = mapped_column(Integer)
    attributes: Mapped[dict[str, Any]] = mapped_column(default=dict, server_default=text("'{}'"))


class CellCount(Base):
    """Events per H3 cell, period, category and source: the aggregate every map and table reads."""

    __tablename__ = "cell_count"

    period: Mapped[str] = mapped_column(String(32), primary_key=True)
    resolution: Mapped[int] = mapped_column(SmallInteger, primary_key=True)
    h3: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    category: Mapped[str] = mapped_column(String(48), primary_key=True)
    source_id: Mapped[int] = mapped_column(SmallInteger, primary_key=True)
    territory_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    family: Mapped[str] = mapped_column(String(32))
    count: Mapped[int] = mapped_column(Integer)
    cell_key: Mapped[int] = mapped_column(BigInteger, server_default=text("0"))


SCOPE_CHECK = "scope IN ('full', 'open')"


class Hotspot(Base):
    """Gi* of one cell of the study area for a period, scope, resolution and family ('*': all families).

    The ``full`` scope counts every category; the ``open`` scope leaves out the sensitive ones, for
    the audiences that may not see them (:mod:`ols.access`).
    """

    __tablename__ = "hotspot"
    __table_args__ = (CheckConstraint(SCOPE_CHECK, name="hotspot_scope"),)

    period: Mapped[str] = mapped_column(String(32), primary_key=True)
    scope: Mapped[str] = mapped_column(String(8), primary_key=True)
    resolution: Mapped[int] = mapped_column(SmallInteger, primary_key=True)
    family: Mapped[str] = mapped_column(String(32), primary_key=True)
    h3: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    count: Mapped[int] = mapped_column(Integer)
    z: Mapped[float]
    p: Mapped[float]
    p_fdr: Mapped[float]
    hotspot_class: Mapped[str] = mapped_column("class", String(16))


class EmergingHotspot(Base):
    """Space-time pattern of one cell over the semesters ending with ``period``, for one scope."""

    __tablename__ = "emerging_hotspot"
    __table_args__ = (CheckConstraint(SCOPE_CHECK, name="emerging_hotspot_scope"),)

    period: Mapped[str] = mapped_column(String(32), primary_key=True)
    scope: Mapped[str] = mapped_column(String(8), primary_key=True)
    resolution: Mapped[int] = mapped_column(SmallInteger, primary_key=True)
    family: Mapped[str] = mapped_column(String(32), primary_key=True)
    h3: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    pattern: Mapped[str] = mapped_column(String(32))
    trend_tau: Mapped[float | None]
    trend_p: Mapped[float | None]
    hot_periods: Mapped[int] = mapped_column(SmallInteger)
    cold_periods: Mapped[int] = mapped_column(SmallInteger)


class Zone(Base):
    """A vigilance zone: computed from a scope's hot spots for a period (with its cells), or declared by partners."""

    __tablename__ = "zone"
    __table_args__ = (
        CheckConstraint("kind IN ('computed', 'declared')", name="zone_kind"),
        CheckConstraint(SCOPE_CHECK, name="zone_scope"),
        UniqueConstraint("kind", "scope", "period", "code"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))
    scope: Mapped[str] = mapped_column(String(8), default="full", server_default="full")
    resolution: Mapped[int | None] = mapped_column(SmallInteger)
    code: Mapped[str] = mapped_column(String(64))
    period: Mapped[str] = mapped_column(String(32), default="")
    name: Mapped[str] = mapped_column(Text)
    rationale: Mapped[str] = mapped_column(Text, default="")
    owner: Mapped[str] = mapped_column(Text, default="")
    review_date: Mapped[date_ | None] = mapped_column(Date)
    valid_from: Mapped[date_ | None] = mapped_column(Date)
    valid_to: Mapped[date_ | None] = mapped_column(Date)
    geom: Mapped[Any] = mapped_column(Geometry("MULTIPOLYGON", srid=4326, spatial_index=True))
    stats: Mapped[dict[str, Any]] = mapped_column(default=dict)
    cells: Mapped[list[int]] = mapped_column(ARRAY(BigInteger), default=list, server_default=text("'{}'"))


class Refresh(Base):
    """One refresh of a period: when, with which method, and its summary."""

    __tablename__ = "refresh"

    period: Mapped[str] = mapped_column(String(32), primary_key=True)
    refreshed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    method: Mapped[dict[str, Any]]
    summary: Mapped[dict[str, Any]]


class Edition(Base):
    """A published, frozen semester cartography: exactly what the cellule de veille saw."""

    __tablename__ = "edition"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    period: Mapped[str] = mapped_column(String(32), unique=True)
    published_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    published_by: Mapped[str] = mapped_column(Text)
    content: Mapped[dict[str, Any]]


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


DEAL_POINT_STATUSES = ("actif", "en_surveillance", "demantele")


class User(Base):
    """A person or service allowed to use the API: a role, a territory scope, a hashed token."""

    __tablename__ = "app_user"
    __table_args__ = (CheckConstraint(_in("role", tuple(role.value for role in Role)), name="app_user_role"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(128), unique=True)
    role: Mapped[str] = mapped_column(String(16))
    source_code: Mapped[str | None] = mapped_column(String(64))
    territories: Mapped[list[str]] = mapped_column(ARRAY(String(64)), default=list)
    token_prefix: Mapped[str] = mapped_column(String(16), unique=True)
    token_hash: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    disabled: Mapped[bool] = mapped_column(default=False)


class UserSession(Base):
    """A web session: the SHA-256 of its id (the cookie holds the id, signed), its user and its expiry."""

    __tablename__ = "app_session"

    id_sha256: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("app_user.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class DisclosureKey(Base):
    """The observatory's secret for the cell-key rounding of published counts (one row, drawn at creation)."""

    __tablename__ = "disclosure_key"
    __table_args__ = (CheckConstraint("id = 1", name="disclosure_key_single"),)

    id: Mapped[int] = mapped_column(SmallInteger, primary_key=True)
    secret: Mapped[int] = mapped_column(BigInteger)


class AuditEntry(Base):
    """Who read a sensitive layer or exported what, when, with which parameters (append-only)."""

    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    user_name: Mapped[str] = mapped_column(String(128))
    role: Mapped[str] = mapped_column(String(16))
    action: Mapped[str] = mapped_column(String(32))
    resource: Mapped[str] = mapped_column(Text)
    parameters: Mapped[dict[str, Any]] = mapped_column(default=dict)
    client: Mapped[str | None] = mapped_column(Text)


class DealPoint(Base):
    """A point de deal reported in cellule de veille: the most sensitive layer, police roles only."""

    __tablename__ = "deal_point"
    __table_args__ = (CheckConstraint(_in("status", DEAL_POINT_STATUSES), name="deal_point_status"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    label: Mapped[str] = mapped_column(Text)
    territory_id: Mapped[int] = mapped_column(ForeignKey("territory.id"))
    geom: Mapped[Any] = mapped_column(Geometry("POINT", srid=4326, spatial_index=True))
    first_reported: Mapped[date_] = mapped_column(Date)
    last_reported: Mapped[date_] = mapped_column(Date)
    reports: Mapped[int] = mapped_column(Integer, default=1)
    status: Mapped[str] = mapped_column(String(16), default="actif")
    notes: Mapped[str] = mapped_column(Text, default="")


class DealPointChange(Base):
    """One change of a point de deal (report, status change), for its history."""

    __tablename__ = "deal_point_history"

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    deal_point_id: Mapped[int] = mapped_column(ForeignKey("deal_point.id", ondelete="CASCADE"), index=True)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    by: Mapped[str] = mapped_column(String(128))
    change: Mapped[dict[str, Any]]


class Cell(Base):
    """The hexagon of an H3 cell of a study area, for vector tiles (PostGIS has no H3 functions here)."""

    __tablename__ = "h3_cell"

    h3: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    resolution: Mapped[int] = mapped_column(SmallInteger)
    geom: Mapped[Any] = mapped_column(Geometry("POLYGON", srid=4326, spatial_index=True))


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


class PatrolPlan(Base):
    """A patrol plan as it was handed to the teams (kept for the rotation and for evaluation)."""

    __tablename__ = "patrol_plan"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    window: Mapped[str] = mapped_column(Text)
    mode: Mapped[str] = mapped_column(String(16))
    parameters: Mapped[dict[str, Any]]


class PatrolStop(Base):
    """A stop of a plan, and whether the team made it (from the main courante)."""

    __tablename__ = "patrol_stop"

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("patrol_plan.id", ondelete="CASCADE"), index=True)
    team: Mapped[int] = mapped_column(SmallInteger)
    position: Mapped[int] = mapped_column(SmallInteger)
    key: Mapped[str] = mapped_column(Text)
    reason: Mapped[str] = mapped_column(Text)
    arrival: Mapped[str] = mapped_column(String(5))
    dwell_min: Mapped[int] = mapped_column(SmallInteger)
    lon: Mapped[float]
    lat: Mapped[float]
    done: Mapped[bool | None]
