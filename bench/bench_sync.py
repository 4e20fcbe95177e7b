"""Sync costs over a real loopback sshd, against ``rsync -a`` of the same tree.

    .venv/bin/python bench/bench_sync.py [--runs 1000] [--steps 10000] [--append-runs 100]
        [--append-steps 1000] [--manifest-runs 10000]

Writes ``--runs`` finished runs of ``--steps`` steps (the SDK's file format, written directly:
going through ``rn.log`` would spend minutes making the data) into a "server" root, each with
the events digest a finished SDK run leaves (made by the SDK's own code: its writer's fold and
``runicorn.storage.events_digest.write_digest``; ``--no-digest`` leaves it out, as for runs of
older SDKs), then:

- first sync: ``runicorn.sync(user@127.0.0.1:SRC, DST)`` vs ``rsync -a -e ssh`` into an empty
  folder (same sshd, same page cache);
- incremental: ``--append-runs`` runs each append ``--append-steps`` steps (their status and
  summary rewritten too, as a resumed run does), then both sync again: bytes moved vs bytes
  appended, and time;
- manifest: ``--manifest-runs`` small runs, a cold then a warm ``runicorn.manifest.generate``.

Starts its own sshd (``tests/fixtures/sshd.py``), so the "remote" host is this machine. Prints
a table.
"""

from __future__ import annotations

import argparse
import os
import platform
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import orjson

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tests" / "fixtures"))

import runicorn  # noqa: E402
from runicorn.manifest import generate  # noqa: E402
from runicorn.remote.known_hosts import accept_host_key  # noqa: E402
from runicorn.storage.events import MetricStats  # noqa: E402
from runicorn.storage.events_digest import write_digest  # noqa: E402

WITH_DIGEST = True


def _lines(start: int, steps: int, t0: float, stats: MetricStats | None = None) -> bytes:
    rows = []
    datas = []
    for step in range(start, start + steps):
        t = t0 + step * 0.05
        data = {
            "train/loss": 2.0 / (step + 1) + random.random() * 1e-3,
            "val/acc": step / (step + 100),
            "lr": 3e-4,
            "global_step": step,
            "time": t,
        }
        rows.append(orjson.dumps({"ts": t, "type": "metrics", "data": data}))
        datas.append(data)
    if stats is not None:
        stats.add_batch(datas)  # what the SDK's writer folds as it writes the lines
    return b"\n".join(rows) + b"\n"


def write_run(root: Path, index: int, steps: int) -> Path:
    clock = f"{index // 3600 % 24:02d}{index // 60 % 60:02d}{index % 60:02d}"
    run_id = f"20261130_{clock}_{index:06d}"
    folder = root / "vision" / f"sweep{index % 10}" / "runs" / run_id
    folder.mkdir(parents=True)
    t0 = 1_796_000_000.0 + index
    meta = {
        "id": run_id,
        "project": "vision",
        "name": f"sweep{index % 10}",
        "created_at": t0,
        "config": {"batch_size": 64, "weight decay": 0.01, "学习率": 3e-4},
        "tags": ["bench"],
    }
    (folder / "meta.json").write_bytes(orjson.dumps(meta))
    status = {"status": "finished", "started_at": t0, "ended_at": t0 + steps * 0.05}
    (folder / "status.json").write_bytes(orjson.dumps(status))
    (folder / "summary.json").write_bytes(orjson.dumps({"best_acc": 0.93}))
    stats = MetricStats()
    events = _lines(1, steps, t0, stats) if steps else b""
    (folder / "events.jsonl").write_bytes(events)
    (folder / "logs.txt").write_bytes(b"epoch 1 done\n")
    if WITH_DIGEST and events:
        write_digest(folder, len(events), stats, t0 + steps * 0.05, [])
    return folder


def append_steps(folder: Path, steps: int) -> int:
    events = folder / "events.jsonl"
    before = events.stat().st_size
    last = before // 150
    with events.open("ab") as handle:
        handle.write(_lines(last + 1_000_000, steps, 1_796_100_000.0))
    (folder / "summary.json").write_bytes(orjson.dumps({"best_acc": 0.95}))
    return events.stat().st_size - before


