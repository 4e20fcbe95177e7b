"""The experiments page: the runs table, sorting by a column, filtering with a v2 expression."""

from __future__ import annotations

import re

import httpx
import pytest

pytest.importorskip("playwright.sync_api", reason="browser tests need the playwright package")
from playwright.sync_api import Page, expect

pytestmark = pytest.mark.e2e

ROWS_IN_ORDER = """() => [...document.querySelectorAll('[data-testid="run-row"]')]
    .sort((a, b) => Number(a.dataset.index) - Number(b.dataset.index))
    .map((row) => row.dataset.runId)"""


def shown_run_ids(page: Page) -> list[str]:
    return page.evaluate(ROWS_IN_ORDER)


def wait_for_rows(page: Page, count: int) -> None:
    expect(page.get_by_test_id("runs-table")).to_have_attribute("data-total", str(count))
    expect(page.get_by_test_id("run-row")).to_have_count(count)


def test_table_lists_every_run_newest_first(page: Page, e2e_data) -> None:
    page.goto("/")
    wait_for_rows(page, len(e2e_data.runs))

    newest_first = [run.id for run in reversed(e2e_data.runs)]
    assert shown_run_ids(page) == newest_first
    for run in e2e_data.runs:
        row = page.locator(f'[data-testid="run-row"][data-run-id="{run.id}"]')
        expect(row).to_have_attribute("data-status", "finished")
        expect(row.get_by_test_id("run-link")).to_have_text(run.name)
        for tag in run.tags:
            expect(row).to_contain_text(tag)


def test_clicking_a_column_header_sorts_the_runs(page: Page, e2e_data) -> None:
    page.goto("/")
    wait_for_rows(page, len(e2e_data.runs))
    default_order = shown_run_ids(page)
    header = page.get_by_test_id("col-header-name")
    by_name = {run.id: run.name for run in e2e_data.runs}

    header.click()
    expect(header).to_have_attribute("data-sort", "desc")
    expect(page).to_have_url(re.compile(r"[?&]sort=-name\b"))
    # Ties (two resnet runs) are broken by id, in the same direction as the sort.
    expected_desc = [
        run.id for run in sorted(e2e_data.runs, key=lambda r: (r.name, r.id), reverse=True)
    ]
    expect(page.get_by_test_id("run-row").first).to_have_attribute("data-run-id", expected_desc[0])
    page.wait_for_function(f"({ROWS_IN_ORDER})().join() === {expected_desc!r}.join()")
    assert [by_name[i] for i in shown_run_ids(page)] == ["vit", "resnet", "resnet", "gpt", "bert"]
    assert shown_run_ids(page) != default_order

    header.click()
    expect(header).to_have_attribute("data-sort", "asc")
    expected_asc = [run.id for run in sorted(e2e_data.runs, key=lambda r: (r.name, r.id))]
    page.wait_for_function(f"({ROWS_IN_ORDER})().join() === {expected_asc!r}.join()")
    assert [by_name[i] for i in shown_run_ids(page)] == ["bert", "gpt", "resnet", "resnet", "vit"]


def test_filter_expression_keeps_only_matching_runs(page: Page, e2e_data, viewer) -> None:
    page.goto("/")
    wait_for_rows(page, len(e2e_data.runs))

    expression = "config.lr < 1e-3"
    box = page.get_by_test_id("filter-input")
    box.fill(expression)
    box.press("Enter")

    expected = {run.id for run in e2e_data.runs if run.config["lr"] < 1e-3}
    assert len(expected) == 3  # lr = 1e-3 itself is excluded
    wait_for_rows(page, len(expected))
    assert set(shown_run_ids(page)) == expected
    expect(page).to_have_url(re.compile(r"[?&]filter=config"))
    server = viewer.api("/api/v2/experiments", filter=expression)
    assert {item["id"] for item in server["items"]} == expected

    page.get_by_test_id("filter-clear").click()
    wait_for_rows(page, len(e2e_data.runs))


def test_bad_filter_expression_shows_the_servers_error(
    page: Page, e2e_data, viewer, console_errors
) -> None:
    # The browser reports the refused request itself; that error is the point of this test.
    console_errors.allow(r"status of 400")
    expression = "config.lr < 1e-3 and"
    refusal = httpx.get(f"{viewer.url}/api/v2/experiments", params={"filter": expression})
    assert refusal.status_code == 400
    detail, position = refusal.json()["detail"], refusal.json()["position"]

    page.goto("/")
    wait_for_rows(page, len(e2e_data.runs))
    box = page.get_by_test_id("filter-input")
    box.fill(expression)
    box.press("Enter")

    error = page.get_by_test_id("filter-error")
    expect(error).to_be_visible()
    expect(error).to_contain_text(detail)
    expect(error).to_have_attribute("data-position", str(min(position, len(expression))))
    expect(box).to_have_attribute("aria-invalid", "true")
    expect(page.get_by_test_id("runs-filter-invalid")).to_be_visible()
