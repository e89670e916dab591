"""Video-protection and the sheets' own entries: ``camera`` (a camera as a real object: where, what it sees,
since when, in which state), ``csu_activity`` (what the centre de supervision urbain reports per period, with
its provenance) and ``ambiance`` (a partner's qualitative rating of a place or sector for a period).

A camera's coverage is a disc of ``radius_m`` around it, or a view cone when it has a direction and an angle
(``direction_deg`` clockwise from north, ``angle_deg`` its opening): :mod:`ols.coverage.cameras` draws it, minus
what the ``building`` footprints hide from it when some are loaded (then ``clipped`` is true).
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from geoalchemy2 import Geometry
from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Date,
    DateTime,
    Float,
    Integer,
    String,
    Text,
    UniqueConstraint,
    false,
    func,
)
from sqlalchemy.orm import Mapped, mapped_column

from ols.store.models.base import Base, one_of

CAMERA_STATES = ("active", "broken", "planned", "removed")
AMBIANCE_RATINGS = ("calme", "tendu", "degrade")
SUBJECT_KINDS = ("place", "sector", "zone")


class Camera(Base):
    """One video-protection camera: position, coverage (radius, or direction and opening), installation, state."""

    __tablename__ = "camera"
    __table_args__ = (
        CheckConstraint(one_of("state", CAMERA_STATES), name="camera_state"),
        CheckConstraint("radius_m > 0 AND radius_m <= 500", name="camera_radius"),
        CheckConstraint("angle_deg IS NULL OR (angle_deg > 0 AND angle_deg <= 360)", name="camera_angle"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(Text)
    geom: Mapped[Any] = mapped_column(Geometry("POINT", srid=4326, spatial_index=True))
    radius_m: Mapped[float] = mapped_column(Float)
    direction_deg: Mapped[float | None] = mapped_column(Float)
    angle_deg: Mapped[float | None] = mapped_column(Float)
    coverage: Mapped[Any] = mapped_column(Geometry("MULTIPOLYGON", srid=4326, spatial_index=True))
    clipped: Mapped[bool] = mapped_column(Boolean, server_default=false())
    installed_on: Mapped[date | None] = mapped_column(Date)
    state: Mapped[str] = mapped_column(String(16), default="active")
    source_file: Mapped[str | None] = mapped_column(Text)


class Building(Base):
    """A building's footprint (WGS84): it hides from the cameras what lies behind it."""

    __tablename__ = "building"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    geom: Mapped[Any] = mapped_column(Geometry("MULTIPOLYGON", srid=4326, spatial_index=True))
    source_file: Mapped[str | None] = mapped_column(Text)


class CsuActivity(Base):
    """The CSU's activity and utility indicators of one period, as its operator entered them, with their provenance."""

    __tablename__ = "csu_activity"
    __table_args__ = (UniqueConstraint("period", "intervener"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    period: Mapped[str] = mapped_column(String(32))
    intervener: Mapped[str] = mapped_column(Text, default="")  # who the interventions were asked of ('' : all)
    hours: Mapped[float | None] = mapped_column(Float)
    interventions: Mapped[int | None] = mapped_column(Integer)
    arrests: Mapped[int | None] = mapped_column(Integer)  # interpellations en flagrant délit
    requisitions: Mapped[int | None] = mapped_column(Integer)  # réquisitions judiciaires d'images
    provenance: Mapped[str] = mapped_column(Text)
    entered_by: Mapped[str] = mapped_column(Text)
    entered_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class Ambiance(Base):
    """A partner's rating of a place, sector or zone for a period (calme, tendu, dégradé), with a checked remark."""

    __tablename__ = "ambiance"
    __table_args__ = (
        CheckConstraint(one_of("rating", AMBIANCE_RATINGS), name="ambiance_rating"),
        CheckConstraint(one_of("subject_kind", SUBJECT_KINDS), name="ambiance_subject"),
        UniqueConstraint("subject_kind", "subject", "period", "author"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    subject_kind: Mapped[str] = mapped_column(String(8))
    subject: Mapped[str] = mapped_column(Text)
    period: Mapped[str] = mapped_column(String(32))
    rating: Mapped[str] = mapped_column(String(8))
    observation: Mapped[str] = mapped_column(Text, default="")
    author: Mapped[str] = mapped_column(Text)
    entered_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
