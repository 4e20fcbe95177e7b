"""Request bodies, validated (and documented in OpenAPI) by pydantic."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field

RunId = Field(min_length=1, max_length=128)
MAX_IDS = 10_000
# validate_run_id's rule (letters, digits, '_', '-', '.', no '..') as a JSON-schema pattern; the
# storage layer checks it (400 with the rule), the schema tells clients.
RUN_ID_SCHEMA: dict[str, Any] = {
    "type": "string",
    "pattern": r"^[A-Za-z0-9](\.?[A-Za-z0-9_\-])*\.?$",
    "maxLength": 128,
    "description": "a run id, e.g. 20261126_101500_a1b2c3",
}
DocumentedRunId = Annotated[str, Field(json_schema_extra=RUN_ID_SCHEMA)]
Tag = Annotated[str, Field(min_length=1, max_length=128, pattern=r"\S")]


class RunPatch(BaseModel):
    """``PATCH /api/runs/{id}``: new tags and/or notes."""

    model_config = ConfigDict(extra="forbid")
    tags: list[Tag] | None = Field(default=None, max_length=1000)
    notes: str | None = Field(default=None, max_length=1_000_000)


class RunIds(BaseModel):
    """A list of run ids."""

    model_config = ConfigDict(extra="forbid")
    ids: list[str] = Field(max_length=MAX_IDS)


class MetricsBatch(BaseModel):
    """``POST /api/v2/metrics``: series of many runs for the compare view."""

    model_config = ConfigDict(extra="forbid")
    ids: list[str] = Field(max_length=1000)
    keys: list[str] | None = Field(default=None, max_length=1000)
    x: str = Field(default="step", min_length=1, max_length=512)
    start: float | None = Field(default=None, allow_inf_nan=False)
    end: float | None = Field(default=None, allow_inf_nan=False)
    max_points: int = Field(default=2000, ge=2, le=10_000_000)


class ExportRequest(BaseModel):
    """``POST /api/export``."""

    model_config = ConfigDict(extra="forbid")
    ids: list[DocumentedRunId] = Field(min_length=1, max_length=MAX_IDS)
    format: Literal["archive", "csv", "json", "parquet"] = "archive"
    keys: list[str] | None = Field(default=None, max_length=1000)


class ChartDefaults(BaseModel):
    """Chart settings every page starts from."""

    model_config = ConfigDict(extra="forbid")
    max_points: int | None = Field(default=None, ge=10, le=200_000)
    smoothing: float | None = Field(default=None, ge=0.0, lt=1.0, allow_inf_nan=False)


class ConfigUpdate(BaseModel):
    """``PUT /api/config``.

    Other keys are accepted here only to answer them with a clear message (the storage root
    cannot be changed over HTTP); the schema says they are not part of the body.
    """

    model_config = ConfigDict(extra="allow", json_schema_extra={"additionalProperties": False})
    chart_defaults: ChartDefaults | None = None


class Preferences(BaseModel):
    """``PUT /api/ui-preferences``."""

    model_config = ConfigDict(extra="forbid")
    preferences: dict[str, Any] = Field(max_length=1000)
