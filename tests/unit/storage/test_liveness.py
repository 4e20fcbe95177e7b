"""Telling live runs from crashed ones (storage/liveness.py, through the backend)."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psutil
import pytest

import runicorn as rn
from runicorn.storage.backends import HybridStorageBackend
from runicorn.storage.events import read_events
from runicorn.storage.jsonio import atomic_write_json, read_json
from runicorn.storage.liveness import (
    Heartbeat,
    heartbeat_is_stale,
    looks_crashed,
    process_is_gone,
    process_start_time,
    this_host,
)


@pytest.fixture
def backend(root: Path) -> Iterator[HybridStorageBackend]:
    store = HybridStorageBackend(root)
    yield store
    store.close()


@pytest.fixture
def sleeper() -> Iterator[subprocess.Popen[bytes]]:
    child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)"])
    yield child
    child.kill()
    child.wait()


def recorded_run(root: Path) -> rn.Run:
    run = rn.init(project="p", name="n", storage=root, capture_console=False, capture_env=False,
                  system_metrics=False)  # fmt: skip
    assert isinstance(run, rn.Run)
    run.log({"loss": 1.0})
    run.finish()
    return run


def mark_running(run_path: Path, **fields: Any) -> None:
    """Rewrite status.json as a process that never finished would have left it."""
    status = read_json(run_path / "status.json")
    status.update({"status": "running", "ended_at": None, "exit_reason": None,
                   "heartbeat_at": time.time(), "heartbeat_interval": 10.0,
                   "hostname": this_host(), **fields})  # fmt: skip
    atomic_write_json(run_path / "status.json", status)


def dead_pid() -> int:
    while True:
        child = subprocess.Popen([sys.executable, "-c", "pass"])
        child.wait()
        if not psutil.pid_exists(child.pid):
            return child.pid


def test_stale_heartbeat_is_reported_as_crashed(root: Path, backend: HybridStorageBackend) -> None:
    run = recorded_run(root)
    mark_running(run.path, hostname="another-host", heartbeat_at=time.time() - 60,
                 heartbeat_interval=10.0)  # fmt: skip
    backend.reindex()
    assert backend.get_run(run.id).status == "crashed"
    records, _ = backend.list_runs(status="crashed")
    assert [r.id for r in records] == [run.id]


def test_recent_heartbeat_from_another_host_is_running(
    root: Path, backend: HybridStorageBackend
) -> None:
    run = recorded_run(root)
    mark_running(run.path, hostname="another-host", heartbeat_at=time.time() - 20,
                 heartbeat_interval=10.0, pid=dead_pid())  # fmt: skip
    backend.reindex()
    assert backend.get_run(run.id).status == "running"


def test_run_whose_process_is_gone_is_crashed_at_once(
    root: Path, backend: HybridStorageBackend
) -> None:
    run = recorded_run(root)
    mark_running(run.path, pid=dead_pid(), heartbeat_at=time.time(), heartbeat_interval=3600.0)
    backend.reindex()
    assert backend.list_runs()[0][0].status == "crashed"
    assert backend.get_run(run.id).status == "crashed"


def test_reused_pid_with_another_start_time_is_crashed(
    root: Path, backend: HybridStorageBackend
) -> None:
    run = recorded_run(root)
    started = process_start_time(os.getpid())
    assert started is not None
    mark_running(run.path, pid=os.getpid(), pid_started_at=started - 1000.0,
                 heartbeat_interval=3600.0)  # fmt: skip
    backend.reindex()
    assert backend.get_run(run.id).status == "crashed"


def test_live_process_with_fresh_heartbeat_is_running(
    root: Path, backend: HybridStorageBackend, sleeper: subprocess.Popen[bytes]
) -> None:
    run = recorded_run(root)
    mark_running(run.path, pid=sleeper.pid, pid_started_at=process_start_time(sleeper.pid))
    backend.reindex()
    assert backend.get_run(run.id).status == "running"
    assert backend.list_runs(status="running")[1] == 1
    sleeper.kill()
    sleeper.wait()
    assert backend.get_run(run.id).status == "crashed"


def test_live_process_with_stale_heartbeat_is_crashed(
    root: Path, backend: HybridStorageBackend, sleeper: subprocess.Popen[bytes]
) -> None:
    run = recorded_run(root)
    mark_running(run.path, pid=sleeper.pid, pid_started_at=process_start_time(sleeper.pid),
                 heartbeat_at=time.time() - 31, heartbeat_interval=10.0)  # fmt: skip
    backend.reindex()
    assert backend.get_run(run.id).status == "crashed"


def test_killed_training_process_is_reported_crashed(
    root: Path, backend: HybridStorageBackend
) -> None:
    script = textwrap.dedent(
        f"""
        import os, time
        import runicorn as rn
        run = rn.init(project="p", name="killed", storage={str(root)!r}, capture_console=False,
                      capture_env=False, system_metrics=False)
        for step in range(5):
            run.log({{"loss": 1.0 / (step + 1)}})
        events = run.path / "events.jsonl"
        deadline = time.time() + 20
        while time.time() < deadline and (
            not events.exists() or events.read_bytes().count(b"\\n") < 5
        ):
            time.sleep(0.02)
        print(run.id, flush=True)
        os._exit(1)
        """
    )
    env = {**os.environ, "RUNICORN_HEARTBEAT_INTERVAL": "3600"}
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, env=env,
                          timeout=60, check=False)  # fmt: skip
    run_id = done.stdout.decode().strip()
    assert done.returncode == 1, done.stderr.decode()
    record = backend.get_run(run_id)
    assert record.status == "crashed"
    assert read_json(root / record.path / "status.json")["status"] == "running"
    assert len(read_events(root / record.path / "events.jsonl").events) == 5


def test_crash_detection_survives_a_reindex(root: Path, backend: HybridStorageBackend) -> None:
    run = recorded_run(root)
    mark_running(run.path, pid=dead_pid(), heartbeat_interval=3600.0)
    backend.reindex()
    assert backend.get_run(run.id).status == "crashed"
    backend.reindex()
    assert backend.list_runs()[0][0].status == "crashed"


def test_index_lagging_behind_status_json_is_corrected(
    root: Path, backend: HybridStorageBackend
) -> None:
    run = recorded_run(root)
    backend.index.update_progress(run.id, status="running", heartbeat_at=time.time() - 3600)
    assert backend.get_run(run.id).status == "finished"


def test_fresh_heartbeat_in_status_json_outranks_a_stale_index(
    root: Path, backend: HybridStorageBackend
) -> None:
    run = recorded_run(root)
    mark_running(run.path, hostname="another-host", heartbeat_interval=10.0)
    backend.reindex()
    backend.index.update_progress(run.id, status="running", heartbeat_at=time.time() - 3600)
    assert backend.get_run(run.id).status == "running"


def test_heartbeat_is_stale_after_three_intervals() -> None:
    beat = Heartbeat("h", 1, None, heartbeat_at=1000.0, heartbeat_interval=10.0)
    assert not heartbeat_is_stale(beat, now=1029.0)
    assert heartbeat_is_stale(beat, now=1031.0)


def test_missing_interval_uses_the_default_of_ten_seconds() -> None:
    beat = Heartbeat("h", 1, None, heartbeat_at=1000.0, heartbeat_interval=None)
    assert not heartbeat_is_stale(beat, now=1029.0)
    assert heartbeat_is_stale(beat, now=1031.0)


def test_run_without_heartbeat_is_never_stale() -> None:
    assert not heartbeat_is_stale(Heartbeat("h", 1, None, None, None), now=1e12)


def test_process_on_another_host_is_never_known_gone() -> None:
    assert not process_is_gone(Heartbeat("another-host", dead_pid(), None, None, None))


def test_process_without_recorded_start_time_is_trusted_while_it_exists() -> None:
    assert not process_is_gone(Heartbeat(this_host(), os.getpid(), None, None, None))


def test_this_process_with_its_start_time_is_alive() -> None:
    beat = Heartbeat(this_host(), os.getpid(), process_start_time(os.getpid()), time.time(), 10.0)
    assert not looks_crashed(beat)


def test_start_time_of_a_missing_process_is_none() -> None:
    assert process_start_time(dead_pid()) is None
