"""The ``runicorn`` command. Each command parses its options and calls one core function."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn
from rich.table import Table

from runicorn import config as runicorn_config
from runicorn.errors import RunicornError

app = typer.Typer(
    name="runicorn",
    help="Runicorn: a local-first experiment tracker.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
console = Console()
err_console = Console(stderr=True)

RootOption = Annotated[
    Path | None,
    typer.Option(
        "--root", help="Storage root (default: RUNICORN_DIR, the config file, ~/RunicornData)."
    ),
]


@contextmanager
def progress_bar(description: str) -> Iterator[Callable[[int, int], None]]:
    """A rich progress bar, handed out as a ``progress(done, total)`` callback."""
    with Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeRemainingColumn(),
        console=err_console,
        transient=False,
    ) as progress:
        task = progress.add_task(description, total=None)

        def update(done: int, total: int) -> None:
            progress.update(task, completed=done, total=total)

        yield update


def _fail(exc: Exception) -> typer.Exit:
    err_console.print(f"[red]error:[/red] {exc}")
    return typer.Exit(code=1)


@app.command("config")
def config_command(
    set_root: Annotated[
        Path | None, typer.Option("--set-root", help="Remember this folder as the storage root.")
    ] = None,
) -> None:
    """Show the configuration, or set the storage root."""
    try:
        if set_root is not None:
            root = runicorn_config.set_user_root_dir(set_root)
            console.print(f"storage root set to [bold]{root}[/bold]")
            return
        table = Table(show_header=False, box=None)
        table.add_column(style="bold")
        table.add_column(overflow="fold")  # a path must stay whole, to be copied
        table.add_row("storage root", str(runicorn_config.get_user_root_dir()))
        table.add_row("chosen by", runicorn_config.root_dir_source())
        table.add_row("config file", str(runicorn_config.config_file_path()))
        console.print(table)
    except RunicornError as exc:
        raise _fail(exc) from exc


@app.command()
def reindex(root: RootOption = None) -> None:
    """Rebuild the index from the run folders (the files are the truth)."""
    from runicorn.storage.backends import HybridStorageBackend

    try:
        target = runicorn_config.get_user_root_dir(root)
        with HybridStorageBackend(target) as backend, progress_bar("Reindexing") as progress:
            count = backend.reindex(progress)
    except RunicornError as exc:
        raise _fail(exc) from exc
    console.print(f"indexed {count} runs under {backend.root}")


@app.command()
def migrate(
    root: RootOption = None,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Report only; change nothing.")
    ] = False,
) -> None:
    """Index run folders the index lacks, including the original Runicorn SDK's layouts."""
    from runicorn.storage.migration import migrate as run_migration

    target = runicorn_config.get_user_root_dir(root)
    try:
        with progress_bar("Scanning runs") as progress:
            report = run_migration(target, dry_run=dry_run, progress=progress)
    except RunicornError as exc:
        raise _fail(exc) from exc
    verb = "would index" if dry_run else "indexed"
    console.print(
        f"{report.found} run folders under {target}: {verb} {len(report.indexed)}, "
        f"{len(report.already_indexed)} already indexed, {len(report.failed)} unreadable"
    )
    for path, reason in report.failed:
        err_console.print(f"  [yellow]skipped[/yellow] {path}: {reason}")


@app.command()
def demo(
    root: RootOption = None,
    runs: Annotated[int, typer.Option(help="How many runs to record.")] = 3,
    steps: Annotated[int, typer.Option(help="Training steps per run.")] = 2000,
) -> None:
    """Record a few synthetic training runs, to try Runicorn out."""
    from runicorn.demo import record_demo_runs

    target = runicorn_config.get_user_root_dir(root)
    with progress_bar("Recording demo runs") as progress:
        ids = record_demo_runs(target, runs=runs, steps=steps, progress=progress)
    console.print(f"recorded {len(ids)} runs under {target}: {', '.join(ids)}")


def main() -> None:
    """Entry point of the ``runicorn`` console script."""
    app()


if __name__ == "__main__":
    main()
