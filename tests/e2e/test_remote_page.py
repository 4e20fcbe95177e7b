"""The Remote page, end to end: connect over a real sshd, trust its key, start a viewer, open it."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

pytest.importorskip("playwright.sync_api", reason="browser tests need the playwright package")
from playwright.sync_api import Page, expect
from sshd import SSHD, SSHD_MISSING_REASON, SshdServer, running_sshd

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def sshd_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SshdServer]:
    if not SSHD.exists():
        pytest.skip(SSHD_MISSING_REASON)
    with running_sshd(tmp_path_factory.mktemp("sshd")) as server:
        yield server


def test_remote_page_trusts_the_host_key_starts_a_viewer_and_opens_it(
    page: Page, viewer, e2e_data, console_errors, sshd_server: SshdServer
) -> None:
    # Chromium logs the API's 409 for the unknown host key itself; that one is expected.
    console_errors.allow(r"status of 409")
    page.goto("/remote")
    page.get_by_test_id("remote-host").fill(sshd_server.host)
    page.get_by_test_id("remote-port").fill(str(sshd_server.port))
    page.get_by_test_id("remote-user").fill(sshd_server.user)
    page.get_by_test_id("remote-auth-key").click()
    page.get_by_test_id("remote-key-path").fill(str(sshd_server.client_key_path))
    page.get_by_test_id("remote-connect").click()

    # An unknown host: nothing is trusted until the user accepts the fingerprint shown.
    dialog = page.get_by_test_id("hostkey-dialog")
    expect(dialog).to_be_visible(timeout=30_000)
    fingerprint = sshd_server.host_public_key.get_fingerprint("sha256")
    expect(page.get_by_test_id("hostkey-fingerprint")).to_contain_text(fingerprint)
    expect(page.get_by_test_id("remote-connection")).to_have_count(0)
    page.get_by_test_id("hostkey-accept").click()
    expect(page.get_by_test_id("remote-connection")).to_have_count(1, timeout=30_000)

    # The environment picker lists the remote Pythons; this venv (as a conda env) has Runicorn.
    environments = page.get_by_test_id("remote-env-select")
    expect(environments).to_be_enabled(timeout=30_000)
    page.get_by_test_id("remote-root-input").fill(str(e2e_data.root))
    start = page.get_by_test_id("remote-start-viewer")
    expect(start).to_be_enabled(timeout=30_000)
    start.click()

    card = page.get_by_test_id("remote-session-card")
    expect(card).to_have_attribute("data-state", "running", timeout=60_000)
    url = page.get_by_test_id("remote-session-open").get_attribute("href")
    assert url and url.startswith("http://127.0.0.1:") and "token=" in url

    # Through the tunnel, the remote viewer lists the remote root's runs.
    remote_tab = page.context.new_page()
    remote_tab.goto(url)
    expect(remote_tab.get_by_test_id("run-row")).to_have_count(len(e2e_data.runs), timeout=30_000)
    remote_tab.close()

    page.get_by_test_id("remote-session-stop").click()
    expect(page.get_by_test_id("remote-session-card")).to_have_count(0, timeout=30_000)
