"""Syncs started from the viewer: each runs in a thread of its own until done or stopped.

A job pulls a remote root into the viewer's root over its own SSH connection (opened with the
settings of the connection the user made on the Remote page), so a long transfer never holds
the viewer's event loop. Its progress and last report are read by the API while it runs.
"""

from __future__ import annotations

import asyncio
import secrets
import threading
import time
from dataclasses import asdict
from pathlib import Path
from typing import TYPE_CHECKING, Any

from runicorn.manifest.models import SyncReport
from runicorn.manifest.session import RemoteRoot, SSHOptions, sync_async
from runicorn.manifest.transfer import SyncProgress

if TYPE_CHECKING:
    from runicorn.remote.connection import SSHConfig


class SyncJob:
    """One sync (once, or watching) from a remote root into a local root."""

    def __init__(
        self,
        config: SSHConfig,
        remote_root: str,
        local_root: Path,
        *,
        python: str = "python3",
        watch: float | None = None,
        project: str | None = None,
        since: str | None = None,
        dry_run: bool = False,
    ) -> None:
        self.id = secrets.token_hex(6)
        self.source = RemoteRoot(config, remote_root)
        self.local_root = local_root
        self.python = python
        self.watch = watch
        self.project = project
        self.since = since
        self.dry_run = dry_run
        self.state = "running"
        self.error: str | None = None
        self.started_at = time.time()
        self.ended_at: float | None = None
        self.progress = SyncProgress()
        self.total = SyncReport()
        self.last_pass: SyncReport | None = None
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name=f"runicorn-sync-{self.id}")
        self._thread.daemon = True

    def start(self) -> SyncJob:
        self._thread.start()
        return self

    def stop(self) -> None:
        """Ask the job to end after the pass under way (a pass never stops half-written)."""
        self._stop.set()

    def join(self, timeout: float | None = None) -> None:
        self._thread.join(timeout)

    def _on_progress(self, state: SyncProgress) -> None:
        self.progress = SyncProgress(**asdict(state))

    def _on_pass(self, report: SyncReport) -> None:
        self.last_pass = report
        if self.watch and not self._stop.is_set():
            self.state = "watching"

    def _run(self) -> None:
        try:
            asyncio.run(
                sync_async(
                    self.source,
                    self.local_root,
                    watch=self.watch,
                    project=self.project,
                    since=self.since,
                    dry_run=self.dry_run,
                    ssh=SSHOptions(python=self.python),
                    progress=self._on_progress,
                    on_pass=self._on_pass,
                    stop=self._stop,
                    total=self.total,
                )
            )
            self.state = "stopped" if self._stop.is_set() and self.watch else "finished"
        except Exception as exc:  # the job reports every failure; nothing else would see it
            self.state, self.error = "failed", str(exc) or type(exc).__name__
        finally:
            self.ended_at = time.time()

    def info(self) -> dict[str, Any]:
        """The API shape: settings, state, progress and reports (never a secret)."""
        return {
            "id": self.id,
            "source": str(self.source),
            "destination": str(self.local_root),
            "watch": self.watch,
            "project": self.project,
            "dry_run": self.dry_run,
            "state": self.state,
            "error": self.error,
            "started_at": self.started_at,
            "ended_at": self.ended_at,
            "progress": asdict(self.progress),
            "total": self.total.to_dict(),
            "last_pass": self.last_pass.to_dict() if self.last_pass else None,
        }


class SyncJobs:
    """The sync jobs of one viewer process."""

    def __init__(self) -> None:
        self._jobs: dict[str, SyncJob] = {}

    def start(self, job: SyncJob) -> SyncJob:
        self._jobs[job.id] = job
        return job.start()

    def get(self, job_id: str) -> SyncJob | None:
        return self._jobs.get(job_id)

    def all(self) -> list[SyncJob]:
        return list(self._jobs.values())

    def stop_all(self) -> None:
        for job in self._jobs.values():
            job.stop()
        for job in self._jobs.values():
            job.join(10)
