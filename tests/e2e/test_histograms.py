"""The run page's histogram panel: a heatmap of rn.Histogram over steps, drawn from the API's
data, with a step slider that changes the step shown (read through the panel's test hook)."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from typing import Any

import numpy as np
import pytest

import runicorn as rn

pytest.importorskip("playwright.sync_api", reason="browser tests need the playwright package")
from playwright.sync_api import Browser, Page, expect

from .conftest import ConsoleErrors, Viewer, open_page, running_viewer

pytestmark = pytest.mark.e2e

STEPS = 200

HOOK = """(key) => {
  const h = (window.__runicornHistograms || {})[key];
  if (!h) return null;
  return { step: h.step, counts: Array.from(h.counts), edges: Array.from(h.edges),
           rows: h.grid.rows, columns: h.grid.steps.length, lo: h.grid.lo, hi: h.grid.hi };
}"""

# Pixels of the heatmap canvas that are drawn (alpha > 0), and how many columns have any.
HEATMAP_INK = """(key) => {
  const card = document.querySelector(`[data-testid="histogram-card"][data-key="${key}"]`);
  const canvas = card.querySelector('[data-testid="histogram-heatmap"]');
  const { width, height } = canvas;
  const data = canvas.getContext("2d").getImageData(0, 0, width, height).data;
  let inked = 0;
  const columns = new Set();
  for (let y = 0; y < height; y++) for (let x = 0; x < width; x++) {
    if (data[(y * width + x) * 4 + 3] > 0) { inked++; columns.add(x); }
  }
  return { inked, columns: columns.size, width, height };
}"""


@pytest.fixture(scope="module")
def histogram_viewer(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Viewer, str]]:
    root = tmp_path_factory.mktemp("histogram-root")
    saved = os.environ.get("RUNICORN_FLUSH_INTERVAL")
    os.environ["RUNICORN_FLUSH_INTERVAL"] = "0.05"
    try:
        run = rn.init(
            project="vision", name="resnet", storage=root, config={"batch_size": 64},
            capture_console=False, capture_env=False, system_metrics=False,
        )  # fmt: skip
        rng = np.random.default_rng(3)
        for step in range(1, STEPS + 1):
            weights = rng.normal(step / 50, 1 + step / 200, 2000)
            weights[:3] = np.nan  # a diverging corner: counted apart, never drawn
            run.log({"train/loss": 1 / step, "weights/fc1": rn.Histogram(weights)}, step=step)
        run.finish()
    finally:
        if saved is None:
            os.environ.pop("RUNICORN_FLUSH_INTERVAL", None)
        else:
            os.environ["RUNICORN_FLUSH_INTERVAL"] = saved
    folder = tmp_path_factory.mktemp("histogram-viewer")
    with running_viewer(root, folder, runs=1) as viewer:
        yield viewer, run.id


@pytest.fixture
def hist_page(
    browser: Browser, histogram_viewer: tuple[Viewer, str], console_errors: ConsoleErrors
) -> Iterator[Page]:
    viewer, _ = histogram_viewer
    with open_page(
        browser, viewer.url, console_errors, viewport={"width": 1400, "height": 1100}
    ) as tab:
        yield tab
    assert not console_errors.unexpected(), console_errors.unexpected()


def hook(page: Page, key: str) -> dict[str, Any]:
    page.wait_for_function(f"({HOOK})({key!r}) !== null")
    return page.evaluate(HOOK, key)


def test_histogram_panel_draws_and_its_slider_changes_the_step(
    hist_page: Page, histogram_viewer: tuple[Viewer, str], screenshot: Callable[[Page, str], None]
) -> None:
    viewer, run_id = histogram_viewer
    hist_page.goto(f"/runs/{run_id}")
    panel = hist_page.get_by_test_id("histogram-panel")
    expect(panel).to_be_visible()
    card = panel.locator('[data-testid="histogram-card"][data-key="weights/fc1"]')
    expect(card).to_have_attribute("data-state", "ready")
    expect(card).to_have_attribute("data-steps", str(STEPS))
    # The latest step is shown first.
    expect(card).to_have_attribute("data-step", str(STEPS))

    api = viewer.api(f"/api/runs/{run_id}/histograms", key="weights/fc1")
    drawn = hook(hist_page, "weights/fc1")
    assert drawn["columns"] == STEPS
    assert drawn["counts"] == api["counts"][-1]
    assert sum(drawn["counts"]) == 2000 - 3  # the NaN are not binned
    assert drawn["lo"] <= min(e[0] for e in api["edges"])
    assert drawn["hi"] >= max(e[-1] for e in api["edges"])

    hist_page.wait_for_function(f"({HEATMAP_INK})('weights/fc1').inked > 1000")
    ink = hist_page.evaluate(HEATMAP_INK, "weights/fc1")
    # Every step is a column of colour across the canvas.
    assert ink["columns"] > 0.95 * ink["width"], ink

    slider = card.get_by_test_id("histogram-step-slider")
    slider.fill("49")
    expect(card).to_have_attribute("data-step", "50")
    expect(card.get_by_test_id("histogram-step")).to_have_attribute("data-step", "50")
    hist_page.wait_for_function(f"({HOOK})('weights/fc1').step === 50")
    at_50 = hook(hist_page, "weights/fc1")
    assert at_50["counts"] == api["counts"][49]
    assert at_50["edges"] == api["edges"][49]

    # A click on the heatmap's first tenth picks an early step.
    heatmap = card.get_by_test_id("histogram-heatmap")
    box = heatmap.bounding_box()
    assert box is not None
    heatmap.click(position={"x": box["width"] * 0.05, "y": box["height"] / 2})
    hist_page.wait_for_function(f"({HOOK})('weights/fc1').step <= 20")
    card.scroll_into_view_if_needed()
    screenshot(hist_page, "panel")


def test_a_run_without_histograms_shows_no_panel(
    hist_page: Page, histogram_viewer: tuple[Viewer, str]
) -> None:
    _, run_id = histogram_viewer
    hist_page.goto(f"/runs/{run_id}?tab=system")
    expect(hist_page.get_by_test_id("panel-system")).to_be_visible()
    expect(hist_page.get_by_test_id("histogram-panel")).to_have_count(0)
