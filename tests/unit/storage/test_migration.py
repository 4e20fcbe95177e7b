"""Bringing folders written by the original Runicorn SDK into the index (storage/migration.py).

The fixtures are written byte for byte the way the original SDK wrote them (its meta, status and
summary files, and ``events.jsonl`` with bare ``NaN`` tokens), so they cannot come from our SDK.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import math
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

import runicorn as rn
from runicorn.storage.backends import HybridStorageBackend, index_path
from runicorn.storage.migration import migrate

OLD_ID = "20240105_101500_a1b2c3"
PATH_ID = "20240210_083000_d4e5f6"
CREATED_ISO = "2024-02-10T08:30:00"


def write_legacy_run(
    folder: Path,
    meta: dict[str, object],
    status: dict[str, object],
    losses: list[str],
    *,
    summary: dict[str, object] | None = None,
    torn_tail: bool = True,
) -> None:
    """A run folder as the original SDK left it; ``losses`` are raw JSON number tokens."""
    folder.mkdir(parents=True)
    (folder / "meta.json").write_text(json.dumps(meta, indent=2))
    (folder / "status.json").write_text(json.dumps(status, indent=2))
    (folder / "summary.json").write_text(json.dumps(summary or {}, indent=2))
    lines = []
    for step, loss in enumerate(losses, start=1):
        ts = 1704449700.0 + step
        lines.append(
            f'{{"ts": {ts}, "type": "metrics", "data": {{"loss": {loss}, '
            f'"global_step": {step}, "time": {ts}}}}}\n'
        )
    if torn_tail:
        lines.append('{"ts": 1704449799.0, "type": "metrics", "data": {"loss": 0.0')
    (folder / "events.jsonl").write_text("".join(lines))
    (folder / "logs.txt").write_text("epoch 1\nepoch 2\n")


@pytest.fixture
def legacy_root(root: Path) -> Path:
    """Two original-SDK runs, one per layout."""
    write_legacy_run(
        root / "vision" / "resnet" / "runs" / OLD_ID,
        {"id": OLD_ID, "project": "vision", "name": "resnet", "created_at": 1704449700.5,
         "python": "3.10.12", "platform": "Linux-5.15", "hostname": "old-gpu-box", "pid": 4242},
        {"status": "finished", "started_at": 1704449700.5, "ended_at": 1704449800.0},
        ["2.5", "NaN", "0.75", "1.25"],
        summary={"best_acc": 0.91},
    )  # fmt: skip
    write_legacy_run(
        root / "runs" / "a" / "b" / "c" / PATH_ID,
        {"id": PATH_ID, "path": "a/b/c", "created_at": CREATED_ISO, "python": "3.11.4",
         "platform": "Windows-10", "hostname": "old-laptop", "pid": 77},
        {"status": "failed", "started_at": CREATED_ISO, "ended_at": "2024-02-10T09:00:00"},
        ["Infinity", "3.0", "-1.5"],
    )  # fmt: skip
    return root


def file_hashes(root: Path) -> dict[str, str]:
    """sha256 of every file outside the index folder."""
    return {
        str(path.relative_to(root)): hashlib.sha256(path.read_bytes()).hexdigest()
        for path in sorted(root.rglob("*"))
        if path.is_file() and ".runicorn" not in path.relative_to(root).parts
    }


def index_dump(root: Path) -> list[str]:
    conn = sqlite3.connect(f"file:{index_path(root)}?mode=ro", uri=True)
    try:
        return list(conn.iterdump())
    finally:
        conn.close()


def test_runs_in_both_original_layouts_are_indexed(legacy_root: Path) -> None:
    report = migrate(legacy_root)
    assert report.found == 2
    assert sorted(report.indexed) == [OLD_ID, PATH_ID]
    assert (report.already_indexed, report.failed, report.dry_run) == ([], [], False)
    with HybridStorageBackend(legacy_root) as backend:
        old = backend.get_run(OLD_ID)
        assert (old.project, old.name, old.status) == ("vision", "resnet", "finished")
        assert old.created_at == 1704449700.5
        assert old.ended_at == 1704449800.0
        assert old.hostname == "old-gpu-box"
        assert old.summary == {"best_acc": 0.91}
        assert old.path == f"vision/resnet/runs/{OLD_ID}"
        by_path = backend.get_run(PATH_ID)
        assert (by_path.project, by_path.name, by_path.status) == ("a", "b/c", "failed")
        assert by_path.created_at == dt.datetime.fromisoformat(CREATED_ISO).timestamp()
        assert by_path.path == f"runs/a/b/c/{PATH_ID}"


def test_original_metrics_keep_nan_out_of_extremes_and_ignore_the_torn_line(
    legacy_root: Path,
) -> None:
    migrate(legacy_root)
    with HybridStorageBackend(legacy_root) as backend:
        loss = backend.get_run(OLD_ID).metrics["loss"].to_dict()
        assert loss == {"last": 1.25, "min": 0.75, "max": 2.5, "step": 4, "count": 4}
        other = backend.get_run(PATH_ID)
        assert other.metrics["loss"].to_dict() == {"last": -1.5, "min": -1.5, "max": math.inf,
                                                   "step": 3, "count": 3}  # fmt: skip
        assert other.last_step == 3


def test_migrated_runs_are_found_by_project_and_name(legacy_root: Path) -> None:
    migrate(legacy_root)
    with HybridStorageBackend(legacy_root) as backend:
        records, total = backend.list_runs(project="a", name="b/c")
        assert ([r.id for r in records], total) == ([PATH_ID], 1)
        projects = {p["project"]: p["runs"] for p in backend.list_projects()}
        assert projects == {"a": 1, "vision": 1}


def test_layout_alone_gives_project_and_name_when_meta_has_neither(root: Path) -> None:
    write_legacy_run(
        root / "runs" / "proj" / "deep" / "name" / "20240301_000000_zzzzzz",
        {"id": "20240301_000000_zzzzzz", "created_at": 1709251200.0},
        {"status": "finished", "ended_at": 1709251300.0},
        ["1.0"],
        torn_tail=False,
    )
    migrate(root)
    with HybridStorageBackend(root) as backend:
        record = backend.get_run("20240301_000000_zzzzzz")
        assert (record.project, record.name) == ("proj", "deep/name")


def test_second_migration_indexes_nothing_new(legacy_root: Path) -> None:
    migrate(legacy_root)
    before = index_dump(legacy_root)
    report = migrate(legacy_root)
    assert report.indexed == []
    assert sorted(report.already_indexed) == [OLD_ID, PATH_ID]
    assert index_dump(legacy_root) == before


def test_migration_skips_runs_the_sdk_already_indexed(legacy_root: Path) -> None:
    run = rn.init(project="new", name="run", storage=legacy_root, capture_console=False,
                  capture_env=False, system_metrics=False)  # fmt: skip
    run.finish()
    report = migrate(legacy_root)
    assert report.found == 3
    assert sorted(report.indexed) == [OLD_ID, PATH_ID]
    assert report.already_indexed == [run.id]


def test_dry_run_reports_but_leaves_the_index_unchanged(legacy_root: Path) -> None:
    run = rn.init(project="new", name="run", storage=legacy_root, capture_console=False,
                  capture_env=False, system_metrics=False)  # fmt: skip
    run.finish()
    before = index_dump(legacy_root)
    report = migrate(legacy_root, dry_run=True)
    assert report.dry_run
    assert sorted(report.indexed) == [OLD_ID, PATH_ID]
    assert index_dump(legacy_root) == before


def test_dry_run_on_a_store_without_an_index_creates_none(legacy_root: Path) -> None:
    report = migrate(legacy_root, dry_run=True)
    assert sorted(report.indexed) == [OLD_ID, PATH_ID]
    assert not (legacy_root / ".runicorn").exists()


def test_migration_never_modifies_run_files(legacy_root: Path) -> None:
    before = file_hashes(legacy_root)
    migrate(legacy_root, dry_run=True)
    migrate(legacy_root)
    migrate(legacy_root)
    with HybridStorageBackend(legacy_root) as backend:
        backend.list_runs()
        backend.get_run(OLD_ID)
        backend.reindex()
    assert file_hashes(legacy_root) == before


def test_legacy_running_run_whose_process_is_gone_is_crashed(root: Path) -> None:
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    from runicorn.storage.liveness import this_host

    write_legacy_run(
        root / "proj" / "name" / "runs" / "20240401_000000_runnin",
        {"id": "20240401_000000_runnin", "project": "proj", "name": "name",
         "created_at": 1711929600.0, "hostname": this_host(), "pid": child.pid},
        {"status": "running", "started_at": 1711929600.0, "ended_at": None},
        ["1.0", "0.5"],
    )  # fmt: skip
    migrate(root)
    with HybridStorageBackend(root) as backend:
        assert backend.get_run("20240401_000000_runnin").status == "crashed"


def test_progress_is_reported_for_every_folder(legacy_root: Path) -> None:
    calls: list[tuple[int, int]] = []
    migrate(legacy_root, progress=lambda done, total: calls.append((done, total)))
    assert calls == [(1, 2), (2, 2)]


def test_empty_root_migrates_nothing(root: Path) -> None:
    report = migrate(root)
    assert (report.found, report.indexed, report.failed) == (0, [], [])


@pytest.mark.parametrize(
    ("status", "expected"),
    [({"status": "done", "ended_at": 1.0}, "finished"), ({"status": "?"}, "running"),
     ({"status": "interrupted", "ended_at": "2024-01-01T00:00:00Z"}, "interrupted")],
)  # fmt: skip
def test_status_outside_the_known_set_is_inferred_from_the_end_time(
    root: Path, status: dict[str, object], expected: str
) -> None:
    write_legacy_run(
        root / "p" / "n" / "runs" / "20240101_000000_status",
        {"id": "20240101_000000_status", "project": "p", "name": "n", "hostname": "elsewhere"},
        status,
        ["1.0"],
    )
    migrate(root)
    with HybridStorageBackend(root) as backend:
        assert backend.get_run("20240101_000000_status").status == expected


ALIAS_ID = "20240601_120000_alias1"
MARKED_ID = "20240602_120000_delmk1"
RECYCLED_ID = "20240603_120000_recyc1"


def original_meta(run_id: str, path: str, alias: str | None = None) -> dict[str, object]:
    """meta.json as the original SDK 0.6/0.7 wrote it: a path and an alias, no config or tags."""
    return {"id": run_id, "path": path, "alias": alias, "created_at": 1717243200.0,
            "python": "3.10.14", "platform": "Linux 6.5.0 (x86_64)", "hostname": "gpu-07",
            "pid": 3141, "storage_dir": "/data/runicorn",
            "workspace_root": "/home/me/yolo"}  # fmt: skip


@pytest.fixture
def original_store(root: Path) -> Path:
    """Three runs of the original SDK: one with log_config() and an alias, two deleted."""
    aliased = root / "runs" / "cv" / "yolo" / "ablation" / ALIAS_ID
    write_legacy_run(aliased, original_meta(ALIAS_ID, "cv/yolo/ablation", "best-v2"),
                     {"status": "finished", "started_at": 1717243200.0, "ended_at": 1717246800.0},
                     ["0.9", "0.5"], summary={"best_val_acc": 0.93})  # fmt: skip
    (aliased / "assets.json").write_text(json.dumps({
        "code": {},
        "config": {"args": {"batch_size": 64, "weight decay": 0.05, "学习率": 3e-4},
                   "extra": {"optimizer.betas": [0.9, 0.999]},
                   "config_files": ["configs/yolo.yaml"]},
        "datasets": [], "pretrained": [], "outputs": [],
    }, indent=2))  # fmt: skip
    marked = root / "runs" / "cv" / "yolo" / "ablation" / MARKED_ID
    write_legacy_run(marked, original_meta(MARKED_ID, "cv/yolo/ablation"),
                     {"status": "failed", "started_at": 1717329600.0, "ended_at": 1717330000.0},
                     ["1.5"])  # fmt: skip
    marker = {"deleted_at": 1717400000.0, "reason": "user_deleted", "original_status": "failed"}
    (marked / ".deleted").write_text(json.dumps(marker))
    recycled = root / "runs" / ".recycle" / RECYCLED_ID
    write_legacy_run(recycled, original_meta(RECYCLED_ID, "cv/yolo/baseline", "old"),
                     {"status": "finished", "started_at": 1717416000.0, "ended_at": 1717417000.0},
                     ["2.0"])  # fmt: skip
    (recycled / ".deleted").write_text(json.dumps({"deleted_at": 1717500000.0}))
    return root


def test_original_config_alias_and_deletions_are_mapped(original_store: Path) -> None:
    """Issue 8, item 8: assets.json config, the alias (a tag) and both kinds of deletion."""
    report = migrate(original_store)
    assert sorted(report.indexed) == [ALIAS_ID, MARKED_ID, RECYCLED_ID]
    with HybridStorageBackend(original_store) as backend:
        live, total = backend.list_runs()
        assert ([r.id for r in live], total) == ([ALIAS_ID], 1)
        run = live[0]
        assert (run.project, run.name) == ("cv", "yolo/ablation")
        assert run.config == {"batch_size": 64, "weight decay": 0.05, "学习率": 3e-4,
                              "optimizer.betas": [0.9, 0.999],
                              "config_files": ["configs/yolo.yaml"]}  # fmt: skip
        assert run.tags == ["best-v2"]
        found = backend.list_runs(filter='tag:best-v2 and config."weight decay" > 0.01')[0]
        assert [r.id for r in found] == [ALIAS_ID]
        binned = {r.id: r for r in backend.list_runs(deleted_only=True)[0]}
        assert set(binned) == {MARKED_ID, RECYCLED_ID}
        assert binned[MARKED_ID].deleted_at == 1717400000.0
        recycled = binned[RECYCLED_ID]
        assert (recycled.project, recycled.name, recycled.tags) == ("cv", "yolo/baseline", ["old"])
        assert {p["project"]: p["runs"] for p in backend.list_projects()} == {"cv": 1}
        # reindex reads the same files the same way
        backend.reindex()
        assert [r.id for r in backend.list_runs()[0]] == [ALIAS_ID]
        assert backend.get_run(ALIAS_ID).tags == ["best-v2"]
    meta = json.loads(
        (original_store / "runs/cv/yolo/ablation" / ALIAS_ID / "meta.json").read_text()
    )
    assert meta["alias"] == "best-v2", "the alias stays in meta.json, where the run header reads it"


def test_original_deleted_runs_restore_to_where_they_belong(original_store: Path) -> None:
    migrate(original_store)
    with HybridStorageBackend(original_store) as backend:
        restored, missing = backend.restore([MARKED_ID, RECYCLED_ID])
        assert (sorted(restored), missing) == ([MARKED_ID, RECYCLED_ID], [])
        marked = original_store / "runs/cv/yolo/ablation" / MARKED_ID
        assert not (marked / ".deleted").exists()
        back = original_store / "runs/cv/yolo/baseline" / RECYCLED_ID
        assert (back / "meta.json").is_file() and not (back / ".deleted").exists()
        assert not (original_store / "runs/.recycle" / RECYCLED_ID).exists()
        live = {r.id: r for r in backend.list_runs()[0]}
        assert set(live) == {ALIAS_ID, MARKED_ID, RECYCLED_ID}
        assert live[RECYCLED_ID].path == f"runs/cv/yolo/baseline/{RECYCLED_ID}"
        backend.reindex()
        assert backend.list_runs(deleted_only=True)[1] == 0


def test_editing_a_migrated_runs_tags_replaces_the_alias_tag(original_store: Path) -> None:
    migrate(original_store)
    with HybridStorageBackend(original_store) as backend:
        backend.update_run(ALIAS_ID, tags=["baseline"])
        backend.reindex()
        assert backend.get_run(ALIAS_ID).tags == ["baseline"]


def test_runicorn_migrate_puts_deleted_original_runs_in_the_recycle_bin(
    original_store: Path, tmp_path: Path
) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("RUNICORN_")}
    env["RUNICORN_CONFIG_DIR"] = str(tmp_path / "config")
    result = subprocess.run(
        [sys.executable, "-m", "runicorn", "migrate", "--root", str(original_store)],
        capture_output=True, text=True, env=env, timeout=120,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert "indexed 3" in result.stdout
    report = migrate(original_store)
    assert report.indexed == [] and report.recycled == []
    with HybridStorageBackend(original_store) as backend:
        assert {r.id for r in backend.list_runs(deleted_only=True)[0]} == {MARKED_ID, RECYCLED_ID}
        assert [r.id for r in backend.list_runs()[0]] == [ALIAS_ID]


def test_report_names_the_runs_indexed_into_the_recycle_bin(original_store: Path) -> None:
    report = migrate(original_store, dry_run=True)
    assert sorted(report.recycled) == [MARKED_ID, RECYCLED_ID]
