"""Runs new to the destination arrive through one framed stream: checked, resumable, untorn."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from sync_runs import record_runs, run_files

import runicorn as rn
from runicorn.manifest import stream, transfer
from runicorn.manifest.transport import SSHTransport

if TYPE_CHECKING:
    from conftest import SshdServer

pytestmark = pytest.mark.remote


@pytest.fixture
def sync_kwargs(
    sshd_server: SshdServer, ssh_config: Any, ssh_options: dict[str, Any]
) -> dict[str, Any]:
    return {
        "port": sshd_server.port,
        "identity": str(sshd_server.client_key_path),
        "ssh_options": ssh_options,
    }


@pytest.fixture
def always_stream(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Stream new runs however small (indexed by the helper processes as they land), and
    count the streams opened."""
    monkeypatch.setattr(transfer, "STREAM_MIN_BYTES", 0)
    monkeypatch.setattr(transfer, "EARLY_INDEX_BYTES", 0)
    opened: list[int] = []
    real = SSHTransport.open_stream

    def counting(self: SSHTransport, requests: Any) -> Any:
        opened.append(len(requests))
        return real(self, requests)

    monkeypatch.setattr(SSHTransport, "open_stream", counting)
    return opened


def test_new_runs_arrive_through_one_stream_identical_and_indexed(
    tmp_path: Path, sshd_server: SshdServer, sync_kwargs: dict[str, Any], always_stream: list[int]
) -> None:
    server_root, laptop = tmp_path / "gpu01", tmp_path / "laptop"
    ids = record_runs(server_root, 4)
    target = f"{sshd_server.user}@{sshd_server.host}:{server_root}"

    report = rn.sync(target, laptop, **sync_kwargs)

    assert report.ok, report.to_dict()
    assert len(always_stream) == 1 and always_stream[0] >= 4 * 4
    assert sorted(report.runs_new) == sorted(ids)
    assert run_files(laptop) == run_files(server_root)
    with sqlite3.connect(laptop / ".runicorn" / "index.db") as conn:
        assert {row[0] for row in conn.execute("SELECT id FROM runs")} == set(ids)
    again = rn.sync(target, laptop, **sync_kwargs)
    assert again.bytes_moved == 0 and len(always_stream) == 1


HOSTILE_SENDER = r"""
import base64, json, sys, zlib
args = dict(a[2:].split("=", 1) for a in sys.argv[1:])
requests = json.loads(zlib.decompress(base64.b64decode(args["requests"])))
out = sys.stdout.buffer
rel, size, whole = requests[0]
data = b'{"ts": 1.0, "type": "metrics", "data": {"owned": 1}}\n' * 4
packed = zlib.compress(data)
path = WRONG_PATH or rel
count = len(data) if WRONG_SIZE is None else WRONG_SIZE
header = {"path": path, "at": 0, "n": count, "z": len(packed), "end": count == size}
out.write(json.dumps(header).encode() + b"\n" + packed)
out.flush()
"""


