"""Sweep views on the experiments page: parallel coordinates whose brushes filter the runs table,
and a scatter of any field against any field whose points open their run.

The runs are a small hyperparameter sweep recorded through the public SDK, with the keys real
sweeps have (``batch_size``, ``weight decay``, a flat ``optimizer.betas`` list, ``学习率``) and
metrics named ``train/loss`` and ``val/acc``; one run's loss went NaN.
"""

from __future__ import annotations

import base64
import csv
import itertools
import math
import re
import struct
import tarfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from xml.etree import ElementTree

import httpx
import numpy as np
import pytest

pytest.importorskip("playwright.sync_api", reason="browser tests need the playwright package")
from playwright.sync_api import Browser, Page, expect
from tests.e2e.conftest import (
    TIMEOUT_MS,
    ConsoleErrors,
    Viewer,
    running_viewer,
    screenshot_path,
    watch_page,
)

import runicorn as rn

pytestmark = pytest.mark.e2e

BATCH_SIZES = [16, 64, 128, 256]
LEARNING_RATES = [1e-4, 3e-4, 1e-3]
OPTIMIZERS = ["adamw", "sgd"]
BETAS = {"adamw": [0.9, 0.999], "sgd": [0.9, 0.98]}
# Whole floats: the index keeps "1.0" where the browser's JSON has "1".
LOSS_WEIGHTS = {"adamw": [1.0, 0.5], "sgd": [1.0, 1.0]}


@dataclass(frozen=True)
class SweepRun:
    id: str
    name: str
    batch_size: int
    lr: float
    optimizer: str
    val_acc: float


@pytest.fixture(scope="module")
def sweep(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, list[SweepRun]]]:
    root = tmp_path_factory.mktemp("sweep-views-root")
    runs: list[SweepRun] = []
    grid = itertools.product(BATCH_SIZES, LEARNING_RATES, OPTIMIZERS)
    for i, (batch_size, lr, optimizer) in enumerate(grid):
        config: dict[str, Any] = {
            "batch_size": batch_size, "学习率": lr, "weight decay": 0.01 * (1 + i % 3),
            "optimizer": optimizer, "optimizer.betas": BETAS[optimizer], "seed": i,
            "loss weights": LOSS_WEIGHTS[optimizer],
        }  # fmt: skip
        name = f"trial-{i:02d}"
        run = rn.init(project="sweep", name=name, config=config, storage=root,
                      capture_console=False, capture_env=False, system_metrics=False)  # fmt: skip
        # Unique per run, so no two scatter points coincide.
        val_acc = round(0.5 + 0.4 * math.log10(lr / 1e-4) / 1.0 - batch_size / 4000 + i / 1000, 4)
        for step in range(1, 6):
            loss = float("nan") if i == 5 and step == 5 else 1.0 / step + i / 100
            run.log({"train/loss": loss, "val/acc": val_acc * step / 5})
        if i == 0:
            # A sample image at three steps, each a different shade, for the media tab.
            for step in (1, 3, 5):
                image = np.full((24, 32, 3), 40 * step, dtype=np.uint8)
                run.log_image("samples", image, step=step)
        run.finish()
        runs.append(SweepRun(run.id, name, batch_size, lr, optimizer, val_acc))
    yield root, runs


@pytest.fixture(scope="module")
def sweep_viewer(
    sweep: tuple[Path, list[SweepRun]], tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Viewer]:
    root, runs = sweep
    with running_viewer(root, tmp_path_factory.mktemp("sweep-views-viewer"), len(runs)) as server:
        yield server


@pytest.fixture
def sweep_page(
    browser: Browser, sweep_viewer: Viewer, request: pytest.FixtureRequest
) -> Iterator[Page]:
    errors = ConsoleErrors()
    context = browser.new_context(
        base_url=sweep_viewer.url, viewport={"width": 1500, "height": 1000}, locale="en-US"
    )
    context.set_default_timeout(TIMEOUT_MS)
    tab = context.new_page()
    watch_page(tab, errors)
    try:
        yield tab
        if not tab.is_closed():
            tab.screenshot(path=str(screenshot_path(request.node)), full_page=True)
    finally:
        context.close()
    assert not errors.unexpected(), "the page logged errors:\n" + "\n".join(errors.unexpected())


