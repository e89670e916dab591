"""Background jobs: a reader follows the jobs it started (the coordinator sees everyone's).

The jobs themselves are started by the routes of what they do (:mod:`api.routers.intake`); they run on
the app's :class:`ols.jobs.JobRunner` (``request.app.state.jobs``).
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Query, Request
from starlette.concurrency import run_in_threadpool

from api.deps import CurrentAudience, EngineDep
from api.schemas import ERRORS
from ols.access.roles import Layer
from ols.jobs import JobRunner, job_of, jobs_of
from ols.store.models import JOB_KINDS

router = APIRouter(responses=ERRORS, tags=["jobs"])


def job_runner(request: Request) -> JobRunner:
    """The app's job pool."""
    runner: JobRunner = request.app.state.jobs
    return runner


Jobs = Annotated[JobRunner, Depends(job_runner)]


@router.get("/jobs")
async def list_jobs(
    engine: EngineDep,
    audience: CurrentAudience,
    kind: Annotated[str | None, Query(pattern="^(" + "|".join(JOB_KINDS) + ")$")] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> list[dict[str, Any]]:
    """The latest jobs, newest first: the reader's own (every one's for the coordinator)."""
    by = None if audience.may(Layer.MANAGE) else audience.name

    def read() -> list[dict[str, Any]]:
        with engine.connect() as connection:
            return jobs_of(connection, by=by, kind=kind, limit=limit)

    return await run_in_threadpool(read)


@router.get("/jobs/{job_id}")
async def get_job(job_id: int, engine: EngineDep, audience: CurrentAudience) -> dict[str, Any]:
    """One job: ``{id, kind, state, progress, message, result, error, created_at, finished_at, …}``."""

    def read() -> dict[str, Any] | None:
        with engine.connect() as connection:
            return job_of(connection, job_id)

    job = await run_in_threadpool(read)
    if job is None or not (audience.may(Layer.MANAGE) or job["created_by"] == audience.name):
        raise HTTPException(status_code=404, detail=f"aucune tâche {job_id}")
    return job
