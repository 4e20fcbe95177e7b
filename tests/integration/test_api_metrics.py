"""Metric reads through the API: axes, ranges, per-series downsampling, torn lines, batches."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import httpx
import orjson

import runicorn as rn


def spiky(run: Any, step: int) -> None:
    run.log({"loss": 1000.0 if step == 54_321 else 0.5})
    if step % 1000 == 0:
        run.log({"val/loss": float(step)}, step=step)


async def test_downsampling_keeps_a_spike_and_a_sparse_series(
    client: httpx.AsyncClient, run_factory
) -> None:
    run = run_factory(steps=100_000, log=spiky)
    response = await client.get(f"/api/metrics/{run.id}", params={"max_points": 2000})
    body = response.json()
    loss, val = body["series"]["loss"], body["series"]["val/loss"]
    assert loss["downsampled"] is True and loss["count"] == 100_000
    assert 1800 <= len(loss["x"]) <= 2000 and len(loss["y_min"]) == len(loss["x"])
    assert max(loss["y_max"]) == 1000.0 and min(loss["y_min"]) == 0.5
    # The sparse series is bucketed on its own: all 100 points, raw.
    assert val["downsampled"] is False and val["count"] == 100
    assert val["x"] == list(range(1000, 100_001, 1000))
    zoom = (await client.get(
        f"/api/metrics/{run.id}",
        params={"keys": "loss", "start": 54_000, "end": 55_000, "max_points": 2000},
    )).json()["series"]  # fmt: skip
    assert list(zoom) == ["loss"]
    assert zoom["loss"]["downsampled"] is False and zoom["loss"]["count"] == 1001
    assert zoom["loss"]["x"][0] == 54_000 and zoom["loss"]["x"][-1] == 55_000
    assert 1000.0 in zoom["loss"]["y"]


async def test_axes_time_relative_and_a_logged_key(client: httpx.AsyncClient, run_factory) -> None:
    def with_epoch(run: Any, step: int) -> None:
        run.log({"loss": float(step), "epoch": float((step - 1) // 5)})

    run = run_factory(steps=20, log=with_epoch)
    url = f"/api/metrics/{run.id}"
    by_time = (await client.get(url, params={"x": "time", "keys": "loss"})).json()
    xs = by_time["series"]["loss"]["x"]
    assert by_time["x"] == "time" and xs[0] > 1e9 and xs == sorted(xs)
    relative = (await client.get(url, params={"x": "relative", "keys": "loss"})).json()
    assert 0 <= relative["series"]["loss"]["x"][0] < 5
    by_epoch = (await client.get(url, params={"x": "epoch", "keys": "loss"})).json()
    series = by_epoch["series"]["loss"]
    assert series["x"][:6] == [0.0, 0.0, 0.0, 0.0, 0.0, 1.0] and series["y"][5] == 6.0
    bad = await client.get(url, params={"x": "nope"})
    assert bad.status_code == 400 and "not step, time, relative" in bad.json()["detail"]
    unknown_key = (await client.get(url, params={"keys": "loss,missing"})).json()["series"]
    assert unknown_key["missing"] == {"x": [], "y": [], "count": 0, "downsampled": False}


async def test_nonfinite_values_are_strings(client: httpx.AsyncClient, run_factory) -> None:
    values = [1.0, math.nan, math.inf, -math.inf]
    run = run_factory(steps=4, log=lambda r, s: r.log({"loss": values[s - 1]}))
    body = (await client.get(f"/api/metrics/{run.id}")).json()
    assert body["series"]["loss"]["y"] == [1.0, "NaN", "Infinity", "-Infinity"]
    assert body["series"]["loss"]["x"] == [1, 2, 3, 4]


async def test_system_series_use_relative_time_for_step(client: httpx.AsyncClient, root) -> None:
    run = rn.init(project="p", name="n", storage=root, system_metrics=False)
    run.log({"loss": 1.0})
    run.finish()
    events = Path(run.path) / "events.jsonl"
    first_ts = orjson.loads(events.read_bytes().splitlines()[0])["ts"]
    with open(events, "ab") as handle:
        for i in range(3):
            line = {
                "ts": first_ts + 10 * (i + 1),
                "type": "system",
                "data": {"system/cpu": 5.0 * i},
            }
            handle.write(orjson.dumps(line) + b"\n")
    body = (await client.get(f"/api/metrics/{run.id}")).json()
    cpu = body["series"]["system/cpu"]
    assert [round(x) for x in cpu["x"]] == [10, 20, 30]
    assert cpu["y"] == [0.0, 5.0, 10.0]
    assert body["series"]["loss"]["x"] == [1]


async def test_torn_last_line_appears_once_completed(
    client: httpx.AsyncClient, run_factory
) -> None:
    run = run_factory(steps=3)
    events = Path(run.path) / "events.jsonl"
    data = {"loss": 42.0, "global_step": 4, "time": 2e9}
    line = orjson.dumps({"ts": 2e9, "type": "metrics", "data": data}) + b"\n"
    with open(events, "ab") as handle:
        handle.write(line[:20])
    url = f"/api/metrics/{run.id}"
    assert (await client.get(url)).json()["series"]["loss"]["x"] == [1, 2, 3]
    with open(events, "ab") as handle:
        handle.write(line[20:])
    body = (await client.get(url)).json()
    assert body["series"]["loss"]["x"] == [1, 2, 3, 4]
    assert body["series"]["loss"]["y"][-1] == 42.0


async def test_batch_metrics_for_the_compare_view(client: httpx.AsyncClient, run_factory) -> None:
    a, b = run_factory(steps=5), run_factory(steps=50)
    response = await client.post(
        "/api/v2/metrics",
        json={"ids": [a.id, b.id, "20260101_000000_zzzzzz", "../etc"], "keys": ["loss"],
              "max_points": 10},
    )  # fmt: skip
    body = response.json()
    assert response.status_code == 200
    assert set(body["runs"]) == {a.id, b.id}
    assert body["missing"] == ["20260101_000000_zzzzzz", "../etc"]
    assert body["runs"][a.id]["series"]["loss"]["count"] == 5
    assert body["runs"][b.id]["series"]["loss"]["downsampled"] is True
    assert list(body["runs"][b.id]["series"]) == ["loss"]
    invalid = await client.post("/api/v2/metrics", json={"ids": [a.id], "max_points": 1})
    assert invalid.status_code == 422


async def test_metrics_of_unknown_run(client: httpx.AsyncClient) -> None:
    assert (await client.get("/api/metrics/20260101_000000_zzzzzz")).status_code == 404
    params = {"start": "nan"}
    assert (await client.get("/api/metrics/x", params=params)).status_code == 422
