"""The artifact, lineage and model lifecycle routes on a real server over a real store."""

from __future__ import annotations

import io
import os
import zipfile
from pathlib import Path
from typing import Any

import httpx
import pytest
from tests.integration.conftest import NO_LIMITS, LiveServer

import runicorn as rn
from runicorn.viewer import create_app


def _run(root: Path, name: str) -> Any:
    return rn.init(
        project="vision", name=name, storage=root, config={"optimizer.betas": [0.9, 0.999]},
        capture_console=False, capture_env=False, system_metrics=False,
    )  # fmt: skip


@pytest.fixture
def store_with_lineage(root: Path, tmp_path: Path) -> dict[str, Any]:
    """dataset (prep run) → train run → model v1, v2 → eval run."""
    data = tmp_path / "data"
    (data / "图像").mkdir(parents=True)
    (data / "图像" / "0.bin").write_bytes(os.urandom(3000))
    (data / "labels.csv").write_text("id,label\n0,cat\n")
    prep = _run(root, "prep")
    prep.log_artifact(rn.Artifact("mnist", "dataset").add_dir(data), aliases=["golden"]).wait()
    prep.finish()
    train = _run(root, "train")
    train.use_artifact("mnist:golden")
    checkpoint = tmp_path / "model.pt"
    checkpoint.write_bytes(bytes(range(256)) * 64)
    train.log_model(checkpoint, "resnet").wait()
    checkpoint.write_bytes(bytes(range(255, -1, -1)) * 64)
    train.log_model(checkpoint, "resnet", aliases=["champion"]).wait()
    train.finish()
    evaluation = _run(root, "eval")
    evaluation.use_artifact("resnet:champion")
    evaluation.finish()
    return {"prep": prep.id, "train": train.id, "eval": evaluation.id, "checkpoint": checkpoint}


@pytest.fixture
def server(root: Path, store_with_lineage: dict[str, Any]) -> Any:
    app = create_app(root, rate_limits=NO_LIMITS, index_on_start=False, static_dir=None)
    with LiveServer(app) as live:
        yield live


def test_lists_versions_and_one_version_with_producer_and_consumers(
    server: LiveServer, store_with_lineage: dict[str, Any]
) -> None:
    with httpx.Client(base_url=server.url) as http:
        listing = http.get("/api/artifacts", params={"type": "model"}).json()
        assert listing["total"] == 1
        assert listing["items"][0]["aliases"] == {"champion": 2, "latest": 2}
        searched = http.get("/api/artifacts", params={"name": "MNI"}).json()
        assert [a["name"] for a in searched["items"]] == ["mnist"]
        versions = http.get("/api/artifacts/vision/resnet").json()
        assert [(v["version"], v["aliases"]) for v in versions["items"]] == [
            (2, ["latest", "champion"]),
            (1, []),
        ]
        detail = http.get("/api/artifacts/vision/resnet/champion").json()
        assert detail["version"] == 2 and detail["stage"] == "none"
        assert detail["files"]["model.pt"]["size"] == 256 * 64
        assert detail["producer"]["run_id"] == store_with_lineage["train"]
        assert [c["name"] for c in detail["consumers"]] == ["eval"]
        data = http.get("/api/artifacts/vision/mnist/v1").json()
        assert sorted(data["files"]) == ["labels.csv", "图像/0.bin"]
        used = http.get(f"/api/experiments/{store_with_lineage['train']}/artifacts").json()
        assert [(a["name"], a["version"]) for a in used["used"]] == [("mnist", 1)]
        assert [(a["name"], a["version"]) for a in used["produced"]] == [
            ("resnet", 1),
            ("resnet", 2),
        ]


