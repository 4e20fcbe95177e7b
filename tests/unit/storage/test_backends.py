"""The SQLite index and the hybrid files+index backend (storage/backends.py)."""

from __future__ import annotations

import importlib.util
import math
import shutil
import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

import runicorn as rn
from runicorn.errors import InvalidNameError, RunNotFoundError, StorageError
from runicorn.storage.backends import HybridStorageBackend, SQLiteStorageBackend, index_path
from runicorn.storage.jsonio import read_json
from runicorn.storage.models import ExperimentRecord

HAS_QUERY = importlib.util.find_spec("runicorn.storage.query") is not None
needs_query = pytest.mark.skipif(not HAS_QUERY, reason="storage/query.py (sort/filter) not present")


def make_run(
    root: Path,
    project: str = "vision",
    name: str = "resnet",
    *,
    config: dict[str, Any] | None = None,
    tags: list[str] | None = None,
    notes: str | None = None,
    losses: tuple[float, ...] = (1.0, 0.5),
    summary: dict[str, Any] | None = None,
    fail: bool = False,
) -> str:
    """A finished (or failed) run recorded through the SDK; returns its id."""
    run = rn.init(
        project=project, name=name, config=config, tags=tags, notes=notes, storage=root,
        capture_console=False, capture_env=False, system_metrics=False,
    )  # fmt: skip
    assert isinstance(run, rn.Run)
    for loss in losses:
        run.log({"loss": loss})
    if summary:
        run.summary(summary)
    if fail:
        with pytest.raises(RuntimeError), run:
            raise RuntimeError("boom")
    else:
        run.finish()
    return run.id


@pytest.fixture
def backend(root: Path) -> Iterator[HybridStorageBackend]:
    store = HybridStorageBackend(root)
    yield store
    store.close()


def ids(records: list[ExperimentRecord]) -> list[str]:
    return [record.id for record in records]


def rebuild_index(root: Path, backend: HybridStorageBackend) -> HybridStorageBackend:
    """Close ``backend``, delete index.db and its WAL, and reindex from the files."""
    backend.close()
    for path in index_path(root).parent.glob("index.db*"):
        path.unlink()
    fresh = HybridStorageBackend(root)
    fresh.reindex()
    return fresh


def test_runs_are_listed_newest_first(root: Path, backend: HybridStorageBackend) -> None:
    made = [make_run(root) for _ in range(3)]
    records, total = backend.list_runs()
    assert ids(records) == made[::-1]
    assert total == 3


def test_list_filters_by_project_and_name(root: Path, backend: HybridStorageBackend) -> None:
    a = make_run(root, "vision", "resnet")
    b = make_run(root, "vision", "vit/base")
    c = make_run(root, "nlp", "resnet")
    assert set(ids(backend.list_runs(project="vision")[0])) == {a, b}
    assert ids(backend.list_runs(name="vit/base")[0]) == [b]
    assert ids(backend.list_runs(project="nlp", name="resnet")[0]) == [c]
    assert backend.list_runs(project="missing") == ([], 0)


def test_list_filters_by_status(root: Path, backend: HybridStorageBackend) -> None:
    ok = make_run(root)
    failed = make_run(root, fail=True)
    assert ids(backend.list_runs(status="failed")[0]) == [failed]
    assert ids(backend.list_runs(status="finished")[0]) == [ok]
    assert set(ids(backend.list_runs(status=["failed", "finished"])[0])) == {ok, failed}


def test_list_filters_by_all_given_tags(root: Path, backend: HybridStorageBackend) -> None:
    both = make_run(root, tags=["baseline", "gpu"])
    one = make_run(root, tags=["baseline"])
    make_run(root, tags=[])
    assert set(ids(backend.list_runs(tags=["baseline"])[0])) == {both, one}
    assert ids(backend.list_runs(tags=["baseline", "gpu"])[0]) == [both]
    assert backend.list_runs(tags=["nope"])[1] == 0


