"""The team server: the PostgreSQL index at 100,000 runs and metric reads from object-store
segments, against local storage.

    .venv/bin/python bench/bench_server.py [--runs 100000] [--points 1000000]

Starts its own PostgreSQL 15 (``initdb``/``pg_ctl``, as in the tests) and moto's S3 server on
loopback. Runs are inserted straight into PostgreSQL in bulk (COPY); queries go through
:class:`ServerStorageBackend.list_runs`, the call behind ``/api/v2/experiments``. The metric
read compares a cold read of one key's points from the object store's segments (download into
the server's cache, then the columnar cache build) with a cold read of the same local file.
"""

from __future__ import annotations

import argparse
import os
import platform
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import orjson
import psycopg
from rich.console import Console
from rich.table import Table

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "fixtures"))

from postgres import start_postgres, stop_postgres
from s3 import CREDENTIALS, start_moto, stop_moto

from runicorn.server.app import prepare
from runicorn.server.backend import ServerStorageBackend
from runicorn.server.config import ServerConfig, StoreLocation
from runicorn.server.ingest import ingest_root
from runicorn.storage.models import ExperimentRecord, MetricRecord
from runicorn.viewer.utils.cache import MetricCache

console = Console(width=120)
rows: list[tuple[str, str, str]] = []


def record(what: str, value: str, target: str = "") -> None:
    rows.append((what, value, target))
    console.log(f"{what:60} {value:>14}  {target}")


def timed(action: Callable[[], object], repeat: int = 7) -> float:
    """Median seconds of ``repeat`` calls after one warm-up call."""
    action()
    samples = []
    for _ in range(repeat):
        start = time.perf_counter()
        action()
        samples.append(time.perf_counter() - start)
    return statistics.median(samples)


def ms(seconds: float) -> str:
    return f"{seconds * 1000:,.1f} ms"


def make_runs(count: int) -> list[ExperimentRecord]:
    rng = random.Random(7)
    now = time.time()
    records = []
    for i in range(count):
        acc = rng.random()
        records.append(
            ExperimentRecord(
                id=f"20260101_{i // 100:06d}_{i % 100:06d}",
                project=f"project-{i % 20}",
                name=f"model-{i % 50}",
                path=f"project-{i % 20}/model-{i % 50}/runs/{i}",
                status="finished",
                created_at=now - count + i,
                ended_at=now - count + i + 60,
                heartbeat_at=now - count + i + 60,
                config={"lr": 10 ** rng.uniform(-5, -1), "batch_size": rng.choice([32, 64, 128]),
                        "optimizer": {"name": rng.choice(["adam", "sgd"])}, "weight decay": 0.01},
                summary={"acc": acc, "best_loss": 1 - acc},
                tags=["bench", rng.choice(["baseline", "ablation"])],
                metrics={"loss": MetricRecord("loss", 1 - acc, 0.0, 2.0, 1000, 1000)},
                last_step=1000,
            )
        )  # fmt: skip
    return records


def bench_index(backend: ServerStorageBackend, count: int) -> None:
    runs = make_runs(count)
    start = time.perf_counter()
    batch = 20_000
    for offset in range(0, count, batch):
        backend.index.bulk_insert_runs(runs[offset : offset + batch])
    # What autovacuum does on a live server: statistics, and the visibility map that lets a
    # count of live runs be an index-only scan.
    with psycopg.connect(backend.config.database_url, autocommit=True) as conn:
        conn.execute("VACUUM ANALYZE")
    record(f"insert {count:,} runs (COPY)", f"{time.perf_counter() - start:,.1f} s")
    queries = {
        "page of 50, newest first": {"limit": 50},
        "page of 50 sorted by -summary.acc": {"sort": "-summary.acc", "limit": 50},
        "page of 50 sorted by config.lr": {"sort": "config.lr", "limit": 50},
        "filtered count (config.lr < 1e-3 and summary.acc > 0.5)": {
            "filter": "config.lr < 1e-3 and summary.acc > 0.5", "limit": 0},
        "filtered count (tag:baseline and config.optimizer.name = adam)": {
            "filter": "tag:baseline and config.optimizer.name = adam", "limit": 0},
        "filtered count (config.lr = 0.00123: a selective value)": {
            "filter": "config.lr = 0.00123", "limit": 0},
        "page at offset 50,000": {"offset": 50_000, "limit": 50},
    }  # fmt: skip
    targets = {"page of 50 sorted by -summary.acc": "≤ 100 ms"}
    for label, query in queries.items():
        seconds = timed(lambda q=query: backend.list_runs(**q))  # type: ignore[misc]
        target = targets.get(label, "≤ 200 ms" if "count" in label else "")
        record(f"{count:,} runs: {label}", ms(seconds), target)


