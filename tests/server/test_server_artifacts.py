"""Artifacts on a real team server process (PostgreSQL + moto S3), pushed with
``runicorn sync ROOT https://…``: blobs move by hash and are verified on arrival, version
documents are checked as untrusted input, and the artifact routes answer per project."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import httpx
import pytest
from artifact_lineage import MODEL_BYTES, record_lineage
from team_server import TeamServer

from runicorn.manifest.http_push import PushClient, push_artifacts
from runicorn.manifest.models import SyncReport


def sync(team: TeamServer, root: Path, token: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "runicorn", "sync", str(root), team.url, "--token", token],
        capture_output=True, text=True, timeout=120, env={**os.environ, **team.env},
    )  # fmt: skip


def client(team: TeamServer, token: str) -> httpx.Client:
    return httpx.Client(base_url=team.url, headers={"Authorization": f"Bearer {token}"}, timeout=30)


def test_sync_carries_artifacts_and_the_routes_answer(
    team: TeamServer, root: Path, tmp_path: Path
) -> None:
    recorded = record_lineage(root, tmp_path / "work")
    writer = team.add_user("walt", "writer", "vision")
    first = sync(team, root, writer)
    assert first.returncode == 0, first.stdout + first.stderr

    with client(team, writer) as api:
        listed = api.get("/api/artifacts").json()
        assert listed["total"] == 2
        assert {(i["name"], i["type"]) for i in listed["items"]} == {
            ("cifar-mini", "dataset"), ("resnet-classifier", "model"),
        }  # fmt: skip
        detail = api.get("/api/artifacts/vision/resnet-classifier/champion").json()
        assert detail["version"] == 1 and "latest" in detail["aliases"]
        assert "champion" in detail["aliases"]
        assert detail["producer"]["run_id"] == recorded["train"]
        (path,) = detail["files"]
        assert detail["files"][path]["sha256"] == hashlib.sha256(MODEL_BYTES).hexdigest()
        download = api.get(f"/api/artifacts/vision/resnet-classifier/v1/files/{path}")
        assert download.status_code == 200 and download.content == MODEL_BYTES
        ranged = api.get(
            f"/api/artifacts/vision/resnet-classifier/v1/files/{path}",
            headers={"Range": "bytes=10-19"},
        )
        assert ranged.status_code == 206 and ranged.content == MODEL_BYTES[10:20]
        data = api.get("/api/artifacts/vision/cifar-mini/latest").json()
        assert sorted(data["files"]) == ["train/batch_0.bin", "标签.json"]
        consumers = {c["run_id"] for c in data["consumers"]}
        assert consumers == {recorded["prep"], recorded["train"]}  # log_dataset records "used"

        graph = api.get(
            "/api/artifacts/vision/resnet-classifier/v1/lineage", params={"depth": 3}
        ).json()
        edges = {(e["from"], e["to"], e["kind"]) for e in graph["edges"]}
        assert (f"run:{recorded['train']}", "artifact:vision/resnet-classifier:v1",
                "produced") in edges  # fmt: skip
        assert ("artifact:vision/cifar-mini:v1", f"run:{recorded['train']}", "used") in edges
        run_nodes = {n["run_id"]: n for n in graph["nodes"] if n["kind"] == "run"}
        assert run_nodes[recorded["train"]]["name"] == "resnet"

        used = api.get(f"/api/experiments/{recorded['train']}/artifacts").json()
        assert [v["name"] for v in used["used"]] == ["cifar-mini"]
        assert [v["name"] for v in used["produced"]] == ["resnet-classifier"]

        promoted = api.post(
            "/api/model-lifecycle/models/vision/resnet-classifier/versions/1/transition",
            json={"stage": "production", "reason": "best val/acc"},
        )
        assert promoted.status_code == 200, promoted.text
        models = api.get("/api/model-lifecycle/models").json()
        assert models["items"][0]["production_version"] == 1
        history = api.get("/api/model-lifecycle/models/vision/resnet-classifier/history").json()
        assert (history["items"][0]["to"], history["items"][0]["by"]) == ("production", "walt")

    from runicorn.artifacts.storage import ArtifactStore

    with ArtifactStore(root) as local:  # a transition made on the training machine meanwhile
        local.transition("vision", "resnet-classifier", "1", "archived", reason="retrained")
    second = sync(team, root, writer)
    assert second.returncode == 0, second.stdout + second.stderr
    with client(team, writer) as api:
        merged = api.get("/api/model-lifecycle/models/vision/resnet-classifier/history").json()
        assert [t["to"] for t in merged["items"]] == ["archived", "production"]
        assert api.get("/api/artifacts/vision/resnet-classifier/v1").json()["stage"] == "archived"
    with PushClient(team.url, writer) as push:
        again = push_artifacts(push, root, SyncReport())
    assert (again.blobs, again.blob_bytes, again.versions) == (0, 0, 0)


def test_a_blob_whose_bytes_do_not_match_its_hash_is_refused(team: TeamServer) -> None:
    writer = team.add_user("walt", "writer", "vision")
    honest = b"weights of epoch 7\n" * 1000
    claimed = hashlib.sha256(honest).hexdigest()
    with client(team, writer) as api:
        tampered = api.put(f"/api/push/blobs/{claimed}", content=honest[:-1] + b"X")
        assert tampered.status_code == 400 and "refused" in tampered.text
        assert api.post("/api/push/blobs/missing", json={"sha256": [claimed]}).json() == {
            "missing": [claimed]
        }
        stored = api.put(f"/api/push/blobs/{claimed}", content=honest)
        assert stored.status_code == 200 and stored.json()["stored"] is True
        assert api.put(f"/api/push/blobs/{claimed}", content=honest).json()["stored"] is False
        assert api.post("/api/push/blobs/missing", json={"sha256": [claimed]}).json() == {
            "missing": []
        }


def test_a_writer_who_only_knows_a_hash_cannot_learn_or_take_another_projects_blob(
    team: TeamServer,
) -> None:
    vision = team.add_user("walt", "writer", "vision")
    outsider = team.add_user("mallory", "writer", "nlp")
    secret = b"private checkpoint of the vision team\n" * 512
    sha = hashlib.sha256(secret).hexdigest()
    with client(team, vision) as api:
        assert api.put(f"/api/push/blobs/{sha}", content=secret).json()["stored"] is True
        pushed = json.dumps(
            version_document(
                "vision", "detector", {"model.pt": {"sha256": sha, "size": len(secret)}}
            )
        )
        assert api.put("/api/push/artifacts/vision/detector/versions/1", content=pushed).is_success
    stolen = {"model.pt": {"sha256": sha, "size": len(secret)}}
    with client(team, outsider) as api:
        # The server holds it, but not for this user: nothing says it exists.
        asked = api.post("/api/push/blobs/missing", json={"sha256": [sha]}).json()
        assert asked == {"missing": [sha]}
        named = api.put(
            "/api/push/artifacts/nlp/copy/versions/1",
            content=json.dumps(version_document("nlp", "copy", stolen)),
        )
        assert named.status_code == 400 and "uploaded" in named.text
        assert api.get("/api/artifacts").json()["total"] == 0
        guessed = api.put(f"/api/push/blobs/{sha}", content=b"a guess" * 100)
        assert guessed.status_code == 400
        # Someone who has the same bytes proves it by sending them, and may then name the blob.
        assert api.put(f"/api/push/blobs/{sha}", content=secret).json()["stored"] is True
        named = api.put(
            "/api/push/artifacts/nlp/copy/versions/1",
            content=json.dumps(version_document("nlp", "copy", stolen)),
        )
        assert named.status_code == 200, named.text
        assert api.get("/api/artifacts/nlp/copy/v1/files/model.pt").content == secret


def version_document(project: str, name: str, files: dict[str, Any]) -> dict[str, Any]:
    from runicorn.artifacts.models import FileEntry, version_digest

    entries = {p: FileEntry(e["sha256"], e["size"]) for p, e in files.items()}
    return {
        "name": name, "project": project, "type": "model", "version": 1,
        "digest": version_digest(entries, []), "created_at": 1.0, "created_by": None,
        "description": "", "metadata": {}, "files": files, "references": [],
        "size": sum(e["size"] for e in files.values()),
    }  # fmt: skip


def test_hostile_names_paths_and_missing_blobs_are_refused(team: TeamServer) -> None:
    writer = team.add_user("walt", "writer", "vision")
    blob = b"checkpoint"
    sha = hashlib.sha256(blob).hexdigest()
    with client(team, writer) as api:
        assert api.put(f"/api/push/blobs/{sha}", content=blob).status_code == 200
        good = {"model.pt": {"sha256": sha, "size": len(blob)}}
        hostile_paths = [
            {"../../etc/passwd": {"sha256": sha, "size": len(blob)}},
            {"/abs/model.pt": {"sha256": sha, "size": len(blob)}},
            {"model.pt": {"sha256": "../" + sha[3:], "size": len(blob)}},
        ]
        for files in hostile_paths:
            body = json.dumps(version_document("vision", "net", files))
            answer = api.put("/api/push/artifacts/vision/net/versions/1", content=body)
            assert answer.status_code == 400, (files, answer.text)
        for project, name in (
            ("vision", ".runicorn"),
            ("vision", "a:b"),
            ("a|b", "net"),
            ("..", "net"),
        ):
            body = json.dumps(version_document(project, name, good))
            answer = api.put(f"/api/push/artifacts/{project}/{name}/versions/1", content=body)
            # ".." is resolved away by the URL itself: no route takes it (405)
            assert answer.status_code in (400, 405), (project, name, answer.text)
        mismatch = json.dumps(version_document("vision", "other", good))
        assert (
            api.put("/api/push/artifacts/vision/net/versions/1", content=mismatch).status_code
            == 400
        )
        unknown = {"model.pt": {"sha256": "a" * 64, "size": 3}}
        missing = api.put(
            "/api/push/artifacts/vision/net/versions/1",
            content=json.dumps(version_document("vision", "net", unknown)),
        )
        assert missing.status_code == 400 and "blob" in missing.text
        assert api.get("/api/artifacts").json()["total"] == 0
        accepted = api.put(
            "/api/push/artifacts/vision/net/versions/1",
            content=json.dumps(version_document("vision", "net", good)),
        )
        assert accepted.status_code == 200, accepted.text
        other = {"weights.bin": {"sha256": sha, "size": len(blob)}}
        conflict = api.put(
            "/api/push/artifacts/vision/net/versions/1",
            content=json.dumps(version_document("vision", "net", other)),
        )
        assert conflict.status_code == 409
        assert (
            api.put(
                "/api/push/artifacts/nlp/net/versions/1",
                content=json.dumps(version_document("nlp", "net", good)),
            ).status_code
            == 403
        )
        assert api.get("/api/artifacts/vision/net/1/files/model.pt").content == blob
        documents = "/api/push/artifacts/vision/net/documents"
        for bad in ('{"latest": 1}', '{"v7": 1}', '{"best": "1"}', "[1, 2]", "not json"):
            assert api.put(f"{documents}/aliases.json", content=bad).status_code == 400, bad
        assert api.put(f"{documents}/lifecycle.jsonl", content='{"to": "gold"}\n').status_code == (
            400
        )
        assert api.put(f"{documents}/meta.json", content="{}").status_code == 400
        assert api.put(f"{documents}/..%2F..%2Fx.json", content="{}").status_code == 405
        assert api.put(f"{documents}/aliases.json", content='{"best": 1}').status_code == 200
        assert api.get("/api/artifacts/vision/net/best").json()["version"] == 1


def test_a_reader_without_the_project_sees_no_artifacts(
    team: TeamServer, root: Path, tmp_path: Path
) -> None:
    recorded = record_lineage(root, tmp_path / "work")
    assert sync(team, root, team.add_user("walt", "writer", "vision")).returncode == 0
    outsider = team.add_user("nora", "reader", "nlp")
    with client(team, outsider) as api:
        assert api.get("/api/artifacts").json() == {"items": [], "total": 0}
        assert api.get("/api/model-lifecycle/models").json()["total"] == 0
        assert api.get("/api/artifacts/vision/resnet-classifier").status_code == 403
        assert (
            api.get("/api/artifacts/vision/resnet-classifier/v1/files/model.pt").status_code == 403
        )
        assert api.get(f"/api/experiments/{recorded['train']}/artifacts").status_code == 404
        graph = api.get(f"/api/experiments/{recorded['train']}/lineage").json()
        assert graph.get("edges", []) == []
    insider = team.add_user("vic", "reader", "vision")
    with client(team, insider) as api:
        assert api.get("/api/artifacts").json()["total"] == 2
        changed = api.put(
            "/api/artifacts/vision/resnet-classifier/v1/aliases", json={"aliases": ["best"]}
        )
        assert changed.status_code == 403


def test_the_live_pusher_carries_a_runs_artifacts(
    team: TeamServer, root: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import runicorn as rn

    writer = team.add_user("trainer", "writer", "vision")
    monkeypatch.setenv("RUNICORN_TOKEN", writer)
    monkeypatch.setenv("RUNICORN_SYNC_INTERVAL", "0.3")
    checkpoint = tmp_path / "epoch_3.pt"
    checkpoint.write_bytes(MODEL_BYTES)
    run = rn.init(project="vision", name="resnet", storage=root, sync=team.url,
                  system_metrics=False, capture_console=False, capture_env=False)  # fmt: skip
    assert isinstance(run, rn.Run)
    run.log({"train/loss": 0.25, "val/acc": 0.9})
    run.log_model(checkpoint, "resnet-live", aliases=["candidate"])
    run.finish()
    with client(team, writer) as api:
        detail = api.get("/api/artifacts/vision/resnet-live/candidate").json()
        assert detail["producer"]["run_id"] == run.id
        (path,) = detail["files"]
        assert api.get(f"/api/artifacts/vision/resnet-live/v1/files/{path}").content == (
            MODEL_BYTES
        )
        produced = api.get(f"/api/experiments/{run.id}/artifacts").json()["produced"]
        assert [v["name"] for v in produced] == ["resnet-live"]
        graph = api.get(f"/api/experiments/{run.id}/lineage").json()
        assert {(e["from"], e["kind"]) for e in graph["edges"]} == {(f"run:{run.id}", "produced")}
