"""Shaping metric arrays for JSON and joining series on a logged x axis."""

from __future__ import annotations

import numpy as np
import orjson

from runicorn.viewer.middleware import host_name
from runicorn.viewer.services.metrics import _join_on_step, encode, json_array
from runicorn.viewer.utils.cache import Series


def test_json_array_keeps_nonfinite_as_tokens_and_steps_as_ints() -> None:
    assert encode(json_array(np.array([1.0, 2.0]), integral=True)) == b"[1,2]"
    assert encode(json_array(np.array([0.5, np.nan, np.inf, -np.inf]))) == (
        b'[0.5,"NaN","Infinity","-Infinity"]'
    )
    assert orjson.loads(encode(json_array(np.array([1.5, 2.0]), integral=True))) == [1.5, 2.0]


def series(key: str, steps: list[float], values: list[float]) -> Series:
    step = np.array(steps, dtype=np.float64)
    return Series(key, "metrics", step, step.copy(), np.array(values, dtype=np.float64))


def test_join_on_step_uses_the_axis_value_at_the_same_step() -> None:
    loss = series("loss", [1, 2, 3, 4, 5], [10, 20, 30, 40, 50])
    epoch = series("epoch", [1, 3, 3, 5, 7], [0, 1, 2, 3, 9])
    xs, ys = _join_on_step(loss, epoch)
    assert xs.tolist() == [0, 2, 3] and ys.tolist() == [10, 30, 50]
    empty = series("none", [], [])
    xs, ys = _join_on_step(loss, empty)
    assert xs.size == 0 and ys.size == 0


def test_host_names_without_ports() -> None:
    assert host_name("127.0.0.1:8000") == "127.0.0.1"
    assert host_name("[::1]:80") == "::1"
    assert host_name("localhost") == "localhost"
    assert host_name("::1") == "::1"
