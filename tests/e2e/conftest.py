"""Browser tests: runs recorded by the real SDK, a real viewer process, headless Chromium.

One data root and one viewer serve the whole session; every test gets a fresh browser context
(so localStorage, language and theme never leak between tests) and fails if its pages logged a
console error or threw. A full-page screenshot of each test's page lands in
``test-artifacts/screenshots/<test-name>.png``.
"""

from __future__ import annotations

import json
import math
import os
import re
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import numpy as np
import pytest

import runicorn as rn
from runicorn.remote.commands import VIEWER_READY_PREFIX

try:
    from playwright.sync_api import Browser, ConsoleMessage, Page, expect, sync_playwright
except ImportError:  # the skip below says why
    sync_playwright = None  # type: ignore[assignment]

REPO = Path(__file__).resolve().parents[2]
CHROMIUM = Path("/usr/bin/chromium")
STATIC_INDEX = REPO / "src" / "runicorn" / "viewer" / "static" / "index.html"
SCREENSHOTS = REPO / "test-artifacts" / "screenshots"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
# Generous: a 2-core machine running the viewer, Chromium and pytest at once.
TIMEOUT_MS = 15_000
if sync_playwright is not None:
    expect.set_options(timeout=TIMEOUT_MS)


def missing_requirement() -> str | None:
    if sync_playwright is None:
        return "the playwright Python package is not installed (pip install playwright)"
    if not CHROMIUM.exists():
        return f"{CHROMIUM} is missing (apt-get install chromium); never `playwright install`"
    if not STATIC_INDEX.exists():
        return f"{STATIC_INDEX} is missing: build the web UI (cd web && npm ci && npm run build)"
    return None


@pytest.fixture(scope="session", autouse=True)
def _e2e_requirements() -> None:
    reason = missing_requirement()
    if reason:
        pytest.skip(f"browser tests need Chromium and the built UI: {reason}")


@dataclass(frozen=True)
class RunInfo:
    id: str
    project: str
    name: str
    config: dict[str, Any]
    tags: list[str]
    steps: int


@dataclass
class E2EData:
    root: Path
    runs: list[RunInfo] = field(default_factory=list)

    def run(self, project: str, name: str) -> RunInfo:
        return next(r for r in self.runs if r.project == project and r.name == name)


ANSI_RED_LINE = "\x1b[31mERROR: loss diverged at step 13\x1b[0m"
PLAIN_LINE = "epoch 1 finished"

# (project, name, lr, batch size, tags, steps): lr 1e-3 sits on the filter's boundary on purpose.
RUN_SPECS: list[tuple[str, str, float, int, list[str], int]] = [
    ("vision", "resnet", 1e-2, 64, ["baseline"], 60),
    ("vision", "resnet", 3e-4, 128, ["baseline", "tuned"], 60),
    ("vision", "vit", 5e-4, 32, ["tuned"], 40),
    ("nlp", "bert", 1e-3, 16, ["baseline"], 50),
    ("nlp", "gpt", 2e-5, 8, ["large"], 30),
]


def _record_run(
    root: Path, spec: tuple[str, str, float, int, list[str], int], seed: int
) -> RunInfo:
    project, name, lr, batch_size, tags, steps = spec
    config = {"lr": lr, "batch_size": batch_size, "optimizer": "adam", "seed": seed}
    first = seed == 0
    run = rn.init(
        project=project, name=name, config=config, tags=tags, storage=root,
        capture_console=False, capture_env=False, system_metrics=first,
    )  # fmt: skip
    rng = np.random.default_rng(seed)
    for step in range(1, steps + 1):
        loss = 2.0 / math.sqrt(step) + 0.05 * float(rng.random()) + 0.1 * seed
        metrics: dict[str, float] = {"train/loss": loss, "train/acc": 1 - loss / 3}
        if step % 5 == 0:
            metrics["val/loss"] = loss * 1.1
            metrics["val/acc"] = 1 - loss / 2.5
        if step == 13:
            metrics["train/loss"] = float("nan")
        run.log(metrics)
        if step == 1:
            run.log_text(PLAIN_LINE)
        if step == 13:
            run.log_text(ANSI_RED_LINE)
    run.log_text("\x1b[32mdone\x1b[0m")
    if first:
        gradient = np.linspace(0, 255, 64 * 48, dtype=np.uint8).reshape(48, 64)
        run.log_image("samples", np.stack([gradient, gradient[::-1], gradient], axis=2), step=steps)
        _wait_for_system_samples(run.path / "events.jsonl", samples=3)
    run.summary({"best_acc": 0.9 - 0.05 * seed})
    run.finish()
    return RunInfo(run.id, project, name, config, tags, steps)


