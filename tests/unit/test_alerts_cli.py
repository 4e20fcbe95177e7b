"""``runicorn alerts``: what a user sees at the terminal."""

from __future__ import annotations

import math
from pathlib import Path

import pytest
from typer.testing import CliRunner

import runicorn as rn
from runicorn.alerts_cli import parse_since
from runicorn.cli import app

RUNNER = CliRunner(env={"COLUMNS": "1000"})


def _run_with_nan(root: Path, project: str, name: str) -> str:
    run = rn.init(project, name, storage=root, capture_console=False, capture_env=False,
                  system_metrics=False)  # fmt: skip
    run.log({"train/loss": 0.9})
    run.log({"train/loss": math.nan})
    run.alert("lr schedule restarted", level="info")
    run.finish()
    assert run.id is not None
    return run.id


def test_lists_alerts_oldest_to_newest_with_filters(root: Path) -> None:
    first = _run_with_nan(root, "vision", "resnet50")
    _run_with_nan(root, "nlp", "bert")
    result = RUNNER.invoke(app, ["alerts", "--root", str(root)])
    assert result.exit_code == 0, result.output
    lines = result.output.strip().splitlines()
    assert len(lines) == 4
    assert f"vision/resnet50 {first} step 2: train/loss is NaN" in result.output
    assert "vision/resnet50" in lines[0] and "nlp/bert" in lines[-1]  # oldest first

    errors = RUNNER.invoke(app, ["alerts", "--root", str(root), "--level", "error",
                                 "--project", "nlp"])  # fmt: skip
    assert errors.exit_code == 0
    assert errors.output.count("train/loss is NaN") == 1 and "vision" not in errors.output
    none = RUNNER.invoke(app, ["alerts", "--root", str(root), "--since", "2999-01-01"])
    assert none.output.strip() == "no alerts since then"


def test_bad_options_are_one_clear_line(root: Path) -> None:
    result = RUNNER.invoke(app, ["alerts", "--root", str(root), "--since", "yesterday"])
    assert result.exit_code == 1
    assert "--since takes a duration" in result.output
    result = RUNNER.invoke(app, ["alerts", "--root", str(root), "--level", "fatal"])
    assert result.exit_code == 1 and "--level takes info, warn, error" in result.output


@pytest.mark.parametrize(
    ("text", "seconds_ago"), [("30m", 1800), ("2h", 7200), ("1d", 86400), ("1.5h", 5400)]
)
def test_since_takes_durations(text: str, seconds_ago: float) -> None:
    assert parse_since(text, now=10_000_000.0) == 10_000_000.0 - seconds_ago


def test_follow_prints_alerts_as_they_come(root: Path) -> None:
    import os
    import subprocess
    import sys
    import threading

    env = {**os.environ, "RUNICORN_DIR": str(root), "COLUMNS": "1000"}
    follower = subprocess.Popen(
        [sys.executable, "-m", "runicorn", "alerts", "--follow"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env,
    )  # fmt: skip
    lines: list[str] = []
    arrived = threading.Event()

    def read() -> None:
        assert follower.stdout is not None
        for line in follower.stdout:
            lines.append(line)
            if "loss exploded" in line:
                arrived.set()

    threading.Thread(target=read, daemon=True).start()
    try:
        run = rn.init("vision", "followed", storage=root, capture_console=False,
                      capture_env=False, system_metrics=False)  # fmt: skip
        run.alert("loss exploded", "grad norm 1e6", level="error")
        run.finish()
        assert arrived.wait(20), lines
    finally:
        follower.terminate()
        follower.wait(timeout=10)
    assert "vision/followed" in lines[-1] and "grad norm 1e6" in lines[-1]
