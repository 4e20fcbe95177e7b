"""The framed stream of new runs: the sender's frames and the receiver's checks."""

from __future__ import annotations

import asyncio
import io
import json
import time
import zlib
from pathlib import Path
from typing import Any

import pytest

from runicorn.manifest.send_script import send
from runicorn.manifest.stream import Frame, StreamRefused, StreamRequest, read_frames


def _frames(payload: bytes, requests: list[StreamRequest]) -> list[Frame]:
    async def collect() -> list[Frame]:
        reader = asyncio.StreamReader()
        reader.feed_data(payload)
        reader.feed_eof()
        return [frame async for frame in read_frames(reader, requests)]

    return asyncio.run(collect())


def _frame(path: str, data: bytes, *, at: int = 0, end: bool = True, n: int | None = None) -> bytes:
    packed = zlib.compress(data)
    header = {"path": path, "at": at, "n": len(data) if n is None else n, "z": len(packed)}
    return json.dumps({**header, "end": end}).encode() + b"\n" + packed


EVENTS = "vision/resnet50/runs/20261201_101500_a1b2c3/events.jsonl"
META = "vision/resnet50/runs/20261201_101500_a1b2c3/meta.json"
LINES = b'{"ts": 1.0, "type": "metrics", "data": {"train/loss": 0.5, "global_step": 1}}\n' * 3


def test_the_sender_streams_exactly_the_manifest_sizes_in_order(tmp_path: Path) -> None:
    run = tmp_path / "vision" / "resnet50" / "runs" / "20261201_101500_a1b2c3"
    run.mkdir(parents=True)
    (run / "events.jsonl").write_bytes(LINES + b'{"ts": 2.0, "type": "met')  # a line in progress
    (run / "meta.json").write_text('{"name": "resnet50", "学习率": 0.0003}', encoding="utf-8")
    meta_size = (run / "meta.json").stat().st_size
    requests = [StreamRequest(EVENTS, len(LINES), False), StreamRequest(META, meta_size, True)]
    out = io.BytesIO()

    send(str(tmp_path), [r.as_tuple() for r in requests], out)
    frames = _frames(out.getvalue(), requests)

    assert [(f.rel, f.data, f.end) for f in frames] == [
        (EVENTS, LINES, True),
        (META, (run / "meta.json").read_bytes(), True),
    ]


def test_the_sender_skips_a_document_that_changed_and_a_link(tmp_path: Path) -> None:
    run = tmp_path / "vision" / "resnet50" / "runs" / "20261201_101500_a1b2c3"
    run.mkdir(parents=True)
    (run / "meta.json").write_text('{"name": "resnet50"}')
    secret = tmp_path / "secret.txt"
    secret.write_bytes(LINES)
    (run / "events.jsonl").symlink_to(secret)
    requests = [StreamRequest(META, 5, True), StreamRequest(EVENTS, len(LINES), False)]
    out = io.BytesIO()

    send(str(tmp_path), [r.as_tuple() for r in requests], out)
    frames = _frames(out.getvalue(), requests)

    assert [f.skip is not None for f in frames] == [True, True]
    assert all(f.data == b"" for f in frames)


@pytest.mark.parametrize(
    ("payload", "reason"),
    [
        (_frame("../../../etc/cron.d/x", LINES), "where"),
        (_frame(EVENTS, LINES + b"more\n"), "manifest says"),
        (_frame(EVENTS, LINES, at=7), "manifest says"),
        (_frame(EVENTS, LINES, end=False), "wrong size"),
        (_frame(EVENTS, LINES, n=len(LINES) - 1), "ends the file at the wrong size"),
        (_frame(EVENTS, LINES[:-4], end=False, n=len(LINES) - 4) + b"garbage", "broke"),
        (b'{"path": "%s", "at": 0, "n": 10, "z": 2, "end": false}\nxx' % EVENTS.encode(), "zlib"),
        (b"not json\n", "not JSON"),
        (b"", "ended"),
    ],
)
def test_a_frame_that_differs_from_the_request_is_refused(payload: bytes, reason: str) -> None:
    requests = [StreamRequest(EVENTS, len(LINES), False)]
    with pytest.raises(StreamRefused, match=reason):
        _frames(payload, requests)


