"""What the framework integrations share: starting (or adopting) a run, and numbers only."""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from typing import Any

from runicorn import sdk
from runicorn.legacy import as_mapping


def start_run(
    run: sdk.Run | sdk.NoOpRun | None,
    *,
    project: str,
    name: str | None,
    config: Mapping[str, Any] | None,
    tags: Iterable[str] | None,
    storage: str | os.PathLike[str] | None,
) -> tuple[sdk.Run | sdk.NoOpRun, bool]:
    """The run to record into and whether this integration owns it (and so finishes it).

    A run passed in, or one already active, is used as it is.
    """
    if run is not None:
        return run, False
    active = sdk.get_active_run()
    if active is not None:
        return active, False
    started = sdk.init(
        project=project,
        name=name or "default",
        config=dict(config or {}),
        tags=list(tags or []),
        storage=storage,
    )
    return started, True


def numbers(values: Mapping[str, Any]) -> dict[str, Any]:
    """The numeric entries of ``values`` (tensors with one value included)."""
    kept: dict[str, Any] = {}
    for key, value in values.items():
        if isinstance(value, bool | int | float):
            kept[key] = value
        elif hasattr(value, "item"):
            try:
                kept[key] = value.item()
            except (TypeError, ValueError, RuntimeError):
                continue
    return kept


def update_config(run: sdk.Run | sdk.NoOpRun, values: Any) -> None:
    """Merge ``values`` (a dict, a namespace, a dataclass) into the run's config."""
    if isinstance(run, sdk.Run):
        run.config.update(as_mapping(values))


def log_model_file(run: sdk.Run | sdk.NoOpRun, path: str | None, name: str) -> None:
    """Version a checkpoint as a model of the run, when the run can store artifacts."""
    log_model = getattr(run, "log_model", None)
    if path and callable(log_model) and os.path.exists(path):
        log_model(path, name)
