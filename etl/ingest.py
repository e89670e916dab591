"""Ingestion of one partner file: read, refuse nominative data, validate, deduplicate, load.

A file is one batch and one transaction: either every row ends up as an event, a duplicate or a
rejected row with its reason, or (on any error, Ctrl-C included) the database is left as it was.
The same file ingested twice for the same source changes nothing.
"""

from __future__ import annotations

import getpass
import hashlib
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from geoalchemy2.shape import to_shape
from sqlalchemy import Connection, Engine, Row, insert, select, text

from etl.fingerprint import as_uuid_text, fact_hashes
from etl.geocode import Geocoder
from etl.load import copy_events, insert_rejected, stored_ids
from etl.mapping import Mapping
from etl.nominative import refuse_nominative
from etl.readers import RawTable, read_file
from etl.validate import Context, TerritoryArea, validate
from ols.errors import InvalidInputError, NotFoundError
from ols.models import Batch, Place, Source, Territory
from ols.nomenclature import CATEGORY_BY_CODE

ProgressHook = Callable[[str, int, int], None]
CHUNK_ROWS = 250_000
SENSITIVE = [code for code, category in CATEGORY_BY_CODE.items() if category.sensitive]


@dataclass
class BatchReport:
    """What became of the rows of one file (the ``ols ingest --json`` object)."""

    batch_id: int
    source: str
    file: str
    sha256: str
    rows_read: int
    accepted: int
    duplicates: int
    rejected: int
    rejected_by_reason: dict[str, int] = field(default_factory=dict)
    already_ingested: bool = False

    def as_dict(self) -> dict[str, Any]:
        """A JSON-ready dictionary."""
        return asdict(self)


