"""``runicorn import-from SOURCE PATH``: bring runs from another tracker into the storage root."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape

from runicorn.errors import RunicornError

console = Console()
err_console = Console(stderr=True)


def import_from_command(
    source: Annotated[str, typer.Argument(help="tensorboard, mlflow, wandb or orig.")],
    path: Annotated[
        str,
        typer.Argument(
            help="Event-file folder, MLflow store (folder, .db file or database URI), wandb "
            "folder, or the original Runicorn's storage root."
        ),
    ],
    project: Annotated[
        str | None, typer.Option("--project", help="Put every imported run in this project.")
    ] = None,
    root: Annotated[
        Path | None, typer.Option("--root", help="Storage root to import into.")
    ] = None,
) -> None:
    """Import runs from TensorBoard, MLflow, W&B or the original Runicorn (again = no-op)."""
    from runicorn.cli import progress_bar
    from runicorn.importers import SOURCES, import_from

    if source not in SOURCES:
        err_console.print(f"[red]error:[/red] unknown source {source!r}: use {', '.join(SOURCES)}")
        raise typer.Exit(code=1)
    try:
        with progress_bar(f"Importing from {source}") as progress:
            report = import_from(source, path, root=root, project=project, progress=progress)
    except (RunicornError, OSError, ValueError) as exc:
        err_console.print(f"[red]error:[/red] {escape(str(exc))}", soft_wrap=True)
        raise typer.Exit(code=1) from exc
    points = sum(run.points for run in report.imported)
    console.print(
        f"found {report.found} runs: imported {len(report.imported)} ({points} metric values), "
        f"skipped {len(report.skipped)}, failed {len(report.failed)}"
    )
    for run in report.imported:
        console.print(
            f"  [green]imported[/green] {run.id}  {escape(run.project)}/{escape(run.name)}"
        )
    for label, reason in report.skipped:
        err_console.print(f"  [yellow]skipped[/yellow] {escape(label)}: {escape(reason)}")
    for label, reason in report.failed:
        err_console.print(f"  [red]failed[/red] {escape(label)}: {escape(reason)}")
    for what, count in sorted(report.not_imported.items()):
        err_console.print(f"  [yellow]not imported[/yellow] {escape(what)} ({count})")
    if report.failed:
        raise typer.Exit(code=1)
