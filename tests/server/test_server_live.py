"""A live run on the team server: pushed data reaches an open metrics WebSocket."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path
from typing import Any

import orjson
import websockets
from server_live import LiveServer

import runicorn as rn
from runicorn.server.app import create_server_app
from runicorn.server.backend import ServerStorageBackend
from runicorn.server.ingest import ingest_root
from runicorn.storage.events import EVENTS_FILE
from runicorn.viewer.context import RateLimits


def wait_for_lines(path: Path, lines: int) -> None:
    deadline = time.monotonic() + 10
    while not path.exists() or path.read_bytes().count(b'"metrics"') < lines:
        assert time.monotonic() < deadline, "the SDK did not flush"
        time.sleep(0.05)


async def test_pushed_points_and_the_finish_reach_the_websocket(
    server_config: Any, root: Path
) -> None:
    run = rn.init(
        project="p", name="live", storage=root,
        system_metrics=False, capture_console=False, capture_env=False,
    )  # fmt: skip
    events = root / "p" / "live" / "runs" / run.id / EVENTS_FILE
    for step in range(1, 4):
        run.log({"train/loss": 1.0 / step})
    wait_for_lines(events, 3)
    pusher = ServerStorageBackend(server_config)
    app = create_server_app(server_config, rate_limits=RateLimits(enabled=False), static_dir=None)
    try:
        ingest_root(pusher, root)
        with LiveServer(app) as server:
            uri = f"ws://127.0.0.1:{server.port}/api/metrics/{run.id}/ws"
            async with websockets.connect(uri) as ws:
                await ws.send(orjson.dumps({"keys": ["train/loss"], "after": None}).decode())
                xs: list[Any] = []
                status = None
                pushed_more = False
                deadline = time.monotonic() + 30
                while status != "finished":
                    message = orjson.loads(await asyncio.wait_for(ws.recv(), 20))
                    xs += message.get("series", {}).get("train/loss", {}).get("x", [])
                    status = message.get("status", status)
                    if xs[-1:] == [3] and not pushed_more:
                        for step in range(4, 7):
                            run.log({"train/loss": 1.0 / step})
                        run.finish()
                        await asyncio.to_thread(ingest_root, pusher, root)
                        pushed_more = True
                    assert time.monotonic() < deadline, (xs, status)
                assert xs == [1, 2, 3, 4, 5, 6]
    finally:
        pusher.close()
