"""``runicorn server users add|list|revoke``: who may use the team server."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, TypeVar

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from runicorn.errors import RunicornError

users_app = typer.Typer(help="Users and their tokens (roles reader, writer, admin).")
err_console = Console(stderr=True)
T = TypeVar("T")

DatabaseOption = Annotated[
    str,
    typer.Option(
        "--database",
        envvar="RUNICORN_DATABASE_URL",
        help="postgresql://user@host:port/db (or RUNICORN_DATABASE_URL).",
        show_default=False,
    ),
]


def _with_users(ctx: typer.Context, database: str, work: Callable[..., T]) -> T:
    from runicorn.server.config import ServerConfig, StoreLocation
    from runicorn.server.database import Database
    from runicorn.server.migrations import migrate
    from runicorn.server.users import UserStore

    url = database or (ctx.obj or {}).get("database", "")
    try:
        ServerConfig(database_url=url, store=StoreLocation("unused", ""))
        db = Database(url)
        try:
            migrate(db)
            return work(UserStore(db))
        finally:
            db.close()
    except RunicornError as exc:
        err_console.print(f"[red]error:[/red] {escape(str(exc))}", soft_wrap=True)
        raise typer.Exit(code=1) from exc


@users_app.command("add")
def add_command(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help="User name (letters, digits, _ . @ -).")],
    role: Annotated[str, typer.Option(help="reader, writer or admin.")] = "reader",
    project: Annotated[
        list[str] | None,
        typer.Option("--project", help="Limit to this project (repeat for several)."),
    ] = None,
    database: DatabaseOption = "",
) -> None:
    """Add a user and print its token, once: it is stored hashed and cannot be shown again."""
    token = _with_users(ctx, database, lambda users: users.add(name, role, project or []))
    scope = ", ".join(project) if project else "all projects"
    err_console.print(f"Added {escape(name)} ({role}, {escape(scope)}). Its token (shown once):")
    typer.echo(token)


@users_app.command("list")
def list_command(ctx: typer.Context, database: DatabaseOption = "") -> None:
    """Users, roles, projects and whether they were revoked (tokens are never shown)."""
    found = _with_users(ctx, database, lambda users: users.list())
    table = Table("name", "role", "projects", "state")
    for user in found:
        state = "revoked" if user.revoked_at is not None else "active"
        table.add_row(user.name, user.role, ", ".join(sorted(user.projects)) or "all", state)
    Console().print(table)


@users_app.command("revoke")
def revoke_command(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help="The user whose token stops working.")],
    database: DatabaseOption = "",
) -> None:
    """Refuse the user's token from now on, on every server process."""
    _with_users(ctx, database, lambda users: users.revoke(name))
    typer.echo(f"revoked {name}")
