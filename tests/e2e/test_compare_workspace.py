"""The compare page's workspace: a pinned and reordered layout of compare charts survives a reload
and applies to another set of runs (views of its own, shared by URL); a key-vs-key panel draws
the points where both keys were logged at one step (read from uPlot's data); images of one key
side by side, a column per run at one step, moved by a shared slider."""

from __future__ import annotations

import math
import os
import re
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

import httpx
import numpy as np
import pytest

import runicorn as rn

pytest.importorskip("playwright.sync_api", reason="browser tests need the playwright package")
from playwright.sync_api import Browser, Page, expect

from .conftest import (
    SCREENSHOTS,
    ConsoleErrors,
    Viewer,
    open_page,
    running_viewer,
    screenshot_path,
)
from .test_workspace import drag

pytestmark = pytest.mark.e2e

STEPS = 40
# Image steps per run: the runs log samples at steps of their own.
IMAGE_STEPS = {"resnet-18 lr=0.1": [10, 20, 30], "resnet-18 lr=0.01": [15, 30], "vit-tiny": [25]}
RUNS = ["resnet-18 lr=0.1", "resnet-18 lr=0.01", "vit-tiny", "convnext 学习率"]


def train_loss(seed: int, step: int) -> float:
    return 2.0 / math.sqrt(step) + 0.01 * ((seed * 7 + step * 3) % 5) + 0.1 * seed


def val_acc(seed: int, step: int) -> float:
    if seed == 0 and step == 20:
        return float("nan")
    return 1.0 - train_loss(seed, step) / 3.0


@dataclass(frozen=True)
class Recorded:
    viewer: Viewer
    ids: dict[str, str]


@pytest.fixture(scope="module")
def recorded(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Recorded]:
    """Four runs of one sweep: train/* every step, val/acc every fifth (one NaN), samples."""
    root = tmp_path_factory.mktemp("compare-workspace-root")
    saved = os.environ.get("RUNICORN_FLUSH_INTERVAL")
    os.environ["RUNICORN_FLUSH_INTERVAL"] = "0.05"
    ids: dict[str, str] = {}
    try:
        for seed, name in enumerate(RUNS):
            config = {
                "batch_size": 64 * (seed + 1),
                "weight decay": 1e-4 * (seed + 1),
                "optimizer.betas": [0.9, 0.999],
                "学习率": 0.1 / (seed + 1),
            }
            run = rn.init(
                project="cifar sweep", name=name, config=config, storage=root,
                capture_console=False, capture_env=False, system_metrics=False,
            )  # fmt: skip
            for step in range(1, STEPS + 1):
                loss = train_loss(seed, step)
                metrics = {"train/loss": loss, "train/acc": 1 - loss / 4}
                if step % 5 == 0:
                    metrics["val/acc"] = val_acc(seed, step)
                    metrics["val/loss"] = loss * 1.1
                run.log(metrics, step=step)
            for step in IMAGE_STEPS.get(name, []):
                shade = np.full((24, 32, 3), (seed * 60 + step) % 256, dtype=np.uint8)
                run.log_image("samples/pred", shade, step=step, caption=f"{name} at {step}")
            run.finish()
            ids[name] = run.id
    finally:
        if saved is None:
            os.environ.pop("RUNICORN_FLUSH_INTERVAL", None)
        else:
            os.environ["RUNICORN_FLUSH_INTERVAL"] = saved
    folder = tmp_path_factory.mktemp("compare-workspace-viewer")
    with running_viewer(root, folder, runs=len(RUNS)) as viewer:
        yield Recorded(viewer, ids)


@pytest.fixture
def page(
    browser: Browser,
    recorded: Recorded,
    console_errors: ConsoleErrors,
    request: pytest.FixtureRequest,
) -> Iterator[Page]:
    with open_page(browser, recorded.viewer.url, console_errors) as tab:
        yield tab
        if not tab.is_closed():
            SCREENSHOTS.mkdir(parents=True, exist_ok=True)
            tab.screenshot(path=str(screenshot_path(request.node)), full_page=True)
    assert not console_errors.unexpected(), console_errors.unexpected()


def compare_url(recorded: Recorded, names: list[str], extra: str = "") -> str:
    return f"/compare?runs={','.join(recorded.ids[n] for n in names)}{extra}"


def preferences(viewer: Viewer) -> dict[str, Any]:
    prefs: dict[str, Any] = viewer.api("/api/ui-preferences")["preferences"]
    return prefs


def wait_saved(viewer: Viewer, check: Any, timeout: float = 10.0) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    prefs = preferences(viewer)
    while not check(prefs) and time.monotonic() < deadline:
        time.sleep(0.1)
        prefs = preferences(viewer)
    assert check(prefs), prefs
    return prefs


