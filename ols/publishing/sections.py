"""The parts reports are made of (tables, sections, chapters) and the words that name the observatory.

A report's title follows the observatory it is written for ("Bilan annuel du CISPD
Loos–Haubourdin–Emmerin", "… du CLSPD de Roubaix"), read from the ``observatory`` table,
never a fixed "CLSPD"; a database without an observatory row names its communes.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd
from sqlalchemy import Connection, select

from ols.access.audience import Audience
from ols.errors import NotFoundError
from ols.periods import Period
from ols.publishing.boxes import Box, cell_text, zone_boxes
from ols.reference.areas import Area
from ols.store.models import Observatory, Territory

ACRONYMS = {"clspd": "CLSPD", "cispd": "CISPD"}
VOWELS = tuple("AEIOUYÂÉÈÊÎÔaeiouyâéèêîô")


@dataclass
class Table:
    """A table of a report: columns and rows of display values."""

    name: str
    frame: pd.DataFrame

    @property
    def columns(self) -> list[str]:
        """Column headers."""
        return [str(column) for column in self.frame.columns]

    @property
    def rows(self) -> list[list[str]]:
        """Cells as text ("< 5" for a suppressed count, "—" for a year without data, empty for none)."""
        return [["" if pd.isna(value) else cell_text(value) for value in row]
                for row in self.frame.itertuples(index=False)]  # fmt: skip


@dataclass
class Section:
    """A titled part of a report; a ``chapter`` opens a new part (a member commune of an intercommunal report)."""

    title: str
    text: str = ""
    table: Table | None = None
    images: list[str] = field(default_factory=list)
    boxes: list[Box] = field(default_factory=list)
    chapter: bool = False


def shown(frame: pd.DataFrame, columns: list[str], audience: Audience) -> pd.DataFrame:
    """The table as printed: hidden counts written "< 5"."""
    return frame.astype(dict.fromkeys(columns, object)).fillna({c: audience.count_label(None) for c in columns})


def semester_boxes(connection: Connection, semester: Period, audience: Audience, area: Area | None = None) -> list[Box]:
    """The semester's top zones explained (those meeting ``area``), when the semester was computed."""
    try:
        return zone_boxes(connection, semester, audience, area=area)
    except NotFoundError:
        return []


def de(name: str) -> str:
    """« de Loos », « d'Emmerin »."""
    return f"d'{name}" if name.startswith(VOWELS) else f"de {name}"


def of_observatory(connection: Connection) -> str:
    """The observatory a report is of, after its title: « du CISPD Loos–Haubourdin–Emmerin », « du CLSPD de
    Roubaix », « de la Métropole européenne de Lille »; without an observatory row, the CLSPD of its one
    commune or the observatory of its communes."""
    row = connection.execute(select(Observatory.name, Observatory.kind)).first()
    if row is None:
        names = list(connection.execute(select(Territory.name).order_by(Territory.code)).scalars())
        return f"du CLSPD {de(names[0])}" if len(names) == 1 else f"de l'observatoire ({', '.join(names) or '—'})"
    name, kind = str(row.name), str(row.kind)
    if kind == "epci":
        grouped = name.split(maxsplit=1)[0].casefold() in ("métropole", "communauté", "agglomération")
        return f"de la {name}" if grouped else f"de l'EPCI {name}"
    acronym = ACRONYMS.get(kind, kind.upper())
    if name.upper().startswith(("CLS", "CISPD", "CIPD")):
        return f"du {name}"
    return f"du {acronym} {de(name)}" if kind == "clspd" else f"du {acronym} {name}"
