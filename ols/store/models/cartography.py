"""The semester cartography a refresh derives from the facts: cell counts, hot spots, zones, editions."""

from __future__ import annotations

from datetime import date as date_
from datetime import datetime
from typing import Any

from geoalchemy2 import Geometry
from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    Date,
    DateTime,
    Integer,
    SmallInteger,
    String,
    Text,
    UniqueConstraint,
    false,
    func,
)
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import Mapped, mapped_column

from ols.store.models.base import Base

SCOPE_CHECK = "scope IN ('full', 'open')"


class CellCount(Base):
    """Events per H3 cell, period, category, source and measure: the aggregate every map and table reads.

    ``count`` counts the signalements (each fact once across partners: the facts not merged into
    another partner's, :mod:`ols.merging`), ``merged`` the facts of this source merged into
    another's signalement; ``cell_key`` and ``merged_key`` are their cell keys. A source's own
    facts are ``count + merged``.
    """

    __tablename__ = "cell_count"
    __table_args__ = (CheckConstraint("measure IN ('facts', 'activity')", name="cell_count_measure"),)

    period: Mapped[str] = mapped_column(String(32), primary_key=True)
    resolution: Mapped[int] = mapped_column(SmallInteger, primary_key=True)
    h3: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    category: Mapped[str] = mapped_column(String(48), primary_key=True)
    source_id: Mapped[int] = mapped_column(SmallInteger, primary_key=True)
    territory_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    measure: Mapped[str] = mapped_column(String(8), primary_key=True, server_default="facts")
    family: Mapped[str] = mapped_column(String(32))
    count: Mapped[int] = mapped_column(Integer)
    cell_key: Mapped[int] = mapped_column(BigInteger, server_default="0")
    merged: Mapped[int] = mapped_column(Integer, server_default="0")
    merged_key: Mapped[int] = mapped_column(BigInteger, server_default="0")


class Cell(Base):
    """The hexagon of an H3 cell of a study area, for vector tiles (PostGIS has no H3 functions here)."""

    __tablename__ = "h3_cell"

    h3: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    resolution: Mapped[int] = mapped_column(SmallInteger)
    geom: Mapped[Any] = mapped_column(Geometry("POLYGON", srid=4326, spatial_index=True))


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
    measure: Mapped[str] = mapped_column(String(8), primary_key=True, server_default="facts")
    h3: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    count: Mapped[int] = mapped_column(Integer)
    neighbourhood: Mapped[int] = mapped_column(Integer, server_default="0")
    z: Mapped[float | None]
    p: Mapped[float | None]
    p_fdr: Mapped[float | None]
    hotspot_class: Mapped[str] = mapped_column("class", String(16))


class HotspotLayer(Base):
    """One Gi* layer of a period (scope, resolution, family, measure): computed, or not for want of facts.

    ``status`` is ``computed`` or ``insufficient`` (too few facts in the study area: no class at
    all), with the facts counted and the minimums applied, and ``reason`` says why in French.
    """

    __tablename__ = "hotspot_layer"
    __table_args__ = (
        CheckConstraint(SCOPE_CHECK, name="hotspot_layer_scope"),
        CheckConstraint("status IN ('computed', 'insufficient')", name="hotspot_layer_status"),
    )

    period: Mapped[str] = mapped_column(String(32), primary_key=True)
    scope: Mapped[str] = mapped_column(String(8), primary_key=True)
    resolution: Mapped[int] = mapped_column(SmallInteger, primary_key=True)
    family: Mapped[str] = mapped_column(String(32), primary_key=True)
    measure: Mapped[str] = mapped_column(String(8), primary_key=True)
    status: Mapped[str] = mapped_column(String(16))
    facts: Mapped[int] = mapped_column(Integer)
    min_facts: Mapped[int] = mapped_column(Integer)
    min_neighbourhood: Mapped[int] = mapped_column(Integer)
    guarded_cells: Mapped[int] = mapped_column(Integer, server_default="0")
    reason: Mapped[str | None] = mapped_column(Text)


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
    cells: Mapped[list[int]] = mapped_column(ARRAY(BigInteger), default=list, server_default="{}")
    communes: Mapped[list[str]] = mapped_column(ARRAY(String(5)), default=list, server_default="{}")
    sectors: Mapped[list[str]] = mapped_column(ARRAY(String(64)), default=list, server_default="{}")


class Refresh(Base):
    """One refresh of a period: when, with which method, and its summary."""

    __tablename__ = "refresh"

    period: Mapped[str] = mapped_column(String(32), primary_key=True)
    refreshed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    method: Mapped[dict[str, Any]]
    summary: Mapped[dict[str, Any]]
    stale: Mapped[bool] = mapped_column(server_default=false())  # facts of the period changed since (a batch undone)


class Edition(Base):
    """A published, frozen semester cartography: exactly what the cellule de veille saw."""

    __tablename__ = "edition"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    period: Mapped[str] = mapped_column(String(32), unique=True)
    published_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    published_by: Mapped[str] = mapped_column(Text)
    content: Mapped[dict[str, Any]]
