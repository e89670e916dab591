"""Editions: a semester cartography frozen when published, so the bilan shows what was seen.

Publishing copies the period's hot spots, zones and comparison into one immutable record;
refreshing the period later changes the working layers, never a published edition.
"""

from __future__ import annotations

import logging
from typing import Any

from sqlalchemy import Connection, insert, select

from ols.access.audience import Audience
from ols.access.roles import Role
from ols.cartography.comparison import comparison
from ols.cartography.layers import hotspot_frame, hotspots_geojson, layer_metadata, refresh_record, zones_geojson
from ols.errors import InvalidInputError, NotFoundError
from ols.periods import Period
from ols.store.models import Edition
from ols.strategy.indicators import period_values

logger = logging.getLogger(__name__)


def publish(connection: Connection, period: Period, *, by: str) -> int:
    """Freeze the period's cartography, as the coordinator sees it, as an edition; never overwritten."""
    existing = connection.execute(select(Edition.published_at).where(Edition.period == period.name)).scalar()
    if existing is not None:
        msg = f"{period.name} a été publiée le {existing:%d/%m/%Y à %H:%M} : une édition publiée ne change plus"
        raise InvalidInputError(msg)
    audience = Audience(by, Role.COORDINATOR)
    record = refresh_record(connection, period)
    resolution = int(record["method"]["resolution"])
    frame = hotspot_frame(connection, period, audience, resolution=resolution)
    metadata = layer_metadata(connection, period, family="*", resolution=resolution)
    content = {
        "summary": record,
        "hotspots": hotspots_geojson(frame, metadata, audience),
        "zones": zones_geojson(connection, period, audience),
        "comparison": comparison(connection, period, audience),
        "indicators": period_values(connection, period),
    }
    inserted = connection.execute(
        insert(Edition).returning(Edition.id),
        {"period": period.name, "published_by": by, "content": content},
    )
    edition_id = int(inserted.scalar_one())
    logger.info("édition de %s publiée par %s", period.name, by)
    return edition_id


def edition(connection: Connection, period: Period) -> dict[str, Any]:
    """The published edition of a period."""
    row = connection.execute(select(Edition.__table__).where(Edition.period == period.name)).one_or_none()
    if row is None:
        msg = f"{period.name} n'a pas d'édition publiée : publiez-la avec « ols publish »"
        raise NotFoundError(msg)
    return {"period": row.period, "published_at": row.published_at.isoformat(), "published_by": row.published_by,
            **row.content}  # fmt: skip
