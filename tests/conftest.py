"""Fixtures shared by every test: an isolated storage root and config folder per test."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

import runicorn.sdk


@pytest.fixture(autouse=True)
def isolated_runicorn(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Keep every test away from the user's real config and data, with fast SDK timings."""
    monkeypatch.setenv("RUNICORN_CONFIG_DIR", str(tmp_path / "config"))
    monkeypatch.delenv("RUNICORN_DIR", raising=False)
    monkeypatch.delenv("RUNICORN_MODE", raising=False)
    monkeypatch.delenv("RUNICORN_ALERT_WEBHOOK", raising=False)
    monkeypatch.delenv("RUNICORN_SYNC_URL", raising=False)
    monkeypatch.delenv("RUNICORN_TOKEN", raising=False)
    monkeypatch.delenv("RANK", raising=False)
    monkeypatch.delenv("LOCAL_RANK", raising=False)
    monkeypatch.setenv("RUNICORN_FLUSH_INTERVAL", "0.05")
    monkeypatch.setenv("RUNICORN_HEARTBEAT_INTERVAL", "0.2")
    yield
    for run in list(runicorn.sdk._live_runs):
        run.finish()


@pytest.fixture
def root(tmp_path: Path) -> Path:
    """An empty storage root."""
    path = tmp_path / "root"
    path.mkdir()
    return path
