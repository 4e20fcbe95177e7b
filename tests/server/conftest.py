"""Fixtures for the team server: one real PostgreSQL and one moto S3 server per session, a
fresh database and bucket per test (see tests/fixtures/postgres.py and s3.py)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from postgres import (
    PG_MISSING_REASON,
    PostgresServer,
    postgres_available,
    postgres_session,
)
from s3 import CREDENTIALS, MOTO_MISSING_REASON, S3Server, moto_available, moto_session
from team_server import TeamServer, running_team


@pytest.fixture(scope="session")
def postgres() -> Iterator[PostgresServer]:
    if not postgres_available():
        pytest.skip(PG_MISSING_REASON)
    yield from postgres_session()


@pytest.fixture(scope="session")
def s3_server() -> Iterator[S3Server]:
    if not moto_available():
        pytest.skip(MOTO_MISSING_REASON)
    yield from moto_session()


@pytest.fixture
def aws_env(monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    """Credentials the standard AWS way: environment variables."""
    for key, value in CREDENTIALS.items():
        monkeypatch.setenv(key, value)
    monkeypatch.delenv("AWS_PROFILE", raising=False)
    return dict(os.environ)


@pytest.fixture
def database_url(postgres: PostgresServer) -> str:
    return postgres.create_database()


@pytest.fixture
def server_config(
    database_url: str, s3_server: S3Server, aws_env: dict[str, str], tmp_path: Path
) -> object:
    from runicorn.server.app import prepare
    from runicorn.server.config import ServerConfig, StoreLocation

    config = ServerConfig(
        database_url=database_url,
        store=StoreLocation(s3_server.new_bucket(), "team/runs"),
        s3_endpoint=s3_server.endpoint,
        cache_dir=tmp_path / "server-cache",
    )
    prepare(config)
    return config


@pytest.fixture
def server_backend(server_config: object) -> Iterator[object]:
    from runicorn.server.backend import ServerStorageBackend
    from runicorn.server.config import ServerConfig

    assert isinstance(server_config, ServerConfig)
    backend = ServerStorageBackend(server_config)
    yield backend
    backend.close()


@pytest.fixture
def team(
    database_url: str, s3_server: S3Server, aws_env: dict[str, str], tmp_path: Path
) -> Iterator[TeamServer]:
    """A real ``runicorn server`` process over this test's database and bucket."""
    yield from running_team(
        database_url, s3_server.endpoint, s3_server.new_bucket(), aws_env, tmp_path / "cache"
    )
