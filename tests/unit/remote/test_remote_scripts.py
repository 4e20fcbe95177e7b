"""The stand-alone scripts sent to the remote host, run here with this Python."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from pyenv_shims import make_pyenv_shims

import runicorn as rn
from runicorn.remote.viewer.manager import (
    PythonEnvironment,
    is_compatible_version,
    remote_script,
    unique_environments,
)

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


def test_python_info_reports_one_identity_through_two_shims(tmp_path: Path) -> None:
    """Issue 8 item 15: ``python`` and ``python3`` shims of one venv report the same pair."""
    shims = make_pyenv_shims(tmp_path, Path(sys.prefix))
    infos = [
        json.loads(
            subprocess.run(
                [str(shim), "-c", remote_script("python_info.py")],
                capture_output=True, text=True, check=True,
            ).stdout
        )
        for shim in shims.values()
    ]  # fmt: skip
    assert {info["real_prefix"] for info in infos} == {os.path.realpath(sys.prefix)}
    assert len({info["real_executable"] for info in infos}) == 1
    assert infos[0]["executable"] != infos[1]["executable"]  # the paths differ...
    assert infos[0]["runicorn_version"] == rn.__version__ and infos[0]["error"] is None


def test_unique_environments_keep_one_entry_per_interpreter() -> None:
    venv = ("/usr/bin/python3.11", "/home/ada/.venvs/sweep")
    envs = [
        PythonEnvironment("/home/ada/.pyenv/shims/python", "path", "python", identity=venv),
        PythonEnvironment("/home/ada/.pyenv/shims/python3", "path", "python3", identity=venv),
        PythonEnvironment("/opt/conda/envs/sweep/bin/python", "conda", "sweep",
                          identity=("/opt/conda/envs/sweep/bin/python3.11",
                                    "/opt/conda/envs/sweep")),
        PythonEnvironment("/usr/bin/python3", "path", "python3",
                          identity=("/usr/bin/python3.11", "/usr")),
        PythonEnvironment("/nope/python", "user", "/nope/python", error="not found"),
    ]  # fmt: skip
    unique = unique_environments(envs)
    assert len(unique) == 4
    shimmed = [e for e in unique if e.identity == venv]
    assert len(shimmed) == 1
    assert shimmed[0].to_dict()["found_as"] == [
        "/home/ada/.pyenv/shims/python",
        "/home/ada/.pyenv/shims/python3",
    ]
    assert "identity" not in shimmed[0].to_dict()
