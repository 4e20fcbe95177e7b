"""Every run-level route of docs/api.md, against runs recorded by the real SDK."""

from __future__ import annotations

import asyncio
import importlib
import sys
import time
from pathlib import Path
from typing import Any

import httpx
import numpy as np
import pytest

from runicorn.viewer import create_app

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
if str(FIXTURES) not in sys.path:
    sys.path.insert(0, str(FIXTURES))
fake_nvidia_smi = importlib.import_module("fake_nvidia_smi")


async def test_health(client: httpx.AsyncClient, root: Path) -> None:
    body = (await client.get("/api/health")).json()
    assert body["status"] == "ok"
    assert body["version"] == "0.1.0"
    assert body["root"] == str(root.resolve())


async def test_projects_lists_names_and_counts(client: httpx.AsyncClient, run_factory) -> None:
    run_factory(project="vision", name="resnet")
    run_factory(project="vision", name="resnet")
    run_factory(project="vision", name="vit")
    run_factory(project="nlp", name="bert", finish=False)
    body = (await client.get("/api/projects")).json()
    assert body["total"] == 2
    by_project = {item["project"]: item for item in body["items"]}
    assert by_project["vision"]["runs"] == 3
    assert by_project["nlp"]["running"] == 1
    assert {n["name"]: n["runs"] for n in by_project["vision"]["names"]} == {
        "resnet": 2,
        "vit": 1,
    }


async def test_experiments_filters_sorts_and_pages(client: httpx.AsyncClient, run_factory) -> None:
    a = run_factory(project="vision", name="resnet", tags=["baseline"], summary={"acc": 0.5})
    b = run_factory(project="vision", name="vit", summary={"acc": 0.9})
    c = run_factory(project="nlp", name="bert", tags=["baseline", "big"], finish=False)
    c.finish()

    async def ids(**params: Any) -> list[str]:
        response = await client.get("/api/experiments", params=params)
        assert response.status_code == 200, response.text
        return [item["id"] for item in response.json()["items"]]

    assert await ids() == [c.id, b.id, a.id]  # default: newest first
    assert await ids(project="vision") == [b.id, a.id]
    assert await ids(project="vision", name="vit") == [b.id]
    assert await ids(tag="baseline") == [c.id, a.id]
    assert await ids(tag=["baseline", "big"]) == [c.id]
    assert await ids(q="ViT") == [b.id]
    assert await ids(status="finished") == [c.id, b.id, a.id]
    assert await ids(sort="-summary.acc") == [b.id, a.id, c.id]
    assert await ids(sort="created_at", limit=2) == [a.id, b.id]
    assert await ids(sort="created_at", limit=2, offset=2) == [c.id]
    page = (await client.get("/api/experiments", params={"limit": 1})).json()
    assert page["total"] == 3 and len(page["items"]) == 1
    item = page["items"][0]
    for field in ("id", "project", "name", "status", "created_at", "ended_at", "heartbeat_at",
                  "duration", "hostname", "pid", "exit_reason", "tags", "notes", "config",
                  "summary", "metrics", "last_step", "deleted_at", "path"):  # fmt: skip
        assert field in item
    bad = await client.get("/api/experiments", params={"sort": "-nope"})
    assert bad.status_code == 400 and bad.json()["position"] == 1
    assert (await client.get("/api/experiments", params={"limit": 5000})).status_code == 422


