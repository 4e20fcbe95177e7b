"""Plain records exchanged between storage, the SDK, the viewer and the Python API."""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field
from typing import Any

RUN_STATUSES = ("running", "finished", "failed", "interrupted", "crashed")


@dataclass
class MetricRecord:
    """Summary of one metric series: its last value, extremes, last step and point count.

    NaN values are counted and can be the last value, but never become the min or max.
    """

    key: str
    last: float | None
    min: float | None
    max: float | None
    step: int | None
    count: int = 0

    def __post_init__(self) -> None:
        if self.min is not None and math.isnan(self.min):
            self.min = None
        if self.max is not None and math.isnan(self.max):
            self.max = None

    def update(self, value: float, step: Any) -> None:
        """Fold one new value in."""
        self.last = value
        self.count += 1
        if type(step) is int:
            self.step = step
        if value != value:  # NaN
            return
        if self.min is None or value < self.min:
            self.min = value
        if self.max is None or value > self.max:
            self.max = value

    def to_dict(self) -> dict[str, Any]:
        """The API shape: ``{"last", "min", "max", "step", "count"}``."""
        return {
            "last": self.last,
            "min": self.min,
            "max": self.max,
            "step": self.step,
            "count": self.count,
        }


@dataclass
class ExperimentRecord:
    """One run as the index and the files describe it."""

    id: str
    project: str
    name: str
    path: str
    status: str = "running"
    created_at: float | None = None
    ended_at: float | None = None
    heartbeat_at: float | None = None
    hostname: str | None = None
    pid: int | None = None
    pid_started_at: float | None = None
    heartbeat_interval: float | None = None
    exit_reason: str | None = None
    config: dict[str, Any] = field(default_factory=dict)
    summary: dict[str, Any] = field(default_factory=dict)
    tags: list[str] = field(default_factory=list)
    notes: str = ""
    metrics: dict[str, MetricRecord] = field(default_factory=dict)
    last_step: int = 0
    deleted_at: float | None = None
    alerts: int = 0
    last_alert: dict[str, Any] | None = None
    # The original SDK's ``init(alias=...)``, kept in meta.json and shown next to the name.
    alias: str | None = None
    # Alerts read from the run's events.jsonl (None when the record did not come from its files).
    alert_events: list[Any] | None = field(default=None, repr=False, compare=False)

    @property
    def duration(self) -> float | None:
        """Seconds from start to end (or to the last heartbeat while running)."""
        end = self.ended_at or self.heartbeat_at
        if self.created_at is None or end is None:
            return None
        return max(0.0, end - self.created_at)

    def to_dict(self) -> dict[str, Any]:
        """The API shape of a run item (DESIGN §4)."""
        data = asdict(self)
        data.pop("alert_events", None)
        data["metrics"] = {key: record.to_dict() for key, record in self.metrics.items()}
        data["duration"] = self.duration
        return data
