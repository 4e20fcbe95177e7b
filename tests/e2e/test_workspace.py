"""The run page's workspace: a pinned and reordered chart layout survives a reload, applies to
another run of the project, and can be saved and shared as a named view."""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

pytest.importorskip("playwright.sync_api", reason="browser tests need the playwright package")
from playwright.sync_api import Locator, Page, expect

pytestmark = pytest.mark.e2e


@pytest.fixture
def clean_workspace(viewer) -> Iterator[None]:
    """The shared viewer's stored views are emptied before and after, for the other tests."""
    reset = {"preferences": {"workspace.views": {}}}
    httpx.put(f"{viewer.url}/api/ui-preferences", json=reset, timeout=30).raise_for_status()
    yield
    httpx.put(f"{viewer.url}/api/ui-preferences", json=reset, timeout=30).raise_for_status()


TRAIN_ORDER = """(order) => [...document.querySelectorAll(
  '[data-group="train"] [data-testid="workspace-item"]')]
  .map((e) => e.dataset.key).join() === order"""


def drag(page: Page, item: Locator, target: Locator) -> None:
    """Drags ``item`` by its handle onto ``target`` with real mouse moves (HTML5 drag and drop)."""
    handle = item.get_by_test_id("ws-drag")
    target.scroll_into_view_if_needed()
    handle.scroll_into_view_if_needed()
    start, end = handle.bounding_box(), target.bounding_box()
    assert start is not None and end is not None
    page.mouse.move(start["x"] + start["width"] / 2, start["y"] + start["height"] / 2)
    page.mouse.down()
    # Near the target's top (its bar and title), which is in view when the handle is.
    page.mouse.move(end["x"] + end["width"] / 2, end["y"] + 40, steps=5)
    page.mouse.up()


def section_keys(page: Page, group: str) -> list[str]:
    section = page.locator(f'[data-testid="chart-section"][data-group="{group}"]')
    return section.locator('[data-testid="workspace-item"]').evaluate_all(
        "(els) => els.map((e) => e.dataset.key)"
    )


def stored_views(viewer) -> dict[str, Any]:
    prefs = httpx.get(f"{viewer.url}/api/ui-preferences", timeout=30).json()["preferences"]
    views: dict[str, Any] = prefs.get("workspace.views") or {}
    return views


def wait_saved(viewer, check, timeout: float = 10.0) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    views = stored_views(viewer)
    while not check(views) and time.monotonic() < deadline:
        time.sleep(0.1)
        views = stored_views(viewer)
    assert check(views), views
    return views


def expect_layout(page: Page) -> None:
    expect(page.locator('[data-testid="chart-section"][data-group="pinned"]')).to_be_visible()
    page.wait_for_function(
        """() => [...document.querySelectorAll('[data-testid="chart-section"]')]
             .map((s) => s.dataset.group).join(",").startsWith("pinned,train,val")"""
    )
    assert section_keys(page, "pinned") == ["val/acc"]
    assert section_keys(page, "train") == ["train/acc", "train/loss"]
    assert section_keys(page, "val") == ["val/loss"]


def test_a_pinned_and_reordered_layout_survives_reload_and_applies_to_another_run(
    page: Page, e2e_data, viewer, clean_workspace: None
) -> None:
    resnet, vit = e2e_data.runs[0], e2e_data.run("vision", "vit")
    page.goto(f"/runs/{resnet.id}")
    expect(page.locator('[data-testid="chart-card"][data-key="val/acc"]')).to_have_attribute(
        "data-state", "ready"
    )
    # Prefixed training metrics come first, natural order inside a section.
    assert section_keys(page, "train") == ["train/acc", "train/loss"]

    val_acc = page.locator('[data-testid="workspace-item"][data-key="val/acc"]')
    val_acc.get_by_test_id("ws-pin").click()
    expect(val_acc).to_have_attribute("data-pinned", "true")
    assert section_keys(page, "pinned") == ["val/acc"]

    # Drag train/loss before train/acc, then back after it through the other chart's handle.
    loss = page.locator('[data-testid="workspace-item"][data-key="train/loss"]')
    acc = page.locator('[data-testid="workspace-item"][data-key="train/acc"]')
    drag(page, loss, acc)
    page.wait_for_function(TRAIN_ORDER, arg="train/loss,train/acc")
    drag(page, acc, loss)
    page.wait_for_function(TRAIN_ORDER, arg="train/acc,train/loss")
    loss.get_by_test_id("ws-wide").click()
    expect(loss).to_have_attribute("data-wide", "true")

    views = wait_saved(
        viewer,
        lambda v: (
            (v.get("vision") or {}).get("default", {}).get("sizes", {}).get("train/loss") == "wide"
        ),
    )
    assert views["vision"]["default"]["pinned"] == ["val/acc"]

    page.reload()
    expect_layout(page)
    expect(page.locator('[data-testid="workspace-item"][data-key="train/loss"]')).to_have_attribute(
        "data-wide", "true"
    )

    page.goto(f"/runs/{vit.id}")
    expect(page.get_by_test_id("run-title")).to_contain_text("vit")
    expect_layout(page)

    # Hide a chart: it is gone until shown again.
    page.locator('[data-testid="workspace-item"][data-key="val/loss"]').get_by_test_id(
        "ws-hide"
    ).click()
    expect(page.locator('[data-testid="workspace-item"][data-key="val/loss"]')).to_have_count(0)
    page.get_by_test_id("workspace-show-hidden").click()
    expect(page.locator('[data-testid="workspace-item"][data-key="val/loss"]')).to_have_count(1)