def tree_bytes(root: Path) -> int:
    return sum(
        p.stat().st_size for p in root.rglob("*") if p.is_file() and ".runicorn" not in p.parts
    )


def rsync(server: Any, source: Path, destination: Path) -> tuple[float, int]:
    ssh = (
        f"ssh -p {server.port} -i {server.client_key_path} -o StrictHostKeyChecking=no "
        "-o UserKnownHostsFile=/dev/null -o LogLevel=ERROR"
    )
    started = time.perf_counter()
    done = subprocess.run(
        ["rsync", "-a", "--stats", "--exclude=.runicorn", "-e", ssh,
         f"{server.user}@{server.host}:{source}/", f"{destination}/"],
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    seconds = time.perf_counter() - started
    received = 0
    for line in done.stdout.splitlines():
        if line.startswith("Total bytes received:"):
            received = int(line.split(":")[1].strip().replace(",", ""))
    return seconds, received


def run_sync(server: Any, options: dict[str, Any], source: Path, destination: Path) -> Any:
    started = time.perf_counter()
    report = runicorn.sync(
        f"{server.user}@{server.host}:{source}",
        destination,
        port=server.port,
        identity=str(server.client_key_path),
        ssh_options=options,
    )
    report.seconds = time.perf_counter() - started
    if not report.ok:
        raise RuntimeError(f"sync failed: {report.to_dict()}")
    return report


def bench_manifest(folder: Path, runs: int) -> tuple[float, float, float]:
    root = folder / "many"
    started = time.perf_counter()
    for index in range(runs):
        write_run(root, index, 20)
    made = time.perf_counter() - started
    time.sleep(2.5)  # files younger than 2 s are never cached (their mtime may still change)
    started = time.perf_counter()
    generate(root)
    cold = time.perf_counter() - started
    warm = []
    for _ in range(3):
        started = time.perf_counter()
        manifest = generate(root)
        warm.append(time.perf_counter() - started)
    assert len(manifest.runs) == runs
    return made, cold, statistics.median(warm)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=1000)
    parser.add_argument("--steps", type=int, default=10_000)
    parser.add_argument("--append-runs", type=int, default=100)
    parser.add_argument("--append-steps", type=int, default=1000)
    parser.add_argument("--manifest-runs", type=int, default=10_000)
    parser.add_argument(
        "--no-digest", action="store_true", help="runs without events.digest.json (older SDKs)"
    )
    parser.add_argument("--skip-manifest", action="store_true", help="skip the manifest bench")
    parser.add_argument(
        "--rounds",
        type=int,
        default=1,
        help="first syncs of each tool, alternating which goes first (into new folders)",
    )
    args = parser.parse_args()
    global WITH_DIGEST
    WITH_DIGEST = not args.no_digest

    from sshd import running_sshd

    rows: list[tuple[str, str, str]] = []
    with tempfile.TemporaryDirectory(prefix="bench-sync-") as tmp:
        folder = Path(tmp)
        os.environ["RUNICORN_CONFIG_DIR"] = str(folder / "config")
        if not args.skip_manifest:
            _, cold, warm = bench_manifest(folder, args.manifest_runs)
            label = f"manifest of {args.manifest_runs:,} runs, cold / warm"
            rows.append((label, f"{cold:.2f} s / {warm:.2f} s", "warm ≤ 2 s"))
            shutil.rmtree(folder / "many")

        server_root = folder / "gpu01"
        started = time.perf_counter()
        folders = [write_run(server_root, i, args.steps) for i in range(args.runs)]
        took = time.perf_counter() - started
        print(f"wrote {args.runs} runs × {args.steps} steps in {took:.0f} s", file=sys.stderr)
        total = tree_bytes(server_root)

        (folder / "sshd").mkdir()
        with running_sshd(folder / "sshd") as server:
            known = folder / "known_hosts"
            known.touch()
            accept_host_key(server.host, server.port, server.host_public_key)
            options = {"user_known_hosts": str(known), "ssh_config_files": (), "use_agent": False}

            print(f"load before the first sync: {os.getloadavg()[0]:.1f}", file=sys.stderr)
            theirs_s: list[float] = []
            ours_s: list[float] = []
            ours_index: list[float] = []
            for k in range(args.rounds):
                # Alternate who goes first: the page cache and the disk's state favour the second.
                for tool in ("rsync", "ours") if k % 2 == 0 else ("ours", "rsync"):
                    suffix = f"-{k}" if k else ""
                    if tool == "rsync":
                        theirs_s.append(
                            rsync(server, server_root, folder / f"rsync-copy{suffix}")[0]
                        )
                    else:
                        report = run_sync(server, options, server_root, folder / f"laptop{suffix}")
                        ours_s.append(report.seconds)
                        ours_index.append(report.index_seconds)
                print(f"round {k + 1}: ours {ours_s[-1]:.1f} s, rsync {theirs_s[-1]:.1f} s, "
                      f"load {os.getloadavg()[0]:.1f}", file=sys.stderr)  # fmt: skip
            digests = sum(1 for _ in (folder / "laptop").rglob("events.digest.json"))
            print(f"runs that arrived with their digest: {digests}", file=sys.stderr)
            ours, rsync_first = statistics.median(ours_s), statistics.median(theirs_s)
            index = statistics.median(ours_index)
            rounds = f"median of {args.rounds} rounds, " if args.rounds > 1 else ""
            rows.append(
                (f"first sync, {args.runs:,} runs × {args.steps:,} steps ({total / 1e6:,.0f} MB)",
                 f"{rounds}{ours:.1f} s (of which index {index:.1f} s) vs rsync -a "
                 f"{rsync_first:.1f} s ({ours / rsync_first:.2f}×; without the index "
                 f"{(ours - index) / rsync_first:.2f}×)", "≤ 1.5× rsync")
            )  # fmt: skip
            again = run_sync(server, options, server_root, folder / "laptop")
            rows.append(
                ("second sync, nothing new", f"{again.bytes_moved} bytes, {again.seconds:.2f} s",
                 "0 bytes")
            )  # fmt: skip

            passes: list[float] = []
            runicorn.sync(
                f"{server.user}@{server.host}:{server_root}", folder / "laptop",
                port=server.port, identity=str(server.client_key_path), ssh_options=options,
                watch=0.01, max_passes=4, on_pass=lambda r: passes.append(r.seconds),
            )  # fmt: skip
            rows.append(
                ("--watch pass, nothing new (passes 2–4)",
                 f"{statistics.median(passes[1:]):.2f} s (first pass {passes[0]:.2f} s)", "")
            )  # fmt: skip

            appended = sum(append_steps(f, args.append_steps) for f in folders[: args.append_runs])
            incremental = run_sync(server, options, server_root, folder / "laptop")
            rsync_inc, rsync_received = rsync(server, server_root, folder / "rsync-copy")
            rows.append(
                (f"after {args.append_runs} runs append {args.append_steps:,} steps "
                 f"({appended / 1e6:.1f} MB)",
                 f"moved {incremental.bytes_moved / appended:.3f}× appended "
                 f"(read {incremental.bytes_read / appended:.3f}×), {incremental.seconds:.2f} s "
                 f"(index {incremental.index_seconds:.2f} s); "
                 f"rsync -a {rsync_inc:.2f} s, received {rsync_received / appended:.3f}×",
                 "≤ 1.1×, ≤ 2 s")
            )  # fmt: skip

    load = Path("/proc/loadavg").read_text().split()[:3] if Path("/proc/loadavg").exists() else []
    print(f"\nload average at the end: {' '.join(load)}")
    machine = f"{platform.machine()}, {os.cpu_count()} cores"
    print(f"\nmachine: {machine}, Python {platform.python_version()}")
    width = max(len(r[0]) for r in rows)
    for name, result, target in rows:
        print(f"{name.ljust(width)} | {result} | {target}")


if __name__ == "__main__":
    main()
