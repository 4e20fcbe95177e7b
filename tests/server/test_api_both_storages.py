"""The same API answers over both implementations of the storage interface: run folders +
SQLite (``local``) and PostgreSQL + S3 (``server``, fed by ingesting the same root)."""

from __future__ import annotations

import json
import math
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from server_live import LiveServer

import runicorn as rn
from runicorn.viewer import create_app
from runicorn.viewer.context import RateLimits

NO_LIMITS = RateLimits(enabled=False)
STEPS = 60

# (name, batch_size, weight decay, lr, tags, best_acc)
RUNS = [
    ("resnet", 32, 0.0, 0.1, ["baseline"], 0.71),
    ("resnet", 64, 0.01, 0.05, ["baseline"], 0.83),
    ("resnet", 128, 0.01, 0.01, ["baseline", "bs"], 0.88),
    ("vit", 64, 0.05, 3e-4, ["transformer"], 0.91),
    ("vit", 256, 0.05, 1e-4, ["transformer", "bs"], 0.79),
    ("mlp", 16, 0.0, 0.2, [], None),
    ("resnet", 256, 0.1, 0.02, ["bs"], 0.86),
    ("vit", 32, 0.0, 5e-4, ["transformer", "baseline"], 0.65),
]


def record_runs(root: Path) -> list[str]:
    """Runs recorded by the real SDK: config with spaces, dots and unicode, NaN, '/' keys."""
    ids = []
    for index, (name, batch, decay, lr, tags, best) in enumerate(RUNS):
        run = rn.init(
            project="vision" if index % 4 else "nlp", name=name, storage=root, tags=tags,
            config={"batch_size": batch, "weight decay": decay, "学习率": lr,
                    "optimizer": {"name": "adamw" if index % 2 else "sgd", "betas": [0.9, 0.99]}},
            system_metrics=False, capture_console=False, capture_env=False,
        )  # fmt: skip
        for step in range(1, STEPS + 1):
            run.log({"train/loss": 1.0 / (step + index), "val/acc": step / STEPS})
        if name == "mlp":
            run.log({"train/loss": math.nan})
        if best is not None:
            run.summary({"best_acc": best})
        run.finish()
        ids.append(run.id)
    return ids


@pytest.fixture(params=["local", "server"])
def api(request: pytest.FixtureRequest, root: Path) -> Iterator[tuple[httpx.Client, list[str]]]:
    ids = record_runs(root)
    if request.param == "local":
        app = create_app(root, rate_limits=NO_LIMITS, static_dir=None)
    else:
        from runicorn.server.app import create_server_app
        from runicorn.server.backend import ServerStorageBackend
        from runicorn.server.ingest import ingest_root

        config = request.getfixturevalue("server_config")
        backend = ServerStorageBackend(config)
        try:
            assert ingest_root(backend, root).runs
        finally:
            backend.close()
        app = create_server_app(config, rate_limits=NO_LIMITS, static_dir=None)
    with LiveServer(app) as server, httpx.Client(base_url=server.url, timeout=30) as client:
        yield client, ids


def names_of(items: list[dict[str, Any]]) -> list[tuple[str, Any]]:
    return [(i["name"], i["config"]["batch_size"]) for i in items]


def test_list_pages_through_every_run(api: tuple[httpx.Client, list[str]]) -> None:
    client, ids = api
    first = client.get("/api/experiments", params={"limit": 5, "offset": 0}).json()
    rest = client.get("/api/experiments", params={"limit": 5, "offset": 5}).json()
    assert first["total"] == rest["total"] == len(RUNS)
    assert len(first["items"]) == 5 and len(rest["items"]) == 3
    seen = [i["id"] for i in first["items"] + rest["items"]]
    assert sorted(seen) == sorted(ids)
    item = first["items"][0]
    for key in ("id", "project", "name", "status", "created_at", "ended_at", "tags", "config"):
        assert key in item
    assert item["status"] == "finished"
    assert set(item["metrics"]) == {"train/loss", "val/acc"}