async def test_run_detail_has_meta_environment_media_files_and_keys(
    client: httpx.AsyncClient, root: Path
) -> None:
    import runicorn as rn

    run = rn.init(project="p", name="n", storage=root, system_metrics=False, capture_env=True)
    run.log({"loss": 1.0})
    run.log_image("samples", np.zeros((4, 4, 3), dtype=np.uint8), step=1, caption="first")
    run.log_text("hello")
    run.finish()
    response = await client.get(f"/api/runs/{run.id}")
    assert response.status_code == 200, "a run whose environment.json is not written yet"
    deadline = time.monotonic() + 30  # the capture finishes on its own after the run ends
    while not (run.path / "environment.json").is_file() and time.monotonic() < deadline:
        await asyncio.sleep(0.1)
    response = await client.get(f"/api/runs/{run.id}")
    assert response.status_code == 200
    body = response.json()
    assert body["id"] == run.id and body["status"] == "finished"
    assert body["meta"]["project"] == "p"
    assert isinstance(body["environment"], dict)
    assert body["metric_keys"] == ["loss"]
    assert body["files"]["events.jsonl"] > 0 and "logs.txt" in body["files"]
    [media] = body["media"]
    assert media["key"] == "samples" and media["caption"] == "first" and media["step"] == 1
    assert media["path"].startswith("media/")
    same = (await client.get(f"/api/v2/runs/{run.id}")).json()
    assert same["id"] == run.id and same["media"] == body["media"]

    image = await client.get(f"/api/runs/{run.id}/{media['path']}")
    assert image.status_code == 200
    assert image.content[:8] == b"\x89PNG\r\n\x1a\n"
    missing = await client.get(f"/api/runs/{run.id}/media/nope.png")
    assert missing.status_code == 404


async def test_a_logged_video_can_be_seeked_with_range_requests(
    client: httpx.AsyncClient, run_factory
) -> None:
    run = run_factory()
    media = Path(run.path) / "media"
    media.mkdir(exist_ok=True)
    video = bytes(range(256)) * 4096  # 1 MiB: a browser's <video> asks for pieces of it
    (media / "rollout_第3轮.mp4").write_bytes(video)
    url = f"/api/runs/{run.id}/media/rollout_第3轮.mp4"
    whole = await client.get(url)
    assert whole.status_code == 200 and whole.content == video
    assert whole.headers["accept-ranges"] == "bytes"
    assert whole.headers["content-type"] == "video/mp4"
    assert "attachment" not in whole.headers.get("content-disposition", "")  # shown, not saved
    middle = await client.get(url, headers={"Range": "bytes=500000-500099"})
    assert middle.status_code == 206 and middle.content == video[500_000:500_100]
    assert middle.headers["content-range"] == f"bytes 500000-500099/{len(video)}"
    tail = await client.get(url, headers={"Range": "bytes=-10"})
    assert tail.status_code == 206 and tail.content == video[-10:]
    past = await client.get(url, headers={"Range": f"bytes={len(video)}-"})
    assert past.status_code == 416


async def test_run_detail_shows_the_original_sdks_alias(
    client: httpx.AsyncClient, root: Path
) -> None:
    import runicorn as rn

    aliased = rn.init(path="cv/yolo/ablation", alias="最佳-v2", storage=root,
                      system_metrics=False, capture_env=False, capture_console=False)  # fmt: skip
    aliased.log({"train/loss": 0.5})
    aliased.finish()
    plain = rn.init(project="cv", name="yolo/base", storage=root,
                    system_metrics=False, capture_env=False, capture_console=False)  # fmt: skip
    plain.finish()
    body = (await client.get(f"/api/runs/{aliased.id}")).json()
    assert body["alias"] == "最佳-v2" and body["meta"]["alias"] == "最佳-v2"
    assert body["project"] == "cv" and body["name"] == "yolo/ablation"
    assert (await client.get(f"/api/runs/{plain.id}")).json()["alias"] is None


async def test_stage_spans_of_a_run_logged_with_train_and_val(
    client: httpx.AsyncClient, root: Path
) -> None:
    import runicorn as rn

    run = rn.init(path="cv/yolo/ablation", storage=root, system_metrics=False,
                  capture_env=False, capture_console=False)  # fmt: skip
    for step in range(1, 9):
        run.log({"train/loss": 1 / step}, stage="train")
    run.log({"val/acc": 0.7, "step": 9, "stage": "val"})
    run.finish()
    body = (await client.get(f"/api/runs/{run.id}/stages")).json()
    assert body == {"stages": [{"stage": "train", "start": 1, "end": 8},
                               {"stage": "val", "start": 9, "end": 9}]}  # fmt: skip
    missing = await client.get("/api/runs/20260101_000000_zzzzzz/stages")
    assert missing.status_code == 404
    assert (await client.get("/api/runs/..%2Fx/stages")).status_code in (400, 404)


