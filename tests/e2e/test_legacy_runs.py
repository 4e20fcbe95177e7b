"""A run written by a script for the original Runicorn SDK, in the browser: its alias in the
run header, and its train/val stages drawn as labelled bands on the step-axis charts."""

from __future__ import annotations

import time
from collections.abc import Iterator

import httpx
import pytest

import runicorn as rn

pytest.importorskip("playwright.sync_api", reason="browser tests need the playwright package")
from playwright.sync_api import Page, expect

from .conftest import Viewer, forget_run

pytestmark = pytest.mark.e2e

EPOCHS = 3
TRAIN_STEPS = 20


@pytest.fixture
def legacy_run(viewer: Viewer) -> Iterator[str]:
    """``init(path=, alias=)`` and ``log(..., stage=)`` as the original SDK's scripts call them."""
    run = rn.init(path="cv/yolo/ablation", alias="最佳-v2", storage=viewer.root,
                  system_metrics=False, capture_console=False, capture_env=False)  # fmt: skip
    step = 0
    for epoch in range(EPOCHS):
        for _ in range(TRAIN_STEPS):
            step += 1
            run.log({"train/loss": 2.0 / step + epoch * 0.01}, stage="train")
        step += 1
        run.log({"step": step, "stage": "val", "val/acc": 0.6 + epoch / 10})
    run.finish()
    deadline = time.monotonic() + 30
    while httpx.get(f"{viewer.url}/api/runs/{run.id}", timeout=10).status_code != 200:
        assert time.monotonic() < deadline, "the viewer never indexed the run"
        time.sleep(0.1)
    try:
        yield run.id
    finally:
        forget_run(viewer, run.id)


def test_run_header_shows_the_alias(page: Page, legacy_run: str) -> None:
    page.goto(f"/runs/{legacy_run}")
    expect(page.get_by_test_id("run-title")).to_have_text("yolo/ablation")
    expect(page.get_by_test_id("run-alias")).to_have_text("最佳-v2")


def test_runs_table_shows_the_alias_next_to_the_name(page: Page, legacy_run: str) -> None:
    page.goto("/?project=cv")
    row = page.locator(f'[data-testid="run-row"][data-run-id="{legacy_run}"]')
    expect(row.get_by_test_id("run-link")).to_have_text("yolo/ablation")
    expect(row.get_by_test_id("run-alias")).to_have_text("最佳-v2")


def test_charts_draw_train_and_val_stage_bands(page: Page, legacy_run: str) -> None:
    page.goto(f"/runs/{legacy_run}")
    card = page.locator('[data-testid="chart-card"][data-key="train/loss"]')
    expect(card).to_have_attribute("data-state", "ready")
    bands = card.get_by_test_id("stage-band")
    # The last val step lies past the loss's last point, outside this chart's x range.
    expect(bands).to_have_count(2 * EPOCHS - 1)
    assert [b.get_attribute("data-stage") for b in bands.all()] == ["train", "val"] * 2 + ["train"]
    first = bands.nth(0)
    expect(first).to_be_visible()
    expect(first).to_have_text("train")
    expect(first).to_have_attribute("title", f"train: 1–{TRAIN_STEPS}")
    # The first val band sits where uPlot draws its step on this chart's x axis.
    placed = page.evaluate(
        """([key, step]) => {
          const u = window.__runicornCharts[key];
          const band = u.over.querySelectorAll('[data-testid="stage-band"]')[1];
          return [parseFloat(band.style.left), u.valToPos(step - 0.5, "x")];
        }""",
        ["train/loss", TRAIN_STEPS + 1],
    )
    assert abs(placed[0] - placed[1]) < 1, placed
    val = page.locator('[data-testid="chart-card"][data-key="val/acc"]')
    expect(val).to_have_attribute("data-state", "ready")
    val_bands = val.get_by_test_id("stage-band")  # its x range starts at the first val step
    expect(val_bands).to_have_count(2 * EPOCHS - 1)
    val_stages = [b.get_attribute("data-stage") for b in val_bands.all()]
    assert val_stages == ["val", "train"] * 2 + ["val"]
