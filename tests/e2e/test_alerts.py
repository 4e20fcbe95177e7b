"""Alerts in the browser: the runs table's badge, the chart marker at the alert's step with its
hover text, the run page's panel and the Alerts page. Every e2e run logs a NaN loss at step 13,
which the default NaN/Inf monitor turns into an alert."""

from __future__ import annotations

import pytest

pytest.importorskip("playwright.sync_api", reason="browser tests need the playwright package")
from playwright.sync_api import Page, expect

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
    expect(badge).to_have_attribute("title", "1 alerts · train/loss is NaN")
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
