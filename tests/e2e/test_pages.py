"""Every route of the UI loads and renders without a console error; system and settings pages."""

from __future__ import annotations

from collections.abc import Callable

import pytest

pytest.importorskip("playwright.sync_api", reason="browser tests need the playwright package")
from playwright.sync_api import Locator, Page, expect

pytestmark = pytest.mark.e2e


def test_system_page_shows_the_no_gpu_state(page: Page, viewer) -> None:
    gpu = viewer.api("/api/gpu")
    if gpu["available"]:
        pytest.skip("this machine has a GPU; the no-GPU state cannot be shown")
    page.goto("/system")

    no_gpu = page.get_by_test_id("no-gpu")
    expect(no_gpu).to_be_visible()
    if gpu.get("reason"):
        expect(no_gpu).to_contain_text(gpu["reason"])
    expect(page.get_by_test_id("gpu-card")).to_have_count(0)
    expect(page.get_by_test_id("host-card")).to_be_visible()
    expect(page.get_by_test_id("host-memory")).not_to_have_attribute("data-value", "")
    # The host history is a uPlot chart like the others.
    page.wait_for_function("!!(window.__runicornCharts || {})['gpu:host']")


def test_settings_page_shows_the_storage_root(page: Page, viewer) -> None:
    page.goto("/settings")
    expect(page.get_by_test_id("storage-root")).to_contain_text(str(viewer.root))
    assert viewer.api("/api/config")["user_root_dir"] == str(viewer.root)
    expect(page.get_by_test_id("viewer-version")).to_have_text(viewer.api("/api/health")["version"])
    expect(page.get_by_test_id("max-points-input")).to_have_value("2000")


def test_every_route_renders_without_console_errors(
    page: Page, e2e_data, screenshot: Callable[[Page, str], None]
) -> None:
    run = e2e_data.run("vision", "resnet")
    other = e2e_data.run("nlp", "bert")
    ready_card = '[data-testid="chart-card"][data-state="ready"]'
    two_runs_table = '[data-testid="runs-table"][data-total="2"]'
    routes: list[tuple[str, str, Callable[[Page], Locator]]] = [
        ("experiments", "/", lambda p: p.get_by_test_id("run-row").first),
        ("experiments-alias", "/experiments", lambda p: p.get_by_test_id("run-row").first),
        ("project", "/?project=nlp", lambda p: p.locator(two_runs_table)),
        ("recycle-bin", "/?view=bin", lambda p: p.get_by_test_id("bin-empty")),
        ("run-charts", f"/runs/{run.id}", lambda p: p.locator(ready_card).first),
        ("run-logs", f"/runs/{run.id}?tab=logs", lambda p: p.get_by_test_id("log-line").first),
        ("run-config", f"/runs/{run.id}?tab=config", lambda p: p.get_by_test_id("config-table")),
        ("run-environment", f"/runs/{run.id}?tab=environment",
         lambda p: p.get_by_test_id("panel-environment")),
        ("run-media", f"/runs/{run.id}?tab=media", lambda p: p.get_by_test_id("media-image")),
        ("run-system", f"/runs/{run.id}?tab=system", lambda p: p.locator(ready_card).first),
        ("run-time-axis", f"/runs/{run.id}?x=relative&smooth=0.6&logy=1",
         lambda p: p.locator(f'{ready_card}[data-x="relative"]').first),
        ("compare", f"/compare?runs={run.id},{other.id}",
         lambda p: p.get_by_test_id("chart-train/loss")),
        ("compare-empty", "/compare", lambda p: p.get_by_test_id("compare-empty")),
        ("system", "/system", lambda p: p.get_by_test_id("host-card")),
        ("settings", "/settings", lambda p: p.get_by_test_id("storage-root")),
        ("remote", "/remote", lambda p: p.get_by_test_id("remote-form")),
        ("artifacts-empty", "/artifacts", lambda p: p.get_by_test_id("artifacts-empty")),
        ("models-empty", "/models", lambda p: p.get_by_test_id("models-empty")),
        ("run-artifacts", f"/runs/{run.id}?tab=artifacts",
         lambda p: p.get_by_test_id("run-artifacts-used-empty")),
        ("not-found", "/no/such/page", lambda p: p.get_by_test_id("not-found")),
    ]  # fmt: skip
    for label, path, ready in routes:
        page.goto(path)
        expect(ready(page)).to_be_visible()
        expect(page.get_by_test_id("page-crash")).to_have_count(0)
        if label == "run-media":
            image = page.get_by_test_id("media-image").first
            page.wait_for_function("(img) => img.complete && img.naturalWidth === 64",
                                   arg=image.element_handle())  # fmt: skip
        screenshot(page, label)

    # Clicking through the top bar, as a user does, goes the same way.
    for nav, testid in [("nav-compare", "compare-page"), ("nav-system", "system-page"),
                        ("nav-settings", "settings-page"), ("nav-remote", "remote-page"),
                        ("nav-artifacts", "artifacts-page"), ("nav-models", "models-page"),
                        ("nav-experiments", "experiments-page")]:  # fmt: skip
        page.get_by_test_id(nav).click()
        expect(page.get_by_test_id(testid)).to_be_visible()


def test_remote_page_explains_an_unreachable_ssh_server(page: Page, console_errors) -> None:
    # Chromium logs the API's 502 answer itself; that one is expected.
    console_errors.allow(r"status of 502")
    page.goto("/remote")
    page.get_by_test_id("remote-host").fill("127.0.0.1")
    page.get_by_test_id("remote-port").fill("1")
    page.get_by_test_id("remote-user").fill("nobody")
    page.get_by_test_id("remote-auth-agent").click()
    page.get_by_test_id("remote-connect").click()
    error = page.get_by_test_id("remote-connect-error")
    expect(error).to_be_visible()
    expect(error).to_have_attribute("data-reason", "connect_failed")
    expect(page.get_by_test_id("hostkey-dialog")).to_have_count(0)
    expect(page.get_by_test_id("remote-connection")).to_have_count(0)
