"""Schema migrations on a real PostgreSQL: from empty, idempotent, once under concurrency."""

from __future__ import annotations

import subprocess
import sys
import threading

import psycopg

from runicorn.server.database import Database
from runicorn.server.migrations import available, current_version, latest_version, migrate


def tables(url: str) -> set[str]:
    with psycopg.connect(url) as conn:
        rows = conn.execute(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = 'public'"
        ).fetchall()
    return {row[0] for row in rows}


def test_migrations_are_numbered_files_with_an_upgrade_each() -> None:
    versions = [m.version for m in available()]
    assert versions[0] == 1 and versions == sorted(set(versions))
    assert latest_version() == versions[-1]


def test_an_empty_database_is_migrated_to_the_latest_version(database_url: str) -> None:
    database = Database(database_url)
    try:
        assert current_version(database) == 0
        applied = migrate(database)
        assert [m.version for m in applied] == [m.version for m in available()]
        assert current_version(database) == latest_version()
    finally:
        database.close()
    assert {"runs", "run_tags", "metrics", "alerts", "run_segments", "schema_version"} <= tables(
        database_url
    )


def test_migrating_again_changes_nothing(database_url: str) -> None:
    database = Database(database_url)
    try:
        migrate(database)
        with psycopg.connect(database_url) as conn:
            conn.execute(
                "INSERT INTO runs (id, project, name, path, status) "
                "VALUES ('20260101_000000_aaaaaa', 'p', 'n', 'p/n/runs/x', 'finished')"
            )
        assert migrate(database) == []
        assert current_version(database) == latest_version()
    finally:
        database.close()
    with psycopg.connect(database_url) as conn:
        assert conn.execute("SELECT COUNT(*) FROM runs").fetchone() == (1,)


def test_servers_starting_together_migrate_once(database_url: str) -> None:
    results: list[int] = []

    def start() -> None:
        database = Database(database_url)
        try:
            results.append(len(migrate(database)))
        finally:
            database.close()

    threads = [threading.Thread(target=start) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert sorted(results) == [0, 0, 0, len(available())]


def test_server_migrate_command_reads_the_url_from_the_environment(database_url: str) -> None:
    env = {"RUNICORN_DATABASE_URL": database_url, "PATH": "/usr/bin:/bin"}
    first = subprocess.run(
        [sys.executable, "-m", "runicorn", "server", "migrate"],
        capture_output=True, text=True, env=env, timeout=120,
    )  # fmt: skip
    assert first.returncode == 0, first.stderr
    assert "applied 0001_initial" in first.stdout
    second = subprocess.run(
        [sys.executable, "-m", "runicorn", "server", "migrate", "--database", database_url],
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert second.returncode == 0, second.stderr
    assert "applied" not in second.stdout
    assert f"schema version {latest_version()} (up to date)" in second.stdout


def test_a_database_url_of_another_kind_is_one_clear_error() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "runicorn", "server", "migrate", "--database", "sqlite:///x.db"],
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert result.returncode == 1
    assert "postgresql://" in result.stderr and "Traceback" not in result.stderr
