"""The one place where Runicorn's errors become HTTP status codes.

| error | status |
| --- | --- |
| ``InvalidQueryError`` | 400, with ``position`` |
| ``InvalidNameError``, other ``RunicornError`` with a bad value | 400 |
| ``UnsafePathError`` | 403 |
| ``RunNotFoundError``, ``ArtifactNotFoundError`` | 404 |
| ``CorruptBlobError`` | 409 |
| ``RunNotDeletedError`` | 409 |
| ``ReadOnlyStorageError`` (a change asked of a read-only root) | 409 |
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
    ReadOnlyStorageError,
    RunicornError,
    RunNotFoundError,
    StorageError,
    UnsafePathError,
)
from runicorn.exporters import ArchiveTooLargeError
from runicorn.storage.jsonio import dumps
from runicorn.viewer.api.models import RUN_ID_SCHEMA
from runicorn.viewer.services.storage import RunNotDeletedError

STATUS_BY_ERROR: tuple[tuple[type[RunicornError], int], ...] = (
    (RunNotFoundError, 404),
    (ArtifactNotFoundError, 404),
    (CorruptBlobError, 409),
    (UnsafePathError, 403),
    (RunNotDeletedError, 409),
    (ReadOnlyStorageError, 409),
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


ERROR_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["detail"],
    "properties": {
        "detail": {"type": "string", "description": "what was wrong and what to do"},
        "position": {"type": ["integer", "null"], "description": "filter/sort errors"},
        "errors": {"type": "array", "items": {"type": "object"}, "description": "fields (422)"},
        "reason": {"type": "string", "description": "remote routes: a code to branch on"},
    },
}
ERROR_DESCRIPTIONS = {
    400: "A value the schema allows but the viewer cannot use (an unknown sort field, a filter "
    "that does not parse, an archive that is not one), or a Host header it does not answer to",
    401: "A token is required (?token=, a bearer header or the cookie)",
    403: "A cross-origin mutation, or a file leading outside the storage root",
    404: "No such run, file or route",
    409: "A conflict: the run is not in the recycle bin, the root is read-only, ...",
    413: "The upload is larger than the import limit",
    415: "The body is not of the media type the route takes",
    422: "A parameter or body field is malformed",
    429: "Too many requests from this client; retry after Retry-After seconds",
    503: "The storage root or its index cannot be read",
}
ANY_ROUTE = (400, 401, 403, 404, 422, 429, 503)
MUTATING = frozenset({"post", "put", "patch", "delete"})


def _error_response(status: int) -> dict[str, Any]:
    answer: dict[str, Any] = {
        "description": ERROR_DESCRIPTIONS[status],
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}},
    }
    if status == 429:
        answer["headers"] = {"Retry-After": {"schema": {"type": "integer"}}}
    return answer


def declare_error_responses(schema: dict[str, Any]) -> dict[str, Any]:
    """Add the error answers every route can give to each operation of an OpenAPI ``schema``.

    Any route can answer 400 (Host check), 401, 403, 404, 422, 429 and 503; a mutating one
    also 409, and one with a body 413 and 415. 422 is described as it is really sent (a string
    ``detail``), replacing FastAPI's generic schema. Answers a route declares itself are kept.
    A ``run_id`` path parameter gets the run id's format (checked by the storage layer, which
    answers 400 with the rule when it is broken).
    """
    schema.setdefault("components", {}).setdefault("schemas", {})["Error"] = ERROR_SCHEMA
    for operations in schema.get("paths", {}).values():
        for method, operation in operations.items():
            if not isinstance(operation, dict) or "responses" not in operation:
                continue
            for parameter in operation.get("parameters", ()):
                if parameter.get("in") == "path" and parameter.get("name") == "run_id":
                    parameter["schema"] = {**parameter.get("schema", {}), **RUN_ID_SCHEMA}
            statuses = list(ANY_ROUTE)
            if method in MUTATING:
                statuses.append(409)
            if "requestBody" in operation:
                statuses += [413, 415]
            responses = operation["responses"]
            for status in statuses:
                if status == 422 or str(status) not in responses:
                    responses[str(status)] = _error_response(status)
    schemas = schema["components"]["schemas"]
    for unused in ("HTTPValidationError", "ValidationError"):
        schemas.pop(unused, None)
    return schema


def install_error_handlers(app: FastAPI) -> None:
    """Register the mapping above on ``app`` and declare its answers in the OpenAPI schema."""
    app.add_exception_handler(RunicornError, _runicorn_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    generate = app.openapi

    def openapi_with_errors() -> dict[str, Any]:
        if app.openapi_schema is None:
            app.openapi_schema = declare_error_responses(generate())
        return app.openapi_schema

    app.openapi = openapi_with_errors  # type: ignore[method-assign]
