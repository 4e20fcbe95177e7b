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


def test_repeated_keys_each_name_one_key_even_with_commas(
    live_server: LiveServer, root: Path
) -> None:
    run = _run(root)
    for step in range(1, 51):
        run.log({"precision@k=1,5": 0.5 + step / 200, "precision@k=1": 0.4, "5": 5.0,
                 "train/loss": 1.0 / step, "val/acc": step / 50})  # fmt: skip
    run.finish()
    url = f"/api/metrics/{run.id}"
    with httpx.Client(base_url=live_server.url, timeout=10) as http:
        both = http.get(url, params=[("keys", "precision@k=1,5"), ("keys", "train/loss")])
        assert both.status_code == 200
        series = both.json()["series"]
        assert list(series) == ["precision@k=1,5", "train/loss"]
        assert series["precision@k=1,5"]["y"][-1] == 0.75 and series["train/loss"]["count"] == 50
        # One keys= naming a logged key holding a comma is that key...
        single = http.get(url, params={"keys": "precision@k=1,5"}).json()["series"]
        assert list(single) == ["precision@k=1,5"]
        # ...and otherwise a comma-separated list, as before.
        listed = http.get(url, params={"keys": "train/loss,val/acc"}).json()["series"]
        assert list(listed) == ["train/loss", "val/acc"]
        repeated_plain = http.get(url, params=[("keys", "val/acc"), ("keys", "val/acc")])
        assert list(repeated_plain.json()["series"]) == ["val/acc"]


def test_a_block_of_nul_bytes_loses_only_the_garbage(live_server: LiveServer, root: Path) -> None:
    run = _run(root)
    for step in range(1, 101):
        run.log({"train/loss": 1.0 / step, "val/acc": step / 100})
    run.finish()
    events = Path(run.path) / "events.jsonl"
    lines = events.read_bytes().splitlines(keepends=True)
    metric_lines = [i for i, line in enumerate(lines) if b'"train/loss"' in line]
    cut = metric_lines[49]  # a crash left NULs where step 50's flush was, then the run went on
    events.write_bytes(b"".join(lines[:cut]) + b"\0" * 4096 + b"".join(lines[cut:]))
    with httpx.Client(base_url=live_server.url, timeout=10) as http:
        series = http.get(f"/api/metrics/{run.id}").json()["series"]
    assert series["train/loss"]["count"] == 100
    assert series["train/loss"]["x"] == list(range(1, 101))
    assert series["val/acc"]["y"][49] == 0.5
