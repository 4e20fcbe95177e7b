"""Taking a local root into the server: idempotent by offsets, only appended bytes, whole
lines only, and the server's run folder equal to the local one."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pytest

import runicorn as rn
from runicorn.server.ingest import SegmentConflictError, ingest_root, ingest_segment
from runicorn.server.objects import segment_key_parts
from runicorn.storage.events import EVENTS_FILE


def live_run(root: Path) -> Any:
    return rn.init(
        project="vision", name="resnet", storage=root, config={"batch_size": 64},
        system_metrics=False, capture_console=False, capture_env=False,
    )  # fmt: skip


def wait_for_lines(path: Path, lines: int) -> None:
    """Until the SDK's writer thread has appended ``lines`` metric lines."""
    deadline = time.monotonic() + 10
    while not path.exists() or path.read_bytes().count(b'"metrics"') < lines:
        assert time.monotonic() < deadline, "the SDK did not flush"
        time.sleep(0.05)


def test_ingesting_twice_sends_nothing_the_second_time(server_backend: Any, root: Path) -> None:
    run = live_run(root)
    for step in range(1, 101):
        run.log({"train/loss": 1 / step})
    run.finish()
    first = ingest_root(server_backend, root)
    assert first.runs == [run.id] and first.bytes_appended > 0 and first.documents >= 2
    second = ingest_root(server_backend, root)
    assert second.bytes_appended == 0 and second.documents == 0
    assert len(server_backend.index.segments(run.id, EVENTS_FILE)) == 1


def test_a_growing_run_sends_only_the_new_bytes(server_backend: Any, root: Path) -> None:
    run = live_run(root)
    for step in range(1, 51):
        run.log({"train/loss": 1 / step})
    run.summary({"best": 1})
    rn_path = root / "vision" / "resnet" / "runs" / run.id / EVENTS_FILE
    wait_for_lines(rn_path, 50)
    ingest_root(server_backend, root)
    size_before = server_backend.index.segment_end(run.id, EVENTS_FILE)
    for step in range(51, 201):
        run.log({"train/loss": 1 / step})
    run.finish()
    report = ingest_root(server_backend, root)
    local = rn_path.read_bytes()
    assert report.bytes_appended == len(local) - size_before
    segments = server_backend.index.segments(run.id, EVENTS_FILE)
    assert [s for s, _ in segments][:2] == [0, size_before]
    record = server_backend.get_run(run.id)
    assert record.status == "finished" and record.metrics["train/loss"].count == 200
    served = server_backend.path_of(record) / EVENTS_FILE
    assert served.read_bytes() == local


def test_resending_an_offset_is_a_no_op_and_gaps_are_refused(
    server_backend: Any, root: Path
) -> None:
    run = live_run(root)
    run.log({"loss": 1.0})
    run.finish()
    ingest_root(server_backend, root)
    record = server_backend.get_run(run.id)
    end = server_backend.index.segment_end(run.id, EVENTS_FILE)
    assert ingest_segment(server_backend, run.id, record.path, EVENTS_FILE, 0, b"x\n") is False
    key = server_backend.store.run_key(record.path, *segment_key_parts(EVENTS_FILE, 0))
    assert key.endswith(f"/runs/{run.id}/events/0.jsonl") and key.startswith("team/runs/")
    with pytest.raises(SegmentConflictError, match="gap"):
        ingest_segment(server_backend, run.id, record.path, EVENTS_FILE, end + 10, b"{}\n")
    with pytest.raises(SegmentConflictError, match="overlaps"):
        ingest_segment(server_backend, run.id, record.path, EVENTS_FILE, end - 1, b"{}\n")
    line = b'{"ts": 1.0, "type": "metrics", "data": {"loss": 0.5, "global_step": 2}}\n'
    assert ingest_segment(server_backend, run.id, record.path, EVENTS_FILE, end, line) is True
    assert ingest_segment(server_backend, run.id, record.path, EVENTS_FILE, end, line) is False
    assert server_backend.index.segment_end(run.id, EVENTS_FILE) == end + len(line)


def test_a_torn_last_line_waits_until_it_is_whole(server_backend: Any, root: Path) -> None:
    run = live_run(root)
    run.log({"loss": 1.0})
    run.finish()
    events = root / "vision" / "resnet" / "runs" / run.id / EVENTS_FILE
    whole = events.read_bytes()
    with open(events, "ab") as handle:
        handle.write(b'{"ts": 2.0, "type": "metr')
    ingest_root(server_backend, root)
    assert server_backend.index.segment_end(run.id, EVENTS_FILE) == len(whole)
    with open(events, "ab") as handle:
        handle.write(b'ics", "data": {"loss": 0.25, "global_step": 2}}\n')
    ingest_root(server_backend, root)
    assert server_backend.index.segment_end(run.id, EVENTS_FILE) == events.stat().st_size


def test_a_segment_this_process_stored_is_appended_to_its_cache_without_a_fetch(
    server_backend: Any, root: Path
) -> None:
    run = live_run(root)
    events = root / "vision" / "resnet" / "runs" / run.id / EVENTS_FILE
    for step in range(1, 51):
        run.log({"train/loss": 1 / step, "weight decay": 0.01})
    wait_for_lines(events, 50)
    ingest_root(server_backend, root)
    cached = server_backend.path_of(server_backend.get_run(run.id)) / EVENTS_FILE
    assert cached.read_bytes() == events.read_bytes()

    fetched: list[str] = []
    store_get = server_backend.store.get

    def counting_get(key: str) -> bytes:
        fetched.append(key)
        data: bytes = store_get(key)
        return data

    server_backend.store.get = counting_get
    for step in range(51, 101):
        run.log({"train/loss": 1 / step, "weight decay": 0.01})
    wait_for_lines(events, 100)
    ingest_root(server_backend, root)
    record = server_backend.get_run(run.id)

    assert cached.read_bytes() == events.read_bytes()
    assert record.metrics["train/loss"].count == 100
    assert not [key for key in fetched if "/events/" in key], "the new segment was fetched back"
    run.finish()


def test_a_segment_that_does_not_continue_the_cached_file_is_left_to_the_next_refresh(
    server_backend: Any, root: Path
) -> None:
    run = live_run(root)
    for step in range(1, 21):
        run.log({"train/loss": 1 / step})
    run.finish()
    ingest_root(server_backend, root)
    record = server_backend.get_run(run.id)
    cached = server_backend.path_of(record) / EVENTS_FILE
    before = cached.read_bytes()

    # Past the end (a gap) and before it (an overlap): neither is written into the cache.
    server_backend.cache.accept_segment(run.id, record.path, EVENTS_FILE, len(before) + 5, b"x\n")
    server_backend.cache.accept_segment(run.id, record.path, EVENTS_FILE, 3, b"x\n")
    assert cached.read_bytes() == before
    # A run this process has no cache folder for gets none made by a stored segment.
    other = server_backend.cache.folder("vision/other/runs/20261201_120000_abcdef")
    server_backend.cache.accept_segment(
        "20261201_120000_abcdef",
        "vision/other/runs/20261201_120000_abcdef",
        EVENTS_FILE,
        0,
        b"{}\n",
    )
    assert not other.exists()
