"""The « ambiance » of a place or sector, as partners find it in a period: calme, tendu or dégradé, and a short
observation with no personal data in it.

The observation is checked by the same detectors as every partner file (:mod:`ols.privacy.detectors`): names,
birth dates, phone numbers, e-mails, number plates and social-security numbers are refused, saying what was
found, so that nothing nominative is ever stored. Who may write one is the audience's to say
(:meth:`~ols.access.audience.Audience.rater`): the partners, the police and the coordinator, never an élu.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, select
from sqlalchemy.dialects.postgresql import insert

from ols.access.audience import Audience
from ols.errors import InvalidInputError
from ols.names import fold
from ols.periods import parse_period
from ols.privacy.detectors import describe, find
from ols.sheets.subject import Subject, SubjectKind, find_subject
from ols.store.models import Ambiance

RATINGS = {"calme": "calme", "tendu": "tendu", "degrade": "dégradé"}
MAX_OBSERVATION = 600


def rating_code(value: str) -> str:
    """The code of a rating given as « calme », « tendu », « dégradé » (or « degrade »)."""
    code = fold(value).strip().lower().replace("é", "e")
    if code not in RATINGS:
        msg = f"appréciation inconnue « {value} » : choisissez calme, tendu ou dégradé"
        raise InvalidInputError(msg)
    return code


def check_observation(text: str) -> str:
    """The observation, trimmed, if it holds no personal data and is short enough (InvalidInputError otherwise)."""
    text = " ".join(text.split())
    if len(text) > MAX_OBSERVATION:
        msg = f"observation trop longue ({len(text)} caractères, {MAX_OBSERVATION} au plus)"
        raise InvalidInputError(msg)
    found = find(text)
    if found:
        msg = (f"l'observation contient {describe({f.kind for f in found})} : décrivez la situation sans "
               "données personnelles (ni nom, ni téléphone, ni plaque...)")  # fmt: skip
        raise InvalidInputError(msg)
    return text


def enter(connection: Connection, kind: SubjectKind, code: str, period: str, rating: str, observation: str,
          audience: Audience, author: str | None = None) -> Subject:  # fmt: skip
    """Record (or replace) an ambiance of a place, sector or zone of the audience's area for a period, written by
    ``audience`` (signed ``author``, by default the audience itself), and return its subject. AccessDenied before
    anything is looked up or stored if its role may not write one (an élu learns nothing of the subject)."""
    author = audience.rater(author)
    parse_period(period)
    subject = find_subject(connection, kind, code, audience)
    row = {"subject_kind": subject.kind, "subject": subject.code, "period": period, "rating": rating_code(rating),
           "observation": check_observation(observation), "author": author}  # fmt: skip
    statement = insert(Ambiance).values(row)
    connection.execute(statement.on_conflict_do_update(
        index_elements=["subject_kind", "subject", "period", "author"],
        set_={"rating": statement.excluded.rating, "observation": statement.excluded.observation}))  # fmt: skip
    return subject


def entries(connection: Connection, subject: Subject, period: str) -> list[dict[str, Any]]:
    """The ambiances entered for the subject and period: rating (in French), observation, author, date."""
    rows = connection.execute(
        select(Ambiance.rating, Ambiance.observation, Ambiance.author, Ambiance.entered_at)
        .where(Ambiance.subject_kind == subject.kind, Ambiance.subject == subject.code, Ambiance.period == period)
        .order_by(Ambiance.entered_at)
    ).all()  # fmt: skip
    return [{"rating": RATINGS[r.rating], "observation": r.observation, "author": r.author,
             "date": f"{r.entered_at:%d/%m/%Y}"} for r in rows]  # fmt: skip
