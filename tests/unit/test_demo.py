"""The demo: synthetic finished runs, and a live run that keeps logging in the background."""

from __future__ import annotations

import time
from pathlib import Path

from typer.testing import CliRunner

from runicorn.cli import app
from runicorn.storage.backends import HybridStorageBackend


def test_demo_records_finished_runs_and_a_live_run_in_the_background(root: Path) -> None:
    result = CliRunner().invoke(
        app, ["demo", "--root", str(root), "--runs", "2", "--steps", "200", "--live", "1.5"]
    )
    assert result.exit_code == 0, result.output
    assert "live run keeps logging" in result.output

    deadline = time.monotonic() + 30
    statuses: dict[str, str] = {}
    while time.monotonic() < deadline:
        with HybridStorageBackend(root) as backend:
            records, _ = backend.list_runs(limit=None)
        statuses = {r.name: r.status for r in records}
        if statuses.get("live-finetune") == "finished":
            break
        time.sleep(0.2)
    assert statuses == {"cifar10-resnet18": "finished", "live-finetune": "finished"}
    with HybridStorageBackend(root) as backend:
        (live,), _ = backend.list_runs(name="live-finetune")
    assert live.metrics["train/loss"].count > 10, "it logged in real time for the whole period"
    assert live.duration is not None and live.duration >= 1.4
