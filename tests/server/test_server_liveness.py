"""On the server only the pushed heartbeat tells whether a run still lives."""

from __future__ import annotations

import time
from typing import Any

from runicorn.storage.models import ExperimentRecord


def running(run_id: str, heartbeat_at: float) -> ExperimentRecord:
    return ExperimentRecord(
        id=run_id, project="p", name="n", path=f"p/n/runs/{run_id}", status="running",
        created_at=heartbeat_at - 100, heartbeat_at=heartbeat_at, heartbeat_interval=10.0,
        hostname="gpu-node-7", pid=4242,
    )  # fmt: skip


def test_a_run_whose_heartbeat_stopped_is_crashed(server_backend: Any) -> None:
    now = time.time()
    server_backend.index.upsert_run(running("20260101_000000_stale1", now - 31))
    server_backend.index.upsert_run(running("20260101_000000_fresh1", now - 5))
    statuses = {r.id: r.status for r in server_backend.list_runs()[0]}
    assert statuses == {"20260101_000000_stale1": "crashed", "20260101_000000_fresh1": "running"}