def test_a_body_that_inflates_to_another_size_is_refused() -> None:
    packed = zlib.compress(LINES * 2)
    header = {"path": EVENTS, "at": 0, "n": len(LINES), "z": len(packed), "end": True}
    payload = json.dumps(header).encode() + b"\n" + packed
    with pytest.raises(StreamRefused, match="another size"):
        _frames(payload, [StreamRequest(EVENTS, len(LINES), False)])


def test_frames_sent_as_they_are_at_level_zero_are_checked_alike(tmp_path: Path) -> None:
    run = tmp_path / "vision" / "resnet50" / "runs" / "20261201_101500_a1b2c3"
    run.mkdir(parents=True)
    (run / "events.jsonl").write_bytes(LINES * 2)
    requests = [StreamRequest(EVENTS, len(LINES) * 2, False, start=len(LINES))]
    out = io.BytesIO()

    send(str(tmp_path), [r.as_tuple() for r in requests], out, level=0)

    assert [f.data for f in _frames(out.getvalue(), requests)] == [LINES]
    short = [StreamRequest(EVENTS, len(LINES) * 2 - 1, False, start=len(LINES))]
    with pytest.raises(StreamRefused, match="manifest says"):
        _frames(out.getvalue(), short)


def test_a_frame_larger_than_the_sender_ever_sends_is_refused_before_its_body_is_read() -> None:
    huge = 64 << 30  # a hostile source declaring a 64 GiB file and one frame for all of it
    header = {"path": EVENTS, "at": 0, "n": huge, "end": True}
    payload = json.dumps(header).encode() + b"\n" + b"x" * 1024
    with pytest.raises(StreamRefused, match="at most"):
        _frames(payload, [StreamRequest(EVENTS, huge, False)])


class _Link(io.BytesIO):
    """An output draining at ``rate`` bytes per second, as a network link would."""

    def __init__(self, rate: float) -> None:
        super().__init__()
        self.rate = rate

    def write(self, data: Any) -> int:
        time.sleep(len(data) / self.rate)
        return super().write(data)


def _long_run(tmp_path: Path) -> tuple[list[StreamRequest], bytes]:
    run = tmp_path / "vision" / "resnet50" / "runs" / "20261201_101500_a1b2c3"
    run.mkdir(parents=True)
    lines = b"".join(
        b'{"ts": %d.25, "type": "metrics", "data": {"train/loss": %.6f, "val/acc": %.4f, '
        b'"global_step": %d}}\n' % (1_796_000_000 + step, 2.0 / (step + 1), step / (step + 9), step)
        for step in range(150_000)
    )  # ~17 MB: five chunks
    (run / "events.jsonl").write_bytes(lines)
    return [StreamRequest(EVENTS, len(lines), False)], lines


def _compressed_frames(payload: bytes) -> list[bool]:
    """For each frame header in ``payload``, whether its body was compressed."""
    flags, at = [], 0
    while at < len(payload):
        end = payload.index(b"\n", at)
        header = json.loads(payload[at:end])
        flags.append("z" in header)
        at = end + 1 + header.get("z", header["n"])
    return flags


def test_auto_level_sends_as_they_are_where_the_output_drains_faster_than_zlib(
    tmp_path: Path,
) -> None:
    requests, lines = _long_run(tmp_path)
    out = io.BytesIO()  # drains at memory speed, as loopback nearly does

    send(str(tmp_path), [r.as_tuple() for r in requests], out)

    assert b"".join(f.data for f in _frames(out.getvalue(), requests)) == lines
    # The first chunk is compressed (nothing measured yet); the rest go as they are.
    assert _compressed_frames(out.getvalue()) == [True] + [False] * 4


def test_auto_level_compresses_over_a_slow_link(tmp_path: Path) -> None:
    requests, lines = _long_run(tmp_path)
    out = _Link(rate=20e6)  # 160 Mbit/s

    send(str(tmp_path), [r.as_tuple() for r in requests], out)

    assert b"".join(f.data for f in _frames(out.getvalue(), requests)) == lines
    assert _compressed_frames(out.getvalue()) == [True] * 5
    assert len(out.getvalue()) < len(lines) / 3
