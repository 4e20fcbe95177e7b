"""Language and theme: switched from the top bar, applied at once, remembered after a reload."""

from __future__ import annotations

import httpx
import pytest

pytest.importorskip("playwright.sync_api", reason="browser tests need the playwright package")
from playwright.sync_api import Page, expect

pytestmark = pytest.mark.e2e

BODY_BACKGROUND = "() => getComputedStyle(document.body).backgroundColor"


def test_switching_to_chinese_changes_the_text_and_is_remembered(page: Page, e2e_data) -> None:
    page.goto("/")
    expect(page.get_by_test_id("run-row")).to_have_count(len(e2e_data.runs))
    nav = page.get_by_test_id("nav-experiments")
    expect(nav).to_have_text("Experiments")
    expect(page.get_by_test_id("nav-settings")).to_have_text("Settings")
    expect(page.locator("html")).not_to_have_attribute("lang", "zh-CN")

    page.get_by_test_id("lang-zh").click()
    expect(nav).to_have_text("实验")
    expect(page.get_by_test_id("nav-settings")).to_have_text("设置")
    expect(page.get_by_test_id("lang-zh")).to_have_attribute("aria-pressed", "true")
    expect(page.locator("html")).to_have_attribute("lang", "zh-CN")

    page.reload()
    expect(page.get_by_test_id("nav-experiments")).to_have_text("实验")
    expect(page.get_by_test_id("nav-compare")).to_have_text("对比")
    expect(page.get_by_test_id("lang-zh")).to_have_attribute("aria-pressed", "true")

    page.get_by_test_id("lang-en").click()
    expect(page.get_by_test_id("nav-experiments")).to_have_text("Experiments")


def test_theme_toggle_changes_the_background_and_is_remembered(page: Page) -> None:
    page.goto("/settings")
    html = page.locator("html")
    toggle = page.get_by_test_id("theme-toggle")
    expect(html).to_have_attribute("data-theme", "light")
    expect(toggle).to_have_attribute("data-theme", "light")
    light = page.evaluate(BODY_BACKGROUND)

    toggle.click()
    expect(html).to_have_attribute("data-theme", "dark")
    expect(toggle).to_have_attribute("data-theme", "dark")
    page.wait_for_function(f"({BODY_BACKGROUND})() !== {light!r}")
    dark = page.evaluate(BODY_BACKGROUND)
    assert luminance(dark) < luminance(light)

    page.reload()
    expect(html).to_have_attribute("data-theme", "dark")
    expect(page.get_by_test_id("theme-dark")).to_have_attribute("aria-pressed", "true")
    assert page.evaluate(BODY_BACKGROUND) == dark

    page.get_by_test_id("theme-light").click()
    expect(html).to_have_attribute("data-theme", "light")
    page.wait_for_function(f"({BODY_BACKGROUND})() === {light!r}")


def luminance(css_rgb: str) -> float:
    red, green, blue = (float(part) for part in css_rgb[css_rgb.index("(") + 1 : -1].split(",")[:3])
    return 0.2126 * red + 0.7152 * green + 0.0722 * blue


def test_chart_settings_follow_the_metric_to_other_runs(page: Page, viewer, e2e_data) -> None:
    first, second = e2e_data.run("vision", "resnet"), e2e_data.run("nlp", "bert")
    log_button = '[data-testid="chart-card"][data-key="train/acc"] [data-testid="chart-log-y"]'
    try:
        page.goto(f"/runs/{first.id}")
        expect(page.locator(log_button)).to_have_attribute("aria-pressed", "false")
        page.locator(log_button).click()
        expect(page.locator(log_button)).to_have_attribute("aria-pressed", "true")

        page.goto(f"/runs/{second.id}")
        expect(page.locator(log_button)).to_have_attribute("aria-pressed", "true")
        other = '[data-testid="chart-card"][data-key="train/loss"] [data-testid="chart-log-y"]'
        expect(page.locator(other)).to_have_attribute("aria-pressed", "false")
        # Saved on the server, so a new browser profile sees it too.
        page.wait_for_function(
            "async () => (await (await fetch('/api/ui-preferences')).json())"
            ".preferences['charts.overrides']?.['train/acc']?.logY === true"
        )
    finally:
        httpx.put(
            f"{viewer.url}/api/ui-preferences",
            json={"preferences": {"charts.overrides": {}}},
            headers={"Origin": viewer.url.rstrip("/")},
            timeout=30,
        ).raise_for_status()
