"""``runicorn manifest`` and ``runicorn sync``: parse options, call the core, show progress.

``runicorn/cli.py`` registers these two functions as commands. Like ``runicorn remote``, an
SSH side asks before trusting a new host key (showing its fingerprint), refuses a changed one
and asks for a password when the keys are refused.
"""

from __future__ import annotations

import asyncio
import getpass
import sys
import threading
import time
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console
from rich.progress import (
    BarColumn,
    DownloadColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TransferSpeedColumn,
)

from runicorn import config as runicorn_config
from runicorn.errors import RunicornError

if TYPE_CHECKING:
    from runicorn.manifest.models import SyncReport
    from runicorn.manifest.transfer import SyncProgress
    from runicorn.remote.connection import SSHConfig, SSHConnection, SSHConnectionPool

console = Console()
err_console = Console(stderr=True)


def manifest_command(
    root: Annotated[
        Path | None, typer.Option("--root", help="Storage root (default: the configured one).")
    ] = None,
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="Write the manifest to this file.")
    ] = None,
    project: Annotated[str | None, typer.Option(help="Only this project's runs.")] = None,
) -> None:
    """Print what a storage root holds (runs, files, hashes) as JSON."""
    from runicorn.manifest.script import encode, generate_data

    target = runicorn_config.get_user_root_dir(root)
    data = generate_data(str(target), project=project, since=None, use_cache=True)
    line = encode(data)
    if output is None:
        sys.stdout.write(line + "\n")
        return
    output.write_text(line + "\n", encoding="utf-8")
    err_console.print(f"manifest of {len(data['runs'])} runs under {target} written to {output}")


def _ask(prompt: str) -> str:
    err_console.print(prompt, end="")
    line = sys.stdin.readline()
    if not line:
        raise EOFError("no answer on stdin")
    return line.rstrip("\n")


async def _connect_interactive(config: SSHConfig, pool: SSHConnectionPool) -> SSHConnection:
    from runicorn.remote.cli import connect_interactive

    conn, _ = await connect_interactive(
        config,
        pool,
        echo=lambda message: err_console.print(message, markup=False, highlight=False),
        ask=_ask,
        ask_secret=getpass.getpass,
    )
    return conn


def sync_command(
    source: Annotated[str, typer.Argument(help="A storage root, or user@host:/path.")],
    destination: Annotated[str, typer.Argument(help="A storage root, or user@host:/path.")],
    watch: Annotated[
        float | None, typer.Option(help="Sync again every SECONDS until Ctrl-C.", metavar="SECONDS")
    ] = None,
    project: Annotated[str | None, typer.Option("--project", help="Only this project.")] = None,
    since: Annotated[
        str | None, typer.Option(help="Only runs created since DATE (2026-11-30).")
    ] = None,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Report only; write nothing.")] = False,
    port: Annotated[int | None, typer.Option("--port", "-p", help="SSH port.")] = None,
    identity: Annotated[str | None, typer.Option("--identity", "-i", help="SSH key file.")] = None,
    jump: Annotated[str | None, typer.Option("--jump", "-J", help="Jump host.")] = None,
    python: Annotated[str, typer.Option(help="Python on the SSH host.")] = "python3",
    token: Annotated[
        str | None,
        typer.Option(help="User token for an https:// team server (or RUNICORN_TOKEN)."),
    ] = None,
) -> None:
    """Bring runs from SOURCE into DESTINATION, moving only what is missing or new.

    DESTINATION may be a team server's URL (https://…): the runs are pushed to it.
    """
    from runicorn.manifest.http_push import is_http_url

    if is_http_url(destination):
        _push_to_server(source, destination, token, project, since, watch)
        return
    from runicorn.manifest.models import SyncReport
    from runicorn.manifest.session import SSHOptions, sync_async

    total = SyncReport()
    stop = threading.Event()
    options = SSHOptions(port=port, identity=identity, jump=jump, python=python)
    with _SyncProgress() as progress:

        def on_pass(report: SyncReport) -> None:
            if watch:
                progress.pass_done(report)

        coroutine = sync_async(
            source,
            destination,
            watch=watch,
            project=project,
            since=since,
            dry_run=dry_run,
            ssh=options,
            progress=progress.update,
            on_pass=on_pass,
            stop=stop,
            connect=_connect_interactive,
            total=total,
        )
        try:
            asyncio.run(coroutine)
        except KeyboardInterrupt:
            stop.set()
        except (RunicornError, OSError, ValueError) as exc:
            err_console.print(f"[red]error:[/red] {exc}")
            raise typer.Exit(code=1) from None
    _print_report(total)
    if not total.ok:
        raise typer.Exit(code=1)


