"""Attacks on the viewer, each refused with a clear status."""

from __future__ import annotations

import http.client
import os
from pathlib import Path
from typing import Any

import httpx
import orjson
import pytest
import websockets

from runicorn.viewer import create_app
from runicorn.viewer.context import RateLimits

from .conftest import NO_LIMITS, LiveServer

TOKEN = "s3cret-token-for-tests"


@pytest.fixture
def token_app(root: Path) -> Any:
    app = create_app(root, host="0.0.0.0", token=TOKEN, rate_limits=NO_LIMITS,
                     index_on_start=False, static_dir=None)  # fmt: skip
    yield app
    app.state.ctx.close()


def asgi_client(app: Any, host: str = "127.0.0.1") -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url=f"http://{host}")


async def test_cross_origin_mutations_are_refused(client: httpx.AsyncClient, run_factory) -> None:
    run = run_factory()
    evil = {"Origin": "http://evil.example"}
    for method, url, body in [
        ("PATCH", f"/api/runs/{run.id}", {"notes": "pwned"}),
        ("DELETE", f"/api/runs/{run.id}", None),
        ("POST", "/api/runs/delete", {"ids": [run.id]}),
        ("POST", "/api/recycle-bin/empty", None),
        ("PUT", "/api/ui-preferences", {"preferences": {"a": 1}}),
        ("POST", "/api/export", {"ids": [run.id]}),
    ]:
        response = await client.request(method, url, json=body, headers=evil)
        assert response.status_code == 403, (method, url)
        assert "cross-origin" in response.json()["detail"]
    assert (await client.request("POST", "/api/runs/delete", json={"ids": []},
                                 headers={"Origin": "null"})).status_code == 403  # fmt: skip
    same = await client.patch(
        f"/api/runs/{run.id}", json={"notes": "ok"}, headers={"Origin": "http://127.0.0.1"}
    )
    assert same.status_code == 200
    # Reads from another origin get no CORS headers, so a browser hides the answer.
    read = await client.get("/api/experiments", headers=evil)
    assert "access-control-allow-origin" not in read.headers
    assert (await client.get(f"/api/runs/{run.id}")).json()["notes"] == "ok"


async def test_foreign_host_header_is_refused(app: Any) -> None:
    async with asgi_client(app) as client:
        refused = await client.get("/api/health", headers={"Host": "evil.example"})
        assert refused.status_code == 400 and "not allowed" in refused.json()["detail"]
        for host in ("localhost:23300", "127.0.0.1:5173", "[::1]:80"):
            assert (await client.get("/api/health", headers={"Host": host})).status_code == 200


async def test_allowed_hosts_extend_the_host_check(root: Path) -> None:
    app = create_app(root, allowed_hosts=["viewer.lan"], static_dir=None, index_on_start=False)
    async with asgi_client(app) as client:
        assert (await client.get("/api/health", headers={"Host": "viewer.lan"})).status_code == 200
    app.state.ctx.close()


TRAVERSALS = ["..", "../..", "..%2F..%2Fetc", "%2e%2e", "..%5c..", "a%00b", "%2E%2E%2Fx", "..;"]


def raw_request(server: LiveServer, method: str, path: str, body: bytes | None = None) -> Any:
    """Send ``path`` byte for byte (http.client does not normalize ``..`` away)."""
    connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=10)
    try:
        headers = {"Content-Type": "application/json"} if body is not None else {}
        connection.request(method, path, body=body, headers=headers)
        response = connection.getresponse()
        return response.status, response.read().decode("utf-8", "replace")
    finally:
        connection.close()


