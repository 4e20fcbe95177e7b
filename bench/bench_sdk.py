"""W1: the cost of recording, against the floor of a bare orjson append loop.

    .venv/bin/python bench/bench_sdk.py [--steps 100000] [--repeat 3]

Each workload runs in a fresh subprocess so memory figures are not polluted by earlier ones.
The training thread's cost per ``log`` call (10 scalar metrics) is compared with the floor: the
same dict built and appended as one orjson line to a buffered file, in the same process.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import textwrap

from rich.console import Console
from rich.table import Table

WORKLOAD = textwrap.dedent(
    """
    import gc, json, os, resource, sys, time
    import numpy as np  # a training script has it already; not counted as SDK overhead
    import orjson
    import psutil

    steps, kind, root = int(sys.argv[1]), sys.argv[2], sys.argv[3]
    values = [float(v) for v in np.random.default_rng(0).random(steps + 10)]
    process = psutil.Process()
    gc.collect()
    rss_before = process.memory_info().rss
    result = {}
    cpu_start = time.process_time()
    if kind == "floor":
        path = os.path.join(root, "floor.jsonl")
        option = orjson.OPT_APPEND_NEWLINE
        with open(path, "wb") as handle:
            start = time.perf_counter()
            thread_start = time.thread_time()
            for i in range(steps):
                v = values[i]
                data = {"loss": v, "acc": v, "lr": v, "grad_norm": v, "val": v,
                        "m5": v, "m6": v, "m7": v, "m8": v, "m9": v}
                now = time.time()
                data["global_step"] = i + 1
                data["time"] = now
                event = {"ts": now, "type": "metrics", "data": data}
                handle.write(orjson.dumps(event, option=option))
            elapsed = time.perf_counter() - start
            thread_cpu = time.thread_time() - thread_start
            start = time.perf_counter()
            handle.flush()
            os.fsync(handle.fileno())
        result["finish_s"] = time.perf_counter() - start
        result["bytes"] = os.path.getsize(path)
    else:
        import runicorn as rn
        run = rn.init(project="bench", name="w1", storage=root, capture_console=False,
                      capture_env=True, system_metrics=True)
        log = run.log
        start = time.perf_counter()
        thread_start = time.thread_time()
        for i in range(steps):
            v = values[i]
            log({"loss": v, "acc": v, "lr": v, "grad_norm": v, "val": v,
                 "m5": v, "m6": v, "m7": v, "m8": v, "m9": v})
        elapsed = time.perf_counter() - start
        thread_cpu = time.thread_time() - thread_start
        start = time.perf_counter()
        run.finish()
        result["finish_s"] = time.perf_counter() - start
        result["bytes"] = os.path.getsize(run.path / "events.jsonl")
    result["wall_us"] = elapsed / steps * 1e6
    result["thread_cpu_us"] = thread_cpu / steps * 1e6
    result["process_cpu_us"] = (time.process_time() - cpu_start) / steps * 1e6
    result["rss_growth_mb"] = (process.memory_info().rss - rss_before) / 2**20
    result["peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps(result))
    """
)


def run_workload(kind: str, steps: int) -> dict[str, float]:
    with tempfile.TemporaryDirectory() as root:
        env = {**os.environ, "RUNICORN_DIR": root}
        out = subprocess.run(
            [sys.executable, "-c", WORKLOAD, str(steps), kind, root],
            check=True, capture_output=True, text=True, env=env,
        ).stdout  # fmt: skip
    return json.loads(out.strip().splitlines()[-1])


def baseline_rss_mb() -> float:
    """Peak RSS of an interpreter that imported what a training script imports, without us."""
    code = (
        "import resource, numpy, orjson, psutil; "
        "print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], check=True, capture_output=True, text=True
    )
    return float(result.stdout)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--steps", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()

    floors = [run_workload("floor", args.steps) for _ in range(args.repeat)]
    sdks = [run_workload("sdk", args.steps) for _ in range(args.repeat)]
    base = baseline_rss_mb()

    def median(rows: list[dict[str, float]], key: str) -> float:
        return statistics.median(row[key] for row in rows)

    floor_us, sdk_us = median(floors, "thread_cpu_us"), median(sdks, "thread_cpu_us")
    table = Table(title=f"W1 log: {args.steps:,} steps x 10 scalars (median of {args.repeat})")
    for column in ("workload", "training thread µs/call", "x floor", "wall µs/call",
                   "process CPU µs/call", "finish", "bytes on disk", "peak RSS",
                   "SDK memory overhead"):  # fmt: skip
        table.add_column(column, justify="right")
    for label, rows, overhead in (
        ("floor: orjson append loop", floors, "-"),
        (
            "runicorn run.log",
            sdks,
            f"{median(sdks, 'peak_rss_mb') - median(floors, 'peak_rss_mb'):.1f} MB",
        ),
    ):
        table.add_row(
            label, f"{median(rows, 'thread_cpu_us'):.2f}",
            f"{median(rows, 'thread_cpu_us') / floor_us:.2f}", f"{median(rows, 'wall_us'):.2f}",
            f"{median(rows, 'process_cpu_us'):.2f}", f"{median(rows, 'finish_s') * 1e3:.1f} ms",
            f"{median(rows, 'bytes'):,.0f}", f"{median(rows, 'peak_rss_mb'):.0f} MB", overhead,
        )  # fmt: skip
    del sdk_us
    console = Console(width=180)
    console.print(table)
    console.print(
        f"machine: {platform.machine()}, {os.cpu_count()} cores, "
        f"Python {platform.python_version()}; "
        f"bare interpreter with numpy/orjson/psutil: {base:.0f} MB peak RSS"
    )


if __name__ == "__main__":
    main()
