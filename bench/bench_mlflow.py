"""Issue 14's team-server workloads against MLflow's tracking server on the same PostgreSQL 15
and moto S3, with MLflow's own client, for the "Team server vs MLflow" table.

    .venv/bin/python bench/bench_mlflow.py [--runs 100000] [--points 1000000]
        [--pushers 8 16 32] [--seconds 20] [--buffer-seconds 2] [--logged-points 50000]
        [--workers 4] [--mlflow-python /work/mlflow-venv/bin/python]

Measured with mlflow 3.17.2 (full package: the tracking server is not in mlflow-skinny, the
extra in our pyproject). It lives in its own venv outside the repo so our pinned dependencies
stay untouched, and is deliberately not a dependency of ours:

    python3 -m venv /work/mlflow-venv
    /work/mlflow-venv/bin/pip install mlflow==3.17.2 psycopg2-binary boto3

This process starts PostgreSQL and moto exactly as our benches do (``tests/fixtures/``), then
``mlflow server --backend-store-uri postgresql+psycopg2://… --artifacts-destination s3://…``
with ``MLFLOW_S3_ENDPOINT_URL`` pointing at moto, on a free loopback port and MLflow's default
worker count. Every MLflow call runs in the MLflow venv as a subprocess script.

- Runs: MLflow creates its schema on start; the 100,000 runs (the same values as
  ``bench_server.make_runs``) are written with COPY into its ``runs``, ``params``, ``tags``,
  ``metrics`` and ``latest_metrics`` tables, row for row what ``mlflow.start_run`` +
  ``log_params`` + ``log_metrics`` + ``set_tag`` write (checked against a run logged through
  the client first), then ``VACUUM ANALYZE``. Queries are timed both through
  ``MlflowClient.search_runs`` over HTTP and straight on ``SqlAlchemyStore.search_runs`` (the
  layer our ``list_runs`` figures are taken at); median of 7 after a warm-up. MLflow has no
  count, so a "count" pages through every match (50,000 a page), timed once (20–60 s each).
- Live logging: N processes, each a run logging 10 metrics at 100 Hz with
  ``mlflow.log_metrics(..., synchronous=False)`` (MLflow's async logging, its advice for
  frequent logging) and ``MLFLOW_ASYNC_LOGGING_BUFFERING_SECONDS=2`` (its batching window, the
  same 2 s as our push interval; without it every call is one request); log → visible is
  polled every 0.1 s on ``runs/search`` (the latest step of ``train/m0``); CPU of the server's
  whole process tree and of PostgreSQL per 1,000 points.
- 1M points of one metric: the first 50,000 logged (and timed) with ``MlflowClient.log_batch``,
  1,000 per call; the rest COPYed into ``metrics`` as ``log_batch`` writes them (logging all
  of it through the client takes 4–10 min here). Read back with
  ``MlflowClient.get_metric_history``: cold after restarting PostgreSQL and the server (each
  server worker answers a small search first, so "cold" is the data, not process start-up),
  then warm once.
- Ours over HTTP (``--systems runicorn``): the same runs and series in one ``runicorn server``
  on the same cluster and moto, through ``/api/v2/experiments`` and ``/api/metrics/{id}``
  (every point), since ``bench_server.py`` times ours in-process.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import textwrap
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import psutil
import psycopg

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tests" / "fixtures"))
sys.path.insert(0, str(REPO / "bench"))

from postgres import PostgresServer, free_port, start_postgres, stop_postgres  # noqa: E402
from s3 import CREDENTIALS, start_moto, stop_moto  # noqa: E402
from team_server import TeamServer  # noqa: E402

from bench_server import make_runs, write_events  # noqa: E402
from runicorn.server.app import prepare  # noqa: E402
from runicorn.server.backend import ServerStorageBackend  # noqa: E402
from runicorn.server.config import ServerConfig, StoreLocation  # noqa: E402
from runicorn.server.ingest import ingest_root  # noqa: E402

MLFLOW_VERSION = "3.17.2"
KEYS_PER_STEP = 10
RATE_HZ = 100
BUCKET = "mlflow-bench"


def load() -> str:
    return " ".join(Path("/proc/loadavg").read_text().split()[:3])


def tree_cpu(process: psutil.Process) -> float:
    """User + system seconds of a process, its live descendants and the children it reaped."""
    try:
        times = process.cpu_times()
        total = times.user + times.system + times.children_user + times.children_system
        return total + sum(tree_cpu(child) for child in process.children())
    except psutil.NoSuchProcess:
        return 0.0


@dataclass
class MlflowServer:
    """One ``mlflow server`` (uvicorn with its workers, plus its job runner) in its own
    session, so stopping it reaches every process it started."""

    python: Path
    database_url: str
    endpoint: str
    workers: int = 4
    port: int = 0
    proc: subprocess.Popen[bytes] | None = None
    log: Path = field(default_factory=lambda: Path(tempfile.mkstemp(suffix=".log")[1]))

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        self.port = self.port or free_port()
        argv = [
            str(self.python.with_name("mlflow")), "server", "--backend-store-uri",
            self.database_url, "--artifacts-destination", f"s3://{BUCKET}/mlflow",
            "--host", "127.0.0.1", "--port", str(self.port), "--workers", str(self.workers),
        ]  # fmt: skip
        env = {**os.environ, **CREDENTIALS, "MLFLOW_S3_ENDPOINT_URL": self.endpoint}
        self.log.write_bytes(b"")
        with open(self.log, "ab") as log:
            self.proc = subprocess.Popen(
                argv, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
            )
        deadline = time.monotonic() + 120
        while True:
            started = self.log.read_text(errors="replace").count("Application startup complete")
            if started >= self.workers:
                try:
                    if httpx.get(f"{self.url}/health", timeout=2).status_code == 200:
                        return
                except httpx.HTTPError:
                    pass
            if self.proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"mlflow server did not start, see {self.log}")
            time.sleep(0.2)

    def stop(self) -> None:
        if self.proc is None:
            return
        self.proc.terminate()
        try:
            self.proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.proc.pid, signal.SIGKILL)  # its leftover workers and job consumers
        self.proc = None

    def cpu(self) -> float:
        return tree_cpu(psutil.Process(self.proc.pid)) if self.proc else 0.0


def postgres_cpu(postgres: PostgresServer) -> float:
    pid = int((postgres.data / "postmaster.pid").read_text().split()[0])
    return tree_cpu(psutil.Process(pid))


def run_client(python: Path, script: str, *args: str, timeout: float = 1800) -> Any:
    """Run ``script`` in the MLflow venv; its last stdout line is JSON."""
    env = {**os.environ, **CREDENTIALS, "MLFLOW_S3_ENDPOINT_URL": os.environ["BENCH_S3"]}
    done = subprocess.run(
        [str(python), "-c", script, *args], env=env, capture_output=True, text=True,
        timeout=timeout,
    )  # fmt: skip
    if done.returncode != 0:
        raise RuntimeError(f"MLflow client script failed:\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def create_experiment(server: MlflowServer, name: str) -> str:
    reply = httpx.post(
        f"{server.url}/api/2.0/mlflow/experiments/create", json={"name": name}, timeout=60
    )
    reply.raise_for_status()
    return str(reply.json()["experiment_id"])


def insert_runs(database_url: str, experiment_id: str, count: int) -> float:
    """COPY ``count`` runs into MLflow's tables as its client would have logged them."""
    run_columns = (
        "run_uuid, name, source_type, source_name, entry_point_name, user_id, status, "
        "start_time, end_time, source_version, lifecycle_stage, artifact_uri, experiment_id"
    )
    started = time.perf_counter()
    runs = make_runs(count)
    rows: dict[str, list[tuple[Any, ...]]] = {
        "runs": [], "params": [], "tags": [], "metrics": [], "latest_metrics": []
    }  # fmt: skip
    for index, record in enumerate(runs):
        run_id = uuid.UUID(int=index + 1).hex
        begin, end = int(record.created_at * 1000), int((record.ended_at or 0) * 1000)
        rows["runs"].append(
            (run_id, record.name, "UNKNOWN", "", "", "root", "FINISHED", begin, end, "",
             "active", f"mlflow-artifacts:/{experiment_id}/{run_id}/artifacts",
             int(experiment_id))
        )  # fmt: skip
        config = record.config
        params = {
            "lr": config["lr"], "batch_size": config["batch_size"],
            "optimizer.name": config["optimizer"]["name"], "weight decay": config["weight decay"],
        }  # fmt: skip
        rows["params"] += [(key, str(value), run_id) for key, value in params.items()]
        tags = {
            "mlflow.user": "root", "mlflow.source.name": "train.py",
            "mlflow.source.type": "LOCAL", "mlflow.runName": record.name,
            "suite": record.tags[0], "group": record.tags[1],
        }  # fmt: skip
        rows["tags"] += [(key, value, run_id) for key, value in tags.items()]
        values = {**record.summary, "loss": record.metrics["loss"].last}
        for key, value in values.items():
            rows["metrics"].append((key, value, end, run_id, record.last_step, False))
            rows["latest_metrics"].append((key, value, end, record.last_step, False, run_id))
    columns = {
        "runs": run_columns,
        "params": "key, value, run_uuid",
        "tags": "key, value, run_uuid",
        "metrics": "key, value, timestamp, run_uuid, step, is_nan",
        "latest_metrics": "key, value, timestamp, step, is_nan, run_uuid",
    }
    with psycopg.connect(database_url) as conn:
        with conn.cursor() as cursor:
            for table, table_rows in rows.items():
                with cursor.copy(f"COPY {table} ({columns[table]}) FROM STDIN") as copy:
                    for row in table_rows:
                        copy.write_row(row)
        conn.commit()
    with psycopg.connect(database_url, autocommit=True) as conn:
        conn.execute("VACUUM ANALYZE")
    return time.perf_counter() - started