async def test_unknown_and_invalid_runs(client: httpx.AsyncClient) -> None:
    missing = await client.get("/api/runs/20260101_000000_zzzzzz")
    assert missing.status_code == 404
    assert "not found" in missing.json()["detail"]
    invalid = await client.get("/api/runs/bad%20id")
    assert invalid.status_code == 400
    assert (await client.get("/api/no-such-route")).status_code == 404


async def test_patch_tags_and_notes(client: httpx.AsyncClient, run_factory, root: Path) -> None:
    run = run_factory(tags=["a"])
    response = await client.patch(f"/api/runs/{run.id}", json={"tags": ["b", "c"], "notes": "hi"})
    assert response.status_code == 200
    assert response.json()["tags"] == ["b", "c"] and response.json()["notes"] == "hi"
    only_notes = await client.patch(f"/api/runs/{run.id}", json={"notes": "again"})
    assert only_notes.json()["tags"] == ["b", "c"]
    listed = (await client.get("/api/experiments", params={"tag": "c"})).json()
    assert [i["id"] for i in listed["items"]] == [run.id]
    assert (await client.patch(f"/api/runs/{run.id}", json={"tags": [""]})).status_code == 422
    assert (await client.patch(f"/api/runs/{run.id}", json={"other": 1})).status_code == 422
    assert (await client.patch("/api/runs/20260101_000000_zzzzzz", json={})).status_code == 404


async def test_delete_restore_and_purge(client: httpx.AsyncClient, run_factory) -> None:
    a, b, c = run_factory(), run_factory(), run_factory()
    assert (await client.delete(f"/api/runs/{a.id}")).json() == {"deleted": [a.id]}
    many = await client.post("/api/runs/delete", json={"ids": [b.id, "20260101_000000_zzzzzz"]})
    assert many.json() == {"deleted": [b.id], "missing": ["20260101_000000_zzzzzz"]}
    live = (await client.get("/api/experiments")).json()
    assert [i["id"] for i in live["items"]] == [c.id]
    binned = (await client.get("/api/recycle-bin")).json()
    assert binned["total"] == 2 and {i["id"] for i in binned["items"]} == {a.id, b.id}
    assert all(i["deleted_at"] for i in binned["items"])

    restored = await client.post("/api/recycle-bin/restore", json={"ids": [a.id, "x"]})
    assert restored.json() == {"restored": [a.id], "missing": ["x"]}
    not_deleted = await client.delete(f"/api/recycle-bin/{c.id}")
    assert not_deleted.status_code == 409
    assert (await client.delete(f"/api/recycle-bin/{b.id}")).json() == {"purged": [b.id]}
    assert (await client.get(f"/api/runs/{b.id}")).status_code == 404
    await client.delete(f"/api/runs/{c.id}")
    assert (await client.post("/api/recycle-bin/empty")).json() == {"purged": [c.id]}
    assert (await client.get("/api/recycle-bin")).json()["total"] == 0
    assert (await client.delete("/api/runs/20260101_000000_zzzzzz")).status_code == 404


def write_logs(root: Path, run: Any, data: bytes) -> Path:
    path = Path(run.path) / "logs.txt"
    path.write_bytes(data)
    return path


async def test_logs_are_read_in_whole_lines(client: httpx.AsyncClient, run_factory, root) -> None:
    run = run_factory(finish=False)
    lines = b"".join(f"line {i}\n".encode() for i in range(1000))
    path = write_logs(root, run, lines + b"partial")
    url = f"/api/runs/{run.id}/logs"
    first = (await client.get(url, params={"offset": 0, "limit": 100})).json()
    assert first["offset"] == 0 and first["text"].endswith("\n")
    assert first["next_offset"] == len(first["text"]) <= 100
    assert first["size"] == len(lines) + 7
    second = (await client.get(url, params={"offset": first["next_offset"], "limit": 100})).json()
    assert second["offset"] == first["next_offset"]
    assert second["text"].startswith("line ") and second["text"].endswith("\n")
    tail = (await client.get(url, params={"limit": 60})).json()
    assert tail["text"].startswith("line ") and tail["text"].endswith("line 999\n")
    assert "partial" not in tail["text"]  # a torn last line waits while the run is live
    whole = (await client.get(url, params={"offset": 0, "limit": 1 << 20})).json()
    assert whole["text"] == lines.decode()
    run.finish()
    path.write_bytes(lines + b"partial")  # the SDK may have written more: pin the content
    final = (await client.get(url, params={"limit": 30})).json()
    assert final["text"].endswith("partial")

    download = await client.get(f"{url}/download")
    assert download.status_code == 200 and download.content == lines + b"partial"
    assert "attachment" in download.headers["content-disposition"]


