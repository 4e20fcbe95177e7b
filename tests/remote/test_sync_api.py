"""``/api/remote/sync`` against a real sshd: the Remote page's "Sync" pulls runs, with progress."""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import AsyncIterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import httpx
import pytest
from fastapi import FastAPI
from sync_runs import record_runs, run_files

from runicorn.manifest.jobs import SyncJobs
from runicorn.remote.known_hosts import accept_host_key
from runicorn.remote.service import RemoteService
from runicorn.security.credentials import CredentialStore
from runicorn.viewer.api import remote, sync

if TYPE_CHECKING:
    from conftest import SshdServer

pytestmark = pytest.mark.remote


@pytest.fixture
async def client(
    runicorn_config_dir: Path, ssh_options: dict[str, Any], tmp_path: Path
) -> AsyncIterator[httpx.AsyncClient]:
    hermetic = {k: ssh_options[k] for k in ("ssh_config_files", "user_known_hosts")}
    service = RemoteService(credentials=CredentialStore(), config_defaults=hermetic)
    jobs = SyncJobs()
    app = FastAPI()
    app.include_router(remote.router)
    app.include_router(sync.router)
    app.dependency_overrides[remote.get_remote_service] = lambda: service
    app.dependency_overrides[sync.get_sync_jobs] = lambda: jobs
    app.dependency_overrides[sync.get_sync_root] = lambda: tmp_path / "laptop"
    transport = httpx.ASGITransport(app=app)
    try:
        async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1") as http:
            yield http
    finally:
        await asyncio.to_thread(jobs.stop_all)
        await service.close()


async def _connect(client: httpx.AsyncClient, server: SshdServer) -> str:
    accept_host_key(server.host, server.port, server.host_public_key)
    answer = await client.post(
        "/api/remote/connect",
        json={
            "host": server.host,
            "port": server.port,
            "user": server.user,
            "key_file": str(server.client_key_path),
            "use_agent": False,
        },
    )
    assert answer.status_code == 200, answer.text
    return str(answer.json()["id"])


async def _wait(client: httpx.AsyncClient, job_id: str, states: set[str]) -> dict[str, Any]:
    for _ in range(600):
        info = (await client.get(f"/api/remote/sync/{job_id}")).json()
        if info["state"] in states:
            return dict(info)
        await asyncio.sleep(0.05)
    raise AssertionError(f"sync job stayed {info['state']}")


async def test_sync_once_pulls_the_remote_root_with_progress(
    client: httpx.AsyncClient, sshd_server: SshdServer, tmp_path: Path
) -> None:
    ids = record_runs(tmp_path / "gpu01", 4)
    connection_id = await _connect(client, sshd_server)

    started = await client.post(
        "/api/remote/sync",
        json={"connection_id": connection_id, "remote_root": str(tmp_path / "gpu01")},
    )
    assert started.status_code == 200, started.text
    info = await _wait(client, started.json()["id"], {"finished", "failed"})

    assert info["state"] == "finished", info["error"]
    assert sorted(info["total"]["runs_new"]) == sorted(ids)
    assert info["progress"]["runs_done"] == info["progress"]["runs_total"] == 4
    assert info["progress"]["bytes_done"] == info["total"]["bytes_moved"] > 0
    assert run_files(tmp_path / "laptop") == run_files(tmp_path / "gpu01")
    with sqlite3.connect(tmp_path / "laptop" / ".runicorn" / "index.db") as conn:
        assert {r[0] for r in conn.execute("SELECT id FROM runs")} == set(ids)
    listed = (await client.get("/api/remote/sync")).json()
    assert listed["total"] == 1


async def test_watching_sync_follows_new_runs_until_stopped(
    client: httpx.AsyncClient, sshd_server: SshdServer, tmp_path: Path
) -> None:
    record_runs(tmp_path / "gpu01", 1)
    connection_id = await _connect(client, sshd_server)
    started = await client.post(
        "/api/remote/sync",
        json={
            "connection_id": connection_id,
            "remote_root": str(tmp_path / "gpu01"),
            "watch": 0.5,
        },
    )
    job_id = started.json()["id"]
    await _wait(client, job_id, {"watching"})
    later = await asyncio.to_thread(record_runs, tmp_path / "gpu01", 1)
    for _ in range(100):
        if list((tmp_path / "laptop").rglob(f"{later[0]}/status.json")):
            break
        await asyncio.sleep(0.05)

    stopped = await client.post(f"/api/remote/sync/{job_id}/stop")
    assert stopped.status_code == 200
    info = await _wait(client, job_id, {"stopped", "failed"})
    assert info["state"] == "stopped", info["error"]
    assert later[0] in info["total"]["runs_new"]
    assert info["total"]["passes"] >= 2


async def test_sync_needs_an_open_connection_and_a_valid_date(
    client: httpx.AsyncClient, sshd_server: SshdServer
) -> None:
    missing = await client.post("/api/remote/sync", json={"connection_id": "nobody@nowhere:22"})
    assert missing.status_code == 404
    connection_id = await _connect(client, sshd_server)
    bad = await client.post(
        "/api/remote/sync", json={"connection_id": connection_id, "since": "last tuesday"}
    )
    assert bad.status_code == 400 and "--since" in bad.json()["detail"]
    assert (await client.get("/api/remote/sync/nope")).status_code == 404
