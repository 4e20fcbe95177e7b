"""Live pushes over WebSockets: new metric points and new log lines as a run writes them.

Each socket polls cheaply (a ``stat`` every 100 ms, in a worker thread) and, when the file
grew, parses only the appended bytes through the metric cache. A reader task keeps receiving
from the socket the whole time, so a client that leaves (or a server shutting down) ends the
handler at once instead of leaving it waiting.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Awaitable, Callable
from functools import partial
from pathlib import Path
from typing import Any

import anyio
import orjson
from starlette.websockets import WebSocket, WebSocketDisconnect, WebSocketState

from runicorn.errors import RunicornError, RunNotFoundError, UnsafePathError
from runicorn.security.path_validation import read_json_under
from runicorn.storage.events import EVENTS_FILE
from runicorn.storage.run_files import LOGS_FILE, STATUS_FILE
from runicorn.viewer.services.alerts import AlertFollower
from runicorn.viewer.services.logs import DEFAULT_LOG_LIMIT, read_log_window
from runicorn.viewer.services.metrics import MetricsService, encode, json_array
from runicorn.viewer.services.storage import RunService
from runicorn.viewer.utils.cache import MetricCache

POLL_INTERVAL = 0.1
STATUS_RECHECK_INTERVAL = 1.0
MAX_POINTS_PER_MESSAGE = 50_000
CLOSE_NOT_FOUND = 4404
CLOSE_BAD_REQUEST = 4400
CLOSE_FORBIDDEN = 4403


class MetricsFollower:
    """What one client has been sent, and the points it has not seen yet."""

    def __init__(
        self,
        cache: MetricCache,
        run_id: str,
        events_path: Path,
        keys: list[str] | None,
        after: float | None,
        *,
        root: Path,
    ) -> None:
        self.cache = cache
        self.run_id = run_id
        self.events_path = events_path
        self.root = root
        self.keys = keys
        self.after = after
        self.cursors: dict[str, int] = {}
        self.thresholds: dict[str, float | None] = {}
        self.last_x: dict[str, float] = {}
        self.generation: int | None = None
        self.pending = False

    def poll(self) -> dict[str, Any] | None:
        """``{"series": {...}}`` with the points not sent yet, or None when there are none."""
        # The run was found when the socket opened: no index lookup on every poll. The file is
        # checked every time, since a link can replace it while the socket is open.
        snapshot = self.cache.get(self.run_id, self.events_path, root=self.root)
        first = self.generation is None
        if not first and snapshot.generation != self.generation:
            # The file was rewritten: start over, skipping what the client already drew.
            self.cursors.clear()
            self.thresholds = dict(self.last_x)
        self.generation = snapshot.generation
        t0 = snapshot.t0 or 0.0
        out: dict[str, Any] = {}
        self.pending = False
        for key in self.keys or snapshot.metric_keys():
            if not snapshot.has(key):
                continue
            count = snapshot.count(key)
            if key not in self.cursors:
                self.cursors[key] = 0
                if first:
                    self.thresholds[key] = self.after
            start = self.cursors[key]
            if start >= count:
                continue
            end = min(count, start + MAX_POINTS_PER_MESSAGE)
            self.pending = self.pending or end < count
            series = snapshot.series_since(key, start)
            n = end - start
            xs = (series.time[:n] - t0) if series.step is None else series.step[:n]
            ys = series.value[:n]
            threshold = self.thresholds.get(key)
            if threshold is not None:
                if series.step is None and first:
                    xs, ys = xs[:0], ys[:0]  # an ``after`` in steps says nothing of wall time
                else:
                    keep = xs > threshold
                    xs, ys = xs[keep], ys[keep]
            self.cursors[key] = end
            if xs.size:
                self.last_x[key] = float(xs[-1])
                out[key] = {
                    "x": json_array(xs, integral=series.step is not None),
                    "y": json_array(ys),
                }
        return {"series": out} if out else None


def _mtime_and_size(path: Path) -> tuple[float, int]:
    try:
        stat = os.stat(path)
    except OSError:
        return 0.0, -1
    return stat.st_mtime, stat.st_size


class _StatusWatch:
    """The run's status: from status.json when it changes, from the index now and then."""

    def __init__(self, runs: RunService, run_id: str, run_path: Path) -> None:
        self.runs = runs
        self.root = runs.root
        self.run_id = run_id
        self.status_path = run_path / STATUS_FILE
        self.mtime = -1.0
        self.checked_at = 0.0
        self.status = "running"

    def check(self, now: float) -> str:
        mtime, _ = _mtime_and_size(self.status_path)
        if mtime != self.mtime:
            self.mtime = mtime
            data = read_json_under(self.root, self.status_path)
            if isinstance(data, dict) and isinstance(data.get("status"), str):
                self.status = data["status"]
        if self.status == "running" and now - self.checked_at >= STATUS_RECHECK_INTERVAL:
            self.checked_at = now
            with contextlib.suppress(RunicornError, OSError):
                self.status = self.runs.get(self.run_id).status  # notices a crash
        return self.status