def settled(page: Page, expression: str, arg: Any) -> dict[str, float]:
    """The value of the page function ``expression(arg)`` once two reads an animation frame
    apart agree: a plot is laid out after its data arrives, and the table beside it can still
    move it, so a position read too early is not where the plot draws."""
    page.evaluate("() => { window.__settledSeen = null; }")
    found = page.wait_for_function(
        f"""(arg) => {{
            const value = ({expression})(arg);
            const seen = window.__settledSeen;
            window.__settledSeen = value ? JSON.stringify(value) : null;
            return value && seen === window.__settledSeen ? value : null;
        }}""",
        arg=arg,
    )
    value: dict[str, float] = found.json_value()
    return value


def axis(page: Page, field: str) -> dict[str, float]:
    """Where ``field``'s axis of the parallel coordinates is on the page."""
    return settled(
        page,
        "(field) => (window.__runicornSweep?.parallel?.axes() ?? [])"
        ".find((a) => a.field === field)",
        field,
    )


def drag(page: Page, x: float, y0: float, y1: float) -> None:
    page.mouse.move(x, y0)
    page.mouse.down()
    for k in range(1, 6):
        page.mouse.move(x, y0 + (y1 - y0) * k / 5)
    page.mouse.up()


def at(a: dict[str, float], t: float) -> float:
    """The page y of position ``t`` (0 = bottom, 1 = top) on an axis."""
    return a["bottom"] - t * (a["bottom"] - a["top"])


def test_brushing_parallel_coordinates_filters_the_runs_table(
    sweep_page: Page, sweep: tuple[Path, list[SweepRun]]
) -> None:
    page = sweep_page
    _, runs = sweep
    page.goto("/")
    expect(page.get_by_test_id("runs-table")).to_have_attribute("data-total", str(len(runs)))
    page.get_by_test_id("sweep-toggle").click()
    plot = page.get_by_test_id("sweep-parallel")
    expect(plot).to_have_attribute("data-runs", str(len(runs)))
    labels = page.get_by_test_id("pc-axis")
    expect(labels.filter(has_text="学习率")).to_have_count(1)
    expect(labels.filter(has_text="weight decay")).to_have_count(1)
    expect(labels.filter(has_text="val/acc")).to_have_count(1)

    # batch_size runs 16..256 on a linear axis: the top 40% holds only 256.
    batch = axis(page, "config.batch_size")
    drag(page, batch["x"], at(batch, 1.02), at(batch, 0.6))
    big = [r for r in runs if r.batch_size == 256]
    expect(page.get_by_test_id("runs-table")).to_have_attribute("data-total", str(len(big)))
    expect(page.get_by_test_id("sweep-selection")).to_have_attribute("data-count", str(len(big)))
    expect(plot).to_have_attribute("data-selected", str(len(big)))
    shown = {row.get_attribute("data-run-id") for row in page.get_by_test_id("run-row").all()}
    assert shown == {r.id for r in big}
    assert "brush=" in page.url

    # A category axis: "adamw" sorts first, at the bottom of two categories.
    optimizer = axis(page, "config.optimizer")
    drag(page, optimizer["x"], at(optimizer, -0.05), at(optimizer, 0.2))
    both = [r for r in big if r.optimizer == "adamw"]
    expect(page.get_by_test_id("runs-table")).to_have_attribute("data-total", str(len(both)))
    shown = {row.get_attribute("data-run-id") for row in page.get_by_test_id("run-row").all()}
    assert shown == {r.id for r in both}

    # The brushes live in the URL: a reload keeps the filtered table.
    page.reload()
    expect(page.get_by_test_id("runs-table")).to_have_attribute("data-total", str(len(both)))
    expect(page.get_by_test_id("sweep-parallel")).to_have_attribute("data-selected", str(len(both)))

    # A click on an axis clears its brush; "Clear brushes" clears the rest.
    batch = axis(page, "config.batch_size")
    page.mouse.click(batch["x"], at(batch, 0.3))
    adamw = [r for r in runs if r.optimizer == "adamw"]
    expect(page.get_by_test_id("runs-table")).to_have_attribute("data-total", str(len(adamw)))
    page.get_by_test_id("sweep-clear").click()
    expect(page.get_by_test_id("runs-table")).to_have_attribute("data-total", str(len(runs)))


