"""WebSockets against a real uvicorn: live metric points, run status, log lines, shutdown."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path
from typing import Any

import orjson
import pytest
import websockets

import runicorn as rn
from runicorn.viewer import create_app

from .conftest import NO_LIMITS, LiveServer

FLUSH_INTERVAL = 0.05  # set by tests/conftest.py


async def receive(ws: Any, timeout: float = 5.0) -> dict[str, Any]:
    return orjson.loads(await asyncio.wait_for(ws.recv(), timeout))


async def receive_series(ws: Any, key: str, count: int, timeout: float = 5.0) -> list[Any]:
    """x values of ``key`` until ``count`` of them arrived."""
    xs: list[Any] = []
    deadline = time.monotonic() + timeout
    while len(xs) < count:
        message = await receive(ws, deadline - time.monotonic())
        xs += message.get("series", {}).get(key, {}).get("x", [])
    return xs


async def test_live_points_arrive_then_the_status(live_server: LiveServer, root: Path) -> None:
    run = rn.init(project="p", name="live", storage=root, system_metrics=False)
    run.log({"loss": 1.0})
    run.log({"loss": 0.9})
    time.sleep(3 * FLUSH_INTERVAL)
    uri = f"{live_server.ws_url}/api/metrics/{run.id}/ws"
    async with websockets.connect(uri) as ws:
        await ws.send(orjson.dumps({"keys": ["loss"], "after": 1}).decode())
        assert await receive_series(ws, "loss", 1) == [2]  # only points after x=1
        latencies = []
        for step in range(3, 8):
            started = time.perf_counter()
            run.log({"loss": 1.0 / step, "other": 1.0})
            message = await receive(ws)
            latencies.append(time.perf_counter() - started)
            assert message["series"]["loss"]["x"] == [step]
            assert "other" not in message["series"]
        # The promise is flush interval + 250 ms; leave room for a loaded test machine.
        assert sorted(latencies)[len(latencies) // 2] < FLUSH_INTERVAL + 0.25 + 0.5
        run.log({"loss": 0.1})
        run.finish()
        xs: list[Any] = []
        status = None
        while status is None:
            message = await receive(ws)
            xs += message.get("series", {}).get("loss", {}).get("x", [])
            status = message.get("status")
        assert xs == [8] and status == "finished"


async def test_after_null_sends_everything_and_new_keys(live_server: LiveServer, root) -> None:
    run = rn.init(project="p", name="live", storage=root, system_metrics=False)
    for _ in range(5):
        run.log({"loss": 1.0})
    time.sleep(4 * FLUSH_INTERVAL)
    async with websockets.connect(f"{live_server.ws_url}/api/metrics/{run.id}/ws") as ws:
        await ws.send(orjson.dumps({"keys": None, "after": None}).decode())
        assert await receive_series(ws, "loss", 5) == [1, 2, 3, 4, 5]
        run.log({"acc": 0.5})
        assert await receive_series(ws, "acc", 1) == [6]
    run.finish()


async def test_unknown_run_is_reported_and_closed(live_server: LiveServer) -> None:
    async with websockets.connect(
        f"{live_server.ws_url}/api/metrics/20260101_000000_zzzzzz/ws"
    ) as ws:
        await ws.send("{}")
        message = await receive(ws)
        assert "not found" in message["error"]
        with pytest.raises(websockets.ConnectionClosed) as info:
            await ws.recv()
        assert info.value.rcvd is not None and info.value.rcvd.code == 4404


async def test_log_lines_stream_as_they_are_written(live_server: LiveServer, root: Path) -> None:
    run = rn.init(project="p", name="logs", storage=root, system_metrics=False,
                  capture_console=False)  # fmt: skip
    run.log_text("first line")
    time.sleep(4 * FLUSH_INTERVAL)
    async with websockets.connect(f"{live_server.ws_url}/api/runs/{run.id}/logs/ws") as ws:
        await ws.send("{}")
        first = await receive(ws)
        assert first["offset"] == 0 and first["text"] == "first line\n"
        run.log_text("second line")
        second = await receive(ws)
        assert second["text"] == "second line\n"
        assert second["offset"] == first["next_offset"]
    async with websockets.connect(f"{live_server.ws_url}/api/runs/{run.id}/logs/ws") as ws:
        await ws.send(orjson.dumps({"offset": first["next_offset"]}).decode())
        again = await receive(ws)
        assert again["text"] == "second line\n"
    run.finish()


def test_shutdown_does_not_hang_with_open_sockets(root: Path, run_factory) -> None:
    run = run_factory(finish=False)
    app = create_app(root, rate_limits=NO_LIMITS, index_on_start=False, static_dir=None)
    server = LiveServer(app)
    with server:

        async def hold_open() -> None:
            metrics = await websockets.connect(f"{server.ws_url}/api/metrics/{run.id}/ws")
            logs = await websockets.connect(f"{server.ws_url}/api/runs/{run.id}/logs/ws")
            await metrics.send("{}")
            await logs.send("{}")
            await asyncio.sleep(0.3)
            started = time.monotonic()
            server.server.should_exit = True
            await asyncio.get_running_loop().run_in_executor(None, server.thread.join, 10)
            assert time.monotonic() - started < 5
            assert not server.thread.is_alive()

        asyncio.run(hold_open())
    run.finish()