def test_text_search_matches_name_tags_notes_project_and_id(
    root: Path, backend: HybridStorageBackend
) -> None:
    by_name = make_run(root, "p1", "ResNet-Big")
    by_tag = make_run(root, "p1", "other", tags=["Sweep-7"])
    by_notes = make_run(root, "p1", "third", notes="Tried a LOWER learning rate")
    by_project = make_run(root, "Audio", "fourth")
    assert ids(backend.list_runs(text="resnet")[0]) == [by_name]
    assert ids(backend.list_runs(text="SWEEP-7")[0]) == [by_tag]
    assert ids(backend.list_runs(text="lower learning")[0]) == [by_notes]
    assert ids(backend.list_runs(text="audio")[0]) == [by_project]
    assert ids(backend.list_runs(text=by_notes[-6:])[0]) == [by_notes]


def test_paging_returns_a_slice_and_the_full_total(
    root: Path, backend: HybridStorageBackend
) -> None:
    made = [make_run(root) for _ in range(5)][::-1]
    first, total = backend.list_runs(limit=2)
    assert (ids(first), total) == (made[:2], 5)
    middle, _ = backend.list_runs(limit=2, offset=2)
    assert ids(middle) == made[2:4]
    last, total = backend.list_runs(limit=2, offset=4)
    assert (ids(last), total) == (made[4:], 5)
    assert ids(backend.list_runs(limit=None)[0]) == made
    assert backend.list_runs(limit=2, offset=10) == ([], 5)


@needs_query
def test_sort_orders_by_config_and_metrics(root: Path, backend: HybridStorageBackend) -> None:
    mid = make_run(root, config={"lr": 0.01}, losses=(0.2,))
    low = make_run(root, config={"lr": 0.001}, losses=(0.9,))
    high = make_run(root, config={"lr": 0.1}, losses=(0.5,))
    assert ids(backend.list_runs(sort="config.lr")[0]) == [low, mid, high]
    assert ids(backend.list_runs(sort="-config.lr")[0]) == [high, mid, low]
    assert ids(backend.list_runs(sort="metrics.loss.last")[0]) == [mid, high, low]


@needs_query
def test_filter_expression_narrows_the_list(root: Path, backend: HybridStorageBackend) -> None:
    make_run(root, config={"lr": 0.01})
    big = make_run(root, config={"lr": 0.1})
    records, total = backend.list_runs(filter="config.lr > 0.05")
    assert (ids(records), total) == ([big], 1)


def test_get_run_returns_everything_the_run_recorded(
    root: Path, backend: HybridStorageBackend
) -> None:
    run_id = make_run(
        root, config={"lr": 0.1, "opt": {"name": "adam"}}, tags=["a", "b"], notes="first try",
        losses=(3.0, 1.0, 2.0), summary={"best": 1.0},
    )  # fmt: skip
    record = backend.get_run(run_id)
    assert (record.project, record.name, record.status) == ("vision", "resnet", "finished")
    assert record.config == {"lr": 0.1, "opt": {"name": "adam"}}
    assert record.tags == ["a", "b"]
    assert record.notes == "first try"
    assert record.summary == {"best": 1.0}
    assert record.metrics["loss"].to_dict() == {"last": 2.0, "min": 1.0, "max": 3.0, "step": 3,
                                                "count": 3}  # fmt: skip
    assert record.last_step == 3
    assert record.ended_at is not None and record.created_at is not None
    assert record.ended_at >= record.created_at
    assert record.path == f"vision/resnet/runs/{run_id}"


def test_get_run_of_unknown_id_says_what_to_check(backend: HybridStorageBackend) -> None:
    with pytest.raises(RunNotFoundError) as info:
        backend.get_run("20240101_000000_nosuch")
    message = str(info.value)
    assert "20240101_000000_nosuch" in message
    assert str(backend.root) in message
    assert "--root" in message


def test_get_run_rejects_an_unsafe_id(backend: HybridStorageBackend) -> None:
    with pytest.raises(InvalidNameError):
        backend.get_run("../../etc")


def test_get_run_finds_a_run_folder_the_index_lacks(root: Path) -> None:
    run_id = make_run(root)
    for path in index_path(root).parent.glob("index.db*"):
        path.unlink()
    with HybridStorageBackend(root) as backend:
        assert backend.list_runs()[1] == 0
        assert backend.get_run(run_id).status == "finished"
        assert ids(backend.list_runs()[0]) == [run_id]


