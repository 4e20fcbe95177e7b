"""Issue 8 item 4: run files that are links leading outside the storage root are never read.

A real viewer (uvicorn on a loopback port) serves a run whose ``logs.txt``, ``events.jsonl``,
``environment.json`` and ``status.json`` were replaced by links to files outside the root.
"""

from __future__ import annotations

import asyncio
import io
import os
import shutil
import tarfile
from pathlib import Path
from typing import Any

import httpx
import orjson
import pytest
import websockets

import runicorn as rn
from runicorn.viewer import create_app

from .conftest import NO_LIMITS, LiveServer

SECRET_KEY = "-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAAtopsecret\n"
SECRET_METRIC = "secret/other_users_val_acc"


def _record_run(root: Path) -> Any:
    run = rn.init(
        project="vision", name="resnet50/ablation", storage=root,
        config={"batch_size": 64, "weight decay": 1e-4, "optimizer.betas": [0.9, 0.999],
                "学习率": 3e-4},
        system_metrics=False, capture_console=False, capture_env=False,
    )  # fmt: skip
    for step in range(1, 31):
        run.log({"train/loss": 1.0 / step, "val/acc": step / 30})
    run.log_text("epoch 1 done")
    run.finish()
    return run


@pytest.fixture
def outside(tmp_path: Path) -> Path:
    """Files of another user, outside the storage root."""
    home = tmp_path / "home" / ".ssh"
    home.mkdir(parents=True)
    (home / "id_rsa").write_text(SECRET_KEY)
    lines = [
        orjson.dumps({"ts": 1.0 + i, "type": "metrics",
                      "data": {SECRET_METRIC: 0.5 + i / 100, "global_step": i, "time": 1.0 + i}})
        for i in range(1, 6)
    ]  # fmt: skip
    (home / "events.jsonl").write_bytes(b"\n".join(lines) + b"\n")
    (home / "environment.json").write_text('{"python": "secret-interpreter"}')
    return home


@pytest.fixture
def linked_run(root: Path, outside: Path) -> Any:
    run = _record_run(root)
    folder = Path(run.path)
    for name, target in [
        ("logs.txt", outside / "id_rsa"),
        ("events.jsonl", outside / "events.jsonl"),
        ("environment.json", outside / "environment.json"),
    ]:
        (folder / name).unlink(missing_ok=True)
        os.symlink(target, folder / name)  # ln -s <outside> <run>/<name>
    return run


@pytest.fixture
def server(root: Path) -> Any:
    app = create_app(root, rate_limits=NO_LIMITS, index_on_start=False, static_dir=None)
    with LiveServer(app) as live:
        yield live


def _no_secret(text: str) -> None:
    assert "PRIVATE KEY" not in text and "topsecret" not in text
    assert SECRET_METRIC not in text and "secret-interpreter" not in text


def test_logs_route_and_download_refuse_a_linked_logs_txt(server: LiveServer, linked_run) -> None:
    with httpx.Client(base_url=server.url, timeout=10) as http:
        for url in (f"/api/runs/{linked_run.id}/logs", f"/api/runs/{linked_run.id}/logs/download"):
            response = http.get(url)
            assert response.status_code == 403, url
            assert "outside the storage root" in response.json()["detail"]
            _no_secret(response.text)


def test_metrics_api_refuses_a_linked_events_file(server: LiveServer, linked_run) -> None:
    with httpx.Client(base_url=server.url, timeout=10) as http:
        response = http.get(f"/api/metrics/{linked_run.id}")
        assert response.status_code == 403
        _no_secret(response.text)
        batch = http.post("/api/v2/metrics", json={"ids": [linked_run.id]})
        assert batch.status_code == 200 and batch.json()["runs"] == {}
        _no_secret(batch.text)
        # The run page still opens, without what the links point at.
        detail = http.get(f"/api/runs/{linked_run.id}")
        assert detail.status_code == 200
        assert detail.json()["environment"] is None and detail.json()["metric_keys"] == []
        assert detail.json()["config"]["weight decay"] == 1e-4
        _no_secret(detail.text)


@pytest.mark.parametrize("fmt", ["json", "csv", "parquet"])
def test_metric_export_refuses_a_linked_events_file(
    server: LiveServer, linked_run, fmt: str
) -> None:
    with httpx.Client(base_url=server.url, timeout=10) as http:
        response = http.post("/api/export", json={"ids": [linked_run.id], "format": fmt})
        assert response.status_code == 403
        _no_secret(response.text)


