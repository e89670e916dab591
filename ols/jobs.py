"""Background jobs: long tasks (ingest, refresh, publication, report) run beside the API, their state in the database.

A job is a row of ``job`` (:class:`ols.store.models.Job`) before it is a thread: the browser polls the row,
whichever server process holds the thread. :class:`JobRunner` runs the jobs on a pool of its own
(``OLS_JOB_WORKERS`` threads, never the request threads nor the analysis pool) with connections of its own,
so that a large ingest neither blocks the API nor takes its connections. The work reports its progress
(0..1 and a French message) through :class:`Progress`, written in small transactions of their own. The runner
notes its jobs alive (``heartbeat_at``) every ``HEARTBEAT_S`` seconds; a server that stops leaves its jobs as
they were, and :func:`interrupt_left` (at every server's start, then with each heartbeat) marks failed every
job queued or running that no server has noted alive for ``STALE_S`` seconds: never running forever, and a
sibling worker's live jobs are left alone.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from datetime import timedelta
from typing import Any

from sqlalchemy import Connection, Engine, create_engine, func, insert, or_, select, update

from ols.errors import OLSError
from ols.store.models import JOB_KINDS, Job

logger = logging.getLogger(__name__)

INTERRUPTED = "interrompue par un redémarrage du serveur"
INTERNAL = "erreur interne pendant la tâche : voyez le journal du serveur"
PROGRESS_EVERY_S = 0.25
HEARTBEAT_S = 5.0
STALE_S = 30.0
FIELDS = ("id", "kind", "state", "progress", "message", "result", "error", "created_by", "created_at",
          "started_at", "finished_at")  # fmt: skip


class Progress:
    """The progress callback a job's work is given: ``progress(0.4, "Lecture")`` notes it in the job's row.

    Updates closer than ``PROGRESS_EVERY_S`` are dropped (except the first and a complete one), so a chatty
    work costs the database a few small transactions per second at most.
    """

    def __init__(self, engine: Engine, job_id: int) -> None:
        self.engine = engine
        self.job_id = job_id
        self.updates = 0
        self._last = 0.0

    def __call__(self, fraction: float, message: str) -> None:
        now = time.monotonic()
        if self.updates and now - self._last < PROGRESS_EVERY_S and fraction < 1:
            return
        self._last = now
        self.updates += 1
        _set(self.engine, self.job_id, progress=min(1.0, max(0.0, fraction)), message=message)


Work = Callable[[Engine, Progress], dict[str, Any]]


def _set(engine: Engine, job_id: int, **values: Any) -> None:
    with engine.begin() as connection:
        connection.execute(update(Job).where(Job.id == job_id).values(**values))


class JobRunner:
    """The jobs' pool: ``workers`` threads and a connection pool of their own on the same database."""

    def __init__(self, engine: Engine, workers: int) -> None:
        self.engine = create_engine(engine.url, pool_size=2 * workers, max_overflow=2, pool_pre_ping=True)
        self.pool = ThreadPoolExecutor(workers, thread_name_prefix="ols-tache")
        self.futures: dict[int, Future[None]] = {}
        self.lock = threading.Lock()
        self.stopped = threading.Event()
        self.beat = threading.Thread(target=self._heartbeat, name="ols-taches-pouls", daemon=True)
        self.beat.start()

    def _heartbeat(self) -> None:
        """Every ``HEARTBEAT_S``: note this runner's jobs alive, and fail those of servers gone silent."""
        while not self.stopped.wait(HEARTBEAT_S):
            try:
                with self.engine.begin() as connection:
                    with self.lock:
                        own = list(self.futures)
                    if own:
                        connection.execute(update(Job).where(Job.id.in_(own)).values(heartbeat_at=func.now()))
                    interrupt_left(connection)
            except Exception:
                logger.exception("pouls des tâches en échec")

    def start(self, kind: str, *, by: str, work: Work, message: str = "en attente") -> int:
        """Queue ``work`` as a job of ``kind`` started by ``by``; its id, to be polled."""
        if kind not in JOB_KINDS:
            raise ValueError(f"type de tâche inconnu : {kind}")
        with self.engine.begin() as connection:
            job_id = int(connection.execute(
                insert(Job).values(kind=kind, created_by=by, message=message, heartbeat_at=func.now()).returning(Job.id)
            ).scalar_one())  # fmt: skip
        with self.lock:
            self.futures[job_id] = self.pool.submit(self._run, job_id, work)
        return job_id

    def _run(self, job_id: int, work: Work) -> None:
        """On a pool thread: mark the job running, do the work, store its result or its French error."""
        _set(self.engine, job_id, state="running", started_at=func.now(), message="en cours")
        try:
            result = json.loads(json.dumps(work(self.engine, Progress(self.engine, job_id)), default=str))
        except OLSError as error:
            _set(self.engine, job_id, state="failed", error=str(error), finished_at=func.now())
        except Exception:
            logger.exception("tâche %d en échec", job_id)
            _set(self.engine, job_id, state="failed", error=INTERNAL, finished_at=func.now())
        else:
            _set(self.engine, job_id, state="done", progress=1.0, message="terminée", result=result,
                 finished_at=func.now())  # fmt: skip
        finally:
            with self.lock:
                self.futures.pop(job_id, None)

    def close(self) -> None:
        """Stop taking jobs; running ones finish (a job cut short is marked failed once its heartbeat is old)."""
        self.stopped.set()
        self.pool.shutdown(wait=False, cancel_futures=True)
        self.engine.dispose()


def interrupt_left(connection: Connection, *, silent_s: float = STALE_S) -> int:
    """Mark failed every job still queued or running that no server noted alive for ``silent_s`` seconds; how many."""
    alive = func.now() - timedelta(seconds=silent_s)
    done = connection.execute(
        update(Job)
        .where(Job.state.in_(("queued", "running")), or_(Job.heartbeat_at.is_(None), Job.heartbeat_at < alive))
        .values(state="failed", error=INTERRUPTED, message=INTERRUPTED, finished_at=func.now())
    )  # fmt: skip
    if done.rowcount:
        logger.warning("%d tâche(s) %s", done.rowcount, INTERRUPTED)
    return int(done.rowcount)


def job_of(connection: Connection, job_id: int) -> dict[str, Any] | None:
    """One job as the API shows it, None when there is none."""
    row = connection.execute(select(*(getattr(Job, name) for name in FIELDS)).where(Job.id == job_id)).one_or_none()
    return None if row is None else _shown(row._asdict())


def jobs_of(
    connection: Connection, *, by: str | None, kind: str | None = None, limit: int = 50
) -> list[dict[str, Any]]:
    """The latest jobs, newest first: those started by ``by``, or everyone's when None."""
    query = select(*(getattr(Job, name) for name in FIELDS)).order_by(Job.id.desc()).limit(limit)
    if by is not None:
        query = query.where(Job.created_by == by)
    if kind is not None:
        query = query.where(Job.kind == kind)
    return [_shown(row._asdict()) for row in connection.execute(query)]


def _shown(job: dict[str, Any]) -> dict[str, Any]:
    for name in ("created_at", "started_at", "finished_at"):
        job[name] = job[name].isoformat() if job[name] else None
    return job