def test_file_download_supports_range_and_the_zip_holds_every_file(
    server: LiveServer, store_with_lineage: dict[str, Any]
) -> None:
    expected = store_with_lineage["checkpoint"].read_bytes()
    with httpx.Client(base_url=server.url) as http:
        whole = http.get("/api/artifacts/vision/resnet/v2/files/model.pt")
        assert whole.status_code == 200 and whole.content == expected
        part = http.get(
            "/api/artifacts/vision/resnet/v2/files/model.pt", headers={"Range": "bytes=100-199"}
        )
        assert part.status_code == 206
        assert part.headers["content-range"] == f"bytes 100-199/{len(expected)}"
        assert part.content == expected[100:200]
        unicode_path = http.get("/api/artifacts/vision/mnist/golden/files/图像/0.bin")
        assert unicode_path.status_code == 200 and len(unicode_path.content) == 3000
        archive = http.get("/api/artifacts/vision/mnist/latest/download")
        assert archive.status_code == 200
        assert "mnist-v1.zip" in archive.headers["content-disposition"]
        with zipfile.ZipFile(io.BytesIO(archive.content)) as opened:
            assert sorted(opened.namelist()) == ["labels.csv", "图像/0.bin"]
            assert opened.read("labels.csv") == b"id,label\n0,cat\n"


@pytest.mark.parametrize(
    "path",
    [
        "/api/artifacts/vision/resnet/v2/files/..%2F..%2F..%2Findex.db",
        "/api/artifacts/vision/resnet/v2/files/%2Fetc%2Fpasswd",
        "/api/artifacts/vision/resnet/v2/files/model.pt%00.txt",
        "/api/artifacts/vision/..%2F..%2Fblobs/v1",
        "/api/artifacts/..%2F..%2Fetc/resnet/v1",
        "/api/artifacts/vision/resnet/..%2Fv1/lineage",
    ],
)
def test_path_traversal_attempts_are_refused(server: LiveServer, path: str) -> None:
    with httpx.Client(base_url=server.url) as http:
        response = http.get(path)
    assert response.status_code in (400, 403, 404)
    assert "root:" not in response.text and "SQLite" not in response.text


def test_unknown_names_are_404_and_bad_selectors_400(server: LiveServer) -> None:
    with httpx.Client(base_url=server.url) as http:
        assert http.get("/api/artifacts/vision/nothing").status_code == 404
        assert http.get("/api/artifacts/vision/resnet/v9").status_code == 404
        missing = http.get("/api/artifacts/vision/resnet/nope")
        assert missing.status_code == 404 and "no alias 'nope'" in missing.json()["detail"]
        assert http.get("/api/artifacts/vision/resnet/v2/files/other.pt").status_code == 404
        assert http.get("/api/artifacts/vision/resnet/bad%20alias!").status_code == 400


def test_aliases_move_between_versions_and_delete_frees_the_number(server: LiveServer) -> None:
    with httpx.Client(base_url=server.url) as http:
        moved = http.put(
            "/api/artifacts/vision/resnet/v1/aliases", json={"aliases": ["champion", "baseline"]}
        )
        assert moved.status_code == 200 and moved.json()["aliases"] == ["baseline", "champion"]
        assert http.get("/api/artifacts/vision/resnet/v2").json()["aliases"] == ["latest"]
        bad = http.put("/api/artifacts/vision/resnet/v1/aliases", json={"aliases": ["v3"]})
        assert bad.status_code == 400
        deleted = http.delete("/api/artifacts/vision/resnet/v2")
        assert deleted.json() == {"deleted": {"project": "vision", "name": "resnet", "version": 2}}
        assert http.get("/api/artifacts/vision/resnet/latest").json()["version"] == 1
        assert http.get("/api/artifacts/vision/resnet").json()["total"] == 1


def test_lineage_route_walks_three_hops(
    server: LiveServer, store_with_lineage: dict[str, Any]
) -> None:
    with httpx.Client(base_url=server.url) as http:
        graph = http.get("/api/artifacts/vision/mnist/v1/lineage", params={"depth": 3}).json()
        one_hop = http.get("/api/artifacts/vision/mnist/v1/lineage", params={"depth": 1}).json()
        too_deep = http.get("/api/artifacts/vision/mnist/v1/lineage", params={"depth": 999})
        around_eval = http.get(
            f"/api/experiments/{store_with_lineage['eval']}/lineage", params={"depth": 2}
        ).json()
        unknown_run = http.get("/api/experiments/20990101_000000_zzzzzz/lineage")
    ids = {node["id"] for node in graph["nodes"]}
    assert f"run:{store_with_lineage['eval']}" in ids
    assert {"artifact:vision/resnet:v1", "artifact:vision/resnet:v2"} <= ids
    assert {
        (e["from"], e["kind"]) for e in graph["edges"] if e["to"] == "artifact:vision/mnist:v1"
    } == {(f"run:{store_with_lineage['prep']}", "produced")}
    assert {node["id"] for node in one_hop["nodes"]} == {
        "artifact:vision/mnist:v1",
        f"run:{store_with_lineage['prep']}",
        f"run:{store_with_lineage['train']}",
    }
    assert too_deep.status_code == 422
    assert around_eval["root"] == f"run:{store_with_lineage['eval']}"
    assert {node["id"] for node in around_eval["nodes"]} == {
        f"run:{store_with_lineage['eval']}",
        "artifact:vision/resnet:v2",
        f"run:{store_with_lineage['train']}",
    }
    assert unknown_run.status_code == 404


