"""MLflow tracking stores (a ``mlruns`` folder or a database), read through MLflow's own stores.

Experiments become projects (unless ``--project`` says otherwise), runs keep their names;
params become the config (numbers parsed back from MLflow's text), the full history of every
metric keeps its steps and timestamps, user tags become ``key:value`` tags, the note becomes
the notes, the status and deletion carry over, and local artifacts are copied into the run's
``files/artifacts/``. Artifacts on remote stores are counted as not imported.
"""

from __future__ import annotations

import contextlib
import functools
import os
import re
import sqlite3
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlparse

from runicorn.importers import MissingExtraError, safe_name
from runicorn.importers.run_writer import ImportedRun

_STATUSES = {
    "FINISHED": "finished",
    "FAILED": "failed",
    "KILLED": "interrupted",
    "RUNNING": "crashed",
    "SCHEDULED": "crashed",
}
_NUMBER = re.compile(r"^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$")
_DB_SCHEMES = ("sqlite", "postgresql", "mysql", "mssql")
_BULK_BATCH = 100
_BULK_LIMIT = 5_000_000


def _mlflow() -> Any:
    try:
        import mlflow.entities
        import mlflow.store.tracking.file_store
    except ImportError as exc:
        raise MissingExtraError("mlflow", "mlflow (or mlflow-skinny)") from exc
    return mlflow


def open_store(location: str) -> Any:
    """MLflow's store for a ``mlruns`` folder, a ``.db`` file or a database URI."""
    _mlflow()
    scheme = location.split(":", 1)[0].split("+", 1)[0] if "://" in location else ""
    if not scheme and Path(location).is_file():
        location, scheme = f"sqlite:///{Path(location).resolve()}", "sqlite"
    if scheme == "sqlite":
        _check_sqlite_store(location)
    if scheme in _DB_SCHEMES:
        try:
            from mlflow.store.tracking.sqlalchemy_store import SqlAlchemyStore
        except ImportError as exc:
            raise MissingExtraError("mlflow", "sqlalchemy and alembic") from exc
        return SqlAlchemyStore(location, default_artifact_root="./mlartifacts")  # type: ignore[no-untyped-call]
    from mlflow.store.tracking.file_store import FileStore

    folder = unquote(urlparse(location).path) if scheme == "file" else location
    if not (Path(folder) / "0").is_dir() and not any(Path(folder).glob("*/meta.yaml")):
        raise ValueError(f"{folder} is not an MLflow store (no experiment folders with meta.yaml)")
    # MLflow 3 refuses to open file stores unless asked: reading one to migrate it is the case
    # its maintainers keep the switch for.
    previous = os.environ.get("MLFLOW_ALLOW_FILE_STORE")
    os.environ["MLFLOW_ALLOW_FILE_STORE"] = "true"
    try:
        return FileStore(str(Path(folder).resolve()))  # type: ignore[no-untyped-call]
    finally:
        if previous is None:
            os.environ.pop("MLFLOW_ALLOW_FILE_STORE", None)
        else:
            os.environ["MLFLOW_ALLOW_FILE_STORE"] = previous


def _check_sqlite_store(uri: str) -> None:
    """Refuse a SQLite file that is not an MLflow database: MLflow would add its tables to it."""
    path = Path(unquote(uri.split(":///", 1)[1])) if ":///" in uri else None
    if path is None or not path.is_file():
        raise FileNotFoundError(f"no SQLite database at {path or uri}")
    try:
        with contextlib.closing(
            sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)
        ) as db:
            found = db.execute(
                "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'experiments'"
            ).fetchone()
    except sqlite3.DatabaseError as exc:
        raise ValueError(f"{path} is not a SQLite database: {exc}") from exc
    if found is None:
        raise ValueError(f"{path} is not an MLflow database (it has no experiments table)")


def _paged(fetch: Callable[[str | None], Any]) -> Iterator[Any]:
    token: str | None = None
    while True:
        page = fetch(token)
        yield from page
        token = getattr(page, "token", None)
        if not token:
            return


def _param_value(text: str) -> Any:
    """MLflow keeps params as text: numbers and booleans are given back their type."""
    if _NUMBER.match(text):
        number = float(text)
        if number.is_integer() and re.match(r"^[+-]?\d+$", text):
            return int(text)
        return number
    if text in ("True", "true", "False", "false"):
        return text.lower() == "true"
    if text in ("None", "null"):
        return None
    return text


