"""Alerts in the browser: the runs table's badge, the chart marker at the alert's step with its
hover text, the run page's panel and the Alerts page. Every e2e run logs a NaN loss at step 13,
which the default NaN/Inf monitor turns into an alert."""

from __future__ import annotations

import re
import subprocess
import sys
from collections.abc import Iterator

import pytest

pytest.importorskip("playwright.sync_api", reason="browser tests need the playwright package")
from playwright.sync_api import Page, expect

from .conftest import forget_run, viewer_env

pytestmark = pytest.mark.e2e

NAN_STEP = 13


def test_runs_table_shows_an_alert_badge_per_run(page: Page, e2e_data) -> None:
    page.goto("/")
    run = e2e_data.run("nlp", "bert")
    row = page.locator(f'[data-run-id="{run.id}"]')
    badge = row.get_by_test_id("alert-badge")
    expect(badge).to_be_visible()
    expect(badge).to_have_attribute("data-count", "1")
    expect(badge).to_have_attribute("data-level", "error")
    expect(badge).to_have_attribute("title", re.compile(r"^1 alerts? · train/loss is NaN$"))
    expect(page.get_by_test_id("alert-badge")).to_have_count(len(e2e_data.runs))


def test_chart_marks_the_alert_step_and_hover_shows_the_alert(page: Page, e2e_data) -> None:
    run = e2e_data.run("vision", "vit")
    page.goto(f"/runs/{run.id}")
    card = page.locator('[data-testid="chart-card"][data-key="train/loss"]')
    expect(card).to_have_attribute("data-state", "ready")
    marker = card.get_by_test_id("alert-marker")
    expect(marker).to_be_visible()
    expect(marker).to_have_attribute("data-step", str(NAN_STEP))
    expect(marker).to_have_attribute("title", f"[error] train/loss is NaN · step {NAN_STEP}")
    # The marker sits where uPlot draws step 13 on this chart's x axis.
    placed = page.evaluate(
        """([key, step]) => {
          const u = window.__runicornCharts[key];
          const marker = u.over.querySelector('[data-testid="alert-marker"]');
          return [parseFloat(marker.style.left), u.valToPos(step, "x")];
        }""",
        ["train/loss", NAN_STEP],
    )
    assert abs(placed[0] - placed[1]) < 1, placed
    marker.hover()
    # Charts of other keys carry no marker for the loss's alert.
    acc = page.locator('[data-testid="chart-card"][data-key="train/acc"]')
    expect(acc).to_have_attribute("data-state", "ready")
    expect(acc.get_by_test_id("alert-marker")).to_have_count(0)

    panel = page.get_by_test_id("alerts-panel")
    expect(panel.get_by_test_id("alert-row")).to_have_count(1)
    expect(panel.get_by_test_id("alert-row")).to_contain_text("train/loss is NaN")
    expect(panel.get_by_test_id("alert-row")).to_contain_text(f"step {NAN_STEP}")


def test_alerts_page_lists_alerts_newest_first_and_filters_by_project(page: Page, e2e_data) -> None:
    page.goto("/alerts")
    rows = page.get_by_test_id("alert-row")
    expect(rows).to_have_count(len(e2e_data.runs))
    newest = e2e_data.runs[-1]
    expect(rows.first).to_contain_text(f"{newest.project}/{newest.name}")
    page.get_by_test_id("alerts-project").select_option("nlp")
    expect(rows).to_have_count(2)
    page.get_by_test_id("alerts-level").select_option("info")
    expect(page.get_by_test_id("alerts-empty")).to_be_visible()


def test_alerts_page_in_chinese_and_dark(page: Page, e2e_data) -> None:
    page.goto("/alerts")
    page.get_by_test_id("lang-zh").click()
    page.get_by_test_id("theme-toggle").click()
    expect(page.get_by_test_id("nav-alerts")).to_have_text("告警")
    expect(page.get_by_test_id("alert-row").first).to_contain_text("错误")


NAN_ON_DEMAND = """
import sys
import runicorn as rn

run = rn.init(project="live", name="watched", capture_console=False, capture_env=False,
              system_metrics=False)
print(run.id, flush=True)
step = 0
for line in sys.stdin:
    step += 1
    run.log({"live/loss": float("nan") if line.strip() == "nan" else 1.0 / step})
run.finish()
"""

RECORD_NOTIFICATIONS = """
(() => {
  const Real = window.Notification;
  window.__notifications = [];
  class Recorded extends Real {
    constructor(title, options) {
      super(title, options);
      window.__notifications.push({ title, body: (options || {}).body || "" });
    }
  }
  window.Notification = Recorded;
})();
"""


@pytest.fixture
def watched_run(viewer, tmp_path) -> Iterator[tuple[str, subprocess.Popen[str]]]:
    """A live run that logs one point per line on its stdin (``nan`` logs a NaN loss)."""
    env = viewer_env(viewer.root, tmp_path / "config")
    env["RUNICORN_FLUSH_INTERVAL"] = "0.1"
    process = subprocess.Popen(
        [sys.executable, "-c", NAN_ON_DEMAND], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
        text=True, env=env, cwd=tmp_path,
    )  # fmt: skip
    assert process.stdin is not None and process.stdout is not None
    run_id = process.stdout.readline().strip()
    try:
        for _ in range(20):
            process.stdin.write("1\n")
        process.stdin.flush()
        yield run_id, process
    finally:
        process.stdin.close()
        process.wait(timeout=15)
        forget_run(viewer, run_id)


def test_a_live_alert_draws_its_marker_and_a_desktop_notification(
    watched_run: tuple[str, subprocess.Popen[str]], page: Page
) -> None:
    run_id, process = watched_run
    page.context.grant_permissions(["notifications"])
    page.context.add_init_script(RECORD_NOTIFICATIONS)
    page.goto(f"/runs/{run_id}")
    card = page.locator('[data-testid="chart-card"][data-key="live/loss"]')
    expect(card).to_have_attribute("data-state", "ready")
    notify = page.get_by_test_id("alerts-notify")
    notify.click()
    expect(notify).to_have_attribute("aria-pressed", "true")

    assert process.stdin is not None
    process.stdin.write("nan\n")
    process.stdin.flush()
    marker = card.get_by_test_id("alert-marker")
    expect(marker).to_have_attribute("data-step", "21")
    expect(page.get_by_test_id("alerts-panel").get_by_test_id("alert-row")).to_have_count(1)
    page.wait_for_function("window.__notifications.length > 0")
    notes = page.evaluate("window.__notifications")
    assert notes == [{"title": "Runicorn · live/loss is NaN", "body": "nan_inf"}]
