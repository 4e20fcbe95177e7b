"""Live push of one run to a team server, on a background thread (``rn.init(sync=…)``).

Every few seconds the pusher asks the server what it holds of the run and sends what is new
(:func:`runicorn.manifest.http_push.push_run`). The training thread never waits on it: the
local files stay the truth, so while the server is down the pusher only retries, with
backoff, and catches up from the server's offsets when it is back (nothing lost, nothing sent
twice). At ``finish()`` it gets a bounded time to deliver the rest; anything left is
delivered later by ``runicorn sync ROOT URL``.
"""

from __future__ import annotations

import threading
import time
import warnings
from pathlib import Path

from runicorn.manifest.http_push import (
    PushClient,
    PushConflictError,
    push_run,
    push_run_artifacts,
)

MAX_BACKOFF_SECONDS = 10.0
FINISH_TIMEOUT_SECONDS = 30.0
_REQUEST_TIMEOUT_SECONDS = 10.0


def run_folder_files(folder: Path) -> list[str]:
    """The run's files as relative paths, without hidden or temporary ones and links."""
    found = []
    for path in folder.rglob("*"):
        relative = path.relative_to(folder)
        if any(part.startswith(".") for part in relative.parts):
            continue
        if path.is_file() and not path.is_symlink():
            found.append(relative.as_posix())
    return found


class LivePusher:
    """Pushes the run folder ``root/run_path`` to ``url`` until :meth:`finish`."""

    def __init__(
        self,
        root: Path,
        run_path: str,
        run_id: str,
        url: str,
        token: str | None,
        *,
        interval: float = 2.0,
    ) -> None:
        import httpx

        self.root = Path(root).resolve()
        self.run_path = run_path
        self.run_id = run_id
        self.url = url
        self.interval = interval
        self.client = PushClient(url, token, timeout=httpx.Timeout(_REQUEST_TIMEOUT_SECONDS))
        self.bytes_sent = 0
        self.passes = 0
        self.failures = 0
        self.last_error: str | None = None
        self.caught_up = threading.Event()
        self._wake = threading.Event()
        self._finishing = threading.Event()
        self._deadline = float("inf")
        self._warned = False
        self._warned_too_large = False
        self._artifacts_stamp: tuple[int, int] | None = None
        self._thread = threading.Thread(
            target=self._loop, name=f"runicorn-pusher-{run_id}", daemon=True
        )

    def start(self) -> LivePusher:
        self._thread.start()
        return self

    def push_once(self) -> int:
        """One pass: what the server lacks of the run; returns the bytes sent."""
        state = self.client.state([(self.run_id, self.run_path)])[self.run_id]
        files = run_folder_files(self.root / self.run_path)
        pushed = push_run(self.client, self.root, self.run_path, self.run_id, state, files)
        self._push_artifacts()
        self.passes += 1
        self.bytes_sent += pushed.bytes_sent
        if pushed.too_large and not self._warned_too_large:
            self._warned_too_large = True
            warnings.warn(
                f"Runicorn: {', '.join(pushed.too_large)} of run {self.run_id} too large to push "
                "live; it stays in the local run folder",
                RuntimeWarning,
                stacklevel=2,
            )
        return pushed.bytes_sent

    def _push_artifacts(self) -> None:
        """The artifacts the run used and produced, whenever its ``artifacts.json`` changes
        (blobs the server holds are not sent again)."""
        try:
            stat = (self.root / self.run_path / "artifacts.json").stat()
        except FileNotFoundError:
            return
        stamp = (stat.st_size, stat.st_mtime_ns)
        if stamp == self._artifacts_stamp:
            return
        result = push_run_artifacts(self.client, self.root, self.run_path, self.run_id)
        self._artifacts_stamp = stamp
        if result.problems:
            self._warn_once(f"artifacts not accepted: {'; '.join(result.problems[:3])}")

    def _loop(self) -> None:
        delay = 0.0
        while True:
            self._wake.wait(delay)
            self._wake.clear()
            finishing = self._finishing.is_set()
            if finishing and time.monotonic() >= self._deadline:
                return
            try:
                self.push_once()
            except PushConflictError as exc:
                self._warn_once(f"the server holds different data for run {self.run_id}: {exc}")
                return
            except Exception as exc:  # the pusher must outlive any failure
                self.failures += 1
                self.last_error = str(exc)
                self._warn_once(str(exc))
                self.caught_up.clear()
                backoff = min(MAX_BACKOFF_SECONDS, 0.5 * 2 ** min(self.failures, 8))
                delay = min(backoff, max(0.0, self._deadline - time.monotonic()))
                continue
            self.failures = 0
            self.caught_up.set()
            if finishing:
                return  # the writer had closed before this pass: everything is delivered
            delay = self.interval

    def _warn_once(self, message: str) -> None:
        if self._warned:
            return
        self._warned = True
        warnings.warn(
            f"Runicorn: live push of run {self.run_id} to {self.url} failed ({message}); "
            "training goes on and the pusher keeps retrying in the background",
            RuntimeWarning,
            stacklevel=2,
        )

    def finish(self, timeout: float = FINISH_TIMEOUT_SECONDS) -> bool:
        """Deliver what is left within ``timeout`` seconds; True when everything was sent."""
        self._deadline = time.monotonic() + timeout
        self._finishing.set()
        self.caught_up.clear()
        self._wake.set()
        self._thread.join(timeout + 1.0)
        delivered = self.caught_up.is_set() and not self._thread.is_alive()
        if not delivered:
            warnings.warn(
                f"Runicorn: run {self.run_id} was not fully pushed to {self.url} within "
                f"{timeout:.0f} s; `runicorn sync {self.root} {self.url}` delivers the rest",
                RuntimeWarning,
                stacklevel=2,
            )
        self.client.close()
        return delivered


def start_live_push(root: Path, folder: Path, run_id: str, url: str) -> LivePusher | None:
    """A started pusher for the run folder ``folder`` under ``root``, or None (one warning)
    when it cannot start: the run records locally either way."""
    from runicorn import config

    try:
        relative = Path(folder).resolve().relative_to(Path(root).resolve()).as_posix()
        pusher = LivePusher(
            root, relative, run_id, url, config.push_token(), interval=config.push_interval()
        )
        return pusher.start()
    except Exception as exc:
        warnings.warn(
            f"Runicorn: live push to {url} is off for run {run_id}: {exc}",
            RuntimeWarning,
            stacklevel=2,
        )
        return None
