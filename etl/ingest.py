"""Ingestion of one partner file: read, keep nominative data out (``etl.privacy``), validate, deduplicate, store.

A file is one batch and one transaction: either every row ends up as an event, a duplicate or a
rejected row with its reason, or (on any error, Ctrl-C included) the database is left as it was.
The database itself keeps the promises that concern other ingests, with constraints rather than
locks: a source's file is one batch (``UNIQUE (source_id, sha256)``: the same file twice changes
nothing, even twice at once) and a fact is one event (``event``'s primary key, ``etl.load``).
Rows are validated in chunks, and each chunk's facts are sent to PostgreSQL while the next chunk
is validated. Once the file is stored, its facts are paired with the other partners' facts that are
the same events (:mod:`ols.merging`), in a transaction of its own that sees every committed fact.
"""

from __future__ import annotations

import getpass
import hashlib
import itertools
import logging
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
from sqlalchemy import Connection, Engine, Row, func, select, update
from sqlalchemy.dialects.postgresql import insert

from etl.cells import rejected_raw
from etl.context import Context, load_context
from etl.encoding import event_batch, event_schema
from etl.fingerprint import FactIds
from etl.load import Defaults, insert_rejected, staged_facts, store_facts
from etl.mapping import Mapping
from etl.privacy.headers import refuse_nominative_headers
from etl.privacy.screen import Screening, redact_frame, screen
from etl.readers import RawTable, read_file
from etl.sniff import file_name
from etl.validate import file_constants, validate_chunks
from etl.verdicts import REASONS
from ols import merging
from ols.errors import InvalidInputError, NotFoundError
from ols.nomenclature import CATEGORY_BY_CODE
from ols.privacy.detectors import redact
from ols.settings import IngestLimits, ingest_limits
from ols.store.models import Batch, RejectedRow, Source
from ols.wording import number

logger = logging.getLogger(__name__)

ProgressHook = Callable[[str, int, int], None]
CHUNK_ROWS = 100_000
FIRST_CHUNK_ROWS = 12_500
SENSITIVE = {code for code, category in CATEGORY_BY_CODE.items() if category.sensitive}


@dataclass
class BatchReport:
    """What became of the rows of one file (the ``ols ingest --json`` object).

    ``dropped_columns``: the attribute columns this ingest dropped for nominative data, under the
    mapping's ``drop_column`` policy, with what they held in French ("des noms").
    """

    batch_id: int
    source: str
    file: str
    sha256: str
    rows_read: int
    accepted: int
    duplicates: int
    rejected: int
    rejected_by_reason: dict[str, int] = field(default_factory=dict)
    dropped_columns: dict[str, str] = field(default_factory=dict)
    already_ingested: bool = False

    def as_dict(self) -> dict[str, Any]:
        """A JSON-ready dictionary."""
        return asdict(self)

    def counts_text(self) -> str:
        """The counts as a person reads them: « 1 281 faits, 0 doublon, 6 rejets (date ou heure illisible : 1, …) »."""
        reasons = ", ".join(f"{REASONS.get(code, code)} : {number(count)}"
                            for code, count in self.rejected_by_reason.items())  # fmt: skip
        return (f"{counted(self.accepted, 'fait')}, {counted(self.duplicates, 'doublon')}, "
                f"{counted(self.rejected, 'rejet')}{f' ({reasons})' if reasons else ''}")  # fmt: skip


def counted(count: int, noun: str) -> str:
    """« 0 doublon », « 1 fait », « 1 281 faits » (French: the plural from 2)."""
    return f"{number(count)} {noun}{'s' if count >= 2 else ''}"