def test_brushing_a_list_valued_axis_keeps_the_runs_with_that_list(
    sweep_page: Page, sweep: tuple[Path, list[SweepRun]]
) -> None:
    """A list (``loss weights``) is one category, read as its text: brushing it filters the
    table to the runs holding exactly that list (it emptied the table: the brush was sent to the
    server as the browser's text of the list, "[1,0.5]", which the index spells "[1.0,0.5]")."""
    page = sweep_page
    _, runs = sweep
    field = 'config."loss weights"'
    page.goto("/?sweep=parallel")
    expect(page.get_by_test_id("runs-table")).to_have_attribute("data-total", str(len(runs)))
    page.get_by_test_id("sweep-axes").click()
    page.get_by_test_id(f"column-toggle-{field}").check()
    page.keyboard.press("Escape")
    expect(page.get_by_test_id("pc-axis").filter(has_text="loss weights")).to_have_count(1)

    # Two categories, "[1,0.5]" (adamw) below "[1,1]" (sgd): brush the lower one.
    line = axis(page, field)
    drag(page, line["x"], at(line, -0.05), at(line, 0.2))
    adamw = [r for r in runs if r.optimizer == "adamw"]
    expect(page.get_by_test_id("sweep-selection")).to_have_attribute("data-count", str(len(adamw)))
    expect(page.get_by_test_id("runs-table")).to_have_attribute("data-total", str(len(adamw)))
    shown = {row.get_attribute("data-run-id") for row in page.get_by_test_id("run-row").all()}
    assert shown == {r.id for r in adamw}

    # With a numeric brush on top, both narrow the table, and a reload keeps them.
    batch = axis(page, "config.batch_size")
    drag(page, batch["x"], at(batch, 1.02), at(batch, 0.6))
    both = [r for r in adamw if r.batch_size == 256]
    expect(page.get_by_test_id("runs-table")).to_have_attribute("data-total", str(len(both)))
    page.reload()
    expect(page.get_by_test_id("runs-table")).to_have_attribute("data-total", str(len(both)))
    shown = {row.get_attribute("data-run-id") for row in page.get_by_test_id("run-row").all()}
    assert shown == {r.id for r in both}


def test_scatter_hover_names_the_run_and_click_opens_it(
    sweep_page: Page, sweep: tuple[Path, list[SweepRun]]
) -> None:
    page = sweep_page
    _, runs = sweep
    page.goto("/?sweep=scatter")
    page.get_by_test_id("scatter-x").select_option("config.学习率")
    page.get_by_test_id("scatter-y").select_option('metrics."val/acc".last')
    page.get_by_test_id("sweep-color").select_option("config.batch_size")
    scatter = page.get_by_test_id("sweep-scatter")
    expect(scatter).to_have_attribute("data-x-field", "config.学习率")
    expect(scatter).to_have_attribute("data-runs", str(len(runs)))

    target = max(runs, key=lambda r: r.val_acc)
    point = settled(page, "(id) => window.__runicornSweep?.scatter?.pointOf(id)", target.id)
    page.mouse.move(point["x"], point["y"])
    tooltip = page.get_by_test_id("scatter-tooltip")
    expect(tooltip).to_have_attribute("data-run-id", target.id)
    expect(tooltip).to_contain_text(target.name)
    expect(tooltip).to_contain_text("batch_size")
    page.mouse.click(point["x"], point["y"])
    expect(page).to_have_url(re.compile(rf"/runs/{target.id}$"))
    expect(page.get_by_test_id("run-title")).to_contain_text(target.name)


def test_brushing_in_compare_hides_the_runs_outside_the_brush(
    sweep_page: Page, sweep: tuple[Path, list[SweepRun]]
) -> None:
    page = sweep_page
    _, runs = sweep
    chosen = runs[:8]
    page.goto(f"/compare?runs={','.join(r.id for r in chosen)}")
    expect(page.get_by_test_id("legend-item")).to_have_count(len(chosen))
    page.get_by_test_id("sweep-toggle").click()
    plot = page.get_by_test_id("sweep-parallel")
    expect(plot).to_have_attribute("data-runs", str(len(chosen)))
    plot.scroll_into_view_if_needed()

    batch = axis(page, "config.batch_size")
    # The first eight runs have batch sizes 16 and 64: keep the lower half of the axis (16).
    drag(page, batch["x"], at(batch, -0.02), at(batch, 0.4))
    small = {r.id for r in chosen if r.batch_size == 16}
    hidden = page.locator('[data-testid="legend-item"][data-hidden="true"]')
    expect(hidden).to_have_count(len(chosen) - len(small))
    for item in page.locator('[data-testid="legend-item"][data-hidden="false"]').all():
        assert item.get_attribute("data-run-id") in small
    page.get_by_test_id("sweep-clear").click()
    expect(hidden).to_have_count(0)


