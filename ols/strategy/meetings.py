"""The cellule de veille's meetings: the agenda OLS proposes, the partners present, the relevé de décisions.

A meeting's agenda is built when it is opened and kept with it (what the cellule saw that day): the computed
zones entering and leaving vigilance in the last refreshed semester, the hot areas outside the declared zones,
the veille croisée's places, every decision still open from the earlier meetings (so that an open decision comes
back until it is done or dropped), and the doléances without a suite. Partners are organisations (the
observatory's sources), never people; every text is checked for nominative data (:func:`check_free_text`).
"""

from __future__ import annotations

import logging
from datetime import date
from typing import Any

from sqlalchemy import Connection, func, insert, select, update

from ols.access.audience import Audience
from ols.access.roles import Layer
from ols.analysis.crosswatch import watch_places
from ols.cartography.comparison import comparison
from ols.errors import InvalidInputError, NotFoundError
from ols.periods import Period, parse_period
from ols.reference.areas import Area
from ols.store.models import Decision, Meeting, Refresh, Source
from ols.store.models.strategy import DECISION_CONFIDENTIALITY, DECISION_STATES
from ols.strategy.doleances import follow_up
from ols.strategy.plan import check_free_text

logger = logging.getLogger(__name__)
DECISION_COLUMNS = (Decision.id, Decision.meeting_id, Decision.text, Decision.zone, Decision.place,
                    Decision.sector, Decision.partner, Decision.due_on, Decision.state, Decision.confidentiality,
                    Decision.closed_on, Source.name.label("partner_name"))  # fmt: skip


def last_semester(connection: Connection, on: date) -> Period | None:
    """The latest refreshed semester that had begun by ``on`` (the agenda's zones are that semester's)."""
    periods = [parse_period(name) for name in connection.execute(select(Refresh.period)).scalars()]
    begun = [period for period in periods if period.kind == "semester" and period.start <= on]
    return max(begun, key=lambda period: period.start) if begun else None


def _decision(row: Any) -> dict[str, Any]:
    values = dict(row._mapping)
    for key in ("due_on", "closed_on"):
        values[key] = values[key].isoformat() if values[key] else None
    return values


def open_decisions(connection: Connection, before: date, audience: Audience) -> list[dict[str, Any]]:
    """The decisions still open of the meetings held before ``before`` (those the audience receives)."""
    rows = connection.execute(
        select(*DECISION_COLUMNS, Meeting.held_on).join(Meeting, Meeting.id == Decision.meeting_id)
        .outerjoin(Source, Source.code == Decision.partner)
        .where(Decision.state == "open", Meeting.held_on < before, audience.decisions(Decision.__table__).clause)
        .order_by(Decision.due_on.nulls_last(), Decision.id)
    ).all()  # fmt: skip
    return [_decision(row) | {"held_on": row.held_on.isoformat()} for row in rows]


def _places(connection: Connection, period: Period, audience: Audience) -> list[dict[str, Any]]:
    features = watch_places(connection, period, audience)["features"]
    return [{"name": f["properties"]["name"], "sentence": f["properties"]["sentence"]} for f in features]


def propose_agenda(connection: Connection, held_on: date, area: Area, audience: Audience) -> dict[str, Any]:
    """The agenda OLS proposes for a meeting on ``held_on`` about ``area``."""
    audience.require(Layer.MEETINGS)
    agenda: dict[str, Any] = {"open_decisions": open_decisions(connection, held_on, audience)}
    period = last_semester(connection, held_on)
    if period is None:
        return agenda | {"period": None}
    changes = comparison(connection, period, audience, area)
    agenda |= {"period": period.name, "period_label": period.label, "entering": changes["entering"],
               "leaving": changes["leaving"], "hot_outside_declared": changes["hot_outside_declared"],
               "doleances_without_suite": follow_up(connection, period, area)["without_suite"]}  # fmt: skip
    agenda["crosswatch"] = _places(connection, period, audience) if audience.may(Layer.CROSSWATCH) else []
    return agenda


def _known_sources(connection: Connection, codes: list[str]) -> list[str]:
    known = set(connection.execute(select(Source.code)).scalars())
    unknown = [code for code in codes if code not in known]
    if unknown:
        msg = (f"partenaire inconnu : {', '.join(unknown)} ; un partenaire est une organisation de l'observatoire "
               "(voir « ols sources list »), jamais une personne")  # fmt: skip
        raise InvalidInputError(msg)
    return codes


def new_meeting(connection: Connection, held_on: date, territory: str, partners: list[str],
                audience: Audience) -> int:  # fmt: skip
    """Open a meeting of the cellule de veille with the agenda OLS proposes; return its id."""
    audience.require(Layer.MANAGE)
    area = Area.parse(connection, territory)
    agenda = propose_agenda(connection, held_on, area, audience)
    values = {"held_on": held_on, "territory": territory, "partners": _known_sources(connection, partners),
              "agenda": agenda, "state": "open", "created_by": audience.name}  # fmt: skip
    meeting_id = int(connection.execute(insert(Meeting).returning(Meeting.id), values).scalar_one())
    logger.info("réunion %d du %s ouverte par %s", meeting_id, held_on, audience.name)
    return meeting_id