def file_sha256(path: Path) -> str:
    """SHA-256 of the file's bytes: the identity of a batch."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _source(connection: Connection, code: str) -> Row[Any]:
    source = connection.execute(select(Source.__table__).where(Source.code == code)).one_or_none()
    if source is None:
        known = ", ".join(connection.execute(select(Source.code).order_by(Source.code)).scalars())
        msg = f"source inconnue « {code} » (connues : {known or 'aucune'}) : ajoutez-la avec « ols sources add »"
        raise NotFoundError(msg)
    return source


def _claim_batch(
    connection: Connection, source: Row[Any], sha256: str, name: str, mapping: Mapping, ingested_by: str | None
) -> int | None:
    """Insert the file's batch row and return its id; None when the source already has the file.

    An ingest of the same file still running holds the row's key: this one waits for it to end,
    then finds the file stored (or, if it failed, goes on).
    """
    statement = (
        insert(Batch)
        .values(
            source_id=source.id,
            sha256=sha256,
            filename=name,
            mapping_name=mapping.name,
            mapping=mapping.model_dump(mode="json"),
            ingested_by=ingested_by or getpass.getuser(),
            rows_read=0,
            accepted=0,
            duplicates=0,
            rejected=0,
        )
        .on_conflict_do_nothing(index_elements=["source_id", "sha256"])
        .returning(Batch.id)
    )
    batch_id: int | None = connection.execute(statement).scalar_one_or_none()
    return batch_id


def _previous(connection: Connection, source: Row[Any], sha256: str, name: str) -> BatchReport:
    """The report of the batch that already holds the file: every fact of it is a duplicate now, the same
    columns dropped."""
    batch = connection.execute(
        select(Batch.__table__).where(Batch.source_id == source.id, Batch.sha256 == sha256)
    ).one()
    logger.info("%s déjà intégré (lot %d)", name, batch.id)
    return BatchReport(
        batch_id=batch.id,
        source=source.code,
        file=name,
        sha256=sha256,
        rows_read=batch.rows_read,
        accepted=0,
        duplicates=batch.accepted + batch.duplicates,
        rejected=batch.rejected,
        rejected_by_reason=_reasons(connection, batch.id),
        dropped_columns=dict(batch.dropped_columns),
        already_ingested=True,
    )


def _reasons(connection: Connection, batch_id: int) -> dict[str, int]:
    rows = connection.execute(
        select(RejectedRow.reason, func.count())
        .where(RejectedRow.batch_id == batch_id)
        .group_by(RejectedRow.reason)
        .order_by(RejectedRow.reason)
    )
    return {reason: int(count) for reason, count in rows}


def _read(path: Path, mapping: Mapping, limits: IngestLimits) -> RawTable:
    """The file's rows, once it is readable within the limits, has the columns the mapping needs and names nobody.

    A reader's error may quote a line of the file: any personal data in it is masked, and the
    underlying error (which quotes it too) is not chained.
    """
    try:
        table = read_file(path, mapping, limits)
    except InvalidInputError as error:
        error.args = tuple(redact(str(arg)) for arg in error.args)
        error.__cause__, error.__suppress_context__ = None, True
        raise
    refuse_nominative_headers(file_name(path), [str(column) for column in table.frame.columns])
    logger.info("%s: %d lignes lues", file_name(path), len(table))
    return table


def _chunks(table: RawTable) -> Iterator[RawTable]:
    """The table in pieces, the first ones small (doubling up to ``CHUNK_ROWS``) so that PostgreSQL gets rows early."""
    bounds, size = [0], FIRST_CHUNK_ROWS
    while bounds[-1] < len(table):
        bounds.append(min(bounds[-1] + size, len(table)))
        size = min(2 * size, CHUNK_ROWS)
    for start, stop in itertools.pairwise(bounds):
        yield table.slice(start, stop)


@dataclass
class _Staged:
    """What the validation of a file left: its rejected rows, and how many rows were read and valid."""

    rejected: list[pd.DataFrame] = field(default_factory=list)
    read: int = 0
    valid: int = 0

    def rejected_rows(self) -> pd.DataFrame:
        """Every rejected row of the file, in one frame."""
        return pd.concat(self.rejected, ignore_index=True) if self.rejected else pd.DataFrame()


@dataclass
class _Facts:
    """How a file's valid rows become event rows: its shared values, confidentiality levels and COPY columns.

    The values every row shares are not COPied: the staging table gets them as column defaults.
    """

    mapping: Mapping
    constants: dict[str, object]
    levels: list[str]
    schema: pa.Schema = field(init=False)

    def __post_init__(self) -> None:
        self.schema = event_schema(attributes=bool(self.mapping.attributes), constants=self.constants)

    @classmethod
    def of(cls, mapping: Mapping, context: Context, source: Row[Any], batch_id: int) -> _Facts:
        """A sensitive category is seen by the police only; a file holding none has one level throughout."""
        levels = list(dict.fromkeys([mapping.confidentiality or source.default_confidentiality, "police"]))
        constants = {"source_id": source.id, "batch_id": batch_id, **file_constants(mapping, context)}
        if len(levels) == 1 or not SENSITIVE.intersection(mapping.categories.values()):
            constants["confidentiality"] = levels[0]
        return cls(mapping, constants, levels)

    def rows(self, chunk: RawTable, valid: pd.DataFrame, ok: np.ndarray, fact_ids: FactIds) -> pa.RecordBatch:
        """The chunk's facts (the first row of each id in the file) as an Arrow batch of ``schema``."""
        high, low, first = fact_ids(valid)
        facts = valid if first.all() else valid[first].copy()
        sensitive = facts["category"].isin(SENSITIVE).to_numpy()
        codes = np.where(sensitive, self.levels.index("police"), 0)
        facts["confidentiality"] = pd.Categorical.from_codes(codes, dtype=pd.CategoricalDtype(self.levels))
        if self.mapping.attributes:
            facts["attributes"] = _json_lines(chunk.frame.loc[ok, self.mapping.attributes][first])
        _check_constants(facts, self.constants)
        return event_batch(facts, high[first], low[first], schema=self.schema)


