"""``runicorn server`` processes: two at once over one database and bucket see the same data,
and a PostgreSQL restart under a running server is recovered by the next request."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

import runicorn as rn
from runicorn.server.app import SERVER_READY_PREFIX
from runicorn.server.backend import ServerStorageBackend
from runicorn.server.ingest import ingest_root


@dataclass
class ServerProcess:
    proc: subprocess.Popen[str]
    url: str
    headers: dict[str, str]

    def get(self, path: str, **kwargs: Any) -> httpx.Response:
        return httpx.get(self.url + path, headers=self.headers, timeout=60, **kwargs)

    def patch(self, path: str, body: Any) -> httpx.Response:
        return httpx.patch(self.url + path, json=body, headers=self.headers, timeout=60)


def admin_headers(config: Any) -> dict[str, str]:
    """A bearer token of a new admin user when the server checks users (issue 14's auth)."""
    try:
        from runicorn.server.database import Database
        from runicorn.server.users import UserStore
    except ImportError:
        return {}
    database = Database(config.database_url)
    try:
        token = UserStore(database).add("admin-" + os.urandom(4).hex(), "admin")
    finally:
        database.close()
    return {"Authorization": f"Bearer {token}"}


def start_server(config: Any, cache: Path, *extra: str) -> ServerProcess:
    store = f"s3://{config.store.bucket}/{config.store.prefix}"
    proc = subprocess.Popen(
        [sys.executable, "-m", "runicorn", "server", "--database", config.database_url,
         "--store", store, "--s3-endpoint", config.s3_endpoint, "--port", "0",
         "--cache-dir", str(cache), *extra],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=dict(os.environ),
    )  # fmt: skip
    assert proc.stdout is not None
    line = proc.stdout.readline()
    if not line.startswith(SERVER_READY_PREFIX):
        proc.kill()
        raise AssertionError(
            f"server did not start: {line!r} {proc.stderr.read() if proc.stderr else ''}"
        )
    ready = json.loads(line[len(SERVER_READY_PREFIX) :])
    return ServerProcess(proc, f"http://127.0.0.1:{ready['port']}", admin_headers(config))


def stop_server(server: ServerProcess) -> None:
    server.proc.terminate()
    try:
        server.proc.wait(timeout=15)
    except subprocess.TimeoutExpired:
        server.proc.kill()
        server.proc.wait()


@pytest.fixture
def two_servers(
    server_config: Any, tmp_path: Path
) -> Iterator[tuple[ServerProcess, ServerProcess]]:
    first = start_server(server_config, tmp_path / "cache-a")
    try:
        second = start_server(server_config, tmp_path / "cache-b")
    except BaseException:
        stop_server(first)
        raise
    try:
        yield first, second
    finally:
        stop_server(first)
        stop_server(second)


def record(root: Path, name: str, steps: int = 30) -> str:
    run = rn.init(
        project="team", name=name, storage=root, config={"batch_size": 32, "学习率": 0.1},
        system_metrics=False, capture_console=False, capture_env=False,
    )  # fmt: skip
    for step in range(1, steps + 1):
        run.log({"train/loss": 1 / step})
    run.finish()
    return str(run.id)


def ingest(config: Any, root: Path) -> None:
    backend = ServerStorageBackend(config)
    try:
        ingest_root(backend, root)
    finally:
        backend.close()


def test_two_servers_over_one_database_and_bucket_see_the_same_runs(
    server_config: Any, two_servers: tuple[ServerProcess, ServerProcess], root: Path
) -> None:
    a, b = two_servers
    first = record(root, "resnet")
    ingest(server_config, root)
    for server in (a, b):
        listed = server.get("/api/experiments").json()
        assert [i["id"] for i in listed["items"]] == [first]
    # An edit made through one is what the other serves.
    patched = a.patch(f"/api/runs/{first}", {"tags": ["shared"]})
    assert patched.status_code == 200, patched.text
    assert b.get(f"/api/runs/{first}").json()["tags"] == ["shared"]
    # New data pushed later reaches both, metric series included (each builds its own cache).
    second = record(root, "vit", steps=45)
    ingest(server_config, root)
    for server in (a, b):
        series = server.get(f"/api/metrics/{second}", params={"keys": "train/loss"})
        series = series.json()["series"]["train/loss"]
        assert series["count"] == 45
        total = server.get("/api/experiments").json()["total"]
        assert total == 2


def test_a_postgresql_restart_is_recovered_by_the_next_request(
    server_config: Any, two_servers: tuple[ServerProcess, ServerProcess], root: Path, postgres: Any
) -> None:
    a, _ = two_servers
    run_id = record(root, "resnet")
    ingest(server_config, root)
    assert a.get("/api/experiments").json()["total"] == 1
    postgres.restart()
    deadline = time.monotonic() + 30
    while True:
        response = a.get("/api/experiments")
        if response.status_code == 200 or time.monotonic() > deadline:
            break
        time.sleep(0.2)
    assert response.status_code == 200, response.text
    assert [i["id"] for i in response.json()["items"]] == [run_id]
    assert a.get(f"/api/runs/{run_id}").status_code == 200


def test_requests_while_postgresql_is_down_are_503_then_recover(
    server_config: Any, two_servers: tuple[ServerProcess, ServerProcess], root: Path, postgres: Any
) -> None:
    a, _ = two_servers
    record(root, "resnet")
    ingest(server_config, root)
    postgres.stop()
    try:
        down = a.get("/api/experiments")
        assert down.status_code == 503
        assert "database" in down.text
    finally:
        postgres.start()
    assert a.get("/api/experiments").json()["total"] == 1


def test_the_proxy_name_given_with_allowed_host_is_answered(
    server_config: Any, tmp_path: Path
) -> None:
    server = start_server(
        server_config, tmp_path / "cache", "--allowed-host", "runicorn.example.org"
    )
    try:
        url = server.url + "/api/experiments"
        allowed = httpx.get(url, headers={**server.headers, "Host": "runicorn.example.org"})
        assert allowed.status_code == 200, allowed.text
        refused = httpx.get(url, headers={**server.headers, "Host": "evil.example.net"})
        assert refused.status_code == 400, refused.text
    finally:
        stop_server(server)
