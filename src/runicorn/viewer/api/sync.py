"""``/api/remote/sync``: pull a remote storage root into the viewer's root, once or watching.

A thin edge over :mod:`runicorn.manifest.jobs`: the connection must be open already (the
Remote page's connect step checked its host key); the job opens its own SSH connection with the
same settings, so the transfer never runs on the viewer's event loop. Loopback clients only,
as for every remote route: a sync acts with this user's SSH identity.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Annotated, Any

import anyio
from fastapi import APIRouter, Depends, FastAPI, Request
from pydantic import BaseModel, Field

from runicorn.manifest.jobs import SyncJob, SyncJobs
from runicorn.manifest.session import parse_since
from runicorn.remote.errors import RemoteSessionNotFoundError
from runicorn.remote.service import RemoteService
from runicorn.viewer.api.remote import _RemoteRoute, get_remote_service, require_loopback_client

_jobs = SyncJobs()


def get_sync_jobs() -> SyncJobs:
    """The process-wide sync jobs (tests override this dependency)."""
    return _jobs


def get_sync_root(request: Request) -> Path:
    """Where pulled runs go: the viewer's own storage root."""
    root: Path = request.app.state.ctx.settings.root
    return root


@asynccontextmanager
async def _lifespan(app: FastAPI) -> AsyncIterator[None]:
    yield
    await anyio.to_thread.run_sync(_jobs.stop_all)


router = APIRouter(
    prefix="/api/remote/sync",
    tags=["remote"],
    route_class=_RemoteRoute,
    dependencies=[Depends(require_loopback_client)],
    lifespan=_lifespan,
)

JobsDep = Annotated[SyncJobs, Depends(get_sync_jobs)]


class SyncStartRequest(BaseModel):
    """Which open connection, which remote root, and how (once, or every ``watch`` s)."""

    connection_id: str
    remote_root: str = ""
    python: str = "python3"
    watch: float | None = Field(default=None, gt=0, le=86400)
    project: str | None = None
    since: str | None = None
    dry_run: bool = False


def _job(jobs: SyncJobs, job_id: str) -> SyncJob:
    job = jobs.get(job_id)
    if job is None:
        raise RemoteSessionNotFoundError(f"no sync job {job_id!r}")
    return job


@router.post("")
async def start_sync(
    body: SyncStartRequest,
    jobs: JobsDep,
    service: Annotated[RemoteService, Depends(get_remote_service)],
    root: Annotated[Path, Depends(get_sync_root)],
) -> dict[str, Any]:
    """Start pulling ``remote_root`` into this viewer's root; poll the answer's ``id``."""
    parse_since(body.since)  # a bad date is a 400 now, not a failed job later
    conn = service.connection(body.connection_id)
    job = SyncJob(
        conn.config,
        body.remote_root,
        root,
        python=body.python,
        watch=body.watch,
        project=body.project,
        since=body.since,
        dry_run=body.dry_run,
    )
    return jobs.start(job).info()


@router.get("")
async def list_syncs(jobs: JobsDep) -> dict[str, Any]:
    """Every sync job of this process, running or ended."""
    items = [job.info() for job in jobs.all()]
    return {"items": items, "total": len(items)}


@router.get("/{job_id}")
async def sync_status(job_id: str, jobs: JobsDep) -> dict[str, Any]:
    """A job's state, progress (bytes and runs) and reports."""
    return _job(jobs, job_id).info()


@router.post("/{job_id}/stop")
async def stop_sync(job_id: str, jobs: JobsDep) -> dict[str, Any]:
    """Stop a watching job after its current pass."""
    job = _job(jobs, job_id)
    job.stop()
    return job.info()