def _stage(
    connection: Connection,
    screening: Screening,
    facts: _Facts,
    context: Context,
    source: Row[Any],
    progress: ProgressHook | None,
) -> _Staged:
    """Validate chunk after chunk, COPYing each chunk's facts to the staging table, keeping the rejected rows.

    Rows the screening found personal data in are rejected whatever their validation said; rejected
    rows keep their cells and message with any personal data masked.
    """
    staged, fact_ids, mapping, table = _Staged(), FactIds(source.code), facts.mapping, screening.table
    with staged_facts(connection, facts.schema, Defaults(facts.constants)) as write:
        for chunk, validated in validate_chunks(_chunks(table), mapping, context):
            rows = screening.verdicts(validated, staged.read)
            ok = rows["reason"].isna().to_numpy()
            write(facts.rows(chunk, rows if ok.all() else rows[ok], ok, fact_ids))
            if not ok.all():
                cells = redact_frame(chunk.frame.loc[~ok, mapping.used_columns()])
                message = redact_frame(rows.loc[~ok, ["message"]].astype(str))["message"]
                staged.rejected.append(rows[~ok].assign(raw=rejected_raw(cells), message=message))
            staged.valid += int(ok.sum())
            staged.read += len(chunk)
            if progress:
                progress("Validation", staged.read, len(table))
    logger.info("%d lignes validées, %d valides", staged.read, staged.valid)
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
            msg = f"erreur interne : {column} ne vaut pas {value!r} sur chaque ligne"
            raise AssertionError(msg)


def _json_lines(frame: pd.DataFrame) -> list[str]:
    if len(frame) == 0:
        return []
    if frame.shape[1] == 0:
        return ["{}"] * len(frame)
    text_cells = frame.astype(str)
    return text_cells.to_json(orient="records", lines=True, force_ascii=False).splitlines()


def _store(connection: Connection, staged: _Staged, report: BatchReport) -> None:
    """Insert the staged facts and the rejected rows; write what became of the rows on the report and the batch."""
    report.accepted = store_facts(connection)
    report.duplicates = staged.valid - report.accepted
    rejected = staged.rejected_rows()
    insert_rejected(connection, rejected, batch_id=report.batch_id)
    report.rejected = len(rejected)
    if len(rejected):
        report.rejected_by_reason = {str(k): int(v) for k, v in rejected["reason"].value_counts().sort_index().items()}
    connection.execute(
        update(Batch)
        .where(Batch.id == report.batch_id)
        .values(
            rows_read=report.rows_read,
            accepted=report.accepted,
            duplicates=report.duplicates,
            rejected=report.rejected,
            dropped_columns=report.dropped_columns,
        )
    )


def ingest_file(
    engine: Engine,
    path: Path,
    *,
    source_code: str,
    mapping: Mapping,
    ingested_by: str | None = None,
    progress: ProgressHook | None = None,
    limits: IngestLimits | None = None,
) -> BatchReport:
    """Ingest one partner file as one batch, in one transaction, within ``limits`` (by default ``OLS_MAX_*``).

    The file is named with any personal data in its name masked (:func:`etl.sniff.file_name`): in the
    batch, the report, the messages and the logs.
    """
    sha256, name = file_sha256(path), file_name(path)
    with engine.begin() as connection:
        source = _source(connection, source_code)
        batch_id = _claim_batch(connection, source, sha256, name, mapping, ingested_by)
        if batch_id is None:
            return _previous(connection, source, sha256, name)
        logger.info("%s: lot %d de la source %s", name, batch_id, source.code)
        limits = limits or ingest_limits()
        table = _read(path, mapping, limits)
        screening = screen(name, table, mapping)
        context = load_context(connection, screening.mapping, limits)
        facts = _Facts.of(screening.mapping, context, source, batch_id)
        staged = _stage(connection, screening, facts, context, source, progress)
        if progress:
            progress("Écriture", 0, len(table))
        report = BatchReport(batch_id, source.code, name, sha256, len(table), accepted=0, duplicates=0, rejected=0)
        report.dropped_columns = screening.dropped
        _store(connection, staged, report)
        if progress:
            progress("Écriture", len(table), len(table))
    if report.accepted:
        with engine.begin() as connection:
            merging.update_links(connection)
    return report
