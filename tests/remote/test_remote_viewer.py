"""The remote viewer over a real sshd: start, tunnel, reconnect, stop, and literal quoting.

These use the stand-in viewer (``standin_viewer.py``), which follows the real viewer's launch
contract, so they exercise the SSH side on their own; ``test_real_viewer.py`` repeats the
essentials with the real viewer (``python -m runicorn.viewer``).
"""

from __future__ import annotations

import asyncio
import json
import os
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

import psutil
import pytest
import websockets

import runicorn as rn
from runicorn.remote.commands import viewer_label
from runicorn.remote.connection import SSHConfig, SSHConnection
from runicorn.remote.errors import RemotePathError, RemoteViewerError
from runicorn.remote.viewer.manager import RemoteViewerManager
from runicorn.remote.viewer.session import SessionState, ViewerSession, http_get
from runicorn.remote.viewer.tunnel import SSHTunnel

if TYPE_CHECKING:
    from conftest import SshdServer

pytestmark = pytest.mark.remote

STANDIN = (str(Path(__file__).resolve().parent / "standin_viewer.py"),)
PYTHON = sys.executable
WEIRD_NAME = 'it\'s a "dir" $(touch PWNED) `touch PWNED2` ; echo x'


def make_runs(root: Path, count: int = 2) -> list[str]:
    ids = []
    for i in range(count):
        run = rn.init(
            project="vision",
            name=f"model{i}",
            storage=root,
            capture_console=False,
            capture_env=False,
            system_metrics=False,
        )
        run.log({"loss": 1.0 / (i + 1)})
        run.finish()
        ids.append(run.id)
    return ids


def viewer_processes(token: str) -> list[psutil.Process]:
    """Our remote viewers, found by the public label their command line carries."""
    label = viewer_label(token)
    found = []
    for proc in psutil.process_iter(["cmdline"]):
        cmdline = proc.info.get("cmdline") or []
        if any(label in part for part in cmdline):
            found.append(proc)
    return found


def processes_showing(secret: str) -> list[psutil.Process]:
    """Processes whose command line (readable by any user, as `ps` shows it) holds ``secret``."""
    return [
        proc
        for proc in psutil.process_iter(["cmdline"])
        if any(secret in part for part in (proc.info.get("cmdline") or []))
    ]


