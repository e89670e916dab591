"""The tableau de bord of the strategy for one reader: each axe, its fiches actions (state and its history), their
indicators (values per period, target, trend in words) and the relevé de décisions the reader receives.

Everything is cut by the audience (:mod:`ols.access.audience`): a suppressed reader never receives a computed
indicator of a sensitive category, a computed count under the threshold is hidden, and the decisions are those
:meth:`~ols.access.audience.Audience.decisions` lets through.
"""

from __future__ import annotations

import re
from collections import defaultdict
from typing import Any

from sqlalchemy import Connection, select

from ols.access.audience import Audience
from ols.access.roles import Layer
from ols.periods import parse_period
from ols.store.models import ActionStateChange, Indicator, IndicatorValue, StrategyAction, StrategyAxis
from ols.strategy.doleances import follow_up
from ols.strategy.meetings import decisions
from ols.strategy.plan import STATE_LABELS
from ols.wording import number, percent

KIND_LABELS = {"context": "contexte", "activity": "activité", "result": "résultat"}
PERIOD_FORMS = {"year": re.compile(r"^\d{4}$"), "semester": re.compile(r"^\d{4}-S[12]$")}


def trend_words(values: list[dict[str, Any]], direction: str, target: float | None) -> str:
    """The trend of the last two shown values in words, and whether it goes the way the strategy wants."""
    shown = [item for item in values if item["value"] is not None]
    if len(shown) < 2:
        if len(values) > len(shown):
            return "pas de tendance : valeurs masquées (sous le seuil de diffusion)"
        return "pas encore de tendance (une seule valeur connue)" if shown else "aucune valeur connue"
    before, last = shown[-2], shown[-1]
    if before["value"] == last["value"]:
        words = f"stable entre {before['period']} et {last['period']}"
    else:
        rising = last["value"] > before["value"]
        change = f" de {percent(abs(last['value'] / before['value'] - 1) * 100)}" if before["value"] else ""
        good = rising == (direction == "up")
        words = (f"{'en hausse' if rising else 'en baisse'}{change} entre {before['period']} et {last['period']}, "
                 f"{'dans le sens voulu' if good else 'à rebours du sens voulu'}")  # fmt: skip
    if target is not None:
        reached = last["value"] >= target if direction == "up" else last["value"] <= target
        words += f" ; cible ({number(target)}) {'atteinte' if reached else 'non atteinte'}"
    return words


def _values(connection: Connection, audience: Audience, kind: str) -> dict[int, list[dict[str, Any]]]:
    rows = connection.execute(
        select(IndicatorValue.indicator_id, IndicatorValue.period, IndicatorValue.value, IndicatorValue.provenance,
               IndicatorValue.basis, IndicatorValue.recorded_by).order_by(IndicatorValue.period)
    ).all()  # fmt: skip
    values: dict[int, list[dict[str, Any]]] = defaultdict(list)
    for row in rows:
        if PERIOD_FORMS[kind].match(row.period):
            value = audience.indicator_value(row.value, row.provenance, row.basis)
            values[row.indicator_id].append({"period": row.period, "value": value, "provenance": row.provenance,
                                             "by": row.recorded_by})  # fmt: skip
    return values


def _indicators(connection: Connection, audience: Audience, kind: str) -> dict[int, list[dict[str, Any]]]:
    values = _values(connection, audience, kind)
    by_action: dict[int, list[dict[str, Any]]] = defaultdict(list)
    for row in connection.execute(select(Indicator.__table__).order_by(Indicator.code)).all():
        if not audience.sees_indicator(row.spec, row.source):
            continue
        series = values.get(row.id, [])
        by_action[row.action_id].append({
            "code": row.code, "name": row.name, "kind": row.kind, "kind_label": KIND_LABELS[row.kind],
            "definition": row.definition, "unit": row.unit, "target": row.target, "direction": row.direction,
            "source": row.source, "values": series, "trend": trend_words(series, row.direction, row.target),
        })  # fmt: skip
    return by_action


def followed_in(connection: Connection, audience: Audience, field: str, code: str) -> list[dict[str, Any]]:
    """The indicators of the board whose spec is about one sector or declared zone (``field``: ``sector`` or
    ``zone``), with their yearly and half-yearly values, as the audience receives them (what a sheet lists)."""
    if not audience.may(Layer.DASHBOARD):
        return []
    about = {row.code for row in connection.execute(select(Indicator.code, Indicator.spec))
             if str(row.spec.get(field, "")).casefold() == code.casefold()}  # fmt: skip
    if not about:
        return []
    return [item for kind in ("year", "semester") for items in _indicators(connection, audience, kind).values()
            for item in items if item["code"] in about and item["values"]]  # fmt: skip


def _history(connection: Connection) -> dict[int, list[dict[str, str]]]:
    history: dict[int, list[dict[str, str]]] = defaultdict(list)
    rows = connection.execute(select(ActionStateChange.__table__).order_by(ActionStateChange.changed_on,
                                                                            ActionStateChange.id))  # fmt: skip
    for row in rows:
        history[row.action_id].append({"state": row.state, "state_label": STATE_LABELS[row.state],
                                       "on": row.changed_on.isoformat()})  # fmt: skip
    return history


def _doleances(connection: Connection, audience: Audience, periods: list[str]) -> list[dict[str, Any]]:
    """The doléances' follow-up per period of the board, in the reader's area; all hidden when the number received
    is under the threshold for a suppressed reader (none at all: no row)."""
    rows = []
    for name in periods:
        counts = follow_up(connection, parse_period(name), audience.reach)
        if not counts["received"]:
            continue
        if audience.indicator_value(counts["received"], "computed", counts["received"]) is None:
            counts = {key: None for key in counts} | {"period": name}
        rows.append(counts)
    return rows


def dashboard(connection: Connection, audience: Audience, *, kind: str = "year") -> dict[str, Any]:
    """The tableau de bord as the audience receives it (``kind``: the indicators' periods, years or semesters), and
    whether it may change the fiches' states and enter the indicators' values (``editable``)."""
    audience.require(Layer.DASHBOARD)
    indicators, history = _indicators(connection, audience, kind), _history(connection)
    actions: dict[int, list[dict[str, Any]]] = defaultdict(list)
    for row in connection.execute(select(StrategyAction.__table__).order_by(StrategyAction.id)).all():
        actions[row.axis_id].append({
            "code": row.code, "title": row.title, "objective": row.objective, "pilot": row.pilot,
            "partners": row.partners, "schedule": row.schedule, "state": row.state,
            "state_label": STATE_LABELS[row.state], "history": history.get(row.id, []),
            "indicators": indicators.get(row.id, []),
        })  # fmt: skip
    axes = [{"code": row.code, "title": row.title, "actions": actions.get(row.id, [])}
            for row in connection.execute(select(StrategyAxis.__table__).order_by(StrategyAxis.id)).all()]  # fmt: skip
    shown = decisions(connection, audience)
    periods = sorted({v["period"] for items in indicators.values() for item in items for v in item["values"]})
    return {"kind": kind, "axes": axes, "decisions": shown, "doleances": _doleances(connection, audience, periods),
            "editable": audience.edits_strategy,
            "states": {state: sum(a["state"] == state for axis in axes for a in axis["actions"])
                       for state in STATE_LABELS}}  # fmt: skip
