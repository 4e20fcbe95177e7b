"""JSON encoding of every Runicorn file: non-finite floats and atomic writes (storage/jsonio.py)."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest

import runicorn as rn
from runicorn.storage.events import read_events
from runicorn.storage.jsonio import (
    as_float,
    atomic_write_json,
    dumps,
    encode_nonfinite,
    loads,
    read_json,
)


def metric_lines(run: rn.Run) -> list[dict[str, object]]:
    return [e["data"] for e in read_events(run.path / "events.jsonl").events]


def test_nonfinite_floats_are_written_as_string_tokens() -> None:
    text = dumps({"a": math.nan, "b": math.inf, "c": -math.inf, "d": 1.5})
    assert loads(text) == {"a": "NaN", "b": "Infinity", "c": "-Infinity", "d": 1.5}
    assert b"null" not in text


def test_nonfinite_tokens_read_back_as_floats() -> None:
    decoded = loads(dumps([math.nan, math.inf, -math.inf]))
    values = [as_float(v) for v in decoded]
    assert math.isnan(values[0])  # type: ignore[arg-type]
    assert values[1:] == [math.inf, -math.inf]


def test_nested_and_numpy_nonfinite_values_are_kept() -> None:
    obj = {"outer": {"list": [np.float32("nan"), (np.float64("inf"),)]}, "n": np.int64(3)}
    assert loads(dumps(obj)) == {"outer": {"list": ["NaN", ["Infinity"]]}, "n": 3}


@pytest.mark.parametrize(
    ("value", "token"), [(math.nan, "NaN"), (math.inf, "Infinity"), (-math.inf, "-Infinity")]
)
def test_each_nonfinite_value_has_its_token(value: float, token: str) -> None:
    assert encode_nonfinite(value) == token


def test_original_sdk_bare_nan_and_infinity_tokens_are_read() -> None:
    decoded = loads(b'{"loss": NaN, "hi": Infinity, "lo": -Infinity, "ok": 1}')
    assert math.isnan(decoded["loss"])
    assert decoded["hi"] == math.inf
    assert decoded["lo"] == -math.inf
    assert decoded["ok"] == 1


def test_text_that_is_not_json_raises_value_error() -> None:
    with pytest.raises(ValueError):
        loads(b'{"loss": 0.5')


@pytest.mark.parametrize(
    ("raw", "expected"),
    [(1, 1.0), (2.5, 2.5), (True, 1.0), ("Infinity", math.inf), ("abc", None), (None, None),
     ({"x": 1}, None), ([1], None)],
)  # fmt: skip
def test_as_float_reads_numbers_and_tokens_only(raw: object, expected: float | None) -> None:
    assert as_float(raw) == expected


def test_values_orjson_cannot_encode_are_written_as_text(tmp_path: Path) -> None:
    decoded = loads(dumps({"path": tmp_path, "set": {"b", "a"}, 1: "int key"}))
    assert decoded == {"path": str(tmp_path), "set": ["a", "b"], "1": "int key"}


def test_sdk_keeps_nan_and_infinities_as_tokens_on_disk(root: Path) -> None:
    run = rn.init(project="p", name="n", storage=root, capture_console=False, capture_env=False,
                  system_metrics=False)  # fmt: skip
    run.log({"loss": math.nan})
    run.log({"loss": math.inf, "grad": -math.inf})
    run.log({"loss": np.float32("nan"), "grad": 0.5})
    run.finish()
    raw = (run.path / "events.jsonl").read_text()
    assert '"loss":"NaN"' in raw
    assert '"loss":"Infinity"' in raw
    assert '"grad":"-Infinity"' in raw
    assert "null" not in raw
    rows = metric_lines(run)
    assert math.isnan(as_float(rows[0]["loss"]))  # type: ignore[arg-type]
    assert as_float(rows[1]["loss"]) == math.inf
    assert as_float(rows[1]["grad"]) == -math.inf
    assert math.isnan(as_float(rows[2]["loss"]))  # type: ignore[arg-type]
    assert as_float(rows[2]["grad"]) == 0.5


def test_sdk_summary_keeps_nonfinite_values(root: Path) -> None:
    run = rn.init(project="p", name="n", storage=root, capture_console=False, capture_env=False,
                  system_metrics=False)  # fmt: skip
    run.summary({"best": math.inf, "worst": math.nan})
    run.finish()
    assert read_json(run.path / "summary.json") == {"best": "Infinity", "worst": "NaN"}


def test_read_json_returns_default_for_missing_or_corrupt_files(tmp_path: Path) -> None:
    assert read_json(tmp_path / "missing.json", {"d": 1}) == {"d": 1}
    (tmp_path / "bad.json").write_text("{not json")
    assert read_json(tmp_path / "bad.json") is None


def test_atomic_write_creates_the_file_and_leaves_no_temp_files(tmp_path: Path) -> None:
    target = tmp_path / "meta.json"
    atomic_write_json(target, {"a": 1, "b": [math.nan]})
    atomic_write_json(target, {"a": 2})
    assert read_json(target) == {"a": 2}
    assert [p.name for p in tmp_path.iterdir()] == ["meta.json"]


def test_atomic_write_into_a_missing_folder_raises_and_leaves_nothing(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError):
        atomic_write_json(tmp_path / "missing" / "meta.json", {"a": 1})
    assert list(tmp_path.iterdir()) == []


def test_failed_replace_removes_the_temp_file_and_keeps_the_old_content(tmp_path: Path) -> None:
    # A folder in the target's place makes the final rename fail after the temp file is written.
    target = tmp_path / "status.json"
    target.mkdir()
    (target / "keep.txt").write_text("old")
    with pytest.raises(OSError):
        atomic_write_json(target, {"status": "finished"})
    assert [p.name for p in tmp_path.iterdir()] == ["status.json"]
    assert (target / "keep.txt").read_text() == "old"


def test_unencodable_object_fails_before_touching_the_old_file(tmp_path: Path) -> None:
    target = tmp_path / "summary.json"
    atomic_write_json(target, {"v": 1})
    before = target.read_bytes()
    loop: list[object] = []
    loop.append(loop)
    with pytest.raises((RecursionError, TypeError)):
        atomic_write_json(target, {"loop": loop})
    assert target.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == ["summary.json"]
