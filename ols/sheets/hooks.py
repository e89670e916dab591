"""What a sheet shows of the strategy's follow-up: the cellule de veille's open decisions about its place,
sector or zone (:mod:`ols.strategy.meetings`, cut for the reader by ``Audience.decisions``), and the tableau de
bord's indicators specified for its sector or declared zone, with their last value up to the sheet's period, as
the reader receives them (:func:`ols.strategy.dashboard.followed_in`). A place has none: no indicator is
specified by place.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection

from ols.access.audience import Audience
from ols.access.roles import Layer
from ols.periods import Period, parse_period
from ols.sheets.subject import Subject
from ols.strategy.dashboard import followed_in
from ols.strategy.meetings import decisions
from ols.wording import number


def open_decisions(connection: Connection, subject: Subject, audience: Audience) -> list[dict[str, Any]]:
    """The open decisions of the cellule de veille about the subject that the reader receives: those tied to
    its place (by name or code), sector or zone (by code)."""
    if not audience.may(Layer.DASHBOARD):
        return []
    names = {subject.code.casefold(), subject.name.casefold()}
    return [decision for decision in decisions(connection, audience, state="open")
            if (decision[subject.kind] or "").casefold() in names]  # fmt: skip


def indicators(connection: Connection, subject: Subject, period: Period, audience: Audience) -> list[dict[str, Any]]:
    """The strategy's indicators followed for the subject: each with its last value up to the period's end, in a
    French sentence (« Cambriolages du secteur : 42 faits (2025) ; en baisse »); a hidden value says so."""
    if subject.kind == "place":
        return []
    shown = []
    for item in followed_in(connection, audience, subject.kind, subject.code):
        known = [value for value in item["values"] if parse_period(value["period"]).end <= period.end]
        if not known:
            continue
        last = known[-1]
        amount = (
            "valeur masquée (moins de faits que le seuil)"
            if last["value"] is None
            else (f"{number(last['value'], 0 if float(last['value']).is_integer() else 1)} {item['unit']}".strip())
        )
        text = f"{item['name']} : {amount} ({parse_period(last['period']).label}) ; {item['trend']}"
        shown.append({"code": item["code"], "text": text, "value": last["value"], "period": last["period"]})
    return shown
