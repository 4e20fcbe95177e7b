"""Live push to a team server: N training processes, each logging 10 metrics at 100 Hz with
``rn.init(sync=URL)``, against one ``runicorn server`` on PostgreSQL + moto's S3.

    .venv/bin/python bench/bench_push.py [--pushers 8 16 32] [--seconds 20] [--interval 2]
        [--trainer-nice 19]
    .venv/bin/python bench/bench_push.py --server-pass [--passes 100]

For each N: the time from ``run.log`` of a step to the moment the server's run list shows that
step (``last_step``), p50/p95/max over every 10th step of every run, polled every 0.1 s; and
the server process's CPU time per 1,000 points taken in (a point is one metric at one step).
Starts its own PostgreSQL and moto (``tests/fixtures/``); the training processes, the server,
PostgreSQL and moto all share this machine. ``--trainer-nice`` runs the trainers at a lower CPU
priority, closer to the usual layout where they run on other machines. Prints a table.

``--server-pass`` times the server's side of push passes in-process, phase by phase (token
check, state, append, document, commit), for one run growing by 200 steps of 10 metrics per
pass, to show where a pass's time goes and whether it grows with the run.
"""

from __future__ import annotations

import argparse
import functools
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
        nice = ARGS.trainer_nice
        procs.append(
            (
                subprocess.Popen(
                    argv, env=env, stdout=subprocess.PIPE, text=True,
                    preexec_fn=functools.partial(os.nice, nice) if nice else None,
                ),
                out,
            )
        )  # fmt: skip
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


def server_pass(passes: int) -> None:
    """Where a push pass's time goes on the server, called in-process without HTTP."""
    from runicorn.server import push
    from runicorn.server.app import prepare
    from runicorn.server.backend import ServerStorageBackend
    from runicorn.server.config import ServerConfig, StoreLocation
    from runicorn.server.database import Database
    from runicorn.server.ingest import ingest_segment, store_document
    from runicorn.server.users import UserStore
    from runicorn.storage.jsonio import dumps

    os.environ.update(CREDENTIALS)
    postgres, moto = start_postgres(), start_moto()
    try:
        config = ServerConfig(
            database_url=postgres.create_database(),
            store=StoreLocation(moto.new_bucket(), "team"),
            s3_endpoint=moto.endpoint,
            cache_dir=Path(tempfile.mkdtemp(prefix="bench-pass-")),
        )
        prepare(config)
        backend = ServerStorageBackend(config)
        users = UserStore(Database(config.database_url))
        token = users.add("bench", "writer")
        run_id, path = "20261201_000000_bench1", "bench/pass/runs/20261201_000000_bench1"
        meta = {"id": run_id, "project": "bench", "name": "pass", "created_at": time.time()}
        store_document(backend, run_id, path, "meta.json", dumps(meta))
        phases = ("token checks (5)", "state", "append", "status.json", "commit")
        totals = dict.fromkeys(phases, 0.0)
        end, step = 0, 0
        print("| run size | " + " | ".join(phases) + " |\n|" + " --- |" * (len(phases) + 1))
        for done in range(1, passes + 1):
            lines = []
            for _ in range(200):
                step += 1
                data = {"global_step": step, **{f"train/m{k}": step * 1e-3 + k for k in range(10)}}
                lines.append(dumps({"type": "metrics", "ts": time.time(), "data": data}))
            segment = b"\n".join(lines) + b"\n"
            status = dumps({"status": "running", "heartbeat_at": time.time()})
            marks = [time.perf_counter()]
            for _ in range(5):
                users.authenticate(token)
            marks.append(time.perf_counter())
            push._state(backend, [{"id": run_id, "path": path}])
            marks.append(time.perf_counter())
            push._check_run(backend, run_id, path)
            ingest_segment(backend, run_id, path, "events.jsonl", end, segment)
            marks.append(time.perf_counter())
            push._check_run(backend, run_id, path)
            store_document(backend, run_id, path, "status.json", status)
            marks.append(time.perf_counter())
            push._check_run(backend, run_id, path)
            push._commit(backend, run_id, path)
            marks.append(time.perf_counter())
            took = {phase: marks[i + 1] - marks[i] for i, phase in enumerate(phases)}
            for phase in phases:
                totals[phase] += took[phase]
            end += len(segment)
            if done in (1, passes // 2, passes):
                cells = " | ".join(f"{took[p] * 1000:.1f} ms" for p in phases)
                print(f"| {end / 1e6:.1f} MB (pass {done}) | {cells} |")
        cells = " | ".join(f"{totals[p] / passes * 1000:.1f} ms" for p in phases)
        print(f"| mean over {passes} passes | {cells} |")
        backend.close()
    finally:
        stop_moto(moto)
        stop_postgres(postgres)


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
          f"trainers at nice {ARGS.trainer_nice}, {os.cpu_count()} CPUs shared by everything, "
          f"load average {os.getloadavg()[0]:.1f} at the end\n")  # fmt: skip
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
    parser.add_argument("--trainer-nice", type=int, default=0, help="os.nice of the trainers")
    parser.add_argument("--server-pass", action="store_true", help="time a pass in-process")
    parser.add_argument("--passes", type=int, default=100)
    ARGS = parser.parse_args()
    if ARGS.server_pass:
        server_pass(ARGS.passes)
    else:
        main()
