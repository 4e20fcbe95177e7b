"""The stand-alone scripts sent to the remote host, run here with this Python."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

import runicorn as rn
from runicorn.remote.viewer.manager import is_compatible_version, remote_script

FAKE_SMI = """#!/bin/sh
echo '0, NVIDIA A100-SXM4-80GB, 87, 20145, 81920, 71, 312.45'
echo '1, NVIDIA A100-SXM4-80GB, 0, 3, 81920, 34, [N/A]'
"""


def run_script(name: str, *args: str, env: dict[str, str] | None = None) -> dict[str, object]:
    done = subprocess.run(
        [sys.executable, "-", *args],
        input=remote_script(name),
        capture_output=True,
        text=True,
        env=env,
        check=True,
    )
    return json.loads(done.stdout)


def test_host_status_reads_gpus_from_nvidia_smi(tmp_path: Path) -> None:
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    smi = bin_dir / "nvidia-smi"
    smi.write_text(FAKE_SMI)
    smi.chmod(0o755)
    env = {**os.environ, "PATH": f"{bin_dir}:{os.environ['PATH']}"}
    status = run_script("host_status.py", str(tmp_path / "not" / "yet"), env=env)
    gpu = status["gpu"]
    assert isinstance(gpu, dict) and gpu["available"] is True
    first, second = gpu["gpus"]
    assert first["memory_total"] == 81920 * 1024 * 1024 and first["utilization"] == 87.0
    assert second["power"] is None
    disk = status["disk"]
    assert isinstance(disk, dict) and disk["measured_at"] == str(tmp_path)


def test_host_status_without_nvidia_smi_says_why(tmp_path: Path) -> None:
    env = {**os.environ, "PATH": str(tmp_path)}
    status = run_script("host_status.py", "", env=env)
    gpu = status["gpu"]
    assert isinstance(gpu, dict)
    assert gpu["available"] is False and "nvidia-smi not found" in gpu["reason"]
    memory = status["memory"]
    assert isinstance(memory, dict) and memory["total"]


def test_list_runs_reads_both_layouts_and_flags_stale_runs(tmp_path: Path) -> None:
    root = tmp_path / "root"
    done = rn.init(
        project="p",
        name="a/b",
        storage=root,
        capture_console=False,
        capture_env=False,
        system_metrics=False,
    )
    done.finish()
    legacy = root / "runs" / "proj" / "exp" / "20240101_000000_abcdef"
    legacy.mkdir(parents=True)
    (legacy / "status.json").write_text(json.dumps({"status": "running", "heartbeat_at": 1.0}))
    (root / ".runicorn").mkdir(exist_ok=True)
    listing = run_script("list_runs.py", str(root))
    assert listing["root"] == str(root) and listing["exists"] is True
    runs = {r["id"]: r for r in listing["runs"]}  # type: ignore[union-attr]
    assert runs[done.id]["project"] == "p" and runs[done.id]["name"] == "a/b"
    assert runs[done.id]["status"] == "finished"
    stale = runs["20240101_000000_abcdef"]
    assert (stale["project"], stale["name"], stale["status"]) == ("proj", "exp", "crashed")


def test_list_runs_of_a_missing_root(tmp_path: Path) -> None:
    listing = run_script("list_runs.py", str(tmp_path / "none"))
    assert listing == {"root": str(tmp_path / "none"), "exists": False, "runs": []}


@pytest.mark.parametrize(
    ("remote", "local", "ok"),
    [
        ("0.1.0", "0.1.3", True),
        ("0.1.7.dev1", "0.1.0", True),
        ("0.2.0", "0.1.0", False),
        ("1.4.0", "1.0.0", True),
        ("2.0.0", "1.9.0", False),
        (None, "0.1.0", False),
        ("garbage", "0.1.0", False),
    ],
)
def test_version_compatibility(remote: str | None, local: str, ok: bool) -> None:
    assert is_compatible_version(remote, local) is ok