def test_dot_dot_in_every_path_parameter_is_refused(
    live_server: LiveServer, run_factory, root: Path
) -> None:
    run = run_factory()
    secret = root.parent / "secret.txt"
    secret.write_text("top secret")
    templates = [
        ("GET", "/api/runs/{p}"),
        ("GET", "/api/v2/runs/{p}"),
        ("PATCH", "/api/runs/{p}"),
        ("DELETE", "/api/runs/{p}"),
        ("DELETE", "/api/recycle-bin/{p}"),
        ("GET", "/api/metrics/{p}"),
        ("GET", "/api/runs/{p}/logs"),
        ("GET", "/api/runs/{p}/logs/download"),
        ("GET", "/api/runs/{p}/media/x.png"),
        ("GET", f"/api/runs/{run.id}/media/{{p}}"),
        ("GET", f"/api/runs/{run.id}/media/{{p}}/secret.txt"),
        ("GET", f"/api/runs/{run.id}/media/{{p}}/{{p}}/{{p}}/{{p}}/{{p}}/{{p}}/secret.txt"),
        ("GET", "/{p}/{p}/{p}/{p}/{p}/{p}/{p}/secret.txt"),
    ]
    for method, template in templates:
        for attack in TRAVERSALS:
            path = template.replace("{p}", attack)
            body = b'{"notes": "x"}' if method == "PATCH" else None
            status, text = raw_request(live_server, method, path, body)
            if attack == "..;" and template.startswith("/{p}"):
                status = 404 if status == 200 else status  # a plain name for the UI's router
            assert 400 <= status < 500, (method, path, status)
            assert "top secret" not in text
    assert raw_request(live_server, "GET", f"/api/runs/{run.id}")[0] == 200


async def test_symlink_out_of_media_is_refused(
    client: httpx.AsyncClient, run_factory, root
) -> None:
    run = run_factory()
    media = Path(run.path) / "media"
    media.mkdir(exist_ok=True)
    outside = root.parent / "outside.txt"
    outside.write_text("TOPSECRET")
    os.symlink(outside, media / "link.png")
    os.symlink(root.parent, media / "dir")
    (media / "ok.png").write_bytes(b"fine")
    assert (await client.get(f"/api/runs/{run.id}/media/ok.png")).content == b"fine"
    for name in ("link.png", "dir/outside.txt"):
        response = await client.get(f"/api/runs/{run.id}/media/{name}")
        assert response.status_code == 403, name
        assert "TOPSECRET" not in response.text


