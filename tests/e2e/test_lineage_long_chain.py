"""A long fine-tuning chain's lineage in the browser: 200 runs, each using the one dataset and
the checkpoint the run before produced. Every run's edge from the dataset spans the whole chain,
the shape whose layout used to take minutes on the page's thread; the layout now runs in a
worker and the graph is drawn while the page keeps answering.

The module has a viewer and a root of its own (the shared e2e root must not gain runs).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

pytest.importorskip("playwright.sync_api", reason="browser tests need the playwright package")
from playwright.sync_api import Page, expect

import runicorn as rn

from .conftest import Viewer, running_viewer

pytestmark = pytest.mark.e2e

PROJECT = "vision"
RUNS = 200
# The longest the page's thread may stall while the graph is laid out: a layout on that
# thread stalls it for seconds.
MAX_STALL_MS = 1000


def _quiet_run(root: Path, name: str, config: dict[str, object]) -> rn.Run:
    return rn.init(
        project=PROJECT, name=name, config=config, storage=root,
        capture_console=False, capture_env=False, system_metrics=False,
    )  # fmt: skip


def _record_fine_tuning_chain(root: Path, work: Path) -> None:
    prepare = _quiet_run(root, "prepare-imagenet", {})
    (work / "train").mkdir()
    (work / "train" / "n01440764.tar").write_bytes(os.urandom(2048))
    dataset = rn.Artifact("imagenet-subset", "dataset", description="ImageNet, 10 classes")
    dataset.add_dir(work / "train")
    assert prepare.log_artifact(dataset, aliases=["stable"]).wait(60) is not None
    prepare.finish()
    for i in range(1, RUNS + 1):
        run = _quiet_run(root, f"finetune-{i:03d}", {"学习率": 1e-4 / i, "batch_size": 64})
        assert run.use_artifact("imagenet-subset:stable") is not None
        if i > 1:
            assert run.use_artifact(f"vit-b16:v{i - 1}") is not None
        run.log({"train/loss": 1.0 / i, "val/acc": float("nan") if i == 7 else 0.5 + i / 1000})
        (work / "model.pt").write_bytes(os.urandom(256))
        assert run.log_model(work / "model.pt", "vit-b16").wait(60) is not None
        run.finish()


@pytest.fixture(scope="module")
def viewer(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Viewer]:
    root = tmp_path_factory.mktemp("long-chain-root")
    _record_fine_tuning_chain(root, tmp_path_factory.mktemp("long-chain-work"))
    with running_viewer(root, tmp_path_factory.mktemp("long-chain-viewer"), RUNS + 1) as server:
        yield server


def test_a_200_run_fine_tuning_chain_is_drawn_and_the_page_stays_responsive(page: Page) -> None:
    page.goto(f"/artifacts/{PROJECT}/imagenet-subset/stable")
    expect(page.get_by_test_id("version-tab-lineage")).to_be_visible()
    # Measure the longest gap between timer ticks while the layout runs.
    page.evaluate(
        """() => {
          window.__layoutStall = 0;
          window.__layoutTicks = 0;
          let last = performance.now();
          setInterval(() => {
            const now = performance.now();
            if (document.querySelector('[data-testid="lineage-layout"]')) {
              window.__layoutStall = Math.max(window.__layoutStall, now - last);
              window.__layoutTicks += 1;
            }
            last = now;
          }, 25);
        }"""
    )
    page.get_by_test_id("version-tab-lineage").click()
    graph = page.get_by_test_id("lineage-graph")
    expect(graph).to_have_attribute("data-nodes", str(2 * RUNS + 2), timeout=90_000)
    expect(graph).to_have_attribute("data-edges", str(3 * RUNS))
    expect(page.get_by_test_id("lineage-too-large")).to_have_count(0)
    stall = page.evaluate("window.__layoutStall")
    assert stall < MAX_STALL_MS, f"the page stalled {stall:.0f} ms while laying out"

    # Too wide to read whole, the graph opens on its root; the minimap shows the rest, and the
    # depth control still redraws (the prepare run, the dataset and the runs that used it).
    expect(page.locator('[data-testid="lineage-node"][data-root="true"]')).to_be_visible()
    expect(graph.locator(".react-flow__minimap")).to_be_visible()
    page.get_by_test_id("lineage-depth").fill("1")
    expect(graph).to_have_attribute("data-nodes", str(RUNS + 2), timeout=60_000)
