"""Stage spans of a run: the step ranges its metrics were logged under ``stage="train"``/``"val"``.

The original Runicorn SDK's ``log(..., stage="val")`` stores the stage in each metrics event;
charts draw these spans as bands. They are read from ``events.jsonl`` (opened through
``open_under``) when asked, skipping without parsing every block that names no stage, and the
viewer keeps them per run so a later visit reads only what was appended since.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from runicorn.storage.appended import AppendedCache, read_appended_lines
from runicorn.storage.events import STAGE_KEY, STEP_KEY
from runicorn.storage.jsonio import loads

_MARKER = f'"{STAGE_KEY}"'.encode()


@dataclass
class StageSpan:
    """Consecutive metrics events logged under one stage, from step ``start`` to ``end``."""

    stage: str
    start: int
    end: int

    def to_dict(self) -> dict[str, Any]:
        return {"stage": self.stage, "start": self.start, "end": self.end}


def stage_of(line: bytes) -> tuple[str, int] | None:
    """``(stage, step)`` of one metrics event line, or None when it has no stage or step."""
    try:
        event = loads(line)
    except ValueError:
        return None  # a torn last line of a live run, or damage: skipped like the cache does
    if not isinstance(event, dict) or event.get("type") != "metrics":
        return None
    data = event.get("data")
    if not isinstance(data, dict):
        return None
    stage, step = data.get(STAGE_KEY), data.get(STEP_KEY)
    if not isinstance(stage, str) or not stage or type(step) is not int:
        return None
    return stage, step


def fold_stages(
    points: list[tuple[str, int]], spans: list[StageSpan] | None = None
) -> list[StageSpan]:
    """Spans of ``(stage, step)`` points in logged order: a new span each time the stage changes.

    ``spans`` already folded from earlier lines are continued (the last one may grow).
    """
    spans = [] if spans is None else spans
    for stage, step in points:
        last = spans[-1] if spans else None
        if last is not None and last.stage == stage:
            last.start, last.end = min(last.start, step), max(last.end, step)
        else:
            spans.append(StageSpan(stage, step, step))
    return spans


@dataclass
class RunStages:
    """The stage spans of one run's ``events.jsonl`` read so far, and where the next read starts."""

    path: Path
    offset: int = 0
    spans: list[StageSpan] = field(default_factory=list)

    def clear(self) -> None:
        self.spans.clear()


def _fold_lines(body: bytes, state: RunStages) -> None:
    if _MARKER not in body:
        return
    points = [
        point
        for line in body.split(b"\n")
        if _MARKER in line and (point := stage_of(line)) is not None
    ]
    fold_stages(points, state.spans)


def read_appended(root: Path, state: RunStages) -> None:
    """Fold the stage points appended to ``state.path`` since ``state.offset`` into its spans."""
    read_appended_lines(root, state, lambda body: _fold_lines(body, state))


def read_stage_spans(root: Path, events: Path) -> list[StageSpan]:
    """The stage spans of the run whose ``events.jsonl`` is ``events`` (none if it is missing)."""
    state = RunStages(events)
    read_appended(root, state)
    return state.spans


def stage_cache(max_runs: int = 16) -> AppendedCache[RunStages]:
    """The stage spans of the runs read last, keyed by ``events.jsonl``, refreshed on each read."""
    return AppendedCache(RunStages, read_appended, max_runs)


__all__ = ["RunStages", "StageSpan", "fold_stages", "read_stage_spans", "stage_cache", "stage_of"]
