"""The ``runicorn`` storage commands: reindex, migrate and demo (cli.py)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

import runicorn as rn
from runicorn.cli import app
from runicorn.storage.backends import HybridStorageBackend, index_path
from runicorn.storage.events import read_events

# rich lays output out for the terminal width; a wide one keeps long paths on one line.
RUNNER = CliRunner(env={"COLUMNS": "1000"})
LEGACY_ID = "20240105_101500_a1b2c3"


def invoke(*args: str) -> Result:
    return RUNNER.invoke(app, list(args))


def make_run(root: Path, project: str = "p", name: str = "n") -> str:
    run = rn.init(project=project, name=name, storage=root, capture_console=False,
                  capture_env=False, system_metrics=False)  # fmt: skip
    run.log({"loss": 0.5})
    run.finish()
    assert run.id is not None
    return run.id


def delete_index(root: Path) -> None:
    for path in index_path(root).parent.glob("index.db*"):
        path.unlink()


def write_legacy_run(root: Path) -> Path:
    """A run folder in the original SDK's ``<project>/<name>/runs/<id>`` layout."""
    folder = root / "old" / "exp" / "runs" / LEGACY_ID
    folder.mkdir(parents=True)
    meta = {"id": LEGACY_ID, "project": "old", "name": "exp", "created_at": 1704449700.0,
            "python": "3.10.12", "platform": "Linux", "hostname": "box", "pid": 1}  # fmt: skip
    (folder / "meta.json").write_text(json.dumps(meta))
    (folder / "status.json").write_text(
        json.dumps({"status": "finished", "started_at": 1704449700.0, "ended_at": 1704449760.0})
    )
    (folder / "events.jsonl").write_text(
        '{"ts": 1.0, "type": "metrics", "data": {"loss": NaN, "global_step": 1, "time": 1.0}}\n'
        '{"ts": 2.0, "type": "metrics", "data": {"loss": 0.5, "global_step": 2, "time": 2.0}}\n'
    )
    return folder


def indexed_ids(root: Path) -> list[str]:
    with HybridStorageBackend(root) as backend:
        return sorted(r.id for r in backend.list_runs(limit=None, include_deleted=True)[0])


def test_reindex_rebuilds_a_deleted_index(root: Path) -> None:
    made = sorted([make_run(root), make_run(root, "q", "m/x")])
    delete_index(root)
    result = invoke("reindex", "--root", str(root))
    assert result.exit_code == 0, result.output
    assert f"indexed 2 runs under {root.resolve()}" in result.output
    assert indexed_ids(root) == made


def test_reindex_of_an_empty_root(root: Path) -> None:
    result = invoke("reindex", "--root", str(root))
    assert result.exit_code == 0, result.output
    assert "indexed 0 runs" in result.output


