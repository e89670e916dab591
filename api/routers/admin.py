"""Coordinator operations: ingest a partner file, refresh a period."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, File, Form, HTTPException, Query, UploadFile

from api.deps import CurrentManager, EngineDep, SettingsDep
from api.schemas import ERRORS, PERIOD_PATTERN
from etl.ingest import ingest_file
from etl.mapping import builtin_mappings, load_mapping
from ols.cartography.refresh import refresh
from ols.periods import parse_period

router = APIRouter(responses=ERRORS)
CHUNK = 1 << 20


@router.post("/ingest")
def ingest(
    engine: EngineDep,
    settings: SettingsDep,
    user: CurrentManager,
    file: Annotated[UploadFile, File(description="The partner's export")],
    mapping: Annotated[str, Form(max_length=64, description="Name of a shipped mapping")],
    source: Annotated[str, Form(max_length=64)],
) -> dict[str, Any]:
    """Upload a partner file with a mapping name: the batch report of ``ols ingest --json``."""
    if mapping not in builtin_mappings():
        raise HTTPException(status_code=422, detail=f"unknown mapping {mapping!r}")
    limit = settings.max_upload_mb * CHUNK
    suffix = Path(file.filename or "upload").suffix[:10]
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / f"{Path(file.filename or 'upload').stem[:80]}{suffix}"
        size = 0
        with path.open("wb") as handle:
            while block := file.file.read(CHUNK):
                size += len(block)
                if size > limit:
                    raise HTTPException(status_code=413, detail=f"file larger than {settings.max_upload_mb} MB")
                handle.write(block)
        report = ingest_file(engine, path, source_code=source, mapping=load_mapping(mapping), ingested_by=user.name)
    return report.as_dict()


@router.post("/refresh")
def refresh_period(
    engine: EngineDep, user: CurrentManager, period: Annotated[str, Query(pattern=PERIOD_PATTERN)]
) -> dict[str, Any]:
    """Rebuild the period's aggregates, hot spots, emerging hot spots and zones; the summary."""
    return refresh(engine, parse_period(period))
