"""Smoothing as W&B users know it: 0.9 visibly smooths a noisy 1M-step run (read from uPlot's own
data through the charts' test hook), the raw line stays faint behind, and `avg` switches to a
running average."""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from typing import Any

import numpy as np
import pytest

import runicorn as rn

pytest.importorskip("playwright.sync_api", reason="browser tests need the playwright package")
from playwright.sync_api import Browser, Page, expect

from .conftest import ConsoleErrors, Viewer, open_page, running_viewer

pytestmark = pytest.mark.e2e

STEPS = 1_000_000
EVERY = 4  # 250,000 logged points spread over 1M steps: the server downsamples them

# The drawn columns of a one-run chart with a band: [x, max, min, raw, smoothed].
SERIES = """(key) => {
  const u = (window.__runicornCharts || {})[key];
  if (!u) return null;
  const col = (i) => (u.data[i] ? Array.from(u.data[i], (v) => (v == null ? null : v)) : null);
  const stroke = (i) => {
    const s = u.series[i] && u.series[i].stroke;
    return s ? String(typeof s === "function" ? s(u, i) : s) : null;
  };
  return { x: col(0), raw: col(3), smooth: col(4), series: u.series.length - 1,
           rawStroke: stroke(3), smoothStroke: stroke(4) };
}"""


@pytest.fixture(scope="module")
def long_run_viewer(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Viewer, str]]:
    root = tmp_path_factory.mktemp("smoothing-root")
    saved = os.environ.get("RUNICORN_FLUSH_INTERVAL")
    os.environ["RUNICORN_FLUSH_INTERVAL"] = "0.05"
    try:
        run = rn.init(
            project="long", name="1M steps", storage=root, capture_console=False,
            capture_env=False, system_metrics=False,
        )  # fmt: skip
        noise = np.random.default_rng(7).normal(0, 0.5, STEPS // EVERY)
        for i, eps in enumerate(noise.tolist()):
            step = i * EVERY
            run.log({"train/loss": 2.0 * np.exp(-step / 300_000) + eps}, step=step)
        run.finish()
    finally:
        if saved is None:
            os.environ.pop("RUNICORN_FLUSH_INTERVAL", None)
        else:
            os.environ["RUNICORN_FLUSH_INTERVAL"] = saved
    folder = tmp_path_factory.mktemp("smoothing-viewer")
    with running_viewer(root, folder, runs=1) as viewer:
        yield viewer, run.id


@pytest.fixture
def long_page(
    browser: Browser, long_run_viewer: tuple[Viewer, str], console_errors: ConsoleErrors
) -> Iterator[Page]:
    viewer, _ = long_run_viewer
    with open_page(browser, viewer.url, console_errors) as tab:
        yield tab
    assert not console_errors.unexpected(), console_errors.unexpected()


def roughness(values: list[float | None]) -> float:
    """Mean absolute change between neighbouring drawn points."""
    v = np.array([np.nan if x is None else x for x in values], dtype=float)
    steps = np.abs(np.diff(v))
    return float(np.nanmean(steps))


def drawn(page: Page, key: str, series: int) -> dict[str, Any]:
    card = page.locator(f'[data-testid="chart-card"][data-key="{key}"]')
    expect(card).to_have_attribute("data-state", "ready")
    page.wait_for_function(f"(({SERIES})({key!r}) || {{series: 0}}).series === {series}")
    return page.evaluate(SERIES, key)


def test_ema_at_0_9_visibly_smooths_a_1m_step_run(long_page: Page, long_run_viewer) -> None:
    _, run_id = long_run_viewer
    long_page.goto(f"/runs/{run_id}?smooth=0.9")
    container = long_page.get_by_test_id("chart-train/loss")
    expect(container).to_have_attribute("data-count", str(STEPS // EVERY))
    expect(container).to_have_attribute("data-downsampled", "true")
    expect(long_page.get_by_test_id("smoothing-input")).to_have_value("0.9")

    state = drawn(long_page, "train/loss", series=4)
    assert state["x"][-1] >= STEPS - 2 * EVERY
    raw, smooth = roughness(state["raw"]), roughness(state["smooth"])
    # Noise of sd 0.5: neighbouring raw points differ by ~0.56; the smoothed line by a hair.
    assert raw > 0.3, raw
    assert smooth < raw / 10, (raw, smooth)
    # The smoothed line follows the trend (2e^(-step/300k)), not a lagging or flattened one.
    for i in (len(state["x"]) // 5, len(state["x"]) // 2, len(state["x"]) - 1):
        trend = 2.0 * np.exp(-state["x"][i] / 300_000)
        assert abs(state["smooth"][i] - trend) < 0.3, (state["x"][i], state["smooth"][i], trend)
    # The raw line stays behind it, faint (an alpha suffix on the same colour).
    assert state["rawStroke"].startswith(state["smoothStroke"]) and len(state["rawStroke"]) == 9

    # Without smoothing only the raw line is drawn; the URL's smooth=0 is kept.
    long_page.get_by_test_id("smoothing-input").fill("0")
    expect(long_page).to_have_url(re.compile(r"[?&]smooth=0(&|$)"))
    drawn(long_page, "train/loss", series=3)


def test_running_average_window_from_the_url(long_page: Page, long_run_viewer) -> None:
    _, run_id = long_run_viewer
    long_page.goto(f"/runs/{run_id}?avg=5000")
    expect(long_page.get_by_test_id("smoothing-mode")).to_have_value("avg")
    expect(long_page.get_by_test_id("smoothing-window")).to_have_value("5000")
    state = drawn(long_page, "train/loss", series=4)
    assert roughness(state["smooth"]) < roughness(state["raw"]) / 4

    long_page.get_by_test_id("smoothing-mode").select_option("ema")
    expect(long_page.get_by_test_id("smoothing-slider")).to_be_visible()
    long_page.wait_for_function("!window.location.search.includes('avg=')")


def test_smoothing_strength_reaches_the_chart_from_an_old_link(
    long_page: Page, long_run_viewer
) -> None:
    """`smooth` kept its meaning (EMA strength): a link made before still smooths."""
    _, run_id = long_run_viewer
    long_page.goto(f"/runs/{run_id}?smooth=0.6&logy=1")
    expect(long_page.get_by_test_id("smoothing-mode")).to_have_value("ema")
    expect(long_page.get_by_test_id("log-y-toggle")).to_be_checked()
    state = drawn(long_page, "train/loss", series=4)
    assert any(v is not None for v in state["smooth"])
