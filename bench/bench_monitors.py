"""W1 with the default monitors on and off: what watching the metrics costs.

    .venv/bin/python bench/bench_monitors.py [--steps 100000] [--repeat 5]

One run logs 100,000 steps × 10 scalars (one of them ``loss``, which the default NaN/Inf rule
watches), with ``monitors=False`` or the defaults, each in a fresh subprocess, alternating so
machine noise falls on both. Two figures: the training thread's CPU per ``log`` call
(``time.thread_time``) and the writer thread's CPU per row (``time.thread_time`` around each of
its flushes, summed once the queue has drained, before ``finish``).
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
    import json, sys, time
    import numpy as np
    import runicorn as rn

    steps, monitors, root = int(sys.argv[1]), sys.argv[2] == "on", sys.argv[3]
    values = [float(v) for v in np.random.default_rng(0).random(steps + 10)]
    run = rn.init(project="bench", name="w1-monitors", storage=root, capture_console=False,
                  capture_env=False, system_metrics=False,
                  monitors=None if monitors else False)
    writer = run._writer
    flush, flush_cpu = writer.flush, [0.0]

    def timed_flush(*args, **kwargs):
        started = time.thread_time()
        try:
            return flush(*args, **kwargs)
        finally:
            flush_cpu[0] += time.thread_time() - started

    writer.flush = timed_flush  # the writer thread's whole job, timed on its own clock
    log = run.log
    start = time.thread_time()
    for i in range(steps):
        v = values[i]
        log({"loss": v, "acc": v, "lr": v, "grad_norm": v, "val": v,
             "m5": v, "m6": v, "m7": v, "m8": v, "m9": v})
    training = time.thread_time() - start
    while writer.lines or writer.rows:
        time.sleep(0.01)
    time.sleep(3 * run.settings.flush_interval)
    writer_cpu = flush_cpu[0]
    run.finish()
    print(json.dumps({"training_us": training / steps * 1e6,
                      "writer_us": writer_cpu / steps * 1e6}))
    """
)


def run_workload(monitors: str, steps: int) -> dict[str, float]:
    with tempfile.TemporaryDirectory() as root:
        env = {**os.environ, "RUNICORN_DIR": root, "RUNICORN_FLUSH_INTERVAL": "0.2"}
        out = subprocess.run(
            [sys.executable, "-c", WORKLOAD, str(steps), monitors, root],
            check=True, capture_output=True, text=True, env=env,
        ).stdout  # fmt: skip
    return json.loads(out.strip().splitlines()[-1])


def isolated_costs_us(batch: int, repeat: int) -> tuple[float, float]:
    """µs per row of the writer's statistics fold, and of the default rules' check on its matrix.

    Both timed alone in this process (best of ``repeat``): on a busy machine whole runs vary by
    more than the check costs, so this is the steady measure of what monitors add to the writer.
    """
    import timeit

    import numpy as np

    from runicorn.monitors import MonitorSet, default_rules
    from runicorn.storage.events import MetricStats

    keys = ["loss", "acc", "lr", "grad_norm", "val", "m5", "m6", "m7", "m8", "m9"]
    rows = [
        {**{key: 1.0 / (i + 1) for key in keys}, "global_step": i + 1, "time": 1.7e9 + i}
        for i in range(batch)
    ]
    matrix = np.array([[row[key] for key in keys] for row in rows])
    steps = np.arange(1, batch + 1, dtype=np.float64)
    monitors = MonitorSet(default_rules())
    number = max(1, 200_000 // batch)
    fold = min(timeit.repeat(lambda: MetricStats().add_batch(rows), number=number, repeat=repeat))
    check = min(
        timeit.repeat(lambda: monitors.check(keys, steps, matrix), number=number, repeat=repeat)
    )
    return fold / number / batch * 1e6, check / number / batch * 1e6


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--steps", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()

    rows: dict[str, list[dict[str, float]]] = {"off": [], "on": []}
    for _ in range(args.repeat):
        for mode in ("off", "on"):
            rows[mode].append(run_workload(mode, args.steps))

    def median(mode: str, key: str) -> float:
        return statistics.median(row[key] for row in rows[mode])

    def spread(mode: str, key: str) -> str:
        values = [row[key] for row in rows[mode]]
        return f"{min(values):.2f}–{max(values):.2f}"

    table = Table(title=f"W1 with monitors: {args.steps:,} steps x 10 scalars "
                        f"(median of {args.repeat})")  # fmt: skip
    for column in ("monitors", "training thread µs/call", "range", "writer thread µs/row",
                   "range"):  # fmt: skip
        table.add_column(column, justify="right")
    for mode, label in (("off", "off (monitors=False)"), ("on", "defaults (NaN/Inf on *loss*)")):
        table.add_row(
            label, f"{median(mode, 'training_us'):.2f}", spread(mode, "training_us"),
            f"{median(mode, 'writer_us'):.2f}", spread(mode, "writer_us"),
        )  # fmt: skip
    console = Console(width=160)
    console.print(table)
    for key, label in (("training_us", "training thread"), ("writer_us", "writer thread")):
        change = median("on", key) / median("off", key) - 1
        console.print(f"{label}: {change:+.1%} with the default monitors")
    for batch in (200, 1000, 5000):
        fold, check = isolated_costs_us(batch, args.repeat)
        console.print(
            f"batches of {batch} rows: statistics fold {fold:.3f} µs/row, default rules' check "
            f"{check:.4f} µs/row (+{check / fold:.1%} of the fold)"
        )
    console.print(
        f"machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}"
    )


if __name__ == "__main__":
    main()
