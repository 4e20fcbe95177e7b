"""Reading ``events.jsonl`` and folding metrics into statistics (storage/events.py)."""

from __future__ import annotations

import math
from pathlib import Path

import pytest

import runicorn as rn
from runicorn.storage.events import (
    MetricStats,
    file_size,
    metric_stats_of,
    parse_event_bytes,
    read_events,
)


def finished_run(root: Path, values: list[dict[str, float]]) -> rn.Run:
    run = rn.init(project="p", name="n", storage=root, capture_console=False, capture_env=False,
                  system_metrics=False)  # fmt: skip
    assert isinstance(run, rn.Run)
    for row in values:
        run.log(row)
    run.finish()
    return run


def test_sdk_written_events_are_read_in_order(root: Path) -> None:
    run = finished_run(root, [{"loss": 3.0}, {"loss": 2.0}, {"loss": 1.0}])
    chunk = read_events(run.path / "events.jsonl")
    assert [e["data"]["loss"] for e in chunk.events] == [3.0, 2.0, 1.0]
    assert [e["data"]["global_step"] for e in chunk.events] == [1, 2, 3]
    assert all(e["type"] == "metrics" for e in chunk.events)
    assert chunk.next_offset == file_size(run.path / "events.jsonl")
    assert chunk.skipped_lines == 0


def test_torn_last_line_is_ignored(root: Path) -> None:
    run = finished_run(root, [{"loss": 1.0}, {"loss": 0.5}])
    events = run.path / "events.jsonl"
    complete = file_size(events)
    with open(events, "ab") as handle:
        handle.write(b'{"ts": 1.0, "type": "metrics", "data": {"loss": 0.2')
    chunk = read_events(events)
    assert len(chunk.events) == 2
    assert chunk.skipped_lines == 0
    assert chunk.next_offset == complete


def test_torn_line_is_read_once_completed(root: Path) -> None:
    run = finished_run(root, [{"loss": 1.0}])
    events = run.path / "events.jsonl"
    with open(events, "ab") as handle:
        handle.write(b'{"ts": 2.0, "type": "metrics", "data": {"loss": 0.2,')
    first = read_events(events)
    with open(events, "ab") as handle:
        handle.write(b' "global_step": 2, "time": 2.0}}\n')
    second = read_events(events, first.next_offset)
    assert [e["data"]["loss"] for e in second.events] == [0.2]
    assert second.next_offset == file_size(events)
    assert read_events(events, second.next_offset).events == []


def test_reading_from_the_end_offset_returns_nothing_new(root: Path) -> None:
    run = finished_run(root, [{"loss": 1.0}])
    chunk = read_events(run.path / "events.jsonl")
    again = read_events(run.path / "events.jsonl", chunk.next_offset)
    assert again.events == []
    assert again.next_offset == chunk.next_offset


def test_data_without_any_newline_is_left_for_later() -> None:
    chunk = parse_event_bytes(b'{"type": "metrics"', offset=40)
    assert chunk.events == []
    assert chunk.next_offset == 40


def test_corrupt_complete_line_is_skipped_and_counted() -> None:
    data = (
        b'{"type": "metrics", "data": {"loss": 1.0, "global_step": 1}}\n'
        b"garbage that is not json\n"
        b"[1, 2, 3]\n"
        b"\n"
        b'{"type": "metrics", "data": {"loss": 0.5, "global_step": 2}}\n'
    )
    chunk = parse_event_bytes(data)
    assert [e["data"]["loss"] for e in chunk.events] == [1.0, 0.5]
    assert chunk.skipped_lines == 2
    assert chunk.next_offset == len(data)


def test_offsets_count_bytes_of_multibyte_text() -> None:
    data = '{"type": "text", "data": {"msg": "中文"}}\n'.encode()
    chunk = parse_event_bytes(data, offset=10)
    assert chunk.next_offset == 10 + len(data)


def test_missing_events_file_reads_as_empty(tmp_path: Path) -> None:
    chunk = read_events(tmp_path / "events.jsonl", offset=7)
    assert (chunk.events, chunk.next_offset) == ([], 7)
    assert file_size(tmp_path / "events.jsonl") == 0


def test_stats_keep_last_min_max_count_and_step(root: Path) -> None:
    run = finished_run(root, [{"loss": 3.0}, {"loss": 1.0}, {"loss": 2.0}])
    record = metric_stats_of(run.path / "events.jsonl").records["loss"]
    assert (record.last, record.min, record.max, record.count, record.step) == (2.0, 1.0, 3.0, 3, 3)


def test_nan_is_counted_and_can_be_last_but_never_min_or_max(root: Path) -> None:
    run = finished_run(root, [{"loss": math.nan}, {"loss": 2.0}, {"loss": 1.0}, {"loss": math.nan}])
    record = metric_stats_of(run.path / "events.jsonl").records["loss"]
    assert math.isnan(record.last)  # type: ignore[arg-type]
    assert (record.min, record.max, record.count, record.step) == (1.0, 2.0, 4, 4)


def test_a_series_of_only_nan_has_no_min_or_max() -> None:
    stats = MetricStats()
    stats.add({"loss": "NaN", "global_step": 1})
    stats.add({"loss": math.nan, "global_step": 2})
    record = stats.records["loss"]
    assert (record.min, record.max, record.count) == (None, None, 2)


def test_infinities_are_extremes(root: Path) -> None:
    run = finished_run(root, [{"x": 1.0}, {"x": math.inf}, {"x": -math.inf}])
    record = metric_stats_of(run.path / "events.jsonl").records["x"]
    assert (record.min, record.max, record.last) == (-math.inf, math.inf, -math.inf)


