"""The monitor rules on crafted series, on a long healthy loss, and through a real run."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import orjson
import pytest

import runicorn as rn
from runicorn.config import AlertSettings, save_user_config
from runicorn.monitors import (
    Diverge,
    MonitorSet,
    NanInf,
    Plateau,
    Rule,
    Spike,
    Threshold,
    default_rules,
    resolve_monitors,
)
from runicorn.storage.backends import HybridStorageBackend


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def feed(
    monitors: MonitorSet, key: str, values: np.ndarray, *, batch: int = 500, first_step: int = 1
) -> list[dict]:
    """Feed a series in writer-sized batches; every alert fired."""
    fired: list[dict] = []
    steps = np.arange(first_step, first_step + len(values), dtype=np.float64)
    for start in range(0, len(values), batch):
        matrix = np.asarray(values[start : start + batch], dtype=np.float64).reshape(-1, 1)
        fired += monitors.check([key], steps[start : start + batch], matrix)
    return fired


def realistic_loss(steps: int, seed: int = 7) -> np.ndarray:
    """A minibatch loss: exponential decay to a floor, multiplicative noise, a warm-up bump."""
    rng = np.random.default_rng(seed)
    t = np.arange(steps, dtype=np.float64)
    trend = 2.3 * np.exp(-t / 15_000) + 0.25 + 0.3 * np.exp(-(((t - 800) / 300) ** 2))
    return trend * (1 + 0.08 * rng.standard_normal(steps)) + 0.01 * rng.standard_normal(steps)


def test_nan_inf_fires_at_the_first_bad_step_and_rearms_only_when_finite() -> None:
    clock = FakeClock()
    monitors = MonitorSet([NanInf()], clock=clock)
    values = np.linspace(2.0, 1.0, 100)
    values[40:] = math.nan
    fired = feed(monitors, "train/loss", values, batch=30)
    assert [(a["rule"], a["step"], a["level"]) for a in fired] == [("nan_inf", 41, "error")]
    assert math.isnan(fired[0]["value"]) and fired[0]["title"] == "train/loss is NaN"

    clock.now += 120  # past the cool-down: a NaN run that never recovered stays one alert
    assert feed(monitors, "train/loss", np.full(10, math.nan), first_step=101) == []
    again = np.array([0.9, 0.8, math.inf, 0.7])
    fired = feed(monitors, "train/loss", again, first_step=111)
    assert [(a["step"], a["title"]) for a in fired] == [(113, "train/loss is +Infinity")]


def test_nan_inf_watches_loss_keys_only_by_default() -> None:
    monitors = MonitorSet(default_rules())
    assert feed(monitors, "val/acc", np.array([0.5, math.nan])) == []
    assert len(feed(monitors, "val/loss", np.array([0.5, math.nan]))) == 1


def test_spike_fires_on_a_jump_and_not_on_noise() -> None:
    rng = np.random.default_rng(1)
    values = 1.0 + 0.05 * rng.standard_normal(1000)
    monitors = MonitorSet([Spike("loss", z=6, window=200)])
    assert feed(monitors, "loss", values) == []
    values[700] = 3.0
    fired = feed(MonitorSet([Spike("loss")]), "loss", values, batch=333)
    assert [(a["rule"], a["step"]) for a in fired] == [("spike", 701)]
    assert "standard deviations" in fired[0]["text"]


def test_threshold_above_and_below() -> None:
    monitors = MonitorSet([Threshold("gpu/temp", above=85), Threshold("val/acc", below=0.2)])
    temps = np.array([60.0, 70.0, 86.0, 90.0])
    assert [a["step"] for a in feed(monitors, "gpu/temp", temps)] == [3]
    assert [a["step"] for a in feed(monitors, "val/acc", np.array([0.5, 0.3, 0.1]))] == [3]
    assert feed(MonitorSet([Threshold("x", above=1)]), "x", np.array([math.nan, 0.5])) == []


def test_plateau_fires_once_when_the_best_stops_improving() -> None:
    improving = np.linspace(1.0, 0.1, 3000)
    assert feed(MonitorSet([Plateau("loss", steps=500, min_delta=1e-4)]), "loss", improving) == []

    flat = np.concatenate([np.linspace(1.0, 0.5, 1000), np.full(2000, 0.5)])
    monitors = MonitorSet([Plateau("loss", steps=500, min_delta=1e-4)])
    fired = feed(monitors, "loss", flat)
    assert [(a["rule"], a["step"]) for a in fired] == [("plateau", 1500)]


def test_plateau_in_max_mode_for_an_accuracy() -> None:
    acc = np.concatenate([np.linspace(0.1, 0.9, 500), np.full(600, 0.9)])
    fired = feed(MonitorSet([Plateau("val/acc", steps=300, mode="max")]), "val/acc", acc)
    assert [a["step"] for a in fired] == [800]


def test_diverge_fires_when_the_loss_climbs_far_above_its_lowest() -> None:
    loss = np.concatenate([np.linspace(2.0, 0.3, 2000), np.linspace(0.3, 5.0, 1000)])
    fired = feed(MonitorSet([Diverge("loss", factor=3, window=100)]), "loss", loss, batch=250)
    assert len(fired) == 1 and fired[0]["rule"] == "diverge"
    # The first window whose mean exceeds 0.9 (3x the lowest mean, about 0.3).
    assert 2000 < fired[0]["step"] < 2250


def test_no_false_alarm_on_100k_steps_of_a_realistic_loss() -> None:
    loss = realistic_loss(100_000)
    rules: list[Rule] = [
        *default_rules(),
        Spike("train/loss"),
        Diverge("train/loss"),
        Threshold("train/loss", above=10),
    ]
    assert feed(MonitorSet(rules), "train/loss", loss, batch=997) == []


def test_cooldown_allows_one_firing_per_rule_and_key_per_minute() -> None:
    clock = FakeClock()
    monitors = MonitorSet([Threshold("loss", above=1.0)], clock=clock)
    assert len(feed(monitors, "loss", np.array([2.0]))) == 1
    clock.now += 30
    assert feed(monitors, "loss", np.array([3.0]), first_step=2) == []
    clock.now += 31
    assert [a["step"] for a in feed(monitors, "loss", np.array([0.5, 4.0]), first_step=5)] == [6]


def test_cooldown_is_per_key() -> None:
    monitors = MonitorSet([NanInf()], clock=FakeClock())
    assert len(feed(monitors, "train/loss", np.array([math.nan]))) == 1
    assert len(feed(monitors, "val/loss", np.array([math.nan]))) == 1


def test_monitors_argument_adds_to_the_defaults_and_false_turns_them_off() -> None:
    settings = AlertSettings()
    assert [type(r) for r in resolve_monitors(None, settings)] == [NanInf]
    assert [type(r) for r in resolve_monitors([Spike("loss")], settings)] == [NanInf, Spike]
    assert resolve_monitors(False, settings) == []
    assert resolve_monitors(None, AlertSettings(monitors=False)) == []
    with pytest.raises(TypeError, match="monitors must be False"):
        resolve_monitors("loss", settings)


def test_user_config_sets_the_default_rules() -> None:
    save_user_config(
        {"alerts": {"monitors": [{"rule": "threshold", "key": "val/acc", "below": 0.2}]}}
    )
    from runicorn.config import alert_settings

    rules = resolve_monitors(None, alert_settings())
    assert [type(r) for r in rules] == [Threshold]


def _events(run: rn.Run) -> list[dict]:
    lines = (run.path / "events.jsonl").read_bytes().splitlines()
    return [orjson.loads(line) for line in lines]


def test_a_run_records_the_nan_alert_in_its_events_and_the_index(root: Path) -> None:
    run = rn.init(
        "vision", "resnet50", storage=root, capture_console=False, capture_env=False,
        system_metrics=False,
    )  # fmt: skip
    assert isinstance(run, rn.Run)
    for step in range(1, 201):
        loss = 1.0 / step if step < 150 else math.nan
        run.log({"train/loss": loss, "学习率": 3e-4, "val/acc": step / 200})
    run.alert("checkpoint saved", "epoch 3 written", level="info")
    run.finish()
    alerts = [e["data"] for e in _events(run) if e["type"] == "alert"]
    by_rule = {a["rule"]: a for a in alerts}
    assert by_rule["nan_inf"]["step"] == 150 and by_rule["nan_inf"]["value"] == "NaN"
    assert by_rule["nan_inf"]["key"] == "train/loss"
    assert by_rule["manual"]["title"] == "checkpoint saved"
    assert by_rule["manual"]["level"] == "info" and by_rule["manual"]["step"] == 200
    with HybridStorageBackend(root) as backend:
        record = backend.get_run(run.id)
        assert record.alerts == 2
        assert backend.list_runs(filter="alerts > 1")[1] == 1
        # A rebuilt index finds the same alerts in the files.
        backend.reindex()
        assert backend.get_run(run.id).alerts == 2


def test_monitors_false_raises_nothing(root: Path) -> None:
    run = rn.init("p", "n", storage=root, monitors=False, capture_console=False,
                  capture_env=False, system_metrics=False)  # fmt: skip
    run.log({"loss": math.nan})
    run.finish()
    assert not [e for e in _events(run) if e["type"] == "alert"]


def test_module_level_alert_acts_on_the_active_run(root: Path) -> None:
    run = rn.init("p", "n", storage=root, capture_console=False, capture_env=False,
                  system_metrics=False)  # fmt: skip
    rn.alert("dataset reloaded", level="warn")
    run.finish()
    assert [e["data"]["title"] for e in _events(run) if e["type"] == "alert"] == [
        "dataset reloaded"
    ]