@pytest.fixture(autouse=True)
def clean_views(recorded: Recorded) -> Iterator[None]:
    reset = {"preferences": {"workspace.views": {}, "workspace.compareViews": {}}}
    url = f"{recorded.viewer.url}/api/ui-preferences"
    httpx.put(url, json=reset, timeout=30).raise_for_status()
    yield
    httpx.put(url, json=reset, timeout=30).raise_for_status()


def train_order(prefs: dict[str, Any]) -> list[str]:
    """The saved order of the compare view's train/* charts."""
    view = ((prefs.get("workspace.compareViews") or {}).get("compare") or {}).get("default") or {}
    return [k for k in view.get("order", []) if k.startswith("train/")]


def section_keys(page: Page, group: str) -> list[str]:
    section = page.locator(f'[data-testid="chart-section"][data-group="{group}"]')
    keys: list[str] = section.locator('[data-testid="workspace-item"]').evaluate_all(
        "(els) => els.map((e) => e.dataset.key)"
    )
    return keys


def expect_compare_layout(page: Page) -> None:
    expect(page.locator('[data-testid="chart-section"][data-group="pinned"]')).to_be_visible()
    page.wait_for_function(
        """() => [...document.querySelectorAll('[data-testid="chart-section"]')]
             .map((s) => s.dataset.group).join(",").startsWith("pinned,train,val")"""
    )
    assert section_keys(page, "pinned") == ["val/acc"]
    assert section_keys(page, "train") == ["train/loss", "train/acc"]
    assert section_keys(page, "val") == ["val/loss"]
    # The charts in the items are the compare charts: one line per compared run.
    expect(page.locator('[data-testid="chart-card"][data-key="val/acc"]')).to_have_attribute(
        "data-state", "ready"
    )


TRAIN_ORDER = """(order) => [...document.querySelectorAll(
  '[data-group="train"] [data-testid="workspace-item"]')]
  .map((e) => e.dataset.key).join() === order"""


def test_a_compare_layout_survives_reload_and_applies_to_another_set_of_runs(
    page: Page, recorded: Recorded
) -> None:
    viewer = recorded.viewer
    page.goto(compare_url(recorded, RUNS[:2], "&smooth=0.9&x=step"))
    expect(page.get_by_test_id("workspace-bar")).to_have_attribute("data-scope", "compare")
    expect(page.locator('[data-testid="chart-card"][data-key="train/loss"]')).to_have_attribute(
        "data-state", "ready"
    )
    assert section_keys(page, "train") == ["train/acc", "train/loss"]

    val_acc_item = page.locator('[data-testid="workspace-item"][data-key="val/acc"]')
    val_acc_item.get_by_test_id("ws-pin").click()
    expect(val_acc_item).to_have_attribute("data-pinned", "true")
    loss = page.locator('[data-testid="workspace-item"][data-key="train/loss"]')
    acc = page.locator('[data-testid="workspace-item"][data-key="train/acc"]')
    drag(page, loss, acc)
    page.wait_for_function(TRAIN_ORDER, arg="train/loss,train/acc")
    prefs = wait_saved(viewer, lambda p: train_order(p) == ["train/loss", "train/acc"])
    assert prefs["workspace.compareViews"]["compare"]["default"]["pinned"] == ["val/acc"]
    # The run pages' views are another scope: untouched.
    assert not (prefs.get("workspace.views") or {})
    # The page's own URL state is kept.
    assert "smooth=0.9" in page.url

    page.reload()
    expect_compare_layout(page)
    assert "smooth=0.9" in page.url

    # Another comparison, of other runs: the same arrangement.
    page.goto(compare_url(recorded, RUNS[2:]))
    expect(page.get_by_test_id("compare-legend")).to_contain_text("vit-tiny")
    expect_compare_layout(page)

    # A run page of the same project does not take the compare arrangement.
    page.goto(f"/runs/{recorded.ids[RUNS[0]]}")
    expect(page.locator('[data-testid="chart-card"][data-key="val/acc"]')).to_be_visible()
    expect(page.locator('[data-testid="chart-section"][data-group="pinned"]')).to_have_count(0)