def test_v2_filter_and_sort_by_summary(api: tuple[httpx.Client, list[str]]) -> None:
    client, _ = api
    body = client.get(
        "/api/v2/experiments",
        params={
            "filter": "config.batch_size >= 64 and not tag:transformer",
            "sort": "-summary.best_acc",
        },
    ).json()
    assert [(i["name"], i["summary"]["best_acc"]) for i in body["items"]] == [
        ("resnet", 0.88), ("resnet", 0.86), ("resnet", 0.83)
    ]  # fmt: skip
    ascending = client.get("/api/v2/experiments", params={"sort": "summary.best_acc"}).json()
    bests = [i["summary"].get("best_acc") for i in ascending["items"]]
    assert bests == [0.65, 0.71, 0.79, 0.83, 0.86, 0.88, 0.91, None]  # missing sorts last


def test_sorted_pages_are_slices_of_the_whole_order(api: tuple[httpx.Client, list[str]]) -> None:
    client, _ = api
    for sort in ("-summary.best_acc", "summary.best_acc", "config.batch_size desc"):
        whole = client.get("/api/v2/experiments", params={"sort": sort}).json()["items"]
        order = [i["id"] for i in whole]
        for offset, limit in ((0, 3), (2, 3), (5, 3), (6, 2)):
            page = client.get(
                "/api/v2/experiments", params={"sort": sort, "limit": limit, "offset": offset}
            ).json()
            assert [i["id"] for i in page["items"]] == order[offset : offset + limit], sort
            assert page["total"] == len(RUNS)


@pytest.mark.parametrize(
    ("expression", "expected"),
    [
        ('config."weight decay" = 0.05', 2),
        ("config.学习率 < 0.001", 3),
        ("config.optimizer.name = adamw and project = vision", 4),
        ("config.optimizer.betas contains 0.99", 8),
        ('metrics."train/loss".min < 0.0155', 3),
        ('metrics."train/loss".last > 0', 7),  # the NaN last value counts as missing
        ("name contains VI or tag:bs", 5),
        ("summary.best_acc exists", 7),
        ("status in (finished, crashed) and created_at > 2020-01-01", 8),
    ],
)
def test_v2_filters_agree(
    api: tuple[httpx.Client, list[str]], expression: str, expected: int
) -> None:
    client, _ = api
    response = client.get("/api/v2/experiments", params={"filter": expression, "limit": 1})
    assert response.status_code == 200, response.text
    assert response.json()["total"] == expected


def test_invalid_filter_is_a_400_with_the_position(api: tuple[httpx.Client, list[str]]) -> None:
    client, _ = api
    response = client.get("/api/v2/experiments", params={"filter": "config.lr <"})
    assert response.status_code == 400
    assert "position" in response.text or "11" in response.text


def test_run_detail_and_metric_series(api: tuple[httpx.Client, list[str]]) -> None:
    client, ids = api
    detail = client.get(f"/api/runs/{ids[5]}").json()
    assert detail["name"] == "mlp" and detail["meta"]["project"] == "vision"
    assert set(detail["metric_keys"]) >= {"train/loss", "val/acc"}
    assert "events.jsonl" in detail["files"]
    series = client.get(
        f"/api/metrics/{ids[5]}", params={"keys": "train/loss", "max_points": 10000}
    ).json()["series"]["train/loss"]
    assert series["count"] == STEPS + 1
    assert series["x"][:3] == [1, 2, 3]
    assert series["y"][-1] in ("NaN", None) or math.isnan(series["y"][-1])


