"""Registered models (artifacts of type ``model``): versions by stage, transitions, history."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request, Response
from pydantic import BaseModel, Field

from runicorn.artifacts import catalog
from runicorn.artifacts.models import Stage
from runicorn.viewer.api.artifacts import artifact_store
from runicorn.viewer.api.deps import Limit, MutateLimit, Offset, ReadLimit, in_thread, json_response

router = APIRouter(prefix="/api/model-lifecycle", tags=["model lifecycle"])


class Transition(BaseModel):
    """Move a version to ``stage``; ``reason`` is kept in the history."""

    stage: Stage
    reason: str = Field(default="", max_length=2000)
    archive_previous: bool = True


@router.get("/models", summary="Registered models with stage counts", dependencies=[ReadLimit])
async def list_models(
    request: Request,
    project: Annotated[str | None, Query(max_length=200)] = None,
    limit: Limit = 50,
    offset: Offset = 0,
) -> Response:
    store = artifact_store(request)
    page = await in_thread(catalog.list_models, store, project=project, limit=limit, offset=offset)
    return json_response(page)


@router.get(
    "/models/{project}/{name}",
    summary="A model's versions with stages and aliases",
    dependencies=[ReadLimit],
)
async def model_detail(
    project: str, name: str, request: Request, limit: Limit = 100, offset: Offset = 0
) -> Response:
    store = artifact_store(request)
    detail = await in_thread(catalog.model_detail, store, project, name, limit=limit, offset=offset)
    return json_response(detail)


@router.post(
    "/models/{project}/{name}/versions/{ver}/transition",
    summary="Move a version to a stage (production archives the previous one)",
    dependencies=[MutateLimit],
)
async def transition(
    project: str, name: str, ver: str, body: Transition, request: Request
) -> dict[str, Any]:
    store = artifact_store(request)
    await in_thread(catalog.model_detail, store, project, name, limit=1)  # models only
    appended = await in_thread(
        store.transition,
        project,
        name,
        ver,
        body.stage,
        reason=body.reason,
        by="viewer",
        archive_previous=body.archive_previous,
    )
    version = await in_thread(store.resolve, project, name, ver)
    return {
        "version": version.version,
        "stage": version.stage,
        "transitions": [t.to_dict() for t in appended],
    }


@router.get(
    "/models/{project}/{name}/history",
    summary="Every stage transition, newest first",
    dependencies=[ReadLimit],
)
async def history(project: str, name: str, request: Request) -> Response:
    store = artifact_store(request)
    return json_response(await in_thread(catalog.model_history, store, project, name))
