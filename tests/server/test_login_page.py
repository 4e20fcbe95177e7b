"""The team server's login page in a real headless Chromium: a visit without a token lands on
it, a wrong token is refused, the right one opens the runs its user may see."""

from __future__ import annotations

from pathlib import Path

import pytest
from team_server import TeamServer

import runicorn as rn
from runicorn.manifest.http_push import push_root
from runicorn.viewer.utils.path import DEFAULT_STATIC_DIR

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic",
]  # fmt: skip

playwright_api = pytest.importorskip("playwright.sync_api")
if not CHROMIUM.exists() or not (DEFAULT_STATIC_DIR / "index.html").exists():
    pytest.skip("needs /usr/bin/chromium and a built web UI", allow_module_level=True)


def test_login_page_opens_the_users_runs(team: TeamServer, root: Path) -> None:
    for project, name in (("vision", "resnet"), ("nlp", "bert")):
        run = rn.init(
            project=project, name=name, storage=root, config={"batch_size": 32},
            system_metrics=False, capture_console=False, capture_env=False,
        )  # fmt: skip
        run.log({"train/loss": 0.5})
        run.finish()
    assert push_root(root, team.url, token=team.add_user("admin", "admin")).ok
    token = team.add_user("vic", "reader", "vision")
    with playwright_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True
        )
        try:
            page = browser.new_page()
            page.goto(f"{team.url}/compare?ids=x")
            page.wait_for_url("**/login?next=*", timeout=20_000)
            page.get_by_test_id("login-token").fill("rnt_wrong")
            page.get_by_test_id("login-submit").click()
            assert "not valid" in page.get_by_test_id("login-error").inner_text(timeout=10_000)
            page.get_by_test_id("login-token").fill(token)
            page.get_by_test_id("login-submit").click()
            page.wait_for_url("**/compare?ids=x", timeout=20_000)
            page.goto(f"{team.url}/")
            playwright_api.expect(page.get_by_text("resnet").first).to_be_visible(timeout=20_000)
            assert page.get_by_text("bert").count() == 0
            cookies = page.context.cookies()
            session = [c for c in cookies if c["name"] == "runicorn_session"]
            assert session and session[0]["httpOnly"] and session[0]["sameSite"] == "Strict"
            assert page.evaluate("document.cookie") == ""
        finally:
            browser.close()
