"""The import page's pipeline: a preview of a partner file as OLS reads it, and its ingest as a background job.

Both go through the ordinary ingestion (:mod:`etl.readers`, :mod:`etl.ingest`): the preview reads the file
with the mapping and shows its first rows as the mapping interprets them, writing nothing; the job calls
:func:`etl.ingest.ingest_file` and turns its stages into a progress between 0 and 1.
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

from sqlalchemy import Engine

from etl.ingest import ingest_file
from etl.mapping import Mapping
from etl.privacy.headers import refuse_nominative_headers
from etl.readers import read_file
from etl.sniff import file_name
from etl.verdicts import REASONS
from ols.errors import InvalidInputError
from ols.jobs import Progress
from ols.nomenclature import CATEGORY_BY_CODE
from ols.privacy.detectors import redact
from ols.settings import ingest_limits
from ols.wording import number

PREVIEW_ROWS = 10
# The share of the job each stage of the ingest ends at (reading the file comes before the first report).
STAGES = {"Validation": (0.05, 0.8), "Écriture": (0.85, 0.95)}


def preview(path: Path, mapping: Mapping, *, rows: int = PREVIEW_ROWS) -> dict[str, Any]:
    """The file's columns and first rows as read with ``mapping``, each with its label's category; nothing written.

    A nominative header refuses the file as the ingest would; personal data in a cell is masked.
    """
    try:
        table = read_file(path, mapping, ingest_limits())
    except InvalidInputError as error:
        raise InvalidInputError(redact(str(error))) from None
    columns = [str(column) for column in table.frame.columns]
    refuse_nominative_headers(file_name(path), columns)
    head = table.frame.head(rows).astype(str)
    shown = []
    for line, (_, row) in zip(table.lines[:rows], head.iterrows(), strict=False):
        label = row.get(mapping.label, "")
        code = mapping.categories.get(label)
        category = CATEGORY_BY_CODE[code].label if code in CATEGORY_BY_CODE else None
        shown.append({"line": int(line), "cells": [redact(row[column]) for column in columns], "label": redact(label),
                      "category": category, "date": row.get(mapping.date.column, "")})  # fmt: skip
    return {"file": file_name(path), "mapping": mapping.name, "rows_read": len(table), "columns": columns,
            "rows": shown}  # fmt: skip


def ingest_work(folder: Path, path: Path, *, source: str, mapping: Mapping, by: str) -> Any:
    """The job's work: ingest ``path`` (the only file of ``folder``, removed afterwards) and return its report."""

    def work(engine: Engine, progress: Progress) -> dict[str, Any]:
        def hook(stage: str, done: int, total: int) -> None:
            low, high = STAGES.get(stage, (0.0, 0.0))
            share = done / total if total else 1.0
            progress(low + (high - low) * share, f"{stage} : {number(done)} lignes sur {number(total)}")

        try:
            progress(0.01, f"Lecture de {file_name(path)}")
            report = ingest_file(engine, path, source_code=source, mapping=mapping, ingested_by=by, progress=hook)
        finally:
            shutil.rmtree(folder, ignore_errors=True)
        reasons = {REASONS.get(code, code): count for code, count in report.rejected_by_reason.items()}
        return {**report.as_dict(), "counts_text": report.counts_text(), "reasons_text": reasons}

    return work