def test_a_named_compare_view_is_shared_by_url(page: Page, recorded: Recorded) -> None:
    viewer = recorded.viewer
    page.goto(compare_url(recorded, RUNS[:2]))
    page.get_by_test_id("workspace-view-name").fill("no loss · 学习率")
    page.get_by_test_id("workspace-view-save").click()
    expect(page).to_have_url(re.compile(r"[?&]view=no"))
    # Changes now go to the named view, not the default one.
    item = page.locator('[data-testid="workspace-item"][data-key="train/loss"]')
    item.get_by_test_id("ws-hide").click()
    expect(item).to_have_count(0)
    wait_saved(
        viewer,
        lambda p: (
            ((p.get("workspace.compareViews") or {}).get("compare") or {})
            .get("no loss · 学习率", {})
            .get("hidden")
            == ["train/loss"]
        ),
    )
    link = compare_url(recorded, RUNS[1:3], f"&view={quote('no loss · 学习率')}")

    other = page.context.browser.new_context(base_url=viewer.url)  # type: ignore[union-attr]
    try:
        tab = other.new_page()
        tab.goto(link)
        expect(tab.get_by_test_id("workspace-view-select")).to_have_value("no loss · 学习率")
        expect(tab.locator('[data-testid="chart-card"][data-key="train/acc"]')).to_be_visible()
        expect(tab.locator('[data-testid="workspace-item"][data-key="train/loss"]')).to_have_count(
            0
        )
        expect(tab.get_by_test_id("workspace-show-hidden")).to_be_visible()
    finally:
        other.close()

    # The default view still shows every chart.
    page.goto(compare_url(recorded, RUNS[:2]))
    expect(page.locator('[data-testid="workspace-item"][data-key="train/loss"]')).to_have_count(1)


PANEL = """(id) => {
  const u = (window.__runicornCharts || {})[`panel:${id}`];
  if (!u) return null;
  return {
    labels: u.series.slice(1).map((s) => String(s.label)),
    x: Array.from(u.data[0]),
    columns: u.data.slice(1).map((c) => Array.from(c, (v) => (v == null ? null : v))),
  };
}"""


def pairs(drawn: dict[str, Any], column: int) -> list[tuple[float, float]]:
    return [
        (x, y) for x, y in zip(drawn["x"], drawn["columns"][column], strict=True) if y is not None
    ]


def expected_pairs(seed: int) -> list[tuple[float, float]]:
    out = [
        (train_loss(seed, step), val_acc(seed, step))
        for step in range(5, STEPS + 1, 5)
        if not math.isnan(val_acc(seed, step))
    ]
    return sorted(out)


def assert_same_points(got: list[tuple[float, float]], want: list[tuple[float, float]]) -> None:
    assert len(got) == len(want), (got, want)
    for (gx, gy), (wx, wy) in zip(sorted(got), want, strict=True):
        assert gx == pytest.approx(wx, rel=1e-9) and gy == pytest.approx(wy, rel=1e-9)


def add_key_vs_key(page: Page, y: str, x: str) -> None:
    page.get_by_test_id("panel-xy-y").select_option(y)
    page.get_by_test_id("panel-xy-x").select_option(x)
    page.get_by_test_id("panel-xy-add").click()


def test_a_key_vs_key_panel_draws_the_points_aligned_by_step(
    page: Page, recorded: Recorded
) -> None:
    page.goto(compare_url(recorded, RUNS[:2]))
    expect(page.locator('[data-testid="chart-card"][data-key="val/acc"]')).to_be_visible()
    add_key_vs_key(page, "val/acc", "train/loss")
    panel_id = "val/acc@train/loss"
    card = page.locator(f'[data-testid="panel-card"][data-panel="{panel_id}"]')
    expect(card).to_have_attribute("data-state", "ready")
    page.wait_for_function(f"({PANEL})({panel_id!r}) !== null")
    drawn = page.evaluate(PANEL, panel_id)
    assert drawn["labels"] == RUNS[:2]
    # val/acc every fifth step, train/loss every step: 8 shared steps; the first run's NaN at
    # step 20 is left out (and said so), the x axis is train/loss itself, ascending.
    assert drawn["x"] == sorted(drawn["x"])
    assert_same_points(pairs(drawn, 0), expected_pairs(0))
    assert_same_points(pairs(drawn, 1), expected_pairs(1))
    assert len(pairs(drawn, 0)) == 7 and len(pairs(drawn, 1)) == 8
    note = card.get_by_test_id("panel-xy-note")
    expect(note).to_contain_text("15 points: steps where both keys were logged")
    expect(note).to_contain_text("1 NaN or infinite left out")

    # Against the step: every logged point of train/loss, one per step.
    add_key_vs_key(page, "train/loss", "_step")
    step_panel = "train/loss@_step"
    page.wait_for_function(f"({PANEL})({step_panel!r}) !== null")
    by_step = page.evaluate(PANEL, step_panel)
    assert by_step["x"] == list(range(1, STEPS + 1))
    assert [v is not None for v in by_step["columns"][0]] == [True] * STEPS

    # A panel of several keys on compare: a line per run and key (colour per run, dash per key).
    page.get_by_test_id("panel-keys").select_option(["train/loss", "val/loss"])
    page.get_by_test_id("panel-add").click()
    keys_panel = "train/loss+val/loss"
    page.wait_for_function(f"({PANEL})({keys_panel!r}) !== null")
    several = page.evaluate(PANEL, keys_panel)
    assert several["labels"] == [f"{n} · {k}" for k in ("train/loss", "val/loss") for n in RUNS[:2]]
    assert [sum(v is not None for v in c) for c in several["columns"]] == [STEPS, STEPS, 8, 8]

    # Saved with the compare view, drawn again after a reload.
    wait_saved(
        recorded.viewer,
        lambda p: (
            len(
                ((p.get("workspace.compareViews") or {}).get("compare") or {})
                .get("default", {})
                .get("panels", [])
            )
            == 3
        ),
    )
    page.reload()
    expect(card).to_have_attribute("data-state", "ready")

    # The run page has the panel type too: one run, its own aligned points.
    page.goto(f"/runs/{recorded.ids[RUNS[0]]}")
    expect(page.locator('[data-testid="chart-card"][data-key="val/acc"]')).to_be_visible()
    add_key_vs_key(page, "val/acc", "train/loss")
    expect(card).to_have_attribute("data-state", "ready")
    page.wait_for_function(f"({PANEL})({panel_id!r}) !== null")
    one_run = page.evaluate(PANEL, panel_id)
    assert one_run["labels"] == [RUNS[0]]
    assert_same_points(pairs(one_run, 0), expected_pairs(0))


