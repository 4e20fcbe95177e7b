"""The SDK's background writer: the only code that appends to a run's ``events.jsonl``.

The training thread only encodes lines into memory (:meth:`RunWriter.add_event`); this thread
appends them every flush interval (or sooner once 1 MiB is waiting), refreshes the heartbeat in
``status.json`` and the index. A failed append (full disk, vanished root) is undone byte-exactly
and retried later, so the file never holds a torn line in its middle; while writes fail, memory
stays bounded by dropping the oldest buffered lines and counting them.
"""

from __future__ import annotations

import contextlib
import os
import threading
import time
from collections import deque
from collections.abc import Callable
from pathlib import Path
from typing import Any

from runicorn.config import SdkSettings
from runicorn.storage.events import EVENTS_FILE, MetricStats
from runicorn.storage.events_digest import (
    alerts_in_lines,
    event_from_line,
    last_event_time,
    write_digest,
)
from runicorn.storage.run_files import LOGS_FILE, EventsDigest

DROPPED_SUMMARY_KEY = "runicorn/dropped_events"

SYNC_WAIT_AT_EXIT = 10.0
"""Seconds interpreter exit waits for finished runs' files to reach the disk."""


class BackgroundSync:
    """fsyncs the files of finished runs on a daemon thread.

    ``finish`` has written everything before it returns, so a killed process loses nothing;
    only a power cut in the few milliseconds before this thread gets to the files could. An
    fsync costs several milliseconds per file on many disks, which dominated short runs.
    Interpreter exit and SIGTERM wait for what is queued (:meth:`wait`).
    """

    def __init__(self) -> None:
        self._forget_thread()
        # A fork can happen while the thread holds the lock: the child starts afresh.
        if hasattr(os, "register_at_fork"):  # POSIX only; Windows does not fork
            os.register_at_fork(after_in_child=self._forget_thread)

    def _forget_thread(self) -> None:
        self._condition = threading.Condition()
        self._queue: deque[list[Path]] = deque()
        self._busy = 0
        self._thread: threading.Thread | None = None

    def sync_later(self, paths: list[Path]) -> None:
        """Queue ``paths`` (files, then their folder, so renames are durable too)."""
        with self._condition:
            self._queue.append(paths)
            self._busy += 1
            if self._thread is None:
                self._thread = threading.Thread(
                    target=self._work, name="runicorn-fsync", daemon=True
                )
                self._thread.start()
            self._condition.notify_all()

    def wait(self, timeout: float) -> bool:
        """Wait until everything queued by this process is on disk; False on timeout."""
        with self._condition:
            return self._condition.wait_for(lambda: self._busy == 0, timeout)

    def _work(self) -> None:
        while True:
            with self._condition:
                self._condition.wait_for(lambda: bool(self._queue))
                paths = self._queue.popleft()
            for path in paths:
                _fsync_path(path)
            with self._condition:
                self._busy -= 1
                self._condition.notify_all()


def _fsync_path(path: Path) -> None:
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return  # a file the run never wrote
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


background_sync = BackgroundSync()


class _AppendFile:
    """An append-only file kept open, whose failed writes are rolled back."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._fd: int | None = None

    def append(self, data: bytes) -> int:
        """Append ``data``; returns the file's size before it (where ``data`` begins)."""
        if self._fd is None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
        fd = self._fd
        size = os.fstat(fd).st_size
        try:
            view = memoryview(data)
            while view:
                written = os.write(fd, view)
                view = view[written:]
        except OSError:
            # A partial write would leave half a line that the next append glues onto: undo it.
            try:
                os.ftruncate(fd, size)
            except OSError:
                self.close()
            raise
        return size

    def sync(self) -> None:
        if self._fd is not None:
            os.fsync(self._fd)

    def close(self) -> None:
        if self._fd is not None:
            fd, self._fd = self._fd, None
            with contextlib.suppress(OSError):
                os.close(fd)


