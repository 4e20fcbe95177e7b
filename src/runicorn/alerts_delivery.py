"""Telling people about an alert: one console warning, and webhooks posted in the background.

Webhooks are posted by one daemon thread per process (5 s timeout per attempt, a few retries),
so a slow or dead endpoint never touches the training loop. At interpreter exit the posts still
pending get at most :data:`EXIT_BUDGET` seconds, then are dropped with a warning.
"""

from __future__ import annotations

import atexit
import logging
import os
import queue
import threading
import time
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from runicorn.storage.jsonio import dumps

POST_TIMEOUT = 5.0
RETRIES = 3
RETRY_DELAYS = (0.5, 2.0)
EXIT_BUDGET = 10.0
SLACK_HOSTS = ("hooks.slack.com",)

logger = logging.getLogger("runicorn.alerts")


@dataclass(frozen=True)
class Webhook:
    """Where to post alerts, and in which body: ``json`` (generic) or ``slack``."""

    url: str
    format: str = "json"

    @classmethod
    def parse(cls, value: Any) -> Webhook:
        """A webhook from ``"https://..."`` or ``{"url": ..., "format": "slack"|"json"}``."""
        url: Any = value
        fmt: Any = None
        if isinstance(value, dict):
            url, fmt = value.get("url"), value.get("format")
        if not isinstance(url, str) or urlsplit(url).scheme not in ("http", "https"):
            raise ValueError(f"a webhook needs an http(s) URL, got {value!r}")
        if fmt is None:
            host = (urlsplit(url).hostname or "").lower()
            fmt = "slack" if host in SLACK_HOSTS else "json"
        if fmt not in ("json", "slack"):
            raise ValueError(f"webhook format must be 'json' or 'slack', got {fmt!r}")
        return cls(url, fmt)


def alert_line(alert: dict[str, Any]) -> str:
    """One human line: ``[error] vision/resnet50 (run …): loss is NaN at step 1200``."""
    where = f"{alert.get('project')}/{alert.get('name')} (run {alert.get('run_id')})"
    step = alert.get("step")
    at = f" at step {step}" if step is not None else ""
    text = f" — {alert['text']}" if alert.get("text") else ""
    return f"[{alert.get('level', 'warn')}] {where}: {alert.get('title', '')}{at}{text}"


def webhook_body(alert: dict[str, Any], fmt: str) -> dict[str, Any]:
    """The JSON posted for ``alert``: the alert itself, or a Slack ``text`` message."""
    if fmt == "slack":
        return {"text": f"Runicorn alert {alert_line(alert)}"}
    return {"source": "runicorn", "type": "alert", **alert}


class WebhookPoster:
    """A queue of posts and the daemon thread that sends them."""

    def __init__(self, *, timeout: float = POST_TIMEOUT, retries: int = RETRIES) -> None:
        self.timeout = timeout
        self.retries = retries
        self.forget_pending()

    def forget_pending(self) -> None:
        """Start empty, without a thread (a forked child must not wait on its parent's posts)."""
        self._queue: queue.Queue[tuple[str, bytes]] = queue.Queue()
        self._thread: threading.Thread | None = None
        self._start_lock = threading.Lock()
        self._idle = threading.Event()
        self._idle.set()

    def post(self, url: str, body: dict[str, Any]) -> None:
        """Queue a post; returns at once."""
        self._idle.clear()
        self._queue.put((url, dumps(body)))
        with self._start_lock:
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(
                    target=self._loop, name="runicorn-webhooks", daemon=True
                )
                self._thread.start()

    def _loop(self) -> None:
        while True:
            url, data = self._queue.get()
            try:
                self._send(url, data)
            finally:
                self._queue.task_done()
                if self._queue.unfinished_tasks == 0:
                    self._idle.set()

    def _send(self, url: str, data: bytes) -> None:
        # Imported here: urllib loads OpenSSL (~6 MB), which a run without webhooks never needs.
        import urllib.error
        import urllib.request

        for attempt in range(self.retries):
            request = urllib.request.Request(  # noqa: S310 - the URL's scheme was checked
                url, data=data, headers={"Content-Type": "application/json"}, method="POST"
            )
            try:
                with urllib.request.urlopen(request, timeout=self.timeout) as response:  # noqa: S310
                    if response.status < 300:
                        return
            except urllib.error.HTTPError as exc:
                if 400 <= exc.code < 500 and exc.code != 429:
                    break  # the endpoint refuses this body: retrying will not help
            except (OSError, ValueError):
                pass
            if attempt + 1 < self.retries:
                time.sleep(RETRY_DELAYS[min(attempt, len(RETRY_DELAYS) - 1)])
        logger.warning("runicorn: could not deliver an alert to the webhook %s", _shown(url))

    def wait(self, timeout: float) -> bool:
        """Wait up to ``timeout`` seconds for every queued post; True when none is left."""
        return self._idle.wait(timeout)

    def pending(self) -> int:
        """Posts not yet finished."""
        return self._queue.unfinished_tasks


def _shown(url: str) -> str:
    """A webhook URL without its path: Slack's path is a secret."""
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}/…"


_poster = WebhookPoster()
os.register_at_fork(after_in_child=_poster.forget_pending)


def deliver(alert: dict[str, Any], webhooks: tuple[Webhook, ...]) -> None:
    """Warn once on the console and queue the webhooks; never raises, never blocks."""
    try:
        logger.warning("runicorn alert %s", alert_line(alert))
        for hook in webhooks:
            _poster.post(hook.url, webhook_body(alert, hook.format))
    except Exception as exc:  # delivery must never reach the training loop
        logger.warning("runicorn: could not deliver an alert: %r", exc)


def drain_at_exit(budget: float = EXIT_BUDGET) -> None:
    """Give pending webhook posts ``budget`` seconds, then drop them with a warning."""
    if _poster.pending() and not _poster.wait(budget):
        logger.warning(
            "runicorn: %d alert webhook post(s) still pending after %.0f s at exit; dropped",
            _poster.pending(),
            budget,
        )


# Registered at import, before the SDK's own exit hook (atexit runs in reverse order), so runs
# finished at exit raise their last alerts before this waits for them.
atexit.register(drain_at_exit)
