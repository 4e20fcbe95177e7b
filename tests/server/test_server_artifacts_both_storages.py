"""The artifact routes answer the same over both implementations of the artifact catalog:
files + SQLite (``local``) and PostgreSQL + S3 (``server``, fed by pushing the same root)."""

from __future__ import annotations

import io
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from artifact_lineage import MODEL_BYTES, record_lineage
from server_live import LiveServer

from runicorn.viewer import create_app
from runicorn.viewer.context import RateLimits

NO_LIMITS = RateLimits(enabled=False)


@pytest.fixture(params=["local", "server"])
def api(
    request: pytest.FixtureRequest, root: Path, tmp_path: Path
) -> Iterator[tuple[httpx.Client, dict[str, Any]]]:
    recorded = record_lineage(root, tmp_path / "work")
    headers: dict[str, str] = {}
    if request.param == "local":
        app = create_app(root, rate_limits=NO_LIMITS, static_dir=None)
    else:
        from runicorn.server.app import create_server_app
        from runicorn.server.database import Database
        from runicorn.server.users import UserStore

        config = request.getfixturevalue("server_config")
        database = Database(config.database_url)
        try:
            token = UserStore(database).add("ci", "admin")
        finally:
            database.close()
        headers["Authorization"] = f"Bearer {token}"
        app = create_server_app(config, auth=True, rate_limits=NO_LIMITS, static_dir=None)
    with (
        LiveServer(app) as server,
        httpx.Client(base_url=server.url, timeout=30, headers=headers) as client,
    ):
        if request.param == "server":
            from runicorn.manifest.http_push import push_root

            report = push_root(root, server.url, token=headers["Authorization"][7:])
            assert report.ok, report.to_dict()
            assert report.blobs_copied == 3
        yield client, recorded


def test_lists_and_versions(api: tuple[httpx.Client, dict[str, Any]]) -> None:
    client, _ = api
    listed = client.get("/api/artifacts", params={"type": "model"}).json()
    assert listed["total"] == 1
    (item,) = listed["items"]
    assert (item["project"], item["name"], item["latest_version"]) == (
        "vision", "resnet-classifier", 1,
    )  # fmt: skip
    assert item["aliases"] == {"champion": 1, "latest": 1}
    assert client.get("/api/artifacts", params={"name": "CIFAR"}).json()["total"] == 1
    versions = client.get("/api/artifacts/vision/cifar-mini").json()
    assert versions["type"] == "dataset" and versions["total"] == 1
    assert versions["items"][0]["file_count"] == 2 and versions["items"][0]["aliases"] == ["latest"]
    assert client.get("/api/artifacts/vision/nothing-here").status_code == 404
    assert client.get("/api/artifacts/vision/cifar-mini/v9").status_code == 404


def test_files_download_and_zip(api: tuple[httpx.Client, dict[str, Any]]) -> None:
    client, _ = api
    detail = client.get("/api/artifacts/vision/resnet-classifier/latest").json()
    (path,) = detail["files"]
    body = client.get(f"/api/artifacts/vision/resnet-classifier/v1/files/{path}")
    assert body.status_code == 200 and body.content == MODEL_BYTES
    url = f"/api/artifacts/vision/resnet-classifier/v1/files/{path}"
    middle = client.get(url, headers={"Range": "bytes=1000-1999"})
    assert middle.status_code == 206 and middle.content == MODEL_BYTES[1000:2000]
    assert middle.headers["content-range"] == f"bytes 1000-1999/{len(MODEL_BYTES)}"
    tail = client.get(url, headers={"Range": "bytes=-6"})
    assert tail.status_code == 206 and tail.content == "权重".encode()
    past = client.get(url, headers={"Range": f"bytes={len(MODEL_BYTES) + 10}-"})
    assert past.status_code == 416
    assert client.get("/api/artifacts/vision/resnet-classifier/v1/files/../x").status_code in (
        400, 404,
    )  # fmt: skip
    archive = client.get("/api/artifacts/vision/cifar-mini/v1/download")
    assert archive.status_code == 200
    with zipfile.ZipFile(io.BytesIO(archive.content)) as opened:
        assert sorted(opened.namelist()) == ["train/batch_0.bin", "标签.json"]
        assert opened.read("train/batch_0.bin") == bytes(range(256)) * 64


def test_lineage_and_a_runs_artifacts(api: tuple[httpx.Client, dict[str, Any]]) -> None:
    client, recorded = api
    train, prep = recorded["train"], recorded["prep"]
    graph = client.get(f"/api/experiments/{train}/lineage", params={"depth": 2}).json()
    edges = {(e["from"], e["to"], e["kind"]) for e in graph["edges"]}
    # log_dataset records a "used" edge, not "produced"
    assert edges == {
        ("artifact:vision/cifar-mini:v1", f"run:{train}", "used"),
        ("artifact:vision/cifar-mini:v1", f"run:{prep}", "used"),
        (f"run:{train}", "artifact:vision/resnet-classifier:v1", "produced"),
    }
    kinds = {n["id"]: n["kind"] for n in graph["nodes"]}
    assert kinds[f"run:{prep}"] == "run" and len(kinds) == 4
    mine = client.get(f"/api/experiments/{train}/artifacts").json()
    assert [(v["name"], v["version"]) for v in mine["used"]] == [("cifar-mini", 1)]
    assert [(v["name"], v["file_count"]) for v in mine["produced"]] == [("resnet-classifier", 1)]


def test_aliases_lifecycle_and_deletion(api: tuple[httpx.Client, dict[str, Any]]) -> None:
    client, _ = api
    moved = client.put(
        "/api/artifacts/vision/resnet-classifier/v1/aliases", json={"aliases": ["best", "prod"]}
    )
    assert moved.status_code == 200, moved.text
    assert moved.json()["aliases"] == ["latest", "best", "prod"]
    assert client.get("/api/artifacts/vision/resnet-classifier/best").json()["version"] == 1
    assert client.get("/api/artifacts/vision/resnet-classifier/champion").status_code == 404
    assert (
        client.put(
            "/api/artifacts/vision/resnet-classifier/v1/aliases", json={"aliases": ["v2"]}
        ).status_code
        == 400
    )

    staged = client.post(
        "/api/model-lifecycle/models/vision/resnet-classifier/versions/v1/transition",
        json={"stage": "staging", "reason": "val/acc 0.91"},
    )
    assert staged.json()["stage"] == "staging"
    client.post(
        "/api/model-lifecycle/models/vision/resnet-classifier/versions/best/transition",
        json={"stage": "production", "reason": "A/B test won"},
    )
    model = client.get("/api/model-lifecycle/models/vision/resnet-classifier").json()
    assert model["production_version"] == 1
    history = client.get("/api/model-lifecycle/models/vision/resnet-classifier/history").json()
    assert [(t["from"], t["to"]) for t in history["items"]] == [
        ("staging", "production"), ("none", "staging"),
    ]  # fmt: skip
    assert client.get("/api/model-lifecycle/models").json()["items"][0]["stages"] == {
        "production": 1
    }
    not_a_model = client.post(
        "/api/model-lifecycle/models/vision/cifar-mini/versions/1/transition",
        json={"stage": "production"},
    )
    assert not_a_model.status_code == 404

    assert client.delete("/api/artifacts/vision/cifar-mini/v1").status_code == 200
    assert client.get("/api/artifacts/vision/cifar-mini/v1").status_code == 404
    assert client.get("/api/artifacts", params={"type": "dataset"}).json()["total"] == 0
