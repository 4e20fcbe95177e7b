"""The Remote page's "Sync": pull a remote root into the viewer's own root, with progress."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

pytest.importorskip("playwright.sync_api", reason="browser tests need the playwright package")
from playwright.sync_api import Browser, Page, expect
from sshd import SSHD, SSHD_MISSING_REASON, SshdServer, running_sshd
from sync_runs import record_runs, run_files

from .conftest import ConsoleErrors, running_viewer, watch_page

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def sshd_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SshdServer]:
    if not SSHD.exists():
        pytest.skip(SSHD_MISSING_REASON)
    with running_sshd(tmp_path_factory.mktemp("sshd")) as server:
        yield server


@pytest.fixture
def laptop_viewer(tmp_path: Path) -> Iterator[tuple[str, Path]]:
    """A viewer of its own on an empty root (the shared e2e root must not gain runs)."""
    root = tmp_path / "laptop"
    root.mkdir()
    with running_viewer(root, tmp_path) as server:
        yield server.url, root


@pytest.fixture
def laptop_page(
    browser: Browser, laptop_viewer: tuple[str, Path], console_errors: ConsoleErrors
) -> Iterator[Page]:
    context = browser.new_context(
        base_url=laptop_viewer[0], viewport={"width": 1400, "height": 900}
    )
    tab = context.new_page()
    watch_page(tab, console_errors)
    try:
        yield tab
    finally:
        context.close()
    unexpected = console_errors.unexpected()
    assert not unexpected, "the page logged errors:\n" + "\n".join(unexpected)


def test_sync_pulls_the_remote_runs_and_the_runs_page_lists_them(
    laptop_page: Page,
    laptop_viewer: tuple[str, Path],
    console_errors: ConsoleErrors,
    sshd_server: SshdServer,
    tmp_path: Path,
) -> None:
    console_errors.allow(r"status of 409")
    remote_root = tmp_path / "gpu01"
    ids = record_runs(remote_root, 3, name="resnet50")
    page = laptop_page
    page.goto("/remote")
    page.get_by_test_id("remote-host").fill(sshd_server.host)
    page.get_by_test_id("remote-port").fill(str(sshd_server.port))
    page.get_by_test_id("remote-user").fill(sshd_server.user)
    page.get_by_test_id("remote-auth-key").click()
    page.get_by_test_id("remote-key-path").fill(str(sshd_server.client_key_path))
    page.get_by_test_id("remote-connect").click()
    expect(page.get_by_test_id("hostkey-dialog")).to_be_visible(timeout=30_000)
    page.get_by_test_id("hostkey-accept").click()
    expect(page.get_by_test_id("remote-connection")).to_have_count(1, timeout=30_000)

    page.get_by_test_id("remote-root-input").fill(str(remote_root))
    page.get_by_test_id("remote-sync-start").click()

    panel = page.get_by_test_id("remote-sync")
    expect(panel).to_have_attribute("data-state", "finished", timeout=60_000)
    expect(page.get_by_test_id("remote-sync-result")).to_contain_text("3 new")
    assert int(page.get_by_test_id("remote-sync-progress").get_attribute("data-runs") or 0) == 3
    assert run_files(laptop_viewer[1]) == run_files(remote_root)

    page.goto("/")
    expect(page.get_by_test_id("run-row")).to_have_count(len(ids), timeout=30_000)
