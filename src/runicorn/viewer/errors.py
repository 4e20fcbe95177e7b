"""The one place where Runicorn's errors become HTTP status codes.

| error | status |
| --- | --- |
| ``InvalidQueryError`` | 400, with ``position`` |
| ``InvalidNameError``, other ``RunicornError`` with a bad value | 400 |
| ``UnsafePathError`` | 403 |
| ``RunNotFoundError``, ``ArtifactNotFoundError`` | 404 |
| ``CorruptBlobError`` | 409 |
| ``RunNotDeletedError`` | 409 |
| ``ArchiveTooLargeError`` | 413 |
| ``StorageError`` | 503 |
| request validation | 422 |
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from starlette.responses import Response

from runicorn.errors import (
    ArtifactNotFoundError,
    CorruptBlobError,
    InvalidQueryError,
    RunicornError,
    RunNotFoundError,
    StorageError,
    UnsafePathError,
)
from runicorn.exporters import ArchiveTooLargeError
from runicorn.storage.jsonio import dumps
from runicorn.viewer.services.storage import RunNotDeletedError

STATUS_BY_ERROR: tuple[tuple[type[RunicornError], int], ...] = (
    (RunNotFoundError, 404),
    (ArtifactNotFoundError, 404),
    (CorruptBlobError, 409),
    (UnsafePathError, 403),
    (RunNotDeletedError, 409),
    (ArchiveTooLargeError, 413),
    (StorageError, 503),
)


def status_for(error: RunicornError) -> int:
    """The HTTP status code for a Runicorn error."""
    for kind, status in STATUS_BY_ERROR:
        if isinstance(error, kind):
            return status
    return 400


def error_response(status: int, detail: str, **extra: Any) -> Response:
    """``{"detail": ...}`` with ``status``."""
    return Response(dumps({"detail": detail, **extra}), status, media_type="application/json")


async def _runicorn_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, RunicornError)
    if isinstance(exc, InvalidQueryError):
        return error_response(400, str(exc), position=exc.position)
    return error_response(status_for(exc), str(exc))


def _describe(error: dict[str, Any]) -> str:
    where = ".".join(str(part) for part in error.get("loc", ()) if part != "body")
    return f"{where}: {error.get('msg', 'invalid')}" if where else str(error.get("msg"))


async def _validation_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, RequestValidationError)
    errors = exc.errors()
    detail = "; ".join(_describe(e) for e in errors[:5]) or "invalid request"
    cleaned = [{"loc": list(e.get("loc", ())), "msg": e.get("msg")} for e in errors[:20]]
    return error_response(422, f"invalid request: {detail}", errors=cleaned)


def install_error_handlers(app: FastAPI) -> None:
    """Register the mapping above on ``app``."""
    app.add_exception_handler(RunicornError, _runicorn_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
