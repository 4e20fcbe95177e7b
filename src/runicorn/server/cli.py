"""``runicorn server``: serve a team server, or only migrate its database."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape

from runicorn.errors import RunicornError
from runicorn.server.config import ServerConfig, StoreLocation
from runicorn.server.users_cli import users_app

server_app = typer.Typer(
    help="Team server on PostgreSQL and an S3-compatible object store (docs/team-server.md).",
    invoke_without_command=True,
)
err_console = Console(stderr=True)
server_app.add_typer(users_app, name="users")

DatabaseOption = Annotated[
    str,
    typer.Option(
        "--database",
        envvar="RUNICORN_DATABASE_URL",
        help="postgresql://user@host:port/db (or RUNICORN_DATABASE_URL).",
        show_default=False,
    ),
]
StoreOption = Annotated[
    str | None, typer.Option("--store", help="s3://bucket/prefix for run files and blobs.")
]
EndpointOption = Annotated[
    str | None,
    typer.Option("--s3-endpoint", help="URL of an S3-compatible endpoint (MinIO, Ceph...)."),
]
CacheOption = Annotated[
    Path | None,
    typer.Option("--cache-dir", help="Local cache folder (default: a new temp folder)."),
]


def _fail(exc: Exception) -> typer.Exit:
    err_console.print(f"[red]error:[/red] {escape(str(exc))}", soft_wrap=True)
    return typer.Exit(code=1)


def _config(
    database: str, store: str | None, endpoint: str | None, cache: Path | None
) -> ServerConfig:
    if not store:
        raise _fail(ValueError("--store s3://bucket/prefix is required"))
    try:
        return ServerConfig(
            database_url=database,
            store=StoreLocation.parse(store),
            s3_endpoint=endpoint,
            cache_dir=cache or Path(tempfile.mkdtemp(prefix="runicorn-server-cache-")),
        )
    except RunicornError as exc:
        raise _fail(exc) from exc


@server_app.callback()
def server_command(
    ctx: typer.Context,
    database: DatabaseOption = "",
    store: StoreOption = None,
    s3_endpoint: EndpointOption = None,
    cache_dir: CacheOption = None,
    host: Annotated[str, typer.Option(help="Address to bind.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port; 0 picks a free one.")] = 23400,
    allowed_host: Annotated[
        list[str] | None,
        typer.Option(help="Another name requests may use in Host (the proxy's public name)."),
    ] = None,
    log_level: Annotated[str, typer.Option(help="uvicorn log level.")] = "warning",
) -> None:
    """Serve the web UI and the API over PostgreSQL + S3 (migrates the database first)."""
    if ctx.invoked_subcommand is not None:
        ctx.obj = {"database": database, "store": store, "s3_endpoint": s3_endpoint}
        return
    try:
        from runicorn.server.app import serve_team
    except ImportError as exc:
        raise _fail(
            RuntimeError(f"{exc.name or exc}: the team server needs pip install 'runicorn[server]'")
        ) from exc
    config = _config(database, store, s3_endpoint, cache_dir)
    try:
        serve_team(
            config, host=host, port=port, allowed_hosts=allowed_host or (), log_level=log_level
        )
    except (RunicornError, OSError, ValueError) as exc:
        raise _fail(exc) from exc


@server_app.command("migrate")
def migrate_command(ctx: typer.Context, database: DatabaseOption = "") -> None:
    """Bring the database's schema up to this version, then exit."""
    from runicorn.server.database import Database
    from runicorn.server.migrations import current_version, migrate

    url = database or (ctx.obj or {}).get("database", "")
    try:
        ServerConfig(database_url=url, store=StoreLocation("unused", ""))
        db = Database(url)
        try:
            applied = migrate(db)
            version = current_version(db)
        finally:
            db.close()
    except RunicornError as exc:
        raise _fail(exc) from exc
    for migration in applied:
        typer.echo(f"applied {migration.version:04d}_{migration.name}")
    typer.echo(f"schema version {version} (up to date)")


@server_app.command("gc")
def gc_command(
    ctx: typer.Context,
    database: DatabaseOption = "",
    store: StoreOption = None,
    s3_endpoint: EndpointOption = None,
    grace_hours: Annotated[
        float,
        typer.Option(
            "--grace-hours",
            min=0,
            help="Keep unused blobs stored or named by a version this recently (pushes in "
            "flight stay safe).",
        ),
    ] = 24.0,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Report only; delete nothing.")] = (
        False
    ),
) -> None:
    """Delete from the bucket and the index the blobs no live artifact version names."""
    from runicorn.artifacts.cli import human_size
    from runicorn.cli import progress_bar
    from runicorn.server.artifact_gc import collect_server_garbage
    from runicorn.server.artifacts import ServerArtifactStore
    from runicorn.server.database import Database
    from runicorn.server.migrations import current_version, latest_version

    shared = ctx.obj or {}
    try:
        with tempfile.TemporaryDirectory(prefix="runicorn-gc-") as cache:
            config = _config(
                database or shared.get("database", ""),
                store or shared.get("store"),
                s3_endpoint or shared.get("s3_endpoint"),
                Path(cache),
            )
            db = Database(config.database_url)
            try:
                behind = current_version(db) < latest_version()
            finally:
                db.close()
            if behind:
                raise RunicornError(
                    "the database schema is behind: run runicorn server migrate first"
                )
            artifacts = ServerArtifactStore(config)
            try:
                with progress_bar("Collecting") as progress:
                    report = collect_server_garbage(
                        artifacts, grace=grace_hours * 3600, dry_run=dry_run, progress=progress
                    )
            finally:
                artifacts.close()
    except (RunicornError, ValueError) as exc:
        raise _fail(exc) from exc
    verb = "would reclaim" if dry_run else "reclaimed"
    typer.echo(
        f"{verb} {human_size(report.bytes_reclaimed)} in {len(report.removed)} unused blobs "
        f"(and {report.orphan_objects} objects no row recorded); read {report.versions_read} "
        f"versions; kept {report.kept}, of which {report.recent} unused but younger than "
        f"{grace_hours:g} h"
    )