def test_a_diverged_last_value_stays_nan_in_the_index(
    root: Path, backend: HybridStorageBackend
) -> None:
    run_id = make_run(root, losses=(2.0, 1.0, math.nan))
    metric = backend.get_run(run_id).metrics["loss"]
    assert math.isnan(metric.last)  # type: ignore[arg-type]
    assert (metric.min, metric.max, metric.count) == (1.0, 2.0, 3)


def test_update_run_writes_tags_and_notes_into_meta_json(
    root: Path, backend: HybridStorageBackend
) -> None:
    run_id = make_run(root, tags=["old"])
    record = backend.update_run(run_id, tags=["new", "best", "new"], notes="keep this one")
    assert record.tags == ["new", "best"]
    assert record.notes == "keep this one"
    meta = read_json(backend.run_path(run_id) / "meta.json")
    assert meta["tags"] == ["new", "best"]
    assert meta["notes"] == "keep this one"
    assert meta["id"] == run_id
    assert ids(backend.list_runs(tags=["best"])[0]) == [run_id]
    assert backend.list_runs(tags=["old"])[1] == 0


def test_update_run_changes_only_the_given_field(root: Path, backend: HybridStorageBackend) -> None:
    run_id = make_run(root, tags=["a"], notes="n")
    assert backend.update_run(run_id, notes="changed").tags == ["a"]
    assert backend.update_run(run_id, tags=[]).notes == "changed"


def test_edited_tags_and_notes_survive_a_full_reindex(
    root: Path, backend: HybridStorageBackend
) -> None:
    run_id = make_run(root, tags=["old"])
    backend.update_run(run_id, tags=["kept"], notes="my notes")
    fresh = rebuild_index(root, backend)
    try:
        record = fresh.get_run(run_id)
        assert (record.tags, record.notes) == (["kept"], "my notes")
        assert ids(fresh.list_runs(tags=["kept"])[0]) == [run_id]
    finally:
        fresh.close()


def test_update_run_of_unknown_id_raises(backend: HybridStorageBackend) -> None:
    with pytest.raises(RunNotFoundError):
        backend.update_run("20240101_000000_nosuch", notes="x")


def test_soft_deleted_run_is_hidden_and_listed_in_the_recycle_bin(
    root: Path, backend: HybridStorageBackend
) -> None:
    keep = make_run(root)
    gone = make_run(root)
    assert backend.soft_delete([gone, "20240101_000000_nosuch"]) == (
        [gone], ["20240101_000000_nosuch"],
    )  # fmt: skip
    assert ids(backend.list_runs()[0]) == [keep]
    assert ids(backend.list_runs(deleted_only=True)[0]) == [gone]
    assert set(ids(backend.list_runs(include_deleted=True)[0])) == {keep, gone}
    assert backend.get_run(gone).deleted_at is not None
    assert (backend.run_path(gone) / "deleted.json").is_file()


def test_restore_brings_a_deleted_run_back(root: Path, backend: HybridStorageBackend) -> None:
    run_id = make_run(root)
    backend.soft_delete([run_id])
    assert backend.restore([run_id]) == ([run_id], [])
    assert ids(backend.list_runs()[0]) == [run_id]
    assert backend.list_runs(deleted_only=True)[1] == 0
    assert not (backend.run_path(run_id) / "deleted.json").exists()
    assert backend.get_run(run_id).deleted_at is None


def test_purge_removes_the_folder_and_the_index_entry(
    root: Path, backend: HybridStorageBackend
) -> None:
    keep = make_run(root)
    gone = make_run(root)
    folder = backend.run_path(gone)
    assert backend.purge([gone]) == ([gone], [])
    assert not folder.exists()
    assert backend.list_runs(include_deleted=True)[0][0].id == keep
    with pytest.raises(RunNotFoundError):
        backend.get_run(gone)
    assert backend.purge([gone]) == ([], [gone])


def test_soft_delete_survives_a_reindex(root: Path, backend: HybridStorageBackend) -> None:
    keep = make_run(root)
    gone = make_run(root)
    backend.soft_delete([gone])
    fresh = rebuild_index(root, backend)
    try:
        assert ids(fresh.list_runs()[0]) == [keep]
        assert ids(fresh.list_runs(deleted_only=True)[0]) == [gone]
    finally:
        fresh.close()


