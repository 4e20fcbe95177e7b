"""Alerts through the viewer: the REST routes, the v2 filter, and the viewer's own alerts."""

from __future__ import annotations

import math
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import httpx

import runicorn as rn
from runicorn.config import AlertSettings
from runicorn.storage.backends import HybridStorageBackend
from runicorn.viewer.services.alerts import ViewerAlertService


def _nan_at(step_of_nan: int) -> Any:
    def log(run: Any, step: int) -> None:
        loss = math.nan if step == step_of_nan else 1.0 / step
        run.log({"train/loss": loss, "val/acc": step / 100})

    return log


async def test_run_alerts_and_alerts_across_runs(
    client: httpx.AsyncClient, run_factory: Any
) -> None:
    broken = run_factory(project="vision", name="resnet50", steps=30, log=_nan_at(12))
    calm = run_factory(project="nlp", name="bert", steps=30)
    manual = rn.init("nlp", "gpt", storage=broken.root, capture_console=False,
                     capture_env=False, system_metrics=False)  # fmt: skip
    manual.alert("tokenizer rebuilt", "vocab 32k", level="warn")
    manual.finish()

    response = await client.get(f"/api/runs/{broken.id}/alerts")
    assert response.status_code == 200
    body = response.json()
    assert body["total"] == 1
    item = body["items"][0]
    assert (item["rule"], item["key"], item["step"], item["level"]) == (
        "nan_inf", "train/loss", 12, "error",
    )  # fmt: skip
    assert (await client.get(f"/api/runs/{calm.id}/alerts")).json() == {"items": [], "total": 0}

    everything = (await client.get("/api/alerts")).json()
    assert everything["total"] == 2
    assert [a["run_id"] for a in everything["items"]] == [manual.id, broken.id]  # newest first
    assert everything["items"][0]["project"] == "nlp"
    errors = (await client.get("/api/alerts", params={"level": "error"})).json()
    assert [a["run_id"] for a in errors["items"]] == [broken.id]
    in_nlp = (await client.get("/api/alerts", params={"project": "nlp"})).json()
    assert [a["title"] for a in in_nlp["items"]] == ["tokenizer rebuilt"]
    later = (await client.get("/api/alerts", params={"since": "2999-01-01"})).json()
    assert later["total"] == 0
    paged = (await client.get("/api/alerts", params={"limit": 1, "offset": 1})).json()
    assert paged["total"] == 2 and [a["run_id"] for a in paged["items"]] == [broken.id]

    bad = await client.get("/api/alerts", params={"level": "fatal"})
    assert bad.status_code == 400 and "level must be one of" in bad.text
    missing = await client.get("/api/runs/20990101_000000_zzzzzz/alerts")
    assert missing.status_code == 404


async def test_runs_list_has_alert_counts_and_filters_on_them(
    client: httpx.AsyncClient, run_factory: Any
) -> None:
    broken = run_factory(name="diverged", steps=20, log=_nan_at(5))
    run_factory(name="healthy", steps=20)
    listed = (await client.get("/api/experiments")).json()
    counts = {item["name"]: item["alerts"] for item in listed["items"]}
    assert counts == {"diverged": 1, "healthy": 0}
    last = next(i for i in listed["items"] if i["name"] == "diverged")["last_alert"]
    assert last["title"] == "train/loss is NaN" and last["step"] == 5
    filtered = (await client.get("/api/v2/experiments", params={"filter": "alerts > 0"})).json()
    assert [item["id"] for item in filtered["items"]] == [broken.id]
    ordered = (await client.get("/api/v2/experiments", params={"sort": "-alerts"})).json()
    assert ordered["items"][0]["id"] == broken.id


def test_a_stalled_run_gives_one_viewer_alert(root: Path) -> None:
    run = rn.init("vision", "stuck", storage=root, capture_console=False, capture_env=False,
                  system_metrics=False)  # fmt: skip
    for step in range(1, 6):
        run.log({"train/loss": 1.0 / step})
    run._writer.flush(force_heartbeat=True)
    with HybridStorageBackend(root) as backend:
        service = ViewerAlertService(backend, AlertSettings(stall_minutes=5))
        assert service.check_once(now=1_000.0) == []
        assert service.check_once(now=1_000.0 + 4 * 60) == []
        raised = service.check_once(now=1_000.0 + 6 * 60)
        assert [(a.rule, a.step, a.level) for a in raised] == [("stalled", 5, "warn")]
        assert service.check_once(now=1_000.0 + 20 * 60) == []
        assert backend.get_run(run.id).alerts == 1
        # A second viewer (or a restart) does not raise it again either.
        again = ViewerAlertService(backend, AlertSettings(stall_minutes=5))
        again.check_once(now=5_000.0)
        assert again.check_once(now=5_000.0 + 10 * 60) == []
    run.finish()


def test_a_crashed_run_gives_one_viewer_alert(root: Path) -> None:
    script = textwrap.dedent(
        """
        import os, sys
        import runicorn as rn
        run = rn.init("vision", "killed", storage=sys.argv[1], capture_console=False,
                      capture_env=False, system_metrics=False)
        for step in range(1, 51):
            run.log({"train/loss": 1.0 / step})
        run._writer.flush(force_heartbeat=True)
        os._exit(0)  # gone without finishing, as after a kill -9 or an OOM kill
        """
    )
    subprocess.run([sys.executable, "-c", script, str(root)], check=True, timeout=60)
    with HybridStorageBackend(root) as backend:
        service = ViewerAlertService(backend, AlertSettings())
        raised = service.check_once()
        assert [(a.rule, a.level, a.step) for a in raised] == [("crashed", "error", 50)]
        assert service.check_once() == []
        alerts, total = backend.index.alerts()
        assert total == 1 and alerts[0].source == "viewer" and alerts[0].name == "killed"
        backend.reindex()  # the viewer's alerts are not in the files, yet survive a reindex
        assert backend.index.alerts()[1] == 1


async def test_the_live_metric_socket_pushes_new_alerts(live_server: Any, root: Path) -> None:
    import asyncio

    import orjson
    import websockets

    run = rn.init("vision", "live", storage=root, capture_console=False, capture_env=False,
                  system_metrics=False)  # fmt: skip
    run.log({"train/loss": 1.0})
    async with websockets.connect(f"{live_server.ws_url}/api/metrics/{run.id}/ws") as ws:
        await ws.send(orjson.dumps({"keys": ["train/loss"], "after": None}).decode())
        run.log({"train/loss": math.nan})
        alerts: list[dict[str, Any]] = []
        loop = asyncio.get_running_loop()
        deadline = loop.time() + 10
        while not alerts:
            message = orjson.loads(await asyncio.wait_for(ws.recv(), deadline - loop.time()))
            alerts = message.get("alerts", [])
        assert [(a["rule"], a["step"], a["run_id"]) for a in alerts] == [("nan_inf", 2, run.id)]
    run.finish()
