"""``runicorn artifacts ls|show|get|alias|rm``, ``runicorn models ls|promote``, ``runicorn gc``.

Each command parses its input, calls one function of the store or the catalog, and prints.
An artifact is named ``project/name[:version|alias]`` (``vision/resnet:champion``).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from runicorn import config as runicorn_config
from runicorn.artifacts import catalog
from runicorn.artifacts.models import ArtifactRef
from runicorn.artifacts.storage import ArtifactStore
from runicorn.errors import InvalidNameError, RunicornError

console = Console()
err_console = Console(stderr=True)

artifacts_app = typer.Typer(
    help="Versioned files: list, show, download, alias and delete versions.",
    no_args_is_help=True,
)
models_app = typer.Typer(help="Registered models and their stages.", no_args_is_help=True)

RootOption = Annotated[Path | None, typer.Option("--root", help="Storage root.")]
RefArgument = Annotated[str, typer.Argument(help="project/name[:version|alias]", metavar="REF")]


@contextmanager
def _store(root: Path | None) -> Iterator[ArtifactStore]:
    try:
        with ArtifactStore(runicorn_config.get_user_root_dir(root)) as store:
            yield store
    except (RunicornError, OSError) as exc:
        err_console.print(f"[red]error:[/red] {escape(str(exc))}")
        raise typer.Exit(code=1) from exc


def _ref(text: str) -> ArtifactRef:
    ref = ArtifactRef.parse(text)
    if not ref.project:
        raise InvalidNameError(f"{text!r} names no project: write project/name[:version]")
    return ref


def human_size(size: int | None) -> str:
    """``1.5 MB`` for 1,500,000 bytes."""
    value = float(size or 0)
    for unit in ("B", "kB", "MB", "GB", "TB"):
        if value < 1000 or unit == "TB":
            return f"{value:.0f} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1000
    return f"{value:.1f} TB"


def _table(columns: list[str], rows: list[list[Any]]) -> Table:
    table = Table(*columns, box=None, header_style="bold")
    for row in rows:
        table.add_row(*(escape(str(cell)) if cell is not None else "" for cell in row))
    return table


@artifacts_app.command("ls")
def list_command(
    artifact: Annotated[
        str | None, typer.Argument(help="project/name: list its versions instead.")
    ] = None,
    project: Annotated[str | None, typer.Option(help="Only this project.")] = None,
    type: Annotated[str | None, typer.Option("--type", help="model, dataset, code …")] = None,
    limit: Annotated[int, typer.Option(help="At most this many rows.")] = 100,
    root: RootOption = None,
) -> None:
    """List artifacts, or the versions of one."""
    with _store(root) as store:
        if artifact:
            ref = _ref(artifact)
            page = catalog.list_versions(store, ref.project or "", ref.name, limit=limit)
            rows = [
                [f"v{v['version']}", ", ".join(v["aliases"]), v["stage"], v["file_count"],
                 human_size(v["size"]), v["created_by"] or "", v["digest"][:12]]
                for v in page["items"]
            ]  # fmt: skip
            columns = ["version", "aliases", "stage", "files", "size", "created by", "digest"]
            console.print(_table(columns, rows))
        else:
            page = catalog.list_artifacts(store, project=project, type=type, limit=limit)
            rows = [
                [f"{a['project']}/{a['name']}", a["type"], f"v{a['latest_version']}",
                 a["version_count"], human_size(a["size"]),
                 ", ".join(k for k in sorted(a["aliases"]) if k != "latest")]
                for a in page["items"]
            ]  # fmt: skip
            columns = ["artifact", "type", "latest", "versions", "size", "aliases"]
            console.print(_table(columns, rows))
        if page["total"] > len(page["items"]):
            console.print(f"{len(page['items'])} of {page['total']} shown (use --limit)")


@artifacts_app.command("show")
def show_command(ref: RefArgument, root: RootOption = None) -> None:
    """One version: files, aliases, stage, producer and consumers."""
    with _store(root) as store:
        parsed = _ref(ref)
        detail = catalog.version_detail(store, parsed.project or "", parsed.name, parsed.selector)
        console.print(
            f"[bold]{escape(detail['project'])}/{escape(detail['name'])}:v{detail['version']}"
            f"[/bold] ({escape(detail['type'])}, {human_size(detail['size'])}, "
            f"stage {detail['stage']})"
        )
        console.print(f"aliases: {escape(', '.join(detail['aliases']))}")
        producer = detail["producer"]
        console.print(f"produced by: {escape(producer['run_id']) if producer else '-'}")
        consumers = ", ".join(c["run_id"] for c in detail["consumers"]) or "-"
        console.print(f"used by: {escape(consumers)}")
        if detail["description"]:
            console.print(escape(detail["description"]))
        rows = [
            [path, human_size(f["size"]), f["sha256"][:12]] for path, f in detail["files"].items()
        ]
        console.print(_table(["file", "size", "sha256"], rows))
        for reference in detail["references"]:
            console.print(f"reference: {escape(str(reference.get('uri')))}")


@artifacts_app.command("get")
def get_command(
    ref: RefArgument,
    output: Annotated[Path, typer.Option("--output", "-o", help="Folder to write into.")] = Path(
        "."
    ),
    root: RootOption = None,
) -> None:
    """Copy a version's files into a folder (each checked against its sha256)."""
    from runicorn.artifacts.download import download_version

    with _store(root) as store:
        parsed = _ref(ref)
        version = store.resolve(parsed.project or "", parsed.name, parsed.selector)
        download_version(store, version, output)
    console.print(f"wrote {len(version.files)} files of {version.label} to {output}")


