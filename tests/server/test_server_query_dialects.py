"""One v2 compiler, two dialects: SQLite over the local index and PostgreSQL over the server's
find the same runs for the same expression, edge values included."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import pytest

import runicorn as rn
from runicorn.server.ingest import ingest_root
from runicorn.storage.backends import HybridStorageBackend

LR_VALUES: list[Any] = [
    0.001,
    1e-05,
    0.3,
    42,
    "42",
    "adam",
    math.inf,
    -math.inf,
    math.nan,
    [0.0001],
    None,
]
EXPRESSIONS = [
    "config.lr < 0.01",
    "config.lr > 0.5",
    "config.lr >= -1e300",
    "config.lr = 42",
    "config.lr != 0.001",
    "not config.lr <= 0.3",
    "config.lr = adam",
    "config.lr exists",
    "config.lr = null",
    "config.lr contains ad",
    "config.opt.lr > 0.05",
    "config.opt.lr = 0.1",
    "config.optimizer.name = adam",
    "config.optimizer.name != adam",
    "config.name = Adam",
    "config.name in (adam, Adam, sgd)",
    "config.optimizer.name exists",
    "config.opt.lr < 0.15",
    'config."weight decay" = 0.01 and config.学习率 > 0',
    "config.batch_size in (32, 64) or tag:special",
    "summary.acc > 0.5 and metrics.loss.min < 0.5",
    # Equality compiles to containment on PostgreSQL: a list holding the value, a number
    # written as text or in another notation, booleans, a nested null beside a flat key.
    "config.lr = 0.0001",
    "config.lr = 1e-3",
    "config.lr = 4.2e1",
    "config.optimizer = adam",
    'config."optimizer.name" = adam',
    "config.amp = true",
    "config.amp != false",
    "config.flags.amp = true",
    "summary.acc = 0.75 and config.batch_size = 64",
    "tag:baseline and config.batch_size = 32",
    "tags in (ablation, special)",
    "tags != baseline",
]


@pytest.fixture
def both(server_backend: Any, root: Path) -> tuple[HybridStorageBackend, Any]:
    def make(config: dict[str, Any], tags: list[str] | None = None) -> None:
        run = rn.init(
            project="q", name="edge", storage=root, config=config, tags=tags,
            system_metrics=False, capture_console=False, capture_env=False,
        )  # fmt: skip
        run.log({"loss": 0.25})
        run.summary({"acc": 0.75})
        run.finish()

    for lr in LR_VALUES:
        make({"lr": lr, "batch_size": 32})
    make({"batch_size": 64, "weight decay": 0.01, "学习率": 0.1})
    make({"opt": {"lr": 0.1}}, tags=["special"])
    make({"opt.lr": 0.2})
    make({"optimizer": {"name": "adam"}})
    make({"optimizer.name": "adam"})
    make({"optimizer": {"name": None}, "optimizer.name": "adam"})
    make({"optimizer": {"name": "sgd"}, "optimizer.name": "adam"})
    make({"optimizer": ["adam"], "optimizer.name": "sgd", "name": "Adam"})
    make({"amp": True, "flags": {"amp": None}, "flags.amp": True}, tags=["baseline"])
    make({"lr": 0.3, "batch_size": 32}, tags=["baseline", "ablation"])
    make({"amp": [False], "flags": {"amp": False}})
    ingest_root(server_backend, root)
    return HybridStorageBackend(root), server_backend


@pytest.mark.parametrize("expression", EXPRESSIONS)
def test_both_dialects_find_the_same_runs(
    both: tuple[HybridStorageBackend, Any], expression: str
) -> None:
    local, server = both
    local_ids = {r.id for r in local.list_runs(filter=expression, limit=None)[0]}
    server_ids = {r.id for r in server.list_runs(filter=expression, limit=None)[0]}
    assert server_ids == local_ids
    local.close()


def test_both_dialects_sort_numbers_alike(both: tuple[HybridStorageBackend, Any]) -> None:
    local, server = both
    for sort in ("summary.acc", "-config.batch_size", "config.opt.lr"):
        local_ids = [r.id for r in local.list_runs(sort=sort, limit=None)[0]]
        server_ids = [r.id for r in server.list_runs(sort=sort, limit=None)[0]]
        assert server_ids == local_ids, sort
    local.close()


def test_tag_filters_follow_tags_edited_on_the_server(
    both: tuple[HybridStorageBackend, Any],
) -> None:
    local, server = both
    special = server.list_runs(filter="tag:special", limit=None)[0]
    assert len(special) == 1
    server.update_run(special[0].id, tags=["baseline", "学习"])
    assert server.list_runs(filter="tag:special", limit=None)[1] == 0
    found = server.list_runs(filter="tag:学习 and tag:baseline", limit=None)[0]
    assert [r.id for r in found] == [special[0].id]
    local.close()
