"""Reports (bilans) made in the background: ``POST /reports`` starts a job that writes the report's files for the
reader asked (the coordinator's version, or an élu's, cut like every output), ``GET /reports/{job}/{file}`` gives
them back once it is done. The report is the one ``ols report`` writes (:func:`ols.publishing.reporting.make_report`).
"""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any, Literal

from fastapi import APIRouter, HTTPException
from fastapi.responses import FileResponse
from pydantic import BaseModel, Field
from sqlalchemy import Engine, select

from api.deps import CurrentManager, EngineDep, SettingsDep
from api.routers.jobs import Jobs
from api.schemas import ERRORS, PERIOD_PATTERN
from ols.access.audience import Audience
from ols.jobs import Progress
from ols.publishing.reporting import check_asked, make_report
from ols.store.models import Job

router = APIRouter(responses=ERRORS, tags=["reports"])
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
MISSING = "rapport introuvable : la tâche n'existe pas, n'est pas terminée ou n'a pas écrit ce fichier"


class ReportAsked(BaseModel):
    """A report to make: its kind, its period, for which reader, of the whole observatory or of a commune/sector."""

    kind: Literal["weekly", "monthly", "annual"]
    period: str = Field(pattern=PERIOD_PATTERN)
    role: Literal["coordinator", "elu", "public"] = "coordinator"
    commune: str | None = Field(None, max_length=10)
    sector: str | None = Field(None, max_length=32)


def _work(asked: ReportAsked, reader: Audience, folder: Path) -> Any:
    def work(engine: Engine, progress: Progress) -> dict[str, Any]:
        progress(0.1, "rédaction du rapport")
        with engine.begin() as connection:
            files = make_report(connection, asked.kind, asked.period, reader, folder, commune=asked.commune,
                                sector=asked.sector)  # fmt: skip
        return {"folder": folder.name, "files": [path.name for path in files]}

    return work


@router.post("/reports", status_code=202)
def start_report(asked: ReportAsked, settings: SettingsDep, manager: CurrentManager, jobs: Jobs) -> dict[str, Any]:
    """Make a report as a background job (audited as an export); its id, to be followed at ``/jobs/{id}``."""
    check_asked(asked.kind, asked.period)
    reader = Audience.of(
        manager.name, asked.role, territories=manager.territories, threshold=settings.suppression_threshold
    )  # the version asked, cut by the audience layer
    folder = settings.reports_dir / uuid.uuid4().hex
    return {"job": jobs.start("report", by=manager.name, work=_work(asked, reader, folder))}


@router.get("/reports/{job_id}/{name}", response_class=FileResponse, responses={200: {"content": {
    media: {} for media in ("application/pdf", "text/html", "text/csv", XLSX)}}})  # fmt: skip
def report_file(job_id: int, name: str, engine: EngineDep, settings: SettingsDep,
                manager: CurrentManager) -> FileResponse:  # fmt: skip
    """One file of a finished report job (only a name the job wrote: nothing else of the folder is served)."""
    with engine.connect() as connection:
        row = connection.execute(select(Job.kind, Job.state, Job.result).where(Job.id == job_id)).one_or_none()
    if row is None or row.kind != "report" or row.state != "done" or name not in (row.result or {}).get("files", []):
        raise HTTPException(status_code=404, detail=MISSING)
    return FileResponse(settings.reports_dir / row.result["folder"] / name, filename=name)
