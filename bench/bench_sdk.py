"""W1: the cost of recording, against the floor of a bare orjson append loop.

    .venv/bin/python bench/bench_sdk.py [--steps 100000] [--repeat 3] [--runs 1000]
                                        [--only w1|runs|tensors]

Each workload runs in a fresh subprocess so memory figures are not polluted by earlier ones.
- w1: the training thread's cost per ``log`` call (10 scalar metrics) against the floor: the
  same dict built and appended as one orjson line to a buffered file, in the same process.
- runs: creating ``--runs`` short runs with default settings (``init``, 10 ``log`` calls,
  ``finish``), side by side with tensorboardX creating as many writers when it is installed.
- tensors: ``log`` with 11 0-d CPU tensors against 11 floats, and against the bare ``.item()``
  calls a user would otherwise make (needs torch).
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


MANY_RUNS = textwrap.dedent(
    """
    import json, os, sys, time
    count, kind, root = int(sys.argv[1]), sys.argv[2], sys.argv[3]
    config = {"batch_size": 64, "optimizer": {"name": "adamw", "betas": [0.9, 0.999]}}
    if kind == "runicorn":
        import runicorn as rn
        finishes = []
        start = time.perf_counter()
        for index in range(count):
            run = rn.init(project="sweep", name="short", storage=root,
                          config={**config, "seed": index})
            for step in range(10):
                run.log({"train/loss": 1.0 / (step + 1), "val/acc": step / 10})
            before = time.perf_counter()
            run.finish()
            finishes.append(time.perf_counter() - before)
        elapsed = time.perf_counter() - start
        finishes.sort()
        result = {"total_s": elapsed, "finish_ms": finishes[len(finishes) // 2] * 1e3}
    else:
        from tensorboardX import SummaryWriter
        start = time.perf_counter()
        for index in range(count):
            writer = SummaryWriter(logdir=os.path.join(root, f"run{index}"))
            for step in range(10):
                writer.add_scalar("train/loss", 1.0 / (step + 1), step)
                writer.add_scalar("val/acc", step / 10, step)
            writer.close()
        result = {"total_s": time.perf_counter() - start, "finish_ms": float("nan")}
    print(json.dumps(result))
    """
)

TENSORS = textwrap.dedent(
    """
    import json, sys, tempfile, time
    import torch
    import runicorn as rn
    calls, repeat = int(sys.argv[1]), int(sys.argv[2])
    run = rn.init(project="bench", name="tensors", storage=tempfile.mkdtemp(),
                  capture_console=False, capture_env=False, system_metrics=False)
    keys = [f"train/metric_{i}" for i in range(11)]
    floats = {key: 0.5 + i for i, key in enumerate(keys)}
    tensors = {key: torch.tensor(0.5 + i) for i, key in enumerate(keys)}

    def per_call(body):
        best = float("inf")
        for _ in range(repeat):
            start = time.thread_time()
            body()
            best = min(best, (time.thread_time() - start) / calls * 1e6)
        return best

    def log_all(data):
        log = run.log
        return lambda: [log(data) for _ in range(calls)]

    def items_only():
        for _ in range(calls):
            {key: value.item() for key, value in tensors.items()}

    result = {"floats": per_call(log_all(floats)), "tensors": per_call(log_all(tensors)),
              "items": per_call(items_only)}
    run.finish()
    print(json.dumps(result))
    """
)


def run_many_runs(kind: str, count: int) -> dict[str, float]:
    with tempfile.TemporaryDirectory() as root:
        env = {**os.environ, "RUNICORN_DIR": root}
        out = subprocess.run(
            [sys.executable, "-c", MANY_RUNS, str(count), kind, root],
            check=True, capture_output=True, text=True, env=env,
        ).stdout  # fmt: skip
    return json.loads(out.strip().splitlines()[-1])


def bench_many_runs(count: int, repeat: int, console: Console) -> None:
    kinds = ["runicorn"]
    try:
        import tensorboardX  # noqa: F401
    except ImportError:
        console.print("tensorboardX is not installed: its column is left out")
    else:
        kinds.append("tensorboardx")
    table = Table(title=f"Creating {count:,} short runs (10 log calls each; median of {repeat})")
    for column in ("workload", "total", "per run", "median finish()"):
        table.add_column(column, justify="right")
    for kind in kinds:
        rows = [run_many_runs(kind, count) for _ in range(repeat)]
        total = statistics.median(row["total_s"] for row in rows)
        finish = statistics.median(row["finish_ms"] for row in rows)
        label = (
            "runicorn init/log/finish (defaults)"
            if kind == "runicorn"
            else ("tensorboardX SummaryWriter/add_scalar/close")
        )
        table.add_row(
            label, f"{total:.2f} s", f"{total / count * 1e3:.2f} ms",
            "-" if finish != finish else f"{finish:.2f} ms",
        )  # fmt: skip
    console.print(table)


def bench_tensors(repeat: int, console: Console) -> None:
    try:
        import torch  # noqa: F401
    except ImportError:
        console.print("torch is not installed: the 0-d tensor workload is skipped")
        return
    out = subprocess.run(
        [sys.executable, "-c", TENSORS, "20000", str(max(repeat, 5))],
        check=True, capture_output=True, text=True,
    ).stdout  # fmt: skip
    result = json.loads(out.strip().splitlines()[-1])
    table = Table(title="log() with 11 values: training thread µs/call (best of runs)")
    for column in ("workload", "µs/call", "x floats"):
        table.add_column(column, justify="right")
    floats = result["floats"]
    for label, key in (
        ("run.log, 11 floats", "floats"),
        ("run.log, 11 0-d CPU tensors", "tensors"),
        ("the 11 .item() calls alone (a dict comprehension)", "items"),
    ):
        table.add_row(label, f"{result[key]:.2f}", f"{result[key] / floats:.2f}")
    console.print(table)
    overhead = result["tensors"] - floats - result["items"]
    console.print(f"tensor overhead beyond the user's own .item() calls: {overhead:.2f} µs/call")


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
    parser.add_argument("--runs", type=int, default=1000)
    parser.add_argument("--only", choices=("w1", "runs", "tensors"))
    args = parser.parse_args()
    console = Console(width=180)
    if args.only in (None, "runs"):
        bench_many_runs(args.runs, args.repeat, console)
    if args.only in (None, "tensors"):
        bench_tensors(args.repeat, console)
    if args.only not in (None, "w1"):
        print_machine(console)
        return

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
    console.print(table)
    console.print(f"bare interpreter with numpy/orjson/psutil: {base:.0f} MB peak RSS")
    print_machine(console)


def print_machine(console: Console) -> None:
    console.print(
        f"machine: {platform.machine()}, {os.cpu_count()} cores, "
        f"Python {platform.python_version()}, load average {os.getloadavg()[0]:.1f}"
    )


if __name__ == "__main__":
    main()