def _push_to_server(
    source: str,
    url: str,
    token: str | None,
    project: str | None,
    since: str | None,
    watch: float | None,
) -> None:
    """``runicorn sync ROOT https://server``: push, once or every ``watch`` seconds."""
    from runicorn.manifest.http_push import push_root
    from runicorn.manifest.models import SyncReport
    from runicorn.manifest.session import parse_since

    total = SyncReport(source=source, destination=url)
    try:
        with _SyncProgress() as progress:
            while True:
                report = push_root(
                    source, url, token=runicorn_config.push_token(token), project=project,
                    since=parse_since(since), progress=progress.update,
                )  # fmt: skip
                total.merge(report)
                if not watch:
                    break
                progress.pass_done(report)
                time.sleep(watch)
    except KeyboardInterrupt:
        pass
    except (RunicornError, OSError, ValueError) as exc:
        err_console.print(f"[red]error:[/red] {exc}")
        raise typer.Exit(code=1) from None
    _print_report(total)
    if not total.ok:
        raise typer.Exit(code=1)


def _print_report(report: SyncReport) -> None:
    verb = "would move" if report.dry_run else "moved"
    console.print(
        f"{report.source} → {report.destination}: {report.runs_seen} runs, "
        f"{len(report.runs_new)} new, {len(report.runs_updated)} updated, "
        f"{verb} {report.bytes_moved:,} bytes in {report.passes} pass(es), "
        f"{report.seconds:.1f} s",
        markup=False,
        highlight=False,
    )
    for conflict in report.conflicts:
        err_console.print(f"[yellow]{conflict}[/yellow] (skipped)", highlight=False)
    for refused in report.refused:
        err_console.print(f"[red]refused[/red] {refused}", highlight=False)
    for error in report.errors:
        err_console.print(f"[red]error[/red] {error}", highlight=False)
    for note in report.notes:
        err_console.print(f"note: {note}", highlight=False)


class _SyncProgress:
    """Two bars, bytes and runs, for the pass under way."""

    def __init__(self) -> None:
        self._progress = Progress(
            TextColumn("[bold]{task.description}"),
            BarColumn(),
            DownloadColumn(),
            TransferSpeedColumn(),
            console=err_console,
            transient=True,
        )
        self._runs = Progress(
            TextColumn("[bold]{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            console=err_console,
            transient=True,
        )
        self._bytes_task = self._progress.add_task("bytes", total=None)
        self._runs_task = self._runs.add_task("runs ", total=None)

    def __enter__(self) -> _SyncProgress:
        from rich.console import Group
        from rich.live import Live

        self._live = Live(Group(self._progress, self._runs), console=err_console, transient=True)
        self._live.__enter__()
        return self

    def __exit__(self, *exc: object) -> None:
        self._live.__exit__(None, None, None)

    def update(self, state: SyncProgress) -> None:
        self._progress.update(
            self._bytes_task, completed=state.bytes_done, total=max(state.bytes_total, 1)
        )
        self._runs.update(self._runs_task, completed=state.runs_done, total=state.runs_total)

    def pass_done(self, report: SyncReport) -> None:
        if report.bytes_moved or not report.ok:
            self._live.console.print(
                f"pass: {len(report.runs_new)} new, {len(report.runs_updated)} updated, "
                f"{report.bytes_moved:,} bytes, {len(report.conflicts)} conflicts",
                markup=False,
                highlight=False,
            )