def test_tags_notes_delete_and_restore(api: tuple[httpx.Client, list[str]]) -> None:
    client, ids = api
    patched = client.patch(
        f"/api/runs/{ids[0]}", json={"tags": ["keep", "学习"], "notes": "best so far"}
    )
    assert patched.status_code == 200, patched.text
    assert client.get(f"/api/runs/{ids[0]}").json()["notes"] == "best so far"
    assert client.get("/api/v2/experiments", params={"filter": "tag:学习"}).json()["total"] == 1
    assert client.delete(f"/api/runs/{ids[1]}").json() == {"deleted": [ids[1]]}
    assert client.get("/api/experiments").json()["total"] == len(RUNS) - 1
    assert [i["id"] for i in client.get("/api/recycle-bin").json()["items"]] == [ids[1]]
    client.post("/api/recycle-bin/restore", json={"ids": [ids[1]]})
    assert client.get("/api/experiments").json()["total"] == len(RUNS)
    client.delete(f"/api/runs/{ids[2]}")
    assert client.delete(f"/api/recycle-bin/{ids[2]}").json() == {"purged": [ids[2]]}
    assert client.get(f"/api/runs/{ids[2]}").status_code == 404
    assert client.get("/api/experiments").json()["total"] == len(RUNS) - 1


def test_projects_and_fields(api: tuple[httpx.Client, list[str]]) -> None:
    client, _ = api
    projects = client.get("/api/projects").json()
    assert {p["project"]: p["runs"] for p in projects["items"]} == {"nlp": 2, "vision": 6}
    fields = client.get("/api/v2/fields").json()
    config_fields = {f["field"] for f in fields["config"]}
    assert {'config."weight decay"', "config.学习率", "config.optimizer.name"} <= config_fields
    assert {m["key"] for m in fields["metrics"]} == {"train/loss", "val/acc"}


def test_alerts_of_a_diverged_run(api: tuple[httpx.Client, list[str]]) -> None:
    client, ids = api
    alerts = client.get(f"/api/runs/{ids[5]}/alerts").json()
    assert alerts["total"] == 1 and alerts["items"][0]["key"] == "train/loss"
    listed = client.get("/api/v2/experiments", params={"filter": "alerts > 0"}).json()
    assert [i["id"] for i in listed["items"]] == [ids[5]]
    assert listed["items"][0]["alerts"] == 1
    everywhere = client.get("/api/alerts", params={"project": "vision"}).json()
    assert everywhere["total"] == 1


LEGACY_ID = "20240105_101500_a1b2c3"


@pytest.fixture
def legacy_run(root: Path) -> str:
    """A run folder as the original Runicorn SDK wrote it for ``init(alias=...)``, migrated."""
    from runicorn.storage.migration import migrate

    folder = root / "cv" / "yolo" / "runs" / LEGACY_ID
    folder.mkdir(parents=True)
    meta = {"id": LEGACY_ID, "project": "cv", "name": "yolo", "alias": "最佳-v2",
            "created_at": 1704449700.5, "python": "3.10.12", "hostname": "old-gpu-box"}  # fmt: skip
    (folder / "meta.json").write_text(json.dumps(meta, indent=2, ensure_ascii=False))
    (folder / "status.json").write_text('{"status": "finished", "ended_at": 1704449800.0}')
    (folder / "events.jsonl").write_text(
        '{"ts": 1704449701.0, "type": "metrics", "data": {"loss": NaN, "global_step": 1}}\n'
    )
    assert migrate(root).indexed == [LEGACY_ID]
    return LEGACY_ID


def test_a_migrated_original_run_shows_its_alias_in_the_run_lists(
    legacy_run: str, api: tuple[httpx.Client, list[str]]
) -> None:
    client, ids = api
    for route in ("/api/experiments", "/api/v2/experiments"):
        items = {i["id"]: i for i in client.get(route, params={"limit": 50}).json()["items"]}
        assert items[legacy_run]["alias"] == "最佳-v2", route
        assert items[ids[0]]["alias"] is None, route
    filtered = client.get("/api/v2/experiments", params={"filter": "project = cv"}).json()
    assert [i["alias"] for i in filtered["items"]] == ["最佳-v2"]