async def test_media_swapped_for_a_link_after_the_check_is_refused(
    client: httpx.AsyncClient, run_factory, root: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from runicorn.security import path_validation

    run = run_factory()
    media = Path(run.path) / "media"
    media.mkdir(exist_ok=True)
    image = media / "val_预测.png"
    image.write_bytes(b"\x89PNG fine")
    outside = root.parent / "id_rsa"
    outside.write_text("TOPSECRET")
    assert (await client.get(f"/api/runs/{run.id}/media/val_预测.png")).content == b"\x89PNG fine"
    checked_for_real = path_validation.file_under

    def check_then_swap(base: Path, path: Path) -> Path:
        checked = checked_for_real(base, path)
        if path.name == image.name:
            image.unlink()
            image.symlink_to(outside)
        return checked

    monkeypatch.setattr(path_validation, "file_under", check_then_swap)
    response = await client.get(f"/api/runs/{run.id}/media/val_预测.png")
    assert response.status_code == 403
    assert "TOPSECRET" not in response.text


async def test_non_loopback_bind_needs_a_token(root: Path) -> None:
    with pytest.raises(ValueError, match="token is required"):
        create_app(root, host="0.0.0.0", static_dir=None)
    with pytest.raises(ValueError, match="token is required"):
        create_app(root, host="192.168.1.20", static_dir=None)


async def test_token_is_required_and_accepted_three_ways(token_app: Any) -> None:
    async with asgi_client(token_app, host="192.168.1.20:23300") as client:
        missing = await client.get("/api/health")
        assert missing.status_code == 401 and "token" in missing.json()["detail"]
        assert (await client.get("/api/health", params={"token": "wrong"})).status_code == 401
        assert (await client.get("/")).status_code == 401
        assert (await client.get("/docs")).status_code == 401
        first = await client.get("/", params={"token": TOKEN})
        assert first.status_code == 200
        cookie = first.headers["set-cookie"]
        # Named per port: two viewers on one host name must not overwrite each other's token.
        assert cookie.startswith(f"runicorn_token_23300={TOKEN}") and "HttpOnly" in cookie
        assert "SameSite=Strict" in cookie
        bearer = await client.get("/api/health", headers={"Authorization": f"Bearer {TOKEN}"})
        assert bearer.status_code == 200
        with_cookie = await client.get(
            "/api/health", headers={"Cookie": f"runicorn_token_23300={TOKEN}"}
        )
        assert with_cookie.status_code == 200
        other_port = await client.get(
            "/api/health", headers={"Cookie": f"runicorn_token_23301={TOKEN}"}
        )
        assert other_port.status_code == 401
        bad_cookie = await client.get(
            "/api/health", headers={"Cookie": "runicorn_token_23300=nope"}
        )
        assert bad_cookie.status_code == 401


async def test_loopback_viewer_given_a_token_enforces_it(root: Path) -> None:
    app = create_app(root, token=TOKEN, static_dir=None, index_on_start=False)
    async with asgi_client(app) as client:
        assert (await client.get("/api/health")).status_code == 401
        assert (await client.get("/api/health", params={"token": TOKEN})).status_code == 200
    app.state.ctx.close()


async def test_websockets_check_origin_host_and_token(root: Path, run_factory) -> None:
    run = run_factory()
    app = create_app(root, token=TOKEN, rate_limits=NO_LIMITS, index_on_start=False,
                     static_dir=None)  # fmt: skip
    with LiveServer(app) as server:
        base = f"{server.ws_url}/api/metrics/{run.id}/ws"
        for uri, headers in [
            (base, {}),
            (f"{base}?token=wrong", {}),
            (f"{base}?token={TOKEN}", {"Origin": "http://evil.example"}),
            (f"{base}?token={TOKEN}", {"Host": "evil.example"}),
        ]:
            with pytest.raises(websockets.InvalidStatus) as info:
                async with websockets.connect(uri, additional_headers=headers):
                    pass
            assert info.value.response.status_code == 403
        origin = {"Origin": f"http://127.0.0.1:{server.port}"}
        async with websockets.connect(f"{base}?token={TOKEN}", additional_headers=origin) as ws:
            await ws.send("{}")
            message = orjson.loads(await ws.recv())
            assert message["series"]["loss"]["x"][0] == 1


async def test_rate_limit_answers_429_with_retry_after(root: Path, run_factory) -> None:
    run = run_factory()
    limits = RateLimits(read=(1.0, 3.0), mutate=(1.0, 2.0), transfer=(1.0, 1.0))
    app = create_app(root, host="0.0.0.0", token=TOKEN, rate_limits=limits, static_dir=None,
                     index_on_start=False)  # fmt: skip
    bearer = {"Authorization": f"Bearer {TOKEN}"}
    async with asgi_client(app, host="192.168.1.20:23300") as client:
        codes = [
            (await client.get(f"/api/metrics/{run.id}", headers=bearer)).status_code
            for _ in range(5)
        ]
        assert codes[:3] == [200, 200, 200] and codes[3] == 429
        limited = await client.get(f"/api/metrics/{run.id}", headers=bearer)
        assert limited.status_code == 429 and int(limited.headers["retry-after"]) >= 1
        # The browser's session (its cookie) has a bucket of its own.
        cookie = {"Cookie": f"runicorn_token_23300={TOKEN}"}
        assert (await client.get(f"/api/metrics/{run.id}", headers=cookie)).status_code == 200
        for _ in range(2):
            await client.patch(f"/api/runs/{run.id}", json={"notes": "n"}, headers=bearer)
        refused = await client.patch(f"/api/runs/{run.id}", json={"notes": "n"}, headers=bearer)
        assert refused.status_code == 429
        assert (await client.get("/api/health", headers=bearer)).status_code == 200
    app.state.ctx.close()
