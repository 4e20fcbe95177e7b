"""Finding, annotating and deleting runs from Python (experiment.py)."""

from __future__ import annotations

import math
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import runicorn as rn
from runicorn.errors import RunNotFoundError
from runicorn.experiment import ExperimentManager
from runicorn.storage.jsonio import read_json


def make_run(
    root: Path,
    project: str = "vision",
    name: str = "resnet",
    *,
    config: dict[str, Any] | None = None,
    tags: list[str] | None = None,
    summary: dict[str, Any] | None = None,
    fail: bool = False,
) -> str:
    run = rn.init(project=project, name=name, config=config, tags=tags, storage=root,
                  capture_console=False, capture_env=False, system_metrics=False)  # fmt: skip
    assert isinstance(run, rn.Run)
    run.log({"loss": 1.0})
    if summary:
        run.summary(summary)
    if fail:
        with pytest.raises(ValueError), run:
            raise ValueError("bad batch")
    else:
        run.finish()
    return run.id


@pytest.fixture
def manager(root: Path) -> Iterator[ExperimentManager]:
    with ExperimentManager(root) as experiments:
        yield experiments


def ids(records: list[Any]) -> list[str]:
    return [record.id for record in records]


def test_list_returns_runs_newest_first(root: Path, manager: ExperimentManager) -> None:
    made = [make_run(root) for _ in range(3)]
    assert ids(manager.list()) == made[::-1]
    assert ids(manager.list(limit=2)) == made[:0:-1]
    assert ids(manager.list(limit=2, offset=2)) == made[:1]


def test_list_filters_by_project_name_status_and_tags(
    root: Path, manager: ExperimentManager
) -> None:
    a = make_run(root, "vision", "resnet", tags=["baseline"])
    b = make_run(root, "vision", "vit", fail=True)
    c = make_run(root, "nlp", "bert", tags=["baseline"])
    assert set(ids(manager.list(project="vision"))) == {a, b}
    assert ids(manager.list(name="vit")) == [b]
    assert ids(manager.list(status="failed")) == [b]
    assert set(ids(manager.list(status=["finished"]))) == {a, c}
    assert set(ids(manager.list(tags=["baseline"]))) == {a, c}
    assert ids(manager.list(project="vision", tags=["baseline"])) == [a]


def test_list_with_filter_and_sort_expressions(root: Path, manager: ExperimentManager) -> None:
    low = make_run(root, config={"lr": 0.001}, summary={"acc": 0.7})
    high = make_run(root, config={"lr": 0.1}, summary={"acc": 0.9})
    assert ids(manager.list(sort="-summary.acc")) == [high, low]
    assert ids(manager.list(filter="config.lr < 0.01")) == [low]


def test_get_returns_the_run(root: Path, manager: ExperimentManager) -> None:
    run_id = make_run(root, config={"lr": 0.1}, summary={"acc": 0.9})
    record = manager.get(run_id)
    assert (record.id, record.status, record.config, record.summary) == (
        run_id, "finished", {"lr": 0.1}, {"acc": 0.9},
    )  # fmt: skip


def test_get_unknown_run_raises_run_not_found(manager: ExperimentManager) -> None:
    with pytest.raises(RunNotFoundError, match="20240101_000000_nosuch"):
        manager.get("20240101_000000_nosuch")


def test_history_returns_columns_with_nan_where_a_key_is_absent(
    root: Path, manager: ExperimentManager
) -> None:
    run = rn.init(project="p", name="n", storage=root, capture_console=False, capture_env=False,
                  system_metrics=False)  # fmt: skip
    run.log({"loss": 2.0})
    run.log({"loss": 1.0, "acc": 0.5})
    run.log({"val/loss": 1.5}, step=2)
    run.log({"loss": math.nan})
    run.finish()
    history = manager.history(run.id)
    assert set(history) == {"global_step", "loss", "acc", "val/loss"}
    np.testing.assert_array_equal(history["global_step"], [1, 2, 2, 3])
    np.testing.assert_array_equal(history["loss"], [2.0, 1.0, np.nan, np.nan])
    np.testing.assert_array_equal(history["acc"], [np.nan, 0.5, np.nan, np.nan])
    np.testing.assert_array_equal(history["val/loss"], [np.nan, np.nan, 1.5, np.nan])
    assert history["global_step"].dtype == np.int64
    assert history["loss"].dtype == np.float64


def test_history_of_chosen_keys_only(root: Path, manager: ExperimentManager) -> None:
    run = rn.init(project="p", name="n", storage=root, capture_console=False, capture_env=False,
                  system_metrics=False)  # fmt: skip
    run.log({"loss": 1.0, "acc": 0.5})
    run.log({"loss": math.inf, "acc": 0.6})
    run.finish()
    history = manager.history(run.id, keys=["loss", "missing"])
    assert set(history) == {"global_step", "loss", "missing"}
    np.testing.assert_array_equal(history["loss"], [1.0, math.inf])
    assert np.isnan(history["missing"]).all()