class MetricHistories:
    """Full metric histories, fetched for many runs per query where the store can.

    MLflow's database store answers one key for a batch of runs at once
    (``get_metric_history_bulk``); other stores are asked run by run, page by page.
    """

    def __init__(self, store: Any, runs: list[Any], batch: int = _BULK_BATCH) -> None:
        self.store = store
        self.bulk = callable(getattr(store, "get_metric_history_bulk", None))
        self.batches: dict[str, list[Any]] = {}
        for start in range(0, len(runs), batch):
            group = runs[start : start + batch]
            for run in group:
                self.batches[run.info.run_id] = group
        self.fetched: set[tuple[int, str]] = set()
        self.cache: dict[tuple[str, str], list[Any]] = {}

    def history(self, run_id: str, key: str) -> list[Any]:
        """Every value of ``key`` logged in the run ``run_id``."""
        if self.bulk and run_id in self.batches:
            group = self.batches[run_id]
            if (id(group), key) not in self.fetched:
                self.fetched.add((id(group), key))
                ids = [r.info.run_id for r in group if key in r.data.metrics]
                metrics = self.store.get_metric_history_bulk(ids, key, _BULK_LIMIT)
                if len(metrics) < _BULK_LIMIT:
                    for metric in metrics:
                        self.cache.setdefault((metric.run_id, key), []).append(metric)
                    for other in ids:
                        self.cache.setdefault((other, key), [])
            cached = self.cache.pop((run_id, key), None)
            if cached is not None:
                return cached
        page = functools.partial(self.store.get_metric_history, run_id, key)
        return list(_paged(lambda token: page(page_token=token)))


@dataclass
class MlflowRun:
    """One MLflow run, with the store and experiment it came from."""

    store: Any
    experiment_name: str
    run: Any
    histories: MetricHistories | None = None

    @property
    def source_id(self) -> str:
        return str(self.run.info.run_id)

    @property
    def label(self) -> str:
        return f"{self.experiment_name}/{self.run.info.run_name or self.run.info.run_id}"

    @property
    def created_at(self) -> float | None:
        start = self.run.info.start_time
        return start / 1000.0 if start else None

    def read(self, project: str | None) -> ImportedRun:
        info, data = self.run.info, self.run.data
        imported = ImportedRun(
            source="mlflow",
            source_id=self.source_id,
            project=project or safe_name(self.experiment_name, "default", allow_slash=False),
            name=safe_name(info.run_name or info.run_id),
            created_at=self.created_at,
            ended_at=info.end_time / 1000.0 if info.end_time else None,
            status=_STATUSES.get(str(info.status), "finished"),
            config={key: _param_value(value) for key, value in data.params.items()},
            origin={"experiment": self.experiment_name, "run_id": info.run_id},
        )
        if str(info.status) in ("RUNNING", "SCHEDULED"):
            imported.exit_reason = f"{info.status} in MLflow when imported"
        system_tags: dict[str, str] = {}
        for key, value in data.tags.items():
            if key == "mlflow.note.content":
                imported.notes = value
            elif key.startswith("mlflow."):
                system_tags[key] = value
            else:
                imported.tags.append(f"{key}:{value}" if value else key)
        imported.origin["tags"] = system_tags
        if info.lifecycle_stage == "deleted":
            imported.deleted_at = imported.ended_at or imported.created_at
        rows: dict[tuple[int, int], dict[str, Any]] = {}
        histories = self.histories or MetricHistories(self.store, [self.run])
        for key in data.metrics:
            for metric in histories.history(info.run_id, key):
                rows.setdefault((metric.timestamp, metric.step), {})[key] = float(metric.value)
        imported.rows = [
            (timestamp / 1000.0, step, values) for (timestamp, step), values in sorted(rows.items())
        ]
        _add_artifacts(imported, info.artifact_uri)
        return imported


def _add_artifacts(run: ImportedRun, uri: str | None) -> None:
    if not uri:
        return
    parsed = urlparse(uri)
    if parsed.scheme not in ("", "file"):
        run.skip(f"artifacts on {parsed.scheme}:// stores")
        return
    folder = Path(unquote(parsed.path) if parsed.scheme == "file" else uri)
    if not folder.is_dir():
        return
    for current, dirs, files in os.walk(folder):
        dirs[:] = [d for d in dirs if not (Path(current) / d).is_symlink()]
        for file_name in files:
            path = Path(current) / file_name
            if path.is_symlink():
                run.skip("linked artifact files")
                continue
            run.files.append((f"artifacts/{path.relative_to(folder).as_posix()}", path))


def discover(location: str) -> list[MlflowRun]:
    """Every run of every experiment (deleted ones too) in the store at ``location``."""
    mlflow = _mlflow()
    view_all = mlflow.entities.ViewType.ALL
    store = open_store(location)
    experiments = list(
        _paged(lambda token: store.search_experiments(view_type=view_all, page_token=token))
    )
    found: list[MlflowRun] = []
    for experiment in experiments:
        search = functools.partial(store.search_runs, [experiment.experiment_id], "", view_all)
        for run in _paged(lambda token: search(page_token=token)):  # noqa: B023
            found.append(MlflowRun(store, experiment.name, run))
    histories = MetricHistories(store, [candidate.run for candidate in found])
    for candidate in found:
        candidate.histories = histories
    return found
