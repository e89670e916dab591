"""Patrol plans as handed to the teams, and their stops (kept for the rotation and for evaluation)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, DateTime, ForeignKey, Integer, SmallInteger, String, Text, func
from sqlalchemy.orm import Mapped, mapped_column

from ols.store.models.base import Base


class PatrolPlan(Base):
    """A patrol plan as it was handed to the teams (kept for the rotation and for evaluation)."""

    __tablename__ = "patrol_plan"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    window: Mapped[str] = mapped_column(Text)
    mode: Mapped[str] = mapped_column(String(16))
    parameters: Mapped[dict[str, Any]]
    routes: Mapped[dict[str, Any] | None]  # start, notes and each team's line (downloads of the plan later)


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
    outcome: Mapped[str | None] = mapped_column(String(24))  # why a stop was not made: a code of ols.patrols.log
    logged_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    logged_by: Mapped[str | None] = mapped_column(Text)
