"""Runs stored on a team server before the alias column existed get their alias at the next
start, read from meta.json in the object store (server/run_aliases.py, migration run_alias)."""

from __future__ import annotations

from pathlib import Path

import psycopg

import runicorn as rn
from runicorn.server.app import prepare
from runicorn.server.backend import ServerStorageBackend
from runicorn.server.config import ServerConfig
from runicorn.server.ingest import ingest_root


def record(root: Path, alias: str | None) -> str:
    run = rn.init(path="cv/yolo/ablation", alias=alias, storage=root, capture_console=False,
                  capture_env=False, system_metrics=False)  # fmt: skip
    run.log({"train/loss": 0.5, "val/acc": float("nan")})
    run.finish()
    return run.id


def test_rows_from_before_the_alias_column_get_it_at_server_start(
    root: Path, server_config: ServerConfig
) -> None:
    aliased, plain = record(root, "最佳-v2"), record(root, None)
    backend = ServerStorageBackend(server_config)
    try:
        assert len(ingest_root(backend, root).runs) == 2
        with psycopg.connect(server_config.database_url, autocommit=True) as conn:
            conn.execute("UPDATE runs SET alias = NULL")  # as migration run_alias leaves them
        assert backend.get_run(aliased).alias is None
        prepare(server_config)
        assert backend.get_run(aliased).alias == "最佳-v2"
        assert backend.get_run(plain).alias is None
        records, _ = backend.list_runs(project="cv")
        assert {r.id: r.alias for r in records} == {aliased: "最佳-v2", plain: None}
        with psycopg.connect(server_config.database_url) as conn:
            assert conn.execute("SELECT COUNT(*) FROM runs WHERE alias IS NULL").fetchone() == (0,)
    finally:
        backend.close()
