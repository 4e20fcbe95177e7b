"""Pushing runs to a real team server process: ``runicorn sync ROOT URL`` and the SDK's live
pusher. Offsets make every push idempotent; the server's series equal the local ones."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx
import pytest
from team_server import TeamServer
from websockets.sync.client import connect

import runicorn as rn
from runicorn.manifest.http_push import push_root

KEYS = [f"train/loss_{i}" for i in range(5)] + ["val/acc", "学习率"]


def series(team: TeamServer, token: str, run_id: str, key: str) -> dict[str, Any]:
    answer = httpx.get(
        f"{team.url}/api/metrics/{run_id}",
        params={"keys": key, "max_points": 1_000_000},
        headers={"Authorization": f"Bearer {token}"},
        timeout=30,
    )
    answer.raise_for_status()
    found: dict[str, Any] = answer.json()["series"].get(key, {"x": [], "y": []})
    return found


def local_steps(run_path: Path, key: str) -> list[int]:
    steps = []
    for line in (run_path / "events.jsonl").read_text().splitlines():
        data = json.loads(line).get("data", {})
        if key in data:
            steps.append(data["global_step"])
    return steps


def start_run(root: Path, **extra: Any) -> rn.Run:
    run = rn.init(
        project="vision", name="resnet", storage=root,
        config={"batch_size": 64, "weight decay": 0.01, "optimizer": {"betas": [0.9, 0.99]}},
        system_metrics=False, capture_console=False, capture_env=False, **extra,
    )  # fmt: skip
    assert isinstance(run, rn.Run)
    return run


def log_steps(run: rn.Run, start: int, count: int) -> None:
    for step in range(start, start + count):
        run.log({key: 1.0 / step for key in KEYS}, step=step)


def test_sync_pushes_only_appended_bytes_and_is_idempotent(team: TeamServer, root: Path) -> None:
    token = team.add_user("ci", "writer", "vision")
    run = start_run(root)
    log_steps(run, 1, 200)
    run._writer.flush()
    first = push_root(root, team.url, token=token)
    assert first.ok and first.runs_new == [run.id] and first.bytes_moved > 0
    events = run.path / "events.jsonl"
    size_before = events.stat().st_size
    log_steps(run, 201, 100)
    run._writer.flush()
    appended = events.stat().st_size - size_before
    again = push_root(root, team.url, token=token)
    # Only the new lines travel (plus the small JSON documents the writer rewrote).
    assert appended <= again.bytes_moved < appended + 4096
    run.finish()
    cli = subprocess.run(
        [sys.executable, "-m", "runicorn", "sync", str(root), team.url, "--token", token],
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert cli.returncode == 0, cli.stderr
    repeat = push_root(root, team.url, token=token)
    assert repeat.ok and repeat.bytes_moved == 0 and not repeat.runs_updated
    line = series(team, token, run.id, "train/loss_0")
    assert line["x"] == list(range(1, 301)) == local_steps(run.path, "train/loss_0")
    listed = httpx.get(
        f"{team.url}/api/experiments", headers={"Authorization": f"Bearer {token}"}
    ).json()
    assert [(r["id"], r["status"]) for r in listed["items"]] == [(run.id, "finished")]
    assert listed["items"][0]["config"]["weight decay"] == 0.01


def test_sync_refuses_a_bad_token_and_says_what_to_do(team: TeamServer, root: Path) -> None:
    run = start_run(root)
    log_steps(run, 1, 10)
    run.finish()
    cli = subprocess.run(
        [sys.executable, "-m", "runicorn", "sync", str(root), team.url, "--token", "rnt_wrong"],
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert cli.returncode == 1
    assert "401" in cli.stderr and "RUNICORN_TOKEN" in cli.stderr


def test_live_run_updates_on_the_server_over_the_metrics_websocket(
    team: TeamServer, root: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    token = team.add_user("trainer", "writer")
    monkeypatch.setenv("RUNICORN_TOKEN", token)
    monkeypatch.setenv("RUNICORN_SYNC_INTERVAL", "0.3")
    # The server calls a run crashed after three heartbeats without news; pushes come more often.
    monkeypatch.setenv("RUNICORN_HEARTBEAT_INTERVAL", "1")
    run = start_run(root, sync=team.url)
    log_steps(run, 1, 20)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        listed = httpx.get(
            f"{team.url}/api/experiments", headers={"Authorization": f"Bearer {token}"}
        ).json()
        if listed["total"] == 1:
            break
        time.sleep(0.2)
    assert listed["items"][0]["status"] == "running"
    ws = team.url.replace("http", "ws") + f"/api/metrics/{run.id}/ws"
    seen: list[int] = []
    with connect(ws, additional_headers={"Authorization": f"Bearer {token}"}) as socket:
        socket.send(json.dumps({"keys": ["train/loss_0"]}))
        log_steps(run, 21, 30)
        while time.monotonic() < deadline and (not seen or max(seen) < 50):
            message = json.loads(socket.recv(timeout=20))
            seen += message.get("series", {}).get("train/loss_0", {}).get("x", [])
        run.finish()
        status = None
        while time.monotonic() < deadline and status != "finished":
            status = json.loads(socket.recv(timeout=20)).get("status", status)
    assert max(seen) == 50 and sorted(set(seen)) == seen
    assert series(team, token, run.id, "val/acc")["x"] == list(range(1, 51))


def test_a_file_over_the_request_limit_is_reported_and_the_rest_pushed(
    team: TeamServer, root: Path
) -> None:
    token = team.add_user("ci", "writer")
    run = start_run(root)
    log_steps(run, 1, 20)
    run.finish()
    media = run.path / "media"
    media.mkdir(exist_ok=True)
    (media / "huge.bin").write_bytes(b"\0" * (33 << 20))
    report = push_root(root, team.url, token=token)
    assert report.runs_new == [run.id]
    assert any("media/huge.bin" in note and "32 MiB" in note for note in report.notes)
    assert series(team, token, run.id, "val/acc")["x"] == list(range(1, 21))


def test_a_run_pushed_pass_by_pass_has_the_same_statistics_as_read_whole(
    team: TeamServer, root: Path
) -> None:
    """Commits fold only the appended events in: after many passes (the server restarted
    between two, so a fresh process takes over a run half pushed) the run's metric
    statistics, last step and alerts equal a reading of the whole file."""
    from runicorn.storage.jsonio import dumps, loads
    from runicorn.storage.run_files import read_record

    token = team.add_user("ci", "writer", "vision")
    headers = {"Authorization": f"Bearer {token}"}
    run = start_run(root)
    values = [0.5, float("nan"), 0.1, 2.0, float("inf"), 0.3]
    for index, value in enumerate(values, start=1):
        data = {"train/loss": value, "学习率": 1e-3 / index}
        if index == 3:
            data["val/acc"] = 0.75  # a key seen in one pass only
        run.log(data, step=index * 10)
        if index == 4:
            run.alert("loss spiked", f"train/loss = {value}", level="warning")
        run._writer.flush()
        assert push_root(root, team.url, token=token).ok
        if index == 3:
            team.kill()
            team.start()
    run.finish()
    assert push_root(root, team.url, token=token).ok
    whole = read_record(root, run.path)
    answer = httpx.get(f"{team.url}/api/runs/{run.id}", headers=headers, timeout=30)
    answer.raise_for_status()
    served = answer.json()
    assert served["last_step"] == whole.last_step == 60
    assert served["metrics"] == loads(dumps({k: m.to_dict() for k, m in whole.metrics.items()}))
    assert served["metrics"]["train/loss"]["count"] == len(values)
    alerts = httpx.get(f"{team.url}/api/alerts", headers=headers, params={"run_id": run.id})
    titles = sorted(a["title"] for a in alerts.json()["items"])
    assert titles == sorted(a.title for a in whole.alert_events or [])
    assert "loss spiked" in titles and "train/loss is NaN" in titles
