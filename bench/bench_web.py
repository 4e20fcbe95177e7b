"""W5: the web UI in headless Chromium, against a real viewer process.

    .venv/bin/python bench/bench_web.py [--quick] [--repeat 5] [--keep]

- Run page: one run with 12 metrics x 100,000 steps. Time from navigation start to every chart
  in the viewport drawn (the card ``ready``, its uPlot instance in ``window.__runicornCharts``
  holding data, its container's ``data-points`` set), read in the page with
  ``performance.now()`` on each animation frame. The first visit after the viewer starts reads
  the events file cold; later visits (each in a fresh browser context) hit the viewer's cache.
  Target: 1 s.
- Experiments page with 10,000 runs: time from the list response arriving (resource timing
  ``responseEnd`` of ``/api/v2/experiments``) to the frame that first shows rows (a
  MutationObserver installed before the app loads, then the next animation frame). Target: 300 ms.
  Then the table is scrolled programmatically, a fixed distance per frame, and
  ``requestAnimationFrame`` deltas give the frame times (median, p95).

- Sweep views with 1,000 runs x 20 fields (16 config keys, 4 metrics): time from the last page of
  runs arriving to the first draw of parallel coordinates and of the scatter (the views time it
  and expose it on ``window.__runicornSweep``). Target: 300 ms. Then a brush is dragged along an
  axis, one pointermove per animation frame; the frame rate while brushing. Target: 30 fps.

- Histogram panel: one run with 1,000 steps x 64 bins of ``rn.Histogram``: time from the
  histograms response arriving (resource timing ``responseEnd``) to the frame after the heatmap is
  drawn (the panel's ``window.__runicornHistograms`` entry), and the canvas draw alone. Target:
  200 ms.

- ``--compare-builds DIR...``: W5a (warm, visible charts) for several built UIs at the same moment,
  each served by its own viewer on its own copy of the run, visited in turn (the order rotated each
  round), so a shared machine's load falls on every build alike. Build an older tree's UI with
  ``git archive <commit> web | tar -x -C /tmp/old`` and ``npx vite build`` there.

- Lineage of a long fine-tuning chain: 200 runs, each using one dataset and the checkpoint the run
  before produced (402 nodes, 600 edges, the dataset's edges spanning the chain), recorded through
  the SDK. Time from the lineage tab's click to the graph drawn (laid out by ELK in a Web Worker),
  and the longest stall of the page's thread while the worker lays out (timer ticks every 25 ms).
  Target: 100 ms. The stall while React Flow first draws the nodes is reported beside it.

Data is written straight in the SDK's file format and indexed with
``HybridStorageBackend(root).reindex()``. This is a benchmark, not a test: it prints a table.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import Any

import httpx
import numpy as np
import orjson
from playwright.sync_api import Browser, sync_playwright
from rich.console import Console
from rich.table import Table

from runicorn.remote.commands import VIEWER_READY_PREFIX
from runicorn.storage.backends import HybridStorageBackend

REPO = Path(__file__).resolve().parents[1]
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
VIEWPORT = {"width": 1400, "height": 900}
RUN_PAGE_TARGET_MS = 1000.0
FIRST_ROWS_TARGET_MS = 300.0
FRAME_BUDGET_MS = 1000 / 60

console = Console(width=140)
rows: list[tuple[str, str, str, str, str]] = []


def load_average() -> str:
    """The 1-minute load average now: on a shared machine a figure means little without it."""
    try:
        return Path("/proc/loadavg").read_text().split()[0]
    except OSError:
        return "?"


def record(workload: str, what: str, value: str, target: str = "", note: str = "") -> None:
    note = f"{note}; load {load_average()}" if note else f"load {load_average()}"
    rows.append((workload, what, value, target, note))
    console.log(f"{workload:4} {what:52} {value:>12}  {target:>8}  {note}")


def ms(value: float) -> str:
    return f"{value:,.0f} ms" if value >= 100 else f"{value:,.1f} ms"


def verdict(value: float, target: float) -> str:
    return f"≤ {target:,.0f} ms {'ok' if value <= target else 'MISSED'}"


def percentile(values: list[float], q: float) -> float:
    return float(np.percentile(np.asarray(values, dtype=float), q))


def write_run(
    root: Path,
    run_id: str,
    project: str,
    name: str,
    *,
    created: float,
    config: dict[str, Any],
    summary: dict[str, Any],
    events: bytes,
) -> None:
    """A finished run's folder, as the SDK leaves it."""
    path = root / project / name / "runs" / run_id
    path.mkdir(parents=True)
    meta = {
        "id": run_id,
        "project": project,
        "name": name,
        "created_at": created,
        "config": config,
        "tags": ["bench"],
        "notes": "",
    }
    status = {
        "status": "finished",
        "started_at": created,
        "ended_at": created + 60,
        "heartbeat_at": created + 60,
        "heartbeat_interval": 10.0,
    }
    (path / "meta.json").write_bytes(orjson.dumps(meta))
    (path / "status.json").write_bytes(orjson.dumps(status))
    (path / "summary.json").write_bytes(orjson.dumps(summary))
    (path / "events.jsonl").write_bytes(events)