def test_history_ignores_system_and_image_events(root: Path, manager: ExperimentManager) -> None:
    run = rn.init(project="p", name="n", storage=root, capture_console=False, capture_env=False,
                  system_metrics=False)  # fmt: skip
    run.log({"loss": 1.0})
    run.log_image("sample", np.zeros((4, 4)), caption="zeros")
    run.finish()
    history = manager.history(run.id)
    assert set(history) == {"global_step", "loss"}
    assert len(history["loss"]) == 1


def test_set_tags_replaces_and_persists_in_meta(root: Path, manager: ExperimentManager) -> None:
    run_id = make_run(root, tags=["old"])
    assert manager.set_tags(run_id, ["new", "best"]).tags == ["new", "best"]
    meta = read_json(manager.backend.run_path(run_id) / "meta.json")
    assert meta["tags"] == ["new", "best"]
    assert ids(manager.list(tags=["best"])) == [run_id]


def test_add_tags_keeps_existing_ones_without_duplicates(
    root: Path, manager: ExperimentManager
) -> None:
    run_id = make_run(root, tags=["a"])
    assert manager.add_tags(run_id, "b", "a", "c").tags == ["a", "b", "c"]
    assert manager.get(run_id).tags == ["a", "b", "c"]


def test_set_notes_persists_in_meta(root: Path, manager: ExperimentManager) -> None:
    run_id = make_run(root)
    assert manager.set_notes(run_id, "lr too high").notes == "lr too high"
    assert read_json(manager.backend.run_path(run_id) / "meta.json")["notes"] == "lr too high"


def test_delete_moves_runs_to_the_recycle_bin(root: Path, manager: ExperimentManager) -> None:
    keep = make_run(root)
    gone = make_run(root)
    assert manager.delete(gone, "20240101_000000_nosuch") == [gone]
    assert ids(manager.list()) == [keep]
    assert ids(manager.recycle_bin()) == [gone]
    assert manager.get(gone).deleted_at is not None


def test_restore_brings_runs_back(root: Path, manager: ExperimentManager) -> None:
    run_id = make_run(root)
    manager.delete(run_id)
    assert manager.restore(run_id) == [run_id]
    assert ids(manager.list()) == [run_id]
    assert manager.recycle_bin() == []


def test_permanent_delete_removes_the_files(root: Path, manager: ExperimentManager) -> None:
    run_id = make_run(root)
    folder = manager.backend.run_path(run_id)
    assert manager.delete(run_id, permanent=True) == [run_id]
    assert not folder.exists()
    with pytest.raises(RunNotFoundError):
        manager.get(run_id)


def test_empty_recycle_bin_purges_only_deleted_runs(root: Path, manager: ExperimentManager) -> None:
    keep = make_run(root)
    first = make_run(root)
    second = make_run(root)
    folders = [manager.backend.run_path(r) for r in (first, second)]
    manager.delete(first, second)
    assert sorted(manager.empty_recycle_bin()) == sorted([first, second])
    assert not any(folder.exists() for folder in folders)
    assert ids(manager.list()) == [keep]
    assert manager.recycle_bin() == []


def test_summary_table_flattens_config_and_summary(root: Path, manager: ExperimentManager) -> None:
    run_id = make_run(root, config={"lr": 0.1}, summary={"acc": 0.9})
    (row,) = manager.summary_table(manager.list())
    assert row["id"] == run_id
    assert (row["config.lr"], row["summary.acc"], row["status"]) == (0.1, 0.9, "finished")


def test_default_manager_uses_the_configured_root(
    root: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("RUNICORN_DIR", str(root))
    run_id = make_run(root)
    with ExperimentManager() as experiments:
        assert experiments.root == root.resolve()
        assert ids(experiments.list()) == [run_id]


def test_history_of_a_live_run_reads_only_what_was_appended(
    root: Path, manager: ExperimentManager, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Issue 8, item 23: history shares the viewer's columnar reader, incremental on a live run."""
    from runicorn.viewer.utils import cache as cache_module

    parsed: list[int] = []
    real = cache_module._decode_lines
    monkeypatch.setattr(cache_module, "_decode_lines", lambda d: parsed.append(len(d)) or real(d))
    run = rn.init(project="vision", name="vit", storage=root, capture_console=False,
                  capture_env=False, system_metrics=False)  # fmt: skip
    assert isinstance(run, rn.Run)
    for _ in range(2000):
        run.log({"train/loss": 0.5, "val/acc": 0.75})
    events = Path(run.path) / "events.jsonl"
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline and (
        not events.exists() or events.read_bytes().count(b"\n") < 2000
    ):
        time.sleep(0.02)  # the writer thread flushes every 50 ms in tests
    first = manager.history(run.id)
    assert first["val/acc"].size == 2000 and parsed
    first_bytes = sum(parsed)
    parsed.clear()
    run.log({"train/loss": math.nan, "val/acc": 0.8})
    run.finish()
    second = manager.history(run.id)
    assert second["global_step"][-1] == 2001 and math.isnan(second["train/loss"][-1])
    assert 0 < sum(parsed) < first_bytes / 100, "only the appended line was parsed again"
    np.testing.assert_array_equal(second["val/acc"][:2000], first["val/acc"])
