"""The communes a patrol plan covers: a police municipale is communal, so a plan stays in one commune by default.

The commune is the one given (``--commune INSEE``), else the one the team starts from; a brigade
intercommunale is declared by naming its communes (``--communes 59360,59286``). Communes are the
observatory's ``territory`` rows, found by INSEE code or territory code. Candidate places outside
the plan's communes are left out before the stops are drawn, so no team is routed across a
commune it does not police.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import shapely
from geoalchemy2.shape import to_shape
from shapely.geometry import Point
from shapely.geometry.base import BaseGeometry
from sqlalchemy import Connection, func, or_, select

from ols.errors import InvalidInputError, NotFoundError
from ols.patrols.planning import Candidate
from ols.store.models import Territory

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class PlanArea:
    """The communes of a plan: their codes, names and joined outline."""

    codes: tuple[str, ...]
    names: tuple[str, ...]
    outline: BaseGeometry

    @property
    def label(self) -> str:
        """How a person reads the area: « Loos (59360) », or the communes joined by commas."""
        return ", ".join(f"{name} ({code})" for code, name in zip(self.codes, self.names, strict=True))


def _known(connection: Connection) -> str:
    rows = connection.execute(select(Territory.insee, Territory.code, Territory.name).order_by(Territory.code)).all()
    return ", ".join(f"{insee or code} ({name})" for insee, code, name in rows) or "aucune"


def _named(connection: Connection, codes: list[str]) -> PlanArea:
    rows = connection.execute(
        select(Territory.insee, Territory.code, Territory.name, Territory.geom)
        .where(or_(Territory.insee.in_(codes), Territory.code.in_(codes)))
    ).all()  # fmt: skip
    found = {row.insee or row.code: row for row in rows} | {row.code: row for row in rows}
    missing = [code for code in codes if code not in found]
    if missing:
        msg = f"commune inconnue de l'observatoire : {', '.join(missing)} ; communes chargées : {_known(connection)}"
        raise NotFoundError(msg)
    picked = list({found[code].code: found[code] for code in codes}.values())
    return PlanArea(tuple(row.insee or row.code for row in picked), tuple(row.name for row in picked),
                    shapely.union_all([to_shape(row.geom) for row in picked]))  # fmt: skip


def plan_area(connection: Connection, origin: tuple[float, float], communes: list[str] | None) -> PlanArea:
    """The plan's communes: those named, else the one containing the start (the only one, if there is one)."""
    if communes:
        return _named(connection, communes)
    point = func.ST_SetSRID(func.ST_MakePoint(*origin), 4326)
    rows = connection.execute(
        select(Territory.code).where(func.ST_Covers(Territory.geom, point)).order_by(Territory.code)
    ).all()
    if not rows:
        rows = connection.execute(select(Territory.code)).all()
    if len(rows) != 1:
        msg = (f"le départ n'est pas dans une seule commune de l'observatoire : donnez la commune du plan "
               f"(--commune INSEE) ou les communes d'une brigade intercommunale (--communes) ; "
               f"communes chargées : {_known(connection)}")  # fmt: skip
        raise InvalidInputError(msg)
    return _named(connection, [rows[0].code])


def within(candidates: list[Candidate], area: PlanArea) -> list[Candidate]:
    """The candidates inside the plan's communes (the others are left out, and counted in the log)."""
    shapely.prepare(area.outline)
    kept = [candidate for candidate in candidates if area.outline.covers(Point(candidate.lon, candidate.lat))]
    logger.info("plan limité à %s : %d lieux candidats retenus, %d hors de ces communes écartés",
                area.label, len(kept), len(candidates) - len(kept))  # fmt: skip
    return kept
