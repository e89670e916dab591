"""Background jobs (migration ``0017``): a long task started from the browser, followed by polling."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import CheckConstraint, DateTime, Float, Index, Integer, String, Text, func
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from ols.store.models.base import Base

JOB_KINDS = ("ingest", "refresh", "publish", "report")
JOB_STATES = ("queued", "running", "done", "failed")


class Job(Base):
    """One background job: what it does, where it is (state, progress, French message), what came of it."""

    __tablename__ = "job"
    __table_args__ = (
        CheckConstraint("kind IN ('ingest', 'refresh', 'publish', 'report')", name="job_kind"),
        CheckConstraint("state IN ('queued', 'running', 'done', 'failed')", name="job_state"),
        CheckConstraint("progress BETWEEN 0 AND 1", name="job_progress"),
        Index("job_created_by", "created_by", "id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))
    state: Mapped[str] = mapped_column(String(16), server_default="queued")
    progress: Mapped[float] = mapped_column(Float, server_default="0")
    message: Mapped[str] = mapped_column(Text, server_default="")
    result: Mapped[dict[str, Any] | None] = mapped_column(JSONB)
    error: Mapped[str | None] = mapped_column(Text)
    created_by: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    started_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    heartbeat_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))  # its server, last seen alive