SEARCH = textwrap.dedent(
    """
    import json, statistics, sys, time
    from mlflow import MlflowClient
    from mlflow.entities import ViewType
    from mlflow.store.tracking.sqlalchemy_store import SqlAlchemyStore
    uri, database, experiment, queries, repeat = sys.argv[1:6]
    client = MlflowClient(uri)
    store = SqlAlchemyStore(database, "mlflow-artifacts:/")

    def page(search, query):
        found = search(experiment_ids=[experiment], filter_string=query["filter"],
                       order_by=query["order_by"], max_results=query["max_results"],
                       run_view_type=ViewType.ACTIVE_ONLY)
        return len(found)

    def count(search, query):
        total, token = 0, None
        while True:
            found = search(experiment_ids=[experiment], filter_string=query["filter"],
                           max_results=50000, page_token=token,
                           run_view_type=ViewType.ACTIVE_ONLY)
            total += len(found)
            token = found.token
            if not token:
                return total

    def timed(action, repeat, warm_up):
        if warm_up:
            action()
        samples = []
        for _ in range(repeat):
            start = time.perf_counter()
            matches = action()
            samples.append(time.perf_counter() - start)
        return statistics.median(samples), matches

    for _ in range(16):  # every server worker sets up its store on its first request
        client.search_runs([experiment], max_results=1)
    results = {}
    for query in json.loads(queries):
        how = count if query.get("count") else page
        counting = bool(query.get("count"))  # slow: no warm-up, the pages warmed the caches
        times = 1 if counting else int(repeat)
        row = {}
        for side, search in (("client", client.search_runs), ("store", store.search_runs)):
            row[side], row["matches"] = timed(lambda: how(search, query), times, not counting)
        results[query["label"]] = row
    print(json.dumps(results))
    """
)