@artifacts_app.command("alias")
def alias_command(
    ref: RefArgument,
    alias: Annotated[str, typer.Argument(help="The alias to set (moved from another version).")],
    remove: Annotated[bool, typer.Option("--remove", help="Remove it instead.")] = False,
    root: RootOption = None,
) -> None:
    """Point an alias (``champion``, ``best``) at a version, or remove it."""
    with _store(root) as store:
        parsed = _ref(ref)
        project = parsed.project or ""
        if remove:
            version = store.resolve(project, parsed.name, parsed.selector)
            kept = [a for a in version.aliases if a not in ("latest", alias)]
            version = store.set_version_aliases(project, parsed.name, str(version.version), kept)
        else:
            version = store.add_alias(project, parsed.name, parsed.selector, alias)
    console.print(f"{version.label}: {', '.join(version.aliases)}")


@artifacts_app.command("rm")
def remove_command(
    ref: RefArgument,
    yes: Annotated[bool, typer.Option("--yes", "-y", help="Do not ask.")] = False,
    root: RootOption = None,
) -> None:
    """Delete a version (its number is not reused; `runicorn gc` frees its blobs)."""
    with _store(root) as store:
        parsed = _ref(ref)
        version = store.resolve(parsed.project or "", parsed.name, parsed.selector)
        if not yes and not typer.confirm(f"delete {version.project}/{version.label}?"):
            raise typer.Exit(code=1)
        store.delete_version(version.project, version.name, str(version.version))
    console.print(f"deleted {version.project}/{version.label}")


@models_app.command("ls")
def models_list_command(
    project: Annotated[str | None, typer.Option(help="Only this project.")] = None,
    root: RootOption = None,
) -> None:
    """Registered models (artifacts of type model) with their production version."""
    with _store(root) as store:
        page = catalog.list_models(store, project=project, limit=1000)
    rows = [
        [f"{m['project']}/{m['name']}", f"v{m['latest_version']}", m["version_count"],
         f"v{m['production_version']}" if m["production_version"] else "-",
         ", ".join(f"{stage}: {n}" for stage, n in sorted(m["stages"].items()))]
        for m in page["items"]
    ]  # fmt: skip
    console.print(_table(["model", "latest", "versions", "production", "stages"], rows))


@models_app.command("promote")
def promote_command(
    ref: RefArgument,
    stage: Annotated[str, typer.Argument(help="none, staging, production or archived.")],
    reason: Annotated[str, typer.Option(help="Why; kept in the history.")] = "",
    keep_previous: Annotated[
        bool, typer.Option("--keep-previous", help="Do not archive the current production.")
    ] = False,
    root: RootOption = None,
) -> None:
    """Move a model version to a stage; production archives the previous one."""
    with _store(root) as store:
        parsed = _ref(ref)
        project = parsed.project or ""
        catalog.model_detail(store, project, parsed.name, limit=1)
        appended = store.transition(
            project, parsed.name, parsed.selector, stage, reason=reason, by="cli",
            archive_previous=not keep_previous,
        )  # fmt: skip
    if not appended:
        console.print("nothing to do: the version is already in that stage")
    for line in appended:
        console.print(f"v{line.version}: {line.from_stage} → {line.to_stage}")


def gc_command(
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Report only; delete nothing.")
    ] = False,
    verify: Annotated[
        bool, typer.Option("--verify", help="Also re-hash kept blobs and set corrupt ones aside.")
    ] = False,
    root: RootOption = None,
) -> None:
    """Delete blobs no artifact version uses; report the bytes reclaimed."""
    from runicorn.artifacts.gc import collect_garbage
    from runicorn.cli import progress_bar

    with _store(root) as store, progress_bar("Collecting") as progress:
        report = collect_garbage(store, dry_run=dry_run, verify=verify, progress=progress)
    verb = "would reclaim" if dry_run else "reclaimed"
    console.print(
        f"{verb} {human_size(report.bytes_reclaimed)} ({report.bytes_reclaimed} bytes) in "
        f"{len(report.removed)} unreferenced blobs; kept {report.kept}"
    )
    if report.temp_files_removed:
        console.print(f"{report.temp_files_removed} stale temp files from interrupted writes")
    if verify:
        if report.corrupt:
            err_console.print(f"[red]{len(report.corrupt)} corrupt blobs[/red] (bytes changed):")
            for sha256 in report.corrupt:
                err_console.print(f"  {sha256}")
            raise typer.Exit(code=2)
        console.print("every kept blob matches its sha256")