def test_reindex_from_files_reproduces_the_same_records(
    root: Path, backend: HybridStorageBackend
) -> None:
    make_run(root, "a", "x/y", config={"lr": 0.1, "nested": {"k": [1, 2]}}, tags=["t"],
             notes="n", losses=(3.0, math.inf, 1.0), summary={"acc": 0.9})  # fmt: skip
    make_run(root, "b", "z", losses=(1.0, math.nan), fail=True)
    make_run(root, "b", "z", losses=())
    fields = ("id", "project", "name", "path", "status", "created_at", "ended_at", "hostname",
              "pid", "exit_reason", "config", "summary", "tags", "notes", "last_step")  # fmt: skip

    def snapshot(store: HybridStorageBackend) -> list[dict[str, Any]]:
        rows = []
        for record in store.list_runs(limit=None)[0]:
            row = {f: getattr(record, f) for f in fields}
            row["metrics"] = {
                k: {s: ("nan" if isinstance(v, float) and math.isnan(v) else v)
                    for s, v in m.to_dict().items()}
                for k, m in record.metrics.items()
            }  # fmt: skip
            rows.append(row)
        return rows

    before = snapshot(backend)
    fresh = rebuild_index(root, backend)
    try:
        after = snapshot(fresh)
    finally:
        fresh.close()
    assert after == before
    assert [row["status"] for row in after] == ["finished", "failed", "finished"]
    assert after[1]["exit_reason"] == "RuntimeError"
    assert after[2]["metrics"]["loss"] == {"last": 1.0, "min": 1.0, "max": math.inf, "step": 3,
                                           "count": 3}  # fmt: skip


def test_reindex_forgets_runs_whose_folders_are_gone(
    root: Path, backend: HybridStorageBackend
) -> None:
    keep = make_run(root)
    gone = make_run(root)
    shutil.rmtree(backend.run_path(gone))
    assert backend.reindex() == 1
    assert ids(backend.list_runs(include_deleted=True)[0]) == [keep]


def test_reindex_reports_progress(root: Path, backend: HybridStorageBackend) -> None:
    for _ in range(3):
        make_run(root)
    calls: list[tuple[int, int]] = []
    assert backend.reindex(lambda done, total: calls.append((done, total))) == 3
    assert calls == [(1, 3), (2, 3), (3, 3)]


def test_field_names_list_config_summary_and_metric_keys(
    root: Path, backend: HybridStorageBackend
) -> None:
    make_run(root, config={"lr": 0.1, "opt": {"name": "adam", "betas": [0.9, 0.99]}},
             summary={"acc": 0.9})  # fmt: skip
    make_run(root, config={"batch": 32}, summary={"f1": 0.5})
    names = backend.field_names()
    assert [f["field"] for f in names["config"]] == [
        "config.batch", "config.lr", "config.opt.betas", "config.opt.name",
    ]  # fmt: skip
    assert [f["key"] for f in names["summary"]] == ["acc", "f1"]
    assert names["metrics"] == [{"key": "loss", "field": "metrics.loss"}]
    assert names["tags"] == []


REALISTIC_CONFIG: dict[str, Any] = {
    "batch_size": 64,
    "weight decay": 0.01,
    "optimizer.betas": [0.9, 0.999],
    "optimizer": {"name": "adamw", "warm-up": 500},
    "学习率": 3e-4,
}


def field_entries(names: dict[str, Any], section: str) -> dict[str, dict[str, Any]]:
    return {entry["field"]: entry for entry in names[section]}


