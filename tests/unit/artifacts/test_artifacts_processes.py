"""Artifacts across process boundaries: a hard kill mid-write, and a huge file in flat memory."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from runicorn.artifacts.storage import ArtifactStore

SCRIPT = textwrap.dedent(
    """
    import json, sys, time
    import runicorn as rn

    root, source, mode = sys.argv[1], sys.argv[2], sys.argv[3]
    run = rn.init(project="vision", name="big", storage=root, capture_console=False,
                  capture_env=False, system_metrics=False)
    # VmHWM, not ru_maxrss: Linux keeps ru_maxrss across exec, so a child of a large pytest
    # process would start with the parent's resident size as its "peak".
    def status(field: str) -> int:
        with open("/proc/self/status") as lines:
            for line in lines:
                if line.startswith(field):
                    return int(line.split()[1]) * 1024
        return 0
    before = status("VmRSS:")
    started = time.perf_counter()
    handle = run.log_model(source, "checkpoint", aliases=["last"])
    queued = time.perf_counter() - started
    print("QUEUED", flush=True)
    if mode == "hang":
        time.sleep(600)
    stored = handle.wait()
    run.finish()
    peak = status("VmHWM:")
    print(json.dumps({"before": before, "peak": peak, "queued_s": queued,
                      "version": stored.version if stored else None}), flush=True)
    """
)


def _start(root: Path, source: Path, mode: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-c", SCRIPT, str(root), str(source), mode],
        stdout=subprocess.PIPE,
        text=True,
    )


def test_sigkill_during_log_artifact_leaves_no_half_visible_version_or_blob(
    root: Path, tmp_path: Path
) -> None:
    source = tmp_path / "checkpoint.pt"
    with open(source, "wb") as handle:  # real bytes, so the copy takes a while
        chunk = os.urandom(1 << 20)
        for _ in range(400):
            handle.write(chunk)
    child = _start(root, source, "hang")
    temp_dir = root / ".runicorn" / "blobs" / "tmp"
    deadline = time.monotonic() + 60
    while not (temp_dir.is_dir() and any(p.stat().st_size > 0 for p in temp_dir.iterdir())):
        assert time.monotonic() < deadline, "the worker never started writing"
        time.sleep(0.005)
    child.send_signal(signal.SIGKILL)
    child.wait(timeout=30)

    shards = [p for p in (root / ".runicorn" / "blobs").glob("??/*")]
    assert shards == []  # no blob under its hash: only the temp file, which no reader sees
    with ArtifactStore(root) as store:
        assert store.version_numbers("vision", "checkpoint") == []
        assert store.index.list_artifacts()[1] == 0
    # The next attempt stores it whole.
    retry = _start(root, source, "wait")
    out, _ = retry.communicate(timeout=120)
    assert json.loads(out.splitlines()[-1])["version"] == 1
    with ArtifactStore(root) as store:
        version = store.resolve("vision", "checkpoint", "last")
        entry = version.files["checkpoint.pt"]
        assert entry.size == 400 << 20
        assert store.verified_blob(entry).stat().st_size == entry.size


@pytest.mark.slow
def test_a_2gb_file_is_logged_in_flat_memory(root: Path, tmp_path: Path) -> None:
    source = tmp_path / "huge.pt"
    with open(source, "wb") as handle:  # sparse: no 2 GB written to make it
        handle.truncate(2 << 30)
    child = _start(root, source, "wait")
    out, _ = child.communicate(timeout=600)
    figures = json.loads(out.splitlines()[-1])
    assert figures["version"] == 1
    assert figures["peak"] - figures["before"] < 64 << 20, figures  # a 2 GB file, flat memory
    with ArtifactStore(root) as store:
        entry = store.resolve("vision", "checkpoint").files["huge.pt"]
        assert entry.size == 2 << 30
        assert store.blobs.path_of(entry.sha256).stat().st_size == 2 << 30
