"""Stage spans of a run: the step ranges its metrics were logged under ``stage="train"``/``"val"``.

The original Runicorn SDK's ``log(..., stage="val")`` stores the stage in each metrics event;
charts draw these spans as bands. They are computed when asked, from ``events.jsonl`` opened
through :func:`open_under`, skipping without parsing every chunk that names no stage.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from runicorn.security.path_validation import open_under
from runicorn.storage.events import STAGE_KEY, STEP_KEY
from runicorn.storage.jsonio import loads

_CHUNK = 1 << 20
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


def fold_stages(points: list[tuple[str, int]]) -> list[StageSpan]:
    """Spans of ``(stage, step)`` points in logged order: a new span each time the stage changes."""
    spans: list[StageSpan] = []
    for stage, step in points:
        last = spans[-1] if spans else None
        if last is not None and last.stage == stage:
            last.start, last.end = min(last.start, step), max(last.end, step)
        else:
            spans.append(StageSpan(stage, step, step))
    return spans


def read_stage_spans(root: Path, events: Path) -> list[StageSpan]:
    """The stage spans of the run whose ``events.jsonl`` is ``events`` (none if it is missing)."""
    points: list[tuple[str, int]] = []
    try:
        handle = open_under(root, events)
    except FileNotFoundError:
        return []
    with handle:
        rest = b""
        while chunk := handle.read(_CHUNK):
            data = rest + chunk
            cut = data.rfind(b"\n") + 1
            complete, rest = data[:cut], data[cut:]  # an unfinished line waits for more
            if _MARKER not in complete:
                continue
            for line in complete.split(b"\n"):
                if _MARKER in line and (point := stage_of(line)) is not None:
                    points.append(point)
        if _MARKER in rest and (point := stage_of(rest)) is not None:
            points.append(point)
    return fold_stages(points)


__all__ = ["StageSpan", "fold_stages", "read_stage_spans", "stage_of"]
