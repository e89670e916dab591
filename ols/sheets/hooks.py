"""Where a sheet will show the cellule de veille's open decisions and the tableau de bord's indicators.

Issue 16 (strategy, indicators, meetings, decisions) builds them in parallel: until it lands, these hooks
return nothing and the sheet says « aucune décision ouverte » / « aucun indicateur suivi ». Its integration
replaces their bodies with its readers (by the sheet's place, sector or zone, cut for the audience).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection

from ols.access.audience import Audience
from ols.periods import Period
from ols.sheets.subject import Subject


def open_decisions(connection: Connection, subject: Subject, audience: Audience) -> list[dict[str, Any]]:
    """The open decisions of the cellule de veille about the subject (none until issue 16 provides them)."""
    del connection, subject, audience
    return []


def indicators(connection: Connection, subject: Subject, period: Period, audience: Audience) -> list[dict[str, Any]]:
    """The strategy's indicators followed for the subject in the period (none until issue 16 provides them)."""
    del connection, subject, period, audience
    return []
