"""What a sheet shows of the strategy's follow-up: the cellule de veille's open decisions about its place,
sector or zone (:mod:`ols.strategy.meetings`, cut for the reader by ``Audience.decisions``), and the tableau de
bord's indicators followed there (none yet: the indicators are specified by commune, sector or declared zone,
and a sheet does not list them).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection

from ols.access.audience import Audience
from ols.access.roles import Layer
from ols.periods import Period
from ols.sheets.subject import Subject
from ols.strategy.meetings import decisions


def open_decisions(connection: Connection, subject: Subject, audience: Audience) -> list[dict[str, Any]]:
    """The open decisions of the cellule de veille about the subject that the reader receives: those tied to
    its place (by name or code), sector or zone (by code)."""
    if not audience.may(Layer.DASHBOARD):
        return []
    names = {subject.code.casefold(), subject.name.casefold()}
    return [decision for decision in decisions(connection, audience, state="open")
            if (decision[subject.kind] or "").casefold() in names]  # fmt: skip


def indicators(connection: Connection, subject: Subject, period: Period, audience: Audience) -> list[dict[str, Any]]:
    """The strategy's indicators followed for the subject in the period (none yet: see the module)."""
    del connection, subject, period, audience
    return []
