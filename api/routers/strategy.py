"""The strategy's follow-up: the tableau de bord (``/indicators/dashboard``), entered indicator values, the cellule
de veille's meetings (``/meetings``) and their decisions (``/decisions``). Every answer is cut by the caller's
audience in :mod:`ols.strategy`; the coordinator alone opens meetings and records decisions. A fiche's state
(``PATCH /actions/{code}``) and an entered indicator's value are written by the functions the command line uses,
which ask the audience who may (:meth:`ols.access.audience.Audience.require_strategy_edit`)."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Path, Query, Response
from pydantic import BaseModel, Field

from api.deps import CurrentAudience, CurrentManager, EngineDep
from api.schemas import ERRORS, Created
from ols.periods import parse_period
from ols.strategy.dashboard import dashboard
from ols.strategy.indicators import enter_value
from ols.strategy.meetings import add_decision, close_meeting, decisions, meeting, meetings, new_meeting
from ols.strategy.meetings import set_decision_state as change_state
from ols.strategy.outputs import dashboard_workbook, meeting_document
from ols.strategy.plan import set_action_state

router = APIRouter(responses=ERRORS)
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
Code = Annotated[str, Path(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,31}$")]
RowId = Annotated[int, Path(ge=1, le=2**31 - 1)]
DecisionStates = Literal["open", "done", "dropped"]
SourceCode = Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9_-]{0,63}$")]


class ActionState(BaseModel):
    """A fiche action's new state (the change is dated and kept in its history)."""

    state: Literal["a_lancer", "en_cours", "realisee", "abandonnee"]


class ValueIn(BaseModel):
    """A value of an entered indicator for a period."""

    period: str = Field(pattern=r"^\d{4}(-S[12]|-\d{2})?$", examples=["2025"])
    value: float = Field(ge=0, le=1e9)


class MeetingIn(BaseModel):
    """A meeting to open: its date, its commune, the partners present (source codes, never people)."""

    held_on: date
    territory: str = Field(min_length=1, max_length=64, examples=["59410"])
    partners: list[SourceCode] = Field(default_factory=list, max_length=40)


class DecisionIn(BaseModel):
    """A decision of the relevé: no nominative data in its text or place (refused with the reason)."""

    meeting_id: int = Field(ge=1, le=2**31 - 1)
    text: str = Field(min_length=1, max_length=2000)
    partner: SourceCode
    zone: str | None = Field(default=None, max_length=64)
    place: str | None = Field(default=None, max_length=200)
    sector: str | None = Field(default=None, max_length=64)
    due_on: date | None = None
    confidentiality: Literal["partners", "police"] = "partners"


class DecisionState(BaseModel):
    """A decision's new state."""

    state: DecisionStates


@router.get("/indicators/dashboard")
def get_dashboard(engine: EngineDep, audience: CurrentAudience,
                  kind: Literal["year", "semester"] = "year") -> dict[str, Any]:  # fmt: skip
    """The tableau de bord: axes, fiches actions and their states, indicators per period, the caller's decisions."""
    with engine.connect() as connection:
        return dashboard(connection, audience, kind=kind)


@router.get("/indicators/dashboard.xlsx", response_class=Response, responses={200: {"content": {XLSX: {}}}})
def get_dashboard_xlsx(engine: EngineDep, audience: CurrentAudience) -> Response:
    """The tableau de bord as an XLSX for the conseil."""
    with engine.connect() as connection:
        body = dashboard_workbook(connection, audience)
    headers = {"Content-Disposition": 'attachment; filename="tableau-de-bord.xlsx"'}
    return Response(body, media_type=XLSX, headers=headers)


@router.post("/indicators/{code}/values", response_model=Created, status_code=201)
def post_value(code: Code, body: ValueIn, engine: EngineDep, audience: CurrentAudience) -> Created:
    """Enter a value of an entered indicator for a period (kept with who entered it; 403 for who may not)."""
    with engine.begin() as connection:
        enter_value(connection, code, parse_period(body.period), body.value, audience)
    return Created(id=code)


@router.patch("/actions/{code}", status_code=204)
def patch_action(code: Code, body: ActionState, engine: EngineDep, audience: CurrentAudience) -> Response:
    """Change a fiche action's state (dated in its history; 403 for who may not)."""
    with engine.begin() as connection:
        set_action_state(connection, code, body.state, audience)
    return Response(status_code=204)


@router.get("/meetings")
def get_meetings(engine: EngineDep, audience: CurrentAudience) -> list[dict[str, Any]]:
    """The cellule de veille's meetings, latest first."""
    with engine.connect() as connection:
        return meetings(connection, audience)


@router.post("/meetings", response_model=Created, status_code=201)
def post_meeting(body: MeetingIn, engine: EngineDep, audience: CurrentManager) -> Created:
    """Open a meeting with the agenda OLS proposes."""
    with engine.begin() as connection:
        return Created(id=new_meeting(connection, body.held_on, body.territory, body.partners, audience))


@router.get("/meetings/{meeting_id}")
def get_meeting(meeting_id: RowId, engine: EngineDep, audience: CurrentAudience) -> dict[str, Any]:
    """A meeting: its agenda and its relevé de décisions."""
    with engine.connect() as connection:
        return meeting(connection, meeting_id, audience)


@router.get(
    "/meetings/{meeting_id}/pdf", response_class=Response, responses={200: {"content": {"application/pdf": {}}}}
)
def get_meeting_pdf(meeting_id: RowId, engine: EngineDep, audience: CurrentAudience) -> Response:
    """A meeting's agenda and relevé de décisions as a one-page PDF."""
    with engine.connect() as connection:
        body = meeting_document(connection, meeting_id, audience)
    headers = {"Content-Disposition": f'attachment; filename="reunion-{meeting_id}.pdf"'}
    return Response(body, media_type="application/pdf", headers=headers)


@router.post("/meetings/{meeting_id}/close", status_code=204)
def post_close(meeting_id: RowId, engine: EngineDep, audience: CurrentManager) -> Response:
    """Close a meeting."""
    with engine.begin() as connection:
        close_meeting(connection, meeting_id, audience)
    return Response(status_code=204)


@router.get("/decisions")
def get_decisions(
    engine: EngineDep, audience: CurrentAudience, state: Annotated[DecisionStates | None, Query()] = None
) -> list[dict[str, Any]]:
    """The decisions the caller receives (a partner: those in its charge; an élu: none marked police only)."""
    with engine.connect() as connection:
        return decisions(connection, audience, state=state)


@router.post("/decisions", response_model=Created, status_code=201)
def post_decision(body: DecisionIn, engine: EngineDep, audience: CurrentManager) -> Created:
    """Record a decision (422 with the reason when its text names a person, a birth date, a phone or a plate)."""
    with engine.begin() as connection:
        return Created(id=add_decision(connection, body.meeting_id, body.model_dump(), audience))


@router.patch("/decisions/{decision_id}", status_code=204)
def patch_decision(decision_id: RowId, body: DecisionState, engine: EngineDep,
                   audience: CurrentAudience) -> Response:  # fmt: skip
    """Mark a decision done, dropped or open again (the coordinator, or the partner in charge)."""
    with engine.begin() as connection:
        change_state(connection, decision_id, body.state, audience)
    return Response(status_code=204)