def bench_runs(server: MlflowServer, args: argparse.Namespace, database_url: str) -> list[str]:
    experiment = create_experiment(server, "runs-100k")
    seconds = insert_runs(database_url, experiment, args.runs)
    lines = [f"| insert {args.runs:,} runs (COPY into MLflow's tables) | {seconds:,.1f} s | "
             f"{load()} |"]  # fmt: skip
    lr_and_acc = "params.lr LIKE '0.000%' AND metrics.acc > 0.5"
    tag_and_param = "tags.group = 'baseline' AND params.`optimizer.name` = 'adam'"
    queries = [
        {"label": "page of 50, newest first", "filter": "", "order_by": None, "max_results": 50},
        {"label": "page of 50 sorted by metrics.acc DESC", "filter": "",
         "order_by": ["metrics.acc DESC"], "max_results": 50},
        {"label": f"first page of 50 matching `{lr_and_acc}`", "filter": lr_and_acc,
         "order_by": None, "max_results": 50},
        {"label": f"first page of 50 matching `{tag_and_param}`", "filter": tag_and_param,
         "order_by": None, "max_results": 50},
        {"label": f"count `{lr_and_acc}` (page through every match)", "filter": lr_and_acc,
         "count": True},
        {"label": f"count `{tag_and_param}` (page through every match)", "filter": tag_and_param,
         "count": True},
    ]  # fmt: skip
    sqlalchemy_url = database_url.replace("postgresql://", "postgresql+psycopg2://")
    results = run_client(
        args.mlflow_python, SEARCH, server.url, sqlalchemy_url, experiment, json.dumps(queries),
        str(args.repeat),
    )  # fmt: skip
    for label, row in results.items():
        lines.append(
            f"| {args.runs:,} runs: {label} | client {row['client'] * 1000:,.1f} ms, "
            f"store {row['store'] * 1000:,.1f} ms ({row['matches']:,} runs) | {load()} |"
        )
        print(lines[-1], flush=True)
    return lines


