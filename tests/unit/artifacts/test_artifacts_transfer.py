"""Export archives carry the artifact versions their runs produced or used, verified."""

from __future__ import annotations

import io
import tarfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import runicorn as rn
from runicorn.artifacts.lineage import lineage
from runicorn.artifacts.storage import ArtifactStore
from runicorn.exporters import export_archive, import_archive
from runicorn.storage.backends import HybridStorageBackend

NewRun = Callable[..., Any]


def _lineage_runs(new_run: NewRun, workdir: Path) -> tuple[Any, Any]:
    prep = new_run("prep")
    prep.log_artifact(rn.Artifact("mnist", "dataset").add_dir(workdir / "data")).wait()
    prep.finish()
    train = new_run("train")
    train.use_artifact("mnist:latest")
    train.log_model(workdir / "model.pt", "resnet", aliases=["champion"]).wait()
    train.finish()
    return prep, train


def test_export_then_import_into_an_empty_root_keeps_artifacts_usable(
    root: Path, new_run: NewRun, workdir: Path, tmp_path: Path
) -> None:
    _, train = _lineage_runs(new_run, workdir)
    archive = tmp_path / "train.tar.gz"
    with HybridStorageBackend(root) as backend:
        export_archive(backend, [train.id], archive)
    target = tmp_path / "other-root"
    target.mkdir()
    with HybridStorageBackend(target) as backend:
        result = import_archive(backend, archive)
    assert result.imported == [train.id] and result.skipped == []

    with ArtifactStore(target) as store:
        model = store.resolve("vision", "resnet", "v1")
        assert model.created_by == train.id
        data = store.resolve("vision", "mnist", "v1")
        for version in (model, data):
            for entry in version.files.values():
                assert store.verified_blob(entry).stat().st_size == entry.size
        graph = lineage(store.index, run_id=train.id, depth=1).to_dict()
        assert {(e["from"], e["kind"]) for e in graph["edges"]} == {
            ("artifact:vision/mnist:v1", "used"),
            (f"run:{train.id}", "produced"),
        }
    evaluation = rn.init(
        project="vision", name="eval", storage=target,
        capture_console=False, capture_env=False, system_metrics=False,
    )  # fmt: skip
    used = evaluation.use_artifact("resnet:v1")
    evaluation.finish()
    assert used is not None
    assert used.path("model.pt").read_bytes() == (workdir / "model.pt").read_bytes()
    # Importing the same archive again changes nothing and loses nothing.
    with HybridStorageBackend(target) as backend:
        again = import_archive(backend, archive)
    assert again.imported == [] and [s["id"] for s in again.skipped] == [train.id]


def test_a_blob_altered_in_the_archive_is_not_adopted(
    root: Path, new_run: NewRun, workdir: Path, tmp_path: Path
) -> None:
    _, train = _lineage_runs(new_run, workdir)
    archive = tmp_path / "train.tar.gz"
    with HybridStorageBackend(root) as backend:
        export_archive(backend, [train.id], archive)
    with ArtifactStore(root) as store:
        model_sha = store.resolve("vision", "resnet").files["model.pt"].sha256
    tampered = tmp_path / "tampered.tar.gz"
    with tarfile.open(archive, "r:gz") as source, tarfile.open(tampered, "w:gz") as out:
        for member in source.getmembers():
            data = source.extractfile(member).read()  # type: ignore[union-attr]
            if member.name.endswith(model_sha):
                data = b"\0" * len(data)  # same size, other bytes
            out.addfile(member, io.BytesIO(data))
    target = tmp_path / "other-root"
    target.mkdir()
    with HybridStorageBackend(target) as backend:
        result = import_archive(backend, tampered)
    assert result.imported == [train.id]
    assert result.skipped == [
        {"id": "artifact vision/resnet:v1",
         "reason": "its file 'model.pt' is missing or altered in the archive"}
    ]  # fmt: skip
    with ArtifactStore(target) as store:
        assert store.version_numbers("vision", "resnet") == []
        assert store.version_numbers("vision", "mnist") == [1]
        assert not store.blobs.exists(model_sha)
