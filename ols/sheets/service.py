"""Sheets and the schéma local as the CLI (``ols sheet``) and the API (``/api/v1/sheets``) produce them."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import Connection

from ols.access.audience import Audience
from ols.access.roles import Layer
from ols.errors import InvalidInputError
from ols.sheets.content import Sheet, build_sheet
from ols.sheets.local_plan import local_plan_html
from ols.sheets.render import sheet_html, to_pdf
from ols.sheets.subject import SubjectKind, find_subject

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
