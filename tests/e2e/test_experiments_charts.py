"""The experiments page's charts panel: the metrics of the selected runs (or the table's first
runs), one line per run or grouped by a tag or config key with a mean and a band of the user's
choice, as on the compare page; the grouping lives in the URL.

The runs are a small sweep recorded through the public SDK: metric names with ``/``, config keys
with a space, a dot and unicode (``学习率``), one run that stops early and one NaN."""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("playwright.sync_api", reason="browser tests need the playwright package")
from playwright.sync_api import Browser, Page, expect
from tests.e2e.conftest import ConsoleErrors, Viewer, open_page, running_viewer, screenshot_path

import runicorn as rn

pytestmark = pytest.mark.e2e

KEY = "train/loss"

GROUP_CHART = """(key) => {
  const u = (window.__runicornCharts || {})[`compare:${key}`];
  if (!u) return null;
  return {
    labels: u.series.slice(1).map((s) => String(s.label)),
    colors: u.series.slice(1).map(
      (s, i) => String(typeof s.stroke === "function" ? s.stroke(u, i + 1) : s.stroke)
    ),
    x: Array.from(u.data[0]),
    cols: u.data.slice(1).map((c) => Array.from(c, (v) => (v == null ? null : v))),
  };
}"""


@dataclass(frozen=True)
class Trial:
    id: str
    name: str
    tags: tuple[str, ...]
    lr: float
    loss: dict[int, float]


def loss_curve(i: int, steps: int) -> dict[int, float]:
    return {step: 2.0 / (1 + 0.1 * step) + 0.05 * i for step in range(1, steps + 1)}


@pytest.fixture(scope="module")
def trials(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[Trial]]:
    root = tmp_path_factory.mktemp("experiment-charts-root")
    plan = [
        ("base-a", ("baseline",), 3e-4, 40),
        ("base-b", ("baseline",), 1e-3, 30),  # stops early
        ("mix-a", ("mixup",), 3e-4, 40),
        ("mix-b", ("mixup",), 1e-3, 40),  # a NaN at step 20
        ("solo", ("baseline",), 3e-4, 40),  # never selected
    ]
    trials: list[Trial] = []
    for i, (name, tags, lr, steps) in enumerate(plan):
        config: dict[str, Any] = {
            "学习率": lr, "weight decay": 0.05, "optimizer.betas": [0.9, 0.999], "batch_size": 64,
        }  # fmt: skip
        run = rn.init(project="vit-sweep", name=name, tags=list(tags), config=config, storage=root,
                      capture_console=False, capture_env=False, system_metrics=False)  # fmt: skip
        loss = loss_curve(i, steps)
        for step, value in loss.items():
            logged = float("nan") if name == "mix-b" and step == 20 else value
            run.log({KEY: logged, "val/acc": 1 - value / 3}, step=step)
        run.finish()
        trials.append(Trial(run.id, name, tags, lr, loss))
    return root, trials


@pytest.fixture(scope="module")
def charts_viewer(
    trials: tuple[Path, list[Trial]], tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Viewer]:
    root, runs = trials
    with running_viewer(root, tmp_path_factory.mktemp("experiment-charts"), len(runs)) as server:
        yield server


@pytest.fixture
def charts_page(
    browser: Browser, charts_viewer: Viewer, request: pytest.FixtureRequest
) -> Iterator[Page]:
    errors = ConsoleErrors()
    with open_page(
        browser, charts_viewer.url, errors, viewport={"width": 1500, "height": 1100}
    ) as tab:
        yield tab
        if not tab.is_closed():
            tab.screenshot(path=str(screenshot_path(request.node)), full_page=True)
    assert not errors.unexpected(), "the page logged errors:\n" + "\n".join(errors.unexpected())


def at(chart: dict[str, Any], column: int, step: int) -> float | None:
    value: float | None = chart["cols"][column][chart["x"].index(step)]
    return value


