"""``runicorn remote`` as a user runs it: a real process, a y/N prompt, Ctrl-C to stop."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import psutil
import pytest

import runicorn as rn
from runicorn.remote.cli import format_runs_table, list_remote_runs
from runicorn.remote.commands import viewer_label
from runicorn.remote.errors import UnknownHostKeyError
from runicorn.remote.known_hosts import accept_host_key, runicorn_known_hosts_path

if TYPE_CHECKING:
    from conftest import SshdServer

pytestmark = pytest.mark.remote

STANDIN = str(Path(__file__).resolve().parent / "standin_viewer.py")
REAL_VIEWER = (Path(rn.__file__).parent / "viewer" / "__main__.py").exists()

DRIVER = """
import sys
from runicorn.remote.cli import run_remote_cli
target, key, root, launcher = sys.argv[1:5]
sys.exit(run_remote_cli(target, key_file=key, root=root, open_browser=False,
                        launcher=(launcher,) if launcher else None))
"""


@pytest.fixture
def cli_env(tmp_path: Path, runicorn_config_dir: Path) -> dict[str, str]:
    """The CLI's environment: an empty home (no ~/.ssh), a private Runicorn config folder."""
    home = tmp_path / "home"
    home.mkdir()
    env = dict(os.environ)
    env.update(HOME=str(home), RUNICORN_CONFIG_DIR=str(runicorn_config_dir))
    env.pop("SSH_AUTH_SOCK", None)
    return env


@pytest.fixture
def cli_processes() -> Iterator[list[subprocess.Popen[str]]]:
    """CLI processes a test started; killed at the end if a failed test left them running."""
    started: list[subprocess.Popen[str]] = []
    yield started
    for proc in started:
        if proc.poll() is None:
            proc.kill()
            proc.wait(10)


def start_cli(
    server: SshdServer, env: dict[str, str], root: Path, started: list[subprocess.Popen[str]]
) -> subprocess.Popen[str]:
    target = f"{server.user}@{server.host}:{server.port}"
    launcher = "" if REAL_VIEWER else STANDIN
    proc = subprocess.Popen(
        [sys.executable, "-c", DRIVER, target, str(server.client_key_path), str(root), launcher],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    started.append(proc)
    return proc


def viewer_processes(token: str) -> list[psutil.Process]:
    label = viewer_label(token)
    return [
        p
        for p in psutil.process_iter(["cmdline"])
        if any(label in part for part in (p.info.get("cmdline") or []))
    ]


def test_remote_cli_asks_about_the_host_key_serves_and_stops_on_ctrl_c(
    sshd_server: SshdServer,
    cli_env: dict[str, str],
    tmp_path: Path,
    cli_processes: list[subprocess.Popen[str]],
) -> None:
    import asyncio

    from runicorn.remote.viewer.session import http_get

    proc = start_cli(sshd_server, cli_env, tmp_path, cli_processes)
    assert proc.stdin and proc.stdout and proc.stderr
    proc.stdin.write("y\n")
    proc.stdin.flush()
    url = proc.stdout.readline().strip()
    assert url.startswith("http://127.0.0.1:"), proc.stderr.read() if proc.poll() else url
    port = int(url.split(":")[2].split("/")[0])
    token = url.split("token=", 1)[1]
    status, body = asyncio.run(
        http_get("127.0.0.1", port, "/api/health", {"Authorization": f"Bearer {token}"})
    )
    assert status == 200 and json.loads(body)["status"] == "ok"
    assert viewer_processes(token)
    assert "ssh-ed25519" in runicorn_known_hosts_path().read_text()

    proc.send_signal(signal.SIGINT)
    code = proc.wait(timeout=30)
    messages = proc.stderr.read()
    assert code == 0, messages
    assert "can't be established" in messages and "SHA256:" in messages
    assert "the remote viewer has exited" in messages, messages
    deadline = time.monotonic() + 5
    while viewer_processes(token) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert viewer_processes(token) == []


def test_remote_cli_declined_host_key_trusts_nothing(
    sshd_server: SshdServer,
    cli_env: dict[str, str],
    tmp_path: Path,
    cli_processes: list[subprocess.Popen[str]],
) -> None:
    proc = start_cli(sshd_server, cli_env, tmp_path, cli_processes)
    stdout, stderr = proc.communicate("n\n", timeout=60)
    assert proc.returncode == 1
    assert stdout == ""
    assert "SHA256:" in stderr
    assert not runicorn_known_hosts_path().exists()


def test_remote_ls_lists_runs_on_the_remote_root(
    sshd_server: SshdServer,
    runicorn_config_dir: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("HOME", str(tmp_path))
    root = tmp_path / "remote root"
    run = rn.init(
        project="vision",
        name="resnet",
        storage=root,
        capture_console=False,
        capture_env=False,
        system_metrics=False,
    )
    run.log({"loss": 0.5})
    run.finish()
    target = f"{sshd_server.user}@{sshd_server.host}:{sshd_server.port}"
    key = str(sshd_server.client_key_path)
    with pytest.raises(UnknownHostKeyError):
        list_remote_runs(target, str(root), key_file=key, ask=lambda _: "no", echo=lambda _: None)
    accept_host_key(sshd_server.host, sshd_server.port, sshd_server.host_public_key)
    listing = list_remote_runs(target, str(root), key_file=key, python=sys.executable)
    assert listing["root"] == str(root) and listing["exists"] is True
    assert [(r["id"], r["project"], r["name"], r["status"]) for r in listing["runs"]] == [
        (run.id, "vision", "resnet", "finished")
    ]
    table = format_runs_table(listing)
    assert run.id in table and "finished" in table
    empty = list_remote_runs(target, str(tmp_path / "nothing"), key_file=key)
    assert empty["exists"] is False


def test_runicorn_remote_ls_command_prints_the_remote_runs(
    sshd_server: SshdServer, cli_env: dict[str, str], tmp_path: Path
) -> None:
    root = tmp_path / "remote root"
    run = rn.init(project="nlp", name="bert", storage=root, capture_console=False,
                  capture_env=False, system_metrics=False)  # fmt: skip
    run.finish()
    accept_host_key(sshd_server.host, sshd_server.port, sshd_server.host_public_key)
    target = f"{sshd_server.user}@{sshd_server.host}"
    command = [sys.executable, "-m", "runicorn", "remote", "ls", target,
               "--port", str(sshd_server.port), "-i", str(sshd_server.client_key_path),
               "--root", str(root), "--python", sys.executable]  # fmt: skip
    done = subprocess.run(command, env=cli_env, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert run.id in done.stdout and "bert" in done.stdout and "finished" in done.stdout

    wrong = subprocess.run(
        [sys.executable, "-m", "runicorn", "remote", "a", "b", "c"],
        env=cli_env, capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert wrong.returncode == 1 and "usage: runicorn remote" in wrong.stderr