def test_field_names_give_exact_paths_and_v2_names_for_keys_with_punctuation(
    root: Path, backend: HybridStorageBackend
) -> None:
    make_run(root, config=REALISTIC_CONFIG, summary={"best_val_acc": 0.91, "val/acc": 0.9})
    names = backend.field_names()
    config = field_entries(names, "config")
    assert config == {
        "config.batch_size": {"key": "batch_size", "path": ["batch_size"],
                              "field": "config.batch_size"},
        'config."weight decay"': {"key": "weight decay", "path": ["weight decay"],
                                  "field": 'config."weight decay"'},
        'config."optimizer.betas"': {"key": "optimizer.betas", "path": ["optimizer.betas"],
                                     "field": 'config."optimizer.betas"'},
        "config.optimizer.name": {"key": "optimizer.name", "path": ["optimizer", "name"],
                                  "field": "config.optimizer.name"},
        'config.optimizer."warm-up"': {"key": "optimizer.warm-up",
                                       "path": ["optimizer", "warm-up"],
                                       "field": 'config.optimizer."warm-up"'},
        "config.学习率": {"key": "学习率", "path": ["学习率"], "field": "config.学习率"},
    }  # fmt: skip
    summary = field_entries(names, "summary")
    assert set(summary) == {"summary.best_val_acc", 'summary."val/acc"'}
    assert not any('"' in entry["key"] for entry in names["config"] + names["summary"])


@needs_query
def test_every_listed_field_sorts_and_filters(root: Path, backend: HybridStorageBackend) -> None:
    """What /api/v2/fields offers is accepted back, and orders runs by the value."""
    ids = []
    for i, batch in enumerate((16, 128, 32)):
        config = {**REALISTIC_CONFIG, "batch_size": batch, "weight decay": 0.1 * (3 - i),
                  "optimizer.betas": [0.9, 0.99 + i / 1000], "学习率": 10.0**-(i + 2)}  # fmt: skip
        ids.append(make_run(root, config=config, summary={"best_val_acc": 0.5 + i / 10}))
    names = backend.field_names()
    for entry in names["config"] + names["summary"]:
        for sort in (entry["field"], "-" + entry["field"]):
            assert backend.list_runs(sort=sort)[1] == 3, sort
        backend.list_runs(filter=f"{entry['field']} exists")
    by = {e["key"]: e["field"] for e in names["config"] + names["summary"]}
    order = [r.id for r in backend.list_runs(sort=by["batch_size"])[0]]
    assert order == [ids[0], ids[2], ids[1]]
    order = [r.id for r in backend.list_runs(sort=by["weight decay"])[0]]
    assert order == [ids[2], ids[1], ids[0]]
    order = [r.id for r in backend.list_runs(sort="-" + by["best_val_acc"])[0]]
    assert order == [ids[2], ids[1], ids[0]]
    order = [r.id for r in backend.list_runs(sort=by["学习率"])[0]]
    assert order == [ids[2], ids[1], ids[0]]
    found = backend.list_runs(filter=f"{by['optimizer.betas']} contains 0.991")[0]
    assert [r.id for r in found] == [ids[1]]


def test_field_names_leave_out_deleted_runs(root: Path, backend: HybridStorageBackend) -> None:
    make_run(root, config={"kept": 1})
    gone = rn.init(project="p", name="n", config={"dropped": 1}, storage=root, tags=["old"],
                   capture_console=False, capture_env=False, system_metrics=False)  # fmt: skip
    gone.log({"only_in_deleted": 1.0})
    gone.finish()
    backend.soft_delete([gone.id])
    names = backend.field_names()
    assert [entry["key"] for entry in names["config"]] == ["kept"]
    assert [entry["key"] for entry in names["metrics"]] == ["loss"]
    assert names["tags"] == [], "a tag only a deleted run has is not offered"


def test_preferences_round_trip_and_merge(root: Path, backend: HybridStorageBackend) -> None:
    assert backend.get_preferences() == {}
    stored = backend.set_preferences({"theme": "dark", "columns": ["config.lr", "loss"]})
    assert stored == {"theme": "dark", "columns": ["config.lr", "loss"]}
    assert backend.set_preferences({"theme": "light", "page_size": 50}) == {
        "theme": "light", "columns": ["config.lr", "loss"], "page_size": 50,
    }  # fmt: skip
    backend.close()
    with HybridStorageBackend(root) as reopened:
        assert reopened.get_preferences()["page_size"] == 50


def test_projects_count_runs_per_project_and_name(
    root: Path, backend: HybridStorageBackend
) -> None:
    make_run(root, "vision", "resnet")
    make_run(root, "vision", "resnet")
    make_run(root, "vision", "vit")
    make_run(root, "nlp", "bert")
    deleted = make_run(root, "nlp", "gpt")
    backend.soft_delete([deleted])
    assert backend.list_projects() == [
        {"project": "nlp", "runs": 1, "running": 0, "names": [{"name": "bert", "runs": 1}]},
        {"project": "vision", "runs": 3, "running": 0,
         "names": [{"name": "resnet", "runs": 2}, {"name": "vit", "runs": 1}]},
    ]  # fmt: skip