def metric_lines(steps: int, keys: list[str], seed: int = 0, t0: float = 1.79e9) -> bytes:
    """``steps`` lines of ``{"ts", "type": "metrics", "data"}``, the SDK's metric events."""
    rng = np.random.default_rng(seed)
    curve = 2.0 / np.sqrt(np.arange(1, steps + 1))[:, None]
    values = (curve + 0.1 * rng.random((steps, len(keys)))).tolist()
    dumps = orjson.dumps
    lines = []
    for i in range(steps):
        data = dict(zip(keys, values[i], strict=True))
        t = t0 + i * 0.01
        data["global_step"] = i + 1
        data["time"] = t
        lines.append(dumps({"ts": t, "type": "metrics", "data": data}))
    return b"\n".join(lines) + b"\n"


@contextmanager
def viewer(root: Path) -> Iterator[str]:
    """``python -m runicorn viewer --port 0`` on ``root``; its URL until the block ends."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("RUNICORN_")}
    env["RUNICORN_CONFIG_DIR"] = str(root.parent / f"{root.name}-config")
    with open(root.parent / f"{root.name}-viewer.log", "w") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "runicorn", "viewer", "--root", str(root), "--port", "0"],
            stdout=subprocess.PIPE,
            stderr=log,
            stdin=subprocess.DEVNULL,
            text=True,
            env=env,
        )
    assert process.stdout is not None
    line = process.stdout.readline()
    if not line.startswith(VIEWER_READY_PREFIX):
        process.kill()
        raise RuntimeError(f"viewer did not start: {line!r}")
    try:
        yield json.loads(line[len(VIEWER_READY_PREFIX) :])["url"].rstrip("/")
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
        process.stdout.close()


# Every chart card in the viewport is ready and its uPlot instance holds data: the time since
# navigation start, or false. Polled on each animation frame.
VISIBLE_CHARTS_DRAWN = """(expected) => {
  const cards = [...document.querySelectorAll('[data-testid="chart-card"]')];
  if (cards.length < expected) return false;
  const charts = window.__runicornCharts || {};
  const visible = cards.filter((card) => {
    const box = card.getBoundingClientRect();
    return box.bottom > 0 && box.top < innerHeight && box.right > 0 && box.left < innerWidth;
  });
  if (visible.length === 0) return false;
  let points = 0;
  for (const card of visible) {
    const chart = charts[card.dataset.key];
    const host = card.querySelector("[data-chart-key]");
    if (card.dataset.state !== "ready" || !chart || !host) return false;
    if (!(Number(host.dataset.points) > 0) || chart.data[0].length === 0) return false;
    points = Math.max(points, chart.data[0].length);
  }
  const count = Number(visible[0].querySelector("[data-chart-key]").dataset.count);
  return { ms: performance.now(), visible: visible.length, points, count };
}"""


def time_run_page(browser: Browser, url: str, charts: int, viewport: dict[str, int]) -> dict:
    context = browser.new_context(viewport=viewport, locale="en-US", color_scheme="light")
    try:
        page = context.new_page()
        page.goto(url, wait_until="commit")
        handle = page.wait_for_function(
            VISIBLE_CHARTS_DRAWN, arg=charts, polling="raf", timeout=120_000
        )
        return handle.json_value()
    finally:
        context.close()


def bench_run_page(base: Path, browser: Browser, charts: int, points: int, repeat: int) -> None:
    root = base / "run-page"
    keys = [f"{'train' if i % 2 == 0 else 'val'}/metric_{i:02d}" for i in range(charts)]
    started = time.perf_counter()
    run_id = "20260101_000000_webrun"
    write_run(
        root,
        run_id,
        "bench",
        "wide",
        created=1.79e9,
        config={"lr": 1e-3},
        summary={},
        events=metric_lines(points, keys),
    )
    HybridStorageBackend(root).reindex()
    size = (root / "bench/wide/runs" / run_id / "events.jsonl").stat().st_size
    console.log(
        f"wrote {charts} x {points:,} points ({size / 1e6:.0f} MB) in "
        f"{time.perf_counter() - started:.1f} s"
    )
    label = f"{charts} charts x {points // 1000}k points"
    with viewer(root) as base_url:
        url = f"{base_url}/runs/{run_id}"
        cold = time_run_page(browser, url, charts, VIEWPORT)
        note = (
            f"{cold['visible']} charts in view, {cold['points']} of {cold['count']:,} points each"
        )
        record(
            "W5a",
            f"run page, {label}: first visit (viewer cold)",
            ms(cold["ms"]),
            verdict(cold["ms"], RUN_PAGE_TARGET_MS),
            note,
        )
        warm = [time_run_page(browser, url, charts, VIEWPORT)["ms"] for _ in range(repeat)]
        record(
            "W5a",
            f"run page, {label}: visible charts drawn (warm)",
            ms(statistics.median(warm)),
            verdict(statistics.median(warm), RUN_PAGE_TARGET_MS),
            f"median of {repeat}; min {ms(min(warm))}, max {ms(max(warm))}",
        )
        tall = {"width": VIEWPORT["width"], "height": 3000}
        every = [time_run_page(browser, url, charts, tall) for _ in range(repeat)]
        record(
            "W5a",
            f"run page, {label}: all {charts} drawn (3000 px tall)",
            ms(statistics.median(e["ms"] for e in every)),
            "",
            f"{every[0]['visible']} charts in view; median of {repeat}",
        )


# A viewer on `root` serving the built UI in `static` (argv 1 and 2) on the loopback port argv 3.
SERVE_BUILD = """
import sys
from pathlib import Path
import uvicorn
from runicorn.viewer.app import create_app
app = create_app(Path(sys.argv[1]), static_dir=Path(sys.argv[2]))
uvicorn.run(app, host="127.0.0.1", port=int(sys.argv[3]), log_level="warning")
"""


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextmanager
def build_viewer(root: Path, static: Path) -> Iterator[str]:
    """A viewer on ``root`` serving the UI built in ``static``; its URL until the block ends."""
    port = free_port()
    with open(root.parent / f"{root.name}-viewer.log", "w") as log:
        process = subprocess.Popen(
            [sys.executable, "-c", SERVE_BUILD, str(root), str(static), str(port)],
            stdout=subprocess.DEVNULL,
            stderr=log,
            stdin=subprocess.DEVNULL,
        )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                httpx.get(f"{url}/api/health", timeout=2).raise_for_status()
                break
            except httpx.HTTPError:
                if process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"the viewer for {static} did not start") from None
                time.sleep(0.2)
        yield url
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()


def compare_builds(base: Path, browser: Browser, builds: list[Path], rounds: int) -> None:
    """W5a for several built UIs at the same moment: one viewer and one copy of the run per build,
    a cold visit each (not counted), then the builds visited in turn, the order rotated each round,
    so load on a shared machine falls on every build alike."""
    root = base / "compare" / "run-0"
    run_id = "20260101_000000_webrun"
    keys = [f"{'train' if i % 2 == 0 else 'val'}/metric_{i:02d}" for i in range(12)]
    write_run(
        root,
        run_id,
        "bench",
        "wide",
        created=1.79e9,
        config={"lr": 1e-3},
        summary={},
        events=metric_lines(100_000, keys),
    )
    HybridStorageBackend(root).reindex()
    roots = [root] + [base / "compare" / f"run-{i}" for i in range(1, len(builds))]
    for copy in roots[1:]:
        shutil.copytree(root, copy)
    with ExitStack() as stack:
        urls = [
            f"{stack.enter_context(build_viewer(r, b))}/runs/{run_id}"
            for r, b in zip(roots, builds, strict=True)
        ]
        for url in urls:
            time_run_page(browser, url, len(keys), VIEWPORT)
        times: list[list[float]] = [[] for _ in builds]
        loads = [float(load_average())]
        for r in range(rounds):
            order = list(range(len(builds)))
            for i in order[r % len(order) :] + order[: r % len(order)]:
                times[i].append(time_run_page(browser, urls[i], len(keys), VIEWPORT)["ms"])
            loads.append(float(load_average()))
    first = times[0]
    for build, visits in zip(builds, times, strict=True):
        faster = sum(a < b for a, b in zip(visits, first, strict=True))
        record(
            "W5a",
            f"visible charts drawn (warm), build {build}",
            ms(statistics.median(visits)),
            "",
            f"median of {rounds} interleaved; min {ms(min(visits))}, max {ms(max(visits))}; "
            f"faster than the first build in {faster} of {rounds}; "
            f"load {min(loads):.1f}-{max(loads):.1f} during the rounds",
        )


def make_many_runs(root: Path, count: int) -> None:
    rng = np.random.default_rng(count)
    lrs = 10 ** rng.uniform(-5, -1, count)
    accs = rng.random(count)
    for i in range(count):
        created = 1.79e9 + i * 60
        write_run(
            root,
            f"20260101_{i // 10000:06d}_{i % 10000:06d}",
            f"p{i % 7}",
            f"n{i % 13}",
            created=created,
            config={"lr": float(lrs[i]), "batch_size": int(32 << (i % 3)), "seed": i},
            summary={"acc": float(accs[i])},
            events=metric_lines(3, ["loss", "acc"], seed=i, t0=created),
        )


# Installed before the app's scripts: the moment the first run row enters the DOM, and the
# animation frame that paints it.
FIRST_ROWS_PROBE = """
window.__firstRows = null;
new MutationObserver((_, observer) => {
  if (!document.querySelector('[data-testid="run-row"]')) return;
  observer.disconnect();
  const inserted = performance.now();
  requestAnimationFrame((frame) => { window.__firstRows = { inserted, frame }; });
}).observe(document, { childList: true, subtree: true });
"""

LIST_RESPONSE_END = """() => {
  const entry = performance.getEntriesByType("resource")
    .find((e) => e.name.includes("/api/v2/experiments"));
  return entry ? { responseEnd: entry.responseEnd, duration: entry.duration } : null;
}"""

SCROLL = """async ({ frames, step }) => {
  const table = document.querySelector('[data-testid="runs-table"]');
  const deltas = [];
  await new Promise((resolve) => {
    let previous = null;
    let n = 0;
    const tick = (time) => {
      if (previous !== null) deltas.push(time - previous);
      previous = time;
      table.scrollTop += step;
      if (++n < frames) requestAnimationFrame(tick);
      else resolve();
    };
    requestAnimationFrame(tick);
  });
  return { deltas, scrollTop: table.scrollTop };
}"""


def time_first_rows(browser: Browser, url: str, scroll_frames: int) -> dict[str, Any]:
    context = browser.new_context(viewport=VIEWPORT, locale="en-US", color_scheme="light")
    try:
        context.add_init_script(FIRST_ROWS_PROBE)
        page = context.new_page()
        page.goto(url, wait_until="commit")
        page.wait_for_function("window.__firstRows !== null", timeout=120_000)
        first = page.evaluate("window.__firstRows")
        listing = page.wait_for_function(LIST_RESPONSE_END).json_value()
        result: dict[str, Any] = {
            "after_response": first["frame"] - listing["responseEnd"],
            "from_navigation": first["frame"],
            "response_end": listing["responseEnd"],
            "total": int(page.get_by_test_id("runs-table").get_attribute("data-total") or 0),
        }
        if scroll_frames:
            scrolled = page.evaluate(SCROLL, {"frames": scroll_frames, "step": 96})
            result["deltas"] = scrolled["deltas"]
            result["scroll_top"] = scrolled["scrollTop"]
        return result
    finally:
        context.close()


def bench_experiments(base: Path, browser: Browser, count: int, repeat: int) -> None:
    root = base / "many-runs"
    started = time.perf_counter()
    make_many_runs(root, count)
    written = time.perf_counter() - started
    HybridStorageBackend(root).reindex()
    console.log(
        f"wrote {count:,} runs in {written:.1f} s, indexed them in "
        f"{time.perf_counter() - started - written:.1f} s"
    )
    with viewer(root) as base_url:
        url = f"{base_url}/"
        time_first_rows(browser, url, 0)  # the viewer's first query warms SQLite's page cache
        runs = [time_first_rows(browser, url, 0) for _ in range(repeat)]
        after = [r["after_response"] for r in runs]
        total = runs[0]["total"]
        median_after = statistics.median(after)
        record(
            "W5b",
            f"experiments, {total:,} runs: list response -> first rows",
            ms(median_after),
            verdict(median_after, FIRST_ROWS_TARGET_MS),
            f"median of {repeat}; max {ms(max(after))}",
        )
        record(
            "W5b",
            f"experiments, {total:,} runs: navigation -> first rows",
            ms(statistics.median(r["from_navigation"] for r in runs)),
            "",
            f"list response ended at {ms(statistics.median(r['response_end'] for r in runs))}",
        )
        scrolled = time_first_rows(browser, url, 300)
        deltas = scrolled["deltas"]
        median, p95 = statistics.median(deltas), percentile(deltas, 95)
        long_frames = sum(d > 50 for d in deltas)
        rows_scrolled = scrolled["scroll_top"] / 32
        record(
            "W5b",
            "experiments: scroll frame time, median",
            ms(median),
            f"{FRAME_BUDGET_MS:.1f} ms",
            f"{1000 / median:.0f} fps; {len(deltas)} frames, "
            f"96 px/frame, {rows_scrolled:,.0f} rows",
        )
        record(
            "W5b",
            "experiments: scroll frame time, p95",
            ms(p95),
            "",
            f"max {ms(max(deltas))}; {long_frames} frames over 50 ms",
        )


SWEEP_METRICS = ["train/loss", "train/acc", "val/loss", "val/acc"]
SWEEP_FIELDS = 20
OPTIMIZERS = ["adamw", "sgd", "lion"]
SWEEP_FIRST_DRAW_TARGET_MS = 300.0
SWEEP_BRUSH_TARGET_FPS = 30.0


def make_sweep(root: Path, count: int) -> None:
    """``count`` runs of a sweep: 16 config fields and 4 metrics, so 20 axes to plot."""
    rng = np.random.default_rng(7)
    for i in range(count):
        created = 1.79e9 + i * 60
        config: dict[str, Any] = {
            "batch_size": int(16 << (i % 5)), "学习率": float(10 ** rng.uniform(-5, -2)),
            "weight decay": float(rng.uniform(0, 0.1)), "optimizer": OPTIMIZERS[i % 3],
            "dropout": float(rng.uniform(0, 0.5)), "warmup_steps": int(rng.integers(0, 2000)),
            "seed": i,
        }  # fmt: skip
        for k in range(SWEEP_FIELDS - len(SWEEP_METRICS) - len(config)):
            config[f"layer_{k}.width"] = int(rng.integers(64, 1024))
        write_run(
            root,
            f"20260101_{i // 10000:06d}_{i % 10000:06d}",
            "sweep",
            "vit",
            created=created,
            config=config,
            summary={},
            events=metric_lines(5, SWEEP_METRICS, seed=i, t0=created),
        )


# Brushes along the first axis: a pointerdown, then one pointermove per animation frame; the
# frame deltas and the draws the view made in them.
BRUSH = """async ({ frames }) => {
  const hooks = window.__runicornSweep.parallel;
  const axis = hooks.axes()[0];
  const canvas = document.querySelector('[data-testid="sweep-parallel"] canvas');
  const fire = (type, y) => canvas.dispatchEvent(new PointerEvent(type, {
    bubbles: true, clientX: axis.x, clientY: y, pointerId: 7, pointerType: "mouse", buttons: 1,
  }));
  const span = axis.bottom - axis.top;
  fire("pointerdown", axis.top + 2);
  const before = hooks.frames;
  const deltas = [];
  const draws = [];
  await new Promise((resolve) => {
    let previous = null;
    let n = 0;
    const tick = (time) => {
      if (previous !== null) deltas.push(time - previous);
      previous = time;
      draws.push(hooks.lastDrawMs);
      fire("pointermove", axis.top + 10 + ((n * 7) % (span - 20)));
      if (++n < frames) requestAnimationFrame(tick);
      else resolve();
    };
    requestAnimationFrame(tick);
  });
  fire("pointerup", axis.top + span / 2);
  return { deltas, draws, drawn: hooks.frames - before };
}"""


def sweep_first_draw(browser: Browser, url: str, view: str) -> float:
    context = browser.new_context(viewport=VIEWPORT, locale="en-US", color_scheme="light")
    try:
        page = context.new_page()
        page.goto(url, wait_until="commit")
        handle = page.wait_for_function(
            f"window.__runicornSweep?.{view}?.firstDrawMs ?? false", timeout=120_000
        )
        return float(handle.json_value())
    finally:
        context.close()


def bench_sweep(base: Path, browser: Browser, count: int, repeat: int) -> None:
    root = base / "sweep"
    make_sweep(root, count)
    HybridStorageBackend(root).reindex()
    with viewer(root) as base_url:
        with httpx.Client(base_url=base_url, timeout=60) as client:
            fields = client.get("/api/v2/fields").json()
            axes = [f["field"] for f in fields["config"]] + [
                f"{m['field']}.last" for m in fields["metrics"]
            ]
            client.put(
                "/api/ui-preferences", json={"preferences": {"sweep.axes": axes[:SWEEP_FIELDS]}}
            ).raise_for_status()
        label = f"{count:,} runs x {min(len(axes), SWEEP_FIELDS)} fields"
        for view in ("parallel", "scatter"):
            url = f"{base_url}/?sweep={view}"
            sweep_first_draw(browser, url, view)  # warms the viewer's index reads
            times = [sweep_first_draw(browser, url, view) for _ in range(repeat)]
            median = statistics.median(times)
            record(
                "W5c",
                f"{view}, {label}: data -> first draw",
                ms(median),
                verdict(median, SWEEP_FIRST_DRAW_TARGET_MS),
                f"median of {repeat}; max {ms(max(times))}",
            )
        context = browser.new_context(viewport=VIEWPORT, locale="en-US", color_scheme="light")
        try:
            page = context.new_page()
            page.goto(f"{base_url}/?sweep=parallel", wait_until="commit")
            page.wait_for_function("window.__runicornSweep?.parallel?.firstDrawMs ?? false")
            brushed = page.evaluate(BRUSH, {"frames": 180})
        finally:
            context.close()
        deltas = brushed["deltas"]
        fps = 1000 / statistics.median(deltas)
        ok = "ok" if fps >= SWEEP_BRUSH_TARGET_FPS else "MISSED"
        record(
            "W5c",
            f"parallel, {label}: brushing frame rate",
            f"{fps:,.0f} fps",
            f"≥ {SWEEP_BRUSH_TARGET_FPS:.0f} fps {ok}",
            f"median frame {ms(statistics.median(deltas))}, p95 {ms(percentile(deltas, 95))}; "
            f"{brushed['drawn']} redraws in {len(deltas) + 1} frames, "
            f"draw median {ms(statistics.median(brushed['draws'][1:]))}",
        )


HISTOGRAM_TARGET_MS = 200.0
HISTOGRAM_KEY = "weights/fc1"

# The frame after the histogram panel drew its heatmap: ms from the histograms response's end.
HISTOGRAM_DRAWN = """(key) => {
  const hook = (window.__runicornHistograms || {})[key];
  if (!hook || !(hook.drawMs >= 0)) return false;
  const response = performance.getEntriesByType("resource")
    .filter((e) => e.name.includes("/histograms?")).pop();
  if (!response) return false;
  return { ms: performance.now() - response.responseEnd, draw: hook.drawMs,
           columns: hook.grid.steps.length, rows: hook.grid.rows };
}"""


def histogram_lines(steps: int, bins: int, t0: float = 1.79e9) -> bytes:
    """``steps`` histogram events of ``bins`` bins (a drifting, widening normal), SDK format."""
    rng = np.random.default_rng(5)
    lines = []
    for step in range(1, steps + 1):
        values = rng.normal(step / 200, 1 + step / 1000, 4096)
        counts, edges = np.histogram(values, bins=bins)
        data = {"key": HISTOGRAM_KEY, "step": step, "edges": edges.tolist(),
                "counts": counts.tolist()}  # fmt: skip
        lines.append(orjson.dumps({"ts": t0 + step, "type": "histogram", "data": data}))
    return b"\n".join(lines) + b"\n" + metric_lines(steps, ["train/loss"], t0=t0)


def time_histogram_panel(browser: Browser, url: str) -> dict[str, Any]:
    context = browser.new_context(viewport=VIEWPORT, locale="en-US", color_scheme="light")
    try:
        page = context.new_page()
        page.goto(url, wait_until="commit")
        handle = page.wait_for_function(
            HISTOGRAM_DRAWN, arg=HISTOGRAM_KEY, polling="raf", timeout=120_000
        )
        result: dict[str, Any] = handle.json_value()
        return result
    finally:
        context.close()


def bench_histograms(base: Path, browser: Browser, repeat: int, steps: int = 1000) -> None:
    root = base / "histograms"
    run_id = "20260101_000000_histos"
    write_run(
        root, run_id, "bench", "histograms", created=1.79e9, config={"lr": 1e-3}, summary={},
        events=histogram_lines(steps, 64),
    )  # fmt: skip
    HybridStorageBackend(root).reindex()
    with viewer(root) as base_url:
        url = f"{base_url}/runs/{run_id}"
        results = [time_histogram_panel(browser, url) for _ in range(repeat + 1)][1:]
        total = statistics.median(r["ms"] for r in results)
        draw = statistics.median(r["draw"] for r in results)
        first = results[0]
        record(
            "W5d",
            f"histogram panel, {steps:,} steps x 64 bins: data to drawn",
            ms(total),
            verdict(total, HISTOGRAM_TARGET_MS),
            f"median of {repeat} (warm); heatmap {first['columns']} x {first['rows']}; "
            f"canvas draw alone {ms(draw)}",
        )


LINEAGE_STALL_TARGET_MS = 100
LINEAGE_PROBE = """() => {
  window.__lineage = { stall: 0, layoutStall: 0, clicked: performance.now() };
  let last = performance.now();
  setInterval(() => {
    const now = performance.now();
    const gap = now - last;
    window.__lineage.stall = Math.max(window.__lineage.stall, gap);
    if (document.querySelector('[data-testid="lineage-layout"]')) {
      window.__lineage.layoutStall = Math.max(window.__lineage.layoutStall, gap);
    }
    last = now;
  }, 25);
}"""
LINEAGE_DRAWN = """(nodes) => {
  const graph = document.querySelector('[data-testid="lineage-graph"]');
  if (!graph || graph.dataset.nodes !== String(nodes)) return null;
  if (!document.querySelector('[data-testid="lineage-node"][data-root="true"]')) return null;
  const { clicked, stall, layoutStall } = window.__lineage;
  return { ms: performance.now() - clicked, stall, layoutStall };
}"""


def make_fine_tuning_chain(root: Path, work: Path, runs: int) -> None:
    import runicorn as rn

    def quiet(name: str) -> rn.Run:
        return rn.init(project="bench", name=name, storage=root, capture_console=False,
                       capture_env=False, system_metrics=False)  # fmt: skip

    prepare = quiet("prepare")
    (work / "data.bin").write_bytes(os.urandom(1024))
    dataset = rn.Artifact("imagenet-subset", "dataset")
    dataset.add_file(work / "data.bin")
    prepare.log_artifact(dataset, aliases=["stable"]).wait(60)
    prepare.finish()
    for i in range(1, runs + 1):
        run = quiet(f"finetune-{i:03d}")
        run.use_artifact("imagenet-subset:stable")
        if i > 1:
            run.use_artifact(f"vit-b16:v{i - 1}")
        (work / "model.pt").write_bytes(os.urandom(256))
        run.log_model(work / "model.pt", "vit-b16").wait(60)
        run.finish()


def time_lineage(browser: Browser, url: str, nodes: int) -> dict[str, float]:
    context = browser.new_context(viewport=VIEWPORT, locale="en-US", color_scheme="light")
    try:
        page = context.new_page()
        page.goto(url)
        page.wait_for_selector('[data-testid="version-tab-lineage"]')
        page.evaluate(LINEAGE_PROBE)
        page.click('[data-testid="version-tab-lineage"]')
        handle = page.wait_for_function(LINEAGE_DRAWN, arg=nodes, polling="raf", timeout=120_000)
        result: dict[str, float] = handle.json_value()
        return result
    finally:
        context.close()


def bench_lineage(base: Path, browser: Browser, repeat: int, runs: int = 200) -> None:
    root, work = base / "lineage", base / "lineage-work"
    work.mkdir(parents=True)
    make_fine_tuning_chain(root, work, runs)
    with viewer(root) as base_url:
        url = f"{base_url}/artifacts/bench/imagenet-subset/stable"
        results = [time_lineage(browser, url, 2 * runs + 2) for _ in range(repeat + 1)][1:]
        drawn = statistics.median(r["ms"] for r in results)
        stall = max(r["stall"] for r in results)
        layout_stall = max(r["layoutStall"] for r in results)
        record(
            "W5e",
            f"lineage of {runs} fine-tuning runs ({2 * runs + 2} nodes): click to drawn",
            ms(drawn),
            "",
            f"median of {repeat}; ELK in a Web Worker",
        )
        record(
            "W5e",
            "  longest stall of the page's thread while laying out",
            ms(layout_stall),
            verdict(layout_stall, LINEAGE_STALL_TARGET_MS),
            f"worst of {repeat}; with fetching the graph and drawing it: {ms(stall)}",
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="1,000 runs, 20k points, 2 repeats")
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--charts", type=int, default=12)
    parser.add_argument("--points", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=10_000)
    parser.add_argument("--keep", action="store_true", help="keep the generated data")
    parser.add_argument("--sweep-runs", type=int, default=1000)
    parser.add_argument(
        "--only",
        choices=["run", "experiments", "sweep", "histograms", "lineage"],
        help="one workload",
    )
    parser.add_argument(
        "--compare-builds",
        nargs="+",
        type=Path,
        metavar="STATIC_DIR",
        help="only W5a, for these built UIs (viewer/static dirs) visited in turn, --repeat rounds",
    )
    args = parser.parse_args()
    if args.quick:
        args.repeat, args.points, args.runs = 2, 20_000, 1000
    if not Path(CHROMIUM).exists():
        sys.exit(f"{CHROMIUM} is missing: apt-get install chromium (never `playwright install`)")
    if not (REPO / "src/runicorn/viewer/static/index.html").exists():
        sys.exit("the web UI is not built: cd web && npm ci && npm run build")

    base = Path(tempfile.mkdtemp(prefix="runicorn-bench-web-"))
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            version = browser.version
            try:
                if args.compare_builds:
                    compare_builds(base, browser, args.compare_builds, args.repeat)
                    args.only = "compare"
                if args.only in (None, "run"):
                    bench_run_page(base, browser, args.charts, args.points, args.repeat)
                if args.only in (None, "experiments"):
                    bench_experiments(base, browser, args.runs, args.repeat)
                if args.only in (None, "sweep"):
                    bench_sweep(base, browser, args.sweep_runs, args.repeat)
                if args.only in (None, "histograms"):
                    bench_histograms(base, browser, args.repeat)
                if args.only in (None, "lineage"):
                    bench_lineage(base, browser, args.repeat)
            finally:
                browser.close()
    finally:
        if args.keep:
            console.log(f"data kept in {base}")
        else:
            shutil.rmtree(base, ignore_errors=True)

    size = f"{VIEWPORT['width']}x{VIEWPORT['height']}"
    table = Table(
        title=f"Runicorn web UI benchmarks ({platform.node()}, {os.cpu_count()} CPUs, "
        f"headless Chromium {version}, viewport {size})"
    )
    for column in ("workload", "what", "value", "target", "note"):
        table.add_column(column, justify="right" if column == "value" else "left")
    for row in rows:
        table.add_row(*row)
    console.print(table)


if __name__ == "__main__":
    main()
