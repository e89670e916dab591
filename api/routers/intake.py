"""The coordinator's data flow: partner files (preview, ingest as a background job) and batches (list, detail,
rejected rows to send back, undo). Every route needs ``Layer.MANAGE``.
"""

from __future__ import annotations

import tempfile
from datetime import date
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, File, Form, HTTPException, Query, UploadFile
from fastapi.responses import Response
from sqlalchemy import select

from api.deps import CurrentManager, EngineDep, SettingsDep
from api.routers.admin import save_upload
from api.routers.jobs import Jobs
from api.schemas import ERRORS
from etl.batches import BATCH_STATES, BatchFilter, batch_detail, list_batches, rejected_rows, undo_batch
from etl.intake import ingest_work, preview
from etl.mapping import Mapping, known_mappings, load_mapping
from etl.verdicts import REASONS
from ols.publishing.tables import to_excel_csv
from ols.store.models import Source

router = APIRouter(responses=ERRORS, tags=["intake"])
REJECTED_SHOWN = 500
Mappings = Annotated[str, Form(max_length=64, description="Name of a shipped or own mapping")]


def _mapping(name: str, folder: Path) -> Mapping:
    """A shipped mapping or one of the coordinator's own (``OLS_MAPPINGS_DIR``, made in the mapping assistant)."""
    known = known_mappings(folder)
    if name not in known:
        raise HTTPException(
            status_code=422, detail=f"correspondance « {name} » inconnue (connues : {', '.join(sorted(known))})"
        )
    return load_mapping(name, folder)


def _source(engine: EngineDep, code: str) -> None:
    with engine.connect() as connection:
        if connection.execute(select(Source.id).where(Source.code == code)).scalar() is None:
            raise HTTPException(status_code=422, detail=f"source inconnue « {code} »")


@router.get("/intake/options")
def intake_options(engine: EngineDep, settings: SettingsDep, manager: CurrentManager) -> dict[str, Any]:
    """What the import form offers: the shipped and own mappings, and the sources."""
    mappings = [{"name": name, "description": load_mapping(path).description}
                for name, path in sorted(known_mappings(settings.mappings_dir).items())]  # fmt: skip
    with engine.connect() as connection:
        rows = connection.execute(select(Source.code, Source.name).order_by(Source.name))
        sources = [{"code": code, "name": name} for code, name in rows]
    return {"mappings": mappings, "sources": sources, "states": BATCH_STATES}


@router.post("/intake/preview")
def intake_preview(
    settings: SettingsDep, manager: CurrentManager, file: Annotated[UploadFile, File()], mapping: Mappings
) -> dict[str, Any]:
    """The file's first rows as OLS reads them with the mapping; nothing is written."""
    spec = _mapping(mapping, settings.mappings_dir)
    with tempfile.TemporaryDirectory() as folder:
        return preview(save_upload(file, Path(folder), settings.max_upload_mb), spec)


@router.post("/intake/files", status_code=202)
def intake_files(
    engine: EngineDep,
    settings: SettingsDep,
    manager: CurrentManager,
    jobs: Jobs,
    files: Annotated[list[UploadFile], File()],
    mapping: Mappings,
    source: Annotated[str, Form(max_length=64)],
) -> dict[str, Any]:
    """Queue one ingest job per file (each one batch); their ids, to be followed at ``/jobs/{id}``."""
    spec = _mapping(mapping, settings.mappings_dir)
    _source(engine, source)
    started = []
    for upload in files:
        folder = Path(tempfile.mkdtemp(prefix="ols-import-"))
        path = save_upload(upload, folder, settings.max_upload_mb)
        work = ingest_work(folder, path, source=source, mapping=spec, by=manager.name)
        started.append({"file": path.name, "job": jobs.start("ingest", by=manager.name, work=work)})
    return {"jobs": started}


@router.get("/batches")
def batches(
    engine: EngineDep,
    manager: CurrentManager,
    source: Annotated[str | None, Query(max_length=64)] = None,
    since: date | None = None,
    until: date | None = None,
    state: Annotated[str | None, Query(pattern="^(clean|rejects)$")] = None,
) -> list[dict[str, Any]]:
    """The batches, newest first, of a source, ingested between two dates, clean or with rejects."""
    with engine.connect() as connection:
        frame = list_batches(connection, BatchFilter(source=source or None, since=since, until=until, state=state))
    frame["ingested_at"] = frame["ingested_at"].map(lambda at: at.isoformat())
    return [{str(key): value for key, value in row.items()} for row in frame.to_dict(orient="records")]


@router.get("/batches/{batch_id}")
def batch(batch_id: int, engine: EngineDep, manager: CurrentManager) -> dict[str, Any]:
    """A batch's report and its first rejected rows (line, reason in French, column, message, the partner's cells)."""
    with engine.connect() as connection:
        detail = batch_detail(connection, batch_id)
        rows = rejected_rows(connection, batch_id).head(REJECTED_SHOWN).fillna("")
    rows["motif"] = rows["motif"].map(lambda code: REASONS.get(code, code))
    reasons = {REASONS.get(code, code): count for code, count in detail["rejected_by_reason"].items()}
    return {**detail, "reasons_text": reasons, "rejected_columns": [str(c) for c in rows.columns],
            "rejected_rows": rows.astype(str).values.tolist(), "rejected_shown": len(rows)}  # fmt: skip


@router.get("/batches/{batch_id}/rejected.csv", response_class=Response, responses={200: {"content": {"text/csv": {}}}})
def batch_rejected_csv(batch_id: int, engine: EngineDep, manager: CurrentManager) -> Response:
    """The rejected rows « à renvoyer au partenaire »: CSV ``;``, UTF-8 with BOM, formulas neutralised."""
    with engine.connect() as connection:
        body = to_excel_csv(rejected_rows(connection, batch_id))
    headers = {"Content-Disposition": f'attachment; filename="lot-{batch_id}-rejets.csv"'}
    return Response(body.encode("utf-8"), media_type="text/csv; charset=utf-8", headers=headers)


@router.delete("/batches/{batch_id}")
def batch_undo(batch_id: int, engine: EngineDep, manager: CurrentManager) -> dict[str, Any]:
    """Undo a batch: its facts removed, the refreshed periods holding them marked stale; audited."""
    with engine.begin() as connection:
        return undo_batch(connection, batch_id, user=manager.name, role=manager.role.value)