TRAINER = textwrap.dedent(
    """
    import json, sys, time
    import mlflow
    uri, experiment, seconds, index, out = sys.argv[1:6]
    mlflow.set_tracking_uri(uri)
    run = mlflow.start_run(experiment_id=experiment, run_name=f"pusher-{index}")
    mlflow.log_params({"batch_size": 64, "optimizer.betas": "[0.9, 0.99]"})
    print(run.info.run_id, flush=True)
    logged = {}
    start = time.perf_counter()
    step = 0
    while time.perf_counter() - start < float(seconds):
        step += 1
        mlflow.log_metrics({f"train/m{k}": step * 0.001 + k for k in range(10)}, step=step,
                           synchronous=False)
        if step % 10 == 0:
            logged[step] = time.time()
        delay = start + step / 100 - time.perf_counter()
        if delay > 0:
            time.sleep(delay)
    mlflow.end_run()
    with open(out, "w") as handle:
        json.dump({"id": run.info.run_id, "steps": step, "logged": logged}, handle)
    """
)


def poll(
    client: httpx.Client, experiment: str, limit: int, first_seen: dict[str, dict[int, float]]
) -> dict[str, int]:
    now = time.time()
    try:
        reply = client.post(
            "/api/2.0/mlflow/runs/search",
            json={"experiment_ids": [experiment], "max_results": limit},
        )
        reply.raise_for_status()
    except httpx.HTTPError:
        return {}  # an overloaded server: nothing seen on this poll
    seen = {}
    for run in reply.json().get("runs", []):
        steps = first_seen.get(run["info"]["run_id"])
        if steps is None:
            continue
        last = max(
            (int(m.get("step", 0)) for m in run["data"].get("metrics", [])
             if m["key"] == "train/m0"),
            default=0,
        )  # fmt: skip
        seen[run["info"]["run_id"]] = last
        if last and last not in steps:
            steps[last] = now
    return seen