def write_events(path: Path, points: int) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    t0 = time.time()
    with open(path, "wb") as handle:
        chunk = []
        for step in range(1, points + 1):
            chunk.append(
                orjson.dumps({"ts": t0 + step * 0.01, "type": "metrics",
                              "data": {"loss": 1.0 / step, "global_step": step, "time": t0}})
            )  # fmt: skip
            if len(chunk) == 10_000:
                handle.write(b"\n".join(chunk) + b"\n")
                chunk = []
        if chunk:
            handle.write(b"\n".join(chunk) + b"\n")
    meta = {"id": path.parent.name, "project": "bench", "name": "read", "created_at": t0,
            "config": {}, "tags": [], "notes": ""}  # fmt: skip
    (path.parent / "meta.json").write_bytes(orjson.dumps(meta))
    state = {"status": "finished", "started_at": t0, "ended_at": t0 + 1, "heartbeat_at": t0 + 1}
    (path.parent / "status.json").write_bytes(orjson.dumps(state))


def bench_reads(config: ServerConfig, work: Path, points: int) -> None:
    root = work / "local"
    run_id = "20260101_000000_bench1"
    events = root / "bench" / "read" / "runs" / run_id / "events.jsonl"
    write_events(events, points)
    size_mb = events.stat().st_size / 1e6

    def local_cold() -> float:
        cache = MetricCache(Path(tempfile.mkdtemp(dir=work)), max_bytes=2 << 30)
        start = time.perf_counter()
        snapshot = cache.get(run_id, events)
        assert snapshot.metric_keys()
        return time.perf_counter() - start

    backend = ServerStorageBackend(config)
    start = time.perf_counter()
    ingest_root(backend, root)
    record(
        f"ingest {points:,} points ({size_mb:,.0f} MB) into the store",
        ms(time.perf_counter() - start),
    )
    backend.close()

    def server_cold() -> tuple[float, float]:
        fresh = ServerStorageBackend(
            ServerConfig(config.database_url, config.store, config.s3_endpoint,
                         Path(tempfile.mkdtemp(dir=work)))
        )  # fmt: skip
        cache = MetricCache(fresh.root / ".runicorn" / "cache", max_bytes=2 << 30)
        start = time.perf_counter()
        folder = fresh.path_of(fresh.get_run(run_id))
        fetched = time.perf_counter() - start
        snapshot = cache.get(run_id, folder / "events.jsonl")
        assert snapshot.metric_keys()
        total = time.perf_counter() - start
        warm_start = time.perf_counter()
        fresh.path_of(fresh.get_run(run_id))
        cache.get(run_id, folder / "events.jsonl")
        record(
            "server warm read (index lookup + up-to-date check + cache)",
            ms(time.perf_counter() - warm_start),
        )
        fresh.close()
        return fetched, total

    local = statistics.median(local_cold() for _ in range(3))
    fetched, server = server_cold()
    record(f"local cold read, {points:,} points", ms(local))
    record(
        f"server cold read, {points:,} points (download {ms(fetched)})", ms(server), "≤ 3× local"
    )
    record("server cold / local cold", f"{server / local:.2f}×", "≤ 3×")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=100_000)
    parser.add_argument("--points", type=int, default=1_000_000)
    args = parser.parse_args()
    os.environ.update(CREDENTIALS)
    postgres = start_postgres()
    moto = start_moto()
    try:
        with tempfile.TemporaryDirectory(prefix="rn-bench-server-") as folder:
            work = Path(folder)
            config = ServerConfig(
                database_url=postgres.create_database(),
                store=StoreLocation("rn-bench", "team"),
                s3_endpoint=moto.endpoint,
                cache_dir=work / "cache",
            )
            prepare(config)
            backend = ServerStorageBackend(config)
            try:
                bench_index(backend, args.runs)
            finally:
                backend.close()
            bench_reads(config, work, args.points)
    finally:
        stop_moto(moto)
        stop_postgres(postgres)
    table = Table(title=f"team server — {platform.machine()}, {os.cpu_count()} cores, "
                        f"Python {platform.python_version()}, PostgreSQL 15, moto S3")  # fmt: skip
    for column in ("workload", "result", "target"):
        table.add_column(column)
    for row in rows:
        table.add_row(*row)
    console.print(table)


if __name__ == "__main__":
    main()
