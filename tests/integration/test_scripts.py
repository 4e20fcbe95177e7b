"""The set-up scripts a newcomer runs: which Node builds the UI, and the demo stopping cleanly."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
NODE_SCRIPT = REPO / "scripts" / "node.sh"


def fake_node(folder: Path, version: str, *, with_npm: bool = True) -> Path:
    """A ``node`` (and ``npm``) that only answers ``--version``, like an old system install."""
    folder.mkdir(parents=True, exist_ok=True)
    for name in ("node", "npm") if with_npm else ("node",):
        program = folder / name
        program.write_text(f"#!/bin/sh\necho {version}\n")
        program.chmod(0o755)
    return folder


def choose_node(venv: Path, path: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["bash", str(NODE_SCRIPT), str(venv)],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=600,
        env={**os.environ, "PATH": path},
    )


def test_an_old_system_node_gives_way_to_node_from_pypi_in_the_venv(tmp_path: Path) -> None:
    old = fake_node(tmp_path / "debian-node", "v18.19.0")
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, timeout=120)
    path = f"{old}:{os.environ['PATH']}"

    # The venv named relative to the project, as setup.sh does; the answer must be absolute,
    # since the build runs in web/.
    chosen = choose_node(Path(os.path.relpath(venv, REPO)), path)

    assert chosen.returncode == 0, chosen.stderr
    assert chosen.stdout.strip() == str(venv / "bin")
    assert "v18.19.0, older than 20.19" in chosen.stderr
    build_path = f"{chosen.stdout.strip()}:{path}"
    node = subprocess.run(["node", "--version"], capture_output=True, text=True, timeout=60,
                          env={**os.environ, "PATH": build_path})  # fmt: skip
    major, minor = (int(part) for part in node.stdout.strip().lstrip("v").split(".")[:2])
    assert (major, minor) >= (20, 19), node.stdout
    for tool in ("npm", "npx"):
        answer = subprocess.run([tool, "--version"], capture_output=True, text=True, timeout=60,
                                env={**os.environ, "PATH": build_path})  # fmt: skip
        assert answer.returncode == 0 and answer.stdout.strip()[0].isdigit(), answer.stderr

    again = choose_node(venv, path)
    assert again.stdout.strip() == str(venv / "bin") and "installing" not in again.stderr


def test_a_recent_system_node_is_used_and_nothing_is_installed(tmp_path: Path) -> None:
    recent = fake_node(tmp_path / "system", "v20.19.0")
    venv = tmp_path / "venv"
    chosen = choose_node(venv, f"{recent}:{os.environ['PATH']}")
    assert chosen.returncode == 0, chosen.stderr
    assert chosen.stdout.strip() == str(recent)
    assert not venv.exists()


def live_run_status(root: Path) -> dict[str, object] | None:
    for status_file in root.glob("demo/live-finetune/runs/*/status.json"):
        try:
            status: dict[str, object] = json.loads(status_file.read_text())
        except ValueError:
            return None
        return status
    return None


@pytest.mark.skipif(not (REPO / ".venv" / "bin" / "runicorn").exists(), reason="needs setup.sh")
def test_ctrl_c_stops_the_demo_viewer_and_its_live_run(tmp_path: Path) -> None:
    root = tmp_path / "demo-data"
    env = {**os.environ, "RUNICORN_DEMO_ROOT": str(root), "BROWSER": "true"}
    # A session of its own, like a terminal's foreground job: Ctrl-C reaches its whole group.
    demo = subprocess.Popen(
        ["bash", str(REPO / "scripts" / "demo.sh"), "--no-setup"],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
        start_new_session=True,
    )
    try:
        deadline = time.monotonic() + 240
        status = None
        while time.monotonic() < deadline and demo.poll() is None:
            status = live_run_status(root)
            if status and status.get("status") == "running":
                break
            time.sleep(0.2)
        assert status is not None and status.get("status") == "running", status
        os.killpg(demo.pid, signal.SIGINT)
        demo.wait(timeout=60)
    finally:
        if demo.poll() is None:
            os.killpg(demo.pid, signal.SIGKILL)
            demo.wait(timeout=10)
    status = live_run_status(root)
    assert status is not None and status["status"] == "interrupted", status
    pid = status.get("pid")
    assert isinstance(pid, int)
    with pytest.raises(ProcessLookupError):
        os.kill(pid, 0)
