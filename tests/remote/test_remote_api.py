"""``/api/remote/*`` against a real sshd, through the router the viewer app includes."""

from __future__ import annotations

import json
import sys
from collections.abc import AsyncIterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import httpx
import psutil
import pytest
from fastapi import FastAPI

from runicorn.remote.service import RemoteService
from runicorn.remote.viewer.session import http_get
from runicorn.security.credentials import CredentialStore
from runicorn.viewer.api.remote import get_remote_service, router

if TYPE_CHECKING:
    from conftest import SshdServer

pytestmark = pytest.mark.remote

STANDIN = (str(Path(__file__).resolve().parent / "standin_viewer.py"),)
PYTHON = sys.executable


@pytest.fixture
async def service(
    runicorn_config_dir: Path, ssh_options: dict[str, Any]
) -> AsyncIterator[RemoteService]:
    """A service that never reads the real ~/.ssh (config, known_hosts)."""
    hermetic = {k: ssh_options[k] for k in ("ssh_config_files", "user_known_hosts")}
    svc = RemoteService(credentials=CredentialStore(), launcher=STANDIN, config_defaults=hermetic)
    try:
        yield svc
    finally:
        await svc.close()


def make_app(service: RemoteService) -> FastAPI:
    app = FastAPI()
    app.include_router(router)
    app.dependency_overrides[get_remote_service] = lambda: service
    return app


@pytest.fixture
async def client(service: RemoteService) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=make_app(service))
    async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1") as http:
        yield http


def target(server: SshdServer) -> dict[str, Any]:
    return {
        "host": server.host,
        "port": server.port,
        "user": server.user,
        "key_file": str(server.client_key_path),
        "use_agent": False,
    }


async def test_connect_accept_browse_start_stop_disconnect(
    client: httpx.AsyncClient, sshd_server: SshdServer, tmp_path: Path
) -> None:
    body = target(sshd_server)
    first = await client.post("/api/remote/connect", json=body)
    assert first.status_code == 409, first.text
    unknown = first.json()
    assert unknown["reason"] == "unknown_host_key"
    assert unknown["fingerprint"].startswith("SHA256:")
    assert unknown["key_type"] == "ssh-ed25519"
    assert (unknown["host"], unknown["port"]) == ("127.0.0.1", sshd_server.port)
    assert unknown["fingerprint"] in unknown["detail"]

    wrong = await client.post(
        "/api/remote/host-keys/accept",
        json={"host": "127.0.0.1", "port": sshd_server.port, "fingerprint": "SHA256:nope"},
    )
    assert wrong.status_code == 400
    accepted = await client.post(
        "/api/remote/host-keys/accept",
        json={"host": "127.0.0.1", "port": sshd_server.port, "fingerprint": unknown["fingerprint"]},
    )
    assert accepted.status_code == 200, accepted.text

    connected = await client.post("/api/remote/connect", json=body)
    assert connected.status_code == 200, connected.text
    conn_id = connected.json()["id"]
    assert conn_id == f"{sshd_server.user}@127.0.0.1:{sshd_server.port}"
    listed = (await client.get("/api/remote/sessions")).json()
    assert [c["id"] for c in listed["items"]] == [conn_id]

    folder = tmp_path / "a 'b' $(c)"
    (folder / "inner").mkdir(parents=True)
    fs = await client.get(
        "/api/remote/fs/list", params={"connection_id": conn_id, "path": str(folder)}
    )
    assert fs.status_code == 200, fs.text
    assert [e["name"] for e in fs.json()["entries"]] == ["inner"]
    exists = await client.get(
        "/api/remote/fs/exists", params={"connection_id": conn_id, "path": str(folder / "inner")}
    )
    assert exists.json() == {"path": str(folder / "inner"), "exists": True, "type": "dir"}
    missing = await client.get(
        "/api/remote/fs/list", params={"connection_id": conn_id, "path": str(folder / "nope")}
    )
    assert missing.status_code == 404 and missing.json()["reason"] == "path_not_found"

    status = await client.get(
        "/api/remote/status", params={"connection_id": conn_id, "python": PYTHON}
    )
    assert status.status_code == 200 and status.json()["gpu"]["available"] is True
    envs = await client.get(
        "/api/remote/environments", params={"connection_id": conn_id, "python": PYTHON}
    )
    assert envs.status_code == 200 and envs.json()["items"][0]["compatible"] is True

    started = await client.post(
        "/api/remote/viewer/start",
        json={"connection_id": conn_id, "python": PYTHON, "root": str(folder)},
    )
    assert started.status_code == 200, started.text
    session = started.json()
    assert session["state"] == "running"
    token = session["url"].split("token=", 1)[1]
    code, health = await http_get(
        "127.0.0.1", session["local_port"], "/api/health", {"Authorization": f"Bearer {token}"}
    )
    assert code == 200 and json.loads(health)["root"] == str(folder)
    sessions = (await client.get("/api/remote/viewer/sessions")).json()
    assert [s["id"] for s in sessions["items"]] == [session["id"]]
    pid = session["remote_pid"]
    assert psutil.pid_exists(pid)

    stopped = await client.post("/api/remote/viewer/stop", json={"session_id": session["id"]})
    assert stopped.status_code == 200 and stopped.json()["remote_viewer_gone"] is True
    assert not psutil.pid_exists(pid)
    again = await client.post("/api/remote/viewer/stop", json={"session_id": session["id"]})
    assert again.status_code == 404

    gone = await client.post("/api/remote/disconnect", json={"connection_id": conn_id})
    assert gone.status_code == 200
    assert (await client.get("/api/remote/sessions")).json()["total"] == 0
    after = await client.get("/api/remote/fs/list", params={"connection_id": conn_id})
    assert after.status_code == 404