@pytest.mark.parametrize(
    ("path", "size"),
    [("../../../../escape.jsonl", None), (None, 10**9)],
    ids=["another-path", "another-size"],
)
def test_a_frame_whose_path_or_size_differs_from_the_manifest_is_refused(
    tmp_path: Path,
    sshd_server: SshdServer,
    sync_kwargs: dict[str, Any],
    always_stream: list[int],
    monkeypatch: pytest.MonkeyPatch,
    path: str | None,
    size: int | None,
) -> None:
    server_root, laptop = tmp_path / "gpu01", tmp_path / "laptop"
    ids = record_runs(server_root, 3)
    sender = tmp_path / "hostile_sender.py"
    sender.write_text(
        HOSTILE_SENDER.replace("WRONG_PATH", repr(path)).replace("WRONG_SIZE", repr(size))
    )
    honest = stream.SEND_SCRIPT_PATH
    monkeypatch.setattr(stream, "SEND_SCRIPT_PATH", sender)
    laptop.mkdir()
    before = sorted(p.name for p in tmp_path.iterdir())
    target = f"{sshd_server.user}@{sshd_server.host}:{server_root}"

    report = rn.sync(target, laptop, **sync_kwargs)

    assert len(report.refused) == 1 and "stream" in report.refused[0], report.refused
    refused_id = next(i for i in ids if i in report.refused[0])
    assert sorted(p.name for p in tmp_path.iterdir()) == before
    assert not any((laptop.joinpath(*[".."] * up) / "escape.jsonl").exists() for up in range(6))
    copied = run_files(laptop)
    assert not any(b"owned" in data for data in copied.values())
    # The runs after the refused frame came file by file; the refused one waits.
    assert sorted(report.runs_new) == sorted(set(ids) - {refused_id})
    monkeypatch.setattr(stream, "SEND_SCRIPT_PATH", honest)
    healed = rn.sync(target, laptop, **sync_kwargs)
    assert healed.ok and healed.runs_new + healed.runs_updated == [refused_id]
    assert run_files(laptop) == run_files(server_root)


def _big_run(root: Path, megabytes: int) -> Path:
    run = root / "vision" / "resnet50" / "runs" / "20261201_090000_b1g000"
    run.mkdir(parents=True)
    (run / "meta.json").write_text(
        '{"id": "20261201_090000_b1g000", "project": "vision", "name": "resnet50", '
        '"created_at": 1796000000.0, "config": {"学习率": 0.0003}}'
    )
    (run / "status.json").write_text('{"status": "finished", "ended_at": 1796009000.0}')
    rows = [
        f'{{"ts": {1796000000 + s * 0.01:.2f}, "type": "metrics", "data": {{"train/loss": '
        f'{1.0 / (s + 1):.9f}, "val/acc": {os.urandom(3).hex()!r}, "global_step": {s}}}}}\n'
        for s in range(megabytes * 9000)
    ]
    (run / "events.jsonl").write_text("".join(rows).replace("'", '"'))
    return run


def test_a_stream_killed_mid_file_leaves_no_torn_file_and_the_next_sync_resumes(
    tmp_path: Path, sshd_server: SshdServer, sync_kwargs: dict[str, Any], ssh_options: Any
) -> None:
    server_root, laptop = tmp_path / "gpu01", tmp_path / "laptop"
    run = _big_run(server_root, 60)
    folder = laptop / run.relative_to(server_root)
    part = folder / ".events.jsonl.lines.rnsync-part"
    total = sum(len(v) for v in run_files(server_root).values())
    env = dict(os.environ, HOME=str(tmp_path), COLUMNS="200")
    env.pop("SSH_AUTH_SOCK", None)
    proc = subprocess.Popen(
        [sys.executable, "-m", "runicorn", "sync", f"{sshd_server.user}@{sshd_server.host}:"
         f"{server_root}", str(laptop), "-p", str(sshd_server.port), "-i",
         str(sshd_server.client_key_path)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, stdin=subprocess.DEVNULL, env=env,
    )  # fmt: skip
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and proc.poll() is None:
        if part.exists() and part.stat().st_size > 8 << 20:
            break
        time.sleep(0.002)
    assert proc.poll() is None, proc.communicate()
    proc.send_signal(signal.SIGKILL)
    proc.wait(10)

    source = run_files(server_root)
    arrived = part.stat().st_size
    events = (run / "events.jsonl").read_bytes()
    assert 0 < arrived < len(events) and events.startswith(part.read_bytes())
    assert run_files(laptop) == {}, "a file is visible before all its bytes arrived"

    report = rn.sync(f"{sshd_server.user}@{sshd_server.host}:{server_root}", laptop, **sync_kwargs)
    assert report.ok, report.to_dict()
    assert report.bytes_moved <= total - arrived
    assert run_files(laptop) == source
    assert not part.exists()