def cell_steps(page: Page) -> dict[str, str]:
    cells: list[dict[str, str]] = page.get_by_test_id("compare-media-cell").evaluate_all(
        "(els) => els.map((e) => ({ id: e.dataset.runId, step: e.dataset.step }))"
    )
    return {c["id"]: c["step"] for c in cells}


def test_media_side_by_side_one_image_per_run_at_the_chosen_step(
    page: Page, recorded: Recorded
) -> None:
    ids = recorded.ids
    names = RUNS[:3]
    page.goto(compare_url(recorded, names))
    media = page.get_by_test_id("compare-media")
    media.scroll_into_view_if_needed()
    expect(page.get_by_test_id("compare-media-key")).to_have_value("samples/pred")
    expect(page.get_by_test_id("compare-media-cell")).to_have_count(3)

    # The last step any run has (30): each run shows its image at 30 or the nearest before.
    expect(page.get_by_test_id("compare-media-step")).to_have_attribute("data-step", "30")
    assert cell_steps(page) == {ids[names[0]]: "30", ids[names[1]]: "30", ids[names[2]]: "25"}
    expect(page.get_by_test_id("compare-media-image")).to_have_count(3)

    # The slider moves every column: at step 15 the first run shows 10, the second 15, the third
    # has nothing yet.
    steps = [10, 15, 20, 25, 30]
    page.get_by_test_id("compare-media-slider").fill(str(steps.index(15)))
    expect(page.get_by_test_id("compare-media-step")).to_have_attribute("data-step", "15")
    assert cell_steps(page) == {ids[names[0]]: "10", ids[names[1]]: "15", ids[names[2]]: ""}
    images = page.get_by_test_id("compare-media-image")
    expect(images).to_have_count(2)
    sources = images.evaluate_all("(els) => els.map((e) => decodeURIComponent(e.src))")
    assert "samples_pred_10_" in sources[0] and ids[names[0]] in sources[0]
    assert "samples_pred_15_" in sources[1] and ids[names[1]] in sources[1]
    page.wait_for_function(
        """() => [...document.querySelectorAll('[data-testid="compare-media-image"]')]
             .every((img) => img.complete && img.naturalWidth === 32)"""
    )
    assert "mstep=15" in page.url

    # A click opens the lightbox on that run's images; the arrows move through its steps.
    page.locator(
        f'[data-testid="compare-media-cell"][data-run-id="{ids[names[0]]}"] '
        '[data-testid="compare-media-open"]'
    ).click()
    lightbox = page.get_by_test_id("lightbox")
    expect(lightbox).to_have_attribute("data-step", "10")
    page.keyboard.press("ArrowRight")
    expect(lightbox).to_have_attribute("data-step", "20")
    page.keyboard.press("Escape")
    expect(lightbox).to_have_count(0)

    # The chosen step is in the link.
    page.reload()
    page.get_by_test_id("compare-media").scroll_into_view_if_needed()
    expect(page.get_by_test_id("compare-media-step")).to_have_attribute("data-step", "15")

    # A comparison whose runs logged no images has no media section.
    page.goto(compare_url(recorded, RUNS[3:]))
    page.get_by_test_id("compare-media").scroll_into_view_if_needed()
    expect(page.get_by_test_id("compare-media-empty")).to_be_attached()
    expect(page.get_by_test_id("compare-media")).to_have_count(0)
