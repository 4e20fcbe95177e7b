"""The manifest generator and a local sync: incremental hashing, one format on both sides."""

from __future__ import annotations

import datetime as dt
import json
import math
import os
import subprocess
from pathlib import Path
from typing import Any

import pytest

import runicorn as rn
from runicorn.manifest import generate, sync
from runicorn.manifest.script import SCRIPT_PATH

SYSTEM_PYTHON = "/usr/bin/python3"


def record_run(root: Path, *, name: str = "resnet50", steps: int = 50) -> rn.Run:
    run = rn.init(
        project="vision",
        name=name,
        storage=str(root),
        config={"batch_size": 64, "weight decay": 0.01, "学习率": 1e-3},
        capture_console=False,
        system_metrics=False,
        capture_env=False,
    )
    for step in range(steps):
        run.log({"train/loss": 1 / (step + 1), "val/acc": math.nan if step == 3 else 0.5})
    run.finish()
    assert isinstance(run, rn.Run)
    return run


def test_manifest_lists_runs_with_hashes_and_append_only_tails(tmp_path: Path) -> None:
    run = record_run(tmp_path)
    (run.path / "media").mkdir()
    (run.path / "media" / "sample.png").write_bytes(b"\x89PNG" + os.urandom(100))

    manifest = generate(tmp_path)

    [entry] = manifest.runs
    assert entry.id == run.id and entry.status == "finished"
    assert entry.path == f"vision/resnet50/runs/{run.id}"
    assert entry.identity["project"] == "vision"
    assert entry.files["events.jsonl"].tail is not None
    assert entry.files["events.jsonl"].sha256 is None
    assert entry.files["media/sample.png"].sha256 is not None
    assert entry.files["meta.json"].sha256 is not None


def test_unchanged_size_and_mtime_reuse_the_cached_hash(tmp_path: Path) -> None:
    run = record_run(tmp_path)
    image = run.path / "media" / "sample.png"
    image.parent.mkdir()
    image.write_bytes(b"a" * 1000)
    old = 1_700_000_000_000_000_000
    os.utime(image, ns=(old, old))
    first = generate(tmp_path).runs[0].files["media/sample.png"].sha256

    image.write_bytes(b"b" * 1000)  # same size; mtime put back: the cache must be trusted
    os.utime(image, ns=(old, old))
    assert generate(tmp_path).runs[0].files["media/sample.png"].sha256 == first

    os.utime(image, ns=(old + 10**9, old + 10**9))
    assert generate(tmp_path).runs[0].files["media/sample.png"].sha256 != first


@pytest.mark.skipif(not Path(SYSTEM_PYTHON).exists(), reason="needs a system python3")
def test_the_stdlib_script_computes_the_same_manifest_without_runicorn(tmp_path: Path) -> None:
    record_run(tmp_path, name="bert/base")
    record_run(tmp_path)
    done = subprocess.run(
        [SYSTEM_PYTHON, "-I", "-", f"--root={tmp_path}", "--no-cache"],
        input=SCRIPT_PATH.read_text(),
        capture_output=True,
        text=True,
        check=True,
    )
    theirs = json.loads(done.stdout)
    ours = generate(tmp_path, use_cache=False).to_dict()
    for data in (theirs, ours):
        data.pop("generated_at")
    assert theirs == ours


def test_project_and_since_filters(tmp_path: Path) -> None:
    record_run(tmp_path)
    other = rn.init(
        project="nlp",
        name="gpt",
        storage=str(tmp_path),
        capture_console=False,
        system_metrics=False,
        capture_env=False,
    )
    other.finish()
    assert [r.project for r in generate(tmp_path, project="nlp").runs] == ["nlp"]
    assert generate(tmp_path, since=4_000_000_000).runs == []


def test_local_sync_refuses_to_write_through_a_destination_symlink(tmp_path: Path) -> None:
    source, destination, outside = tmp_path / "a", tmp_path / "b", tmp_path / "outside"
    record_run(source)
    outside.mkdir()
    destination.mkdir()
    (destination / "vision").symlink_to(outside, target_is_directory=True)

    report = sync(source, destination)

    assert len(report.refused) == 1 and "symbolic link" in report.refused[0]
    assert list(outside.iterdir()) == []


def test_dry_run_writes_nothing(tmp_path: Path) -> None:
    record_run(tmp_path / "a")
    report = sync(tmp_path / "a", tmp_path / "b", dry_run=True)
    assert report.bytes_moved > 0 and len(report.runs_new) == 1
    assert not (tmp_path / "b").exists() or not any((tmp_path / "b").rglob("*.jsonl"))


def test_a_grown_run_is_indexed_from_its_new_lines_like_a_full_reindex(tmp_path: Path) -> None:
    from runicorn.storage.backends import HybridStorageBackend
    from runicorn.storage.run_files import read_record

    source, destination = tmp_path / "a", tmp_path / "b"
    run = record_run(source, steps=30)
    sync(source, destination)
    events = run.path / "events.jsonl"
    lines = [
        b'{"ts": 1.0, "type": "metrics", "data": {"train/loss": -5.0, "global_step": 31}}\n',
        b'{"ts": 2.0, "type": "metrics", "data": {"val/acc": "NaN", "global_step": 32}}\n',
        b'{"ts": 3.0, "type": "system", "data": {"system/cpu": 99.0}}\n',
    ]
    with events.open("ab") as handle:
        handle.write(b"".join(lines))

    report = sync(source, destination)

    assert report.runs_updated == [run.id]
    copy_path = destination / run.path.relative_to(source)
    with HybridStorageBackend(destination) as backend:
        indexed = backend.index.get(run.id)
    expected = read_record(destination, copy_path)
    assert indexed is not None
    assert indexed.last_step == expected.last_step == 32
    assert _nan_as_text(indexed.metrics) == _nan_as_text(expected.metrics)
    assert math.isnan(indexed.metrics["val/acc"].last or 0.0)
    assert indexed.metrics["train/loss"].min == -5.0