def file_sha256(path: Path) -> str:
    """SHA-256 of the file's bytes: the identity of a batch."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def load_context(connection: Connection, mapping: Mapping) -> Context:
    """Territories, named places and the geocoder the mapping needs."""
    territories = [
        TerritoryArea(id=row.id, code=row.code, insee=row.insee, geom=to_shape(row.geom))
        for row in connection.execute(select(Territory.__table__).order_by(Territory.id))
    ]
    if not territories:
        msg = "no territory loaded: run 'ols territory load' first"
        raise NotFoundError(msg)
    context = Context(territories=territories)
    spec = mapping.location
    if spec.type == "place":
        query = select(Place.name_key, Place.geom)
        if spec.place_kind:
            query = query.where(Place.kind == spec.place_kind)
        context.places = {key: (to_shape(geom).x, to_shape(geom).y) for key, geom in connection.execute(query)}
    if spec.type == "address":
        context.geocoder = Geocoder.from_database(connection)
    return context


def _source(connection: Connection, code: str) -> Row[Any]:
    source = connection.execute(select(Source.__table__).where(Source.code == code)).one_or_none()
    if source is None:
        known = ", ".join(connection.execute(select(Source.code).order_by(Source.code)).scalars())
        msg = f"unknown source {code!r} (known: {known}; add one with 'ols sources add')"
        raise NotFoundError(msg)
    return source


def _previous(connection: Connection, source: Row[Any], sha256: str, path: Path) -> BatchReport | None:
    batch = connection.execute(
        select(Batch.__table__).where(Batch.source_id == source.id, Batch.sha256 == sha256)
    ).one_or_none()
    if batch is None:
        return None
    return BatchReport(
        batch_id=batch.id,
        source=source.code,
        file=path.name,
        sha256=sha256,
        rows_read=batch.rows_read,
        accepted=0,
        duplicates=batch.accepted + batch.duplicates,
        rejected=batch.rejected,
        rejected_by_reason=_reasons(connection, batch.id),
        already_ingested=True,
    )


def _reasons(connection: Connection, batch_id: int) -> dict[str, int]:
    rows = connection.execute(
        text("SELECT reason, count(*) FROM rejected_row WHERE batch_id = :b GROUP BY reason ORDER BY reason"),
        {"b": batch_id},
    )
    return {reason: int(count) for reason, count in rows}


def _check_columns(path: Path, table: RawTable, mapping: Mapping) -> None:
    missing = [column for column in mapping.used_columns() if column not in table.frame.columns]
    if missing:
        msg = (
            f"{path.name}: colonnes attendues par la correspondance {mapping.name!r} absentes: "
            f"{', '.join(missing)} (colonnes du fichier: {', '.join(map(str, table.frame.columns))})"
        )
        raise InvalidInputError(msg)


def _validate_in_chunks(
    table: RawTable, mapping: Mapping, context: Context, progress: ProgressHook | None
) -> pd.DataFrame:
    parts = []
    total = len(table)
    for start in range(0, max(total, 1), CHUNK_ROWS):
        stop = min(start + CHUNK_ROWS, total)
        chunk = RawTable(
            frame=table.frame.iloc[start:stop].reset_index(drop=True),
            lines=table.lines[start:stop],
            x=None if table.x is None else table.x[start:stop],
            y=None if table.y is None else table.y[start:stop],
            crs=table.crs,
        )
        parts.append(validate(chunk, mapping, context))
        if progress:
            progress("Validation", stop, total)
    return pd.concat(parts, ignore_index=True)


def _json_lines(frame: pd.DataFrame) -> list[str]:
    if len(frame) == 0:
        return []
    if frame.shape[1] == 0:
        return ["{}"] * len(frame)
    text_cells = frame.astype(str)
    return text_cells.to_json(orient="records", lines=True, force_ascii=False).splitlines()


def ingest_file(
    engine: Engine,
    path: Path,
    *,
    source_code: str,
    mapping: Mapping,
    ingested_by: str | None = None,
    progress: ProgressHook | None = None,
) -> BatchReport:
    """Ingest one partner file as one batch, in one transaction."""
    sha256 = file_sha256(path)
    with engine.begin() as connection:
        source = _source(connection, source_code)
        connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": source.id})
        previous = _previous(connection, source, sha256, path)
        if previous is not None:
            return previous
        table = read_file(path, mapping)
        _check_columns(path, table, mapping)
        refuse_nominative(path.name, table.frame, checked_text_columns=[mapping.label, *mapping.attributes])
        context = load_context(connection, mapping)
        rows = _validate_in_chunks(table, mapping, context, progress)
        ok = rows["reason"].isna().to_numpy()
        frame = table.frame
        high, low = fact_hashes(rows[ok], source.code)
        ids = as_uuid_text(high, low)
        fresh = ~pd.DataFrame({"high": high, "low": low}).duplicated().to_numpy()
        fresh &= ~stored_ids(connection, ids, source_id=source.id)
        accepted = rows[ok][fresh].assign(
            attributes=_json_lines(frame.loc[ok, mapping.attributes][fresh]),
            confidentiality=np.where(
                rows.loc[ok, "category"][fresh].isin(SENSITIVE),
                "police",
                mapping.confidentiality or source.default_confidentiality,
            ),
        )
        rejected = rows[~ok].assign(raw=_json_lines(frame.loc[~ok, mapping.used_columns()]))
        batch_id = connection.execute(
            insert(Batch).returning(Batch.id),
            {
                "source_id": source.id,
                "sha256": sha256,
                "filename": path.name,
                "mapping_name": mapping.name,
                "mapping": mapping.model_dump(mode="json"),
                "ingested_by": ingested_by or getpass.getuser(),
            },
        ).scalar_one()
        if progress:
            progress("Écriture", 0, len(rows))
        inserted = copy_events(connection, accepted, high[fresh], low[fresh], source_id=source.id, batch_id=batch_id)
        insert_rejected(connection, rejected, batch_id=batch_id)
        report = BatchReport(
            batch_id=batch_id,
            source=source.code,
            file=path.name,
            sha256=sha256,
            rows_read=len(rows),
            accepted=inserted,
            duplicates=int(ok.sum()) - inserted,
            rejected=int((~ok).sum()),
            rejected_by_reason={str(k): int(v) for k, v in rejected["reason"].value_counts().sort_index().items()},
        )
        connection.execute(
            text("UPDATE batch SET rows_read=:r, accepted=:a, duplicates=:d, rejected=:j WHERE id=:id"),
            {
                "r": report.rows_read,
                "a": report.accepted,
                "d": report.duplicates,
                "j": report.rejected,
                "id": batch_id,
            },
        )
        if progress:
            progress("Écriture", len(rows), len(rows))
        return report
