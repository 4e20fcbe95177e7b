"""Bring runs from other trackers into a Runicorn storage root.

    from runicorn.importers import import_from
    report = import_from("tensorboard", "runs/", root="~/RunicornData", project="vision")
    print(report.imported, report.skipped, report.failed)

Sources: ``tensorboard`` (event files), ``mlflow`` (a file store folder or a database URI),
``wandb`` (offline run folders with ``run-*.wandb``) and ``orig`` (a storage root of the
original Runicorn). Importing the same source run again finds the run already there and skips
it. The readers of other trackers are optional extras: a missing one raises
:class:`MissingExtraError`, which says what to install.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

from runicorn.config import get_user_root_dir
from runicorn.errors import RunicornError
from runicorn.importers.run_writer import ImportedRun, stable_run_id, write_run
from runicorn.storage.backends import HybridStorageBackend
from runicorn.storage.layout import validate_name

SOURCES = ("tensorboard", "mlflow", "wandb", "orig")


class MissingExtraError(RunicornError, ImportError):
    """The package that reads a source is not installed."""

    def __init__(self, source: str, package: str) -> None:
        super().__init__(
            f"importing from {source} needs {package}: pip install 'runicorn[{source}]'"
        )


class SourceRun(Protocol):
    """One run found in a source, before it is read."""

    @property
    def source_id(self) -> str: ...
    @property
    def created_at(self) -> float | None: ...
    @property
    def label(self) -> str: ...
    def read(self, project: str | None) -> ImportedRun: ...


@dataclass
class ImportedRunInfo:
    """A run that was imported."""

    id: str
    project: str
    name: str
    source_id: str
    points: int


@dataclass
class ImportReport:
    """What an import found, brought in, left alone and could not read."""

    source: str
    found: int = 0
    imported: list[ImportedRunInfo] = field(default_factory=list)
    skipped: list[tuple[str, str]] = field(default_factory=list)
    failed: list[tuple[str, str]] = field(default_factory=list)
    not_imported: dict[str, int] = field(default_factory=dict)


def _discover(source: str, location: str) -> Iterator[SourceRun]:
    if source == "tensorboard":
        from runicorn.importers.tensorboard import discover as discover_tensorboard

        return iter(discover_tensorboard(Path(location)))
    if source == "mlflow":
        from runicorn.importers.mlflow import discover as discover_mlflow

        return iter(discover_mlflow(location))
    if source == "wandb":
        from runicorn.importers.wandb import discover as discover_wandb

        return iter(discover_wandb(Path(location)))
    if source == "orig":
        from runicorn.importers.orig import discover as discover_orig

        return iter(discover_orig(Path(location)))
    raise ValueError(f"unknown source {source!r}: use one of {', '.join(SOURCES)}")


def import_from(
    source: str,
    path: str | os.PathLike[str],
    *,
    root: str | os.PathLike[str] | None = None,
    project: str | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> ImportReport:
    """Import every run ``path`` holds into the storage ``root`` (default: the configured one).

    ``project`` puts every imported run in that project; otherwise each source says (the
    experiment of MLflow, the project of W&B, ``tensorboard`` for event files).
    """
    if project is not None:
        validate_name(project, "project", allow_slash=False)
    target = get_user_root_dir(root)
    location = os.fspath(path)
    if "://" not in location and not Path(location).exists():
        raise FileNotFoundError(f"{location} does not exist")
    report = ImportReport(source=source)
    found = list(_discover(source, location))
    report.found = len(found)
    target.mkdir(parents=True, exist_ok=True)
    with HybridStorageBackend(target) as backend:
        known = backend.index.all_ids()
        for done, candidate in enumerate(found, start=1):
            try:
                _import_one(backend, target, candidate, project, known, report)
            except MissingExtraError:
                raise
            except Exception as exc:  # one unreadable run must not stop the others
                report.failed.append((candidate.label, f"{type(exc).__name__}: {exc}"))
            if progress is not None:
                progress(done, len(found))
    return report


def _import_one(
    backend: HybridStorageBackend,
    target: Path,
    candidate: SourceRun,
    project: str | None,
    known: set[str],
    report: ImportReport,
) -> None:
    expected = getattr(candidate, "run_id", None) or stable_run_id(
        report.source, candidate.source_id, candidate.created_at
    )
    if expected in known:
        report.skipped.append((candidate.label, f"already imported as run {expected}"))
        return
    run = candidate.read(project)
    run.run_id = expected
    validate_name(run.project, "project", allow_slash=False)
    validate_name(run.name, "name")
    try:
        path = write_run(target, run)
    except FileExistsError:
        report.skipped.append((candidate.label, f"already imported as run {expected}"))
        return
    backend.sync_run_dir(path)
    known.add(expected)
    for what, count in run.skipped.items():
        report.not_imported[what] = report.not_imported.get(what, 0) + count
    report.imported.append(
        ImportedRunInfo(expected, run.project, run.name, run.source_id, run.points)
    )


def safe_name(text: str, fallback: str = "default", *, allow_slash: bool = True) -> str:
    """``text`` made into a valid project or run name (unsafe characters become ``_``)."""
    unsafe = set('<>:"\\|?*')
    if not allow_slash:
        unsafe.add("/")
    cleaned = "".join("_" if ch in unsafe or ord(ch) < 32 else ch for ch in text)
    parts = [part.strip(" .") for part in cleaned.split("/")]
    parts = [part if part and part.lower() != ".runicorn" else "_" for part in parts if part]
    result = "/".join(parts)[:128].strip("/")
    return result or fallback


__all__ = [
    "SOURCES",
    "ImportReport",
    "ImportedRun",
    "ImportedRunInfo",
    "MissingExtraError",
    "import_from",
    "safe_name",
]
