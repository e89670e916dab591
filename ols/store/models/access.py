"""Who uses the observatory and what they did: users, sessions, the disclosure secret, the audit log, and the
points de deal (the layer only police roles read)."""

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
    ForeignKey,
    Integer,
    SmallInteger,
    String,
    Text,
    func,
)
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import Mapped, mapped_column

from ols.access.roles import Role
from ols.store.models.base import Base, one_of

DEAL_POINT_STATUSES = ("actif", "en_surveillance", "demantele")


class User(Base):
    """A person or service allowed to use the API: a role, a territory scope, a hashed token."""

    __tablename__ = "app_user"
    __table_args__ = (CheckConstraint(one_of("role", tuple(role.value for role in Role)), name="app_user_role"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(128), unique=True)
    role: Mapped[str] = mapped_column(String(16))
    source_code: Mapped[str | None] = mapped_column(String(64))
    territories: Mapped[list[str]] = mapped_column(ARRAY(String(64)), default=list)
    sectors: Mapped[list[str]] = mapped_column(ARRAY(String(64)), default=list, server_default="{}")
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
    __table_args__ = (CheckConstraint(one_of("status", DEAL_POINT_STATUSES), name="deal_point_status"),)

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