def test_a_live_run_is_listed_as_running(root: Path, backend: HybridStorageBackend) -> None:
    run = rn.init(project="p", name="n", storage=root, capture_console=False, capture_env=False,
                  system_metrics=False)  # fmt: skip
    try:
        run.log({"loss": 1.0})
        assert backend.get_run(run.id).status == "running"
        assert backend.list_projects()[0]["running"] == 1
    finally:
        run.finish()
    assert backend.get_run(run.id).status == "finished"


def test_runs_of_the_same_index_are_seen_by_a_second_backend(root: Path) -> None:
    run_id = make_run(root)
    with HybridStorageBackend(root) as first, HybridStorageBackend(root) as second:
        first.update_run(run_id, notes="from first")
        assert second.get_run(run_id).notes == "from first"


def test_index_from_another_schema_version_is_rebuilt(root: Path) -> None:
    run_id = make_run(root)
    conn = sqlite3.connect(index_path(root))
    conn.execute("PRAGMA user_version = 999")
    conn.close()
    with HybridStorageBackend(root) as backend:
        assert backend.list_runs()[1] == 0
        assert backend.reindex() == 1
        assert backend.get_run(run_id).status == "finished"


def test_unusable_index_location_raises_storage_error(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    with pytest.raises(StorageError, match="cannot open the index"):
        SQLiteStorageBackend(blocker / ".runicorn" / "index.db")


def test_live_index_agrees_with_a_reindex_when_steps_go_back(
    root: Path, backend: HybridStorageBackend
) -> None:
    run = rn.init(project="p", name="n", storage=root, capture_console=False, capture_env=False,
                  system_metrics=False)  # fmt: skip
    for step in (10, 11, 12):
        run.log({"loss": 1.0 / step}, step=step)
    for step in (4, 5):
        run.log({"loss": float(step)}, step=step)
    run.finish()
    live = backend.get_run(run.id)
    fresh = rebuild_index(root, backend)
    try:
        rebuilt = fresh.get_run(run.id)
    finally:
        fresh.close()
    assert live.last_step == rebuilt.last_step == 12
    assert live.metrics["loss"].to_dict() == rebuilt.metrics["loss"].to_dict()
    assert rebuilt.metrics["loss"].to_dict() == {"last": 5.0, "min": 1 / 12, "max": 5.0,
                                                 "step": 5, "count": 5}  # fmt: skip


def test_run_with_corrupt_meta_is_indexed_from_its_place(
    root: Path, backend: HybridStorageBackend
) -> None:
    run_id = make_run(root, "vision", "a/b", losses=(0.5,))
    (backend.run_path(run_id) / "meta.json").write_text("{torn")
    assert backend.reindex() == 1
    record = backend.get_run(run_id)
    assert (record.project, record.name, record.status) == ("vision", "a/b", "finished")
    assert record.metrics["loss"].last == 0.5
    assert record.created_at is not None


def test_index_made_before_the_nan_flag_column_is_rebuilt(root: Path) -> None:
    from runicorn.storage.sql_utils import SCHEMA

    run_id = make_run(root, losses=(1.0, math.nan))
    for path in index_path(root).parent.glob("index.db*"):
        path.unlink()
    old_schema = SCHEMA.replace("    last_is_nan INTEGER NOT NULL DEFAULT 0,\n", "")
    assert old_schema != SCHEMA
    conn = sqlite3.connect(index_path(root))
    conn.executescript(old_schema)
    conn.execute("PRAGMA user_version = 1")
    conn.close()
    with HybridStorageBackend(root) as backend:
        assert backend.reindex() == 1
        assert math.isnan(backend.get_run(run_id).metrics["loss"].last)  # type: ignore[arg-type]


def test_a_damaged_index_is_moved_aside_and_rebuilt_on_first_use(
    root: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """Issue 8, item 3, for tools that open the store from Python (ExperimentManager)."""
    ids = {make_run(root, config={"batch_size": bs}, tags=["sweep"]) for bs in (32, 64)}
    path = index_path(root)
    path.write_bytes(b"\x00garbage, not a database" * 100)
    for suffix in ("-wal", "-shm"):  # else SQLite may still find a good first page in the WAL
        path.with_name(path.name + suffix).unlink(missing_ok=True)
    caplog.set_level("WARNING", logger="runicorn.storage.backends")
    with HybridStorageBackend(root) as store:
        assert store.needs_rebuild
        assert store.list_runs(filter="config.batch_size > 40")[1] == 1
        assert {r.id for r in store.list_runs(tags=["sweep"])[0]} == ids
        assert not store.needs_rebuild
    [aside] = path.parent.glob("index.db.corrupt-*")
    assert aside.read_bytes().startswith(b"\x00garbage")
    assert [r.levelname for r in caplog.records] == ["WARNING"]
    with HybridStorageBackend(root) as store:
        assert not store.needs_rebuild
        assert store.list_runs()[1] == 2


def test_field_names_keep_lists_whole_and_follow_deep_nesting(
    root: Path, backend: HybridStorageBackend
) -> None:
    config = {
        "layers": [{"units": 64}, {"units": 128, "act": "gelu"}],
        "schedule": {"warm.up": {"steps": 500}, "type": "cosine"},
        "optimizer": "sgd",
    }
    make_run(root, config=config)
    make_run(root, config={"optimizer": {"name": "adamw"}})  # an object elsewhere
    paths = [tuple(entry["path"]) for entry in backend.field_names()["config"]]
    assert paths == [
        ("layers",), ("optimizer",), ("optimizer", "name"), ("schedule", "type"),
        ("schedule", "warm.up", "steps"),
    ]  # fmt: skip
    fields = {tuple(e["path"]): e["field"] for e in backend.field_names()["config"]}
    assert fields[("schedule", "warm.up", "steps")] == 'config.schedule."warm.up".steps'
    assert backend.list_runs(filter='config.schedule."warm.up".steps = 500')[1] == 1


def test_update_run_refuses_a_meta_json_linked_outside_the_root(
    root: Path, backend: HybridStorageBackend, tmp_path_factory: pytest.TempPathFactory
) -> None:
    secret = tmp_path_factory.mktemp("outside") / "secret.json"
    secret.write_text('{"api_key": "hunter2"}')
    run_id = make_run(root, tags=["baseline"])
    meta = backend.run_path(run_id) / "meta.json"
    meta.unlink()
    meta.symlink_to(secret)
    with pytest.raises(StorageError, match="outside the storage root"):
        backend.update_run(run_id, tags=["weight decay sweep"])
    assert meta.is_symlink()
    assert secret.read_text() == '{"api_key": "hunter2"}'


def test_index_made_before_the_alias_column_gains_it_and_reads_aliases_from_meta(
    root: Path,
) -> None:
    aliased = rn.init(path="cv/yolo/ablation", alias="最佳-v2", storage=root,
                      capture_console=False, capture_env=False, system_metrics=False)  # fmt: skip
    aliased.log({"train/loss": 0.5})
    aliased.finish()
    plain = make_run(root, "cv", "yolo/ablation")
    conn = sqlite3.connect(index_path(root))
    conn.execute("ALTER TABLE runs DROP COLUMN alias")  # the schema 3 table
    conn.execute("PRAGMA user_version = 3")
    conn.execute(
        "INSERT INTO preferences (key, value) VALUES ('theme', '\"dark\"')"
    )  # kept: an in-place upgrade, not a rebuild
    conn.commit()
    conn.close()
    with HybridStorageBackend(root) as backend:
        records, total = backend.list_runs(project="cv")
        assert total == 2  # no reindex needed
        assert {r.id: r.alias for r in records} == {aliased.id: "最佳-v2", plain: None}
    conn = sqlite3.connect(index_path(root))
    assert conn.execute("SELECT COUNT(*) FROM runs WHERE alias IS NULL").fetchone() == (0,)
    assert conn.execute("SELECT value FROM preferences WHERE key = 'theme'").fetchone()
    conn.close()