async def test_logs_of_a_run_without_logs(client: httpx.AsyncClient, run_factory) -> None:
    run = run_factory()
    body = (await client.get(f"/api/runs/{run.id}/logs")).json()
    assert body == {"text": "", "offset": 0, "next_offset": 0, "size": 0}
    assert (await client.get(f"/api/runs/{run.id}/logs/download")).status_code == 404


async def test_config_reads_and_sets_chart_defaults(client: httpx.AsyncClient, root) -> None:
    body = (await client.get("/api/config")).json()
    assert body == {
        "user_root_dir": str(root.resolve()),
        "chart_defaults": {"max_points": 2000, "smoothing": 0.0},
    }
    changed = await client.put("/api/config", json={"chart_defaults": {"smoothing": 0.6}})
    assert changed.json()["chart_defaults"] == {"max_points": 2000, "smoothing": 0.6}
    assert (await client.get("/api/config")).json()["chart_defaults"]["smoothing"] == 0.6
    refused = await client.put("/api/config", json={"user_root_dir": "/tmp/elsewhere"})
    assert refused.status_code == 400 and "runicorn config --set-root" in refused.json()["detail"]
    bad = await client.put("/api/config", json={"chart_defaults": {"smoothing": 2}})
    assert bad.status_code == 422 and isinstance(bad.json()["detail"], str)


async def test_ui_preferences_merge(client: httpx.AsyncClient) -> None:
    assert (await client.get("/api/ui-preferences")).json() == {"preferences": {}}
    await client.put("/api/ui-preferences", json={"preferences": {"theme": "dark", "cols": [1]}})
    merged = await client.put("/api/ui-preferences", json={"preferences": {"lang": "zh"}})
    assert merged.json() == {"preferences": {"theme": "dark", "cols": [1], "lang": "zh"}}
    assert (await client.get("/api/ui-preferences")).json() == merged.json()


