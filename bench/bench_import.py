"""Importers against each tracker's own reader of the same data.

    .venv/bin/python bench/bench_import.py [--points 1000000] [--runs 1000] [--rounds 3] [--quick]

- TensorBoard: one run of ``--points`` scalars (4 tags, one event per point, as tensorboardX's
  ``add_scalar`` writes them). Anchor: TensorBoard's ``EventAccumulator`` loading every scalar
  (``size_guidance`` 0 = keep all) and handing them out. Ours: ``import_from("tensorboard")``
  into a fresh root (read, write ``events.jsonl``, index).
- MLflow: a SQLite store of ``--runs`` runs (5 params, 2 metrics x 10 steps each). Anchor:
  MLflow's own client listing every run and reading each metric's full history. Ours:
  ``import_from("mlflow")`` into a fresh root.

Generated data is kept under ``--cache`` so later rounds and runs skip making it. The two sides
alternate round by round; medians of ``--rounds``. The ratio is of CPU time (this process's),
the stable figure on a shared machine; wall times are shown too. The goal: within 1.5x.
"""

from __future__ import annotations

import argparse
import math
import os
import platform
import shutil
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from rich.console import Console
from rich.table import Table

from runicorn.importers import import_from

TAGS = ("train/loss", "train/acc", "val/loss", "lr")


def make_tensorboard(folder: Path, points: int) -> Path:
    run = folder / f"tb-{points}" / "resnet"
    if (run.parent / "done").exists():
        return run.parent
    shutil.rmtree(run.parent, ignore_errors=True)
    from tensorboardX import SummaryWriter

    writer = SummaryWriter(str(run), max_queue=10_000, flush_secs=3600)
    for step in range(points // len(TAGS)):
        for index, tag in enumerate(TAGS):
            writer.add_scalar(tag, math.sin(step / 1000 + index), step)
    writer.close()
    (run.parent / "done").touch()
    return run.parent


def make_mlflow(folder: Path, runs: int) -> str:
    path = folder / f"mlflow-{runs}.db"
    uri = f"sqlite:///{path}"
    if path.with_suffix(".done").exists():
        return uri
    path.unlink(missing_ok=True)
    from mlflow.entities import Metric, Param
    from mlflow.tracking import MlflowClient

    client = MlflowClient(tracking_uri=uri)
    experiment = client.create_experiment("sweep")
    base = 1_790_000_000_000
    for index in range(runs):
        run = client.create_run(experiment, run_name=f"trial-{index}")
        params = [Param(f"p{k}", str(index * k)) for k in range(5)]
        metrics = [
            Metric(key, 1.0 / (step + index + 1), base + step * 1000, step)
            for step in range(10)
            for key in ("loss", "acc")
        ]
        client.log_batch(run.info.run_id, metrics=metrics, params=params)
        client.set_terminated(run.info.run_id, "FINISHED")
    path.with_suffix(".done").touch()
    return uri


def tensorboard_own_reader(folder: Path) -> int:
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    accumulator = EventAccumulator(str(folder / "resnet"), size_guidance={"scalars": 0})
    accumulator.Reload()
    return sum(len(accumulator.Scalars(tag)) for tag in accumulator.Tags()["scalars"])


def mlflow_own_reader(uri: str) -> int:
    from mlflow.entities import ViewType
    from mlflow.tracking import MlflowClient

    client = MlflowClient(tracking_uri=uri)
    points = 0
    for experiment in client.search_experiments(view_type=ViewType.ALL):
        token = None
        while True:
            page = client.search_runs(
                [experiment.experiment_id], run_view_type=ViewType.ALL, page_token=token
            )
            for run in page:
                for key in run.data.metrics:
                    points += len(client.get_metric_history(run.info.run_id, key))
            token = page.token
            if not token:
                break
    return points


def compare(
    peer: Callable[[], object], mine: Callable[[], object], rounds: int
) -> tuple[list[float], list[float], list[float], list[float], object, object]:
    """Wall and CPU seconds of ``peer`` and ``mine``, alternated round by round after one untimed
    call of each (imports, page cache), so that a change in the machine's load hits both."""
    peer_points, my_points = peer(), mine()
    peer_wall, peer_cpu, my_wall, my_cpu = [], [], [], []
    for _ in range(rounds):
        for work, wall, cpu in ((peer, peer_wall, peer_cpu), (mine, my_wall, my_cpu)):
            start, start_cpu = time.perf_counter(), time.process_time()
            work()
            wall.append(time.perf_counter() - start)
            cpu.append(time.process_time() - start_cpu)
    return peer_wall, peer_cpu, my_wall, my_cpu, peer_points, my_points


def ours(source: str, location: str) -> Callable[[], object]:
    def work() -> object:
        root = Path(tempfile.mkdtemp(prefix="bench-import-"))
        try:
            report = import_from(source, location, root=root)
            assert not report.failed, report.failed
            return sum(run.points for run in report.imported)
        finally:
            shutil.rmtree(root, ignore_errors=True)

    return work


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--points", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=1000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--quick", action="store_true", help="100k points, 100 runs, 1 round")
    parser.add_argument(
        "--cache", type=Path, default=Path(tempfile.gettempdir()) / "runicorn-bench-import"
    )
    args = parser.parse_args()
    if args.quick:
        args.points, args.runs, args.rounds = 100_000, 100, 1
    args.cache.mkdir(parents=True, exist_ok=True)
    os.environ.setdefault("MLFLOW_ALLOW_FILE_STORE", "true")
    console = Console()

    console.print(f"making data in {args.cache} (once) ...")
    tb_folder = make_tensorboard(args.cache, args.points)
    mlflow_uri = make_mlflow(args.cache, args.runs)

    machine = f"{platform.machine()}, {os.cpu_count()} CPUs, load {os.getloadavg()[0]:.1f}"
    table = Table(title=f"imports (median of {args.rounds}, alternated; {machine})")
    for column in (
        "workload",
        "own reader wall / CPU",
        "runicorn wall / CPU",
        "ratio (CPU)",
        "points",
    ):
        table.add_column(column)
    workloads = [
        (
            f"TensorBoard, {args.points:,} points",
            lambda: tensorboard_own_reader(tb_folder),
            ours("tensorboard", str(tb_folder)),
        ),
        (
            f"MLflow SQLite, {args.runs:,} runs",
            lambda: mlflow_own_reader(mlflow_uri),
            ours("mlflow", mlflow_uri),
        ),
    ]
    for label, peer, mine in workloads:
        peer_wall, peer_cpu, my_wall, my_cpu, peer_points, my_points = compare(
            peer, mine, args.rounds
        )
        median = statistics.median
        table.add_row(
            label,
            f"{median(peer_wall):.2f} / {median(peer_cpu):.2f} s",
            f"{median(my_wall):.2f} / {median(my_cpu):.2f} s",
            f"{median(my_cpu) / median(peer_cpu):.2f}x",
            f"{peer_points:,} / {my_points:,}",
        )
    console.print(table)


if __name__ == "__main__":
    main()