def test_a_named_view_is_shared_by_url_and_stays_in_its_project(
    page: Page, e2e_data, viewer, clean_workspace: None
) -> None:
    resnet, bert = e2e_data.runs[0], e2e_data.run("nlp", "bert")
    page.goto(f"/runs/{resnet.id}")
    item = page.locator('[data-testid="workspace-item"][data-key="train/loss"]')
    item.get_by_test_id("ws-pin").click()
    page.get_by_test_id("workspace-view-name").fill("loss first")
    page.get_by_test_id("workspace-view-save").click()
    expect(page).to_have_url(re.compile(r"[?&]view=loss(\+|%20)first"))
    wait_saved(viewer, lambda v: "loss first" in (v.get("vision") or {}))

    # The link opens the same arrangement in a fresh browser context.
    other = page.context.browser.new_context(base_url=viewer.url)  # type: ignore[union-attr]
    try:
        tab = other.new_page()
        tab.goto(f"/runs/{resnet.id}?view=loss%20first")
        expect(tab.get_by_test_id("workspace-view-select")).to_have_value("loss first")
        expect(tab.locator('[data-testid="chart-section"][data-group="pinned"]')).to_contain_text(
            "train/loss"
        )
    finally:
        other.close()

    page.goto(f"/runs/{bert.id}")
    expect(page.get_by_test_id("run-title")).to_contain_text("bert")
    expect(page.locator('[data-testid="chart-card"][data-key="train/loss"]')).to_be_visible()
    expect(page.locator('[data-testid="chart-section"][data-group="pinned"]')).to_have_count(0)


PANEL = """(id) => {
  const u = (window.__runicornCharts || {})[`panel:${id}`];
  if (!u) return null;
  return { labels: u.series.slice(1).map((s) => String(s.label)), x: u.data[0].length,
           drawn: u.data.slice(1).map((c) => c.filter((v) => v != null).length) };
}"""


def test_a_custom_panel_draws_several_metrics_on_one_chart(
    page: Page, e2e_data, viewer, clean_workspace: None
) -> None:
    resnet = e2e_data.runs[0]
    page.goto(f"/runs/{resnet.id}")
    expect(page.locator('[data-testid="chart-card"][data-key="val/loss"]')).to_be_visible()
    page.get_by_test_id("panel-keys").select_option(["train/loss", "val/loss"])
    page.get_by_test_id("panel-add").click()
    panel_id = "train/loss+val/loss"
    card = page.locator(f'[data-testid="panel-card"][data-panel="{panel_id}"]')
    expect(card).to_have_attribute("data-state", "ready")
    page.wait_for_function(f"({PANEL})({panel_id!r}) !== null")
    drawn = page.evaluate(PANEL, panel_id)
    assert drawn["labels"] == ["train/loss", "val/loss"]
    # One x axis for both: every step of train/loss, val/loss every fifth step.
    assert drawn["x"] == resnet.steps
    assert drawn["drawn"] == [resnet.steps - 1, resnet.steps // 5]  # train/loss has a NaN

    wait_saved(viewer, lambda v: bool((v.get("vision") or {}).get("default", {}).get("panels")))
    page.reload()
    expect(card).to_have_attribute("data-state", "ready")
    card.get_by_test_id("panel-remove").click()
    expect(card).to_have_count(0)
