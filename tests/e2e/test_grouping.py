"""Compare grouped by a tag: one mean line and band per group, in the group palette, members
aligned on x so a group's mean holds steady where a shorter member ends."""

from __future__ import annotations

import math

import pytest

pytest.importorskip("playwright.sync_api", reason="browser tests need the playwright package")
from playwright.sync_api import Page, expect

pytestmark = pytest.mark.e2e

KEY = "train/acc"

GROUP_CHART = """(key) => {
  const u = (window.__runicornCharts || {})[`compare:${key}`];
  if (!u) return null;
  return {
    labels: u.series.slice(1).map((s) => String(s.label)),
    x: Array.from(u.data[0]),
    cols: u.data.slice(1).map((c) => Array.from(c, (v) => (v == null ? null : v))),
  };
}"""


def values_by_step(viewer, run_id: str) -> dict[int, float]:
    series = viewer.api(f"/api/metrics/{run_id}", keys=KEY)["series"][KEY]
    return {int(x): float(y) for x, y in zip(series["x"], series["y"], strict=True)}


def at(chart: dict, column: int, step: int) -> float:
    return chart["cols"][column][chart["x"].index(step)]


def test_group_bands_by_a_tag(page: Page, e2e_data, viewer) -> None:
    resnet = e2e_data.runs[0]  # tags: baseline, 60 steps
    bert = e2e_data.run("nlp", "bert")  # baseline, 50 steps
    vit = e2e_data.run("vision", "vit")  # tuned, 40 steps
    page.goto(f"/compare?runs={resnet.id},{bert.id},{vit.id}&group=@tags&band=std")
    expect(page.get_by_test_id("group-item")).to_have_count(2)
    expect(page.get_by_test_id("group-legend")).to_contain_text("tags=baseline")
    expect(page.get_by_test_id("group-band-select")).to_have_value("std")

    page.wait_for_function(f"(({GROUP_CHART})({KEY!r}) || {{labels: []}}).labels.length === 6")
    chart = page.evaluate(GROUP_CHART, KEY)
    # Per group [upper, lower, mean]; groups in name order: baseline, then tuned.
    assert chart["labels"][2] == "tags=baseline" and chart["labels"][5] == "tags=tuned"
    a, b, v = (values_by_step(viewer, r.id) for r in (resnet, bert, vit))

    mean, upper, lower = at(chart, 2, 40), at(chart, 0, 40), at(chart, 1, 40)
    assert mean == pytest.approx((a[40] + b[40]) / 2, abs=1e-9)
    spread = abs(a[40] - b[40]) / 2  # std of two values
    assert upper - mean == pytest.approx(spread, abs=1e-9)
    assert mean - lower == pytest.approx(spread, abs=1e-9)

    # bert ended at 50: it holds its last value, so the mean does not jump to resnet's alone.
    assert at(chart, 2, 55) == pytest.approx((a[55] + b[50]) / 2, abs=1e-9)
    # vit, the only tuned run, ended at 40: its group ends with it.
    assert at(chart, 5, 40) == pytest.approx(v[40], abs=1e-9)
    assert at(chart, 5, 50) is None

    # The group colours are not the runs' colours.
    swatches = page.locator('[data-testid="group-item"] .swatch').evaluate_all(
        "(els) => els.map((e) => getComputedStyle(e).backgroundColor)"
    )
    run_swatches = page.locator('[data-testid="legend-item"] .swatch').evaluate_all(
        "(els) => els.map((e) => getComputedStyle(e).backgroundColor)"
    )
    assert swatches and not set(swatches) & set(run_swatches)

    page.get_by_test_id("group-band-select").select_option("minmax")
    page.wait_for_function("!window.location.search.includes('band=')")
    page.wait_for_function(
        f"(() => {{ const c = ({GROUP_CHART})({KEY!r}); const i = c.x.indexOf(40);"
        f" return c && Math.abs(c.cols[0][i] - {max(a[40], b[40])!r}) < 1e-9; }})()"
    )
    assert not math.isnan(at(page.evaluate(GROUP_CHART, KEY), 2, 40))
