"""The minimal HTTP client the session uses for health checks."""

from __future__ import annotations

import asyncio

import pytest

from runicorn.remote.viewer.session import _dechunk, http_get


async def serve_once(response: bytes) -> tuple[asyncio.Server, int, list[bytes]]:
    seen: list[bytes] = []

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        seen.append(await reader.readuntil(b"\r\n\r\n"))
        writer.write(response)
        await writer.drain()
        writer.close()

    server = await asyncio.start_server(handle, "127.0.0.1", 0)
    return server, server.sockets[0].getsockname()[1], seen


async def test_http_get_sends_headers_and_reads_the_body() -> None:
    body = b'{"status": "ok"}'
    server, port, seen = await serve_once(
        b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n%s" % (len(body), body)
    )
    async with server:
        status, text = await http_get(
            "127.0.0.1", port, "/api/health", {"Authorization": "Bearer T"}
        )
    assert (status, text) == (200, '{"status": "ok"}')
    request = seen[0].decode()
    assert request.startswith("GET /api/health HTTP/1.1\r\n")
    assert f"Host: 127.0.0.1:{port}" in request and "Authorization: Bearer T" in request


async def test_http_get_decodes_chunked_bodies() -> None:
    server, port, _ = await serve_once(
        b"HTTP/1.1 401 Unauthorized\r\nTransfer-Encoding: chunked\r\n\r\n"
        b"4\r\nnope\r\n3\r\n!!!\r\n0\r\n\r\n"
    )
    async with server:
        assert await http_get("127.0.0.1", port, "/") == (401, "nope!!!")


async def test_http_get_refuses_garbage() -> None:
    server, port, _ = await serve_once(b"SSH-2.0-OpenSSH\r\n\r\n")
    async with server:
        with pytest.raises(ValueError):
            await http_get("127.0.0.1", port, "/")


def test_dechunk() -> None:
    assert _dechunk(b"5;ext=1\r\nhello\r\n0\r\n\r\n") == b"hello"
