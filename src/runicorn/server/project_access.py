"""Per-project access on the team server: the storage interface, narrowed to what the user of
the current request may see and change.

The auth middleware puts the request's :class:`User` in :data:`current_user`; every router and
service then goes through :class:`ProjectScopedStorage` without knowing about users. A run of
a project the user may not see is answered as not found, so its existence does not leak.
Work outside a request (the alert watcher, migrations) has no user and sees everything.
"""

from __future__ import annotations

import contextvars
from collections.abc import Callable, Collection, Sequence
from pathlib import Path
from typing import Any

from fastapi import HTTPException

from runicorn.errors import RunNotFoundError
from runicorn.server.users import User
from runicorn.storage.alerts import AlertRecord
from runicorn.storage.interface import ProgressCallback, RunIndex, RunStorage
from runicorn.storage.models import ExperimentRecord

current_user: contextvars.ContextVar[User | None] = contextvars.ContextVar(
    "runicorn_current_user", default=None
)


def _limited_user() -> User | None:
    user = current_user.get()
    return user if user is not None and user.limited else None


def _quoted(text: str) -> str:
    return '"' + text + '"'  # project names with quotes or backslashes are refused at users add


def project_filter(user: User, expression: str | None) -> str:
    """``expression`` narrowed to the user's projects, in the v2 query language."""
    allowed = f"project in ({', '.join(_quoted(p) for p in sorted(user.projects))})"
    if expression and expression.strip():
        return f"{allowed} and ({expression})"
    return allowed


class ScopedIndex:
    """The index operations the viewer uses directly (alerts), limited to the user's projects."""

    def __init__(self, inner: RunIndex) -> None:
        self._inner = inner

    def all_ids(self) -> set[str]:
        return self._inner.all_ids()

    def add_alert_once(self, alert: AlertRecord) -> bool:
        return self._inner.add_alert_once(alert)

    def alerts(
        self,
        *,
        run_id: str | None = None,
        since: float | None = None,
        levels: Sequence[str] = (),
        project: str | None = None,
        after_id: int | None = None,
        limit: int | None = 100,
        offset: int = 0,
    ) -> tuple[list[AlertRecord], int]:
        user = _limited_user()
        query: dict[str, Any] = {
            "run_id": run_id, "since": since, "levels": levels, "after_id": after_id,
        }  # fmt: skip
        if user is None:
            return self._inner.alerts(**query, project=project, limit=limit, offset=offset)
        if project is not None:
            if not user.can_read(project):
                return [], 0
            return self._inner.alerts(**query, project=project, limit=limit, offset=offset)
        if len(user.projects) == 1:
            (only,) = user.projects
            return self._inner.alerts(**query, project=only, limit=limit, offset=offset)
        everything, _ = self._inner.alerts(**query, project=None, limit=None)
        visible = [a for a in everything if a.project is not None and user.can_read(a.project)]
        end = None if limit is None else offset + limit
        return visible[offset:end], len(visible)


class ProjectScopedStorage:
    """:class:`RunStorage` that hides and protects runs outside the user's projects."""

    def __init__(self, inner: RunStorage) -> None:
        self.inner = inner
        self._index = ScopedIndex(inner.index)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)

    @property
    def root(self) -> Path:
        return self.inner.root

    @property
    def index(self) -> RunIndex:
        return self._index

    @property
    def needs_rebuild(self) -> bool:
        return self.inner.needs_rebuild

    def reindex(self, progress: ProgressCallback | None = None) -> int:
        return self.inner.reindex(progress)

    def sync_run_dir(self, run_path: Path) -> ExperimentRecord:
        return self.inner.sync_run_dir(run_path)

    def list_runs(self, **query: Any) -> tuple[list[ExperimentRecord], int]:
        user = _limited_user()
        if user is not None:
            project = query.get("project")
            if project and not user.can_read(project):
                return [], 0
            query["filter"] = project_filter(user, query.get("filter"))
        return self.inner.list_runs(**query)

    def get_run(self, run_id: str) -> ExperimentRecord:
        record = self.inner.get_run(run_id)
        user = current_user.get()
        if user is not None and not user.can_read(record.project):
            raise RunNotFoundError(f"run {run_id} not found on this server")
        return record

    def run_path(self, run_id: str) -> Path:
        return self.inner.path_of(self.get_run(run_id))

    def path_of(self, record: ExperimentRecord) -> Path:
        return self.inner.path_of(self.get_run(record.id))

    def _writable(self, run_ids: Sequence[str]) -> tuple[list[str], list[str]]:
        """The ids the user may change and those it cannot see (reported as missing)."""
        user = current_user.get()
        if user is None:
            return list(run_ids), []
        allowed: list[str] = []
        hidden: list[str] = []
        for run_id in run_ids:
            try:
                record = self.get_run(run_id)
            except (RunNotFoundError, ValueError):
                hidden.append(run_id)
                continue
            if not user.can_write(record.project):
                detail = f"user {user.name!r} ({user.role}) cannot change {record.project!r}"
                raise HTTPException(403, detail)
            allowed.append(run_id)
        return allowed, hidden

    def _change(
        self, change: Callable[[Sequence[str]], tuple[list[str], list[str]]], ids: Sequence[str]
    ) -> tuple[list[str], list[str]]:
        allowed, hidden = self._writable(ids)
        done, missing = change(allowed) if allowed else ([], [])
        return done, [*missing, *hidden]

    def update_run(
        self, run_id: str, *, tags: list[str] | None = None, notes: str | None = None
    ) -> ExperimentRecord:
        _, hidden = self._writable([run_id])
        if hidden:
            raise RunNotFoundError(f"run {run_id} not found on this server")
        return self.inner.update_run(run_id, tags=tags, notes=notes)

    def soft_delete(self, run_ids: Sequence[str]) -> tuple[list[str], list[str]]:
        return self._change(self.inner.soft_delete, run_ids)

    def restore(self, run_ids: Sequence[str]) -> tuple[list[str], list[str]]:
        return self._change(self.inner.restore, run_ids)

    def purge(self, run_ids: Sequence[str]) -> tuple[list[str], list[str]]:
        return self._change(self.inner.purge, run_ids)

    def list_projects(self) -> list[dict[str, Any]]:
        user = _limited_user()
        projects = self.inner.list_projects()
        if user is None:
            return projects
        return [p for p in projects if user.can_read(str(p.get("project")))]

    def field_names(self, projects: Collection[str] | None = None) -> dict[str, Any]:
        user = _limited_user()
        if user is not None:  # key names are data too: only those of the user's projects
            allowed = set(user.projects)
            projects = allowed if projects is None else allowed & set(projects)
        return self.inner.field_names(projects)

    def get_preferences(self) -> dict[str, Any]:
        return self.inner.get_preferences()

    def set_preferences(self, values: dict[str, Any]) -> dict[str, Any]:
        return self.inner.set_preferences(values)

    def close(self) -> None:
        self.inner.close()