def bench_live(
    server: MlflowServer, postgres: PostgresServer, args: argparse.Namespace, pushers: int,
    work: Path, database_url: str,
) -> dict[str, Any]:  # fmt: skip
    experiment = create_experiment(server, f"live-{pushers}")
    env = {**os.environ, **CREDENTIALS, "MLFLOW_S3_ENDPOINT_URL": os.environ["BENCH_S3"]}
    if args.buffer_seconds:
        env["MLFLOW_ASYNC_LOGGING_BUFFERING_SECONDS"] = str(args.buffer_seconds)
    procs = []
    for index in range(pushers):
        out = work / f"trainer-{pushers}-{index}.json"
        argv = [str(args.mlflow_python), "-c", TRAINER, server.url, experiment,
                str(args.seconds), str(index), str(out)]  # fmt: skip
        procs.append((subprocess.Popen(argv, env=env, stdout=subprocess.PIPE, text=True), out))
    ids = [p.stdout.readline().strip() for p, _ in procs if p.stdout is not None]
    server_before, postgres_before = server.cpu(), postgres_cpu(postgres)
    psutil.cpu_percent()
    load_during = ""
    first_seen: dict[str, dict[int, float]] = {run_id: {} for run_id in ids}
    with httpx.Client(base_url=server.url, timeout=30) as client:
        while any(p.poll() is None for p, _ in procs):
            poll(client, experiment, pushers + 10, first_seen)
            load_during = load()
            time.sleep(0.1)
        results = [json.loads(out.read_text()) for _, out in procs if out.exists()]
        final = {r["id"]: r["steps"] for r in results}
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            seen = poll(client, experiment, pushers + 10, first_seen)
            if all(seen.get(run_id, 0) >= steps for run_id, steps in final.items()):
                break
            time.sleep(0.1)
    server_cpu = server.cpu() - server_before
    database_cpu = postgres_cpu(postgres) - postgres_before
    machine_busy = psutil.cpu_percent()
    latencies = []
    missing = 0
    for result in results:
        seen_at = sorted(first_seen[result["id"]].items())
        for step_text, logged_at in result["logged"].items():
            visible = next((t for s, t in seen_at if s >= int(step_text)), None)
            if visible is None:
                missing += 1
            else:
                latencies.append(max(0.0, visible - logged_at))
    with psycopg.connect(database_url) as conn:
        stored = conn.execute(
            "SELECT count(*) FROM metrics JOIN runs USING (run_uuid) WHERE experiment_id = %s",
            (int(experiment),),
        ).fetchone()
    points = sum(final.values()) * KEYS_PER_STEP
    latencies.sort()
    return {
        "pushers": pushers,
        "points": points,
        "stored": stored[0] if stored else 0,
        "missing": missing,
        "failed_trainers": pushers - len(results),
        "p50": statistics.median(latencies),
        "p95": latencies[int(0.95 * (len(latencies) - 1))],
        "max": latencies[-1],
        "server_ms": server_cpu / points * 1e6,
        "postgres_ms": database_cpu / points * 1e6,
        "machine_busy": machine_busy,
        "load": load_during,
    }


INGEST = textwrap.dedent(
    """
    import json, sys, time
    from mlflow import MlflowClient
    from mlflow.entities import Metric
    uri, experiment, points = sys.argv[1], sys.argv[2], int(sys.argv[3])
    client = MlflowClient(uri)
    run = client.create_run(experiment, run_name="read")
    t0 = int(time.time() * 1000) - 10_000_000
    start = time.perf_counter()
    for first in range(1, points + 1, 1000):
        batch = [Metric("loss", 1.0 / step, t0 + step * 10, step)
                 for step in range(first, min(first + 1000, points + 1))]
        client.log_batch(run.info.run_id, metrics=batch)
    seconds = time.perf_counter() - start
    client.set_terminated(run.info.run_id)
    print(json.dumps({"run_id": run.info.run_id, "seconds": seconds, "t0": t0}))
    """
)

READ = textwrap.dedent(
    """
    import json, statistics, sys, time
    from mlflow import MlflowClient
    uri, run_id, experiment = sys.argv[1], sys.argv[2], sys.argv[3]
    client = MlflowClient(uri)
    for _ in range(16):  # every restarted server worker sets up its store before the cold read
        client.search_runs([experiment], max_results=1)
    def read():
        start = time.perf_counter()
        history = client.get_metric_history(run_id, "loss")
        return time.perf_counter() - start, len(history)
    cold, count = read()
    warm = read()[0]
    print(json.dumps({"cold": cold, "warm": warm, "points": count}))
    """
)


def copy_points(database_url: str, run_id: str, t0: int, first: int, last: int) -> None:
    """The rest of the series, rows as ``log_batch`` writes them, and the latest value."""
    with psycopg.connect(database_url) as conn:
        with conn.cursor() as cursor:
            sql = "COPY metrics (key, value, timestamp, run_uuid, step, is_nan) FROM STDIN"
            with cursor.copy(sql) as copy:
                for step in range(first, last + 1):
                    copy.write_row(("loss", 1.0 / step, t0 + step * 10, run_id, step, False))
            cursor.execute(
                "UPDATE latest_metrics SET value = %s, timestamp = %s, step = %s "
                "WHERE run_uuid = %s AND key = 'loss'",
                (1.0 / last, t0 + last * 10, last, run_id),
            )
        conn.commit()
    with psycopg.connect(database_url, autocommit=True) as conn:
        conn.execute("VACUUM ANALYZE metrics")