async def test_gpu_reports_fake_gpus_and_host(
    client: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    from runicorn import gpu

    monkeypatch.setattr(gpu, "read_nvml", lambda: gpu.GpuReport(False, "no NVML in tests"))
    fake_nvidia_smi.use_fake_nvidia_smi(monkeypatch, tmp_path / "bin")
    body = (await client.get("/api/gpu")).json()
    assert body["available"] is True
    assert len(body["gpus"]) == 2
    first = body["gpus"][0]
    assert set(first) == {"index", "name", "utilization", "memory_used", "memory_total",
                          "temperature", "power"}  # fmt: skip
    assert first["memory_total"] > 1e9
    assert body["host"]["memory_total"] > 0 and 0 <= body["host"]["memory_percent"] <= 100


async def test_gpu_without_a_driver_says_why(
    app: Any, monkeypatch: pytest.MonkeyPatch, tmp_path: Path, client: httpx.AsyncClient
) -> None:
    from runicorn import gpu

    monkeypatch.setattr(gpu, "read_nvml", lambda: gpu.GpuReport(False, "no NVML in tests"))
    fake_nvidia_smi.hide_nvidia_smi(monkeypatch, tmp_path / "empty")
    body = (await client.get("/api/gpu")).json()
    assert body["available"] is False and body["reason"] and body["gpus"] == []


async def test_v2_experiments_filter_sort_cursor(client: httpx.AsyncClient, run_factory) -> None:
    runs = [
        run_factory(config={"lr": lr, "opt": {"name": "adam"}}, summary={"acc": acc}, tags=[tag])
        for lr, acc, tag in [
            (0.1, 0.5, "sweep"),
            (0.01, 0.9, "sweep"),
            (0.001, 0.7, "baseline"),
            (0.0001, float("nan"), "sweep"),
        ]
    ]
    response = await client.get(
        "/api/v2/experiments", params={"filter": "config.lr < 0.05", "sort": "-summary.acc"}
    )
    body = response.json()
    assert [i["id"] for i in body["items"]] == [runs[1].id, runs[2].id, runs[3].id]
    assert body["total"] == 3 and body["next_cursor"] is None
    assert body["items"][2]["summary"]["acc"] == "NaN"

    seen: list[str] = []
    params: dict[str, Any] = {"sort": "config.lr", "limit": 3}
    while True:
        page = (await client.get("/api/v2/experiments", params=params)).json()
        seen += [i["id"] for i in page["items"]]
        if page["next_cursor"] is None:
            break
        params["cursor"] = page["next_cursor"]
    assert seen == [r.id for r in reversed(runs)]
    bad = await client.get("/api/v2/experiments", params={"filter": "config.lr < < 1"})
    assert bad.status_code == 400 and bad.json()["position"] == 12
    assert "expected" in bad.json()["detail"]
    assert (await client.get("/api/v2/experiments", params={"cursor": "zz"})).status_code == 400

    fields = (await client.get("/api/v2/fields")).json()
    config_keys = [entry["key"] for entry in fields["config"]]
    assert "lr" in config_keys and "opt.name" in config_keys
    assert [entry["key"] for entry in fields["summary"]] == ["acc"]
    assert [entry["key"] for entry in fields["metrics"]] == ["acc", "loss"]
    assert fields["tags"] == ["baseline", "sweep"]


async def test_runs_copied_in_by_hand_are_indexed_on_start(root: Path, run_factory) -> None:
    run = run_factory()
    (root / ".runicorn" / "index.db").unlink()
    for extra in ("index.db-wal", "index.db-shm"):
        (root / ".runicorn" / extra).unlink(missing_ok=True)
    app = create_app(root, static_dir=None)
    try:
        assert app.state.ctx.runs.index_new_runs() == 1
        assert app.state.ctx.runs.get(run.id).id == run.id
    finally:
        app.state.ctx.close()


async def test_web_ui_is_served_with_spa_fallback(root: Path, tmp_path: Path) -> None:
    static = tmp_path / "static"
    (static / "assets").mkdir(parents=True)
    (static / "index.html").write_text("<html>ui</html>")
    (static / "assets" / "app-123.js").write_text("console.log(1)")
    app = create_app(root, static_dir=static, index_on_start=False)
    transport = httpx.ASGITransport(app=app)
    try:
        async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1") as http:
            assert (await http.get("/")).text == "<html>ui</html>"
            assert (await http.get("/runs/abc/charts")).text == "<html>ui</html>"
            asset = await http.get("/assets/app-123.js")
            assert asset.text == "console.log(1)" and "immutable" in asset.headers["cache-control"]
            assert (await http.get("/api/nothing")).status_code == 404
            assert (await http.get("/%2e%2e/%2e%2e/etc/passwd")).status_code in (200, 404)
            assert "root:" not in (await http.get("/..%2f..%2fetc/passwd")).text
            docs = await http.get("/docs")
            assert docs.status_code == 200 and "swagger" in docs.text.lower()
    finally:
        app.state.ctx.close()


async def test_without_a_build_the_page_says_how_to_build(client: httpx.AsyncClient) -> None:
    page = await client.get("/")
    assert page.status_code == 200
    assert "npm --prefix web" in page.text


def test_gpu_history_is_recorded_by_the_viewer_before_any_page_asks(live_server: Any) -> None:
    """The System page opened a minute after the viewer still sees what happened before."""
    with httpx.Client(base_url=live_server.url, timeout=30) as http:
        deadline = time.monotonic() + 10
        body: dict[str, Any] = {}
        while time.monotonic() < deadline:
            body = http.get("/api/gpu", params={"history": 600}).json()
            if body["history"]["t"]:
                break
            time.sleep(0.05)
        history = body["history"]
        assert history["interval"] > 0
        assert len(history["t"]) >= 1
        assert len(history["cpu_percent"]) == len(history["t"]) == len(history["memory_percent"])
        assert abs(history["t"][-1] - time.time()) < 60
        assert "history" not in http.get("/api/gpu").json()
        assert http.get("/api/gpu", params={"history": 0}).status_code == 422
