"""Ingestion of one partner file: read, refuse nominative data, validate, deduplicate, load.

A file is one batch and one transaction: either every row ends up as an event, a duplicate or a
rejected row with its reason, or (on any error, Ctrl-C included) the database is left as it was.
The same file ingested twice for the same source changes nothing. Rows are validated in chunks,
and each chunk's facts are sent to PostgreSQL while the next chunk is validated (``etl.load``).
"""

from __future__ import annotations

import getpass
import hashlib
import itertools
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import shapely
from geoalchemy2.shape import to_shape
from shapely.geometry.base import BaseGeometry
from sqlalchemy import Connection, Engine, Row, insert, select, text

from etl.context import Context, TerritoryArea
from etl.fingerprint import FactIds
from etl.geocode import Geocoder
from etl.load import Defaults, Loader, event_batch, event_schema, insert_rejected, loader_for
from etl.mapping import Mapping
from etl.nominative import refuse_nominative
from etl.readers import RawTable, read_file
from etl.validate import file_constants, validate_chunks
from ols.errors import InvalidInputError, NotFoundError
from ols.nomenclature import CATEGORY_BY_CODE
from ols.store.models import Batch, Place, Source, Territory

ProgressHook = Callable[[str, int, int], None]
CHUNK_ROWS = 100_000
FIRST_CHUNK_ROWS = 12_500
SENSITIVE = {code for code, category in CATEGORY_BY_CODE.items() if category.sensitive}


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


def _prepared(geom: BaseGeometry) -> BaseGeometry:
    """The geometry with its spatial index built, for fast point-in-polygon tests on every row."""
    shapely.prepare(geom)
    return geom


def load_context(connection: Connection, mapping: Mapping) -> Context:
    """Territories, named places and the geocoder the mapping needs."""
    territories = [
        TerritoryArea(id=row.id, code=row.code, insee=row.insee, geom=_prepared(to_shape(row.geom)))
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


def _chunks(table: RawTable) -> Iterator[RawTable]:
    """The table in pieces, the first ones small (doubling up to ``CHUNK_ROWS``) so that PostgreSQL gets rows early."""
    bounds, size = [0], FIRST_CHUNK_ROWS
    while bounds[-1] < len(table):
        bounds.append(min(bounds[-1] + size, len(table)))
        size = min(2 * size, CHUNK_ROWS)
    for start, stop in itertools.pairwise(bounds):
        yield RawTable(
            frame=table.frame.iloc[start:stop].reset_index(drop=True),
            lines=table.lines[start:stop],
            x=None if table.x is None else table.x[start:stop],
            y=None if table.y is None else table.y[start:stop],
            crs=table.crs,
        )


@dataclass
class _Staged:
    """What the validation of a file left: its rejected rows, and how many rows were read and valid."""

    rejected: list[pd.DataFrame] = field(default_factory=list)
    read: int = 0
    valid: int = 0


def _stage(
    table: RawTable,
    mapping: Mapping,
    context: Context,
    source: Row[Any],
    batch_id: int,
    loader: Loader,
    progress: ProgressHook | None,
) -> _Staged:
    """Validate chunk after chunk, COPYing each chunk's facts (first of their id in the file) to the loader."""
    staged, fact_ids = _Staged(), FactIds(source.code)
    levels = list(dict.fromkeys([mapping.confidentiality or source.default_confidentiality, "police"]))
    constants = {"source_id": source.id, "batch_id": batch_id, **file_constants(mapping, context)}
    if len(levels) == 1 or not SENSITIVE.intersection(mapping.categories.values()):
        constants["confidentiality"] = levels[0]
    schema = event_schema(attributes=bool(mapping.attributes), constants=constants)
    with loader.copy(schema, Defaults(constants)) as write:
        for chunk, rows in validate_chunks(_chunks(table), mapping, context):
            ok = rows["reason"].isna().to_numpy()
            valid = rows if ok.all() else rows[ok]
            high, low, first = fact_ids(valid)
            facts = valid if first.all() else valid[first].copy()
            sensitive = facts["category"].isin(SENSITIVE).to_numpy()
            codes = np.where(sensitive, levels.index("police"), 0)
            facts["confidentiality"] = pd.Categorical.from_codes(codes, dtype=pd.CategoricalDtype(levels))
            if mapping.attributes:
                facts["attributes"] = _json_lines(chunk.frame.loc[ok, mapping.attributes][first])
            _check_constants(facts, constants)
            write(event_batch(facts, high[first], low[first], schema=schema))
            if not ok.all():
                rejected = rows[~ok].assign(raw=_json_lines(chunk.frame.loc[~ok, mapping.used_columns()]))
                staged.rejected.append(rejected)
            staged.valid += int(ok.sum())
            staged.read += len(chunk)
            if progress:
                progress("Validation", staged.read, len(table))
    return staged


def _holds_only(values: pd.Series, value: object) -> bool:
    if isinstance(values.dtype, pd.CategoricalDtype):
        categories = list(values.cat.categories)
        code = categories.index(value) if value in categories else -1
        return bool((values.cat.codes.to_numpy() == code).all())
    return bool((values.to_numpy() == value).all())


def _check_constants(facts: pd.DataFrame, constants: dict[str, object]) -> None:
    """Make sure the values sent as column defaults are those of every row (a cheap guard)."""
    for column, value in constants.items():
        if column in facts.columns and not _holds_only(facts[column], value):
            msg = f"internal error: {column} is not {value!r} on every row"
            raise AssertionError(msg)


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
    with ExitStack() as after_transaction, engine.begin() as connection:
        source = _source(connection, source_code)
        connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": source.id})
        previous = _previous(connection, source, sha256, path)
        if previous is not None:
            return previous
        table = read_file(path, mapping)
        _check_columns(path, table, mapping)
        refuse_nominative(path.name, table.frame, checked_text_columns=[mapping.label, *mapping.attributes])
        context = load_context(connection, mapping)
        batch_id = connection.execute(text("SELECT nextval(pg_get_serial_sequence('batch', 'id'))")).scalar_one()
        loader = loader_for(engine, connection, batch_id=batch_id, source_id=source.id, lines=table.lines)
        after_transaction.callback(loader.close)
        staged = _stage(table, mapping, context, source, batch_id, loader, progress)
        loader.claim(connection)
        connection.execute(
            insert(Batch),
            {
                "id": batch_id,
                "source_id": source.id,
                "sha256": sha256,
                "filename": path.name,
                "mapping_name": mapping.name,
                "mapping": mapping.model_dump(mode="json"),
                "ingested_by": ingested_by or getpass.getuser(),
            },
        )
        if progress:
            progress("Écriture", 0, len(table))
        inserted = loader.store(connection, source_id=source.id)
        rejected = pd.concat(staged.rejected, ignore_index=True) if staged.rejected else pd.DataFrame()
        insert_rejected(connection, rejected, batch_id=batch_id)
        report = BatchReport(
            batch_id=batch_id,
            source=source.code,
            file=path.name,
            sha256=sha256,
            rows_read=len(table),
            accepted=inserted,
            duplicates=staged.valid - inserted,
            rejected=len(rejected),
            rejected_by_reason=(
                {str(k): int(v) for k, v in rejected["reason"].value_counts().sort_index().items()}
                if len(rejected)
                else {}
            ),
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
            progress("Écriture", len(table), len(table))
        return report
