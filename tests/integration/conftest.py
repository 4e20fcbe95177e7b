"""Fixtures for the viewer's integration tests: runs made by the real SDK, the app, a server."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from server_live import LiveServer

import runicorn as rn
from runicorn.viewer import create_app
from runicorn.viewer.context import RateLimits

NO_LIMITS = RateLimits(enabled=False)


def make_run(
    root: Path,
    *,
    project: str = "vision",
    name: str = "resnet",
    steps: int = 10,
    config: dict[str, Any] | None = None,
    tags: list[str] | None = None,
    summary: dict[str, Any] | None = None,
    log: Callable[[Any, int], None] | None = None,
    finish: bool = True,
) -> Any:
    """A run recorded by the real SDK: ``loss`` and ``acc`` for ``steps`` steps."""
    run = rn.init(
        project=project, name=name, config=config or {"lr": 0.01}, tags=tags, storage=root,
        system_metrics=False, capture_console=False, capture_env=False,
    )  # fmt: skip
    for step in range(1, steps + 1):
        if log is None:
            run.log({"loss": 1.0 / step, "acc": step / steps})
        else:
            log(run, step)
    if summary:
        run.summary(summary)
    if finish:
        run.finish()
    return run


@pytest.fixture
def run_factory(root: Path) -> Callable[..., Any]:
    return lambda **kw: make_run(root, **kw)


@pytest.fixture
def app(root: Path) -> Iterator[Any]:
    application = create_app(root, rate_limits=NO_LIMITS, index_on_start=False, static_dir=None)
    yield application
    application.state.ctx.close()


@pytest.fixture
async def client(app: Any) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1") as http:
        yield http


@pytest.fixture
def live_server(root: Path) -> Iterator[LiveServer]:
    application = create_app(root, rate_limits=NO_LIMITS, index_on_start=False, static_dir=None)
    with LiveServer(application) as server:
        yield server
