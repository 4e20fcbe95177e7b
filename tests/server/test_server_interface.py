"""Both storage implementations satisfy the one interface the viewer is written against."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from runicorn.storage.backends import HybridStorageBackend
from runicorn.storage.interface import RunIndex, RunStorage


def test_the_local_backend_is_a_run_storage(root: Path) -> None:
    backend = HybridStorageBackend(root)
    try:
        assert isinstance(backend, RunStorage)
        assert isinstance(backend.index, RunIndex)
    finally:
        backend.close()


def test_the_server_backend_is_a_run_storage(server_backend: Any) -> None:
    assert isinstance(server_backend, RunStorage)
    assert isinstance(server_backend.index, RunIndex)
    assert server_backend.root.is_dir()
    assert server_backend.list_runs() == ([], 0)