async def _receive_json(websocket: WebSocket) -> dict[str, Any] | None:
    """The next JSON object from the client; None when it left. Other messages are ignored."""
    while True:
        message = await websocket.receive()
        if message["type"] == "websocket.disconnect":
            return None
        raw = message.get("text") or message.get("bytes")
        if raw is None:
            continue
        try:
            value = orjson.loads(raw)
        except orjson.JSONDecodeError:
            continue
        if isinstance(value, dict):
            return value


async def _close_with_error(websocket: WebSocket, code: int, detail: str) -> None:
    with contextlib.suppress(RuntimeError, WebSocketDisconnect):
        await websocket.send_text(orjson.dumps({"error": detail}).decode())
        await websocket.close(code=code)


async def _open(
    websocket: WebSocket, runs: RunService, run_id: str
) -> tuple[str, Path, dict[str, Any]] | None:
    """Accept, read the client's first message and find the run; None if that fails."""
    await websocket.accept()
    hello = await _receive_json(websocket)
    if hello is None:
        return None
    try:
        record, run_path = await anyio.to_thread.run_sync(runs.locate, run_id)
    except RunNotFoundError as exc:
        await _close_with_error(websocket, CLOSE_NOT_FOUND, str(exc))
        return None
    except (RunicornError, ValueError) as exc:
        await _close_with_error(websocket, CLOSE_BAD_REQUEST, str(exc))
        return None
    return record.id, run_path, hello


async def _run_until_disconnect(
    websocket: WebSocket,
    loop: Callable[[], Awaitable[None]],
    on_message: Callable[[dict[str, Any]], None],
) -> None:
    """Run ``loop`` while a reader task watches the socket; stop when either side ends."""
    async with anyio.create_task_group() as group:

        async def reader() -> None:
            while True:
                message = await _receive_json(websocket)
                if message is None:
                    group.cancel_scope.cancel()
                    return
                on_message(message)

        group.start_soon(reader)
        try:
            with contextlib.suppress(WebSocketDisconnect, RuntimeError, OSError):
                await loop()
        except UnsafePathError as exc:
            await _close_with_error(websocket, CLOSE_FORBIDDEN, str(exc))
        group.cancel_scope.cancel()
    if websocket.application_state == WebSocketState.CONNECTED:
        with contextlib.suppress(RuntimeError, WebSocketDisconnect):
            await websocket.close()


def _keys_of(hello: dict[str, Any]) -> list[str] | None:
    keys = hello.get("keys")
    if isinstance(keys, list) and all(isinstance(k, str) for k in keys):
        return list(keys)
    return None


def _after_of(hello: dict[str, Any]) -> float | None:
    after = hello.get("after")
    if isinstance(after, int | float) and not isinstance(after, bool):
        return float(after)
    return None