class RunWriter:
    """Buffers a run's event lines and log text, and writes them from a daemon thread."""

    def __init__(
        self,
        run_path: Path,
        settings: SdkSettings,
        *,
        on_heartbeat: Callable[[MetricStats, bool], None],
        warn: Callable[[str, str], None],
        resumed: EventsDigest | None = None,
        on_first_tick: Callable[[], None] | None = None,
    ) -> None:
        """``on_first_tick`` runs on this thread one flush interval after :meth:`start`, if the
        run still goes on then: what a run that ends sooner never needs (a sampler thread).
        ``resumed`` is what the run's existing events hold when it continues an earlier run."""
        self.settings = settings
        self._on_first_tick = on_first_tick
        self.run_path = run_path
        # What reached events.jsonl, as its readers fold it: stored at finish so that indexing
        # the run need not parse the file again. ``_digest_exact`` turns False when the file
        # and the statistics may disagree (lines dropped, another writer appending).
        self.digest = resumed or EventsDigest()
        self._digest_exact = True
        self.stats = self.digest.stats
        self.dropped_events = 0
        self._events = _AppendFile(run_path / EVENTS_FILE)
        self._logs = _AppendFile(run_path / LOGS_FILE)
        self._on_heartbeat = on_heartbeat
        self._warn = warn
        self._io_lock = threading.Lock()
        # The training thread appends on the right and this thread pops on the left: deque's
        # append/popleft are atomic, so neither side takes a lock. ``lines`` holds encoded event
        # lines, ``rows`` the data of metrics events (for the statistics; the two need not line
        # up), ``_log_queue`` log text. ``pending_bytes`` is an estimate used to wake this
        # thread early; the memory bound is enforced from exact sizes.
        self.lines: deque[bytes] = deque()
        self.rows: deque[dict[str, Any]] = deque()
        self._log_queue: deque[bytes] = deque()
        # Events whose encoding is work (binning a histogram): made into lines at the flush.
        self._deferred: deque[tuple[Callable[[], bytes], int]] = deque()
        self.pending_bytes = 0
        self.flush_bytes = settings.flush_bytes
        # Extra event lines to append at each flush, after the statistics (the run's alerts).
        self.on_batch: Callable[[], list[bytes]] | None = None
        self._wake = threading.Event()
        self._stopping = threading.Event()
        self._failing_since: float | None = None
        # init has just written status.json and the index: the first heartbeat is due in one
        # interval, not at the first flush, when a fast loop would have to wait for it.
        self._last_heartbeat = time.monotonic()
        self._thread = threading.Thread(target=self._loop, name="runicorn-writer", daemon=True)

    def start(self) -> None:
        """Start the background thread."""
        self._thread.start()

    def wake(self) -> None:
        """Ask for a flush now rather than at the next interval."""
        self._wake.set()

    def add_event(self, line: bytes, metrics: dict[str, Any] | None) -> None:
        """Queue one encoded event line (``metrics`` is its data when it is a metrics event)."""
        self.lines.append(line)
        if metrics is not None:
            self.rows.append(metrics)
        self.pending_bytes += len(line)
        if self.pending_bytes >= self.flush_bytes:
            self._wake.set()

    def add_deferred(self, encode: Callable[[], bytes], held_bytes: int) -> None:
        """Queue an event that ``encode`` turns into its line on this thread, at the flush."""
        self._deferred.append((encode, held_bytes))
        self.pending_bytes += held_bytes
        if self.pending_bytes >= self.flush_bytes:
            self._wake.set()

    def _encode_deferred(self) -> list[bytes]:
        lines: list[bytes] = []
        for encode, held in self._take(self._deferred):
            self.pending_bytes = max(0, self.pending_bytes - held)
            try:
                lines.append(encode())
            except Exception as exc:  # one bad event must not cost the batch
                self._warn("deferred", f"Runicorn could not encode an event: {exc!r}")
        return lines

    def add_log(self, text: str) -> None:
        """Queue text for ``logs.txt``."""
        data = text.encode("utf-8", "replace")
        self._log_queue.append(data)
        self.pending_bytes += len(data)
        if self.pending_bytes >= self.flush_bytes:
            self._wake.set()

    def _loop(self) -> None:
        interval = self.settings.flush_interval
        first_tick = self._on_first_tick
        while not self._stopping.is_set():
            self._wake.wait(interval)
            self._wake.clear()
            if self._stopping.is_set():
                break
            try:
                if first_tick is not None:
                    callback = first_tick
                    first_tick = None
                    callback()
                self.flush()
            except Exception as exc:  # the writer must never die: warn and keep going
                self._warn("writer", f"Runicorn background writer error: {exc!r}")

    @staticmethod
    def _take(queue: deque[Any]) -> list[Any]:
        """What ``queue`` holds now; items appended meanwhile stay for the next call."""
        return [queue.popleft() for _ in range(len(queue))]

    def _give_back(self, lines: list[bytes], logs: list[bytes]) -> None:
        """Put unwritten data back at the front, dropping the oldest beyond the memory bound."""
        self.lines.extendleft(reversed(lines))
        self._log_queue.extendleft(reversed(logs))
        held = sum(map(len, self.lines)) + sum(map(len, self._log_queue))
        limit = self.settings.max_buffer_bytes
        while held > limit and (self.lines or self._log_queue):
            queue = self.lines if self.lines else self._log_queue
            held -= len(queue.popleft())
            self.dropped_events += 1
        self.pending_bytes = held

    def flush(self, *, fsync: bool = False, force_heartbeat: bool = False) -> bool:
        """Write everything buffered; True when it all reached the files.

        Statistics follow what was logged even while writes fail, so that holding unwritten
        data costs only its bytes.
        """
        with self._io_lock:
            lines = self._take(self.lines)
            lines.extend(self._encode_deferred())
            logs = self._take(self._log_queue)
            self.pending_bytes = max(
                0, self.pending_bytes - sum(map(len, lines)) - sum(map(len, logs))
            )
            self.stats.add_batch(self._take(self.rows))
            if self.on_batch is not None:
                lines.extend(self.on_batch())
            ok = True
            if lines or logs:
                try:
                    if lines:
                        data = b"".join(lines)
                        self._note_written(self._events.append(data), data)
                        lines = []
                    if logs:
                        self._logs.append(b"".join(logs))
                        logs = []
                    if fsync:
                        self._events.sync()
                        self._logs.sync()
                except OSError as exc:
                    ok = False
                    self._give_back(lines, logs)
                    if self._failing_since is None:
                        self._failing_since = time.time()
                        self._warn(
                            "write",
                            f"Runicorn cannot write the run's files ({exc}); training goes on "
                            "and the data is kept in memory until a write succeeds.",
                        )
            if ok and self._failing_since is not None:
                self._failing_since = None
                self._warn("write-recovered", "Runicorn writes succeed again; buffered data saved.")
            now = time.monotonic()
            if force_heartbeat or now - self._last_heartbeat >= self.settings.heartbeat_interval:
                self._last_heartbeat = now
                self._on_heartbeat(self.stats, ok)
            return ok

    def _note_written(self, start: int, data: bytes) -> None:
        """Follow the events file in the digest: its end, last event time and alerts."""
        digest = self.digest
        if start != digest.offset:
            self._digest_exact = False  # bytes this writer did not write (another process)
        digest.offset = start + len(data)
        newest = _newest_event_time(data)
        if newest is not None:
            digest.last_event_time = newest
        digest.alerts.extend(alerts_in_lines(self.run_path.name, data))

    def write_digest(self) -> bool:
        """Store the digest of the events written, at the end of the run; False when the file
        may not hold exactly what the statistics saw (then readers fold the file itself)."""
        settled = not (self.lines or self.rows or self._deferred or self.dropped_events)
        if not (self._digest_exact and settled) or self.digest.offset == 0:
            return False
        digest = self.digest
        write_digest(
            self.run_path, digest.offset, self.stats, digest.last_event_time, digest.alerts
        )
        return True

    def stop(self) -> None:
        """Stop the thread (without the final flush, which the caller does with fsync)."""
        self._stopping.set()
        self._wake.set()
        if self._thread.is_alive() and self._thread is not threading.current_thread():
            self._thread.join(timeout=5.0)

    def close(self) -> None:
        """Close the files."""
        self._events.close()
        self._logs.close()

    def warn_if_stalled(self) -> None:
        """Tell the user when data is still unwritten at the end of the run."""
        unwritten = sum(map(len, self.lines)) + sum(map(len, self._log_queue))
        if unwritten:
            self._warn(
                "lost",
                f"Runicorn could not write {unwritten} bytes of this run's data before exit; "
                "they are lost.",
            )


def _newest_event_time(data: bytes) -> float | None:
    """The time of the last event among complete lines ``data`` (its last line, as a rule)."""
    body = data.rstrip(b"\n")
    event = event_from_line(body[body.rfind(b"\n") + 1 :])
    if event is not None and (newest := last_event_time([event])) is not None:
        return newest
    events = map(event_from_line, body.split(b"\n"))
    return last_event_time([event for event in events if event is not None])
