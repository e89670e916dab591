"""One fact, several partners: the facts of different partners that are the same event, linked into one *signalement*.

The police municipale, the bailleur and the mediators may each report the same gathering; each
report is an event of its own source (a source's own repeats are the fingerprint's business,
``etl.fingerprint``), and counting them all would count the gathering three times. Two facts are
*paired* when:

- they come from different partners, both count facts (activity is never merged: two services'
  interventions are two interventions, :mod:`ols.nomenclature`) and belong to the same family;
- both are timed to the minute and located to the address or better: at most
  ``OLS_MERGE_MINUTES`` and ``OLS_MERGE_DISTANCE_M`` apart, whatever their categories in the family
  (partners classify one event differently: a gathering in a hall is a "Tapage" for one, an
  "Occupation de hall" for another);
- one of them is located only by its street or by a named place: both timed to the minute, at
  most ``OLS_MERGE_MINUTES`` and ``OLS_MERGE_IMPRECISE_M`` apart, and of the same category;
- one of them is known only to the day: never on time alone: the same local day, both located to
  the address or better, at most ``OLS_MERGE_DISTANCE_M`` apart, and of the same category;
- one of them is known only to the month (police.uk): never.

The weaker the evidence of place or time, the more the facts must agree on what happened: on the
demo, where the partners are generated independently (no true duplicate), a family-wide rule for
facts known only to the day merged a bailleur's "Dégradation parties communes" with a police
municipale's "Véhicule ventouse" 45 m away the same day; 12 of its 18 chance merges paired facts
of different categories known only to the day.

A signalement is a *lead* fact and the facts merged into it (``event_link``). The lead is the most
precise fact (location, then time, then the smaller key) among itself and the facts it is paired
with; a fact paired with a more precise one joins, of its paired facts that are leads, the
closest in time, then in space; a signalement holds at most one fact per partner (the closest).
Nothing is merged through a chain (A paired with B, B with C, not A with C: A+B, and C alone), so
that a fact is merged only with facts it is itself close to. When in doubt facts stay apart: a
fact counted twice is visible in the partners' shares, a fact wrongly merged would be hidden.

When. Pairs are found set-based in SQL for the facts of new batches only (the costly spatial and
temporal join, through the ``occurred_at`` index), at the end of each ingest in a transaction of
its own, under a table lock, so that two ingests pair one after the other and each sees the
other's committed facts; a batch records the rule it was paired under (``batch.merge_rule``), and
every refresh pairs the batches left unpaired (an interrupted ingest, facts stored before this
module) or paired under another rule (a changed setting pairs every batch again). Signalements are
then rebuilt from all the pairs (a small table): a function of the stored facts alone, whatever
the order they came in. Pairs and links follow their events (``ON DELETE CASCADE``): removing a
batch removes them, :func:`relink` rebuilds the signalements of the facts that remain, and
re-ingesting the file pairs its facts again to the same result.

Counting. :func:`counted` is the one condition of every count of facts: the measure asked for,
and no fact merged into another partner's signalement (a source's own facts, merged or not, are
what a per-partner count shows).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import timedelta
from typing import Literal, get_args

from geoalchemy2 import Geography
from sqlalchemy import (
    TIMESTAMP,
    ColumnElement,
    Connection,
    Date,
    FromClause,
    Integer,
    Select,
    Tuple,
    and_,
    case,
    cast,
    delete,
    exists,
    extract,
    func,
    null,
    or_,
    select,
    text,
    tuple_,
    union_all,
    update,
)
from sqlalchemy.dialects.postgresql import distinct_on, insert

from ols.reference.calendar import calendar_of
from ols.settings import MergeSettings, merge_settings
from ols.store.models import Batch, Event, EventLink, EventPair
from ols.store.sql import Rows, column_of

logger = logging.getLogger(__name__)

GEOGRAPHY = Geography(geometry_type=None, spatial_index=False)
PRECISE = ("exact", "address")
DAY, HOUR = timedelta(days=1), timedelta(hours=1)
UNTIMED_MINUTES = 24 * 60
# LOCK TABLE has no Core form: it serialises the pairings, so that each sees the facts of the others.
LOCK_PAIRS = text("LOCK TABLE event_pair IN SHARE ROW EXCLUSIVE MODE")


def rule_of(settings: MergeSettings) -> str:
    """The rule as stored on the batches it paired (a changed setting pairs them again)."""
    return f"{settings.merge_distance_m} m, {settings.merge_minutes} min, {settings.merge_imprecise_m} m"


def counted(events: Rows = "e", measure: str = "facts") -> ColumnElement[bool]:
    """The events a count counts: of ``measure``, and not merged into another partner's signalement."""
    merged = exists().where(
        EventLink.source_id == column_of(events, "source_id"), EventLink.id == column_of(events, "id")
    )
    return and_(column_of(events, "measure") == measure, ~merged)


