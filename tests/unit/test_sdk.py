"""The recording SDK, in-process: what a training script sees and what lands on disk."""

from __future__ import annotations

import logging
import math
import threading
import time
import warnings
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from PIL import Image
from quiet_runs import start

import runicorn as rn
from runicorn.storage.backends import HybridStorageBackend
from runicorn.storage.events import read_events
from runicorn.storage.jsonio import read_json


def metric_rows(run_path: Path) -> list[dict[str, Any]]:
    return [
        e["data"] for e in read_events(run_path / "events.jsonl").events if e["type"] == "metrics"
    ]


def test_quickstart_records_a_run_in_the_seed_layout(root: Path) -> None:
    run = start(root, project="vision", name="resnet50", config={"lr": 3e-4}, tags=["baseline"])
    for _ in range(3):
        run.log({"loss": 0.5, "acc": 0.9})
    run.summary({"best_acc": 0.93})
    run.finish()

    folder = root / "vision" / "resnet50" / "runs" / run.id
    assert folder == run.path
    for name in ("events.jsonl", "summary.json", "meta.json", "status.json"):
        assert (folder / name).is_file(), name
    meta = read_json(folder / "meta.json")
    assert meta["project"] == "vision" and meta["config"] == {"lr": 3e-4}
    assert meta["tags"] == ["baseline"]
    assert read_json(folder / "summary.json") == {"best_acc": 0.93}
    assert read_json(folder / "status.json")["status"] == "finished"
    rows = metric_rows(folder)
    assert [row["global_step"] for row in rows] == [1, 2, 3]
    assert all(isinstance(row["time"], float) for row in rows)


def test_explicit_step_sets_the_counter_and_auto_steps_continue(root: Path) -> None:
    run = start(root)
    run.log({"a": 1.0})
    run.log({"val/loss": 2.0}, step=10)
    run.log({"a": 3.0})
    run.log({"a": 4.0}, stage="eval")
    run.finish()
    rows = metric_rows(run.path)
    assert [row["global_step"] for row in rows] == [1, 10, 11, 12]
    assert rows[-1]["stage"] == "eval"


def test_nonfinite_values_round_trip(root: Path) -> None:
    run = start(root)
    run.log({"nan": math.nan, "pos": math.inf, "neg": -math.inf, "ok": 1.5})
    run.finish()
    raw = (run.path / "events.jsonl").read_text()
    assert '"NaN"' in raw and '"Infinity"' in raw and '"-Infinity"' in raw
    with HybridStorageBackend(root) as backend:
        metrics = backend.get_run(run.id).metrics
    assert metrics["pos"].last == math.inf and metrics["neg"].last == -math.inf
    assert math.isnan(metrics["nan"].last)  # type: ignore[arg-type]
    assert metrics["nan"].min is None and metrics["ok"].last == 1.5


def test_numpy_scalars_bools_and_zero_d_arrays_are_logged(root: Path) -> None:
    run = start(root)
    run.log({"f32": np.float32(0.25), "i64": np.int64(7), "flag": True, "zero_d": np.array(2.5)})
    run.finish()
    row = metric_rows(run.path)[0]
    assert row["f32"] == 0.25 and row["i64"] == 7 and row["flag"] == 1 and row["zero_d"] == 2.5


def counting_tensor_type() -> Any:
    """A torch.Tensor subclass counting ``.item()`` calls (each one a device sync on a GPU)."""
    torch = pytest.importorskip("torch")

    class CountingTensor(torch.Tensor):  # type: ignore[misc, name-defined]
        calls = 0

        def item(self) -> Any:
            CountingTensor.calls += 1
            return super().item()

    return CountingTensor


def test_zero_d_tensors_cost_exactly_one_item_call_each(root: Path) -> None:
    torch = pytest.importorskip("torch")
    counting = counting_tensor_type()

    def scalar(value: Any) -> Any:
        return torch.tensor(value).as_subclass(counting)

    run = start(root)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        for step in range(1, 4):
            metrics = {f"train/loss_{i}": scalar(1.0 / (step + i + 1)) for i in range(11)}
            run.log(metrics)
            run.log({"val/acc": scalar(0.5), "lr": 3e-4, "epoch": step, "val/top5": scalar(0.875)})
            run.log({"val/correct": scalar(True), "val/count": scalar(128)})
            run.log({"grad/nan": scalar(float("nan")), "学习率": np.float32(0.25)})
    run.finish()
    assert counting.calls == 3 * (11 + 2 + 2 + 1), "one .item() per tensor, never a second"
    assert caught == []
    rows = metric_rows(run.path)
    assert rows[0]["train/loss_0"] == 0.5 and rows[0]["train/loss_10"] == pytest.approx(1 / 12)
    assert rows[1] == {**rows[1], "val/acc": 0.5, "lr": 3e-4, "epoch": 1, "val/top5": 0.875}
    assert rows[2]["val/correct"] == 1 and rows[2]["val/count"] == 128
    assert rows[3]["grad/nan"] == "NaN" and rows[3]["学习率"] == 0.25