async def test_changed_host_key_is_a_409_without_an_accept_path(
    client: httpx.AsyncClient, sshd_server: SshdServer
) -> None:
    import asyncssh

    from runicorn.remote.known_hosts import accept_host_key

    accept_host_key("127.0.0.1", sshd_server.port, asyncssh.generate_private_key("ssh-ed25519"))
    answer = await client.post("/api/remote/connect", json=target(sshd_server))
    assert answer.status_code == 409
    assert answer.json()["reason"] == "host_key_changed"
    assert "man-in-the-middle" in answer.json()["detail"]
    accept = await client.post(
        "/api/remote/host-keys/accept",
        json={
            "host": "127.0.0.1",
            "port": sshd_server.port,
            "fingerprint": answer.json()["fingerprint"],
        },
    )
    assert accept.status_code == 404, "a changed key must never be accepted through the API"


async def test_wrong_password_and_saved_connections_never_leak_secrets(
    client: httpx.AsyncClient,
    sshd_server: SshdServer,
    runicorn_config_dir: Path,
) -> None:
    if sshd_server.password_user is None:
        pytest.skip("needs root to create a local user with a password (useradd/chpasswd)")
    from runicorn.remote.known_hosts import accept_host_key

    accept_host_key("127.0.0.1", sshd_server.port, sshd_server.host_public_key)
    base = {
        "host": "127.0.0.1",
        "port": sshd_server.port,
        "user": sshd_server.password_user,
        "use_agent": False,
    }
    bad = await client.post("/api/remote/connect", json={**base, "password": "wrong-one"})
    assert bad.status_code == 403
    assert bad.json()["reason"] == "authentication_failed"
    assert "wrong-one" not in bad.text

    assert sshd_server.password is not None
    saved = await client.post(
        "/api/remote/saved",
        json={
            **base,
            "name": "test box",
            "password": sshd_server.password,
            "remember_secrets": True,
        },
    )
    assert saved.status_code == 200, saved.text
    saved_id = saved.json()["id"]
    assert saved.json()["has_password"] is True
    listing = await client.get("/api/remote/saved")
    assert listing.json()["total"] == 1
    for text in (saved.text, listing.text):
        assert sshd_server.password not in text
    on_disk = b"".join(p.read_bytes() for p in runicorn_config_dir.rglob("*") if p.is_file())
    assert sshd_server.password.encode() not in on_disk

    connected = await client.post("/api/remote/connect", json={"saved_id": saved_id})
    assert connected.status_code == 200, connected.text
    assert sshd_server.password not in connected.text
    sessions = await client.get("/api/remote/sessions")
    assert sshd_server.password not in sessions.text

    deleted = await client.delete(f"/api/remote/saved/{saved_id}")
    assert deleted.status_code == 200
    assert (await client.get("/api/remote/saved")).json()["total"] == 0
    assert (await client.delete(f"/api/remote/saved/{saved_id}")).status_code == 404


async def test_remote_api_refuses_clients_from_other_machines(service: RemoteService) -> None:
    transport = httpx.ASGITransport(app=make_app(service), client=("10.1.2.3", 40000))
    async with httpx.AsyncClient(transport=transport, base_url="http://viewer") as http:
        answer = await http.get("/api/remote/sessions")
    assert answer.status_code == 403
    assert "loopback" in answer.json()["detail"]


async def test_unreachable_host_is_a_502_with_a_reason(
    client: httpx.AsyncClient, unused_port: int
) -> None:
    answer = await client.post(
        "/api/remote/connect", json={"host": "127.0.0.1", "port": unused_port, "use_agent": False}
    )
    assert answer.status_code == 502
    assert answer.json()["reason"] == "connect_failed"