def test_model_transitions_and_history(server: LiveServer) -> None:
    base = "/api/model-lifecycle/models/vision/resnet"
    with httpx.Client(base_url=server.url) as http:
        first = http.post(
            f"{base}/versions/v1/transition", json={"stage": "production", "reason": "ok"}
        )
        assert first.status_code == 200 and first.json()["stage"] == "production"
        second = http.post(
            f"{base}/versions/champion/transition", json={"stage": "production", "reason": "better"}
        )
        assert [(t["version"], t["to"]) for t in second.json()["transitions"]] == [
            (1, "archived"),
            (2, "production"),
        ]
        models = http.get("/api/model-lifecycle/models").json()
        assert models["items"][0]["production_version"] == 2
        detail = http.get(base).json()
        assert [(v["version"], v["stage"]) for v in detail["items"]] == [
            (2, "production"),
            (1, "archived"),
        ]
        history = http.get(f"{base}/history").json()
        assert history["total"] == 3 and history["items"][0]["reason"] == "better"
        invalid = http.post(f"{base}/versions/v1/transition", json={"stage": "live"})
        assert invalid.status_code == 422
        dataset = http.post(
            "/api/model-lifecycle/models/vision/mnist/versions/v1/transition",
            json={"stage": "production"},
        )
        assert dataset.status_code == 404 and "not a model" in dataset.json()["detail"]


def test_mutations_from_another_origin_are_refused(server: LiveServer) -> None:
    with httpx.Client(base_url=server.url, headers={"Origin": "https://evil.example"}) as http:
        put = http.put("/api/artifacts/vision/resnet/v1/aliases", json={"aliases": ["x"]})
        delete = http.delete("/api/artifacts/vision/resnet/v1")
        promote = http.post(
            "/api/model-lifecycle/models/vision/resnet/versions/v1/transition",
            json={"stage": "production"},
        )
    assert (put.status_code, delete.status_code, promote.status_code) == (403, 403, 403)
    with httpx.Client(base_url=server.url) as http:
        assert http.get("/api/artifacts/vision/resnet/v1").json()["aliases"] == []


def test_token_is_required_off_loopback(root: Path, store_with_lineage: dict[str, Any]) -> None:
    app = create_app(
        root, rate_limits=NO_LIMITS, index_on_start=False, static_dir=None,
        host="0.0.0.0", token="s3cret-token",
    )  # fmt: skip
    with LiveServer(app) as live, httpx.Client(base_url=live.url) as http:
        assert http.get("/api/artifacts").status_code == 401
        assert http.get("/api/artifacts/vision/resnet/v2/files/model.pt").status_code == 401
        allowed = http.get("/api/artifacts", headers={"Authorization": "Bearer s3cret-token"})
        assert allowed.status_code == 200


def test_a_corrupt_blob_is_a_409_not_its_bytes(root: Path, server: LiveServer) -> None:
    from runicorn.artifacts.storage import ArtifactStore

    with ArtifactStore(root) as store:
        entry = store.resolve("vision", "resnet", "v1").files["model.pt"]
        blob = store.blobs.path_of(entry.sha256)
    os.chmod(blob, 0o644)
    blob.write_bytes(b"\0" * entry.size)
    with httpx.Client(base_url=server.url) as http:
        single = http.get("/api/artifacts/vision/resnet/v1/files/model.pt")
        archive = http.get("/api/artifacts/vision/resnet/v1/download")
    assert single.status_code == 409 and archive.status_code == 409
    assert "runicorn gc --verify" in single.json()["detail"]
