"""Artifacts pushed to a team server: a large model checkpoint over ``runicorn sync``'s push
(blobs by hash, streamed, verified on arrival), the same push again, and the download.

    .venv/bin/python bench/bench_server_artifacts.py [--mib 256 1024]

Starts its own PostgreSQL 15, moto's S3 server and one ``runicorn server`` process (as the
tests do). Per size: the checkpoint is logged with ``run.log_model`` into a fresh root, pushed
with :func:`push_root` (the call behind ``runicorn sync ROOT URL``), pushed again unchanged,
then downloaded from ``/api/artifacts/…/files/…``. The server's peak resident memory
(``VmHWM``) is read before and after, to show that a blob's size does not reach memory.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

import httpx
from rich.console import Console
from rich.table import Table

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "fixtures"))

from postgres import start_postgres, stop_postgres
from s3 import CREDENTIALS, start_moto, stop_moto
from team_server import TeamServer, server_env

import runicorn as rn
from runicorn.manifest.http_push import push_root

console = Console(width=120)


def peak_kib(pid: int) -> int:
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith("VmHWM"):
                return int(line.split()[1])
    return 0


def checkpoint(path: Path, mib: int) -> None:
    with open(path, "wb") as out:
        for _ in range(mib):
            out.write(os.urandom(1 << 20))


def measure(team: TeamServer, token: str, work: Path, mib: int) -> tuple[str, ...]:
    root = work / f"root-{mib}"
    root.mkdir()
    model = work / f"model-{mib}.pt"
    checkpoint(model, mib)
    run = rn.init(project="vision", name="big", storage=root, system_metrics=False,
                  capture_console=False, capture_env=False)  # fmt: skip
    assert isinstance(run, rn.Run)
    run.log_model(model, f"model-{mib}").wait()
    run.finish()
    assert team.proc is not None
    before = peak_kib(team.proc.pid)
    start = time.monotonic()
    first = push_root(root, team.url, token=token)
    first_s = time.monotonic() - start
    assert first.ok and first.blobs_copied == 1, first.to_dict()
    start = time.monotonic()
    second = push_root(root, team.url, token=token)
    second_s = time.monotonic() - start
    headers = {"Authorization": f"Bearer {token}"}
    url = f"{team.url}/api/artifacts/vision/model-{mib}/v1/files/{model.name}"
    start = time.monotonic()
    with httpx.stream("GET", url, headers=headers, timeout=600) as answer:
        received = sum(len(chunk) for chunk in answer.iter_bytes())
    download_s = time.monotonic() - start
    assert received == mib << 20
    after = peak_kib(team.proc.pid)
    load = " ".join(Path("/proc/loadavg").read_text().split()[:3])
    return (
        f"{mib} MiB",
        f"{first_s:.1f} s ({mib / first_s:.0f} MiB/s)",
        f"{second_s:.2f} s, {second.bytes_moved} bytes",
        f"{download_s:.1f} s",
        f"{before // 1024} → {after // 1024} MiB",
        load,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--mib", type=int, nargs="+", default=[256, 1024])
    args = parser.parse_args()
    os.environ.update(CREDENTIALS)
    postgres = start_postgres()
    moto = start_moto()
    work = Path(tempfile.mkdtemp(prefix="rn-bench-artifacts-"))
    team = TeamServer(
        postgres.create_database(), f"s3://{moto.new_bucket()}/team", moto.endpoint,
        work / "cache", server_env(dict(os.environ)),
    )  # fmt: skip
    table = Table("size", "first push", "same push again", "download", "server peak RSS",
                  "load (1/5/15 min)")  # fmt: skip
    try:
        team.start()
        token = team.add_user("bench", "writer")
        for mib in args.mib:
            table.add_row(*measure(team, token, work, mib))
    finally:
        team.stop()
        stop_moto(moto)
        stop_postgres(postgres)
        shutil.rmtree(work, ignore_errors=True)
    console.print(table)


if __name__ == "__main__":
    main()
