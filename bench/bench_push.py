"""Live push to a team server: N training processes, each logging 10 metrics at 100 Hz with
``rn.init(sync=URL)``, against one ``runicorn server`` on PostgreSQL + moto's S3.

    .venv/bin/python bench/bench_push.py [--pushers 8 16 32] [--seconds 20] [--interval 2]

For each N: the time from ``run.log`` of a step to the moment the server's run list shows that
step (``last_step``), p50/p95/max over every 10th step of every run, polled every 0.1 s; and
the server process's CPU time per 1,000 points taken in (a point is one metric at one step).
Starts its own PostgreSQL and moto (``tests/fixtures/``); the training processes, the server,
PostgreSQL and moto all share this machine. Prints a table.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path
from typing import Any

import httpx
import psutil

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tests" / "fixtures"))

from postgres import start_postgres, stop_postgres  # noqa: E402
from s3 import CREDENTIALS, start_moto, stop_moto  # noqa: E402
from team_server import TeamServer  # noqa: E402

KEYS_PER_STEP = 10
RATE_HZ = 100

TRAINER = textwrap.dedent(
    """
    import json, sys, time
    import runicorn as rn
    root, seconds, index, out = sys.argv[1], float(sys.argv[2]), sys.argv[3], sys.argv[4]
    run = rn.init(project="bench", name=f"pusher-{index}", storage=root,
                  config={"batch_size": 64, "optimizer": {"betas": [0.9, 0.99]}},
                  system_metrics=False, capture_console=False, capture_env=False)
    print(run.id, flush=True)
    logged = {}
    start = time.perf_counter()
    step = 0
    while time.perf_counter() - start < seconds:
        step += 1
        run.log({f"train/m{k}": step * 0.001 + k for k in range(10)}, step=step)
        if step % 10 == 0:
            logged[step] = time.time()
        next_at = start + step / 100
        delay = next_at - time.perf_counter()
        if delay > 0:
            time.sleep(delay)
    run.finish()
    with open(out, "w") as handle:
        json.dump({"id": run.id, "steps": step, "logged": logged}, handle)
    """
)


def measure(
    server: TeamServer, token: str, pushers: int, seconds: float, work: Path
) -> dict[str, Any]:
    env = {
        **os.environ, **CREDENTIALS, "RUNICORN_SYNC_URL": server.url, "RUNICORN_TOKEN": token,
        "RUNICORN_SYNC_INTERVAL": str(ARGS.interval),
    }  # fmt: skip
    root = work / f"root-{pushers}"
    procs = []
    for index in range(pushers):
        out = work / f"trainer-{pushers}-{index}.json"
        argv = [sys.executable, "-c", TRAINER, str(root), str(seconds), str(index), str(out)]
        procs.append((subprocess.Popen(argv, env=env, stdout=subprocess.PIPE, text=True), out))
    ids = [p.stdout.readline().strip() for p, _ in procs if p.stdout is not None]
    server_proc = psutil.Process(server.proc.pid if server.proc else 0)
    cpu_before = sum(server_proc.cpu_times()[:2])
    psutil.cpu_percent()  # starts the machine-wide busy measurement
    first_seen: dict[str, dict[int, float]] = {run_id: {} for run_id in ids}
    headers = {"Authorization": f"Bearer {token}"}
    with httpx.Client(base_url=server.url, headers=headers, timeout=30) as client:
        while any(p.poll() is None for p, _ in procs):
            _poll(client, pushers, first_seen)
            time.sleep(0.1)
        deadline = time.monotonic() + 60
        results = [json.loads(out.read_text()) for _, out in procs]
        final = {r["id"]: r["steps"] for r in results}
        while time.monotonic() < deadline:
            seen = _poll(client, pushers, first_seen)
            if all(seen.get(run_id, 0) >= steps for run_id, steps in final.items()):
                break
            time.sleep(0.1)
    cpu = sum(server_proc.cpu_times()[:2]) - cpu_before
    machine_busy = psutil.cpu_percent()
    latencies = []
    for result in results:
        seen_at = sorted(first_seen[result["id"]].items())
        for step_text, logged_at in result["logged"].items():
            step = int(step_text)
            visible = next((t for s, t in seen_at if s >= step), None)
            if visible is not None:
                latencies.append(max(0.0, visible - logged_at))
    points = sum(final.values()) * KEYS_PER_STEP
    latencies.sort()
    return {
        "pushers": pushers,
        "points": points,
        "samples": len(latencies),
        "expected": sum(len(r["logged"]) for r in results),
        "p50": statistics.median(latencies),
        "p95": latencies[int(0.95 * (len(latencies) - 1))],
        "max": latencies[-1],
        "cpu_per_1000": cpu / points * 1000,
        "cpu": cpu,
        "machine_busy": machine_busy,
    }


def _poll(
    client: httpx.Client, pushers: int, first_seen: dict[str, dict[int, float]]
) -> dict[str, int]:
    now = time.time()
    items = client.get("/api/experiments", params={"limit": pushers + 10}).json()["items"]
    seen = {}
    for item in items:
        steps = first_seen.get(item["id"])
        if steps is None:
            continue
        last = int(item.get("last_step") or 0)
        seen[item["id"]] = last
        if last and last not in steps:
            steps[last] = now
    return seen


def main() -> None:
    os.environ.update(CREDENTIALS)
    work = Path(tempfile.mkdtemp(prefix="bench-push-"))
    postgres = start_postgres()
    moto = start_moto()
    rows = []
    try:
        for pushers in ARGS.pushers:
            server = TeamServer(
                postgres.create_database(), f"s3://{moto.new_bucket()}/team", moto.endpoint,
                work / f"cache-{pushers}", dict(os.environ),
            )  # fmt: skip
            server.start()
            try:
                token = server.add_user("bench", "writer")
                rows.append(measure(server, token, pushers, ARGS.seconds, work))
            finally:
                server.stop()
            print(rows[-1], flush=True)
    finally:
        stop_moto(moto)
        stop_postgres(postgres)
    print(f"\n{ARGS.seconds:.0f} s of training per pusher, push interval {ARGS.interval} s, "
          f"{os.cpu_count()} CPUs shared by everything\n")  # fmt: skip
    print(
        "| pushers | points | log → visible p50 / p95 / max | server CPU per 1,000 points "
        "| machine CPU busy |"
    )
    print("| --- | --- | --- | --- | --- |")
    for r in rows:
        print(
            f"| {r['pushers']} | {r['points']:,} | {r['p50']:.2f} / {r['p95']:.2f} / "
            f"{r['max']:.2f} s | {r['cpu_per_1000'] * 1000:.1f} ms | {r['machine_busy']:.0f} % |"
        )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pushers", type=int, nargs="+", default=[8])
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--interval", type=float, default=2.0)
    ARGS = parser.parse_args()
    main()