def _nan_as_text(metrics: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Metric records as dicts whose NaN compare equal (NaN != NaN unless the same object)."""
    return {
        key: {f: "NaN" if v != v else v for f, v in record.to_dict().items()}
        for key, record in metrics.items()
    }


def test_runicorn_manifest_writes_the_manifest_to_a_file(tmp_path: Path) -> None:
    import sys

    run = record_run(tmp_path / "root")
    output = tmp_path / "manifest.json"
    done = subprocess.run(
        [sys.executable, "-m", "runicorn", "manifest", "--root", str(tmp_path / "root"),
         "-o", str(output)],
        capture_output=True, text=True,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    data = json.loads(output.read_text())
    assert data["format"] == "runicorn-manifest"
    assert [r["id"] for r in data["runs"]] == [run.id]


def test_large_new_runs_are_indexed_by_a_helper_process_during_the_pass(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from runicorn.manifest import transfer
    from runicorn.storage.backends import HybridStorageBackend

    monkeypatch.setattr(transfer, "EARLY_INDEX_BYTES", 0)
    runs = [record_run(tmp_path / "a", name=f"sweep{i}") for i in range(3)]

    report = sync(tmp_path / "a", tmp_path / "b")

    assert report.ok and report.notes == []
    with HybridStorageBackend(tmp_path / "b") as backend:
        indexed = {run.id: backend.index.get(run.id) for run in runs}
    assert all(record is not None and record.last_step == 50 for record in indexed.values())


def _log_model(root: Path, weights: bytes) -> rn.Run:
    source_file = root.parent / f"weights-{len(weights)}.bin"
    source_file.write_bytes(weights)
    run = rn.init(project="vision", name="resnet50", storage=str(root), capture_console=False,
                  system_metrics=False, capture_env=False)  # fmt: skip
    model = rn.Artifact("resnet", type="model")
    model.add_file(str(source_file), name="weights.bin")
    run.log_artifact(model, aliases=["champion"]).wait()
    run.finish()
    assert isinstance(run, rn.Run)
    return run


def test_artifact_versions_and_blobs_move_by_hash_and_are_indexed(tmp_path: Path) -> None:
    from runicorn.artifacts.storage import ArtifactStore

    source, destination = tmp_path / "a", tmp_path / "b"
    source.mkdir()
    weights = os.urandom(300_000)
    run = _log_model(source, weights)

    report = sync(source, destination)

    assert report.ok and report.blobs_copied == 1
    store = ArtifactStore(destination)
    try:
        version = store.resolve("vision", "resnet", "champion")
        assert version.version == 1
        [entry] = version.files.values()
        assert store.verified_blob(entry).read_bytes() == weights
        assert ("vision", "resnet") in store.index.artifact_keys()
        assert store.index.aliases_of("vision", "resnet").get("champion") == 1
        assert store.index.edges_of_runs([run.id])
    finally:
        store.close()
    assert sync(source, destination).bytes_moved == 0


def test_the_same_artifact_version_with_other_files_is_a_conflict(tmp_path: Path) -> None:
    source, destination = tmp_path / "a", tmp_path / "b"
    source.mkdir()
    destination.mkdir()
    _log_model(source, b"source weights" * 100)
    _log_model(destination, b"other weights!" * 100)
    version_file = destination / ".runicorn" / "artifacts" / "vision" / "resnet" / "v1.json"
    before = version_file.read_bytes()

    report = sync(source, destination)

    assert any("v1.json" in c.item and "conflict" in str(c) for c in report.conflicts)
    assert version_file.read_bytes() == before


def test_a_model_promotion_moves_as_one_appended_lifecycle_line(tmp_path: Path) -> None:
    from runicorn.artifacts.storage import ArtifactStore

    source, destination = tmp_path / "a", tmp_path / "b"
    source.mkdir()
    _log_model(source, b"weights" * 100)
    store = ArtifactStore(source)
    try:
        store.transition("vision", "resnet", "v1", "staging", reason="val/acc 0.93", by="alice")
        sync(source, destination)
        store.transition("vision", "resnet", "v1", "production", reason="A/B ok", by="alice")
    finally:
        store.close()
    lifecycle = Path(".runicorn/artifacts/vision/resnet/lifecycle.jsonl")
    grown = (source / lifecycle).read_bytes()

    report = sync(source, destination)

    assert (destination / lifecycle).read_bytes() == grown
    assert report.ok and report.bytes_moved < len(grown) + 1024


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("1796000000", 1796000000.0),
        ("2026-11-30T08:00:00+00:00", dt.datetime(2026, 11, 30, 8, tzinfo=dt.UTC).timestamp()),
        (None, None),
    ],
)
def test_since_accepts_unix_time_and_iso_dates(text: str | None, expected: float | None) -> None:
    from runicorn.manifest.session import parse_since

    assert parse_since(text) == expected


def test_since_refuses_words_with_a_hint() -> None:
    from runicorn.manifest.session import parse_since

    with pytest.raises(ValueError, match="2026-11-30"):
        parse_since("last tuesday")