def test_runs_table_for_a_sweep(sweep_page: Page, sweep: tuple[Path, list[SweepRun]]) -> None:
    """Frozen name column, hideable built-in columns, full header names, run colours."""
    page = sweep_page
    _, runs = sweep
    page.goto("/")
    table = page.get_by_test_id("runs-table")
    expect(table).to_have_attribute("data-total", str(len(runs)))

    page.get_by_test_id("column-picker").click()
    for field in ("config.batch_size", "config.学习率", 'config."weight decay"', "config.seed"):
        page.get_by_test_id(f"column-toggle-{field}").check()
    page.get_by_test_id('column-toggle-metrics."val/acc".last').check()
    page.get_by_test_id("column-toggle-id").uncheck()
    page.keyboard.press("Escape")
    expect(page.get_by_test_id("col-header-id")).to_have_count(0)
    header = page.get_by_test_id('col-header-metrics."val/acc".last')
    assert "val/acc" in (header.get_attribute("title") or "")

    # Scrolled all the way right, the name column stays at the left edge, after the checkboxes.
    name = page.get_by_test_id("col-header-name")
    select_all = page.get_by_test_id("select-all")
    table.evaluate("(el) => { el.style.maxWidth = '700px'; el.scrollLeft = el.scrollWidth; }")
    page.wait_for_function(
        "() => document.querySelector('[data-testid=\"runs-table\"]').scrollLeft > 100"
    )
    box = table.bounding_box()
    after = name.bounding_box()
    checkbox = select_all.bounding_box()
    assert box is not None and after is not None and checkbox is not None
    assert box["x"] + 30 <= after["x"] <= box["x"] + 40
    assert box["x"] <= checkbox["x"] <= box["x"] + 30
    expect(page.get_by_test_id("run-link").first).to_be_visible()

    # Selected runs carry the colour compare gives them: 14 runs, 14 different colours.
    ids = [r.id for r in runs[:14]]
    page.goto(f"/?sel={','.join(ids)}")
    swatches = page.get_by_test_id("run-swatch")
    expect(swatches).to_have_count(14)
    colors = {s.get_attribute("data-color") for s in swatches.all()}
    assert len(colors) == 14


def test_table_csv_runs_archive_and_import_by_drop(
    sweep_page: Page, sweep_viewer: Viewer, sweep: tuple[Path, list[SweepRun]], tmp_path: Path
) -> None:
    """The visible table downloads as CSV; selected runs download as an archive that, dropped
    on the page after the run was deleted for good, brings it back."""
    page = sweep_page
    _, runs = sweep
    sgd = [r for r in runs if r.optimizer == "sgd"]
    page.goto("/?filter=config.optimizer%20%3D%20sgd")
    expect(page.get_by_test_id("runs-table")).to_have_attribute("data-total", str(len(sgd)))
    page.get_by_test_id("column-picker").click()
    page.get_by_test_id("column-toggle-id").check()
    page.get_by_test_id("column-toggle-config.batch_size").check()
    page.get_by_test_id('column-toggle-metrics."val/acc".last').check()
    page.keyboard.press("Escape")
    expect(page.get_by_test_id('col-header-metrics."val/acc".last')).to_be_visible()
    expect(page.get_by_test_id("col-header-id")).to_be_visible()

    with page.expect_download() as caught:
        page.get_by_test_id("export-table-csv").click()
    download = caught.value
    assert download.suggested_filename.endswith(".csv")
    target = tmp_path / "runs.csv"
    download.save_as(target)
    with open(target, encoding="utf-8-sig", newline="") as handle:
        table = list(csv.DictReader(handle))
    assert len(table) == len(sgd)
    by_name = {r.name: r for r in sgd}
    for row in table:
        run = by_name[row["Name"].removeprefix("sweep/")]
        assert row["Run ID"] == run.id
        assert int(row["config.batch_size"]) == run.batch_size
        assert float(row['metrics."val/acc".last']) == pytest.approx(run.val_acc)

    chosen = sgd[:2]
    page.goto(f"/?sel={','.join(r.id for r in chosen)}")
    with page.expect_download() as caught:
        page.get_by_test_id("export-selected").click()
    archive = tmp_path / caught.value.suggested_filename
    caught.value.save_as(archive)
    with tarfile.open(archive) as tar:
        names = tar.getnames()
    assert all(any(r.id in name for name in names) for r in chosen)

    # Delete the first run for good, then drop the archive on the page: it comes back.
    gone = chosen[0]
    with httpx.Client(base_url=sweep_viewer.url, timeout=30) as client:
        client.delete(f"/api/runs/{gone.id}").raise_for_status()
        client.delete(f"/api/recycle-bin/{gone.id}").raise_for_status()
    page.goto("/")
    expect(page.get_by_test_id("runs-table")).to_have_attribute("data-total", str(len(runs) - 1))
    payload = base64.b64encode(archive.read_bytes()).decode()
    page.evaluate(
        """([name, data]) => {
            const bytes = Uint8Array.from(atob(data), (c) => c.charCodeAt(0));
            const transfer = new DataTransfer();
            transfer.items.add(new File([bytes], name, { type: "application/gzip" }));
            for (const type of ["dragenter", "dragover", "drop"]) {
                document.body.dispatchEvent(
                    new DragEvent(type, { bubbles: true, cancelable: true, dataTransfer: transfer })
                );
            }
        }""",
        [archive.name, payload],
    )
    expect(page.get_by_test_id("notice")).to_contain_text("Imported 1 run")
    expect(page.get_by_test_id("runs-table")).to_have_attribute("data-total", str(len(runs)))
    expect(page.locator(f'[data-testid="run-row"][data-run-id="{gone.id}"]')).to_have_count(1)