async def wait_for(predicate: Any, timeout: float, message: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        await asyncio.sleep(0.05)
    raise AssertionError(message)


async def get_json(port: int, path: str, token: str) -> Any:
    status, body = await http_get("127.0.0.1", port, path, {"Authorization": f"Bearer {token}"})
    assert status == 200, body
    return json.loads(body)


async def test_viewer_starts_and_answers_through_the_tunnel(
    ssh_config: SSHConfig, tmp_path: Path
) -> None:
    root = tmp_path / "root"
    ids = make_runs(root)
    session = ViewerSession(ssh_config, python=PYTHON, root=str(root), launcher=STANDIN)
    async with session:
        assert session.state is SessionState.RUNNING
        assert session.url == f"http://127.0.0.1:{session.local_port}/?token={session.token}"
        health = await get_json(session.local_port, "/api/health", session.token)
        assert health == {"status": "ok", "version": "standin", "root": str(root)}
        listing = await get_json(session.local_port, "/api/experiments", session.token)
        assert sorted(item["id"] for item in listing["items"]) == sorted(ids)
        status, _ = await http_get("127.0.0.1", session.local_port, "/api/health")
        assert status == 401, "the remote viewer must demand the token"
        assert viewer_processes(session.token), "the viewer is found by its public label"
        assert processes_showing(session.token) == [], "other users' `ps` must not show the token"
        info = session.info()
        assert info["state"] == "running" and info["remote_pid"]
        assert "password" not in json.dumps(info)


async def test_stop_leaves_no_remote_viewer_process(ssh_config: SSHConfig, tmp_path: Path) -> None:
    session = await ViewerSession(
        ssh_config, python=PYTHON, root=str(tmp_path), launcher=STANDIN
    ).start()
    assert session.viewer is not None
    pid = session.viewer.pid
    assert pid is not None and psutil.pid_exists(pid)
    assert viewer_processes(session.token)
    port = session.local_port
    await session.close()
    assert session.state is SessionState.STOPPED
    assert session.remote_viewer_gone is True
    assert not psutil.pid_exists(pid) or psutil.Process(pid).status() == psutil.STATUS_ZOMBIE
    assert viewer_processes(session.token) == []
    with pytest.raises(OSError):
        await http_get("127.0.0.1", port, "/api/health")


async def test_dropped_link_reconnects_on_the_same_local_port(
    ssh_config: SSHConfig, sshd_server: SshdServer, tmp_path: Path
) -> None:
    events: list[tuple[str, str]] = []
    session = ViewerSession(
        ssh_config,
        python=PYTHON,
        root=str(tmp_path),
        launcher=STANDIN,
        health_interval=0.3,
        health_timeout=2,
        on_event=lambda kind, message: events.append((kind, message)),
    )
    async with session:
        port, token = session.local_port, session.token
        assert session.viewer is not None
        old_pid = session.viewer.pid
        assert sshd_server.drop_connections() > 0
        await wait_for(lambda: session.reconnects == 1, 30, f"no reconnect: {events}")
        assert session.state is SessionState.RUNNING
        assert session.local_port == port
        health = await get_json(port, "/api/health", token)
        assert health["status"] == "ok"
        assert session.viewer.pid != old_pid
        # The old viewer lost its channel's stdin and must have exited on its own.
        await wait_for(lambda: not psutil.pid_exists(old_pid or 0), 15, "old viewer still alive")
        assert [k for k, _ in events][:1] == ["lost"]
        assert "reconnected" in [k for k, _ in events]
    assert viewer_processes(token) == []


async def test_dead_remote_viewer_is_restarted_behind_the_same_port(
    ssh_config: SSHConfig, tmp_path: Path
) -> None:
    session = ViewerSession(
        ssh_config,
        python=PYTHON,
        root=str(tmp_path),
        launcher=STANDIN,
        health_interval=0.3,
        health_timeout=2,
    )
    async with session:
        port = session.local_port
        assert session.viewer is not None and session.viewer.pid
        psutil.Process(session.viewer.pid).kill()
        await wait_for(lambda: session.viewer_restarts == 1, 30, f"no restart: {session.info()}")
        assert session.reconnects == 0
        assert session.local_port == port
        assert (await get_json(port, "/api/health", session.token))["status"] == "ok"
    assert viewer_processes(session.token) == []


async def test_tunnel_passes_http_and_websocket(ssh_config: SSHConfig) -> None:
    async def echo(ws: Any) -> None:
        async for message in ws:
            await ws.send(f"echo:{message}")

    async with websockets.serve(echo, "127.0.0.1", 0) as server:
        ws_port = next(iter(server.sockets)).getsockname()[1]
        conn = await SSHConnection.open(ssh_config)
        try:
            async with SSHTunnel(conn, ws_port) as tunnel:
                assert tunnel.local_port != ws_port
                async with websockets.connect(f"ws://127.0.0.1:{tunnel.local_port}/") as ws:
                    for text in ("one", "two" * 50_000):
                        await ws.send(text)
                        assert await ws.recv() == f"echo:{text}"
                status, body = await http_get("127.0.0.1", tunnel.local_port, "/")
                # websockets answers a plain HTTP request with 426: HTTP went through too.
                assert status == 426, body
        finally:
            await conn.aclose()


async def test_viewer_that_fails_to_start_reports_its_stderr(
    ssh_config: SSHConfig, tmp_path: Path
) -> None:
    broken = tmp_path / "broken_viewer.py"
    broken.write_text(
        "import sys\nsys.stderr.write('boom: no module named nonsense\\n')\nsys.exit(3)\n"
    )
    conn = await SSHConnection.open(ssh_config)
    try:
        with pytest.raises(RemoteViewerError) as caught:
            await RemoteViewerManager(conn).start_viewer(python=PYTHON, launcher=(str(broken),))
        assert "exited with status 3" in str(caught.value)
        assert "boom: no module named nonsense" in str(caught.value)
        with pytest.raises(RemoteViewerError, match=r"not found|No such file"):
            await RemoteViewerManager(conn).start_viewer(python="/nonexistent/bin/python")
    finally:
        await conn.aclose()


async def test_viewer_that_never_gets_ready_times_out_and_is_killed(
    ssh_config: SSHConfig, tmp_path: Path
) -> None:
    sleepy = tmp_path / "sleepy_viewer.py"
    sleepy.write_text("import sys, time\nprint('starting', flush=True)\ntime.sleep(600)\n")
    conn = await SSHConnection.open(ssh_config)
    try:
        with pytest.raises(RemoteViewerError, match="did not report ready within 1s"):
            await RemoteViewerManager(conn).start_viewer(
                python=PYTHON, launcher=(str(sleepy),), ready_timeout=1
            )
        await wait_for(
            lambda: (
                not any(
                    str(sleepy) in " ".join(p.info.get("cmdline") or [])
                    for p in psutil.process_iter(["cmdline"])
                )
            ),
            10,
            "the viewer that never got ready is still running",
        )
    finally:
        await conn.aclose()


async def test_remote_paths_with_quotes_and_command_substitution_stay_literal(
    ssh_config: SSHConfig, tmp_path: Path
) -> None:
    weird = tmp_path / WEIRD_NAME
    weird.mkdir()
    (weird / "inner file.txt").write_text("x")
    (weird / "sub dir").mkdir()
    make_runs(weird, count=1)
    conn = await SSHConnection.open(ssh_config)
    manager = RemoteViewerManager(conn)
    try:
        listing = await manager.list_dir(str(weird))
        names = [(e["name"], e["type"]) for e in listing["entries"]]
        assert ("sub dir", "dir") in names and ("inner file.txt", "file") in names
        assert listing["path"] == str(weird)
        assert (await manager.exists(str(weird / "inner file.txt")))["type"] == "file"
        assert (await manager.exists(str(weird / "$(nope)")))["exists"] is False
        with pytest.raises(RemotePathError, match="does not exist"):
            await manager.list_dir(str(weird / "missing"))

        echoed = await conn.run(["printf", "%s", str(weird)])
        assert echoed.stdout == str(weird)
        runs = await manager.list_runs(str(weird), python=PYTHON)
        assert runs["root"] == str(weird) and len(runs["runs"]) == 1

        viewer = await manager.start_viewer(python=PYTHON, root=str(weird), launcher=STANDIN)
        try:
            async with SSHTunnel(conn, viewer.port) as tunnel:
                health = await get_json(tunnel.local_port, "/api/health", viewer.token)
                assert health["root"] == str(weird)
        finally:
            assert await manager.stop_viewer(viewer)
    finally:
        await conn.aclose()
    home = Path.home()
    for folder in (tmp_path, weird, home, Path("/")):
        assert not (folder / "PWNED").exists() and not (folder / "PWNED2").exists()


async def test_environments_are_listed_with_their_runicorn(ssh_config: SSHConfig) -> None:
    # The fake conda reports this venv, whose ``bin/python`` it probes; the user names the same
    # venv by another of its executables: one environment, found by both paths.
    user_python = str(Path(sys.prefix) / "bin" / "python3")
    conn = await SSHConnection.open(ssh_config)
    try:
        envs = await RemoteViewerManager(conn).list_environments(extra_pythons=(user_python,))
    finally:
        await conn.aclose()
    real_venv = os.path.realpath(sys.prefix)
    venv = [e for e in envs if e.prefix and os.path.realpath(e.prefix) == real_venv]
    assert len(venv) == 1, [e.to_dict() for e in envs]
    assert venv[0].source == "user" and venv[0].python == user_python
    assert venv[0].compatible and venv[0].runicorn_version == rn.__version__
    assert venv[0].found_as == (user_python, str(Path(sys.prefix) / "bin" / "python"))
    assert envs[0].compatible, "compatible environments come first"
    on_path = [env for env in envs if env.source == "path"]
    assert on_path, "python3 on the remote PATH is listed"
    for env in on_path:
        assert env.compatible or env.error


async def test_remote_status_reports_load_memory_disk_and_gpus(
    ssh_config: SSHConfig, tmp_path: Path
) -> None:
    conn = await SSHConnection.open(ssh_config)
    try:
        status = await RemoteViewerManager(conn).status(python=PYTHON, root=str(tmp_path / "x"))
    finally:
        await conn.aclose()
    assert status["cpu_count"] == os.cpu_count()
    assert len(status["load"]) == 3
    assert status["memory"]["total"] > 0
    assert status["disk"]["measured_at"] == str(tmp_path)
    gpu = status["gpu"]
    assert gpu["available"] is True
    assert [g["name"] for g in gpu["gpus"]] == ["NVIDIA GeForce RTX 3090"] * 2
    assert gpu["gpus"][0]["memory_total"] == 24576 * 1024 * 1024
    assert gpu["gpus"][1]["power"] is None
