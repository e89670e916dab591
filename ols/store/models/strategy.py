"""The strategy (STSPD) and its follow-up: axes, fiches actions and their dated states, indicators and their
values per period, cellule de veille meetings and their relevé de décisions.

Nothing here names a person: partners are organisations (``source`` codes), the only people named are
the observatory's own users (who entered a value, who opened a meeting), and every free text is checked
for nominative data before it is stored (:mod:`ols.strategy.privacy`).
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    ARRAY,
    CheckConstraint,
    Date,
    DateTime,
    Double,
    ForeignKey,
    Integer,
    String,
    Text,
    UniqueConstraint,
    func,
)
from sqlalchemy.orm import Mapped, mapped_column

from ols.store.models.base import Base, one_of

ACTION_STATES = ("a_lancer", "en_cours", "realisee", "abandonnee")
INDICATOR_KINDS = ("context", "activity", "result")
INDICATOR_SOURCES = ("computed", "entered")
DIRECTIONS = ("up", "down")
MEETING_STATES = ("open", "closed")
DECISION_STATES = ("open", "done", "dropped")
DECISION_CONFIDENTIALITY = ("partners", "police")


class StrategyAxis(Base):
    """An axe of the strategy ("Axe 1 : Dissuasion et prévention situationnelle")."""

    __tablename__ = "strategy_axis"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(16), unique=True)
    title: Mapped[str] = mapped_column(Text)


class StrategyAction(Base):
    """A fiche action: its objective, its pilot and partners (organisations), its schedule and its state."""

    __tablename__ = "strategy_action"
    __table_args__ = (CheckConstraint(one_of("state", ACTION_STATES), name="strategy_action_state"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    axis_id: Mapped[int] = mapped_column(ForeignKey("strategy_axis.id", ondelete="CASCADE"), index=True)
    code: Mapped[str] = mapped_column(String(16), unique=True)
    title: Mapped[str] = mapped_column(Text)
    objective: Mapped[str] = mapped_column(Text, default="")
    pilot: Mapped[str] = mapped_column(Text, default="")
    partners: Mapped[list[str]] = mapped_column(ARRAY(Text), default=list, server_default="{}")
    schedule: Mapped[str] = mapped_column(Text, default="")
    state: Mapped[str] = mapped_column(String(16), default="a_lancer")


class ActionStateChange(Base):
    """One dated change of a fiche action's state (its history)."""

    __tablename__ = "action_state_change"
    __table_args__ = (CheckConstraint(one_of("state", ACTION_STATES), name="action_state_change_state"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    action_id: Mapped[int] = mapped_column(ForeignKey("strategy_action.id", ondelete="CASCADE"), index=True)
    state: Mapped[str] = mapped_column(String(16))
    changed_on: Mapped[date] = mapped_column(Date)
    changed_by: Mapped[str] = mapped_column(Text)


class Indicator(Base):
    """An indicator of a fiche: what it measures, its unit, target and direction, and where its values come from.

    ``spec`` (computed indicators): ``categories`` (nomenclature codes), optionally ``territory``, ``sector``
    or ``zone`` (a declared zone's code).
    """

    __tablename__ = "indicator"
    __table_args__ = (
        CheckConstraint(one_of("kind", INDICATOR_KINDS), name="indicator_kind"),
        CheckConstraint(one_of("source", INDICATOR_SOURCES), name="indicator_source"),
        CheckConstraint(one_of("direction", DIRECTIONS), name="indicator_direction"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    action_id: Mapped[int] = mapped_column(ForeignKey("strategy_action.id", ondelete="CASCADE"), index=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(Text)
    kind: Mapped[str] = mapped_column(String(16))
    definition: Mapped[str] = mapped_column(Text, default="")
    unit: Mapped[str] = mapped_column(Text, default="")
    target: Mapped[float | None] = mapped_column(Double)
    direction: Mapped[str] = mapped_column(String(8), default="down")
    source: Mapped[str] = mapped_column(String(16))
    spec: Mapped[dict[str, Any]] = mapped_column(default=dict, server_default="{}")


class IndicatorValue(Base):
    """An indicator's value for a period, with its provenance: computed at a refresh, or entered by a user."""

    __tablename__ = "indicator_value"
    __table_args__ = (
        UniqueConstraint("indicator_id", "period"),
        CheckConstraint(one_of("provenance", INDICATOR_SOURCES), name="indicator_value_provenance"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    indicator_id: Mapped[int] = mapped_column(ForeignKey("indicator.id", ondelete="CASCADE"), index=True)
    period: Mapped[str] = mapped_column(String(32))
    value: Mapped[float] = mapped_column(Double)
    provenance: Mapped[str] = mapped_column(String(16))
    # The facts a computed value rests on (a count's own value, a rate's count, a share's smaller side): what
    # decides whether a suppressed reader receives it. None where it rests on no fact (zones, entered figures).
    basis: Mapped[int | None] = mapped_column(Integer)
    recorded_by: Mapped[str] = mapped_column(Text)
    recorded_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class Meeting(Base):
    """A meeting of the cellule de veille: its date, territory, the partners present and the agenda OLS proposed."""

    __tablename__ = "meeting"
    __table_args__ = (CheckConstraint(one_of("state", MEETING_STATES), name="meeting_state"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    held_on: Mapped[date] = mapped_column(Date, index=True)
    territory: Mapped[str] = mapped_column(String(64))
    partners: Mapped[list[str]] = mapped_column(ARRAY(Text), default=list, server_default="{}")
    agenda: Mapped[dict[str, Any]] = mapped_column(default=dict, server_default="{}")
    state: Mapped[str] = mapped_column(String(8), default="open")
    created_by: Mapped[str] = mapped_column(Text)


class Decision(Base):
    """A decision of the relevé: its text, where it applies, the partner in charge, its due date and its state."""

    __tablename__ = "decision"
    __table_args__ = (
        CheckConstraint(one_of("state", DECISION_STATES), name="decision_state"),
        CheckConstraint(one_of("confidentiality", DECISION_CONFIDENTIALITY), name="decision_confidentiality"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    meeting_id: Mapped[int] = mapped_column(ForeignKey("meeting.id", ondelete="CASCADE"), index=True)
    text: Mapped[str] = mapped_column(Text)
    zone: Mapped[str | None] = mapped_column(String(64))
    place: Mapped[str | None] = mapped_column(Text)
    sector: Mapped[str | None] = mapped_column(String(64))
    partner: Mapped[str] = mapped_column(String(64))
    due_on: Mapped[date | None] = mapped_column(Date)
    state: Mapped[str] = mapped_column(String(8), default="open")
    confidentiality: Mapped[str] = mapped_column(String(16), default="partners")
    closed_on: Mapped[date | None] = mapped_column(Date)
