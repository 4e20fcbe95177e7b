"""Issue 8 items 11 and 12 against a real viewer: metric keys with commas, NUL garbage in
``events.jsonl``, and ``max_points`` giving about that many points."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import httpx

import runicorn as rn

from .conftest import LiveServer


def _run(root: Path, **kw: Any) -> Any:
    config = {"batch_size": 256, "weight decay": 0.05, "学习率": 1e-3}
    return rn.init(project="vision", name="vit-b/16", storage=root, system_metrics=False,
                   capture_console=False, capture_env=False, config=config, **kw)  # fmt: skip


def test_max_points_returns_about_that_many_points(live_server: LiveServer, root: Path) -> None:
    run = _run(root)
    for step in range(1, 20_001):
        loss = math.nan if step == 7_777 else 2.0 / math.sqrt(step)
        run.log({"train/loss": loss, "lr": 1e-3 * min(1.0, step / 500)})
    # A resumed stretch far later leaves a gap in x: the answer still has about N points.
    for step in range(60_001, 70_001):
        run.log({"train/loss": 0.01}, step=step)
    run.finish()
    with httpx.Client(base_url=live_server.url, timeout=30) as http:
        for max_points in (300, 1000, 2000):
            body = http.get(
                f"/api/metrics/{run.id}", params={"keys": "train/loss", "max_points": max_points}
            ).json()
            loss = body["series"]["train/loss"]
            assert loss["downsampled"] is True and loss["count"] == 30_000
            assert 0.9 * max_points <= len(loss["x"]) <= max_points, (max_points, len(loss["x"]))
            assert len(loss["y_min"]) == len(loss["y_max"]) == len(loss["x"])
            assert loss["x"][-1] == 70_000
