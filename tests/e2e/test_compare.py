"""The compare view: several runs overlaid in one chart per metric, toggled from the legend."""

from __future__ import annotations

import re

import pytest

pytest.importorskip("playwright.sync_api", reason="browser tests need the playwright package")
from playwright.sync_api import Page, expect

pytestmark = pytest.mark.e2e

COMPARE_CHART = """(key) => {
  const u = (window.__runicornCharts || {})[`compare:${key}`];
  if (!u) return null;
  const lines = u.series.slice(1).map((s, i) => ({
    label: typeof s.label === "string" ? s.label : String(s.label),
    points: u.data[i + 1].filter((v) => v !== null && v !== undefined && !Number.isNaN(v)).length,
  }));
  return { series: u.series.length - 1, points: u.data[0].length, lines };
}"""


def compare_chart(page: Page, key: str) -> dict:
    page.wait_for_function(f"({COMPARE_CHART})({key!r}) !== null")
    return page.evaluate(COMPARE_CHART, key)


def test_compare_overlays_two_runs_and_the_legend_hides_one(page: Page, e2e_data) -> None:
    resnet, vit = e2e_data.run("vision", "resnet"), e2e_data.run("vision", "vit")
    page.goto("/")
    for run in (resnet, vit):
        row = page.locator(f'[data-testid="run-row"][data-run-id="{run.id}"]')
        row.get_by_test_id("row-select").click()
    expect(page.get_by_test_id("selection-bar")).to_have_attribute("data-count", "2")
    page.get_by_test_id("compare-selected").click()

    expect(page.get_by_test_id("compare-page")).to_be_visible()
    expect(page).to_have_url(re.compile(r"/compare\?.*runs="))
    expect(page.get_by_test_id("legend-item")).to_have_count(2)
    chart = page.get_by_test_id("chart-train/loss")
    expect(chart).to_have_attribute("data-series", "2")
    both = compare_chart(page, "train/loss")
    assert both["series"] == 2
    # One x column for both runs: resnet's 60 steps cover vit's 40.
    assert both["points"] == resnet.steps
    # resnet's NaN at step 13 is a gap, the rest are drawn.
    assert sorted(line["points"] for line in both["lines"]) == [vit.steps - 1, resnet.steps - 1]

    legend = page.locator(f'[data-testid="legend-item"][data-run-id="{vit.id}"]')
    legend.locator(".legend-toggle").click()
    expect(legend).to_have_attribute("data-hidden", "true")
    expect(page).to_have_url(re.compile(r"[?&]hidden="))
    expect(chart).to_have_attribute("data-series", "1")
    one = compare_chart(page, "train/loss")
    assert one["series"] == 1
    assert one["lines"][0]["points"] == resnet.steps - 1

    legend.locator(".legend-toggle").click()
    expect(legend).to_have_attribute("data-hidden", "false")
    expect(chart).to_have_attribute("data-series", "2")
