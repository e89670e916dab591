"""What validation needs from the database, loaded once per ingest: territories, places, addresses."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime

from shapely.geometry.base import BaseGeometry

from etl.geocode import Geocoder


@dataclass(frozen=True)
class TerritoryArea:
    """A loaded territory, as used to assign events."""

    id: int
    code: str
    insee: str | None
    geom: BaseGeometry


@dataclass
class Context:
    """What validation needs from the database, loaded once per ingest."""

    territories: list[TerritoryArea]
    places: dict[str, tuple[float, float]] = field(default_factory=dict)
    geocoder: Geocoder | None = None
    now: datetime = field(default_factory=lambda: datetime.now(UTC))

    def communes(self) -> list[str]:
        """INSEE codes of the territories, to geocode addresses that do not name their commune."""
        return [territory.insee for territory in self.territories if territory.insee]
