"""Issue 8 item 14: ``/docs`` renders with no network beyond the viewer itself."""

from __future__ import annotations

import pytest

pytest.importorskip("playwright.sync_api", reason="browser tests need the playwright package")
from playwright.sync_api import Page, Route, expect

pytestmark = pytest.mark.e2e


def test_api_docs_render_offline(page: Page, viewer) -> None:
    elsewhere: list[str] = []

    def offline(route: Route) -> None:
        # Only the viewer answers: a CDN (or anything else) is unreachable, as on an air-gapped
        # cluster node.
        if route.request.url.startswith(viewer.url):
            route.continue_()
        else:
            elsewhere.append(route.request.url)
            route.abort()

    page.context.route("**/*", offline)
    page.goto("/docs")
    expect(page.locator(".swagger-ui .info .title")).to_contain_text("Runicorn viewer")
    metrics = page.locator(".opblock-summary-path", has_text="/api/metrics/{run_id}")
    expect(metrics.first).to_be_visible()
    metrics.first.click()
    expect(page.locator(".responses-wrapper").first).to_contain_text("429")
    assert elsewhere == []