def _wait_for_system_samples(events: Path, samples: int, timeout: float = 20.0) -> None:
    """Waits until the sampler's ``system`` events reached the file (a condition, not a nap)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        text = events.read_text() if events.exists() else ""
        if text.count('"type":"system"') >= samples:
            return
        time.sleep(0.05)
    raise AssertionError(f"the SDK wrote no {samples} system samples to {events} in {timeout} s")


@pytest.fixture(scope="session")
def e2e_data(tmp_path_factory: pytest.TempPathFactory) -> Iterator[E2EData]:
    """A storage root with five finished runs in two projects, made by the real SDK."""
    root = tmp_path_factory.mktemp("e2e-root")
    saved = {k: os.environ.get(k) for k in ("RUNICORN_FLUSH_INTERVAL", "RUNICORN_SYSTEM_INTERVAL")}
    os.environ["RUNICORN_FLUSH_INTERVAL"] = "0.05"
    os.environ["RUNICORN_SYSTEM_INTERVAL"] = "0.05"
    try:
        data = E2EData(root)
        for seed, spec in enumerate(RUN_SPECS):
            data.runs.append(_record_run(root, spec, seed))
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
    yield data


@dataclass(frozen=True)
class Viewer:
    url: str
    root: Path
    process: subprocess.Popen[str]

    def api(self, path: str, **params: Any) -> Any:
        response = httpx.get(f"{self.url}{path}", params=params, timeout=30)
        response.raise_for_status()
        return response.json()


def viewer_env(root: Path, config_dir: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("RUNICORN_")}
    env["RUNICORN_CONFIG_DIR"] = str(config_dir)
    env["RUNICORN_DIR"] = str(root)
    env["PYTHONUNBUFFERED"] = "1"
    # A home of its own: the Remote page's SSH connections must not read the real ~/.ssh.
    home = config_dir.parent / "home"
    home.mkdir(parents=True, exist_ok=True)
    env["HOME"] = str(home)
    env.pop("SSH_AUTH_SOCK", None)
    return env


@contextmanager
def running_viewer(root: Path, folder: Path, runs: int = 0) -> Iterator[Viewer]:
    """``python -m runicorn viewer --port 0`` on ``root`` until the block ends, once it lists
    ``runs`` runs. Tests whose runs would change the shared root's counts start their own."""
    # stderr goes to a file: a pipe nobody reads would block the viewer once full.
    stderr_path = folder / "viewer-stderr.txt"
    with open(stderr_path, "w") as stderr:
        process = subprocess.Popen(
            [sys.executable, "-m", "runicorn", "viewer", "--root", str(root), "--port", "0"],
            stdout=subprocess.PIPE, stderr=stderr, stdin=subprocess.DEVNULL, text=True,
            env=viewer_env(root, folder / "config"), cwd=REPO,
        )  # fmt: skip
    assert process.stdout is not None
    line = process.stdout.readline()
    if not line.startswith(VIEWER_READY_PREFIX):
        process.kill()
        process.wait(timeout=10)
        raise RuntimeError(f"the viewer did not start: {line!r}\n{stderr_path.read_text()}")
    url = json.loads(line[len(VIEWER_READY_PREFIX) :])["url"].rstrip("/")
    server = Viewer(url, root, process)
    try:
        _wait_until_indexed(server, runs)
        yield server
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=5)
        process.stdout.close()


@pytest.fixture(scope="session")
def viewer(e2e_data: E2EData, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Viewer]:
    """The viewer on the shared data root, until the session ends."""
    folder = tmp_path_factory.mktemp("e2e-viewer")
    with running_viewer(e2e_data.root, folder, len(e2e_data.runs)) as server:
        yield server


def _wait_until_indexed(server: Viewer, runs: int, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    total = -1
    while time.monotonic() < deadline:
        total = server.api("/api/experiments", limit=1)["total"]
        if total >= runs:
            return
        time.sleep(0.1)
    raise AssertionError(f"the viewer indexed {total} of {runs} runs in {timeout} s")


@pytest.fixture(scope="package")
def browser() -> Iterator[Browser]:
    # Package scope, not session: Playwright's sync API keeps an asyncio loop running while it
    # is open, and async tests collected after this folder could not start their own.
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True
        )
        yield chromium
        chromium.close()


