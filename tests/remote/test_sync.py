"""``runicorn sync`` against a real sshd: the guarantees of DESIGN §9, each one checked."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from sync_runs import record_runs, run_files

import runicorn as rn
from runicorn.manifest import SyncReport, generate

if TYPE_CHECKING:
    from conftest import SshdServer

pytestmark = pytest.mark.remote

SYSTEM_PYTHON = "/usr/bin/python3"


def indexed_ids(root: Path) -> set[str]:
    with sqlite3.connect(root / ".runicorn" / "index.db") as conn:
        return {row[0] for row in conn.execute("SELECT id FROM runs")}


@pytest.fixture
def remote_target(sshd_server: SshdServer) -> str:
    return f"{sshd_server.user}@{sshd_server.host}"


@pytest.fixture
def sync_kwargs(
    sshd_server: SshdServer, ssh_config: Any, ssh_options: dict[str, Any]
) -> dict[str, Any]:
    """Options of runicorn.sync for the test sshd (its host key already accepted)."""
    return {
        "port": sshd_server.port,
        "identity": str(sshd_server.client_key_path),
        "ssh_options": ssh_options,
    }


def test_first_sync_copies_every_run_then_a_second_moves_nothing(
    tmp_path: Path, remote_target: str, sync_kwargs: dict[str, Any]
) -> None:
    server_root, laptop = tmp_path / "gpu01", tmp_path / "laptop"
    ids = record_runs(server_root, 5)

    first = rn.sync(f"{remote_target}:{server_root}", laptop, **sync_kwargs)

    assert first.ok, first.to_dict()
    assert sorted(first.runs_new) == sorted(ids)
    assert run_files(laptop) == run_files(server_root)
    assert indexed_ids(laptop) == set(ids)
    second = rn.sync(f"{remote_target}:{server_root}", laptop, **sync_kwargs)
    assert second.bytes_moved == 0
    assert second.runs_new == second.runs_updated == []


def test_incremental_sync_moves_only_the_appended_lines(
    tmp_path: Path, remote_target: str, sync_kwargs: dict[str, Any]
) -> None:
    server_root, laptop = tmp_path / "gpu01", tmp_path / "laptop"
    ids = record_runs(server_root, 3)
    rn.sync(f"{remote_target}:{server_root}", laptop, **sync_kwargs)
    events = next(server_root.rglob(f"{ids[1]}/events.jsonl"))
    before = events.stat().st_size

    run = rn.init(
        project="vision",
        name="resnet50",
        storage=str(server_root),
        run_id=ids[1],
        resume=True,
        capture_console=False,
        system_metrics=False,
        capture_env=False,
    )
    for step in range(500):
        run.log({"train/loss": 0.01 / (step + 1)})
    run.finish()
    appended = events.stat().st_size - before
    report = rn.sync(f"{remote_target}:{server_root}", laptop, **sync_kwargs)

    assert report.runs_updated == [ids[1]]
    documents = sum(len(p.read_bytes()) for p in events.parent.glob("*.json"))
    assert appended <= report.bytes_moved <= appended + documents
    assert run_files(laptop) == run_files(server_root)
    with sqlite3.connect(laptop / ".runicorn" / "index.db") as conn:
        last_step = conn.execute("SELECT last_step FROM runs WHERE id = ?", (ids[1],)).fetchone()
    assert last_step[0] == 700


def test_a_synced_run_arrives_with_its_events_digest_which_the_index_starts_from(
    tmp_path: Path, remote_target: str, sync_kwargs: dict[str, Any]
) -> None:
    from runicorn.storage.events_digest import DIGEST_FILE, load_digest
    from runicorn.storage.run_files import read_record

    server_root, laptop = tmp_path / "gpu01", tmp_path / "laptop"
    ids = record_runs(server_root, 2)
    rn.sync(f"{remote_target}:{server_root}", laptop, **sync_kwargs)
    source = next(server_root.rglob(f"{ids[0]}/{DIGEST_FILE}"))
    arrived = next(laptop.rglob(f"{ids[0]}/{DIGEST_FILE}"))
    assert arrived.read_bytes() == source.read_bytes()
    assert load_digest(laptop, arrived.parent) is not None
    with sqlite3.connect(laptop / ".runicorn" / "index.db") as conn:
        count, last_step = conn.execute(
            "SELECT COUNT(*), MAX(r.last_step) FROM metrics AS m JOIN runs AS r ON r.id = m.run_id "
            "WHERE r.id = ?",
            (ids[0],),
        ).fetchone()
    assert (count, last_step) == (2, 200)

    run = rn.init(
        project="vision",
        name="resnet50",
        storage=str(server_root),
        run_id=ids[0],
        resume=True,
        capture_console=False,
        system_metrics=False,
        capture_env=False,
    )
    run.log({"train/loss": 0.001})
    run.finish()
    rn.sync(f"{remote_target}:{server_root}", laptop, **sync_kwargs)
    assert arrived.read_bytes() == source.read_bytes()  # replaced by the resumed run's digest
    stored = load_digest(laptop, arrived.parent)
    assert stored is not None and stored.rest.events == []
    assert read_record(laptop, arrived.parent).metrics["train/loss"].last == 0.001


def _cli(args: list[str], server: SshdServer, env: dict[str, str]) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "runicorn",
            "sync",
            *args,
            "-p",
            str(server.port),
            "-i",
            str(server.client_key_path),
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        stdin=subprocess.DEVNULL,
        text=True,
        env=env,
    )


@pytest.fixture
def cli_env(tmp_path: Path, runicorn_config_dir: Path, ssh_config: Any) -> dict[str, str]:
    home = tmp_path / "home"
    home.mkdir()
    env = dict(
        os.environ, HOME=str(home), RUNICORN_CONFIG_DIR=str(runicorn_config_dir), COLUMNS="200"
    )
    env.pop("SSH_AUTH_SOCK", None)
    return env


def test_sync_killed_mid_transfer_leaves_no_torn_file_and_resumes(
    tmp_path: Path,
    sshd_server: SshdServer,
    remote_target: str,
    cli_env: dict[str, str],
    sync_kwargs: dict[str, Any],
) -> None:
    server_root, laptop = tmp_path / "gpu01", tmp_path / "laptop"
    ids = record_runs(server_root, 4)
    checkpoint = next(server_root.rglob(ids[0])) / "media" / "weights.bin"
    checkpoint.parent.mkdir()
    checkpoint.write_bytes(os.urandom(96 << 20))
    total = sum(len(v) for v in run_files(server_root).values())

    proc = _cli([f"{remote_target}:{server_root}", str(laptop)], sshd_server, cli_env)
    deadline = time.monotonic() + 60
    arrived = 0
    while time.monotonic() < deadline and proc.poll() is None:
        parts = list(laptop.rglob("*.rnsync-part")) if laptop.exists() else []
        arrived = sum(p.stat().st_size for p in parts)
        if arrived > 8 << 20:
            break
        time.sleep(0.02)
    assert proc.poll() is None, "the sync ended before it could be killed"
    proc.send_signal(signal.SIGKILL)
    proc.wait(10)

    copied = run_files(laptop)
    source = run_files(server_root)
    assert not any(rel.endswith("media/weights.bin") for rel in copied), "a torn file is visible"
    for rel, data in copied.items():
        assert rel in source
        if rel.endswith((".jsonl", "logs.txt")):
            assert source[rel].startswith(data) and data.endswith(b"\n")
        else:
            assert data == source[rel], f"{rel} is torn"
    already = sum(len(v) for v in copied.values()) + sum(
        p.stat().st_size for p in laptop.rglob("*.rnsync-part")
    )
    assert already >= arrived

    report = rn.sync(f"{remote_target}:{server_root}", laptop, **sync_kwargs)
    assert report.ok, report.to_dict()
    assert report.bytes_moved <= total - already + (64 << 10)
    assert run_files(laptop) == source
    assert not list(laptop.rglob("*.rnsync-part"))


LIVE_SCRIPT = """
import sys, time, runicorn as rn
run = rn.init(project="vision", name="live", storage=sys.argv[1], capture_console=False,
              system_metrics=False, capture_env=False)
