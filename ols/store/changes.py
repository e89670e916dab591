"""What the data is at now, in a few numbers: the stamps a cached answer is checked against.

:class:`DataStamps` holds, for each table tracked by the ``data_change`` log (see
:mod:`ols.store.models.changes`), how many committed transactions changed it, and for each
refreshed period when its cartography was last refreshed. An answer built from some of them
stays valid while those numbers are the same; reading them is one small query, so the API can
check them often instead of trusting an answer for a fixed time.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import Connection, func, select

from ols.periods import Period, parse_period
from ols.store.models import DataChange, Refresh

EVENTS = "event"
ZONES = "zone"
DEAL_POINTS = ("deal_point", "deal_point_history")
REFERENCE = ("territory", "place", "source")
INDICATORS = "official_indicator"
STREETS = "street_edge"


@dataclass(frozen=True)
class DataStamps:
    """Changes per tracked table, and the refresh time of each refreshed period."""

    changes: dict[str, int] = field(default_factory=dict)
    refreshed: dict[str, datetime] = field(default_factory=dict)

    def of(self, *, kinds: Iterable[str] = (), periods: Iterable[str] = ()) -> str:
        """The stamp of an answer read from tables ``kinds`` and the cartography of ``periods``."""
        parts = [f"{kind}={self.changes.get(kind, 0)}" for kind in sorted(set(kinds))]
        parts += [f"{name}@{self._refreshed(name)}" for name in sorted(set(periods))]
        return ";".join(parts)

    def _refreshed(self, period: str) -> str:
        stamp = self.refreshed.get(period)
        return stamp.isoformat() if stamp else "-"


def read_stamps(connection: Connection) -> DataStamps:
    """The stamps of the data as committed now (two small queries)."""
    changes = connection.execute(select(DataChange.kind, func.count()).group_by(DataChange.kind)).all()
    refreshed = connection.execute(select(Refresh.period, Refresh.refreshed_at)).all()
    return DataStamps(
        changes={str(kind): int(count) for kind, count in changes},
        refreshed={str(period): at for period, at in refreshed},
    )


def refreshed_periods(connection: Connection) -> list[tuple[Period, datetime]]:
    """The periods whose cartography was refreshed and when, the newest period first (the map opens on it)."""
    rows = connection.execute(select(Refresh.period, Refresh.refreshed_at)).all()
    found = [(parse_period(name), at) for name, at in rows]
    return sorted(found, key=lambda item: (item[0].end, item[0].start), reverse=True)
