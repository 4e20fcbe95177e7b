"""Alerts only the viewer can raise, and new alerts for the live socket.

A training script cannot report that it stopped (it hangs, or it was killed): the viewer
notices a running run whose step has not moved for ``stall_minutes``, and a run that became
``crashed``. Each is recorded once in the index (``source='viewer'``) and sent to the
configured webhooks.
"""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Callable
from typing import Any

from runicorn.alerts_delivery import Webhook, deliver, logger
from runicorn.config import AlertSettings
from runicorn.storage.alerts import SOURCE_VIEWER, AlertRecord
from runicorn.storage.interface import RunStorage

CHECK_INTERVAL = 30.0
# A crash older than this when the viewer first sees it is history, not news.
CRASH_NEWS_SECONDS = 24 * 3600.0
LIVE_POLL_INTERVAL = 1.0


class ViewerAlertService:
    """Checks running runs for stalls and crashes, every ``interval`` seconds on a thread."""

    def __init__(
        self,
        backend: RunStorage,
        settings: AlertSettings,
        *,
        interval: float = CHECK_INTERVAL,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.backend = backend
        self.stall_seconds = settings.stall_minutes * 60.0
        self.interval = interval
        self.clock = clock
        self.webhooks = _webhooks(settings)
        self._progress: dict[str, tuple[int, float]] = {}
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def check_once(self, now: float | None = None) -> list[AlertRecord]:
        """Raise the alerts due now; returns the ones recorded (each run and cause once)."""
        now = self.clock() if now is None else now
        raised: list[AlertRecord] = []
        running, _ = self.backend.list_runs(status="running", limit=None)
        seen = set()
        for record in running:
            seen.add(record.id)
            last = self._progress.get(record.id)
            if last is None or last[0] != record.last_step:
                self._progress[record.id] = (record.last_step, now)
                continue
            if now - last[1] < self.stall_seconds:
                continue
            minutes = (now - last[1]) / 60.0
            alert = AlertRecord(
                run_id=record.id,
                ts=now,
                rule="stalled",
                level="warn",
                title="run stopped logging",
                text=f"no new step for {minutes:.0f} min; last step {record.last_step}",
                step=record.last_step,
                source=SOURCE_VIEWER,
            )
            if self.backend.index.add_alert_once(alert):
                raised.append(alert)
                self._deliver(alert, record.project, record.name)
        for run_id in list(self._progress):
            if run_id not in seen:
                del self._progress[run_id]
        crashed, _ = self.backend.list_runs(status="crashed", limit=None)
        for record in crashed:
            seen_alive = record.heartbeat_at or record.created_at or 0.0
            if now - seen_alive > CRASH_NEWS_SECONDS:
                continue
            alert = AlertRecord(
                run_id=record.id,
                ts=now,
                rule="crashed",
                level="error",
                title="run crashed",
                text="its process ended without finishing the run",
                step=record.last_step or None,
                source=SOURCE_VIEWER,
            )
            if self.backend.index.add_alert_once(alert):
                raised.append(alert)
                self._deliver(alert, record.project, record.name)
        return raised

    def _deliver(self, alert: AlertRecord, project: str, name: str) -> None:
        data = alert.to_dict()
        data.update(project=project, name=name)
        deliver(data, self.webhooks)

    def start(self) -> None:
        """Check in a daemon thread until :meth:`stop`."""
        self._thread = threading.Thread(target=self._loop, name="runicorn-alerts", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """Stop the thread (waits for a check in progress, briefly)."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5.0)

    def _loop(self) -> None:
        while not self._stop.wait(self.interval):
            try:
                self.check_once()
            except Exception as exc:  # the index may be busy or rebuilt: try next time
                logger.warning("runicorn: the viewer's alert check failed: %r", exc)


def _webhooks(settings: AlertSettings) -> tuple[Webhook, ...]:
    hooks: list[Webhook] = []
    for value in settings.webhooks:
        with contextlib.suppress(ValueError):
            hooks.append(Webhook.parse(value))
    return tuple(hooks)


class AlertFollower:
    """A run's alerts newer than the last one a live socket has sent."""

    def __init__(self, backend: RunStorage, run_id: str) -> None:
        self.backend = backend
        self.run_id = run_id
        self.checked_at = 0.0
        newest, _ = backend.index.alerts(run_id=run_id, limit=1)
        self.last_id = (newest[0].id or 0) if newest else 0

    def due(self, now: float) -> bool:
        """Whether a second has passed since the last :meth:`poll`."""
        return now - self.checked_at >= LIVE_POLL_INTERVAL

    def poll(self, now: float) -> list[dict[str, Any]]:
        """New alerts, oldest first."""
        self.checked_at = now
        found, _ = self.backend.index.alerts(run_id=self.run_id, after_id=self.last_id, limit=100)
        if not found:
            return []
        self.last_id = max(alert.id or 0 for alert in found)
        return [alert.to_dict() for alert in reversed(found)]
