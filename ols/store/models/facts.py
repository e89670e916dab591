"""Facts: the partners (``source``), the files they send (``batch``), the ``event`` each row becomes, or its
``rejected_row``.

An ``event`` is one fact reported by one partner, read from one file, located in one ``territory``.
Its id is a deterministic fingerprint of the fact within its source, so the same fact sent twice is
stored once. Every row read from a file is an event, a duplicate (counted on the batch) or a
``rejected_row`` with its reason: nothing read is lost. No table has a column for a person's name,
birth date or contact details.

The same event reported by several partners is several events, one per source; ``event_pair``
holds the pairs of facts of different sources close enough in space, time and kind to be one
event, and ``event_link`` each fact merged into the *signalement* of another (its lead), as
:mod:`ols.merging` computes them. Both follow the events they name (``ON DELETE CASCADE``).
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from geoalchemy2 import Geometry
from sqlalchemy import (
    BigInteger,
    CheckConstraint,
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
from sqlalchemy.dialects.postgresql import UUID
from sqlalchemy.orm import Mapped, mapped_column

from ols.store.models.base import Base, one_of

TIME_PRECISIONS = ("minute", "day", "month")
LOCATION_PRECISIONS = ("exact", "address", "street", "zone")
CONFIDENTIALITY_LEVELS = ("open", "partners", "police")
MEASURES = ("facts", "activity")
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


class Source(Base):
    """A partner that sends facts, with the confidentiality its facts get by default."""

    __tablename__ = "source"
    __table_args__ = (
        CheckConstraint(one_of("kind", SOURCE_KINDS), name="source_kind"),
        CheckConstraint(one_of("default_confidentiality", CONFIDENTIALITY_LEVELS), name="source_confidentiality"),
    )

    id: Mapped[int] = mapped_column(SmallInteger, primary_key=True)
    code: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(Text)
    kind: Mapped[str] = mapped_column(String(32))
    default_confidentiality: Mapped[str] = mapped_column(String(16))


class Batch(Base):
    """One ingested file: what it was, how it was read, by whom, and what became of its rows.

    ``dropped_columns``: the attribute columns dropped for nominative data (the mapping's
    ``drop_column`` policy), with what they held in French, so that the same file sent again is
    reported as the first time.
    """

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
    dropped_columns: Mapped[dict[str, Any]] = mapped_column(server_default=text("'{}'::jsonb"))
    merge_rule: Mapped[str | None] = mapped_column(String(64))  # the rule its facts were paired under (ols.merging)


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
        CheckConstraint(one_of("time_precision", TIME_PRECISIONS), name="event_time_precision"),
        CheckConstraint(one_of("location_precision", LOCATION_PRECISIONS), name="event_location_precision"),
        CheckConstraint(one_of("confidentiality", CONFIDENTIALITY_LEVELS), name="event_confidentiality"),
        CheckConstraint(one_of("measure", MEASURES), name="event_measure"),
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
    sector_id: Mapped[int | None] = mapped_column(ForeignKey("sector.id", ondelete="SET NULL"))
    partner_ref: Mapped[str | None] = mapped_column(Text)
    confidentiality: Mapped[str] = mapped_column(String(16))
    line: Mapped[int] = mapped_column(Integer)
    attributes: Mapped[dict[str, Any]] = mapped_column(default=dict, server_default="{}")
    measure: Mapped[str] = mapped_column(String(8))  # facts or activity (ols.nomenclature), said by every insert


def _event_key(prefix: str, name: str) -> ForeignKeyConstraint:
    """A foreign key from ``(prefix_source_id, prefix_id)`` to an event, following its deletion."""
    return ForeignKeyConstraint(
        [f"{prefix}source_id", f"{prefix}id"], ["event.source_id", "event.id"], name=name, ondelete="CASCADE"
    )


class EventPair(Base):
    """Two facts of different partners that may be the same event: same family, close in space and time.

    Stored once, the smaller key first (``(source_a, id_a) < (source_b, id_b)``), with their
    distance and, when both are timed to the minute, the minutes between them.
    """

    __tablename__ = "event_pair"
    __table_args__ = (
        PrimaryKeyConstraint("a_source_id", "a_id", "b_source_id", "b_id", name="event_pair_pkey"),
        _event_key("a_", "event_pair_a_fkey"),
        _event_key("b_", "event_pair_b_fkey"),
        Index("event_pair_b", "b_source_id", "b_id"),
    )

    a_source_id: Mapped[int] = mapped_column(SmallInteger)
    a_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True))
    b_source_id: Mapped[int] = mapped_column(SmallInteger)
    b_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True))
    metres: Mapped[float]
    minutes: Mapped[int | None] = mapped_column(Integer)


class EventLink(Base):
    """A fact merged into the signalement of another partner's fact, its lead: counted once, with the lead."""

    __tablename__ = "event_link"
    __table_args__ = (
        PrimaryKeyConstraint("source_id", "id", name="event_link_pkey"),
        _event_key("", "event_link_member_fkey"),
        _event_key("lead_", "event_link_lead_fkey"),
        Index("event_link_lead", "lead_source_id", "lead_id"),
    )

    source_id: Mapped[int] = mapped_column(SmallInteger)
    id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True))
    lead_source_id: Mapped[int] = mapped_column(SmallInteger)
    lead_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True))