@dataclass(frozen=True)
class MergeReport:
    """What an update did: batches paired, pairs stored, facts merged into another partner's signalement."""

    batches: int
    pairs: int
    merged: int


Kind = Literal["timed", "new_dated", "other_dated"]


def _candidates(new: FromClause, other: FromClause, kind: Kind, settings: MergeSettings,
                timezone: str) -> ColumnElement[bool]:  # fmt: skip
    """Where to look for a fact's pairs in time, so that the ``occurred_at`` index finds them.

    ``timed``: both timed to the minute, within the window; ``new_dated``: the new fact is known
    only to the day (stored at its local midnight), the other is of that local day; ``other_dated``:
    the other is known only to the day, at the local midnight of the new fact's day.
    """
    if kind == "timed":
        window = timedelta(minutes=settings.merge_minutes)
        return and_(new.c.time_precision == "minute", other.c.time_precision == "minute",
                    other.c.occurred_at.between(new.c.occurred_at - window, new.c.occurred_at + window))  # fmt: skip
    if kind == "new_dated":  # a day of 23 to 25 hours (daylight saving): the same-day test follows
        return and_(new.c.time_precision == "day", other.c.time_precision.in_(("minute", "day")),
                    other.c.occurred_at.between(new.c.occurred_at - HOUR, new.c.occurred_at + DAY + HOUR))  # fmt: skip
    day = cast(func.timezone(timezone, new.c.occurred_at), Date)
    return and_(new.c.time_precision == "minute", other.c.time_precision == "day",
                other.c.occurred_at == func.timezone(timezone, cast(day, TIMESTAMP)))  # fmt: skip


def _pair_rows(settings: MergeSettings, batches: list[int], timezone: str, kind: Kind) -> Select[tuple[object, ...]]:
    """Pairs between the facts of ``batches`` and any other partner's: both timed to the minute, or one dated."""
    new, other = Event.__table__.alias("n"), Event.__table__.alias("o")
    first = tuple_(new.c.source_id, new.c.id) < tuple_(other.c.source_id, other.c.id)
    here, there = cast(new.c.geom, GEOGRAPHY), cast(other.c.geom, GEOGRAPHY)
    precise = and_(new.c.location_precision.in_(PRECISE), other.c.location_precision.in_(PRECISE))
    same_category = other.c.category == new.c.category
    near = func.ST_DWithin(here, there, settings.merge_distance_m)
    common = (
        new.c.batch_id.in_(batches), other.c.source_id != new.c.source_id, other.c.family == new.c.family,
        new.c.measure == "facts", other.c.measure == "facts", _candidates(new, other, kind, settings, timezone),
    )  # fmt: skip
    if kind == "timed":
        seconds = func.abs(extract("epoch", other.c.occurred_at - new.c.occurred_at))
        imprecise = and_(~precise, same_category, func.ST_DWithin(here, there, settings.merge_imprecise_m))
        conditions: tuple[ColumnElement[bool], ...] = (
            seconds <= 60 * settings.merge_minutes, or_(and_(precise, near), imprecise),
        )  # fmt: skip
        minutes: ColumnElement[int | None] = func.round(seconds / 60)
    else:
        same_day = cast(func.timezone(timezone, new.c.occurred_at), Date) == cast(
            func.timezone(timezone, other.c.occurred_at), Date
        )
        conditions = (precise, same_category, same_day, near)
        minutes = cast(null(), Integer)
    return select(
        case((first, new.c.source_id), else_=other.c.source_id), case((first, new.c.id), else_=other.c.id),
        case((first, other.c.source_id), else_=new.c.source_id), case((first, other.c.id), else_=new.c.id),
        func.ST_Distance(here, there), minutes,
    ).where(*common, *conditions).distinct()  # fmt: skip


def _others_meanwhile(connection: Connection, batches: list[int]) -> bool:
    """Whether another partner has facts around the time of the batches' facts (else there is nothing to pair)."""
    first, last, sources = connection.execute(
        select(func.min(Event.occurred_at), func.max(Event.occurred_at), func.array_agg(Event.source_id.distinct()))
        .where(Event.batch_id.in_(batches), Event.measure == "facts")
    ).one()  # fmt: skip
    if first is None or len(sources) > 1:
        return first is not None
    others = exists().where(
        Event.occurred_at.between(first - DAY, last + DAY), Event.measure == "facts", Event.source_id != sources[0]
    )
    return bool(connection.execute(select(others)).scalar())


