"""The ``runicorn`` command. Each command parses its options and calls one core function."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, cast

import typer
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn
from rich.table import Table

from runicorn import config as runicorn_config
from runicorn.alerts_cli import alerts_command
from runicorn.artifacts.cli import artifacts_app, gc_command, models_app
from runicorn.errors import RunicornError, StorageError
from runicorn.importers.cli import import_from_command
from runicorn.manifest.cli import manifest_command, sync_command
from runicorn.server.cli import server_app

if TYPE_CHECKING:
    from runicorn.exporters import MetricFormat

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


def _runs(count: int) -> str:
    return f"{count} run" if count == 1 else f"{count} runs"


def _fail(exc: Exception) -> typer.Exit:
    # Messages are text, not markup: "pip install 'runicorn[parquet]'" must print whole.
    err_console.print(f"[red]error:[/red] {escape(str(exc))}", soft_wrap=True)
    return typer.Exit(code=1)


def _existing_root(root: Path | None) -> Path:
    """The storage root to read; one named with ``--root`` must exist, so a typo creates nothing."""
    target = runicorn_config.get_user_root_dir(root)
    if root is not None and not target.is_dir():
        raise _fail(
            StorageError(
                f"the storage root {target} does not exist or is not a folder: check --root"
            )
        )
    return target


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
            console.print(f"storage root set to [bold]{escape(str(root))}[/bold]")
            return
        table = Table(show_header=False, box=None)
        table.add_column(style="bold")
        table.add_column(overflow="fold")  # a path must stay whole, to be copied
        table.add_row("storage root", escape(str(runicorn_config.get_user_root_dir())))
        table.add_row("chosen by", escape(runicorn_config.root_dir_source()))
        table.add_row("config file", escape(str(runicorn_config.config_file_path())))
        console.print(table)
    except RunicornError as exc:
        raise _fail(exc) from exc


@app.command()
def reindex(root: RootOption = None) -> None:
    """Rebuild the index from the run folders (the files are the truth)."""
    from runicorn.artifacts.storage import ArtifactStore
    from runicorn.storage.backends import HybridStorageBackend

    target = _existing_root(root)
    try:
        with HybridStorageBackend(target) as backend, progress_bar("Reindexing") as progress:
            count = backend.reindex(progress)
        with ArtifactStore(target) as artifact_store:
            versions = artifact_store.reindex()
    except RunicornError as exc:
        raise _fail(exc) from exc
    console.print(f"indexed {_runs(count)} under {escape(str(backend.root))}")
    console.print(f"indexed {versions} artifact versions")


@app.command()
def migrate(
    root: RootOption = None,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Report only; change nothing.")
    ] = False,
) -> None:
    """Index run folders the index lacks, including the original Runicorn SDK's layouts."""
    from runicorn.storage.migration import migrate as run_migration

    target = _existing_root(root)
    try:
        with progress_bar("Scanning runs") as progress:
            report = run_migration(target, dry_run=dry_run, progress=progress)
    except RunicornError as exc:
        raise _fail(exc) from exc
    verb = "would index" if dry_run else "indexed"
    console.print(
        f"{report.found} run folders under {escape(str(target))}: {verb} {len(report.indexed)}, "
        f"{len(report.already_indexed)} already indexed, {len(report.failed)} unreadable"
    )
    for path, reason in report.failed:
        err_console.print(f"  [yellow]skipped[/yellow] {escape(f'{path}: {reason}')}")


@app.command()
def demo(
    root: RootOption = None,
    runs: Annotated[int, typer.Option(help="How many runs to record.")] = 3,
    steps: Annotated[int, typer.Option(help="Training steps per run.")] = 2000,
    live: Annotated[
        float,
        typer.Option(help="Also keep one run logging in the background for this many seconds."),
    ] = 0.0,
    wait: Annotated[
        bool,
        typer.Option(
            "--wait",
            help="Record the --live run in this process, until it ends or Ctrl-C (for scripts "
            "that stop it themselves).",
        ),
    ] = False,
) -> None:
    """Record a few synthetic training runs, to try Runicorn out."""
    from runicorn.demo import record_demo_runs, record_live_run, start_live_run

    target = runicorn_config.get_user_root_dir(root)
    if runs > 0:
        with progress_bar("Recording demo runs") as progress:
            ids = record_demo_runs(target, runs=runs, steps=steps, progress=progress)
        console.print(f"recorded {_runs(len(ids))} under {escape(str(target))}: {', '.join(ids)}")
    if live <= 0:
        return
    if wait:
        console.print(f"a live run logs for {live:g} s (Ctrl-C stops it)")
        try:
            record_live_run(target, live)
        except KeyboardInterrupt:
            raise typer.Exit(code=130) from None
        return
    process = start_live_run(target, live)
    console.print(
        f"a live run keeps logging in the background for {live:g} s "
        f"(process {process.pid}; `kill {process.pid}` stops it)"
    )


@app.command()
def viewer(
    root: RootOption = None,
    host: Annotated[str, typer.Option(help="Address to bind; loopback unless you mean it.")] = (
        "127.0.0.1"
    ),
    port: Annotated[int, typer.Option(help="Port; 0 picks a free one.")] = 23300,
    token: Annotated[
        str | None, typer.Option(help="Require this token (one is generated off loopback).")
    ] = None,
    open_browser: Annotated[
        bool, typer.Option("--open", help="Open a browser when ready.")
    ] = False,
    idle_timeout: Annotated[
        float | None, typer.Option(help="Exit after this many seconds without a request.")
    ] = None,
    exit_on_stdin_eof: Annotated[
        bool, typer.Option(help="Exit when stdin closes (used by the remote launcher).")
    ] = False,
    log_level: Annotated[str, typer.Option(help="uvicorn log level.")] = "warning",
) -> None:
    """Serve the web UI and the API for a storage root."""
    from runicorn.viewer.server import ViewerStartupError, serve, viewer_root

    try:
        serve(
            viewer_root(root),
            host=host,
            port=port,
            token=token,
            open_browser=open_browser,
            idle_timeout=idle_timeout,
            exit_on_stdin_eof=exit_on_stdin_eof,
            log_level=log_level,
        )
    except ViewerStartupError as exc:
        raise _fail(exc) from exc