print(run.id, flush=True)
for step in range(int(sys.argv[2])):
    run.log({"train/loss": 1.0 / (step + 1)})
    time.sleep(0.05)
run.finish()
"""


def _line_count(path: Path) -> int:
    try:
        return path.read_bytes().count(b"\n")
    except OSError:
        return 0


def test_watch_keeps_a_live_run_within_interval_plus_one_second(
    tmp_path: Path, remote_target: str, sync_kwargs: dict[str, Any]
) -> None:
    server_root, laptop = tmp_path / "gpu01", tmp_path / "laptop"
    env = dict(os.environ, RUNICORN_FLUSH_INTERVAL="0.2")
    live = subprocess.Popen(
        [sys.executable, "-c", LIVE_SCRIPT, str(server_root), "120"],
        stdout=subprocess.PIPE,
        text=True,
        env=env,
    )
    assert live.stdout is not None
    run_id = live.stdout.readline().strip()
    source = server_root / "vision" / "live" / "runs" / run_id / "events.jsonl"
    copy = laptop / "vision" / "live" / "runs" / run_id / "events.jsonl"
    interval = 1.0
    stop = threading.Event()
    reports: list[SyncReport] = []
    watcher = threading.Thread(
        target=lambda: reports.append(
            rn.sync(
                f"{remote_target}:{server_root}", laptop, watch=interval, stop=stop, **sync_kwargs
            )
        )
    )
    watcher.start()
    seen_at: dict[int, float] = {}
    copied: list[tuple[float, int]] = []
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            now = time.monotonic()
            lines = _line_count(source)
            seen_at.setdefault(lines, now)
            copied.append((now, _line_count(copy)))
            if live.poll() is not None and copied[-1][1] == lines:
                break
            time.sleep(0.02)
    finally:
        stop.set()
        watcher.join(30)
        live.wait(30)
    assert reports and reports[0].passes >= 3 and reports[0].ok

    def arrival(count: int) -> float:
        return next(t for t, n in copied if n >= count)

    lags = [arrival(n) - t for n, t in seen_at.items() if n > 0]
    assert len(lags) >= 10
    assert max(lags) <= interval + 1.0, sorted(lags)[-5:]
    assert copy.read_bytes() == source.read_bytes()


def test_two_sources_merge_into_one_root(
    tmp_path: Path, remote_target: str, sync_kwargs: dict[str, Any]
) -> None:
    gpu01, gpu02, laptop = tmp_path / "gpu01", tmp_path / "gpu02", tmp_path / "laptop"
    first = record_runs(gpu01, 3, name="resnet50")
    second = record_runs(gpu02, 2, project="nlp", name="bert/base")
    record_runs(laptop, 1, name="local")

    rn.sync(f"{remote_target}:{gpu01}", laptop, **sync_kwargs)
    rn.sync(f"{remote_target}:{gpu02}", laptop, **sync_kwargs)

    manifest = generate(laptop)
    assert {r.id for r in manifest.runs} >= set(first) | set(second)
    assert len(manifest.runs) == 6
    assert indexed_ids(laptop) >= set(first) | set(second)


def test_a_run_id_with_conflicting_content_is_reported_and_never_overwritten(
    tmp_path: Path, sshd_server: SshdServer, remote_target: str, cli_env: dict[str, str]
) -> None:
    server_root, laptop = tmp_path / "gpu01", tmp_path / "laptop"
    ids = record_runs(server_root, 2)
    rn.sync(server_root, laptop)
    local_meta = next(laptop.rglob(f"{ids[0]}/meta.json"))
    meta = json.loads(local_meta.read_bytes())
    meta["created_at"] = meta["created_at"] - 3600
    local_meta.write_text(json.dumps(meta))
    local_events = local_meta.parent / "events.jsonl"
    local_events.write_bytes(local_events.read_bytes() + b'{"ts": 1, "type": "metrics"}\n')
    before = run_files(laptop)
    remote_events = next(server_root.rglob(f"{ids[1]}/events.jsonl"))
    remote_events.write_bytes(remote_events.read_bytes()[:-200] + b"x" * 150 + b"\n" * 60)

    proc = _cli([f"{remote_target}:{server_root}", str(laptop)], sshd_server, cli_env)
    _, err = proc.communicate(timeout=60)

    assert proc.returncode == 1
    assert f"conflict: run {ids[0]}" in err and "created_at" in err
    assert f"conflict: run {ids[1]}" in err
    assert run_files(laptop) == before


HOSTILE_PYTHON = """#!/bin/sh
# A "python" whose manifest lies: every path tries to leave the destination root.
case "$1" in -c) exit 1;; esac
cat > /dev/null
cat {manifest}
"""


def _hostile_manifest(outside: Path, real_root: Path) -> dict[str, Any]:
    entry = {"size": 4, "mtime_ns": 1, "sha256": "0" * 64}
    run_files_ = {"meta.json": entry}
    return {
        "format": "runicorn-manifest",
        "version": 1,
        "root": str(real_root),
        "generated_at": 0,
        "runs": [
            {
                "id": "20260101_000000_aaaaaa",
                "path": "../escape/x/runs/20260101_000000_aaaaaa",
                "status": "finished",
                "files": run_files_,
            },
            {
                "id": "20260101_000000_bbbbbb",
                "path": f"{outside}/x/runs/20260101_000000_bbbbbb".lstrip("/"),
                "status": "finished",
                "files": {"../../../../escape.json": entry},
            },
            {"id": "..", "path": "p/n/runs/..", "status": "finished", "files": run_files_},
            {
                "id": "20260101_000000_cccccc",
                "path": "/abs/n/runs/20260101_000000_cccccc",
                "status": "finished",
                "files": run_files_,
            },
            {
                "id": "20260101_000000_dddddd",
                "path": "linked/n/runs/20260101_000000_dddddd",
                "status": "finished",
                "files": run_files_,
            },
        ],
        "artifact_files": {
            ".runicorn/artifacts/../../escape.jsonl": {"size": 4, "mtime_ns": 1, "tail": "0" * 64}
        },
        "blobs": {},
    }


def test_hostile_manifest_paths_are_refused_and_nothing_is_written_outside(
    tmp_path: Path, remote_target: str, sync_kwargs: dict[str, Any]
) -> None:
    server_root, laptop, outside = tmp_path / "gpu01", tmp_path / "laptop", tmp_path / "escape"
    server_root.mkdir()
    outside.mkdir()
    (laptop / "linked").parent.mkdir(parents=True)
    (laptop / "linked").symlink_to(outside, target_is_directory=True)
    for name in ("meta.json",):
        target = server_root / "linked" / "n" / "runs" / "20260101_000000_dddddd" / name
        target.parent.mkdir(parents=True)
        target.write_text("{}\n\n\n")
    manifest = tmp_path / "hostile.json"
    manifest.write_text(json.dumps(_hostile_manifest(outside, server_root)))
    fake = tmp_path / "fake-python"
    fake.write_text(HOSTILE_PYTHON.format(manifest=manifest))
    fake.chmod(0o755)
    before = sorted(p.name for p in tmp_path.iterdir())

    report = rn.sync(f"{remote_target}:{server_root}", laptop, python=str(fake), **sync_kwargs)

    assert len(report.refused) == 6, report.refused
    assert any("artifact" in r for r in report.refused)
    assert list(outside.iterdir()) == []
    assert sorted(p.name for p in tmp_path.iterdir()) == before
    assert not (tmp_path / "escape.json").exists()


def test_a_symlink_in_the_source_is_not_followed(
    tmp_path: Path, remote_target: str, sync_kwargs: dict[str, Any]
) -> None:
    server_root, laptop = tmp_path / "gpu01", tmp_path / "laptop"
    ids = record_runs(server_root, 1)
    secret = tmp_path / "secret.txt"
    secret.write_text("private key material")
    media = next(server_root.rglob(ids[0])) / "media"
    media.mkdir()
    (media / "leak.txt").symlink_to(secret)

    report = rn.sync(f"{remote_target}:{server_root}", laptop, **sync_kwargs)

    assert report.ok
    assert not list(laptop.rglob("leak.txt"))


def test_a_remote_without_runicorn_syncs_both_ways(
    tmp_path: Path, remote_target: str, sync_kwargs: dict[str, Any]
) -> None:
    server_root, laptop, pushed = tmp_path / "gpu01", tmp_path / "laptop", tmp_path / "pushed"
    ids = record_runs(server_root, 2)
    probe = subprocess.run([SYSTEM_PYTHON, "-c", "import runicorn"], capture_output=True)
    assert probe.returncode != 0, "the system Python must not see the package"

    pulled = rn.sync(f"{remote_target}:{server_root}", laptop, python=SYSTEM_PYTHON, **sync_kwargs)
    pushed_report = rn.sync(
        laptop, f"{remote_target}:{pushed}", python=SYSTEM_PYTHON, **sync_kwargs
    )

    assert pulled.ok and sorted(pulled.runs_new) == sorted(ids)
    assert run_files(laptop) == run_files(server_root)
    assert pushed_report.ok and sorted(pushed_report.runs_new) == sorted(ids)
    assert run_files(pushed) == run_files(server_root)
    assert any("no Runicorn" in note for note in pushed_report.notes)
    again = rn.sync(laptop, f"{remote_target}:{pushed}", python=SYSTEM_PYTHON, **sync_kwargs)
    assert again.bytes_moved == 0


def test_a_saved_connection_name_is_a_sync_target(
    tmp_path: Path, sshd_server: SshdServer, sync_kwargs: dict[str, Any]
) -> None:
    from runicorn.security.credentials import CredentialStore

    server_root, laptop = tmp_path / "gpu01", tmp_path / "laptop"
    ids = record_runs(server_root, 1)
    CredentialStore().save(
        name="gpu01",
        host=sshd_server.host,
        port=sshd_server.port,
        user=sshd_server.user,
        key_file=str(sshd_server.client_key_path),
        use_agent=False,
        root=str(server_root),
    )

    report = rn.sync("gpu01:", laptop, ssh_options=sync_kwargs["ssh_options"])

    assert report.ok and report.runs_new == ids


def test_pushing_to_a_host_with_runicorn_updates_its_index(
    tmp_path: Path, remote_target: str, sync_kwargs: dict[str, Any]
) -> None:
    laptop, server_root = tmp_path / "laptop", tmp_path / "gpu01"
    ids = record_runs(laptop, 2)

    report = rn.sync(laptop, f"{remote_target}:{server_root}", python=sys.executable,
                     **sync_kwargs)  # fmt: skip

    assert report.ok and report.notes == []
    assert indexed_ids(server_root) == set(ids)


def test_a_dropped_link_leaves_no_torn_file_and_the_next_sync_resumes(
    tmp_path: Path, sshd_server: SshdServer, remote_target: str, sync_kwargs: dict[str, Any]
) -> None:
    from runicorn.remote.errors import RemoteError

    server_root, laptop = tmp_path / "gpu01", tmp_path / "laptop"
    ids = record_runs(server_root, 2)
    weights = next(server_root.rglob(ids[0])) / "media" / "weights.bin"
    weights.parent.mkdir()
    weights.write_bytes(os.urandom(96 << 20))
    failures: list[str] = []

    def first_sync() -> None:
        try:
            report = rn.sync(f"{remote_target}:{server_root}", laptop, **sync_kwargs)
            failures.extend(report.errors)
        except RemoteError as exc:
            failures.append(str(exc))

    worker = threading.Thread(target=first_sync)
    worker.start()
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and worker.is_alive():
        parts = list(laptop.rglob("*.rnsync-part")) if laptop.exists() else []
        if sum(p.stat().st_size for p in parts) > 8 << 20:
            break
        time.sleep(0.02)
    assert sshd_server.drop_connections() > 0
    worker.join(60)

    assert failures, "the broken link went unnoticed"
    assert not (weights.parent.relative_to(server_root) / "weights.bin").exists()
    arrived = sum(p.stat().st_size for p in laptop.rglob("*.rnsync-part"))
    assert arrived > 8 << 20
    report = rn.sync(f"{remote_target}:{server_root}", laptop, **sync_kwargs)
    assert report.ok
    assert report.bytes_moved <= sum(len(v) for v in run_files(server_root).values()) - arrived
    assert run_files(laptop) == run_files(server_root)
