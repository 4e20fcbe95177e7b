"""Issue 8 item 15: ``/api/remote/environments`` lists each interpreter once.

A real viewer (uvicorn on a loopback port) lists the environments of a real sshd's host, where
``python`` and ``python3`` are two pyenv-like shim files reaching one venv, which the fake
``conda`` of the sshd fixture also reports.
"""

from __future__ import annotations

import os
import socket
import sys
import threading
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import httpx
import pytest
import uvicorn
from pyenv_shims import make_pyenv_shims

import runicorn as rn
from runicorn.remote.service import RemoteService
from runicorn.security.credentials import CredentialStore
from runicorn.viewer import create_app
from runicorn.viewer.api.remote import get_remote_service
from runicorn.viewer.context import RateLimits

if TYPE_CHECKING:
    from conftest import SshdServer

pytestmark = pytest.mark.remote


@pytest.fixture
async def service(
    runicorn_config_dir: Path, ssh_options: dict[str, Any]
) -> AsyncIterator[RemoteService]:
    hermetic = {k: ssh_options[k] for k in ("ssh_config_files", "user_known_hosts")}
    svc = RemoteService(credentials=CredentialStore(), config_defaults=hermetic)
    try:
        yield svc
    finally:
        await svc.close()


@pytest.fixture
def viewer_url(root: Path, service: RemoteService) -> Iterator[str]:
    app = create_app(root, rate_limits=RateLimits(enabled=False), index_on_start=False,
                     static_dir=None)  # fmt: skip
    app.dependency_overrides[get_remote_service] = lambda: service
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning",
                       timeout_graceful_shutdown=2, proxy_headers=False)
    )  # fmt: skip
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        assert time.monotonic() < deadline and thread.is_alive(), "uvicorn did not start"
        time.sleep(0.01)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)


async def test_two_shims_and_conda_reaching_one_venv_are_one_environment(
    viewer_url: str, sshd_server: SshdServer, tmp_path: Path
) -> None:
    shims = make_pyenv_shims(tmp_path, Path(sys.prefix))
    async with httpx.AsyncClient(base_url=viewer_url, timeout=60) as http:
        target = {"host": sshd_server.host, "port": sshd_server.port, "user": sshd_server.user,
                  "key_file": str(sshd_server.client_key_path), "use_agent": False}  # fmt: skip
        unknown = (await http.post("/api/remote/connect", json=target)).json()
        await http.post(
            "/api/remote/host-keys/accept",
            json={"host": "127.0.0.1", "port": sshd_server.port,
                  "fingerprint": unknown["fingerprint"]},
        )  # fmt: skip
        connected = await http.post("/api/remote/connect", json=target)
        assert connected.status_code == 200, connected.text
        listed = await http.get(
            "/api/remote/environments",
            params=[("connection_id", connected.json()["id"]),
                    ("python", str(shims["python"])), ("python", str(shims["python3"]))],
        )  # fmt: skip
    assert listed.status_code == 200, listed.text
    items = listed.json()["items"]
    real_venv = os.path.realpath(sys.prefix)
    venv = [e for e in items if e["prefix"] and os.path.realpath(e["prefix"]) == real_venv]
    assert len(venv) == 1, items
    assert venv[0]["compatible"] and venv[0]["runicorn_version"] == rn.__version__
    assert set(venv[0]["found_as"]) == {
        str(shims["python"]),
        str(shims["python3"]),
        str(Path(sys.prefix) / "bin" / "python"),
    }
    assert venv[0]["source"] == "user"
    assert listed.json()["total"] == len(items)