class ConsoleErrors:
    """Console errors and uncaught exceptions of one test's pages; some may be expected."""

    def __init__(self) -> None:
        self.errors: list[str] = []
        self._allowed: list[re.Pattern[str]] = []

    def allow(self, pattern: str) -> None:
        """Tolerates errors matching ``pattern`` (a test that provokes a 400 on purpose)."""
        self._allowed.append(re.compile(pattern))

    def on_console(self, message: ConsoleMessage) -> None:
        if message.type == "error":
            location = message.location.get("url", "")
            self.errors.append(f"console.error: {message.text} ({location})")

    def on_page_error(self, error: Any) -> None:
        self.errors.append(f"page error: {error}")

    def unexpected(self) -> list[str]:
        return [e for e in self.errors if not any(p.search(e) for p in self._allowed)]


@pytest.fixture
def console_errors() -> ConsoleErrors:
    return ConsoleErrors()


def screenshot_path(node: pytest.Item, label: str = "") -> Path:
    name = f"{node.name}-{label}" if label else node.name
    safe = re.sub(r"[^A-Za-z0-9_.-]+", "_", name).strip("_")
    return SCREENSHOTS / f"{safe}.png"


@pytest.fixture
def screenshot(request: pytest.FixtureRequest) -> Callable[[Page, str], None]:
    """Saves a full-page screenshot as ``<test-name>-<label>.png`` (tests visiting many pages)."""

    def take(tab: Page, label: str) -> None:
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        tab.screenshot(path=str(screenshot_path(request.node, label)), full_page=True)

    return take


@contextmanager
def open_page(
    browser: Browser, base_url: str, errors: ConsoleErrors, **options: Any
) -> Iterator[Page]:
    """A fresh context and page on ``base_url`` (English, 1400×900 unless ``options`` say
    otherwise) whose console errors are collected; closed when the block ends."""
    context = browser.new_context(
        base_url=base_url,
        **{"viewport": {"width": 1400, "height": 900}, "locale": "en-US", **options},
    )
    context.set_default_timeout(TIMEOUT_MS)
    tab = context.new_page()
    watch_page(tab, errors)
    context.on("page", lambda other: watch_page(other, errors))
    try:
        yield tab
    finally:
        context.close()


@pytest.fixture
def page(
    browser: Browser, viewer: Viewer, console_errors: ConsoleErrors, request: pytest.FixtureRequest
) -> Iterator[Page]:
    """A fresh context and page on the viewer; no console errors allowed by the end."""
    with open_page(browser, viewer.url, console_errors, color_scheme="light") as tab:
        yield tab
        if not tab.is_closed():
            SCREENSHOTS.mkdir(parents=True, exist_ok=True)
            tab.screenshot(path=str(screenshot_path(request.node)), full_page=True)
    unexpected = console_errors.unexpected()
    assert not unexpected, "the page logged errors:\n" + "\n".join(unexpected)


def watch_page(tab: Page, errors: ConsoleErrors) -> None:
    tab.on("console", errors.on_console)
    tab.on("pageerror", errors.on_page_error)


LIVE_SCRIPT = """
import sys, threading
import runicorn as rn

run = rn.init(project="live", name="ticker", config={"lr": 0.1}, capture_console=False,
              capture_env=False, system_metrics=False)
print(run.id, flush=True)
stop = threading.Event()
threading.Thread(target=lambda: (sys.stdin.read(), stop.set()), daemon=True).start()
step = 0
while not stop.is_set():
    step += 1
    run.log({"live/loss": 1.0 / step})
    stop.wait(0.1)
run.finish()
"""


@dataclass(frozen=True)
class LiveRun:
    id: str
    process: subprocess.Popen[str]


@pytest.fixture
def live_run(viewer: Viewer, tmp_path: Path) -> Iterator[LiveRun]:
    """A training script logging a point every 100 ms until the test ends (stdin closes)."""
    env = viewer_env(viewer.root, tmp_path / "config")
    env["RUNICORN_FLUSH_INTERVAL"] = "0.2"
    process = subprocess.Popen(
        [sys.executable, "-c", LIVE_SCRIPT], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
        text=True, env=env, cwd=tmp_path,
    )  # fmt: skip
    assert process.stdout is not None and process.stdin is not None
    run_id = ""
    try:
        run_id = process.stdout.readline().strip()
        assert run_id, "the live script printed no run id"
        yield LiveRun(run_id, process)
    finally:
        process.stdin.close()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=5)
        if run_id:
            forget_run(viewer, run_id)


def forget_run(viewer: Viewer, run_id: str) -> None:
    """Deletes a run for good through the API, so the shared root is as other tests expect it."""
    with httpx.Client(base_url=viewer.url, timeout=30) as client:
        client.delete(f"/api/runs/{run_id}").raise_for_status()
        client.delete(f"/api/recycle-bin/{run_id}").raise_for_status()
