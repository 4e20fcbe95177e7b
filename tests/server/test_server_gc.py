"""``runicorn server gc``: blobs no live artifact version names leave the bucket and the index,
once unused for the grace period; everything a live version names stays downloadable."""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
from pathlib import Path

import httpx
import pytest
from team_server import TeamServer
from tests.server.test_server_artifacts import client, version_document

from runicorn.errors import StorageError
from runicorn.server.artifact_gc import collect_server_garbage
from runicorn.server.artifacts import ServerArtifactStore
from runicorn.server.config import ServerConfig, StoreLocation

CHECKPOINT_1 = b"resnet-50 weights, epoch 1\n" * 4096
CHECKPOINT_2 = b"resnet-50 weights, epoch 2\n" * 4096
ABANDONED = b"an upload whose version never came\n" * 2048


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def push_version(api: httpx.Client, number: int, data: bytes) -> None:
    assert api.put(f"/api/push/blobs/{sha(data)}", content=data).json()["stored"] is True
    files = {"model weights.pt": {"sha256": sha(data), "size": len(data)}}
    document = {**version_document("vision", "detector", files), "version": number}
    pushed = api.put(f"/api/push/artifacts/vision/detector/versions/{number}", json=document)
    assert pushed.status_code == 200, pushed.text


def gc(team: TeamServer, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "runicorn", "server", "gc", "--database", team.database_url,
         "--store", team.store, "--s3-endpoint", team.endpoint, *args],
        capture_output=True, text=True, timeout=120, env={**os.environ, **team.env},
    )  # fmt: skip


def artifacts_of(team: TeamServer, tmp_path: Path) -> ServerArtifactStore:
    config = ServerConfig(
        database_url=team.database_url,
        store=StoreLocation.parse(team.store),
        s3_endpoint=team.endpoint,
        cache_dir=tmp_path / "gc-cache",
    )
    return ServerArtifactStore(config)


def test_gc_removes_only_blobs_no_live_version_names(team: TeamServer, tmp_path: Path) -> None:
    writer = team.add_user("walt", "writer", "vision")
    with client(team, writer) as api:
        push_version(api, 1, CHECKPOINT_1)
        push_version(api, 2, CHECKPOINT_2)
        assert api.put(f"/api/push/blobs/{sha(ABANDONED)}", content=ABANDONED).is_success
        assert api.delete("/api/artifacts/vision/detector/v1").is_success

    # Within the grace period (24 h by default) nothing is touched: pushes may be in flight.
    fresh = gc(team)
    assert fresh.returncode == 0, fresh.stderr
    assert "reclaimed 0 B in 0 unused blobs" in fresh.stdout and "younger than 24 h" in fresh.stdout

    dry = gc(team, "--grace-hours", "0", "--dry-run")
    assert dry.returncode == 0, dry.stderr
    assert "would reclaim" in dry.stdout and "in 2 unused blobs" in dry.stdout
    artifacts = artifacts_of(team, tmp_path)
    try:
        assert artifacts.store.exists(artifacts.blob_key(sha(CHECKPOINT_1)))

        done = gc(team, "--grace-hours", "0")
        assert done.returncode == 0, done.stderr
        assert "reclaimed" in done.stdout and "in 2 unused blobs" in done.stdout
        assert not artifacts.store.exists(artifacts.blob_key(sha(CHECKPOINT_1)))
        assert not artifacts.store.exists(artifacts.blob_key(sha(ABANDONED)))
        assert artifacts.store.exists(artifacts.blob_key(sha(CHECKPOINT_2)))
    finally:
        artifacts.close()

    with client(team, writer) as api:
        kept = api.get("/api/artifacts/vision/detector/v2/files/model weights.pt")
        assert kept.status_code == 200 and kept.content == CHECKPOINT_2
        # A collected blob is no longer held: naming it again needs its bytes again.
        missing = api.post(
            "/api/push/blobs/missing", json={"sha256": [sha(CHECKPOINT_1), sha(CHECKPOINT_2)]}
        ).json()
        assert missing == {"missing": [sha(CHECKPOINT_1)]}
        push_version(api, 3, CHECKPOINT_1)
        again = api.get("/api/artifacts/vision/detector/v3/files/model weights.pt")
        assert again.content == CHECKPOINT_1


def test_a_version_naming_a_blob_collected_since_its_upload_is_refused(
    team: TeamServer, tmp_path: Path
) -> None:
    writer = team.add_user("walt", "writer", "vision")
    files = {"model.pt": {"sha256": sha(CHECKPOINT_1), "size": len(CHECKPOINT_1)}}
    with client(team, writer) as api:
        assert api.put(f"/api/push/blobs/{sha(CHECKPOINT_1)}", content=CHECKPOINT_1).is_success
        artifacts = artifacts_of(team, tmp_path)
        try:
            report = collect_server_garbage(artifacts, grace=0)
        finally:
            artifacts.close()
        assert report.removed == [sha(CHECKPOINT_1)]
        named = api.put(
            "/api/push/artifacts/vision/detector/versions/1",
            json=version_document("vision", "detector", files),
        )
        assert named.status_code == 400 and "push the blobs first" in named.text
        assert api.get("/api/artifacts").json()["total"] == 0


def test_an_object_no_row_records_is_removed_and_a_bad_version_document_stops_gc(
    team: TeamServer, tmp_path: Path
) -> None:
    writer = team.add_user("walt", "writer", "vision")
    with client(team, writer) as api:
        push_version(api, 1, CHECKPOINT_2)
    artifacts = artifacts_of(team, tmp_path)
    try:
        # An upload cut short between the object and its row.
        stray = artifacts.blob_key(sha(ABANDONED))
        artifacts.store.put(stray, ABANDONED)
        report = collect_server_garbage(artifacts, grace=0)
        assert report.orphan_objects == 1 and report.removed == []
        assert not artifacts.store.exists(stray)

        # A version whose document cannot be read: its blobs' use is unknown, so nothing goes.
        artifacts.store.put(stray, ABANDONED)
        document = artifacts.document_key("vision", "detector", "v1.json")
        artifacts.store.put(document, b"{not json")
        with pytest.raises(StorageError, match=r"not a version.*nothing was collected"):
            collect_server_garbage(artifacts, grace=0)
        assert artifacts.store.exists(stray)
        assert artifacts.store.exists(artifacts.blob_key(sha(CHECKPOINT_2)))
    finally:
        artifacts.close()