def test_archive_export_leaves_the_links_out(server: LiveServer, linked_run) -> None:
    with httpx.Client(base_url=server.url, timeout=10) as http:
        response = http.post("/api/export", json={"ids": [linked_run.id]})
    assert response.status_code == 200
    with tarfile.open(fileobj=io.BytesIO(response.content), mode="r:gz") as tar:
        names = tar.getnames()
        contents = b"".join(
            tar.extractfile(m).read()  # type: ignore[union-attr]
            for m in tar.getmembers()
            if m.isfile()
        )
    assert not any(n.endswith(("logs.txt", "events.jsonl", "environment.json")) for n in names)
    assert b"PRIVATE KEY" not in contents and SECRET_METRIC.encode() not in contents


async def _first_message(uri: str, hello: dict[str, Any]) -> tuple[str, int | None]:
    async with websockets.connect(uri) as ws:
        await ws.send(orjson.dumps(hello).decode())
        received = ""
        try:
            while True:
                received += str(await asyncio.wait_for(ws.recv(), 5))
        except websockets.ConnectionClosed as closed:
            return received, closed.rcvd.code if closed.rcvd else None


async def test_websockets_refuse_linked_files(server: LiveServer, linked_run) -> None:
    logs, code = await _first_message(
        f"{server.ws_url}/api/runs/{linked_run.id}/logs/ws", {"offset": 0}
    )
    assert code == 4403 and "outside the storage root" in logs
    _no_secret(logs)
    metrics, code = await _first_message(
        f"{server.ws_url}/api/metrics/{linked_run.id}/ws", {"keys": None}
    )
    assert code == 4403 and "outside the storage root" in metrics
    _no_secret(metrics)


def test_links_inside_the_root_still_work(server: LiveServer, root: Path) -> None:
    run = _record_run(root)
    folder = Path(run.path)
    kept = root / "shared-logs" / "resnet50.txt"
    kept.parent.mkdir()
    (folder / "logs.txt").rename(kept)
    os.symlink(kept, folder / "logs.txt")
    with httpx.Client(base_url=server.url, timeout=10) as http:
        assert "epoch 1 done" in http.get(f"/api/runs/{run.id}/logs").json()["text"]
        download = http.get(f"/api/runs/{run.id}/logs/download")
        assert download.status_code == 200 and b"epoch 1 done" in download.content
        assert f"{run.id}-logs.txt" in download.headers["content-disposition"]
        assert len(http.get(f"/api/metrics/{run.id}").json()["series"]["train/loss"]["x"]) == 30


def test_a_fifo_named_logs_txt_does_not_stall_the_viewer(server: LiveServer, root: Path) -> None:
    run = _record_run(root)
    logs = Path(run.path) / "logs.txt"
    logs.unlink()
    os.mkfifo(logs)
    with httpx.Client(base_url=server.url, timeout=10) as http:
        assert http.get(f"/api/runs/{run.id}/logs").status_code == 403


def test_a_copied_in_run_with_linked_files_is_indexed_without_them(
    root: Path, outside: Path, tmp_path: Path
) -> None:
    elsewhere = tmp_path / "laptop-root"
    elsewhere.mkdir()
    run = _record_run(elsewhere)
    copied = root / Path(run.path).relative_to(elsewhere)
    shutil.copytree(run.path, copied)
    (outside / "summary.json").write_text('{"other_users_best_val_acc": 0.991}')
    for name, target in [("summary.json", outside / "summary.json"),
                         ("events.jsonl", outside / "events.jsonl")]:  # fmt: skip
        (copied / name).unlink(missing_ok=True)
        os.symlink(target, copied / name)
    app = create_app(root, rate_limits=NO_LIMITS, static_dir=None)  # indexes new folders
    with LiveServer(app) as live, httpx.Client(base_url=live.url, timeout=10) as http:
        listed = http.get("/api/experiments").json()
    assert [item["id"] for item in listed["items"]] == [run.id]
    item = listed["items"][0]
    assert item["config"]["batch_size"] == 64  # meta.json is a real file: read
    assert "other_users_best_val_acc" not in item["summary"]
    assert SECRET_METRIC not in item["metrics"]
