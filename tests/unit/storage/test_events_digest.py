"""The events digest the SDK stores at finish: a run indexed from it reads exactly as from a
full read of its events, and a digest that does not describe the file is ignored."""

from __future__ import annotations

import dataclasses
import math
import os
import random
import shutil
import signal
import subprocess
import sys
import textwrap
import time
import warnings
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from quiet_runs import start

import runicorn as rn
from runicorn.monitors import NanInf
from runicorn.storage.events_digest import DIGEST_FILE, load_digest
from runicorn.storage.jsonio import loads, read_json
from runicorn.storage.models import ExperimentRecord
from runicorn.storage.run_files import EventsDigest, read_record

KEYS = ("train/loss", "val/acc", "train/grad_norm", "lr", "学习率/warmup")


def canonical(value: Any) -> Any:
    """``value`` with NaN made comparable (NaN != NaN would fail every equal record)."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return canonical(dataclasses.asdict(value))
    if isinstance(value, dict):
        return {key: canonical(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [canonical(item) for item in value]
    if isinstance(value, float) and math.isnan(value):
        return "NaN"
    return value


def indexed_fields(record: ExperimentRecord) -> dict[str, Any]:
    return {
        "metrics": canonical(record.metrics),
        "last_step": record.last_step,
        "summary": canonical(record.summary),
        "alert_events": canonical(record.alert_events),
        "ended_at": record.ended_at,
        "status": record.status,
    }


def full_read(root: Path, run_path: Path) -> ExperimentRecord:
    """The record read with the digest out of the way: every line of the events parsed."""
    digest = run_path / DIGEST_FILE
    aside = run_path.parent / f"{run_path.name}.digest-aside"
    if digest.exists():
        digest.rename(aside)
    try:
        return read_record(root, run_path)
    finally:
        if aside.exists():
            aside.rename(digest)


def assert_digest_reads_as_full(root: Path, run_path: Path, *, used: bool = True) -> None:
    if used:
        assert load_digest(root, run_path) is not None, "the digest was not taken"
    assert indexed_fields(read_record(root, run_path)) == indexed_fields(full_read(root, run_path))


def a_value(rng: random.Random) -> Any:
    roll = rng.random()
    if roll < 0.04:
        return math.nan
    if roll < 0.06:
        return rng.choice([math.inf, -math.inf])
    if roll < 0.08:
        return np.float32(rng.gauss(0, 1))
    if roll < 0.10:
        return rng.randint(-5, 10**6)
    if roll < 0.11:
        return True
    if roll < 0.12:
        return "diverged"  # not a number: the SDK skips it with a warning
    if roll < 0.13:
        return np.float64(-0.0)
    return rng.gauss(1.0, 0.5)


def record_random_run(run: rn.Run, rng: random.Random, steps: int, image_dir: Path) -> None:
    for index in range(steps):
        keys = rng.sample(KEYS, rng.randint(1, len(KEYS)))
        data: dict[str, Any] = {key: a_value(rng) for key in keys}
        roll = rng.random()
        step: Any = None
        if roll < 0.1:
            step = float(rng.randint(0, 3 * steps))  # 7.0 is step 7
        elif roll < 0.2:
            step = np.int64(rng.randint(0, 3 * steps))
        elif roll < 0.25:
            step = rng.randint(0, steps)  # a loop that went back
        if rng.random() < 0.05:
            data["weights/fc1"] = rn.Histogram(np.random.default_rng(index).normal(size=200))
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            run.log(data, step=step, stage=rng.choice([None, "train", "eval"]))
        if rng.random() < 0.02:
            run.log_image("samples/input", np.full((4, 4, 3), index % 255, dtype=np.uint8))
        if rng.random() < 0.02:
            level = rng.choice(["info", "warn"])
            run.alert(f"check {index}", text="loss 学习率 plateau", level=level)
        if rng.random() < 0.05:
            run.summary({"best/acc": rng.random()})
        if rng.random() < 0.01:
            time.sleep(0.06)  # let the writer flush in between: batches of several sizes


@pytest.mark.parametrize("seed", range(6))
def test_a_finished_sdk_run_indexes_from_its_digest_as_from_a_full_read(
    root: Path, tmp_path: Path, seed: int
) -> None:
    rng = random.Random(seed)
    run = start(root, project="vision", name="resnet", monitors=[NanInf("train/loss")])
    record_random_run(run, rng, rng.randint(50, 600), tmp_path)
    run.finish()

    stored = load_digest(root, run.path)
    assert stored is not None
    assert stored.offset == (run.path / "events.jsonl").stat().st_size
    assert stored.rest.events == []
    assert_digest_reads_as_full(root, run.path)
    assert read_record(root, run.path).metrics  # the run did record metrics


def test_a_resumed_run_continues_the_digest_and_an_old_digest_still_covers_its_prefix(
    root: Path, tmp_path: Path
) -> None:
    rng = random.Random(11)
    first = start(root, project="nlp", name="bert", run_id="20261201_101010_abcdef")
    record_random_run(first, rng, 300, tmp_path)
    first.finish()
    old_digest = (first.path / DIGEST_FILE).read_bytes()

    second = start(root, project="nlp", name="bert", run_id=first.id, resume=True)
    record_random_run(second, rng, 300, tmp_path)
    second.finish()
    assert_digest_reads_as_full(root, second.path)

    # The first session's digest describes the first part of the grown file: the lines after
    # it are folded on top, and the result is the same.
    (second.path / DIGEST_FILE).write_bytes(old_digest)
    stored = load_digest(root, second.path)
    assert stored is not None and stored.rest.events
    assert_digest_reads_as_full(root, second.path)


KILLED_SCRIPT = textwrap.dedent(
    """
    import math, os, signal, sys, time
    import runicorn as rn

    run = rn.init(storage=sys.argv[1], project="nlp", name="bert", run_id=sys.argv[2],
                  resume=True, capture_console=False, system_metrics=False, capture_env=False)
    for step in range(200):
        run.log({"train/loss": math.nan if step == 50 else 1.0 / (step + 1), "val/acc": step})
    time.sleep(0.5)
    os.kill(os.getpid(), signal.SIGKILL)
    """
)


def test_a_run_killed_after_resuming_and_a_torn_last_line_read_as_a_full_read(
    root: Path, tmp_path: Path
) -> None:
    rng = random.Random(5)
    first = start(root, project="nlp", name="bert", run_id="20261201_111111_killed")
    record_random_run(first, rng, 200, tmp_path)
    first.finish()

    script = tmp_path / "killed.py"
    script.write_text(KILLED_SCRIPT)
    env = {**os.environ, "RUNICORN_FLUSH_INTERVAL": "0.05"}
    done = subprocess.run(
        [sys.executable, str(script), str(root), first.id], env=env, timeout=60, check=False
    )
    assert done.returncode == -signal.SIGKILL
    events = first.path / "events.jsonl"
    with events.open("ab") as handle:  # killed in the middle of a write
        handle.write(b'{"ts": 1796000000.5, "type": "metrics", "data": {"train/lo')

    record = read_record(root, first.path)
    assert record.metrics["val/acc"].last == 199.0
    assert record.metrics["train/loss"].count >= 200
    assert_digest_reads_as_full(root, first.path)

    # Resumed again: the torn line is ended, so the next run's first line is not lost with it.
    third = start(root, project="nlp", name="bert", run_id=first.id, resume=True)
    third.log({"val/acc": 123456.0})
    third.finish()
    assert read_record(root, first.path).metrics["val/acc"].last == 123456.0
    assert_digest_reads_as_full(root, first.path)


def finished_run(root: Path) -> Path:
    run = start(root, project="vision", name="vit")
    for step in range(1, 301):
        run.log({"train/loss": 1.0 / step, "val/acc": step / 300})
    run.finish()
    return run.path


def test_an_edited_events_file_is_read_not_its_digest(root: Path) -> None:
    path = finished_run(root)
    events = path / "events.jsonl"
    data = events.read_bytes()
    last_line = data.rstrip(b"\n").rsplit(b"\n", 1)[-1]
    value = loads(last_line)["data"]["val/acc"]
    assert value == 1.0
    edited = last_line.replace(b'"val/acc":1.0', b'"val/acc":7.0')
    assert edited != last_line and len(edited) == len(last_line)
    events.write_bytes(data.replace(last_line, edited))

    assert load_digest(root, path) is None
    assert read_record(root, path).metrics["val/acc"].last == 7.0


def test_a_replaced_events_file_is_read_not_its_digest(root: Path) -> None:
    path = finished_run(root)
    events = path / "events.jsonl"
    lines = events.read_bytes().splitlines(keepends=True)
    # Shorter than the digest's offset: it points past the end.
    events.write_bytes(b"".join(lines[:10]))
    assert load_digest(root, path) is None
    assert read_record(root, path).metrics["val/acc"].count == 10

    # Longer, but other bytes before the offset.
    events.write_bytes(b"".join(lines[5:]) + b"".join(lines[:40]))
    assert load_digest(root, path) is None
    assert read_record(root, path).metrics["val/acc"].count == 335


@pytest.mark.parametrize(
    "damage",
    [
        lambda d: b"{not json",
        lambda d: d.replace(b'"version": 1', b'"version": 2'),
        lambda d: d.replace(b'"offset": ', b'"offset": "1'),
        lambda d: d.replace(b'"metrics": [', b'"metrics": {"x": [').replace(b"]\n}", b"]}\n}"),
        lambda d: d.replace(b'"last_step": 300', b'"last_step": 300.5'),
        lambda d: d.replace(b'"val/acc",', b"true,"),
        lambda d: d.replace(b'"alerts": []', b'"alerts": [{"ts": "soon"}]'),
        lambda d: d.replace(b'"last_step": 300', b'"last_step": 1' + b"0" * 400),
        lambda d: b"[]",
    ],
)
def test_a_damaged_digest_is_ignored(root: Path, damage: Any) -> None:
    path = finished_run(root)
    digest = path / DIGEST_FILE
    before = digest.read_bytes()
    digest.write_bytes(damage(before))
    assert digest.read_bytes() != before
    assert load_digest(root, path) is None
    assert_digest_reads_as_full(root, path, used=False)
    assert read_record(root, path).metrics["val/acc"].count == 300


def test_a_digest_leading_outside_the_root_is_not_read(root: Path, tmp_path: Path) -> None:
    path = finished_run(root)
    outside = tmp_path / "elsewhere.json"
    shutil.move(path / DIGEST_FILE, outside)
    (path / DIGEST_FILE).symlink_to(outside)
    assert load_digest(root, path) is None
    assert read_record(root, path).metrics["val/acc"].count == 300


def test_lines_appended_by_another_writer_mid_run_are_not_hidden_by_a_digest(root: Path) -> None:
    run = start(root, project="vision", name="vit")
    run.log({"train/loss": 0.5})
    time.sleep(0.2)  # written
    with (run.path / "events.jsonl").open("ab") as handle:
        handle.write(b'{"ts": 1796000000.0, "type": "metrics", "data": {"foreign/metric": 3.0}}\n')
    run.log({"train/loss": 0.4})
    run.finish()
    assert not (run.path / DIGEST_FILE).exists()
    assert read_record(root, run.path).metrics["foreign/metric"].last == 3.0


def test_a_kept_digest_goes_on_folding_appended_lines(root: Path) -> None:
    """The team server keeps one EventsDigest per run; the stored one only seeds it."""
    path = finished_run(root)
    kept = EventsDigest()
    first = read_record(root, path, events=kept)
    assert first.metrics["val/acc"].count == 300
    with (path / "events.jsonl").open("ab") as handle:
        handle.write(b'{"ts": 1796000001.0, "type": "metrics", "data": {"val/acc": 2.0}}\n')
    again = read_record(root, path, events=kept)
    assert again.metrics["val/acc"].count == 301 and again.metrics["val/acc"].max == 2.0


def test_the_digest_is_small_and_says_what_it_covers(root: Path) -> None:
    path = finished_run(root)
    document = read_json(path / DIGEST_FILE)
    assert document["offset"] == (path / "events.jsonl").stat().st_size
    assert document["last_step"] == 300
    assert (path / DIGEST_FILE).stat().st_size < 2048
