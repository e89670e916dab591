"""Coordinator operations: ingest a partner file, refresh a period."""

from __future__ import annotations

import re
import tempfile
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, File, Form, HTTPException, Query, UploadFile

from api.deps import CurrentManager, EngineDep, SettingsDep
from api.schemas import ERRORS, PERIOD_PATTERN
from etl.ingest import ingest_file
from etl.mapping import known_mappings, load_mapping
from ols.cartography.refresh import refresh
from ols.periods import parse_period

router = APIRouter(responses=ERRORS)
CHUNK = 1 << 20
UNSAFE = re.compile(r"[^\w.\-+,()' ]")


def upload_name(filename: str | None) -> str:
    """A harmless file name for an upload: the last part of what the client sent, in safe characters, never empty.

    The name becomes a file in a temporary folder and the batch's ``filename``: a path (``..``,
    ``/``, ``a/../b``), a NUL byte or control characters must not reach the file system.
    """
    base = re.split(r"[\\/]", filename or "")[-1]
    cleaned = UNSAFE.sub("_", base).strip(" .")
    path = Path(cleaned or "fichier")
    return f"{path.stem[:80] or 'fichier'}{path.suffix[:10]}"


def save_upload(file: UploadFile, folder: Path, max_mb: int) -> Path:
    """Write an uploaded file into ``folder`` under a harmless name, refused (413) past ``max_mb`` megabytes."""
    path = folder / upload_name(file.filename)
    size = 0
    with path.open("wb") as handle:
        while block := file.file.read(CHUNK):
            size += len(block)
            if size > max_mb * CHUNK:
                detail = f"fichier de plus de {max_mb} Mo (OLS_MAX_UPLOAD_MB) : découpez-le"
                raise HTTPException(status_code=413, detail=detail)
            handle.write(block)
    return path


@router.post("/ingest")
def ingest(
    engine: EngineDep,
    settings: SettingsDep,
    user: CurrentManager,
    file: Annotated[UploadFile, File(description="The partner's export")],
    mapping: Annotated[str, Form(max_length=64, description="Name of a shipped or own mapping")],
    source: Annotated[str, Form(max_length=64)],
) -> dict[str, Any]:
    """Upload a partner file with a mapping name: the batch report of ``ols ingest --json``."""
    if mapping not in known_mappings(settings.mappings_dir):
        known = ", ".join(sorted(known_mappings(settings.mappings_dir)))
        raise HTTPException(status_code=422, detail=f"correspondance « {mapping} » inconnue (connues : {known})")
    with tempfile.TemporaryDirectory() as folder:
        path = save_upload(file, Path(folder), settings.max_upload_mb)
        report = ingest_file(engine, path, source_code=source, mapping=load_mapping(mapping, settings.mappings_dir),
                             ingested_by=user.name)  # fmt: skip
    return report.as_dict()


@router.post("/refresh")
def refresh_period(
    engine: EngineDep, user: CurrentManager, period: Annotated[str, Query(pattern=PERIOD_PATTERN)]
) -> dict[str, Any]:
    """Rebuild the period's aggregates, hot spots, emerging hot spots and zones; the summary."""
    return refresh(engine, parse_period(period))
