"""Sheets and the schéma local as the CLI (``ols sheet``) and the API (``/api/v1/sheets``) produce them."""

from __future__ import annotations

from dataclasses import asdict
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, func, select

from ols.access.audience import Audience
from ols.access.roles import Layer
from ols.analysis.profiles import WEEKDAYS
from ols.errors import InvalidInputError
from ols.reference.places import kind_label
from ols.sheets.content import Sheet, build_sheet
from ols.sheets.local_plan import local_plan_html
from ols.sheets.render import sheet_html, to_pdf
from ols.sheets.subject import LOCAL_PLAN_KINDS, SubjectKind, find_subject
from ols.store.models import Place, Sector, Territory

FORMATS = (".pdf", ".html")


def sheet_of(connection: Connection, kind: SubjectKind, code: str, period: str, audience: Audience) -> Sheet:
    """The content of the sheet of a place, sector or zone for a period, cut for the audience."""
    audience.require(Layer.SHEETS)
    return build_sheet(connection, find_subject(connection, kind, code, audience), period, audience)


def render(html: str, suffix: str) -> bytes:
    """HTML as the format asked for: .html or .pdf."""
    if suffix not in FORMATS:
        msg = f"format « {suffix} » inconnu : choisissez .pdf ou .html"
        raise InvalidInputError(msg)
    return to_pdf(html) if suffix == ".pdf" else html.encode()


def sheet_document(connection: Connection, kind: SubjectKind, code: str, period: str, audience: Audience,
                   suffix: str) -> bytes:  # fmt: skip
    """The sheet as a PDF or HTML document."""
    return render(sheet_html(connection, sheet_of(connection, kind, code, period, audience)), suffix)


def local_plan_document(connection: Connection, commune: str, period: str, audience: Audience, suffix: str) -> bytes:
    """The schéma local of a commune as a PDF or HTML document."""
    audience.require(Layer.SHEETS)
    return render(local_plan_html(connection, commune, period, audience), suffix)


def write(document: bytes, out: Path) -> Path:
    """Write a document where asked (its folder made)."""
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_bytes(document)
    return out


def sheet_json(sheet: Sheet) -> dict[str, Any]:
    """A sheet's content as JSON (its subject without its outline, its reader's role and threshold)."""
    subject = sheet.subject
    return {
        "subject": {"kind": subject.kind, "code": subject.code, "name": subject.name, "what": subject.what,
                    "title": subject.title},
        "period": sheet.period.name, "period_label": sheet.period.label, "role": sheet.audience.label,
        "suppression_threshold": sheet.audience.threshold if sheet.audience.suppressed else None,
        "semesters": sheet.semesters, "families": sheet.families, "hour_blocks": sheet.hour_blocks,
        "weekdays": list(WEEKDAYS), "grid": sheet.grid, "periods_in_words": sheet.periods_in_words,
        "partners": sheet.partners, "cameras": sheet.cameras, "covered": sheet.covered,
        "deal_points": sheet.deal_points, "mediation": asdict(sheet.mediation) if sheet.mediation else None,
        "decisions": sheet.decisions, "indicators": sheet.indicators, "ambiance": sheet.ambiance,
        "caveats": sheet.caveats,
    }  # fmt: skip


def subjects_of(connection: Connection, audience: Audience) -> dict[str, list[dict[str, str]]]:
    """What the reader may ask a sheet of: its sectors, the places of the schéma local's kinds in its area, and
    its communes (for the schéma local)."""
    audience.require(Layer.SHEETS)
    sectors = connection.execute(select(Sector.code, Sector.name).where(audience.own_sectors().clause)
                                 .order_by(Sector.name)).all()  # fmt: skip
    places = connection.execute(select(Place.name, Place.kind).where(
        Place.kind.in_(LOCAL_PLAN_KINDS), audience.area(Place.geom).clause).order_by(Place.name)).all()  # fmt: skip
    communes = connection.execute(select(Territory.code, Territory.name).where(audience.own_territories().clause)
                                  .order_by(Territory.name)).all()  # fmt: skip
    return {"sectors": [{"code": c, "name": n} for c, n in sectors],
            "places": [{"code": n, "name": f"{n} ({kind_label(k)})"} for n, k in places],
            "communes": [{"code": c, "name": n} for c, n in communes]}  # fmt: skip


def station_and_sector(connection: Connection) -> tuple[str, str, str] | None:
    """The first metro station (by name), the sector holding it and its commune: what a demo makes sheets of
    (None when no station lies in a loaded sector)."""
    row = connection.execute(
        select(Place.name, Sector.code, Territory.code)
        .join(Sector, func.ST_Intersects(Sector.geom, Place.geom))
        .join(Territory, Territory.id == Sector.territory_id)
        .where(Place.kind == "metro", Sector.parent_id.is_(None)).order_by(Place.name).limit(1)
    ).one_or_none()  # fmt: skip
    return None if row is None else (row[0], row[1], row[2])
