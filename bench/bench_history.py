"""Item 23 of issue 8: ``ExperimentManager.history`` against the floor.

    .venv/bin/python bench/bench_history.py [--steps 100000] [--keys 10]

One run recorded by the real SDK (``--steps`` steps x ``--keys`` scalar metrics per ``log``),
then, each the least CPU time of a few tries:
- floor: a bare orjson loop over the lines of its ``events.jsonl``;
- per-line: what ``history`` did before (every event decoded to a dict, then columns built);
- history: ``ExperimentManager.history`` (the viewer's columnar reader), cold (a new manager),
  for one key and for every key, and after one more line was appended (incremental);
- peak memory (tracemalloc) of a cold ``history`` of every key.
"""

from __future__ import annotations

import argparse
import platform
import tempfile
import time
import tracemalloc
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import orjson
from rich.console import Console
from rich.table import Table

import runicorn as rn
from runicorn.experiment import ExperimentManager
from runicorn.storage.events import RESERVED_DATA_KEYS, STEP_KEY, read_events
from runicorn.storage.jsonio import as_float

console = Console(width=120)


def best_of(call: Callable[[], Any], repeat: int) -> float:
    """The least CPU time of ``repeat`` calls: single-threaded work, measured on a shared
    machine, where wall time mostly says how busy the other processes were."""
    best = float("inf")
    for _ in range(repeat):
        start = time.process_time()
        call()
        best = min(best, time.process_time() - start)
    return best


def record_run(root: Path, steps: int, keys: int) -> tuple[str, Path]:
    names = [f"train/metric_{i}" for i in range(keys - 1)] + ["val/acc"]
    run = rn.init(project="bench", name="history", storage=root, capture_console=False,
                  capture_env=False, system_metrics=False)  # fmt: skip
    rng = np.random.default_rng(0)
    values = rng.random((steps, keys))
    for row in values:
        run.log(dict(zip(names, row.tolist(), strict=True)))
    run.finish()
    return run.id, Path(run.path) / "events.jsonl"


def bare_orjson(events: Path) -> None:
    with open(events, "rb") as handle:
        for line in handle:
            orjson.loads(line)


def per_line_history(events: Path) -> dict[str, np.ndarray]:
    """``history`` as it was: one dict per event, then a Python list per column."""
    rows = [
        event["data"]
        for event in read_events(events).events
        if event.get("type", "metrics") == "metrics" and isinstance(event.get("data"), dict)
    ]
    wanted = sorted({k for row in rows for k in row if k not in RESERVED_DATA_KEYS})
    columns = {STEP_KEY: np.array([row.get(STEP_KEY, 0) for row in rows], dtype=np.int64)}
    for key in wanted:
        got = [as_float(row.get(key)) for row in rows]
        columns[key] = np.array([np.nan if v is None else v for v in got], dtype=np.float64)
    return columns


def cold_history(root: Path, run_id: str, keys: list[str] | None) -> dict[str, np.ndarray]:
    with ExperimentManager(root) as manager:
        return manager.history(run_id, keys)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=100_000)
    parser.add_argument("--keys", type=int, default=10)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="runicorn-bench-history-") as folder:
        root = Path(folder)
        run_id, events = record_run(root, args.steps, args.keys)
        size = events.stat().st_size
        floor = best_of(lambda: bare_orjson(events), args.repeat)
        before = best_of(lambda: per_line_history(events), max(2, args.repeat // 2))
        one_key = best_of(lambda: cold_history(root, run_id, ["val/acc"]), args.repeat)
        every_key = best_of(lambda: cold_history(root, run_id, None), args.repeat)
        expected = per_line_history(events)
        got = cold_history(root, run_id, None)
        assert set(got) == set(expected)
        for key, column in expected.items():
            np.testing.assert_array_equal(got[key], column)
        with ExperimentManager(root) as manager:
            manager.history(run_id)
            with open(events, "ab") as handle:
                handle.write(
                    orjson.dumps(
                        {
                            "ts": time.time(),
                            "type": "metrics",
                            "data": {
                                "val/acc": 0.5,
                                "global_step": args.steps + 1,
                                "time": time.time(),
                            },
                        }
                    )
                    + b"\n"
                )
            incremental = best_of(lambda: manager.history(run_id), 1)
        tracemalloc.start()
        cold_history(root, run_id, None)
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        tracemalloc.start()
        per_line_history(events)
        peak_before = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()

    table = Table(title=f"history: {args.steps:,} steps x {args.keys} keys, {size / 1e6:.1f} MB "
                  f"events.jsonl ({platform.python_version()}, {platform.machine()})")  # fmt: skip
    for column in ("what", "CPU time", "x floor"):
        table.add_column(column, justify="right" if column != "what" else "left")
    for what, seconds in (
        ("floor: bare orjson loop over the lines", floor),
        ("per-line history (before)", before),
        ("history, one key, cold", one_key),
        ("history, every key, cold", every_key),
        ("history after one more line (incremental)", incremental),
    ):
        table.add_row(what, f"{seconds * 1000:.0f} ms", f"{seconds / floor:.2f}x")
    table.add_row("peak memory: history / per-line", f"{peak / 2**20:.0f} / "
                  f"{peak_before / 2**20:.0f} MiB", "")  # fmt: skip
    console.print(table)


if __name__ == "__main__":
    main()