def test_reindex_uses_the_configured_root(root: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RUNICORN_DIR", str(root))
    run_id = make_run(root)
    delete_index(root)
    result = invoke("reindex")
    assert result.exit_code == 0, result.output
    assert "indexed 1 run under" in result.output
    assert indexed_ids(root) == [run_id]


def test_reindex_shows_progress_on_stderr(root: Path) -> None:
    make_run(root)
    result = invoke("reindex", "--root", str(root))
    assert "Reindexing" in result.stderr
    assert "Reindexing" not in result.stdout


def test_reindex_of_an_unusable_root_is_a_clean_error(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    result = invoke("reindex", "--root", str(blocker))
    assert result.exit_code == 1
    assert "error:" in result.stderr
    assert isinstance(result.exception, SystemExit)


def test_migrate_dry_run_reports_and_changes_nothing(root: Path) -> None:
    make_run(root)
    write_legacy_run(root)
    with HybridStorageBackend(root) as backend:
        before = [r.id for r in backend.list_runs()[0]]
    result = invoke("migrate", "--dry-run", "--root", str(root))
    assert result.exit_code == 0, result.output
    assert (
        f"2 run folders under {root.resolve()}: would index 1, 1 already indexed, 0 unreadable"
        in result.output
    )
    with HybridStorageBackend(root) as backend:
        assert [r.id for r in backend.list_runs()[0]] == before


def test_migrate_dry_run_on_a_legacy_root_creates_no_index(root: Path) -> None:
    write_legacy_run(root)
    result = invoke("migrate", "--dry-run", "--root", str(root))
    assert result.exit_code == 0, result.output
    assert "would index 1" in result.output
    assert not (root / ".runicorn").exists()


def test_migrate_indexes_legacy_runs_once(root: Path) -> None:
    write_legacy_run(root)
    first = invoke("migrate", "--root", str(root))
    assert first.exit_code == 0, first.output
    assert "indexed 1, 0 already indexed, 0 unreadable" in first.output
    second = invoke("migrate", "--root", str(root))
    assert "indexed 0, 1 already indexed" in second.output
    with HybridStorageBackend(root) as backend:
        record = backend.get_run(LEGACY_ID)
        assert (record.project, record.name, record.status) == ("old", "exp", "finished")
        assert record.metrics["loss"].count == 2
        assert record.metrics["loss"].min == 0.5


def test_demo_records_runs_with_curves_images_and_summary(root: Path) -> None:
    result = invoke("demo", "--root", str(root), "--runs", "2", "--steps", "200")
    assert result.exit_code == 0, result.output
    assert f"recorded 2 runs under {root.resolve()}" in result.output
    with HybridStorageBackend(root) as backend:
        records, total = backend.list_runs()
        assert total == 2
        assert {(r.project, r.name, r.status) for r in records} == {
            ("demo", "cifar10-resnet18", "finished")
        }
        for record in records:
            assert record.id in result.output
            assert record.metrics["train/loss"].count == 200
            assert record.metrics["val/acc"].count == 2
            assert record.last_step == 200
            assert "best_val_acc" in record.summary
            assert "demo" in record.tags
            assert record.config["optimizer"] == {"name": "adamw", "wd": 0.05}
            folder = root / record.path
            images = [e for e in read_events(folder / "events.jsonl").events
                      if e["type"] == "image"]  # fmt: skip
            assert len(images) == 4
            assert all((folder / e["data"]["path"]).is_file() for e in images)
            assert (folder / "logs.txt").read_text().count("val_acc") == 2
        assert {r.config["lr"] for r in records} == {3e-3, 1e-3}


def test_unknown_command_fails_with_usage() -> None:
    result = invoke("no-such-command")
    assert result.exit_code != 0
    assert "No such command" in result.output or "No such command" in result.stderr


def test_export_then_import_moves_a_run_to_another_root(root: Path, tmp_path: Path) -> None:
    run_id = make_run(root)
    archive = tmp_path / "runs.tar.gz"
    exported = invoke("export", run_id, "-o", str(archive), "--root", str(root))
    assert exported.exit_code == 0, exported.output
    assert f"exported 1 run to {archive}" in exported.output

    other = tmp_path / "other"
    imported = invoke("import", str(archive), "--root", str(other))
    assert imported.exit_code == 0, imported.output
    with HybridStorageBackend(other) as backend:
        assert [r.id for r in backend.list_runs()[0]] == [run_id]
    again = invoke("import", str(archive), "--root", str(other))
    assert "imported 0 runs" in again.output and run_id in again.stderr, "never overwritten"

    table = tmp_path / "metrics.csv"
    csv = invoke("export", run_id, "-o", str(table), "--format", "csv", "--root", str(root))
    assert csv.exit_code == 0, csv.output
    assert table.read_text().splitlines()[0].startswith("run_id,step,time")
    bad = invoke("export", run_id, "-o", str(table), "--format", "xml", "--root", str(root))
    assert bad.exit_code == 1 and "unknown format" in bad.stderr
