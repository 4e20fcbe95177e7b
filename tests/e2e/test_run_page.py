"""A run's page: charts drawn by uPlot, coloured logs, zooming, and live points of a running run."""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import parse_qs, urlparse

import pytest

pytest.importorskip("playwright.sync_api", reason="browser tests need the playwright package")
from playwright.sync_api import Page, Request, expect

pytestmark = pytest.mark.e2e

CHART_STATE = """(key) => {
  const u = (window.__runicornCharts || {})[key];
  if (!u) return null;
  return {
    points: u.data[0].length,
    series: u.series.length - 1,
    x: Array.from(u.data[0]),
    y: Array.from(u.data[1], (v) => (v === null || Number.isNaN(v) ? null : v)),
  };
}"""

# Pixels of the plot area drawn in the first series' colour, and pixels that are not blank. The
# colour is resolved by painting it on a scratch canvas, so any CSS colour form works.
CANVAS_INK = """(key) => {
  const u = window.__runicornCharts[key];
  const s = u.series[1];
  const stroke = typeof s.stroke === "function" ? s.stroke(u, 1) : s.stroke;
  const probe = document.createElement("canvas").getContext("2d");
  probe.fillStyle = stroke;
  probe.fillRect(0, 0, 1, 1);
  const [r, g, b] = probe.getImageData(0, 0, 1, 1).data;
  const { left, top, width, height } = u.bbox;
  const pixels = u.ctx.getImageData(left, top, width, height).data;
  let inked = 0, line = 0;
  for (let i = 0; i < pixels.length; i += 4) {
    if (pixels[i + 3] === 0) continue;
    inked++;
    const [pr, pg, pb] = [pixels[i], pixels[i + 1], pixels[i + 2]];
    const near = Math.abs(pr - r) + Math.abs(pg - g) + Math.abs(pb - b);
    if (near < 90 && pixels[i + 3] > 100) line++;
  }
  return { inked, line, width, height };
}"""


def chart_state(page: Page, key: str) -> dict[str, Any]:
    page.wait_for_function(f"({CHART_STATE})({key!r}) !== null")
    return page.evaluate(CHART_STATE, key)


def ready_card(page: Page, key: str) -> None:
    card = page.locator(f'[data-testid="chart-card"][data-key="{key}"]')
    expect(card).to_have_attribute("data-state", "ready")


def test_run_page_draws_a_chart_per_metric(page: Page, e2e_data) -> None:
    run = e2e_data.run("vision", "resnet")
    page.goto(f"/runs/{run.id}")
    expect(page.get_by_test_id("run-title")).to_contain_text("resnet")

    val_points = run.steps // 5
    for key, points in [("train/loss", run.steps), ("train/acc", run.steps),
                        ("val/loss", val_points), ("val/acc", val_points)]:  # fmt: skip
        ready_card(page, key)
        container = page.get_by_test_id(f"chart-{key}")
        expect(container).to_have_attribute("data-points", str(points))
        expect(container).to_have_attribute("data-count", str(points))
        state = chart_state(page, key)
        assert state["points"] == points
        assert state["series"] == 1
        assert state["x"] == list(range(5 if key.startswith("val") else 1, run.steps + 1,
                                        5 if key.startswith("val") else 1))  # fmt: skip
        page.wait_for_function(f"({CANVAS_INK})({key!r}).line > 50")
        ink = page.evaluate(CANVAS_INK, key)
        assert ink["inked"] > ink["line"] > 50, ink

    # The NaN logged at step 13 is a gap in the line, not a number.
    loss = chart_state(page, "train/loss")
    assert loss["y"][12] is None
    assert all(v is not None for i, v in enumerate(loss["y"]) if i != 12)
    # System series sit in their own section, collapsed until asked for.
    expect(page.locator('[data-testid="chart-section"][data-group="system"]')).to_be_visible()