@app.command("export")
def export_command(
    run_ids: Annotated[list[str], typer.Argument(help="Run ids to export.")],
    output: Annotated[Path, typer.Option("--output", "-o", help="File to write.")],
    fmt: Annotated[
        str,
        typer.Option("--format", help="archive (.tar.gz), csv, json, parquet or tensorboard."),
    ] = "archive",
    keys: Annotated[
        list[str] | None, typer.Option("--key", help="Metric keys for tables (default: all).")
    ] = None,
    root: RootOption = None,
) -> None:
    """Export runs as an archive (to import elsewhere) or their metrics as a table."""
    from runicorn.exporters import export_archive, export_metrics
    from runicorn.storage.backends import HybridStorageBackend

    if fmt not in ("archive", "csv", "json", "parquet", "tensorboard"):
        raise _fail(
            ValueError(f"unknown format {fmt!r}: use archive, csv, json, parquet or tensorboard")
        )
    target = _existing_root(root)
    try:
        with HybridStorageBackend(target) as backend, progress_bar("Exporting") as progress:
            if fmt == "archive":
                result = export_archive(backend, run_ids, output, progress=progress)
            elif fmt == "tensorboard":
                from runicorn.tensorboard_export import export_tensorboard

                result = export_tensorboard(backend, run_ids, output, progress=progress)
            else:
                table_format = cast("MetricFormat", fmt)
                result = export_metrics(
                    backend, run_ids, output, fmt=table_format, keys=keys, progress=progress
                )
    except (RunicornError, OSError) as exc:
        raise _fail(exc) from exc
    console.print(f"exported {_runs(len(result.runs))} to {escape(str(output))}")


@app.command("import")
def import_command(
    archive: Annotated[Path, typer.Argument(help="A .tar.gz made by `runicorn export`.")],
    root: RootOption = None,
) -> None:
    """Import runs from an archive; runs whose id already exists are skipped, never replaced."""
    from runicorn.exporters import import_archive
    from runicorn.storage.backends import HybridStorageBackend

    try:
        target = runicorn_config.get_user_root_dir(root)
        with HybridStorageBackend(target) as backend, progress_bar("Importing") as progress:
            result = import_archive(backend, archive, progress=progress)
    except (RunicornError, OSError) as exc:
        raise _fail(exc) from exc
    console.print(f"imported {_runs(len(result.imported))} into {escape(str(target))}")
    for skipped in result.skipped:
        reason = f"{skipped['id']}: {skipped['reason']}"
        err_console.print(f"  [yellow]skipped[/yellow] {escape(reason)}")


@app.command(context_settings={"help_option_names": ["--help", "-h"]})
def remote(
    words: Annotated[
        list[str],
        typer.Argument(
            help="`user@host` (or an ~/.ssh/config alias) to open a viewer; `ls user@host` to "
            "list the remote runs.",
            metavar="[ls] TARGET",
        ),
    ],
    port: Annotated[int | None, typer.Option("--port", "-p", help="SSH port.")] = None,
    root: Annotated[str | None, typer.Option(help="Storage root on the remote host.")] = None,
    python: Annotated[str | None, typer.Option(help="Remote Python interpreter to use.")] = None,
    local_port: Annotated[int, typer.Option(help="Local port of the tunnel (0: any).")] = 0,
    identity: Annotated[str | None, typer.Option("--identity", "-i", help="SSH key file.")] = None,
    jump: Annotated[str | None, typer.Option("--jump", "-J", help="Jump host.")] = None,
    open_browser: Annotated[bool, typer.Option("--open/--no-open", help="Open a browser.")] = False,
) -> None:
    """See runs on a server over SSH: start a viewer there and tunnel it here, until Ctrl-C."""
    from runicorn.remote.cli import format_runs_table, list_remote_runs, run_remote_cli

    if len(words) == 2 and words[0] == "ls":
        try:
            listing = list_remote_runs(
                words[1],
                root,
                port=port,
                python=python or "python3",
                key_file=identity,
                jump_host=jump,
            )
        except RunicornError as exc:
            raise _fail(exc) from exc
        console.print(format_runs_table(listing), markup=False, highlight=False)
        return
    if len(words) != 1:
        raise _fail(ValueError("usage: runicorn remote user@host | runicorn remote ls user@host"))
    code = run_remote_cli(
        words[0],
        port=port,
        root=root,
        python=python,
        local_port=local_port,
        open_browser=open_browser,
        key_file=identity,
        jump_host=jump,
    )
    raise typer.Exit(code=code)


app.command("alerts")(alerts_command)
app.command("manifest")(manifest_command)
app.command("sync")(sync_command)
app.add_typer(artifacts_app, name="artifacts")
app.add_typer(models_app, name="models")
app.command("gc")(gc_command)
app.command("import-from")(import_from_command)
app.add_typer(server_app, name="server")


def main() -> None:
    """Entry point of the ``runicorn`` console script."""
    app()


if __name__ == "__main__":
    main()