def test_chart_downloads_as_csv_png_and_svg(
    sweep_page: Page, sweep: tuple[Path, list[SweepRun]], tmp_path: Path
) -> None:
    page = sweep_page
    _, runs = sweep
    run = runs[3]
    page.goto(f"/runs/{run.id}")
    card = page.locator('[data-testid="chart-card"][data-key="train/loss"]')
    expect(card).to_have_attribute("data-state", "ready")

    card.get_by_test_id("chart-export").click()
    with page.expect_download() as caught:
        card.get_by_test_id("chart-export-csv").click()
    target = tmp_path / caught.value.suggested_filename
    caught.value.save_as(target)
    assert target.name.startswith("train_loss-") and target.suffix == ".csv"
    with open(target, encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.reader(handle))
    assert rows[0][0] == "step"
    assert [float(r[0]) for r in rows[1:]] == [1, 2, 3, 4, 5]
    expected = [1.0 / step + 3 / 100 for step in range(1, 6)]
    assert [float(r[1]) for r in rows[1:]] == pytest.approx(expected)

    card.get_by_test_id("chart-export").click()
    with page.expect_download() as caught:
        card.get_by_test_id("chart-export-png").click()
    png = tmp_path / caught.value.suggested_filename
    caught.value.save_as(png)
    data = png.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = struct.unpack(">II", data[16:24])
    box = card.locator('[data-chart-key="train/loss"] canvas').first.bounding_box()
    assert box is not None
    assert abs(width - box["width"]) <= 2 and abs(height - box["height"]) <= 2
    # Opaque: the background was painted, so the top-left pixel is not transparent.
    pixel = page.evaluate(
        """async (bytes) => {
            const blob = new Blob([Uint8Array.from(bytes)], { type: "image/png" });
            const bitmap = await createImageBitmap(blob);
            const canvas = new OffscreenCanvas(bitmap.width, bitmap.height);
            const context = canvas.getContext("2d");
            context.drawImage(bitmap, 0, 0);
            return [...context.getImageData(1, 1, 1, 1).data];
        }""",
        list(data),
    )
    assert pixel[3] == 255

    # SVG: the lines and both axes, with the tick labels the canvas shows and the x title.
    card.get_by_test_id("chart-export").click()
    with page.expect_download() as caught:
        card.get_by_test_id("chart-export-svg").click()
    svg_file = tmp_path / caught.value.suggested_filename
    caught.value.save_as(svg_file)
    assert svg_file.name.startswith("train_loss-") and svg_file.suffix == ".svg"
    svg = ElementTree.fromstring(svg_file.read_bytes())
    ns = "{http://www.w3.org/2000/svg}"
    drawn: list[list[str]] = page.evaluate(
        """() => window.__runicornCharts["train/loss"].axes.map(
            (a) => (a._values || []).filter((v) => v !== null && v !== "").map(String))"""
    )
    ticks = ["".join(t.itertext()) for t in svg.iter(f"{ns}text") if t.get("class") == "tick"]
    assert len(drawn[0]) >= 3 and len(drawn[1]) >= 3
    assert ticks == [*drawn[0], *drawn[1]]
    assert "5" in drawn[0]
    titles = [
        "".join(t.itertext()) for t in svg.iter(f"{ns}text") if t.get("class") == "axis-title"
    ]
    assert titles == ["step"]
    paths = list(svg.iter(f"{ns}path"))
    assert len(paths) == 1 and (paths[0].get("d") or "").count("L") == 4