def pair(connection: Connection, batches: list[int], settings: MergeSettings) -> int:
    """Store the pairs between the facts of ``batches`` and every other partner's facts; return how many are new."""
    if not batches or not _others_meanwhile(connection, batches):
        return 0
    timezone = calendar_of(connection).timezone
    columns = ["a_source_id", "a_id", "b_source_id", "b_id", "metres", "minutes"]
    stored = 0
    for kind in get_args(Kind):
        rows = _pair_rows(settings, batches, timezone, kind)
        statement = insert(EventPair).from_select(columns, rows).on_conflict_do_nothing()
        stored += connection.execute(statement.execution_options(preserve_rowcount=True)).rowcount
    return stored


def _rank(events: Rows) -> Tuple:
    """How a fact ranks as a lead, smaller first: location precision, time precision, then its key."""
    location = case({"exact": 0, "address": 1, "street": 2}, value=column_of(events, "location_precision"), else_=3)
    moment = case({"minute": 0, "day": 1}, value=column_of(events, "time_precision"), else_=2)
    return tuple_(location, moment, column_of(events, "source_id"), column_of(events, "id"))


def _links() -> Select[tuple[object, ...]]:
    """(member, lead) of every signalement, from the stored pairs (the rule of the module docstring)."""
    a, b = EventPair.__table__.c, EventPair.__table__.c
    ends = union_all(
        select(a.a_source_id.label("src"), a.a_id.label("id"), a.b_source_id.label("to_src"),
               a.b_id.label("to_id"), a.metres, a.minutes),
        select(b.b_source_id, b.b_id, b.a_source_id, b.a_id, b.metres, b.minutes),
    ).cte("ends")  # fmt: skip
    me, other = Event.__table__.alias("me"), Event.__table__.alias("other")
    beaten = (
        select(ends.c.src, ends.c.id).distinct()
        .join(me, and_(me.c.source_id == ends.c.src, me.c.id == ends.c.id))
        .join(other, and_(other.c.source_id == ends.c.to_src, other.c.id == ends.c.to_id))
        .where(_rank(other) < _rank(me))
    ).cte("beaten")  # fmt: skip
    closeness = (func.coalesce(ends.c.minutes, UNTIMED_MINUTES).label("gap"), ends.c.metres.label("metres"))
    choice = (
        select(ends.c.src, ends.c.id, ends.c.to_src, ends.c.to_id, *closeness)
        .where(tuple_(ends.c.src, ends.c.id).in_(select(beaten.c.src, beaten.c.id)),
               tuple_(ends.c.to_src, ends.c.to_id).not_in(select(beaten.c.src, beaten.c.id)))
        .ext(distinct_on(ends.c.src, ends.c.id))
        .order_by(ends.c.src, ends.c.id, *(column.element for column in closeness), ends.c.to_src, ends.c.to_id)
    ).subquery("choice")  # fmt: skip
    kept = choice.c
    return (
        select(kept.src, kept.id, kept.to_src, kept.to_id)
        .ext(distinct_on(kept.to_src, kept.to_id, kept.src))
        .order_by(kept.to_src, kept.to_id, kept.src, kept.gap, kept.metres, kept.id)
    )


def relink(connection: Connection) -> int:
    """Rebuild every signalement from the stored pairs; return how many facts are merged into another's."""
    connection.execute(delete(EventLink))
    columns = ["source_id", "id", "lead_source_id", "lead_id"]
    statement = insert(EventLink).from_select(columns, _links()).execution_options(preserve_rowcount=True)
    return int(connection.execute(statement).rowcount)


def update_links(connection: Connection, settings: MergeSettings | None = None) -> MergeReport:
    """Pair the facts of every batch not yet paired under the current rule, then rebuild the signalements."""
    settings = settings or merge_settings()
    rule = rule_of(settings)
    connection.execute(LOCK_PAIRS)
    stale = exists().where(Batch.merge_rule.is_not(None), Batch.merge_rule != rule)
    if connection.execute(select(stale)).scalar():
        logger.info("règle de fusion changée (%s) : toutes les paires sont recalculées", rule)
        connection.execute(delete(EventPair))
        connection.execute(update(Batch).values(merge_rule=None))
    batches = list(connection.execute(select(Batch.id).where(Batch.merge_rule.is_(None))).scalars())
    pairs = pair(connection, batches, settings)
    if batches:
        connection.execute(update(Batch).where(Batch.id.in_(batches)).values(merge_rule=rule))
    merged = relink(connection)
    if batches:
        logger.info("fusion entre partenaires : %d lots, %d paires nouvelles, %d faits fusionnés", len(batches),
                    pairs, merged)  # fmt: skip
    return MergeReport(len(batches), pairs, merged)
