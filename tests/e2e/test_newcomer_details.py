"""Details a newcomer notices on the run and experiments pages (issue 8, item 17).

Plurals in both languages, sizes in GiB, dates under time axes that are not cut off, a
"Created … ago" that keeps counting, a run killed before its first heartbeat, a crashed run's
header saying why, and a System tab that waits for enough samples. These runs live in a root of
their own (a crashed run would change what the other browser tests count).
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("playwright.sync_api", reason="browser tests need the playwright package")
from playwright.sync_api import Browser, Page, expect

import runicorn as rn

from .conftest import TIMEOUT_MS, ConsoleErrors, running_viewer, watch_page

pytestmark = pytest.mark.e2e

CONFIG = {
    "batch_size": 64,
    "weight decay": 0.01,
    "optimizer": {"betas": [0.9, 0.999]},
    "学习率": 3e-4,
}

KILLED_EARLY = """
import os, sys, time
import runicorn as rn

run = rn.init(project="vision", name="killed-early", storage=sys.argv[1],
              config={"batch_size": 32}, capture_console=False, capture_env=False,
              system_metrics=False)
for step in range(1, 121):
    run.log({"train/loss": 2.0 / step, "val/acc": step / 120})
    time.sleep(0.01)
time.sleep(0.3)
os.kill(os.getpid(), 9)
"""


@dataclass(frozen=True)
class Runs:
    root: Path
    sampled: Any  # finished, environment captured, many system samples
    one_sample: Any  # finished with a single system sample
    killed: str  # SIGKILLed before its first heartbeat


def _system_samples(events: Path) -> int:
    return events.read_text().count('"type":"system"') if events.exists() else 0


def _record(root: Path, name: str, *, samples: int, capture_env: bool) -> Any:
    run = rn.init(project="vision", name=name, config=CONFIG, tags=["baseline"], storage=root,
                  capture_console=False, capture_env=capture_env, system_metrics=True)  # fmt: skip
    for step in range(1, 41):
        run.log({"train/loss": 1.5 / step, "val/acc": step / 40})
    deadline = time.monotonic() + 30
    while _system_samples(run.path / "events.jsonl") < samples and time.monotonic() < deadline:
        time.sleep(0.05)
    assert _system_samples(run.path / "events.jsonl") >= samples
    run.finish()
    return run


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Runs]:
    root = tmp_path_factory.mktemp("newcomer-root")
    saved = {k: os.environ.get(k) for k in ("RUNICORN_FLUSH_INTERVAL", "RUNICORN_SYSTEM_INTERVAL")}
    os.environ["RUNICORN_FLUSH_INTERVAL"] = "0.05"
    try:
        os.environ["RUNICORN_SYSTEM_INTERVAL"] = "0.05"
        sampled = _record(root, "resnet50", samples=5, capture_env=True)
        os.environ["RUNICORN_SYSTEM_INTERVAL"] = "3600"  # the first sample, then an hour's wait
        one_sample = _record(root, "vit", samples=1, capture_env=False)
        env = {**os.environ, "RUNICORN_HEARTBEAT_INTERVAL": "3600"}
        killed = subprocess.run([sys.executable, "-c", KILLED_EARLY, str(root)], env=env,
                                timeout=60, check=False)  # fmt: skip
        assert killed.returncode == -9
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
    (killed_dir,) = (root / "vision" / "killed-early" / "runs").iterdir()
    yield Runs(root, sampled, one_sample, killed_dir.name)


@pytest.fixture(scope="module")
def base_url(runs: Runs, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with running_viewer(runs.root, tmp_path_factory.mktemp("newcomer-viewer")) as server:
        yield server.url


@pytest.fixture
def tab(browser: Browser, base_url: str, console_errors: ConsoleErrors) -> Iterator[Page]:
    context = browser.new_context(base_url=base_url, viewport={"width": 1400, "height": 900},
                                  locale="en-US", color_scheme="light")  # fmt: skip
    context.set_default_timeout(TIMEOUT_MS)
    page = context.new_page()
    watch_page(page, console_errors)
    try:
        yield page
    finally:
        context.close()
    unexpected = console_errors.unexpected()
    assert not unexpected, "the page logged errors:\n" + "\n".join(unexpected)


def test_one_run_is_counted_as_one_run_in_both_languages(tab: Page, runs: Runs) -> None:
    tab.goto("/?project=vision&name=vit")
    expect(tab.get_by_test_id("runs-count")).to_have_text("1 run")
    tab.goto("/?project=vision")
    expect(tab.get_by_test_id("runs-count")).to_have_text("3 runs")
    tab.evaluate("localStorage.setItem('runicorn.lang', 'zh')")
    tab.goto("/?project=vision&name=vit")
    expect(tab.get_by_test_id("runs-count")).to_have_text("1 个运行")


def test_memory_sizes_read_in_gib_on_the_environment_tab(tab: Page, runs: Runs) -> None:
    tab.goto(f"/runs/{runs.sampled.id}?tab=environment")
    memory = tab.locator('[data-testid="system-info-table"] tr[data-key="memory_total"] .kv-value')
    expect(memory).to_have_text(re.compile(r"^\d+(\.\d+)? GiB$"))


AXIS_FIT = """(key) => {
  const u = (window.__runicornCharts || {})[key];
  if (!u || !u.axes[0]._values) return null;
  const axis = u.axes[0];
  const lineCount = (v) => (v == null ? 0 : String(v).split("\\n").length);
  const lines = Math.max(...axis._values.map(lineCount));
  const font = axis.font[1] / devicePixelRatio;
  // uPlot writes line k of a label at tick + gap + k * 1.5 font sizes, from the axis' top.
  const needed = axis.ticks.size + axis.gap + (lines - 1) * font * axis.lineGap + font;
  return { lines, needed, size: axis._size };
}"""


@pytest.mark.parametrize(("tab_name", "key"), [("charts", "train/loss"), ("system", None)])
def test_dates_under_a_time_axis_fit_in_the_axis(
    tab: Page, runs: Runs, tab_name: str, key: str | None
) -> None:
    tab.goto(f"/runs/{runs.sampled.id}?tab={tab_name}&x=time")
    card = tab.locator('[data-testid="chart-card"]').first
    expect(card).to_have_attribute("data-state", "ready")
    chart_key = key or card.get_attribute("data-key")
    tab.wait_for_function(f"({AXIS_FIT})({chart_key!r}) !== null")
    fit = tab.evaluate(AXIS_FIT, chart_key)
    assert fit["lines"] == 2, f"uPlot puts the date under the first time tick: {fit}"
    assert fit["size"] >= fit["needed"], f"the date line is cut off: {fit}"


def test_created_ago_keeps_counting_while_the_page_is_open(tab: Page, runs: Runs) -> None:
    created = json.loads((runs.sampled.path / "meta.json").read_text())["created_at"]
    tab.clock.install(time=datetime.fromtimestamp(created + 50, tz=timezone.utc))
    tab.goto(f"/runs/{runs.sampled.id}")
    created_text = tab.locator(
        ".run-meta > div", has=tab.get_by_text("Created", exact=True)
    ).locator("dd")
    expect(created_text).to_have_text(re.compile(r"^5\d seconds ago$"))
    before = int(created_text.inner_text().split()[0])
    tab.clock.run_for(4000)
    later = "|".join(str(n) for n in range(before + 3, 60))
    expect(created_text).to_have_text(re.compile(rf"^({later}) seconds ago$|minute"))
    tab.clock.run_for(60_000)
    expect(created_text).to_have_text(re.compile(r"minute"))


def test_a_run_killed_before_its_first_heartbeat_shows_how_long_it_ran(
    tab: Page, runs: Runs
) -> None:
    tab.goto(f"/runs/{runs.killed}")
    expect(tab.get_by_test_id("run-header")).to_have_attribute("data-status", "crashed")
    duration = tab.get_by_test_id("run-duration")
    expect(duration).to_have_text(re.compile(r"^\d+(\.\d)?s$"))
    assert float(duration.inner_text().rstrip("s")) >= 1.0, duration.inner_text()
    tab.get_by_test_id("tab-config").click()
    summary = tab.get_by_test_id("summary-table")
    expect(summary.locator('tr[data-key="train/loss"] .kv-value')).to_have_text(
        re.compile(r"^0\.01")
    )
    expect(summary.locator('tr[data-key="val/acc"] .kv-value')).to_have_text("1")


def test_a_crashed_run_says_why_in_its_header(tab: Page, runs: Runs) -> None:
    tab.goto(f"/runs/{runs.killed}")
    reason = tab.get_by_test_id("exit-reason")
    expect(reason).to_contain_text("Process gone; last heartbeat")
    expect(reason).to_contain_text(re.compile(r"\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}"))


def test_the_system_tab_waits_for_three_samples(tab: Page, runs: Runs) -> None:
    tab.goto(f"/runs/{runs.one_sample.id}?tab=system")
    few = tab.get_by_test_id("system-few-samples")
    expect(few).to_contain_text("Only one system sample so far")
    expect(tab.get_by_test_id("chart-card")).to_have_count(0)
    tab.goto(f"/runs/{runs.sampled.id}?tab=system")
    expect(tab.get_by_test_id("chart-card").first).to_have_attribute("data-state", "ready")
    expect(tab.get_by_test_id("system-few-samples")).to_have_count(0)
