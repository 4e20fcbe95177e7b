"""Runs that log and use artifacts through the public SDK."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

import runicorn as rn


def start_run(root: Path, name: str, project: str = "vision", **config: Any) -> Any:
    return rn.init(
        project=project, name=name, storage=root, config=config or {"batch_size": 32},
        capture_console=False, capture_env=False, system_metrics=False,
    )  # fmt: skip


@pytest.fixture
def new_run(root: Path) -> Callable[..., Any]:
    return lambda name="train", **kw: start_run(root, name, **kw)


@pytest.fixture
def workdir(tmp_path: Path) -> Path:
    """Files a training script would have: a checkpoint, a dataset folder with unicode names."""
    folder = tmp_path / "work"
    (folder / "data" / "训练").mkdir(parents=True)
    (folder / "data" / "训练" / "part-0.csv").write_text("x,y\n1,2\n", encoding="utf-8")
    (folder / "data" / "labels.json").write_text('{"学习率": 0.1}', encoding="utf-8")
    (folder / "model.pt").write_bytes(bytes(range(256)) * 400)
    return folder
