"""The metric cache: columnar, incremental, safe with torn lines and replaced files, persisted."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import orjson
import pytest

import runicorn as rn
from runicorn.viewer.utils import cache as cache_module
from runicorn.viewer.utils.cache import MetricCache


def metric_line(step: int, **values: object) -> bytes:
    data = {**values, "global_step": step, "time": 1000.0 + step}
    return orjson.dumps({"ts": 1000.0 + step, "type": "metrics", "data": data}) + b"\n"


def system_line(ts: float, **values: object) -> bytes:
    return orjson.dumps({"ts": ts, "type": "system", "data": values}) + b"\n"


def append(path: Path, data: bytes) -> None:
    with open(path, "ab") as handle:
        handle.write(data)


@pytest.fixture
def events(tmp_path: Path) -> Path:
    return tmp_path / "run" / "events.jsonl"


@pytest.fixture
def cache() -> MetricCache:
    return MetricCache(None)


def test_reads_a_run_written_by_the_sdk(root: Path, cache: MetricCache) -> None:
    run = rn.init(project="p", name="n", storage=root, system_metrics=False)
    for _ in range(20):
        run.log({"loss": 1.0, "acc": 0.5})
    run.log({"val/loss": float("nan")}, step=10)
    run.log_image("img", np.zeros((2, 2, 3), dtype=np.uint8), step=3, caption="hi")
    run.finish()
    snap = cache.get(run.id, Path(run.path) / "events.jsonl")
    assert snap.metric_keys() == ["acc", "loss", "val/loss"]
    loss = snap.series("loss")
    np.testing.assert_array_equal(loss.step, np.arange(1, 21))
    assert loss.time.shape == (20,) and np.all(loss.time > 1e9)
    val = snap.series("val/loss")
    assert val.step is not None and val.step.tolist() == [10.0]
    assert np.isnan(val.value[0])
    assert snap.media[0]["key"] == "img" and snap.media[0]["caption"] == "hi"
    assert snap.t0 is not None


def test_only_appended_bytes_are_parsed(events: Path, cache: MetricCache, monkeypatch) -> None:
    events.parent.mkdir()
    events.write_bytes(b"".join(metric_line(s, loss=float(s)) for s in range(1, 101)))
    first = cache.get("r", events)
    assert first.count("loss") == 100
    parsed: list[int] = []
    real = cache_module._decode_lines
    monkeypatch.setattr(cache_module, "_decode_lines", lambda d: parsed.append(len(d)) or real(d))
    extra = b"".join(metric_line(s, loss=float(s)) for s in range(101, 111))
    append(events, extra)
    second = cache.get("r", events)
    assert parsed == [len(extra)]
    assert second.count("loss") == 110
    assert second.series("loss").value[-1] == 110.0
    assert first.count("loss") == 100  # an old snapshot does not change
    assert second.generation == first.generation
    assert cache.get("r", events).offset == events.stat().st_size
    assert parsed == [len(extra)]


def test_torn_last_line_appears_once_completed(events: Path, cache: MetricCache) -> None:
    events.parent.mkdir()
    line = metric_line(2, loss=2.0)
    events.write_bytes(metric_line(1, loss=1.0) + line[:17])
    assert cache.get("r", events).series("loss").value.tolist() == [1.0]
    assert cache.get("r", events).series("loss").value.tolist() == [1.0]
    append(events, line[17:])
    assert cache.get("r", events).series("loss").value.tolist() == [1.0, 2.0]
    append(events, metric_line(3, loss=3.0))
    assert cache.get("r", events).series("loss").value.tolist() == [1.0, 2.0, 3.0]


def test_file_that_shrank_or_was_replaced_is_rebuilt(events: Path, cache: MetricCache) -> None:
    events.parent.mkdir()
    events.write_bytes(b"".join(metric_line(s, loss=1.0) for s in range(1, 51)))
    before = cache.get("r", events)
    events.write_bytes(metric_line(1, loss=9.0))
    shrunk = cache.get("r", events)
    assert shrunk.series("loss").value.tolist() == [9.0]
    assert shrunk.generation > before.generation
    replacement = events.with_name("new.jsonl")
    replacement.write_bytes(b"".join(metric_line(s, other=2.0) for s in range(1, 80)))
    os.replace(replacement, events)
    replaced = cache.get("r", events)
    assert replaced.metric_keys() == ["other"]
    assert replaced.generation > shrunk.generation


def test_rewritten_in_place_with_same_length_prefix_is_rebuilt(
    events: Path, cache: MetricCache
) -> None:
    events.parent.mkdir()
    events.write_bytes(metric_line(1, loss=1.0))
    cache.get("r", events)
    with open(events, "r+b") as handle:  # same inode, longer, different head
        handle.write(metric_line(1, loss=5.0) + metric_line(2, loss=6.0))
    assert cache.get("r", events).series("loss").value.tolist() == [5.0, 6.0]


def test_system_series_have_time_but_no_step(events: Path, cache: MetricCache) -> None:
    events.parent.mkdir()
    events.write_bytes(
        system_line(999.0, **{"system/cpu": 10.0})
        + metric_line(1, loss=1.0)
        + system_line(1005.0, **{"system/cpu": 20.0, "system/mem": 3.0})
        + metric_line(2, loss=0.5)
    )
    snap = cache.get("r", events)
    assert snap.metric_keys() == ["loss", "system/cpu", "system/mem"]
    cpu = snap.series("system/cpu")
    assert cpu.step is None and cpu.table == "system"
    assert cpu.time.tolist() == [999.0, 1005.0]
    mem = snap.series("system/mem")
    assert mem.time.tolist() == [1005.0]
    assert snap.series("loss").step.tolist() == [1.0, 2.0]  # system rows never shift steps
    assert snap.t0 == 999.0


def test_sparse_keys_and_mixed_layouts_keep_their_steps(events: Path, cache: MetricCache) -> None:
    events.parent.mkdir()
    lines = []
    for s in range(1, 101):
        lines.append(metric_line(s, loss=float(s), acc=s / 100))
        if s % 10 == 0:
            lines.append(metric_line(s, **{"val/loss": float(-s)}))
        if s == 50:
            lines.append(metric_line(s, lr=0.1, stage="train"))
    events.write_bytes(b"".join(lines[:57]))
    cache.get("r", events)
    events.write_bytes(b"".join(lines))  # the same prefix, grown: incremental
    snap = cache.get("r", events)
    val = snap.series("val/loss")
    assert val.step.tolist() == [float(s) for s in range(10, 101, 10)]
    assert val.value.tolist() == [float(-s) for s in range(10, 101, 10)]
    assert snap.series("lr").step.tolist() == [50.0]
    assert snap.series("loss").step.tolist() == [float(s) for s in range(1, 101)]
    assert "stage" not in snap.metric_keys()
    since = snap.series_since("val/loss", 8)
    assert since.step.tolist() == [90.0, 100.0]


def test_nonfinite_tokens_bad_lines_and_odd_values(events: Path, cache: MetricCache) -> None:
    events.parent.mkdir()
    events.write_bytes(
        metric_line(1, loss="NaN", up="Infinity", down="-Infinity")
        + b'{"ts": 1002, "type": "metrics", "data": {"loss": NaN, "global_step": 2}}\n'
        + b"not json at all\n"
        + b"\n"
        + metric_line(3, loss=3.0, name="text value", flag=True)
        + b'{"ts": 1004, "type": "metrics", "data": {"loss": 4.0}}\n'
    )
    snap = cache.get("r", events)
    loss = snap.series("loss")
    assert np.isnan(loss.value[:2]).all() and loss.value[2:].tolist() == [3.0, 4.0]
    assert np.isnan(loss.step[3])  # no global_step: no step
    assert loss.time.tolist() == [1001.0, 1002.0, 1003.0, 1004.0]
    assert snap.series("up").value[0] == np.inf and snap.series("down").value[0] == -np.inf
    assert "name" not in snap.metric_keys()
    assert snap.series("flag").value.tolist() == [1.0]


def test_missing_file_is_empty(events: Path, cache: MetricCache) -> None:
    snap = cache.get("r", events)
    assert snap.metric_keys() == [] and snap.offset == 0


def test_lru_is_bounded_by_bytes(tmp_path: Path) -> None:
    cache = MetricCache(None, max_bytes=300_000)
    paths = []
    for i in range(5):
        path = tmp_path / f"r{i}.jsonl"
        path.write_bytes(b"".join(metric_line(s, a=1.0, b=2.0) for s in range(1, 3001)))
        paths.append(path)
        cache.get(f"r{i}", path)
    assert cache.nbytes <= 300_000
    assert "r4" in cache._entries


def test_persisted_cache_makes_a_restarted_viewer_warm(
    tmp_path: Path, events: Path, monkeypatch
) -> None:
    events.parent.mkdir()
    events.write_bytes(b"".join(metric_line(s, loss=float(s), acc=1.0) for s in range(1, 2001)))
    cache_dir = tmp_path / "cache"
    first = MetricCache(cache_dir, persist_min_bytes=0)
    expected = first.get("r", events).series("loss").value.copy()
    first.close()
    assert (cache_dir / "r.npz").is_file()

    parsed: list[int] = []
    real = cache_module._decode_lines
    monkeypatch.setattr(cache_module, "_decode_lines", lambda d: parsed.append(len(d)) or real(d))
    second = MetricCache(cache_dir, persist_min_bytes=0)
    snap = second.get("r", events)
    assert parsed == []
    np.testing.assert_array_equal(snap.series("loss").value, expected)
    append(events, metric_line(2001, loss=1.5))
    assert second.get("r", events).series("loss").value[-1] == 1.5
    assert len(parsed) == 1
    second.close()


def test_persisted_cache_of_another_file_is_ignored(tmp_path: Path, events: Path) -> None:
    events.parent.mkdir()
    events.write_bytes(b"".join(metric_line(s, loss=1.0) for s in range(1, 100)))
    cache_dir = tmp_path / "cache"
    first = MetricCache(cache_dir, persist_min_bytes=0)
    first.get("r", events)
    first.close()
    events.unlink()
    events.write_bytes(b"".join(metric_line(s, loss=2.0) for s in range(1, 10)))
    second = MetricCache(cache_dir, persist_min_bytes=0)
    assert second.get("r", events).series("loss").value.tolist() == [2.0] * 9
    (cache_dir / "r.npz").write_bytes(b"garbage")
    third = MetricCache(cache_dir)
    assert third.get("r", events).count("loss") == 9


def test_forget_removes_memory_and_file(tmp_path: Path, events: Path) -> None:
    events.parent.mkdir()
    events.write_bytes(metric_line(1, loss=1.0))
    cache = MetricCache(tmp_path / "cache", persist_min_bytes=0)
    cache.get("r", events)
    cache.wait_persisted()
    cache.forget("r")
    assert not (tmp_path / "cache" / "r.npz").exists()
    assert cache.nbytes == 0


def test_concurrent_readers_while_the_file_grows(events: Path) -> None:
    import threading

    events.parent.mkdir()
    events.write_bytes(b"")
    cache = MetricCache(None)
    errors: list[BaseException] = []
    done = threading.Event()

    def writer() -> None:
        for step in range(1, 3001):
            line = metric_line(step, loss=float(step))
            # Torn writes on purpose: half a line, then the rest.
            append(events, line[:10])
            append(events, line[10:])
        done.set()

    def reader() -> None:
        try:
            while not done.is_set():
                snap = cache.get("r", events)
                if snap.has("loss"):
                    loss = snap.series("loss")
                    n = loss.value.size
                    assert loss.step.tolist() == [float(s) for s in range(1, n + 1)]
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=writer)] + [
        threading.Thread(target=reader) for _ in range(3)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not errors
    assert cache.get("r", events).count("loss") == 3000


def test_fast_path_for_uniform_batches_agrees_with_the_grouped_path() -> None:
    datas = [
        {
            "loss": 1.0 / step,
            "acc": "NaN" if step == 3 else 0.5,
            "global_step": step,
            "time": None if step == 2 else 1000.0 + step,
        }
        for step in range(1, 50)
    ]
    fast = cache_module._uniform_columns(datas)
    assert fast is not None, "a training loop's batch takes the one-matrix path"
    grouped = cache_module._grouped_columns(datas)
    np.testing.assert_array_equal(fast[0], grouped[0])
    np.testing.assert_array_equal(fast[1], grouped[1])
    assert fast[2].keys() == grouped[2].keys()
    for key, (values, rows) in fast[2].items():
        np.testing.assert_array_equal(values, grouped[2][key][0])
        assert rows is None and grouped[2][key][1] is None


@pytest.mark.parametrize(
    "odd",
    [
        {"loss": 1.0, "global_step": 9, "time": 1.0, "stage": "eval"},
        {"loss": "text", "global_step": 9, "time": 1.0},
        {"other": 1.0, "global_step": 9, "time": 1.0},
    ],
)
def test_fast_path_steps_aside_for_anything_unusual(odd: dict[str, object]) -> None:
    datas = [{"loss": 1.0, "global_step": 1, "time": 1.0}, odd]
    assert cache_module._uniform_columns(datas) is None


def test_damaged_cache_files_are_moved_aside_and_the_events_read_again(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """Issue 8, item 3: a damaged cache is set aside, rebuilt from the events, warned once."""
    cache_dir = tmp_path / "cache"
    runs = {}
    for run_id, scale in (("garbled", 1.0), ("truncated", 2.0)):
        path = tmp_path / run_id / "events.jsonl"
        path.parent.mkdir()
        lines = [
            metric_line(s, **{"val/acc": scale * s, "train/loss": 1 / s}) for s in range(1, 501)
        ]
        path.write_bytes(b"".join(lines))
        runs[run_id] = path
    first = MetricCache(cache_dir, persist_min_bytes=0)
    for run_id, path in runs.items():
        first.get(run_id, path)
    first.close()
    (cache_dir / "garbled.npz").write_bytes(b"PK\x03\x04 not really a zip" * 50)
    with np.load(cache_dir / "truncated.npz") as archive:
        arrays = {name: archive[name] for name in archive.files}
    arrays["v0"] = arrays["v0"][:-100]  # a column shorter than its table
    np.savez(cache_dir / "truncated.npz", **arrays)

    caplog.set_level("WARNING", logger="runicorn.viewer.utils.cache")
    second = MetricCache(cache_dir, persist_min_bytes=0)
    for run_id, path in runs.items():
        snapshot = second.get(run_id, path)
        scale = 1.0 if run_id == "garbled" else 2.0
        np.testing.assert_array_equal(snapshot.series("val/acc").value, scale * np.arange(1, 501))
        assert snapshot.count("train/loss") == 500
    second.close()
    assert len(list(cache_dir.glob("garbled.npz.corrupt-*"))) == 1
    assert len(list(cache_dir.glob("truncated.npz.corrupt-*"))) == 1
    warnings = [r for r in caplog.records if r.levelname == "WARNING"]
    assert len(warnings) == 1 and "could not be read" in warnings[0].getMessage()


def test_an_integer_beyond_float_range_loses_only_itself(events: Path, cache: MetricCache) -> None:
    events.parent.mkdir()
    lines = [metric_line(s, **{"train/loss": 0.5, "val/acc": 0.1}) for s in range(1, 5)]
    huge = b'{"ts": 9.0, "type": "metrics", "data": {"train/loss": 1' + b"0" * 400
    lines.append(huge + b', "val/acc": 0.2, "global_step": 5, "time": 9.0}}\n')
    events.write_bytes(b"".join(lines))
    snapshot = cache.get("r", events)
    assert snapshot.series("train/loss").value.tolist() == [0.5] * 4
    assert snapshot.series("val/acc").value.tolist() == [0.1] * 4 + [0.2]
    assert snapshot.series("val/acc").step.tolist() == [1, 2, 3, 4, 5]


@pytest.fixture
def run_under_root(tmp_path: Path) -> tuple[Path, Path, Path]:
    """(root, its run's events.jsonl, a file outside the root holding other metrics)."""
    root = tmp_path / "root"
    folder = root / "vision" / "resnet" / "runs" / "20261201_101500_a1b2c3"
    folder.mkdir(parents=True)
    (folder / "events.jsonl").write_bytes(metric_line(1, **{"train/loss": 0.5}))
    outside = tmp_path / "elsewhere.jsonl"
    outside.write_bytes(metric_line(1, **{"secret/token": 1234.0}))
    return root, folder / "events.jsonl", outside


def test_a_link_swapped_in_between_the_root_check_and_the_open_is_refused(
    run_under_root: tuple[Path, Path, Path], cache: MetricCache, monkeypatch: pytest.MonkeyPatch
) -> None:
    from runicorn.errors import UnsafePathError
    from runicorn.security import path_validation

    root, events, outside = run_under_root
    checked_for_real = path_validation.file_under

    def check_then_swap(base: Path, path: Path) -> Path:
        checked = checked_for_real(base, path)  # a regular file under the root: passes
        events.unlink()
        events.symlink_to(outside)
        return checked

    monkeypatch.setattr(path_validation, "file_under", check_then_swap)
    with pytest.raises(UnsafePathError):
        cache.get("r", events, root=root)
    monkeypatch.undo()
    with pytest.raises(UnsafePathError):
        cache.get("r", events, root=root)


def test_a_run_read_before_its_file_became_a_link_shows_nothing_from_outside(
    run_under_root: tuple[Path, Path, Path], cache: MetricCache
) -> None:
    from runicorn.errors import UnsafePathError

    root, events, outside = run_under_root
    assert cache.get("r", events, root=root).metric_keys() == ["train/loss"]
    events.unlink()
    events.symlink_to(outside)
    with pytest.raises(UnsafePathError):
        cache.get("r", events, root=root)
    inside = events.parent / "copy.jsonl"
    inside.write_bytes(metric_line(1, **{"train/loss": 0.25}))
    events.unlink()
    events.symlink_to(inside)  # a link that stays under the root is still read
    assert cache.get("r", events, root=root).series("train/loss").value.tolist() == [0.25]
