"""Artifacts: logging a big checkpoint, listing many versions, walking a big lineage graph.

    .venv/bin/python bench/bench_artifacts.py [--size-mb 1024] [--rounds 3] [--quick]
                                              [--skip checkpoint,lists]

- Checkpoint: ``run.log_model`` of a ``--size-mb`` file (random bytes) in a fresh process:
  time in the training thread (the call), time until stored (``handle.wait()``), and the
  process's peak RSS above its RSS before the call. The anchor is ``sha256sum`` + ``cp`` of the
  same file (page cache warm for both; a fresh destination each round; ours also fsyncs).
- List: ``GET /api/artifacts/{project}/{name}`` (first page of 50, and of 1000) for an artifact
  with 10,000 versions, and ``GET /api/artifacts`` over 1,000 artifacts, through a viewer
  process. Version files are written straight in the store's format and indexed by
  ``ArtifactStore.reindex`` (also timed).
- Lineage: ``GET …/lineage?depth=3`` around a dataset used by 333 training runs, each producing
  a model version used by one evaluation run: 1,000 nodes, 999 edges.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import textwrap
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
from rich.console import Console
from rich.table import Table

from runicorn.artifacts.models import ArtifactVersion, FileEntry, version_digest
from runicorn.artifacts.storage import ArtifactStore
from runicorn.remote.commands import VIEWER_READY_PREFIX
from runicorn.storage.backends import HybridStorageBackend
from runicorn.storage.jsonio import dumps

console = Console()
rows: list[tuple[str, str, str]] = []

LOG_SCRIPT = textwrap.dedent(
    """
    import json, resource, sys, time
    import runicorn as rn

    def rss() -> int:
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) * 1024
        return 0

    run = rn.init(project="bench", name="ckpt", storage=sys.argv[1], capture_console=False,
                  capture_env=False, system_metrics=False)
    before = rss()
    start = time.perf_counter()
    handle = run.log_model(sys.argv[2], "checkpoint")
    queued = time.perf_counter() - start
    stored = handle.wait()
    done = time.perf_counter() - start
    run.finish()
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    print(json.dumps({"queued": queued, "stored": done, "before": before, "peak": peak,
                      "ok": stored is not None}))
    """
)


def record(what: str, value: str, note: str = "") -> None:
    rows.append((what, value, note))
    console.print(f"{what}: {value} {note}")


def ms(seconds: float) -> str:
    return f"{seconds * 1000:.2f} ms" if seconds < 0.1 else f"{seconds * 1000:.0f} ms"


def median_time(call: Callable[[], Any], repeat: int) -> float:
    samples = []
    for _ in range(repeat):
        start = time.perf_counter()
        call()
        samples.append(time.perf_counter() - start)
    return statistics.median(samples)


def checkpoint(base: Path, size_mb: int, rounds: int) -> None:
    source = base / "checkpoint.pt"
    block = os.urandom(1 << 20)
    with open(source, "wb") as handle:
        for index in range(size_mb):
            handle.write(block[index % 7 :] + block[: index % 7])  # no two blocks alike
    ours: list[dict[str, Any]] = []
    anchor: list[float] = []
    for round_number in range(rounds):
        copy = base / f"copy-{round_number}.pt"
        start = time.perf_counter()
        subprocess.run(["sha256sum", str(source)], check=True, capture_output=True)
        subprocess.run(["cp", str(source), str(copy)], check=True)
        anchor.append(time.perf_counter() - start)
        copy.unlink()
        root = base / f"root-{round_number}"
        root.mkdir()
        out = subprocess.run(
            [sys.executable, "-c", LOG_SCRIPT, str(root), str(source)],
            check=True, capture_output=True, text=True,
        )  # fmt: skip
        ours.append(json.loads(out.stdout.splitlines()[-1]))
        assert ours[-1]["ok"]
        shutil.rmtree(root)
    queued = statistics.median(o["queued"] for o in ours)
    stored = statistics.median(o["stored"] for o in ours)
    base_time = statistics.median(anchor)
    growth = max(o["peak"] - o["before"] for o in ours)
    record(f"log_model {size_mb} MB: training thread", ms(queued), "goal ≤ 1 ms")
    record(f"log_model {size_mb} MB: until stored", f"{stored:.2f} s")
    record(f"sha256sum + cp {size_mb} MB", f"{base_time:.2f} s")
    record("until stored ÷ (sha256sum + cp)", f"{stored / base_time:.2f}×", "goal ≤ 1.3×")
    record("peak RSS above the run's", f"{growth / 2**20:.1f} MiB", "goal ≤ 64 MB")


def write_versions(store: ArtifactStore, project: str, name: str, kind: str, count: int,
                   created_by: Callable[[int], str | None] = lambda _: None) -> None:  # fmt: skip
    """``count`` versions of one artifact, straight in the store's file format."""
    folder = store.folder(project, name)
    folder.mkdir(parents=True, exist_ok=True)
    for number in range(1, count + 1):
        files = {"model.pt": FileEntry(f"{number:064x}", 1000 + number)}
        version = ArtifactVersion(
            project=project, name=name, type=kind, version=number,
            digest=version_digest(files, []), created_at=1.79e9 + number,
            created_by=created_by(number), metadata={"val/acc": number / count},
            files=files, size=1000 + number,
        )  # fmt: skip
        (folder / f"v{number}.json").write_bytes(dumps(version.file_document()))


