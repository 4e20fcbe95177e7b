"""Columns chosen from config and summary keys show their values and sort the table.

Issue 8, item 1: keys such as ``best_val_acc`` and ``batch_size`` came back from
``/api/v2/fields`` in SQLite's quoted label form, so their columns showed "—" and sorting by them
emptied the table with a 400. These runs use the keys real configs have.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("playwright.sync_api", reason="browser tests need the playwright package")
from playwright.sync_api import Browser, Page, expect
from tests.e2e.conftest import (
    TIMEOUT_MS,
    ConsoleErrors,
    Viewer,
    running_viewer,
    screenshot_path,
    watch_page,
)

import runicorn as rn

pytestmark = pytest.mark.e2e

# (batch_size, best_val_acc): every order differs from creation order and from each other.
SWEEP = [(64, 0.912), (256, 0.874), (16, 0.951), (128, 0.903)]


@pytest.fixture(scope="module")
def sweep_root(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, list[str]]]:
    root = tmp_path_factory.mktemp("columns-root")
    ids = []
    for i, (batch_size, best) in enumerate(SWEEP):
        config: dict[str, Any] = {
            "batch_size": batch_size, "weight decay": 0.01 * (i + 1),
            "optimizer.betas": [0.9, 0.999], "optimizer": {"name": "adamw"}, "学习率": 3e-4,
        }  # fmt: skip
        run = rn.init(project="sweep", name="vit", config=config, storage=root,
                      capture_console=False, capture_env=False, system_metrics=False)  # fmt: skip
        for step in range(1, 6):
            run.log({"train/loss": 1 / step, "val/acc": best * step / 5})
        run.summary({"best_val_acc": best})
        run.finish()
        ids.append(run.id)
    yield root, ids


@pytest.fixture(scope="module")
def sweep_viewer(
    sweep_root: tuple[Path, list[str]], tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Viewer]:
    root, ids = sweep_root
    with running_viewer(root, tmp_path_factory.mktemp("columns-viewer"), len(ids)) as server:
        yield server


@pytest.fixture
def sweep_page(
    browser: Browser, sweep_viewer: Viewer, request: pytest.FixtureRequest
) -> Iterator[Page]:
    errors = ConsoleErrors()
    context = browser.new_context(
        base_url=sweep_viewer.url, viewport={"width": 1600, "height": 900}, locale="en-US"
    )
    context.set_default_timeout(TIMEOUT_MS)
    tab = context.new_page()
    watch_page(tab, errors)
    try:
        yield tab
        tab.screenshot(path=str(screenshot_path(request.node)), full_page=True)
    finally:
        context.close()
    assert not errors.unexpected(), "the page logged errors:\n" + "\n".join(errors.unexpected())


ROWS = """() => [...document.querySelectorAll('[data-testid="run-row"]')]
    .sort((a, b) => Number(a.dataset.index) - Number(b.dataset.index))"""


def column_values(page: Page, column: str) -> list[str | None]:
    script = f"""(column) => ({ROWS})().map((row) => [...row.querySelectorAll("[data-col]")]
        .find((cell) => cell.dataset.col === column)?.textContent ?? null)"""
    values: list[str | None] = page.evaluate(script, column)
    return values


def wait_for_order(page: Page, expected: list[str]) -> None:
    page.wait_for_function(
        f"({ROWS})().map((row) => row.dataset.runId).join() === {json.dumps(','.join(expected))}"
    )


def test_summary_and_config_columns_show_values_and_sort(
    sweep_page: Page, sweep_root: tuple[Path, list[str]]
) -> None:
    page = sweep_page
    _, ids = sweep_root
    page.goto("/")
    expect(page.get_by_test_id("run-row")).to_have_count(len(ids))

    page.get_by_test_id("column-picker").click()
    page.get_by_test_id("column-toggle-summary.best_val_acc").check()
    page.get_by_test_id("column-toggle-config.batch_size").check()
    page.get_by_test_id('column-toggle-config."weight decay"').check()
    page.keyboard.press("Escape")

    newest_first = list(reversed(ids))
    best = {run_id: f"{acc}" for run_id, (_, acc) in zip(ids, SWEEP, strict=True)}
    batch = {run_id: str(size) for run_id, (size, _) in zip(ids, SWEEP, strict=True)}
    header = page.get_by_test_id("col-header-summary.best_val_acc")
    expect(header).to_contain_text("best_val_acc")
    expect(page.get_by_test_id('col-header-config."weight decay"')).to_contain_text("weight decay")
    expect(
        page.locator('[data-testid="run-row"] [data-col="summary.best_val_acc"]').first
    ).to_have_text(best[newest_first[0]])
    assert column_values(page, "summary.best_val_acc") == [best[i] for i in newest_first]
    assert column_values(page, "config.batch_size") == [batch[i] for i in newest_first]
    assert "—" not in column_values(page, 'config."weight decay"')

    header.click()
    expect(header).to_have_attribute("data-sort", "desc")
    by_best = sorted(ids, key=lambda i: SWEEP[ids.index(i)][1], reverse=True)
    wait_for_order(page, by_best)
    assert column_values(page, "summary.best_val_acc") == [best[i] for i in by_best]
    expect(page.get_by_test_id("runs-filter-invalid")).to_have_count(0)

    batch_header = page.get_by_test_id("col-header-config.batch_size")
    batch_header.click()
    expect(batch_header).to_have_attribute("data-sort", "desc")
    by_batch = sorted(ids, key=lambda i: SWEEP[ids.index(i)][0], reverse=True)
    wait_for_order(page, by_batch)
    batch_header.click()
    expect(batch_header).to_have_attribute("data-sort", "asc")
    wait_for_order(page, list(reversed(by_batch)))
    assert column_values(page, "config.batch_size") == [batch[i] for i in reversed(by_batch)]

    weight_header = page.get_by_test_id('col-header-config."weight decay"')
    weight_header.click()
    wait_for_order(page, newest_first)
    expect(page.get_by_test_id("runs-filter-invalid")).to_have_count(0)