def test_a_tensor_of_several_values_skips_only_its_key(root: Path) -> None:
    torch = pytest.importorskip("torch")
    counting = counting_tensor_type()
    run = start(root)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        for _ in range(3):
            run.log({"train/loss": torch.tensor(0.5), "weights": torch.ones(3)})
        run.log({"val/acc": torch.tensor(0.75).as_subclass(counting), "lr": 1e-3})
    run.finish()
    rows = metric_rows(run.path)
    assert [row["train/loss"] for row in rows[:3]] == [0.5, 0.5, 0.5]
    assert all("weights" not in row for row in rows)
    assert rows[3]["val/acc"] == 0.75 and counting.calls == 1
    assert sum("'weights'" in str(w.message) for w in caught) == 1


def test_unsupported_values_warn_once_per_key_and_keep_the_rest(root: Path) -> None:
    run = start(root)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        for step in range(5):
            run.log({"loss": float(step), "name": "text", 3: 1.0, "vec": np.ones(3)})
    run.finish()
    messages = [str(w.message) for w in caught]
    assert sum("'name'" in m for m in messages) == 1
    assert sum("'vec'" in m for m in messages) == 1
    assert sum("keys must be strings" in m for m in messages) == 1
    assert [row["loss"] for row in metric_rows(run.path)] == [0.0, 1.0, 2.0, 3.0, 4.0]
    assert all(w.filename == __file__ for w in caught), "warnings point at the caller's line"


def test_log_after_finish_warns_once_and_raises_nothing(root: Path) -> None:
    run = start(root)
    run.log({"a": 1.0})
    run.finish()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        run.log({"a": 2.0})
        run.log({"a": 3.0})
    assert len([w for w in caught if "finished" in str(w.message)]) == 1
    assert len(metric_rows(run.path)) == 1


def test_module_level_functions_act_on_the_active_run(root: Path) -> None:
    run = start(root)
    rn.log({"x": 1.0})
    rn.summary({"done": True})
    rn.log_text("hello")
    rn.finish()
    assert rn.get_active_run() is None
    assert metric_rows(run.path)[0]["x"] == 1.0
    assert read_json(run.path / "summary.json") == {"done": True}
    assert (run.path / "logs.txt").read_text() == "hello\n"


def test_context_manager_finishes_or_marks_failed_with_traceback(root: Path) -> None:
    with start(root, name="ok") as run:
        run.log({"a": 1.0})
    assert read_json(run.path / "status.json")["status"] == "finished"

    with pytest.raises(ZeroDivisionError), start(root, name="bad") as bad:
        bad.log({"a": 1.0})
        _ = 1 / 0
    status = read_json(bad.path / "status.json")
    assert status["status"] == "failed" and status["exit_reason"] == "ZeroDivisionError"
    assert "ZeroDivisionError" in (bad.path / "logs.txt").read_text()


