"""``runicorn alerts``: the alerts of every run, newest last, optionally followed as they come."""

from __future__ import annotations

import datetime as dt
import re
import time
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape

from runicorn import config as runicorn_config
from runicorn.errors import RunicornError
from runicorn.storage.alerts import ALERT_LEVELS, AlertRecord
from runicorn.storage.run_files import to_timestamp

FOLLOW_INTERVAL = 2.0
_DURATION = re.compile(r"^(\d+(?:\.\d+)?)\s*([smhdw])$")
_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}
_STYLES = {"error": "red", "warn": "yellow", "info": "cyan"}

console = Console()
err_console = Console(stderr=True)


def parse_since(text: str, now: float) -> float:
    """``30m``, ``2h``, ``1d`` ago, an ISO date, or a Unix time; ValueError otherwise."""
    value = text.strip().lower()
    match = _DURATION.match(value)
    if match:
        return now - float(match.group(1)) * _SECONDS[match.group(2)]
    try:
        return float(value)
    except ValueError:
        pass
    stamp = to_timestamp(text.strip())
    if stamp is None:
        raise ValueError(
            f"--since takes a duration (30m, 2h, 1d), an ISO date or a Unix time, got {text!r}"
        )
    return stamp


def alert_row(alert: AlertRecord) -> str:
    """One line of output: when, level, which run, at which step, what."""
    when = dt.datetime.fromtimestamp(alert.ts).strftime("%Y-%m-%d %H:%M:%S")
    style = _STYLES.get(alert.level, "white")
    step = f" step {alert.step}" if alert.step is not None else ""
    text = f" — {escape(alert.text)}" if alert.text else ""
    return (
        f"{when} [{style}]{alert.level:<5}[/{style}] {escape(alert.project or '')}/"
        f"{escape(alert.name or '')} {alert.run_id}{step}: [bold]{escape(alert.title)}[/bold]{text}"
    )


def alerts_command(
    root: Annotated[
        Path | None,
        typer.Option("--root", help="Storage root (default: RUNICORN_DIR, the config file)."),
    ] = None,
    since: Annotated[
        str | None, typer.Option("--since", help="Only newer alerts: 30m, 2h, 1d or a date.")
    ] = None,
    follow: Annotated[
        bool, typer.Option("--follow", "-f", help="Keep printing new alerts until Ctrl-C.")
    ] = False,
    level: Annotated[
        list[str] | None, typer.Option("--level", help="info, warn or error (repeatable).")
    ] = None,
    project: Annotated[str | None, typer.Option("--project", help="Only this project.")] = None,
    limit: Annotated[int, typer.Option("--limit", min=1, help="At most this many.")] = 50,
) -> None:
    """List the alerts of every run (monitors, run.alert, stalled and crashed runs)."""
    from runicorn.storage.backends import HybridStorageBackend

    levels = [value.lower() for value in level or ()]
    try:
        bad = [value for value in levels if value not in ALERT_LEVELS]
        if bad:
            raise ValueError(f"--level takes {', '.join(ALERT_LEVELS)}, got {bad[0]!r}")
        start = parse_since(since, time.time()) if since else None
        backend = HybridStorageBackend(runicorn_config.get_user_root_dir(root))
    except (ValueError, RunicornError) as exc:
        err_console.print(f"[red]error:[/red] {escape(str(exc))}", soft_wrap=True)
        raise typer.Exit(code=1) from exc
    with backend:
        found, total = backend.index.alerts(
            since=start, levels=levels, project=project, limit=limit
        )
        if not found and not follow:
            console.print("no alerts" + (" since then" if since else ""))
        if total > len(found):
            console.print(f"[dim]… {total - len(found)} older alerts not shown[/dim]")
        for alert in reversed(found):
            console.print(alert_row(alert), soft_wrap=True)
        if not follow:
            return
        last_id = max((alert.id or 0 for alert in found), default=0)
        if not found:
            newest, _ = backend.index.alerts(limit=1)
            last_id = (newest[0].id or 0) if newest else 0
        try:
            while True:
                time.sleep(FOLLOW_INTERVAL)
                fresh, _ = backend.index.alerts(
                    levels=levels, project=project, after_id=last_id, limit=None
                )
                for alert in reversed(fresh):
                    console.print(alert_row(alert), soft_wrap=True)
                    last_id = max(last_id, alert.id or 0)
        except KeyboardInterrupt:
            return