def test_selected_runs_charted_and_grouped_by_tag_with_a_band(
    charts_page: Page, trials: tuple[Path, list[Trial]]
) -> None:
    page = charts_page
    _, runs = trials
    chosen = runs[:4]
    by_name = {t.name: t for t in runs}
    page.goto(f"/?sel={','.join(t.id for t in chosen)}")
    expect(page.get_by_test_id("runs-table")).to_have_attribute("data-total", str(len(runs)))
    page.get_by_test_id("charts-toggle").click()
    page.wait_for_url("**charts=1**")
    panel = page.get_by_test_id("experiment-charts")
    expect(panel).to_have_attribute("data-runs", "4")
    card = panel.locator(f'[data-testid="chart-card"][data-key="{KEY}"]')
    expect(card).to_have_attribute("data-state", "ready")
    expect(panel.locator('[data-testid="chart-card"][data-key="val/acc"]')).to_have_count(1)

    # One line per selected run, in the colour of its swatch in the table.
    page.wait_for_function(f"({GROUP_CHART})({KEY!r})?.labels.includes('mix-b')")
    chart = page.evaluate(GROUP_CHART, KEY)
    assert {t.name for t in chosen} <= set(chart["labels"])
    assert "solo" not in chart["labels"]
    swatches = page.get_by_test_id("run-swatch").evaluate_all(
        "(els) => els.map((e) => e.getAttribute('data-color'))"
    )
    assert set(swatches) <= set(chart["colors"])

    # Grouped by tag, bands of ± one standard deviation.
    page.get_by_test_id("group-by-select").select_option("@tags")
    expect(page.get_by_test_id("group-item")).to_have_count(2)
    page.get_by_test_id("group-band-select").select_option("std")
    page.wait_for_url("**band=std**")
    assert "group=%40tags" in page.url
    legend = page.get_by_test_id("group-legend")
    expect(legend).to_contain_text("tags=baseline")
    expect(legend).to_contain_text("n=2")
    page.wait_for_function(f"({GROUP_CHART})({KEY!r})?.labels.length === 6")
    chart = page.evaluate(GROUP_CHART, KEY)
    # Per group [upper, lower, mean], baseline first.
    assert chart["labels"][2] == "tags=baseline" and chart["labels"][5] == "tags=mixup"
    a, b = by_name["base-a"].loss, by_name["base-b"].loss
    mean = at(chart, 2, 10)
    assert mean == pytest.approx((a[10] + b[10]) / 2, abs=1e-9)
    assert at(chart, 0, 10) - mean == pytest.approx(abs(a[10] - b[10]) / 2, abs=1e-9)
    # base-b stopped at 30 and holds its last value: the mean does not jump to base-a's.
    assert at(chart, 2, 35) == pytest.approx((a[35] + b[30]) / 2, abs=1e-9)
    # mix-b's NaN at step 20 is left out of its group's mean, not spread over it.
    m1, m2 = by_name["mix-a"].loss, by_name["mix-b"].loss
    assert at(chart, 5, 10) == pytest.approx((m1[10] + m2[10]) / 2, abs=1e-9)
    assert not math.isnan(at(chart, 5, 20) or math.nan)

    # The groups' colours are not any run's colour.
    group_colors = set(chart["colors"][2::3])
    assert len(group_colors) == 2 and not group_colors & set(swatches)

    # The address keeps the grouping: a reload draws the same groups and band.
    page.reload()
    expect(page.get_by_test_id("group-band-select")).to_have_value("std")
    expect(page.get_by_test_id("group-item")).to_have_count(2)

    # Grouped by a unicode config key instead.
    page.get_by_test_id("group-by-select").select_option("学习率")
    expect(page.get_by_test_id("group-item")).to_have_count(2)
    expect(page.get_by_test_id("group-item").first).to_contain_text("学习率=3e-4")


def test_without_a_selection_the_table_s_first_runs_are_charted(
    charts_page: Page, trials: tuple[Path, list[Trial]]
) -> None:
    page = charts_page
    _, runs = trials
    page.goto("/?charts=1&group=%40tags&band=stderr")
    panel = page.get_by_test_id("experiment-charts")
    expect(panel).to_have_attribute("data-runs", str(len(runs)))
    expect(page.get_by_test_id("experiment-charts-caption")).to_contain_text("first 5 runs")
    expect(page.get_by_test_id("group-band-select")).to_have_value("stderr")
    baseline = page.get_by_test_id("group-item").filter(has_text="tags=baseline")
    expect(baseline).to_contain_text("n=3")
    expect(panel.locator(f'[data-testid="chart-card"][data-key="{KEY}"]')).to_have_attribute(
        "data-state", "ready"
    )
    # Closing the panel drops it from the address.
    page.get_by_test_id("charts-toggle").click()
    expect(panel).to_have_count(0)
    assert "charts=1" not in page.url
