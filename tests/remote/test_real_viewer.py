"""The real viewer (``python -m runicorn.viewer``) on the "remote" host, through the tunnel.

What a browser does: open the printed URL (the token becomes a cookie), list runs, follow a run
that is logging right now over the metrics WebSocket, change a run (a mutating request with an
Origin), and keep working after the SSH link drops.
"""

from __future__ import annotations

import asyncio
import json
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

import httpx
import psutil
import pytest
import websockets

import runicorn as rn
from runicorn.remote.connection import SSHConfig
from runicorn.remote.viewer.session import ViewerSession

if TYPE_CHECKING:
    from conftest import SshdServer

pytestmark = [
    pytest.mark.remote,
    pytest.mark.skipif(
        not (Path(rn.__file__).parent / "viewer" / "__main__.py").exists(),
        reason="the viewer (runicorn/viewer/__main__.py) is not there yet",
    ),
]


def quiet_run(root: Path, name: str) -> Any:
    return rn.init(
        project="vision",
        name=name,
        storage=root,
        capture_console=False,
        capture_env=False,
        system_metrics=False,
    )


def session_for(config: SSHConfig, root: Path, **options: Any) -> ViewerSession:
    import sys

    return ViewerSession(config, python=sys.executable, root=str(root), **options)


async def open_url(client: httpx.AsyncClient, session: ViewerSession) -> None:
    """Open the printed URL, as a browser does: the client then holds the token cookie."""
    first = await client.get(f"{session.base_url}/?token={session.token}")
    assert first.status_code in (200, 404), first.text[:300]
    assert client.cookies, "opening the URL must leave the token as a cookie"


async def test_runs_listed_and_changed_through_the_tunnel(
    ssh_config: SSHConfig, tmp_path: Path
) -> None:
    root = tmp_path / "root"
    run = quiet_run(root, "resnet")
    run.log({"loss": 0.5})
    run.finish()
    async with session_for(ssh_config, root) as session:
        health = session.last_health
        assert health is not None and health["status"] == "ok" and health["root"] == str(root)
        shown = [
            p.pid
            for p in psutil.process_iter(["cmdline"])
            if any(session.token in part for part in (p.info.get("cmdline") or []))
        ]
        assert shown == [], "the token must not appear in any command line (`ps` shows them all)"
        async with httpx.AsyncClient(base_url=session.base_url, timeout=30) as client:
            await open_url(client, session)
            listing = (await client.get("/api/experiments")).json()
            assert [item["id"] for item in listing["items"]] == [run.id]
            assert listing["items"][0]["metrics"]["loss"]["last"] == 0.5
            patched = await client.patch(
                f"/api/runs/{run.id}",
                json={"tags": ["remote"]},
                headers={"Origin": session.base_url},
            )
            assert patched.status_code == 200, patched.text
            assert patched.json()["tags"] == ["remote"]
            foreign = await client.patch(
                f"/api/runs/{run.id}",
                json={"tags": ["evil"]},
                headers={"Origin": "http://evil.example"},
            )
            assert foreign.status_code == 403
        async with httpx.AsyncClient(base_url=session.base_url) as anonymous:
            assert (await anonymous.get("/api/experiments")).status_code == 401


async def test_a_root_with_quotes_and_command_substitution_is_served_literally(
    ssh_config: SSHConfig, tmp_path: Path
) -> None:
    root = tmp_path / 'it\'s "odd" $(touch PWNED) `touch PWNED2`'
    run = quiet_run(root, "odd")
    run.finish()
    async with session_for(ssh_config, root) as session:
        assert session.last_health is not None and session.last_health["root"] == str(root)
        async with httpx.AsyncClient(base_url=session.base_url, timeout=30) as client:
            await open_url(client, session)
            listing = (await client.get("/api/experiments")).json()
        assert [item["id"] for item in listing["items"]] == [run.id]
    for folder in (tmp_path, root, Path.home(), Path("/")):
        assert not (folder / "PWNED").exists() and not (folder / "PWNED2").exists()


async def test_a_run_logging_remotely_streams_over_the_tunnel_websocket(
    ssh_config: SSHConfig, tmp_path: Path
) -> None:
    root = tmp_path / "root"
    run = quiet_run(root, "live")
    run.log({"loss": 1.0})
    async with session_for(ssh_config, root) as session:
        ws_url = f"ws://127.0.0.1:{session.local_port}/api/metrics/{run.id}/ws"
        async with websockets.connect(
            ws_url, additional_headers=session.auth_headers(), origin=session.base_url
        ) as ws:  # type: ignore[arg-type]
            await ws.send(json.dumps({"keys": ["loss"], "after": 0}))
            seen: list[int] = []
            latencies: list[float] = []
            for step in range(2, 12):
                logged_at = time.monotonic()
                run.log({"loss": 1.0 / step})
                while step not in seen:
                    message = json.loads(await asyncio.wait_for(ws.recv(), 10))
                    if "series" in message and "loss" in message["series"]:
                        seen += message["series"]["loss"]["x"]
                latencies.append(time.monotonic() - logged_at)
            assert seen[-10:] == list(range(2, 12))
            run.finish()
            deadline = time.monotonic() + 10
            status = None
            while status != "finished" and time.monotonic() < deadline:
                message = json.loads(await asyncio.wait_for(ws.recv(), 10))
                status = message.get("status", status)
            assert status == "finished"
        # The SDK flushes every 50 ms here; the live push must follow within about a second.
        assert max(latencies) < 2.0, latencies


async def test_browser_tab_keeps_working_after_the_link_drops(
    ssh_config: SSHConfig, sshd_server: SshdServer, tmp_path: Path
) -> None:
    root = tmp_path / "root"
    run = quiet_run(root, "resilient")
    run.log({"loss": 0.1})
    run.finish()
    session = session_for(ssh_config, root, health_interval=0.3, health_timeout=3)
    async with session:
        async with httpx.AsyncClient(base_url=session.base_url, timeout=30) as client:
            await open_url(client, session)
            assert (await client.get("/api/experiments")).json()["total"] == 1
            port = session.local_port
            assert session.viewer is not None
            old_pid = session.viewer.pid
            sshd_server.drop_connections()
            deadline = time.monotonic() + 45
            while session.reconnects < 1 and time.monotonic() < deadline:
                await asyncio.sleep(0.05)
            assert session.reconnects == 1, session.info()
            assert session.local_port == port
            answer = await client.get("/api/experiments")  # same tab: cookie only, same port
            assert answer.status_code == 200 and answer.json()["total"] == 1
            assert session.viewer.pid != old_pid
        token = session.token
    await asyncio.sleep(0)
    leftovers = [
        p
        for p in psutil.process_iter(["cmdline"])
        if any(token in part for part in (p.info.get("cmdline") or []))
    ]
    assert leftovers == []


async def test_two_sessions_in_one_browser_keep_their_own_tokens(
    ssh_config: SSHConfig, tmp_path: Path
) -> None:
    root = tmp_path / "root"
    root.mkdir()
    async with session_for(ssh_config, root) as first, session_for(ssh_config, root) as second:
        jar = httpx.Cookies()
        async with httpx.AsyncClient(cookies=jar, timeout=30) as browser:
            await browser.get(f"{first.base_url}/?token={first.token}")
            await browser.get(f"{second.base_url}/?token={second.token}")
            again = await browser.get(f"{first.base_url}/api/health")
        assert again.status_code == 200
