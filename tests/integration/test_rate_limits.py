"""Issue 8 item 6: the rate limiter keys on what a client cannot forge, and spares local reads.

Each test starts the viewer the way users do (``python -m runicorn.viewer``), so uvicorn runs
with the viewer's own settings (no proxy headers).
"""

from __future__ import annotations

import json
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from runicorn.remote.commands import VIEWER_READY_PREFIX

from .conftest import make_run

TOKEN = "sweep-token-for-rate-tests"


def start_viewer(root: Path, *args: str) -> tuple[subprocess.Popen[str], str]:
    process = subprocess.Popen(
        [sys.executable, "-m", "runicorn.viewer", "--root", str(root), "--port", "0", *args],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    assert process.stdout is not None
    line = process.stdout.readline()
    assert line.startswith(VIEWER_READY_PREFIX), line
    port = json.loads(line[len(VIEWER_READY_PREFIX) :])["port"]
    return process, f"http://127.0.0.1:{port}"


@pytest.fixture
def sweep(root: Path) -> list[Any]:
    return [
        make_run(root, project="vision", name="resnet50/sweep", steps=50,
                 config={"batch_size": 32 * (i + 1), "weight decay": 1e-4 * i, "学习率": 3e-4},
                 tags=["sweep"], log=lambda run, step: run.log({"train/loss": 1 / step,
                                                                 "val/acc": step / 50}))
        for i in range(6)
    ]  # fmt: skip


@pytest.fixture
def viewer(root: Path, sweep: list[Any]) -> Iterator[str]:
    process, url = start_viewer(root)
    try:
        yield url
    finally:
        process.kill()
        process.wait(timeout=10)


def test_a_polling_script_does_not_starve_the_browser_on_loopback(
    viewer: str, sweep: list[Any]
) -> None:
    run_id = sweep[0].id
    script_codes: list[int] = []

    def script() -> None:
        with httpx.Client(base_url=viewer, timeout=10) as http:
            for _ in range(400):
                script_codes.append(http.get(f"/api/metrics/{run_id}?keys=val/acc").status_code)

    poller = threading.Thread(target=script)
    poller.start()
    with httpx.Client(base_url=viewer, timeout=10) as browser:
        browser_codes = [
            browser.get(url).status_code
            for _ in range(40)
            for url in ("/api/experiments", f"/api/runs/{run_id}", f"/api/metrics/{run_id}")
        ]
    poller.join()
    assert set(script_codes) == {200} and len(script_codes) == 400
    assert set(browser_codes) == {200}


def test_exporting_six_runs_from_a_script_in_one_second_works(
    viewer: str, sweep: list[Any]
) -> None:
    formats = ["archive", "csv", "json", "parquet", "archive", "csv"]
    with httpx.Client(base_url=viewer, timeout=30) as http:
        codes = [
            http.post("/api/export", json={"ids": [run.id], "format": fmt}).status_code
            for run, fmt in zip(sweep, formats, strict=True)
        ]
    assert codes == [200] * 6


def test_x_forwarded_for_cannot_pick_a_bucket(viewer: str, sweep: list[Any]) -> None:
    run_id = sweep[0].id
    codes = []
    with httpx.Client(base_url=viewer, timeout=10) as http:
        for i in range(90):  # the mutation burst is 60
            forged = {"X-Forwarded-For": f"10.0.{i // 250}.{i % 250}", "X-Real-IP": f"10.1.0.{i}"}
            response = http.patch(f"/api/runs/{run_id}", json={"notes": f"note {i}"},
                                  headers=forged)  # fmt: skip
            codes.append(response.status_code)
    assert 429 in codes, "forged addresses bought fresh buckets"


def test_off_loopback_buckets_are_per_session(root: Path, sweep: list[Any]) -> None:
    process, url = start_viewer(root, "--host", "0.0.0.0", "--token", TOKEN)
    try:
        run_id = sweep[0].id
        with (
            httpx.Client(base_url=url, timeout=10) as script,
            httpx.Client(base_url=url, timeout=10) as browser,
        ):
            bearer = {"Authorization": f"Bearer {TOKEN}"}
            script_codes = [
                script.get(f"/api/metrics/{run_id}", headers=bearer).status_code for _ in range(400)
            ]
            assert 429 in script_codes  # a script hammering the API is still throttled
            assert browser.get("/", params={"token": TOKEN}).status_code == 200  # sets cookie
            browser_codes = [
                browser.get(url).status_code
                for _ in range(20)
                for url in (f"/api/metrics/{run_id}", "/api/experiments")
            ]
            assert set(browser_codes) == {200}
    finally:
        process.kill()
        process.wait(timeout=10)