def write_run(root: Path, run_id: str, name: str, edges: dict[str, list[str]]) -> None:
    folder = root / "bench" / name / "runs" / run_id
    folder.mkdir(parents=True)
    meta = {"id": run_id, "project": "bench", "name": name, "created_at": 1.79e9}
    (folder / "meta.json").write_bytes(dumps(meta))
    status = {"status": "finished", "started_at": 1.79e9, "ended_at": 1.79e9 + 60}
    (folder / "status.json").write_bytes(dumps(status))
    (folder / "artifacts.json").write_bytes(dumps(edges))


@contextmanager
def viewer(root: Path) -> Iterator[str]:
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
    try:
        yield json.loads(line[len(VIEWER_READY_PREFIX) :])["url"].rstrip("/")
    finally:
        process.stdin.close()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()


def listing_and_lineage(base: Path, versions: int, fan_out: int) -> None:
    root = base / "store"
    root.mkdir()
    with ArtifactStore(root) as store:
        write_versions(store, "bench", "resnet", "model", versions)
        for index in range(1000):
            write_versions(store, "bench", f"ablation-{index:04d}", "model", 1)
        write_versions(store, "bench", "imagenet", "dataset", 1)
        for index in range(fan_out):
            train_id = f"20261201_000000_t{index:05d}"
            write_versions(store, "bench", f"model-{index:04d}", "model", 1,
                           created_by=lambda _, run=train_id: run)  # fmt: skip
            write_run(root, train_id, "train",
                      {"used": ["imagenet:v1"], "produced": [f"model-{index:04d}:v1"]})  # fmt: skip
            write_run(root, f"20261201_000000_e{index:05d}", "eval",
                      {"used": [f"model-{index:04d}:v1"], "produced": []})  # fmt: skip
        with HybridStorageBackend(root) as backend:
            backend.reindex()
        start = time.perf_counter()
        indexed = store.reindex()
        record(f"reindex {indexed:,} versions", ms(time.perf_counter() - start))
        store.refresh_index()
        look = median_time(store.refresh_index, 11)
        record(f"look for folders changed behind the index ({len(store._folder_mtimes()):,})",
               ms(look), "at most once a second, before a list")  # fmt: skip
    with viewer(root) as url, httpx.Client(base_url=url) as http:

        def get(route: str, **params: Any) -> float:
            response = http.get(route, params=params)
            assert response.status_code == 200, response.text
            return median_time(lambda: http.get(route, params=params), 21)

        record(f"versions of an artifact with {versions:,}: page of 50",
               ms(get("/api/artifacts/bench/resnet")), "goal ≤ 50 ms")  # fmt: skip
        record(f"versions of an artifact with {versions:,}: page of 1000",
               ms(get("/api/artifacts/bench/resnet", limit=1000)))  # fmt: skip
        record(f"version {versions:,} detail", ms(get(f"/api/artifacts/bench/resnet/v{versions}")))
        record("artifact list (1,000+ artifacts), page of 50", ms(get("/api/artifacts")))
        record("artifact list filtered by name", ms(get("/api/artifacts", name="ablation-09")))
        graph = http.get("/api/artifacts/bench/imagenet/v1/lineage", params={"depth": 3}).json()
        nodes, edges = len(graph["nodes"]), len(graph["edges"])
        record(f"lineage, {nodes:,} nodes / {edges:,} edges (depth 3)",
               ms(get("/api/artifacts/bench/imagenet/v1/lineage", depth=3)),
               "goal ≤ 100 ms")  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size-mb", type=int, default=1024)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--quick", action="store_true", help="small sizes, for a smoke run")
    parser.add_argument("--skip", default="", help="comma-separated: checkpoint,lists")
    args = parser.parse_args()
    skip = set(filter(None, args.skip.split(",")))
    base = Path(tempfile.mkdtemp(prefix="runicorn-bench-artifacts-"))
    os.environ["RUNICORN_CONFIG_DIR"] = str(base / "config")
    try:
        if "checkpoint" not in skip:
            size = 64 if args.quick else args.size_mb
            checkpoint(base, size, 1 if args.quick else args.rounds)
        if "lists" not in skip:
            listing_and_lineage(base, 500 if args.quick else 10_000, 33 if args.quick else 333)
    finally:
        shutil.rmtree(base, ignore_errors=True)
    table = Table(title=f"Runicorn artifact benchmarks ({platform.node()}, "
                        f"{os.cpu_count()} CPUs, Python {platform.python_version()})")  # fmt: skip
    for column in ("measure", "value", "note"):
        table.add_column(column, justify="right" if column == "value" else "left")
    for row in rows:
        table.add_row(*row)
    console.print(table)


if __name__ == "__main__":
    main()