async def serve_metrics_socket(
    websocket: WebSocket, runs: RunService, metrics: MetricsService, run_id: str
) -> None:
    """``WS /api/metrics/{id}/ws``: push new points, then ``{"status": ...}`` when it ends."""
    opened = await _open(websocket, runs, run_id)
    if opened is None:
        return
    run_id, run_path, hello = opened
    events_path = run_path / EVENTS_FILE

    def follower(message: dict[str, Any]) -> MetricsFollower:
        return MetricsFollower(
            metrics.cache, run_id, events_path, _keys_of(message), _after_of(message),
            root=runs.root,
        )  # fmt: skip

    state = {"follower": follower(hello)}

    def on_message(message: dict[str, Any]) -> None:
        # A new opening message (same shape) restarts the stream from its position.
        state["follower"] = follower(message)

    async def loop() -> None:
        watch = _StatusWatch(runs, run_id, run_path)
        alerts = await anyio.to_thread.run_sync(AlertFollower, runs.backend, run_id)
        last_size = -2
        sent_status: str | None = None
        follower = state["follower"]
        while True:
            now = anyio.current_time()
            # Status first: points flushed before the run finished are then already on disk.
            status = await anyio.to_thread.run_sync(watch.check, now)
            _, size = await anyio.to_thread.run_sync(_mtime_and_size, events_path)
            if state["follower"] is not follower:
                follower, last_size = state["follower"], -2
            if size != last_size or follower.pending:
                last_size = size
                message = await anyio.to_thread.run_sync(follower.poll)
                if message is not None:
                    await websocket.send_text(encode(message).decode())
            if status != sent_status and (status != "running" or sent_status is not None):
                await websocket.send_text(orjson.dumps({"status": status}).decode())
            sent_status = status
            if alerts.due(now):
                new_alerts = await anyio.to_thread.run_sync(alerts.poll, now)
                if new_alerts:
                    await websocket.send_text(encode({"alerts": new_alerts}).decode())
            if not follower.pending:
                await anyio.sleep(POLL_INTERVAL)

    await _run_until_disconnect(websocket, loop, on_message)


async def serve_logs_socket(websocket: WebSocket, runs: RunService, run_id: str) -> None:
    """``WS /api/runs/{id}/logs/ws``: whole new lines of ``logs.txt`` as they are written."""
    opened = await _open(websocket, runs, run_id)
    if opened is None:
        return
    run_id, run_path, hello = opened
    offset = hello.get("offset")
    state: dict[str, int | None] = {
        "offset": offset if isinstance(offset, int) and not isinstance(offset, bool) else None
    }
    restart = {"pending": True}

    def on_message(message: dict[str, Any]) -> None:
        value = message.get("offset")
        state["offset"] = value if isinstance(value, int) and not isinstance(value, bool) else None
        restart["pending"] = True

    async def loop() -> None:
        watch = _StatusWatch(runs, run_id, run_path)
        logs_path = run_path / LOGS_FILE
        next_offset: int | None = None
        while True:
            status = await anyio.to_thread.run_sync(watch.check, anyio.current_time())
            _, size = await anyio.to_thread.run_sync(_mtime_and_size, logs_path)
            first = restart["pending"]
            if first:
                restart["pending"] = False
                next_offset = state["offset"]
            elif next_offset is not None and size < next_offset:
                next_offset = 0  # truncated or replaced: read it again from the start
            if first or (next_offset is not None and size > next_offset):
                chunk = await anyio.to_thread.run_sync(
                    partial(
                        read_log_window,
                        logs_path,
                        next_offset,
                        DEFAULT_LOG_LIMIT,
                        include_partial=status != "running",
                        root=runs.root,
                    )
                )
                if first or chunk["text"]:
                    await websocket.send_text(orjson.dumps(chunk).decode())
                more = chunk["next_offset"] < chunk["size"] and chunk["text"] != ""
                next_offset = chunk["next_offset"]
                if more:
                    continue
            await anyio.sleep(POLL_INTERVAL)

    await _run_until_disconnect(websocket, loop, on_message)