def bench_points(
    server: MlflowServer, postgres: PostgresServer, args: argparse.Namespace, database_url: str
) -> list[str]:
    experiment = create_experiment(server, "read-1m")
    logged = min(args.points, args.logged_points)
    ingest = run_client(args.mlflow_python, INGEST, server.url, experiment, str(logged))
    lines = [f"| log {logged:,} points of one metric (`log_batch`, 1,000 per call) | "
             f"{ingest['seconds']:,.1f} s ({logged / ingest['seconds']:,.0f} points/s) | "
             f"{load()} |"]  # fmt: skip
    print(lines[-1], flush=True)
    copy_points(database_url, ingest["run_id"], ingest["t0"], logged + 1, args.points)
    server.stop()
    postgres.restart()
    server.start()
    read = run_client(args.mlflow_python, READ, server.url, ingest["run_id"], experiment)
    lines.append(
        f"| {read['points']:,} points, `get_metric_history` cold (after restarting PostgreSQL "
        f"and the server) / warm | {read['cold']:,.2f} s / {read['warm']:,.2f} s | {load()} |"
    )
    print(lines[-1], flush=True)
    return lines


def bench_runicorn_http(
    postgres: PostgresServer, endpoint: str, args: argparse.Namespace, work: Path
) -> list[str]:
    """Our side over HTTP, the way MLflow's client reaches its server: one ``runicorn server``
    process, the same runs and the same 1M-point series, read through ``/api/v2/experiments``
    and ``/api/metrics/{id}`` (every point, no downsampling)."""
    config = ServerConfig(
        postgres.create_database(), StoreLocation("rn-bench-http", "team"), endpoint,
        work / "ingest-cache",
    )  # fmt: skip
    prepare(config)
    backend = ServerStorageBackend(config)
    run_id = "20260101_000000_bench1"
    try:
        if args.runs:
            runs = make_runs(args.runs)
            for offset in range(0, args.runs, 20_000):
                backend.index.bulk_insert_runs(runs[offset : offset + 20_000])
            with psycopg.connect(config.database_url, autocommit=True) as conn:
                conn.execute("VACUUM ANALYZE")
        if args.points:
            root = work / "local"
            write_events(root / "bench" / "read" / "runs" / run_id / "events.jsonl", args.points)
            ingest_root(backend, root)
    finally:
        backend.close()
    server = TeamServer(
        config.database_url, "s3://rn-bench-http/team", endpoint, work / "server-cache",
        dict(os.environ),
    )  # fmt: skip
    server.start()
    lines = []
    try:
        token = server.add_user("bench", "admin")
        headers = {"Authorization": f"Bearer {token}"}
        with httpx.Client(base_url=server.url, headers=headers, timeout=300) as client:
            if args.runs:
                queries = {
                    "page of 50, newest first": {"limit": 50},
                    "page of 50 sorted by -summary.acc": {"sort": "-summary.acc", "limit": 50},
                    "count `config.lr < 1e-3 and summary.acc > 0.5`": {
                        "filter": "config.lr < 1e-3 and summary.acc > 0.5", "limit": 1},
                    "count `tag:baseline and config.optimizer.name = adam`": {
                        "filter": "tag:baseline and config.optimizer.name = adam", "limit": 1},
                }  # fmt: skip
                for label, query in queries.items():
                    samples = []
                    for _ in range(args.repeat + 1):
                        start = time.perf_counter()
                        reply = client.get("/api/v2/experiments", params=query)
                        reply.raise_for_status()
                        samples.append(time.perf_counter() - start)
                    lines.append(
                        f"| runicorn HTTP, {args.runs:,} runs: {label} | "
                        f"{statistics.median(samples[1:]) * 1000:,.1f} ms "
                        f"({reply.json()['total']:,} runs) | {load()} |"
                    )
                    print(lines[-1], flush=True)
            if args.points:
                params = {"keys": "loss", "max_points": args.points}
                reads = []
                for _ in range(2):
                    start = time.perf_counter()
                    reply = client.get(f"/api/metrics/{run_id}", params=params)
                    reply.raise_for_status()
                    reads.append(time.perf_counter() - start)
                count = len(reply.json()["series"]["loss"]["y"])
                lines.append(
                    f"| runicorn HTTP, {count:,} points, `/api/metrics` cold (empty server "
                    f"cache) / warm | {reads[0]:,.2f} s / {reads[1]:,.2f} s | {load()} |"
                )
                print(lines[-1], flush=True)
    finally:
        server.stop()
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=100_000, help="0 skips the search workload")
    parser.add_argument("--points", type=int, default=1_000_000, help="0 skips the read")
    parser.add_argument("--pushers", type=int, nargs="*", default=[8, 16, 32])
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument(
        "--systems",
        nargs="+",
        choices=["mlflow", "runicorn"],
        default=["mlflow", "runicorn"],
        help="runicorn: the same searches and read over our server's HTTP API",
    )
    parser.add_argument(
        "--logged-points",
        type=int,
        default=50_000,
        help="how many of --points go through log_batch (timed); the rest by COPY",
    )
    parser.add_argument(
        "--buffer-seconds", type=int, default=2,
        help="MLFLOW_ASYNC_LOGGING_BUFFERING_SECONDS of the trainers (0: one request per log)",
    )  # fmt: skip
    parser.add_argument("--workers", type=int, default=4, help="mlflow server --workers")
    parser.add_argument(
        "--mlflow-python", type=Path, default=Path("/work/mlflow-venv/bin/python"),
        help=f"python of a venv with mlflow=={MLFLOW_VERSION}, psycopg2-binary and boto3",
    )  # fmt: skip
    args = parser.parse_args()
    os.environ.update(CREDENTIALS)
    work = Path(tempfile.mkdtemp(prefix="bench-mlflow-"))
    postgres = start_postgres()
    moto = start_moto()
    os.environ["BENCH_S3"] = moto.endpoint
    moto.create_bucket(BUCKET)
    database_url = postgres.create_database()
    server = MlflowServer(
        args.mlflow_python, database_url.replace("postgresql://", "postgresql+psycopg2://"),
        moto.endpoint, args.workers,
    )  # fmt: skip
    lines: list[str] = []
    live = []
    try:
        if "mlflow" in args.systems:
            server.start()
            if args.runs:
                lines += bench_runs(server, args, database_url)
            for pushers in args.pushers:
                live.append(bench_live(server, postgres, args, pushers, work, database_url))
                print(live[-1], flush=True)
            if args.points:
                lines += bench_points(server, postgres, args, database_url)
            server.stop()
        if "runicorn" in args.systems:
            lines += bench_runicorn_http(postgres, moto.endpoint, args, work)
    finally:
        server.stop()
        stop_moto(moto)
        stop_postgres(postgres)
    print(f"\nmlflow {MLFLOW_VERSION}, {os.cpu_count()} CPUs shared by everything\n")
    print("| workload | result | load average |\n| --- | --- | --- |")
    print("\n".join(lines))
    print(
        "\n| pushers (points/s) | log → visible p50 / p95 / max | server CPU per 1,000 points "
        "| PostgreSQL CPU per 1,000 points | machine busy | load |"
    )
    print("| --- | --- | --- | --- | --- | --- |")
    for r in live:
        print(
            f"| {r['pushers']} ({r['pushers'] * KEYS_PER_STEP * RATE_HZ:,}) | "
            f"{r['p50']:.2f} / {r['p95']:.2f} / {r['max']:.2f} s | {r['server_ms']:.1f} ms | "
            f"{r['postgres_ms']:.1f} ms | {r['machine_busy']:.0f} % | {r['load']} |"
        )
        print(
            f"  points {r['points']:,}, stored {r['stored']:,}, steps never seen "
            f"{r['missing']}, trainers that failed {r['failed_trainers']}"
        )


if __name__ == "__main__":
    main()
