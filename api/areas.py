"""The ``commune=`` and ``sector=`` query parameters: a result for one commune or one sector of the observatory.

Routes pass them through :class:`Where`, which the answer reads inside its database work (the
codes are checked there: an unknown one is a 422, one outside the caller's area a 403) and which
goes into the answer's cache key, so that two cuts never share a cached answer.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Query
from sqlalchemy import Connection

from ols.access.audience import Audience
from ols.reference.areas import Area

CODE = r"^[A-Za-z0-9][A-Za-z0-9_.-]*$"
CommuneParam = Annotated[
    str | None, Query(max_length=64, pattern=CODE, description="Code INSEE (ou code de territoire) d'une commune")
]
SectorParam = Annotated[
    str | None, Query(max_length=64, pattern=CODE, description="Code d'un secteur (quartier, IRIS...)")
]


@dataclass(frozen=True)
class Where:
    """The commune and sector asked for (none: the caller's whole area)."""

    commune: str | None = None
    sector: str | None = None

    @property
    def key(self) -> tuple[str | None, str | None]:
        """Its part of a cache key."""
        return self.commune, self.sector

    def area(self, connection: Connection, audience: Audience) -> Area:
        """The area asked for, checked against the caller's own (its own when none is asked)."""
        return audience.check_area(connection, Area.parse(connection, self.commune, self.sector))


async def where_params(commune: CommuneParam = None, sector: SectorParam = None) -> Where:
    """The ``commune`` and ``sector`` parameters of a route."""
    return Where(commune, sector)


WhereParams = Annotated[Where, Depends(where_params)]
