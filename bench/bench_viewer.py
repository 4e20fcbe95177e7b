"""W2-W4: the viewer under load, through its real HTTP API.

    .venv/bin/python bench/bench_viewer.py [--quick] [--skip w2,w3,w4,mem]

- W2 read: one metric's 100k and 1M points (cold, warm; full and downsampled); the first read
  of a 1M-step x 10-key events file against the floor (a bare orjson loop over its lines); the
  first read after a viewer restart (persisted cache).
- W3 many runs: 1k and 10k runs with config and summary: a page of 50, a filter, a sort by a
  summary metric.
- W4 live: latency from ``log`` to the WebSocket client receiving the point (p50/p95), at the
  default flush interval (1 s) and at 0.1 s.
- Memory: the viewer process's RSS serving 10k runs.

Data is written straight in the SDK's file format (fast), then indexed through the backend.
Every viewer runs as its own process (``python -m runicorn.viewer``), as users run it.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import partial
from pathlib import Path
from typing import Any

import httpx
import numpy as np
import orjson
import psutil
import websockets
from rich.console import Console
from rich.table import Table

from runicorn.remote.commands import VIEWER_READY_PREFIX
from runicorn.storage.backends import HybridStorageBackend
from runicorn.storage.models import ExperimentRecord, MetricRecord
from runicorn.viewer.utils.cache import MetricCache

console = Console(width=130)
rows: list[tuple[str, str, str, str]] = []


def record(workload: str, what: str, value: str, note: str = "") -> None:
    rows.append((workload, what, value, note))
    console.log(f"{workload:4} {what:55} {value:>12}  {note}")


def ms(seconds: float) -> str:
    return f"{seconds * 1000:,.1f} ms"


def write_run(
    root: Path, run_id: str, project: str, name: str, *, created: float, config: dict[str, Any],
    summary: dict[str, Any], events: bytes = b"", status: str = "finished",
) -> Path:  # fmt: skip
    path = root / project / name / "runs" / run_id
    path.mkdir(parents=True)
    meta = {"id": run_id, "project": project, "name": name, "created_at": created,
            "config": config, "tags": ["bench"], "notes": ""}  # fmt: skip
    (path / "meta.json").write_bytes(orjson.dumps(meta))
    state = {"status": status, "started_at": created, "ended_at": created + 60,
             "heartbeat_at": created + 60, "heartbeat_interval": 10.0}  # fmt: skip
    (path / "status.json").write_bytes(orjson.dumps(state))
    (path / "summary.json").write_bytes(orjson.dumps(summary))
    (path / "events.jsonl").write_bytes(events)
    return path


def events_bytes(steps: int, keys: list[str], t0: float = 1.79e9) -> bytes:
    """``steps`` metric lines of ``keys``, as the SDK writes them (batched for speed)."""
    rng = np.random.default_rng(0)
    values = rng.random((steps, len(keys))).tolist()
    chunks: list[bytes] = []
    dumps = orjson.dumps
    for start in range(0, steps, 100_000):
        lines = []
        for i in range(start, min(steps, start + 100_000)):
            data = dict(zip(keys, values[i], strict=True))
            t = t0 + i * 0.01
            data["global_step"] = i + 1
            data["time"] = t
            lines.append(dumps({"ts": t, "type": "metrics", "data": data}))
        chunks.append(b"\n".join(lines) + b"\n")
    return b"".join(chunks)


@contextmanager
def viewer(root: Path) -> Iterator[tuple[str, psutil.Process]]:
    """A viewer process on a free port; stopped (gracefully, via stdin EOF) on exit."""
    process = subprocess.Popen(
        [sys.executable, "-m", "runicorn.viewer", "--root", str(root), "--port", "0",
         "--exit-on-stdin-eof"],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
    )  # fmt: skip
    assert process.stdout is not None and process.stdin is not None
    line = process.stdout.readline()
    if not line.startswith(VIEWER_READY_PREFIX):
        process.kill()
        raise RuntimeError(f"viewer did not start: {line!r}")
    url = json.loads(line[len(VIEWER_READY_PREFIX) :])["url"].rstrip("/")
    try:
        yield url, psutil.Process(process.pid)
    finally:
        process.stdin.close()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()


def timed(call: Callable[[], Any]) -> tuple[float, Any]:
    start = time.perf_counter()
    result = call()
    return time.perf_counter() - start, result


def median_time(call: Callable[[], Any], repeat: int = 7) -> float:
    return statistics.median(timed(call)[0] for _ in range(repeat))


def get_time(client: httpx.Client, route: str, params: dict[str, Any], repeat: int = 7) -> float:
    """Median seconds of ``GET route`` (the first answer is checked and not counted)."""
    response = client.get(route, params=params)
    assert response.status_code == 200, response.text
    return median_time(lambda: client.get(route, params=params), repeat)


def bare_parse_time(events: Path, repeat: int = 2) -> float:
    """The floor: a bare orjson loop over the lines of ``events`` (best of ``repeat``)."""
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        with open(events, "rb") as handle:
            for line in handle:
                orjson.loads(line)
        best = min(best, time.perf_counter() - start)
    return best


def w2(base: Path, quick: bool) -> None:
    sizes = [100_000] if quick else [100_000, 1_000_000]
    for steps in sizes:
        root = base / f"w2-{steps}"
        run_id = f"20260101_000000_w2{steps % 10000:04d}"[:22]
        write_run(root, run_id, "bench", "read", created=1.79e9, config={}, summary={},
                  events=events_bytes(steps, ["loss"]))  # fmt: skip
        HybridStorageBackend(root).reindex()
        label = f"{steps // 1000}k"
        floor = bare_parse_time(next(root.rglob("events.jsonl")))
        with viewer(root) as (url, _), httpx.Client(base_url=url, timeout=600) as client:
            metrics = f"/api/metrics/{run_id}"
            cold, response = timed(partial(client.get, metrics, params={"keys": "loss"}))
            assert response.json()["series"]["loss"]["count"] == steps
            record("W2", f"{label} points, cold, downsampled (2000)", ms(cold),
                   f"{cold / floor:.2f}x floor ({ms(floor)})")  # fmt: skip
            warm = get_time(client, metrics, {"keys": "loss"})
            record("W2", f"{label} points, warm, downsampled (2000)", ms(warm))
            full = {"keys": "loss", "max_points": steps}
            size = len(client.get(metrics, params=full).content)
            warm_full = get_time(client, metrics, full, 3)
            record("W2", f"{label} points, warm, full", ms(warm_full), f"{size / 1e6:.1f} MB")
            zoom = {"keys": "loss", "start": steps // 2, "end": steps // 2 + 5000}
            record(
                "W2", f"{label} points, warm, zoom to 5k steps", ms(get_time(client, metrics, zoom))
            )
        with viewer(root) as (url, _), httpx.Client(base_url=url, timeout=600) as client:
            restarted, _ = timed(partial(client.get, metrics, params={"keys": "loss"}))
            record("W2", f"{label} points, first read after a restart", ms(restarted),
                   "persisted cache")  # fmt: skip

    steps = 100_000 if quick else 1_000_000
    keys = [f"m{i}" for i in range(10)]
    root = base / "w2-10keys"
    run_id = "20260101_000000_w2kkkk"
    path = write_run(root, run_id, "bench", "wide", created=1.79e9, config={}, summary={},
                     events=events_bytes(steps, keys))  # fmt: skip
    events = path / "events.jsonl"
    floor = bare_parse_time(events)
    parse = min(timed(partial(MetricCache(None).get, run_id, events))[0] for _ in range(2))
    label = f"{steps // 1000}k x 10 keys ({events.stat().st_size / 1e6:.0f} MB)"
    record("W2", f"floor: bare orjson loop over {label}", ms(floor))
    record("W2", f"cache: first read of {label}", ms(parse), f"{parse / floor:.2f}x floor")
    HybridStorageBackend(root).reindex()
    with viewer(root) as (url, _), httpx.Client(base_url=url, timeout=600) as client:
        cold, _ = timed(lambda: client.get(f"/api/metrics/{run_id}", params={"keys": "m3"}))
        record("W2", f"API cold read of one key of {label}", ms(cold), f"{cold / floor:.2f}x floor")


def make_runs(root: Path, count: int) -> None:
    """``count`` finished runs with config, summary and metric summaries, then indexed."""
    rng = random.Random(count)
    backend = HybridStorageBackend(root)
    records = []
    for i in range(count):
        run_id = f"20260101_{i // 10000:06d}_{i % 10000:06d}"
        created = 1.79e9 + i * 60
        config = {"lr": 10 ** rng.uniform(-5, -1), "batch_size": rng.choice([32, 64, 128]),
                  "optimizer": {"name": rng.choice(["adam", "sgd"]), "momentum": 0.9},
                  "layers": rng.randint(2, 50), "seed": i}  # fmt: skip
        summary = {"acc": rng.random(), "loss": rng.random() * 3, "epochs": rng.randint(1, 90)}
        project = f"p{i % 7}"
        path = write_run(root, run_id, project, f"n{i % 13}", created=created, config=config,
                         summary=summary)  # fmt: skip
        metrics = {"loss": MetricRecord("loss", rng.random(), 0.01, 3.0, 1000, 1000),
                   "acc": MetricRecord("acc", rng.random(), 0.0, 1.0, 1000, 1000)}  # fmt: skip
        records.append(ExperimentRecord(
            id=run_id, project=project, name=f"n{i % 13}", path=path.relative_to(root).as_posix(),
            status="finished", created_at=created, ended_at=created + 60,
            heartbeat_at=created + 60, config=config, summary=summary, tags=["bench"],
            metrics=metrics, last_step=1000,
        ))  # fmt: skip
    for rec in records:
        backend.index.upsert_run(rec)
    backend.close()


def w3_and_memory(base: Path, quick: bool, skip: set[str]) -> None:
    for count in [1000] if quick else [1000, 10_000]:
        root = base / f"w3-{count}"
        started = time.perf_counter()
        make_runs(root, count)
        console.log(f"made and indexed {count} runs in {time.perf_counter() - started:.1f} s")
        with viewer(root) as (url, process), httpx.Client(base_url=url, timeout=120) as client:
            label = f"{count // 1000}k runs"
            rss_idle = process.memory_info().rss
            queries = [
                ("page of 50, newest first", "/api/experiments", {"limit": 50}),
                ("page of 50 sorted by -summary.acc", "/api/v2/experiments",
                 {"sort": "-summary.acc", "limit": 50}),
                ("filter config.lr < 1e-3 and summary.acc > 0.5, sorted",
                 "/api/v2/experiments",
                 {"filter": "config.lr < 1e-3 and summary.acc > 0.5", "sort": "-summary.acc"}),
                ("filter by metric and tag, sort by metric", "/api/v2/experiments",
                 {"filter": "metrics.loss.min < 0.02 and tag:bench",
                  "sort": "metrics.loss.last"}),
                (f"page at offset {count // 2} by config.optimizer.name", "/api/v2/experiments",
                 {"sort": "config.optimizer.name,-created_at", "offset": count // 2}),
            ]  # fmt: skip
            for what, route, params in queries:
                total = client.get(route, params=params).json()["total"]
                record(
                    "W3", f"{label}: {what}", ms(get_time(client, route, params)), f"total {total}"
                )
            if count == 10_000 and "mem" not in skip:
                for offset in range(0, count, 1000):
                    client.get("/api/experiments", params={"limit": 1000, "offset": offset})
                client.get("/api/v2/fields")
                rss = process.memory_info().rss
                at_start = f"{rss_idle / 2**20:,.0f} MiB at start"
                record("mem", "viewer RSS serving 10k runs", f"{rss / 2**20:,.0f} MiB", at_start)


async def measure_latency(url: str, root: Path, flush: float, samples: int) -> list[float]:
    os.environ["RUNICORN_FLUSH_INTERVAL"] = str(flush)
    import runicorn as rn

    run = rn.init(project="bench", name="live", storage=root, system_metrics=False,
                  capture_console=False, capture_env=False)  # fmt: skip
    run.log({"loss": 0.0})
    latencies: list[float] = []
    ws_url = url.replace("http://", "ws://") + f"/api/metrics/{run.id}/ws"
    async with websockets.connect(ws_url, max_size=None) as ws:
        await ws.send(json.dumps({"keys": ["loss"], "after": None}))
        await asyncio.wait_for(ws.recv(), 30)
        for step in range(2, samples + 2):
            await asyncio.sleep(random.uniform(0, flush))  # sample every phase of the flush
            started = time.perf_counter()
            run.log({"loss": float(step)})
            while True:
                message = orjson.loads(await asyncio.wait_for(ws.recv(), 30))
                if step in message.get("series", {}).get("loss", {}).get("x", []):
                    break
            latencies.append(time.perf_counter() - started)
    run.finish()
    return latencies


def w4(base: Path, quick: bool) -> None:
    root = base / "w4"
    root.mkdir()
    for flush, samples in [(1.0, 10 if quick else 25), (0.1, 20 if quick else 60)]:
        with viewer(root) as (url, _):
            latencies = asyncio.run(measure_latency(url, root, flush, samples))
        q = np.quantile(latencies, [0.5, 0.95])
        record("W4", f"log -> WebSocket, flush interval {flush:g} s: p50", ms(q[0]),
               f"promise: < {ms(flush + 0.25)}")  # fmt: skip
        record("W4", f"log -> WebSocket, flush interval {flush:g} s: p95", ms(q[1]),
               f"n={len(latencies)}")  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small sizes, for a smoke run")
    parser.add_argument("--skip", default="", help="comma-separated: w2,w3,w4,mem")
    parser.add_argument("--keep", action="store_true", help="keep the data folder")
    args = parser.parse_args()
    skip = set(filter(None, args.skip.split(",")))
    base = Path(tempfile.mkdtemp(prefix="runicorn-bench-viewer-"))
    os.environ["RUNICORN_CONFIG_DIR"] = str(base / "config")
    try:
        if "w2" not in skip:
            w2(base, args.quick)
        if "w3" not in skip:
            w3_and_memory(base, args.quick, skip)
        if "w4" not in skip:
            w4(base, args.quick)
    finally:
        if not args.keep:
            shutil.rmtree(base, ignore_errors=True)
    table = Table(title=f"Runicorn viewer benchmarks ({platform.node()}, "
                        f"{os.cpu_count()} CPUs, Python {platform.python_version()})")  # fmt: skip
    for column in ("workload", "measure", "value", "note"):
        table.add_column(column, justify="right" if column == "value" else "left")
    for row in rows:
        table.add_row(*row)
    console.print(table)


if __name__ == "__main__":
    threading.current_thread().name = "bench"
    main()
