"""Importing a storage root written by the original Runicorn SDK, in both of its layouts."""

from __future__ import annotations

import hashlib
import json
import math
from pathlib import Path
from typing import Any

import pytest
from imported_store import ImportedStore, series

from runicorn.importers import import_from
from runicorn.storage.jsonio import read_json


def write_json(path: Path, data: Any) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data, ensure_ascii=False, indent=2), encoding="utf-8")


def blob(archive: Path, content: bytes) -> str:
    sha = hashlib.sha256(content).hexdigest()
    target = archive / "blobs" / sha[:2] / sha
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_bytes(content)
    return sha


def metrics(ts: float, step: int, values: dict[str, float], stage: str | None = None) -> Any:
    data: dict[str, Any] = {**values, "global_step": step, "time": ts}
    if stage:
        data["stage"] = stage
    return {"ts": ts, "type": "metrics", "data": data}


def original_root(base: Path) -> Path:
    """What the original SDK left on a machine (absolute paths of that machine included)."""
    root = base / "old"
    archive = root / "archive"
    machine_root = "/home/alice/.runicorn"
    # later layout: runs/<path>/<id>
    run = root / "runs" / "cv" / "yolo" / "ablation" / "20240501_120000_a1b2c3"
    write_json(
        run / "meta.json",
        {
            "id": run.name,
            "path": "cv/yolo/ablation",
            "alias": "best-v2",
            "created_at": 1714564800.0,
            "python": "3.10.12",
            "hostname": "gpu01",
            "pid": 4242,
            "storage_dir": machine_root,
        },
    )
    write_json(
        run / "status.json",
        {"status": "finished", "started_at": 1714564800.0, "ended_at": 1714568400.0},
    )
    write_json(
        run / "summary.json",
        {"best_metric_name": "val/acc", "best_metric_value": 0.91, "best_metric_step": 30},
    )
    # the original wrote with json.dumps: bare NaN/Infinity tokens
    events = [
        metrics(1714564801.0, 1, {"loss": 2.5}, "train"),
        metrics(1714564802.0, 2, {"loss": math.nan}),
        metrics(1714564803.0, 30, {"val/acc": 0.91}, "val"),
        {
            "ts": 1714564804.0,
            "type": "image",
            "data": {"key": "pred", "path": "media/1_pred.png", "step": 30, "caption": None},
        },
    ]
    lines = [json.dumps(event) for event in events]
    (run / "events.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
    (run / "media").mkdir()
    (run / "media" / "1_pred.png").write_bytes(b"\x89PNG fake")
    (run / "logs.txt").write_text("12:00:01 | epoch 1\n", encoding="utf-8")
    code_sha = blob(archive, b"PK zip of the code")
    weights_sha = blob(archive, b"resnet weights")
    labels_sha = blob(archive, b"cat\ndog\n")
    manifest = archive / "manifests" / "datasets" / "ab" / "abcd.json"
    write_json(
        manifest,
        {"files": {"labels.txt": {"sha256": labels_sha}, "train/x.bin": {"sha256": weights_sha}}},
    )
    write_json(
        run / "assets.json",
        {
            "config": {
                "args": {"lr": 0.01, "batch_size": 32},
                "extra": {"optimizer.betas": [0.9, 0.999], "学习率": 3e-4},
                "config_files": ["configs/yolo.yaml"],
            },
            "code": {
                "snapshot": {
                    "saved": True,
                    "archive_path": f"{machine_root}/archive/blobs/{code_sha[:2]}/{code_sha}",
                }
            },
            "datasets": [
                {
                    "name": "coco-mini",
                    "uri": "/data/coco",
                    "saved": True,
                    "archive_path": f"{machine_root}\\archive\\manifests\\datasets\\ab\\abcd.json",
                }
            ],
            "pretrained": [
                {
                    "name": "evil",
                    "saved": True,
                    "archive_path": f"{machine_root}/archive/../../../etc/passwd",
                }
            ],
        },
    )
    # older layout: <project>/<name>/runs/<id>, soft-deleted, never finished
    old = root / "nlp" / "bert" / "runs" / "20230101_080000_ffeedd"
    write_json(old / "meta.json", {"id": old.name, "created_at": "2023-01-01T08:00:00+00:00"})
    write_json(old / "status.json", {"status": "running", "started_at": 1672560000.0})
    (old / "events.jsonl").write_text(
        json.dumps(metrics(1672560001.0, 1, {"loss": math.inf})) + "\n", encoding="utf-8"
    )
    write_json(old / ".deleted", {"deleted_at": 1672600000.0})
    return root


def test_both_layouts_config_alias_deletion_and_archives(
    tmp_path: Path, root: Path, store: ImportedStore
) -> None:
    source = original_root(tmp_path)
    report = import_from("orig", source, root=root)
    assert report.failed == []
    assert sorted(run.id for run in report.imported) == [
        "20230101_080000_ffeedd",
        "20240501_120000_a1b2c3",
    ]
    assert report.not_imported == {"archived files outside the source root or unreadable": 1}

    record, run_path = store.run("yolo/ablation")
    assert (record.id, record.project, record.status) == (
        "20240501_120000_a1b2c3",
        "cv",
        "finished",
    )
    assert read_json(run_path / "meta.json")["alias"] == "best-v2"
    assert record.config == {  # flat, as log_config() gives a new run
        "lr": 0.01,
        "batch_size": 32,
        "optimizer.betas": [0.9, 0.999],
        "学习率": 3e-4,
        "config_files": ["configs/yolo.yaml"],
    }
    assert record.tags == ["best-v2"]
    assert record.summary["best_metric_value"] == 0.91
    metrics = series(run_path)
    assert metrics["loss"][0] == (1, 1714564801.0, 2.5) and math.isnan(metrics["loss"][1][2])
    assert metrics["val/acc"] == [(30, 1714564803.0, 0.91)]
    assert (run_path / "media" / "1_pred.png").read_bytes() == b"\x89PNG fake"
    assert (run_path / "logs.txt").read_text(encoding="utf-8") == "12:00:01 | epoch 1\n"
    files = run_path / "files"
    assert (files / "code" / next(p.name for p in (files / "code").iterdir())).read_bytes() == (
        b"PK zip of the code"
    )
    assert (files / "datasets" / "coco-mini" / "labels.txt").read_bytes() == b"cat\ndog\n"
    assert (files / "datasets" / "coco-mini" / "train" / "x.bin").read_bytes() == b"resnet weights"
    assert not (files / "pretrained").exists()

    old, old_path = store.run("bert")
    assert (old.project, old.status) == ("nlp", "crashed")
    assert old.deleted_at == 1672600000.0
    assert series(old_path)["loss"] == [(1, 1672560001.0, math.inf)]

    again = import_from("orig", source, root=root)
    assert again.imported == [] and len(again.skipped) == 2


def test_a_missing_folder_is_a_clear_error(tmp_path: Path, root: Path) -> None:
    with pytest.raises(FileNotFoundError, match="does not exist"):
        import_from("orig", tmp_path / "nowhere", root=root)
