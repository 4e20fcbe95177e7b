"""``/api/runs/{id}/histograms`` on a real viewer, over runs logged with rn.Histogram."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import httpx
import numpy as np

import runicorn as rn

from .conftest import LiveServer


def log_weights(root: Path, steps: int, *, finish: bool = True) -> Any:
    run = rn.init(
        project="vision", name="resnet", storage=root, config={"batch_size": 64},
        capture_console=False, capture_env=False, system_metrics=False,
    )  # fmt: skip
    rng = np.random.default_rng(1)
    for step in range(1, steps + 1):
        record: dict[str, Any] = {"train/loss": 1.0 / step}
        record["weights/fc"] = rn.Histogram(rng.normal(step / 10, 1.0, 500), bins=32)
        if step % 5 == 0:
            counts, edges = np.histogram(rng.uniform(0, 1, 100), bins=8, range=(0, 1))
            record["grads/学习率"] = rn.Histogram(np_histogram=(counts, edges))
        run.log(record, step=step)
    if finish:
        run.finish()
    return run


def test_keys_and_one_keys_histograms_in_the_contract_shape(
    root: Path, live_server: LiveServer
) -> None:
    run = log_weights(root, 20)
    with httpx.Client(base_url=live_server.url, timeout=30) as http:
        keys = http.get(f"/api/runs/{run.id}/histograms/keys").json()["keys"]
        assert keys == [
            {"key": "grads/学习率", "steps": 4, "first_step": 5, "last_step": 20},
            {"key": "weights/fc", "steps": 20, "first_step": 1, "last_step": 20},
        ]
        body = http.get(f"/api/runs/{run.id}/histograms", params={"key": "weights/fc"}).json()
    assert body["key"] == "weights/fc"
    assert body["steps"] == list(range(1, 21))
    assert body["total"] == 20
    assert all(len(e) == 33 for e in body["edges"])
    assert all(len(c) == 32 and sum(c) == 500 for c in body["counts"])
    # The distribution moves right over steps, as logged (mean step / 10).
    centres = [np.average((np.array(e[:-1]) + e[1:]) / 2, weights=c) for e, c in
               zip(body["edges"], body["counts"], strict=True)]  # fmt: skip
    assert centres[-1] - centres[0] > 1.5


def test_a_step_range_and_max_steps_thin_evenly_keeping_both_ends(
    root: Path, live_server: LiveServer
) -> None:
    run = log_weights(root, 100)
    url = f"{live_server.url}/api/runs/{run.id}/histograms"
    ranged = httpx.get(url, params={"key": "weights/fc", "start": 10, "end": 19.5}).json()
    assert ranged["steps"] == list(range(10, 20))
    thinned = httpx.get(url, params={"key": "weights/fc", "max_steps": 5}).json()
    assert thinned["steps"] == [1, 26, 51, 75, 100]
    assert thinned["total"] == 100
    assert len(thinned["counts"]) == len(thinned["edges"]) == 5


def test_a_live_run_reads_only_what_was_appended(root: Path, live_server: LiveServer) -> None:
    os.environ["RUNICORN_FLUSH_INTERVAL"] = "0.05"
    try:
        run = log_weights(root, 3, finish=False)
        url = f"{live_server.url}/api/runs/{run.id}/histograms"
        run._writer.flush()
        first = httpx.get(url, params={"key": "weights/fc"}).json()
        assert first["steps"] == [1, 2, 3]
        run.log({"weights/fc": rn.Histogram([1.0, 2.0, 3.0], bins=3)}, step=4)
        run._writer.flush()
        second = httpx.get(url, params={"key": "weights/fc"}).json()
        assert second["steps"] == [1, 2, 3, 4]
        assert second["counts"][-1] == [1, 1, 1]
        run.finish()
    finally:
        os.environ.pop("RUNICORN_FLUSH_INTERVAL", None)


def test_unknown_key_is_empty_and_unknown_run_is_404(root: Path, live_server: LiveServer) -> None:
    run = log_weights(root, 2)
    with httpx.Client(base_url=live_server.url, timeout=30) as http:
        empty = http.get(f"/api/runs/{run.id}/histograms", params={"key": "nope"}).json()
        assert empty == {"key": "nope", "steps": [], "edges": [], "counts": [], "total": 0}
        missing = http.get("/api/runs/20990101_000000_zzzzzz/histograms", params={"key": "w"})
        assert missing.status_code == 404
        bad = http.get(f"/api/runs/{run.id}/histograms", params={"key": "w", "max_steps": 0})
        assert bad.status_code in (400, 422)
        assert http.get(f"/api/runs/{run.id}/histograms").status_code in (400, 422)


def test_an_events_file_linking_outside_the_root_is_not_read(
    root: Path, live_server: LiveServer, tmp_path_factory: Any
) -> None:
    run = log_weights(root, 2)
    outside = tmp_path_factory.mktemp("outside") / "secret.jsonl"
    outside.write_text(
        '{"ts":1,"type":"histogram","data":{"key":"secret","step":1,"edges":[0,1],"counts":[9]}}\n'
    )
    events = run.path / "events.jsonl"
    events.unlink()
    events.symlink_to(outside)
    response = httpx.get(
        f"{live_server.url}/api/runs/{run.id}/histograms", params={"key": "secret"}
    )
    assert response.status_code == 403
    assert "[9]" not in response.text