def _meeting_row(connection: Connection, meeting_id: int) -> Any:
    row = connection.execute(select(Meeting.__table__).where(Meeting.id == meeting_id)).one_or_none()
    if row is None:
        raise NotFoundError(f"réunion inconnue : {meeting_id}")
    return row


def close_meeting(connection: Connection, meeting_id: int, audience: Audience) -> None:
    """Close a meeting: its relevé de décisions no longer changes."""
    audience.require(Layer.MANAGE)
    _meeting_row(connection, meeting_id)
    connection.execute(update(Meeting).where(Meeting.id == meeting_id).values(state="closed"))
    logger.info("réunion %d close par %s", meeting_id, audience.name)


def add_decision(connection: Connection, meeting_id: int, values: dict[str, Any], audience: Audience) -> int:
    """Record a decision of an open meeting (its text and place checked for nominative data); return its id."""
    audience.require(Layer.MANAGE)
    if _meeting_row(connection, meeting_id).state != "open":
        raise InvalidInputError(f"la réunion {meeting_id} est close : son relevé de décisions ne change plus")
    check_free_text(values["text"], "le texte de la décision")
    if values.get("place"):
        check_free_text(values["place"], "le lieu de la décision")
    _known_sources(connection, [values["partner"]])
    if values.get("confidentiality", "partners") not in DECISION_CONFIDENTIALITY:
        raise InvalidInputError("diffusion inconnue : « partners » (partenaires et élus) ou « police »")
    row = {key: values.get(key) for key in ("text", "zone", "place", "sector", "partner", "due_on")}
    row |= {"meeting_id": meeting_id, "state": "open", "confidentiality": values.get("confidentiality", "partners")}
    decision_id = int(connection.execute(insert(Decision).returning(Decision.id), row).scalar_one())
    logger.info("décision %d de la réunion %d enregistrée", decision_id, meeting_id)
    return decision_id


def set_decision_state(connection: Connection, decision_id: int, state: str, audience: Audience,
                       on: date | None = None) -> None:  # fmt: skip
    """Mark a decision done, dropped or open again: by the coordinator, or by the partner in charge of it."""
    if state not in DECISION_STATES:
        raise InvalidInputError(f"état de décision inconnu « {state} » : {', '.join(DECISION_STATES)}")
    conditions = [Decision.id == decision_id, audience.decisions(Decision.__table__).clause]
    if not audience.may(Layer.MANAGE):
        conditions.append(Decision.partner == (audience.own_source or ""))
    done = connection.execute(
        update(Decision).where(*conditions)
        .values(state=state, closed_on=None if state == "open" else (on or date.today())).returning(Decision.id)
    ).scalar()  # fmt: skip
    if done is None:
        raise NotFoundError(f"décision inconnue ou hors de votre charge : {decision_id}")


def decisions(connection: Connection, audience: Audience, *, state: str | None = None,
              meeting_id: int | None = None) -> list[dict[str, Any]]:  # fmt: skip
    """The decisions the audience receives (of one meeting, in one state)."""
    conditions = [audience.decisions(Decision.__table__).clause]
    if state is not None:
        conditions.append(Decision.state == state)
    if meeting_id is not None:
        conditions.append(Decision.meeting_id == meeting_id)
    rows = connection.execute(
        select(*DECISION_COLUMNS).outerjoin(Source, Source.code == Decision.partner).where(*conditions)
        .order_by(Decision.id)
    ).all()  # fmt: skip
    return [_decision(row) for row in rows]


def meeting(connection: Connection, meeting_id: int, audience: Audience) -> dict[str, Any]:
    """A meeting, its agenda (its open decisions cut for the audience) and its relevé de décisions."""
    audience.require(Layer.MEETINGS)
    row = _meeting_row(connection, meeting_id)
    agenda = dict(row.agenda)
    shown = {item["id"] for item in open_decisions(connection, row.held_on, audience)}
    agenda["open_decisions"] = [item for item in agenda.get("open_decisions", []) if item["id"] in shown]
    return {"id": row.id, "held_on": row.held_on.isoformat(), "territory": row.territory, "partners": row.partners,
            "state": row.state, "created_by": row.created_by, "agenda": agenda,
            "decisions": decisions(connection, audience, meeting_id=meeting_id)}  # fmt: skip


def meetings(connection: Connection, audience: Audience) -> list[dict[str, Any]]:
    """Every meeting, latest first (date, territory, state, number of decisions)."""
    audience.require(Layer.MEETINGS)
    count = select(func.count()).where(Decision.meeting_id == Meeting.id).scalar_subquery()
    rows = connection.execute(
        select(Meeting.id, Meeting.held_on, Meeting.territory, Meeting.state, count.label("decisions"))
        .order_by(Meeting.held_on.desc(), Meeting.id.desc())
    ).all()  # fmt: skip
    return [{"id": r.id, "held_on": r.held_on.isoformat(), "territory": r.territory, "state": r.state,
             "decisions": r.decisions} for r in rows]  # fmt: skip
