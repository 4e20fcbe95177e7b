"""Stage spans read back from runs the real SDK recorded with the original's ``stage=``."""

from __future__ import annotations

import os
from pathlib import Path

import orjson
import pytest

import runicorn as rn
from runicorn.errors import UnsafePathError
from runicorn.storage.stages import fold_stages, read_stage_spans, stage_cache


def record(root: Path) -> rn.Run:
    run = rn.init(project="cv", name="yolo/ablation", storage=root, system_metrics=False,
                  capture_console=False, capture_env=False)  # fmt: skip
    assert isinstance(run, rn.Run)
    return run


def spans_of(root: Path, run: rn.Run) -> list[dict[str, object]]:
    return [span.to_dict() for span in read_stage_spans(root, run.path / "events.jsonl")]


def test_train_and_val_epochs_become_alternating_spans(tmp_path: Path) -> None:
    run = record(tmp_path)
    for epoch in range(2):
        for step in range(epoch * 12 + 1, epoch * 12 + 11):
            run.log({"train/loss": 1 / step if step != 4 else float("nan")}, stage="train")
        run.log({"val/acc": 0.5 + epoch / 10, "step": epoch * 12 + 11, "stage": "val"})
        run.log(step=epoch * 12 + 12, stage="val", **{"val/loss": 0.3})
    run.log({"lr": 1e-3})  # no stage: not a span
    run.finish()
    assert spans_of(tmp_path, run) == [
        {"stage": "train", "start": 1, "end": 10},
        {"stage": "val", "start": 11, "end": 12},
        {"stage": "train", "start": 13, "end": 22},
        {"stage": "val", "start": 23, "end": 24},
    ]


def test_a_run_without_stages_or_events_has_no_spans(tmp_path: Path) -> None:
    run = record(tmp_path)
    run.log({"train/loss": 0.5})
    run.finish()
    assert spans_of(tmp_path, run) == []
    assert read_stage_spans(tmp_path, tmp_path / "missing" / "events.jsonl") == []


def test_spans_survive_chunk_boundaries_and_a_torn_last_line(tmp_path: Path) -> None:
    run = record(tmp_path)
    for step in range(1, 30_001):  # several MiB: lines straddle the 1 MiB read chunks
        stage = "train" if step <= 20_000 else "val"
        run.log({"train/loss": 1 / step, "学习率": 1e-3}, stage=stage)
    run.finish()
    events = run.path / "events.jsonl"
    with events.open("ab") as handle:
        handle.write(b'{"ts": 1, "type": "metrics", "data": {"global_step": 30001, "sta')
    assert spans_of(tmp_path, run) == [
        {"stage": "train", "start": 1, "end": 20_000},
        {"stage": "val", "start": 20_001, "end": 30_000},
    ]


def test_an_events_file_linked_outside_the_root_is_refused(tmp_path: Path) -> None:
    outside = tmp_path / "outside.jsonl"
    outside.write_text('{"type": "metrics", "data": {"global_step": 1, "stage": "train"}}\n')
    root = tmp_path / "root"
    run_dir = root / "cv" / "run"
    run_dir.mkdir(parents=True)
    os.symlink(outside, run_dir / "events.jsonl")
    with pytest.raises(UnsafePathError):
        read_stage_spans(root, run_dir / "events.jsonl")


def test_fold_keeps_a_stage_change_even_at_the_same_step() -> None:
    spans = fold_stages([("train", 5), ("train", 3), ("val", 5), ("train", 6)])
    assert [(s.stage, s.start, s.end) for s in spans] == [
        ("train", 3, 5),
        ("val", 5, 5),
        ("train", 6, 6),
    ]


def test_a_cached_run_reads_only_what_was_appended_and_a_live_span_grows(tmp_path: Path) -> None:
    events = tmp_path / "cv" / "run" / "events.jsonl"
    events.parent.mkdir(parents=True)

    def append(stage: str, steps: range) -> None:
        with events.open("ab") as handle:
            for step in steps:
                data = {"global_step": step, "train/loss": 1 / step, "stage": stage}
                handle.write(orjson.dumps({"ts": step, "type": "metrics", "data": data}) + b"\n")

    append("train", range(1, 6))
    cache = stage_cache()
    first = cache.get(tmp_path, events)
    assert [s.to_dict() for s in first.spans] == [{"stage": "train", "start": 1, "end": 5}]
    read_to = first.offset
    append("train", range(6, 9))
    append("val", range(9, 10))
    later = cache.get(tmp_path, events)
    assert [s.to_dict() for s in later.spans] == [
        {"stage": "train", "start": 1, "end": 8},  # the open span grew, not a second one
        {"stage": "val", "start": 9, "end": 9},
    ]
    assert 0 < read_to < later.offset == events.stat().st_size


def test_a_replaced_events_file_is_read_again_from_its_start(tmp_path: Path) -> None:
    run = record(tmp_path)
    for step in range(1, 11):
        run.log({"train/loss": 1 / step}, stage="train")
    run.finish()
    cache, events = stage_cache(), run.path / "events.jsonl"
    assert len(cache.get(tmp_path, events).spans) == 1
    events.write_text('{"ts": 1, "type": "metrics", "data": {"global_step": 3, "stage": "val"}}\n')
    assert [s.to_dict() for s in cache.get(tmp_path, events).spans] == [
        {"stage": "val", "start": 3, "end": 3}
    ]