def test_lightbox_opens_and_arrow_keys_step(
    sweep_page: Page, sweep: tuple[Path, list[SweepRun]]
) -> None:
    page = sweep_page
    _, runs = sweep
    page.goto(f"/runs/{runs[0].id}?tab=media")
    card = page.get_by_test_id("media-card")
    expect(card).to_have_attribute("data-step", "5")
    card.get_by_test_id("media-open").click()
    lightbox = page.get_by_test_id("lightbox")
    expect(lightbox).to_be_visible()
    expect(lightbox).to_have_attribute("data-step", "5")
    expect(page.get_by_test_id("lightbox-image")).to_have_js_property("complete", True)
    page.keyboard.press("ArrowLeft")
    expect(lightbox).to_have_attribute("data-step", "3")
    page.keyboard.press("ArrowLeft")
    expect(lightbox).to_have_attribute("data-step", "1")
    page.keyboard.press("ArrowLeft")
    expect(lightbox).to_have_attribute("data-step", "1")
    page.keyboard.press("ArrowRight")
    expect(lightbox).to_have_attribute("data-step", "3")
    page.get_by_test_id("lightbox-zoom-in").click()
    expect(lightbox).to_have_attribute("data-zoom", "1.5")
    page.keyboard.press("Escape")
    expect(lightbox).to_have_count(0)
    # The card follows the step chosen in the lightbox.
    expect(card).to_have_attribute("data-step", "3")

    card.get_by_test_id("media-all-steps").click()
    thumbs = page.get_by_test_id("media-thumb")
    expect(thumbs).to_have_count(3)
    thumbs.first.click()
    expect(lightbox).to_have_attribute("data-step", "1")


def test_system_page_shows_what_the_viewer_recorded_before_it_opened(sweep_page: Page) -> None:
    page = sweep_page
    opened = time.time()
    page.goto("/system")
    expect(page.get_by_test_id("system-page")).to_be_visible()
    page.wait_for_function(
        "(opened) => { const c = window.__runicornCharts?.['gpu:host'];"
        " return c && c.data[0].length > 0 && c.data[0][0] < opened; }",
        arg=opened - 0.5,
    )
    legend = page.get_by_test_id("system-legend").first
    expect(legend).to_contain_text("CPU")
    expect(legend).to_contain_text("RAM")
    page.get_by_test_id("system-window").select_option("900")
    expect(page.get_by_test_id("system-window")).to_have_value("900")


def test_keyboard_shortcuts_and_their_help(
    sweep_page: Page, sweep: tuple[Path, list[SweepRun]]
) -> None:
    page = sweep_page
    _, runs = sweep
    page.goto("/")
    expect(page.get_by_test_id("run-row").first).to_be_visible()
    page.keyboard.press("?")
    help_overlay = page.get_by_test_id("shortcuts-help")
    expect(help_overlay).to_be_visible()
    expect(help_overlay).to_contain_text("Next run")
    page.keyboard.press("Escape")
    expect(help_overlay).to_have_count(0)
    page.keyboard.press("/")
    expect(page.get_by_test_id("filter-input")).to_be_focused()
    # Typed into the filter box, "?" is text, not the help.
    page.keyboard.type("?")
    expect(help_overlay).to_have_count(0)

    # Newest first in the project: j from the newest run opens the one created before it.
    newest, older = runs[-1], runs[-2]
    page.goto(f"/runs/{newest.id}")
    expect(page.get_by_test_id("run-title")).to_contain_text(newest.name)
    page.keyboard.press("j")
    expect(page).to_have_url(re.compile(rf"/runs/{older.id}"))
    expect(page.get_by_test_id("run-title")).to_contain_text(older.name)
    page.keyboard.press("k")
    expect(page).to_have_url(re.compile(rf"/runs/{newest.id}"))

    page.keyboard.press("s")
    expect(page).to_have_url(re.compile(r"smooth=0\.6"))
    page.keyboard.press("s")
    expect(page).to_have_url(re.compile(r"smooth=0(&|$)"))
    # Two quick presses toggle twice (each reads the address bar, not the last render).
    page.keyboard.press("s")
    page.keyboard.press("s")
    expect(page).to_have_url(re.compile(r"smooth=0(&|$)"))
    page.wait_for_timeout(300)
    expect(page).to_have_url(re.compile(r"smooth=0(&|$)"))