def test_reserved_and_non_numeric_values_are_not_metrics() -> None:
    stats = MetricStats()
    stats.add({"loss": 1, "global_step": 5, "time": 123.0, "stage": "train", "note": "text",
               "none": None, "flag": True})  # fmt: skip
    assert set(stats.records) == {"loss", "flag"}
    assert stats.records["flag"].last == 1.0
    assert stats.last_step == 5


def test_last_step_is_the_highest_step_seen(root: Path) -> None:
    run = rn.init(project="p", name="n", storage=root, capture_console=False, capture_env=False,
                  system_metrics=False)  # fmt: skip
    run.log({"loss": 1.0}, step=10)
    run.log({"val/loss": 2.0}, step=4)
    run.finish()
    stats = metric_stats_of(run.path / "events.jsonl")
    assert stats.last_step == 10
    assert stats.records["val/loss"].step == 4


def test_only_metrics_events_feed_the_stats(root: Path) -> None:
    run = rn.init(project="p", name="n", storage=root, capture_console=False, capture_env=False,
                  system_metrics=False)  # fmt: skip
    run.log({"loss": 1.0})
    run.log_image("sample", [[0, 1], [1, 0]], step=1)
    run.finish()
    stats = MetricStats()
    stats.add_events(read_events(run.path / "events.jsonl").events)
    stats.add_events([{"ts": 1.0, "type": "system", "data": {"system/cpu": 50.0}}])
    assert set(stats.records) == {"loss"}


def test_events_without_a_type_are_metrics() -> None:
    stats = MetricStats()
    stats.add_events([{"data": {"loss": 0.3, "global_step": 1}}, {"type": "metrics", "data": "x"}])
    assert stats.records["loss"].last == 0.3


@pytest.mark.parametrize("step", ["7", 7.0, None])
def test_non_integer_steps_do_not_move_the_step(step: object) -> None:
    stats = MetricStats()
    stats.add({"loss": 1.0, "global_step": step})
    assert stats.last_step == 0
    assert stats.records["loss"].step is None


BATCHES = {
    "plain": [{"loss": 3.0, "global_step": 1}, {"loss": 1.0, "global_step": 2}],
    "mixed_keys": [
        {"loss": 3.0, "acc": 0.1, "global_step": 1},
        {"val/loss": 2.0, "global_step": 1},
        {"loss": 2.0, "acc": 0.2, "global_step": 2},
        {"acc": 0.3, "global_step": 3},
    ],
    "nonfinite": [
        {"loss": math.nan, "global_step": 1},
        {"loss": math.inf, "global_step": 2},
        {"loss": 1.0, "global_step": 3},
        {"loss": math.nan, "global_step": 4},
    ],
    "all_nan": [{"loss": math.nan, "global_step": 1}, {"loss": math.nan, "global_step": 2}],
    "step_goes_back": [{"loss": 1.0, "global_step": 10}, {"loss": 2.0, "global_step": 4}],
    "ints_and_bools": [
        {"n": 3, "flag": True, "global_step": 1},
        {"n": 5, "flag": False, "global_step": 2},
    ],
    "with_stage": [{"loss": 1.0, "global_step": 1, "time": 5.0, "stage": "train"}],
}


def _comparable(stats: MetricStats) -> tuple[int, dict[str, dict[str, object]]]:
    return stats.last_step, {
        key: {k: ("nan" if isinstance(v, float) and math.isnan(v) else v)
              for k, v in record.to_dict().items()}
        for key, record in stats.records.items()
    }  # fmt: skip


@pytest.mark.parametrize("name", list(BATCHES))
def test_batched_stats_equal_row_by_row_stats(name: str) -> None:
    rows = BATCHES[name]
    one_by_one = MetricStats()
    for row in rows:
        one_by_one.add(row)
    batched = MetricStats()
    batched.add_batch(rows)
    assert _comparable(batched) == _comparable(one_by_one)


def test_batches_continue_from_earlier_batches() -> None:
    rows = BATCHES["mixed_keys"] + BATCHES["nonfinite"]
    one_by_one = MetricStats()
    for row in rows:
        one_by_one.add(row)
    batched = MetricStats()
    batched.add_batch(rows[:3])
    batched.add_batch(rows[3:])
    assert _comparable(batched) == _comparable(one_by_one)


def test_lines_ending_in_crlf_are_read() -> None:
    data = (
        b'{"type": "metrics", "data": {"loss": 1.0}}\r\n'
        b'{"type": "metrics", "data": {"loss": NaN}}\r\n'
    )
    chunk = parse_event_bytes(data)
    assert chunk.events[0]["data"]["loss"] == 1.0
    assert math.isnan(chunk.events[1]["data"]["loss"])
    assert chunk.skipped_lines == 0


def test_a_block_of_nul_bytes_loses_only_the_garbage() -> None:
    """Issue 8 item 11: NULs left by a crash before a line never take that line with them."""
    first = b'{"ts": 1.0, "type": "metrics", "data": {"train/loss": 0.9, "global_step": 1}}\n'
    second = b'{"ts": 2.0, "type": "metrics", "data": {"train/loss": 0.8, "global_step": 2}}\n'
    third = b'{"ts": 3.0, "type": "metrics", "data": {"val/acc": 0.5, "global_step": 2}}'
    data = first + b"\0" * 4096 + second + third.replace(b"}}", b"}}\0\0\0") + b"\n"
    chunk = parse_event_bytes(data)
    assert [e["data"]["global_step"] for e in chunk.events] == [1, 2, 2]
    assert chunk.next_offset == len(data) and chunk.skipped_lines == 0
    # A NUL tail with no newline after it may still be written over (NFS): left for later.
    pending = parse_event_bytes(first + b"\0" * 16)
    assert pending.next_offset == len(first)