def test_logs_tab_shows_lines_with_ansi_colours(page: Page, e2e_data) -> None:
    run = e2e_data.run("vision", "resnet")
    page.goto(f"/runs/{run.id}?tab=logs")

    lines = page.get_by_test_id("log-line")
    red = lines.filter(has_text="ERROR: loss diverged at step 13")
    plain = lines.filter(has_text="epoch 1 finished")
    expect(red).to_have_count(1)
    expect(plain).to_have_count(1)
    expect(page.get_by_test_id("log-view")).to_have_attribute("data-lines", "3")
    assert "\x1b" not in red.inner_text() and "[31m" not in red.inner_text()

    coloured = red.locator("span[style*='color']").first
    expect(coloured).to_have_text(re.compile("ERROR: loss diverged"))
    red_colour = coloured.evaluate("(el) => getComputedStyle(el).color")
    plain_colour = plain.evaluate("(el) => getComputedStyle(el).color")
    r, g, b = (int(c) for c in re.findall(r"\d+", red_colour)[:3])
    assert red_colour != plain_colour
    assert r > 150 and r > g + 60 and r > b + 60, red_colour


def _metrics_request_with_range(request: Request) -> bool:
    if request.method != "GET" or "/api/metrics/" not in request.url:
        return False
    query = parse_qs(urlparse(request.url).query)
    return "start" in query and "end" in query


def _range_of(request: Request) -> tuple[float, float]:
    query = parse_qs(urlparse(request.url).query)
    return float(query["start"][0]), float(query["end"][0])


def test_zoom_in_the_url_fetches_only_that_range(page: Page, e2e_data) -> None:
    run = e2e_data.run("vision", "resnet")
    with page.expect_request(_metrics_request_with_range) as request:
        page.goto(f"/runs/{run.id}?zoom=20..40")
    assert _range_of(request.value) == (20, 40)

    ready_card(page, "train/loss")
    expect(page.get_by_test_id("zoom-indicator")).to_be_visible()
    state = chart_state(page, "train/loss")
    assert state["x"] == list(range(20, 41))
    expect(page.get_by_test_id("chart-train/loss")).to_have_attribute("data-count", "21")


def test_dragging_across_a_chart_refetches_the_visible_range(page: Page, e2e_data) -> None:
    run = e2e_data.run("vision", "resnet")
    page.goto(f"/runs/{run.id}")
    ready_card(page, "train/loss")
    assert chart_state(page, "train/loss")["points"] == run.steps

    over = page.locator('[data-testid="chart-train/loss"] .u-over')
    box = over.bounding_box()
    assert box is not None
    y = box["y"] + box["height"] / 2
    with page.expect_request(_metrics_request_with_range) as request:
        page.mouse.move(box["x"] + box["width"] * 0.3, y)
        page.mouse.down()
        page.mouse.move(box["x"] + box["width"] * 0.6, y, steps=8)
        page.mouse.up()
    start, end = _range_of(request.value)
    assert 1 < start < end < run.steps

    expect(page).to_have_url(re.compile(r"[?&]zoom="))
    response = request.value.response()
    assert response is not None and response.ok
    expected = [step for step in range(1, run.steps + 1) if start <= step <= end]
    page.wait_for_function(f"({CHART_STATE})('train/loss')?.x.join() === {expected!r}.join()")
    assert chart_state(page, "train/loss")["points"] == len(expected) < run.steps

    page.get_by_test_id("zoom-reset").click()
    page.wait_for_function(f"({CHART_STATE})('train/loss')?.points === {run.steps}")


def test_running_run_chart_gains_points_while_open(live_run, page: Page) -> None:
    # live_run comes first so that it is torn down (the run deleted) after the page has closed.
    page.goto(f"/runs/{live_run.id}")
    expect(page.get_by_test_id("run-header")).to_have_attribute("data-status", "running")
    ready_card(page, "live/loss")
    first = chart_state(page, "live/loss")["points"]

    page.wait_for_function(f"({CHART_STATE})('live/loss').points >= {first + 5}", timeout=20_000)
    expect(page.get_by_test_id("live-indicator")).to_have_attribute("data-state", "open")
    grown = chart_state(page, "live/loss")
    assert grown["x"] == sorted(grown["x"])
    assert len(set(grown["x"])) == len(grown["x"]), "a live point was appended twice"