def test_disabled_mode_returns_a_noop_run_with_the_full_api(
    root: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for make in (
        lambda: rn.init(storage=root, mode="disabled"),
        lambda: (monkeypatch.setenv("RUNICORN_MODE", "disabled"), rn.init(storage=root))[1],
    ):
        run = make()
        assert isinstance(run, rn.NoOpRun)
        with run:
            run.log({"a": 1.0})
            run.summary({"b": 2})
            run.log_text("t")
            run.log_image("img", np.zeros((2, 2)))
            logging.getLogger("x").addHandler(run.logging_handler())
    assert list(root.iterdir()) == []


def test_processes_of_rank_above_zero_do_not_record(
    root: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("RANK", "1")
    assert isinstance(rn.init(storage=root), rn.NoOpRun)
    monkeypatch.setenv("RUNICORN_ALL_RANKS", "1")
    run = start(root)
    run.finish()
    assert run.path.is_dir()


@pytest.mark.parametrize("bad", ["", "..", "/lead", "trail/", "a\x00b", "x" * 129, "a:b", "CON"])
def test_invalid_project_or_name_raises_at_init(root: Path, bad: str) -> None:
    with pytest.raises(ValueError):
        rn.init(project=bad, storage=root)
    with pytest.raises(ValueError):
        rn.init(name=bad, storage=root)
    assert not any(root.iterdir())


def test_unicode_names_are_allowed(root: Path) -> None:
    run = start(root, project="视觉", name="实验/résumé")
    run.finish()
    assert (root / "视觉" / "实验" / "résumé" / "runs" / run.id).is_dir()


def test_resume_continues_the_step_counter_and_keeps_the_summary(root: Path) -> None:
    first = start(root, project="p", name="n")
    for _ in range(5):
        first.log({"loss": 1.0})
    first.summary({"epochs": 1})
    first.finish("interrupted")

    again = start(root, project="p", name="n", run_id=first.id, resume=True)
    again.log({"loss": 0.5})
    again.summary({"epochs": 2, "best": 0.5})
    again.finish()
    assert again.path == first.path
    assert [row["global_step"] for row in metric_rows(again.path)] == [1, 2, 3, 4, 5, 6]
    assert read_json(again.path / "summary.json") == {"epochs": 2, "best": 0.5}
    with HybridStorageBackend(root) as backend:
        record = backend.get_run(first.id)
    assert record.status == "finished" and record.last_step == 6
    assert record.metrics["loss"].count == 6


def test_resume_keeps_config_tags_and_notes_and_merges_a_new_config(root: Path) -> None:
    config = {
        "batch_size": 64,
        "weight decay": 0.05,
        "optimizer": {"name": "adamw", "betas": [0.9, 0.999]},
        "学习率": 3e-4,
    }
    first = start(
        root, project="vision", name="vit-b16", config=config, tags=["sweep-7"], notes="baseline"
    )
    first.log({"train/loss": 2.3, "val/acc": 0.12})
    first.finish("interrupted")
    with HybridStorageBackend(root) as backend:  # a tag and a note edited in the viewer
        backend.update_run(first.id, tags=["sweep-7", "keep"], notes="baseline; lr too high?")

    again = start(root, run_id=first.id, resume=True, config={"epochs": 90, "batch_size": 128})
    again.log({"train/loss": 1.9, "val/acc": 0.31})
    again.finish()

    expected_config = {**config, "batch_size": 128, "epochs": 90}
    meta = read_json(again.path / "meta.json")
    assert meta["config"] == expected_config
    assert meta["tags"] == ["sweep-7", "keep"]
    assert meta["notes"] == "baseline; lr too high?"
    with HybridStorageBackend(root) as backend:
        record = backend.get_run(first.id)
        assert record.config == expected_config
        assert (record.tags, record.notes) == (["sweep-7", "keep"], "baseline; lr too high?")
        for expression in (
            "tag:keep",
            "tag:sweep-7",
            "config.batch_size = 128",
            'config."weight decay" = 0.05',
            "config.optimizer.name = adamw",
            "config.epochs = 90",
        ):
            items, total = backend.list_runs(filter=expression)
            assert total == 1 and items[0].id == first.id, expression


def test_resume_merges_tags_and_replaces_notes_given_at_resume(root: Path) -> None:
    first = start(root, project="nlp", name="bert", config={"max_seq_len": 512}, tags=["v1"])
    first.finish("interrupted")
    again = start(root, run_id=first.id, resume=True, tags=["resumed"], notes="second try")
    again.finish()
    meta = read_json(again.path / "meta.json")
    assert meta["tags"] == ["v1", "resumed"] and meta["notes"] == "second try"
    assert meta["config"] == {"max_seq_len": 512}


def test_one_unstorable_value_skips_only_its_key(root: Path) -> None:
    run = start(root)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        for _ in range(3):
            run.log({"big": 10**30, "train/loss": 0.5, "val/acc": np.int64(7)})
            run.log({"train/loss": 0.25, "neg": -(10**20)})
    run.finish()
    rows = metric_rows(run.path)
    assert [row["train/loss"] for row in rows] == [0.5, 0.25] * 3
    assert [row["global_step"] for row in rows] == [1, 2, 3, 4, 5, 6]
    assert all("big" not in row and "neg" not in row for row in rows)
    messages = [str(w.message) for w in caught]
    assert sum("'big'" in m for m in messages) == 1
    assert sum("'neg'" in m for m in messages) == 1
    assert len(messages) == 2


@pytest.mark.parametrize("bad_step", [2**64, -(2**64), 1.5, "12", True, None])
def test_a_bad_step_skips_that_call_and_auto_steps_keep_working(root: Path, bad_step: Any) -> None:
    run = start(root)
    run.log({"train/loss": 1.0})
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        if bad_step is None:
            run.log({"train/loss": 9.0, "global_step": 2**64})
        else:
            run.log({"train/loss": 9.0}, step=bad_step)
        run.log({"train/loss": 0.5})
        run.log({"train/loss": 0.25}, step=np.int64(10))
        run.log({"train/loss": 0.125})
    run.finish()
    rows = metric_rows(run.path)
    assert [(row["global_step"], row["train/loss"]) for row in rows] == [
        (1, 1.0), (2, 0.5), (10, 0.25), (11, 0.125),
    ]  # fmt: skip
    assert len(caught) == 1 and "step" in str(caught[0].message)


@pytest.mark.parametrize(
    "bad_key", ["val\x00acc", "train/loss\nval/loss", "loss\r", "x" * 4096, ""]
)
def test_unusable_metric_keys_are_refused_at_log_with_one_warning(root: Path, bad_key: str) -> None:
    run = start(root)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        for step in range(4):
            run.log({bad_key: 1.0, "train/loss": float(step)})
    run.finish()
    rows = metric_rows(run.path)
    assert [row["train/loss"] for row in rows] == [0.0, 1.0, 2.0, 3.0]
    assert all(bad_key not in row for row in rows)
    assert b"\\u0000" not in (run.path / "events.jsonl").read_bytes()
    assert len(caught) == 1 and "metric key" in str(caught[0].message)
    assert len(str(caught[0].message)) < 300, "the warning does not repeat a 4 KB key"


def test_keys_up_to_the_documented_length_are_kept(root: Path) -> None:
    key = "train/" + "k" * (rn.sdk.MAX_KEY_LENGTH - len("train/"))
    run = start(root)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        run.log({key: 1.0, "学习率": 3e-4})
    run.finish()
    assert metric_rows(run.path)[0][key] == 1.0


def test_heartbeat_is_never_later_than_the_end(root: Path) -> None:
    for final in ("finished", "failed", "interrupted"):
        run = start(root, system_metrics=True)
        run.log({"train/loss": 0.5})
        run.finish(final)
        status = read_json(run.path / "status.json")
        assert status["heartbeat_at"] <= status["ended_at"], status
        with HybridStorageBackend(root) as backend:
            record = backend.get_run(run.id)
        assert record.heartbeat_at is not None and record.ended_at is not None
        assert record.heartbeat_at <= record.ended_at


def test_reusing_a_run_id_without_resume_is_refused(root: Path) -> None:
    run = start(root)
    run.finish()
    with pytest.raises(ValueError, match="resume=True"):
        rn.init(storage=root, run_id=run.id)


def test_index_holds_last_min_max_and_status(root: Path) -> None:
    run = start(root, project="p", name="n", config={"lr": 0.1}, tags=["t"])
    for value in (3.0, 1.0, 2.0):
        run.log({"loss": value})
    run.finish()
    with HybridStorageBackend(root) as backend:
        items, total = backend.list_runs()
    assert total == 1
    loss = items[0].metrics["loss"]
    assert (loss.last, loss.min, loss.max, loss.step, loss.count) == (2.0, 1.0, 3.0, 3, 3)
    assert items[0].status == "finished" and items[0].config == {"lr": 0.1}


def test_a_broken_index_never_affects_the_files(root: Path) -> None:
    (root / ".runicorn").mkdir()
    (root / ".runicorn" / "index.db").mkdir()  # a folder where the database should be
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        run = start(root)
        for step in range(100):
            run.log({"loss": float(step)})
        run.finish()
    assert len([w for w in caught if "index" in str(w.message)]) == 1
    assert len(metric_rows(run.path)) == 100
    assert read_json(run.path / "status.json")["status"] == "finished"


def test_an_unwritable_root_warns_once_and_writes_everything_when_it_recovers(
    tmp_path: Path,
) -> None:
    root = tmp_path / "blocked"
    root.write_text("a file where the storage root should be")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        run = rn.init(storage=root, capture_console=False, system_metrics=False, capture_env=False)
        for step in range(50):
            run.log({"loss": float(step)})
        assert isinstance(run, rn.Run)
        assert run._writer.flush() is False
        root.unlink()  # the disk comes back
        for step in range(50, 60):
            run.log({"loss": float(step)})
        run.finish()
    assert len([w for w in caught if "cannot create the run folder" in str(w.message)]) == 1
    assert [row["loss"] for row in metric_rows(run.path)] == [float(s) for s in range(60)]
    with HybridStorageBackend(root) as backend:
        assert backend.get_run(run.id).metrics["loss"].count == 60, "the index catches up"


def test_buffer_is_bounded_while_writes_fail_and_drops_are_counted(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("RUNICORN_MAX_BUFFER_BYTES", "20000")
    root = tmp_path / "blocked"
    root.write_text("not a folder")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        run = rn.init(storage=root, capture_console=False, system_metrics=False, capture_env=False)
        assert isinstance(run, rn.Run)
        for step in range(2000):
            run.log({"loss": float(step)})
            if step % 100 == 0:
                run._writer.flush()
        run._writer.flush()
        assert run._writer.pending_bytes <= 20000
        root.unlink()
        run.finish()
    rows = metric_rows(run.path)
    dropped = read_json(run.path / "summary.json")["runicorn/dropped_events"]
    assert dropped > 0 and len(rows) + dropped == 2000
    assert rows[-1]["loss"] == 1999.0, "the newest points are kept"


def test_log_text_and_logging_handler_write_logs(root: Path) -> None:
    run = start(root)
    logger = logging.getLogger("test_sdk.handler")
    logger.setLevel(logging.INFO)
    handler = run.logging_handler()
    logger.addHandler(handler)
    try:
        run.log_text("plain line")
        logger.info("from logging %d", 42)
    finally:
        logger.removeHandler(handler)
    run.finish()
    text = (run.path / "logs.txt").read_text()
    assert text.startswith("plain line\n")
    assert "INFO test_sdk.handler: from logging 42" in text


def test_log_image_accepts_arrays_pil_images_and_paths(root: Path, tmp_path: Path) -> None:
    source = tmp_path / "picture.png"
    Image.new("RGB", (4, 4), "red").save(source)
    run = start(root)
    run.log({"loss": 1.0})
    run.log_image("gray", np.random.default_rng(0).random((8, 8)), caption="float gray")
    run.log_image("chw", np.zeros((3, 8, 8), dtype=np.uint8), step=5)
    run.log_image("pil", Image.new("RGB", (4, 4)))
    run.log_image("file", source)
    run.finish()
    images = [
        e["data"] for e in read_events(run.path / "events.jsonl").events if e["type"] == "image"
    ]
    assert [img["key"] for img in images] == ["gray", "chw", "pil", "file"]
    assert (
        images[0]["step"] == 1 and images[0]["caption"] == "float gray" and images[1]["step"] == 5
    )
    for img in images:
        with Image.open(run.path / img["path"]) as opened:
            assert opened.size[0] in (4, 8)


def test_a_second_init_finishes_the_previous_run(root: Path) -> None:
    first = start(root, name="first")
    second = start(root, name="second")
    assert read_json(first.path / "status.json")["status"] == "finished"
    assert rn.get_active_run() is second
    second.finish()


def test_finish_twice_is_harmless(root: Path) -> None:
    run = start(root)
    run.finish()
    run.finish("failed")
    assert read_json(run.path / "status.json")["status"] == "finished"


def test_a_run_that_lives_a_while_records_system_metrics(root: Path) -> None:
    run = start(root, system_metrics=True)
    run.log({"train/loss": 0.5})
    time.sleep(1.0)  # a flush interval (0.05 s here), then the sampler's 0.25 s warm-up
    run.finish()
    events = read_events(run.path / "events.jsonl").events
    system = [event for event in events if event["type"] == "system"]
    assert system and "system/cpu_percent" in system[0]["data"]


def test_a_short_run_finishes_without_starting_a_sampler(
    root: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("RUNICORN_FLUSH_INTERVAL", "5")  # the run ends well before its first tick
    run = start(root, system_metrics=True)
    run.log({"train/loss": 0.5})
    run.finish()
    assert run._sampler is None
    assert not any(t.name == "runicorn-system-metrics" for t in threading.enumerate())


def test_runs_of_one_process_share_the_index_and_follow_a_replaced_file(root: Path) -> None:
    from runicorn.storage.backends import SQLiteStorageBackend, index_path

    first = start(root, project="vision", name="resnet50", config={"batch_size": 64})
    first.finish()
    index_file = index_path(root)
    index_file.rename(index_file.with_name("index.db.corrupt-20261201"))  # what reindex does
    for suffix in ("-wal", "-shm"):
        index_file.with_name(index_file.name + suffix).unlink(missing_ok=True)
    second = start(root, project="vision", name="resnet50", config={"batch_size": 128})
    second.log({"train/loss": 0.5})
    second.finish()
    index = SQLiteStorageBackend(index_file)
    try:
        record = index.get(second.id)
    finally:
        index.close()
    assert record is not None and record.config == {"batch_size": 128}
