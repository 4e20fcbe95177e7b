"""``python -m runicorn.viewer`` as a process: readiness line, token, idle and stdin exits."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx

from runicorn.remote.commands import VIEWER_READY_PREFIX
from runicorn.viewer.server import viewer_url


def start(root: Path, *args: str) -> tuple[subprocess.Popen[str], dict[str, Any]]:
    process = subprocess.Popen(
        [sys.executable, "-m", "runicorn.viewer", "--root", str(root), "--port", "0", *args],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert process.stdout is not None
    line = process.stdout.readline()
    assert line.startswith(VIEWER_READY_PREFIX), (
        line,
        process.stderr.read() if process.stderr else "",
    )
    return process, json.loads(line[len(VIEWER_READY_PREFIX) :])


def stop(process: subprocess.Popen[str]) -> None:
    if process.poll() is None:
        process.kill()
    process.wait(timeout=10)


def test_ready_line_then_exit_on_stdin_eof(root: Path) -> None:
    process, ready = start(root, "--exit-on-stdin-eof")
    try:
        assert ready["host"] == "127.0.0.1" and ready["port"] > 0
        assert ready["url"] == f"http://127.0.0.1:{ready['port']}/"
        health = httpx.get(f"{ready['url']}api/health", timeout=5)
        assert health.json()["status"] == "ok"
        assert process.stdin is not None
        process.stdin.close()
        assert process.wait(timeout=10) == 0
    finally:
        stop(process)


def test_idle_timeout_stops_the_viewer(root: Path) -> None:
    process, ready = start(root, "--idle-timeout", "1")
    try:
        started = time.monotonic()
        httpx.get(f"{ready['url']}api/health", timeout=5)
        assert process.wait(timeout=15) == 0
        assert time.monotonic() - started >= 1
    finally:
        stop(process)


def test_non_loopback_bind_prints_a_token_url(root: Path) -> None:
    process, ready = start(root, "--host", "0.0.0.0", "--exit-on-stdin-eof")
    try:
        url = ready["url"]
        assert url.startswith(f"http://127.0.0.1:{ready['port']}/?token=")
        base = f"http://127.0.0.1:{ready['port']}"
        assert httpx.get(f"{base}/api/health", timeout=5).status_code == 401
        token = url.split("token=", 1)[1]
        ok = httpx.get(f"{base}/api/health", params={"token": token}, timeout=5)
        assert ok.status_code == 200 and "runicorn_token" in ok.headers["set-cookie"]
    finally:
        stop(process)


def test_viewer_url_forms() -> None:
    assert viewer_url("127.0.0.1", 5, None) == "http://127.0.0.1:5/"
    assert viewer_url("::1", 5, "t") == "http://[::1]:5/?token=t"
    assert viewer_url("::", 5, None) == "http://[::1]:5/"
    assert viewer_url("0.0.0.0", 5, "t") == "http://127.0.0.1:5/?token=t"
