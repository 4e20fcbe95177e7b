"""The recording SDK: ``init`` a run, ``log`` metrics, ``finish``.

Promise to the training script: after ``init`` returns, nothing here raises or blocks. ``log``
encodes one line into memory and returns; a background writer (:mod:`runicorn.writer`) does the
I/O. Any internal failure becomes a single warning and the run goes on recording what it can.
"""

from __future__ import annotations

import atexit
import contextlib
import logging
import math
import operator
import os
import signal
import sys
import threading
import time
import traceback
import warnings
from collections.abc import Callable, Iterable, Mapping
from functools import partial
from pathlib import Path
from types import FrameType, TracebackType
from typing import TYPE_CHECKING, Any, NoReturn

import orjson

from runicorn import config as runicorn_config
from runicorn.errors import InvalidNameError
from runicorn.histogram import Histogram, held_bytes, histogram_event_line
from runicorn.legacy import (
    LegacyNoOpMethods,
    LegacyRunMethods,
    is_enabled,
    project_and_name,
    split_legacy_keys,
)
from runicorn.media import save_image
from runicorn.storage.backends import SQLiteStorageBackend, index_path
from runicorn.storage.events import EVENTS_FILE, STEP_KEY, MetricStats
from runicorn.storage.events_digest import DIGEST_FILE
from runicorn.storage.jsonio import atomic_write_json, dumps, encode_nonfinite, read_json
from runicorn.storage.layout import (
    iter_run_dirs,
    new_run_id,
    run_dir,
    validate_name,
    validate_run_id,
)
from runicorn.storage.liveness import process_start_time, this_host
from runicorn.storage.models import ExperimentRecord
from runicorn.storage.run_files import (
    ENVIRONMENT_FILE,
    LOGS_FILE,
    MEDIA_DIR,
    META_FILE,
    STATUS_FILE,
    SUMMARY_FILE,
    EventsDigest,
    to_timestamp,
)
from runicorn.writer import (
    DROPPED_SUMMARY_KEY,
    SYNC_WAIT_AT_EXIT,
    RunWriter,
    background_sync,
)

if TYPE_CHECKING:
    from runicorn.artifacts.artifact import Artifact
    from runicorn.artifacts.writer import ArtifactHandle, RunArtifactWriter, StoredArtifact

__all__ = [
    "NoOpRun",
    "Run",
    "alert",
    "finish",
    "get_active_run",
    "init",
    "log",
    "log_image",
    "log_text",
    "summary",
]

_RESERVED_KEYS = ("global_step", "time", "stage")
_DURABLE_FILES = (EVENTS_FILE, LOGS_FILE, META_FILE, STATUS_FILE, SUMMARY_FILE, DIGEST_FILE)
_NUMBER_TYPES = frozenset({float, int})
_LEGACY_KEYS = frozenset({STEP_KEY, "step", "stage"})
MAX_KEY_LENGTH = 256
"""The longest metric key ``log`` accepts, in characters; longer keys are skipped with a warning."""
_FORBIDDEN_KEY_CHARS = ("\x00", "\n", "\r")
# orjson's integer range: a larger int cannot be encoded, so it is refused per key.
_INT_MIN, _INT_MAX = -(2**63), 2**64 - 1
# The types whose ``.item()`` gave a float (0-d tensors, NumPy scalars), which ``log`` converts
# in bulk once it has met them; with plain numbers, the types of a dict it needs no check for.
_ITEM_TYPES: set[type] = set()
_SCALAR_TYPES: set[type] = {float, int}
# Steps are stored in SQLite's signed 64-bit integers.
_STEP_MIN, _STEP_MAX = -(2**63), 2**63 - 1
_active_run: Run | NoOpRun | None = None
_live_runs: list[Run] = []
_hooks_installed = False
_hooks_lock = threading.Lock()
_INDEX_RETRY_SECONDS = 30.0


class _WarnOnce:
    """Emits each kind of warning once per run, so a bad value in a loop warns one time."""

    def __init__(self) -> None:
        self._seen: set[str] = set()
        self._lock = threading.Lock()

    def __call__(self, kind: str, message: str) -> None:
        with self._lock:
            if kind in self._seen:
                return
            self._seen.add(kind)
        warnings.warn(message, RuntimeWarning, stacklevel=_caller_stacklevel())


_PACKAGE_DIR = os.path.dirname(os.path.abspath(__file__))


def _caller_stacklevel() -> int:
    """The ``stacklevel`` that points a warning at the first frame outside Runicorn."""
    frame = sys._getframe(1)
    level = 1
    while frame is not None and frame.f_code.co_filename.startswith(_PACKAGE_DIR):
        frame = frame.f_back  # type: ignore[assignment]
        level += 1
    return level


def _clean_value(value: Any) -> float | int | None:
    """A loggable number from ``value`` (NumPy scalars, 0-d tensors, bools), else None.

    A tensor costs exactly one ``.item()``: the one device synchronisation the user's own
    ``.item()`` would have caused, and nothing else (``item`` refuses tensors of several values).
    """
    kind = type(value)
    if kind is float:
        return value  # type: ignore[no-any-return]
    if kind is int:
        return value if _INT_MIN <= value <= _INT_MAX else None
    item = getattr(value, "item", None)
    if item is not None:
        try:
            result = item()
        except Exception:
            return None
        if type(result) is float:
            _ITEM_TYPES.add(type(value))
            _SCALAR_TYPES.add(type(value))
            return result
        value = result
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, int):
        return int(value) if _INT_MIN <= value <= _INT_MAX else None
    if isinstance(value, float):
        return float(value)
    return None


def _describe(value: Any) -> str:
    """Why ``value`` is not a loggable number, for the one warning about its key."""
    if isinstance(value, int) and not isinstance(value, bool):
        return f"{value} does not fit in 64 bits"
    return f"{type(value).__name__} is not a number"


def _clean_step(step: Any) -> int | None:
    """``step`` as a storable whole number, else None (bools, fractions, beyond 64 bits)."""
    if type(step) is not int:
        if isinstance(step, bool):
            return None
        if isinstance(step, float):
            if not step.is_integer():
                return None
            step = int(step)
        else:
            try:
                step = operator.index(step)
            except TypeError:
                return None
    return step if _STEP_MIN <= step <= _STEP_MAX else None


def _key_problem(key: str) -> str | None:
    """Why ``key`` cannot name a metric, or None when it can."""
    if not key:
        return "is empty"
    if len(key) > MAX_KEY_LENGTH:
        return f"is {len(key)} characters long (the limit is {MAX_KEY_LENGTH})"
    if any(char in key for char in _FORBIDDEN_KEY_CHARS):
        return "contains a NUL, newline or carriage return"
    return None


class _SharedIndexes:
    """The index connections of this process, one per storage root, kept across runs.

    Opening ``index.db`` and closing it (a WAL checkpoint) costs more than a short run, so a
    sweep of a thousand runs reuses one connection. The least recently used beyond
    :data:`MAX_OPEN` are closed, and all of them at interpreter exit. A connection whose file was
    replaced meanwhile (``runicorn reindex`` moving a damaged index aside) is reopened.
    """

    MAX_OPEN = 4

    def __init__(self) -> None:
        self._forget_connections()
        # A forked child must not use the parent's connections (nor a lock held at the fork).
        if hasattr(os, "register_at_fork"):  # POSIX only; Windows does not fork
            os.register_at_fork(after_in_child=self._forget_connections)

    def _forget_connections(self) -> None:
        self._lock = threading.Lock()
        self._open: dict[Path, SQLiteStorageBackend] = {}
        self._files: dict[Path, tuple[int, int]] = {}

    def get(self, root: Path) -> SQLiteStorageBackend:
        path = index_path(root)
        closing: list[SQLiteStorageBackend] = []
        with self._lock:
            index = self._open.pop(root, None)
            if index is not None and self._files.get(root) != _file_identity(path):
                closing.append(index)
                index = None
            if index is None:
                index = SQLiteStorageBackend(path)
                self._files[root] = _file_identity(path)
            self._open[root] = index  # now the most recently used
            stale = list(self._open)[: -self.MAX_OPEN]
            closing += [self._open.pop(old) for old in stale]
        for old_index in closing:
            with contextlib.suppress(Exception):
                old_index.close()
        return index

    def discard(self, root: Path, index: SQLiteStorageBackend) -> None:
        """Close a connection that failed, so the next call opens a fresh one."""
        with self._lock:
            if self._open.get(root) is index:
                del self._open[root]
        with contextlib.suppress(Exception):
            index.close()

    def close_all(self) -> None:
        with self._lock:
            closing = list(self._open.values())
            self._open = {}
        for index in closing:
            with contextlib.suppress(Exception):
                index.close()


def _file_identity(path: Path) -> tuple[int, int]:
    try:
        status = os.stat(path)
    except OSError:
        return (0, 0)
    return (status.st_dev, status.st_ino)


_shared_indexes = _SharedIndexes()


class Run(LegacyRunMethods):
    """A run being recorded. Made by :func:`init`; every method is safe to call at any time."""

    def __init__(
        self,
        *,
        root: Path,
        project: str,
        name: str,
        run_id: str,
        config: dict[str, Any],
        tags: list[str],
        notes: str,
        settings: runicorn_config.SdkSettings,
        resume_from: ExperimentRecord | None,
        events: EventsDigest | None,
    ) -> None:
        self.root = root
        self.project = project
        self.name = name
        self.id = run_id
        self.path = run_dir(root, project, name, run_id)
        self.config = config
        self.tags = tags
        self.notes = notes
        self.settings = settings
        self._warn = _WarnOnce()
        self._pusher: Any = None  # runicorn.pusher.LivePusher when init(sync=...) pushes live
        self._lock = threading.Lock()
        # Metric keys already checked: a dict made only of them skips the per-key checks.
        self._good_keys: set[str] = set()
        self._bulk_items = True
        # rn.Histogram values of the log() call under way, queued once its step is known.
        self._histograms: list[tuple[str, Histogram]] = []
        self._step = resume_from.last_step if resume_from else 0
        self._summary: dict[str, Any] = dict(resume_from.summary) if resume_from else {}
        self._summary_dirty = bool(self._summary)
        self._created_at = (resume_from.created_at if resume_from else None) or time.time()
        self._started_at = time.time()
        self._status = "running"
        self._ended_at: float | None = None
        self._exit_reason: str | None = None
        self._exit_code: int | None = None
        self._finished = False
        self._media_count = 0
        self._index_retry_at = 0.0
        self._index_needs_full = True
        self._pid = os.getpid()
        self._pid_started_at = process_start_time(self._pid)
        self._writer = RunWriter(
            self.path,
            settings,
            on_heartbeat=self._heartbeat,
            warn=self._warn,
            resumed=events,
            on_first_tick=self._start_deferred_helpers,
        )
        self._sample_system = False
        self._console: Any = None
        self._sampler: Any = None
        self._alerts: Any = None
        self._artifacts: RunArtifactWriter | None = None

    def log(
        self,
        data: Mapping[str, Any] | None = None,
        step: int | None = None,
        *,
        stage: str | None = None,
        **metrics: Any,
    ) -> None:
        """Record scalar metrics at ``step`` (default: the previous step + 1). Never raises.

        This is the hot path of a training loop: it copies the dict, encodes one line and
        queues it, with no I/O and no lock. Call it from one thread, or pass ``step``.
        """
        if self._finished:
            self._warn("log-after-finish", f"run {self.id} is finished; log() calls are ignored")
            return
        try:
            if metrics or data is None:  # the original SDK's run.log(loss=0.5)
                data = {**(data or {}), **metrics}
            if type(data) is dict and self._good_keys.issuperset(data):
                if _NUMBER_TYPES.issuperset(map(type, data.values())):
                    record = data.copy()
                elif self._bulk_items:
                    record = self._numbers(data)
                else:
                    record = self._clean(data)
            else:
                if isinstance(data, Mapping) and not _LEGACY_KEYS.isdisjoint(data):
                    # the original SDK let scripts pass the step and stage as keys
                    data, step, stage = split_legacy_keys(data, step, stage)
                record = self._clean(data)
            now = time.time()
            if step is None:
                current = self._step = self._step + 1
            else:
                checked = _clean_step(step)
                if checked is None:
                    self._warn(
                        "step",
                        f"step must be a whole number that fits in 64 bits, got {step!r}; "
                        "such log() calls are skipped",
                    )
                    return
                current = self._step = checked
            if self._histograms:
                self._queue_histograms(current, now)
                if not record:
                    return
            record["global_step"] = current
            record["time"] = now
            if stage is not None:
                record["stage"] = str(stage)
            if self._primary is not None:
                self._observe_primary(record)
            # orjson hands back bytes inside a ~4 KiB allocation; concatenating the newline
            # makes an exact-size copy, so a queued line costs its length, not 4 KiB.
            try:
                line = orjson.dumps({"ts": now, "type": "metrics", "data": record}) + b"\n"
            except TypeError:  # an int beyond 64 bits, or a tensor's complex value
                # Cleaned from the converted values, so no tensor is read (synchronised) twice.
                record = {
                    **self._clean({k: v for k, v in record.items() if k not in _RESERVED_KEYS}),
                    **{k: record[k] for k in _RESERVED_KEYS if k in record},
                }
                line = orjson.dumps({"ts": now, "type": "metrics", "data": record}) + b"\n"
            if b"null" in line:  # orjson writes NaN/Infinity as null: keep them as tokens
                line = self._encode_nonfinite(now, record)
            writer = self._writer
            writer.lines.append(line)
            writer.rows.append(record)
            writer.pending_bytes += len(line)
            if writer.pending_bytes >= writer.flush_bytes:
                writer.wake()
        except Exception as exc:
            self._warn("log-error", f"Runicorn could not record a log() call: {exc!r}")

    def _queue_histograms(self, step: int, now: float) -> None:
        """Hand this call's histograms to the writer, which bins them on its thread."""
        pending, self._histograms = self._histograms, []
        for key, histogram in pending:
            if histogram.problem is not None:
                self._warn(f"histogram:{key}", f"histogram {key!r}: {histogram.problem}; skipped")
                continue
            self._writer.add_deferred(
                partial(histogram_event_line, key, histogram, step, now), held_bytes(histogram)
            )

    def _clean(self, data: object) -> dict[str, Any]:
        """The loggable part of ``data``; each kind of problem warns once."""
        if self._histograms:  # left by a call that was skipped (a bad step)
            self._histograms = []
        if not isinstance(data, Mapping):
            self._warn("log-type", f"log() takes a dict of metrics, got {type(data).__name__}")
            return {}
        values: dict[str, Any] = {}
        good_keys = self._good_keys
        items: Iterable[tuple[Any, Any]] = data.items()
        for key, raw in items:
            if key not in good_keys and not self._accept_key(key):
                continue
            if type(raw) is Histogram:
                self._histograms.append((key, raw))
                continue
            value = _clean_value(raw)
            if value is None:
                self._warn(
                    f"value:{key}", f"metric {key!r}: {_describe(raw)}; the value is skipped"
                )
                continue
            values[key] = value
        return values

    def _numbers(self, data: dict[str, Any]) -> dict[str, Any]:
        """``data`` (checked keys, not all plain numbers) with every value a plain number.

        0-d tensors and NumPy scalars, alone or among floats, are converted in one C-level
        loop, each by exactly one ``.item()``: the device synchronisation the user's own
        ``.item()`` would cause, never a second one. A bool tensor gives ``true``, which
        readers take as 1 (``as_float``).
        """
        values = data.values()
        try:
            if _ITEM_TYPES.issuperset(map(type, values)):
                return {key: value.item() for key, value in data.items()}
            if _SCALAR_TYPES.issuperset(map(type, values)):
                return {
                    key: value if type(value) in _NUMBER_TYPES else value.item()
                    for key, value in data.items()
                }
        except Exception:
            # A tensor of several values: the per-key path skips it with a warning. Converting
            # again would read the other tensors twice, so this run stays on that path.
            self._bulk_items = False
        return self._clean(data)

    def _accept_key(self, key: object) -> bool:
        """Whether ``key`` can name a metric; remembered when it can, warned once when not."""
        if not isinstance(key, str):
            self._warn("key-type", f"metric keys must be strings; {key!r} and such are skipped")
            return False
        if key in _RESERVED_KEYS:
            if key != STEP_KEY:
                self._warn(f"reserved:{key}", f"metric key {key!r} is reserved; it is skipped")
            return False
        problem = _key_problem(key)
        if problem is not None:
            shown = key if len(key) <= 60 else key[:60] + "…"
            self._warn(f"key:{key}", f"metric key {shown!r} {problem}; it is skipped")
            return False
        self._good_keys.add(key)
        return True

    @staticmethod
    def _encode_nonfinite(now: float, record: dict[str, Any]) -> bytes:
        encoded = {
            key: encode_nonfinite(value)
            if type(value) is float and not math.isfinite(value)
            else value
            for key, value in record.items()
        }
        return orjson.dumps({"ts": now, "type": "metrics", "data": encoded}) + b"\n"

    def summary(self, values: Mapping[str, Any]) -> None:
        """Merge ``values`` into the run's summary (``summary.json``). Never raises."""
        if self._finished:
            self._warn("summary-after-finish", f"run {self.id} is finished; summary() is ignored")
            return
        try:
            with self._lock:
                self._summary.update({str(k): v for k, v in dict(values).items()})
                self._summary_dirty = True
        except Exception as exc:
            self._warn("summary-error", f"Runicorn could not record a summary: {exc!r}")

    def log_text(self, text: str) -> None:
        """Append a line of free text to the run's ``logs.txt``. Never raises."""
        if self._finished:
            self._warn("text-after-finish", f"run {self.id} is finished; log_text() is ignored")
            return
        try:
            text = str(text)
            self._writer.add_log(text if text.endswith("\n") else text + "\n")
        except Exception as exc:
            self._warn("text-error", f"Runicorn could not record text: {exc!r}")

    def log_image(
        self,
        key: str,
        image: Any,
        step: int | None = None,
        caption: str | None = None,
    ) -> None:
        """Save an image (PIL image, NumPy array HxW[xC], or a file path) under ``media/``."""
        if self._finished:
            self._warn("image-after-finish", f"run {self.id} is finished; log_image() is ignored")
            return
        try:
            with self._lock:
                self._media_count += 1
                number = self._media_count
                at_step = self._step if step is None else int(step)
            safe_key = "".join(ch if ch.isalnum() or ch in "-_" else "_" for ch in str(key))[:64]
            media = self.path / MEDIA_DIR
            media.mkdir(parents=True, exist_ok=True)
            file_name = save_image(image, media, f"{safe_key}_{at_step}_{number}")
            data = {
                "key": str(key),
                "path": f"{MEDIA_DIR}/{file_name}",
                "step": at_step,
                "caption": caption,
            }
            now = time.time()
            self._writer.add_event(dumps({"ts": now, "type": "image", "data": data}) + b"\n", None)
        except Exception as exc:
            self._warn(f"image-error:{key}", f"Runicorn could not save image {key!r}: {exc!r}")

    def alert(self, title: str, text: str = "", level: str = "info") -> None:
        """Raise an alert by hand (``level``: info, warn or error). Never raises.

        It becomes an event in ``events.jsonl``, a console warning and a post to the configured
        webhooks, like the alerts of the run's monitors.
        """
        if self._finished:
            self._warn("alert-after-finish", f"run {self.id} is finished; alert() is ignored")
            return
        try:
            if self._alerts is not None:
                self._alerts.raise_alert(title, text, level, step=self._step or None)
        except Exception as exc:
            self._warn("alert-error", f"Runicorn could not raise an alert: {exc!r}")

    def _attach_alerts(self, monitors: Any) -> None:
        """Watch metrics with the run's rules (see :mod:`runicorn.monitors`) on the writer."""
        from runicorn.monitors import resolve_monitors, run_alerts

        settings = runicorn_config.alert_settings()
        rules = resolve_monitors(monitors, settings)
        alerts = run_alerts(self.id, self.project, self.name, rules, settings, self._index_alerts)
        self._alerts = alerts
        self._writer.on_batch = alerts.drain
        if rules:
            self._writer.stats.observer = alerts.observe

    def _index_alerts(self, records: list[Any]) -> bool:
        return self._index_call(lambda index: index.add_alerts(records))

    def logging_handler(self, level: int = logging.INFO) -> logging.Handler:
        """A :class:`logging.Handler` that writes records to this run's ``logs.txt``."""
        return _RunLogHandler(self, level)

    def _artifact_writer(self) -> RunArtifactWriter:
        with self._lock:
            if self._artifacts is None:
                from runicorn.artifacts.writer import RunArtifactWriter

                self._artifacts = RunArtifactWriter(
                    root=self.root,
                    run_id=self.id,
                    project=self.project,
                    run_path=self.path,
                    warn=self._warn,
                )
            return self._artifacts

    def log_artifact(
        self, artifact: Artifact, aliases: Iterable[str] | None = None
    ) -> ArtifactHandle:
        """Version ``artifact`` in the background; ``.wait()`` on the result gives the version."""
        return self._artifact_writer().log_artifact(artifact, aliases)

    def use_artifact(self, reference: str) -> StoredArtifact | None:
        """The version ``name:alias`` (latest, v3 ...) as used; None, with a warning, if unknown."""
        return self._artifact_writer().use_artifact(reference)

    def log_model(
        self,
        path: str | os.PathLike[str],
        name: str | None = None,
        *,
        aliases: Iterable[str] | None = None,
        metadata: dict[str, Any] | None = None,
        description: str = "",
    ) -> ArtifactHandle:
        """Version a checkpoint file or folder as a model this run produced."""
        return self._artifact_writer().log_path(
            "model", path, name, aliases=aliases, metadata=metadata, description=description
        )

    def log_dataset(  # type: ignore[override]
        self,
        name: str,
        root_or_uri: str | os.PathLike[str] | Mapping[str, Any],
        *,
        aliases: Iterable[str] | None = None,
        metadata: dict[str, Any] | None = None,
        description: str | None = None,
        **legacy: Any,
    ) -> ArtifactHandle | None:
        """Version a dataset file, folder or URI as one this run used (also kept in assets.json)."""
        super().log_dataset(name, root_or_uri, description=description, **legacy)
        if isinstance(root_or_uri, Mapping):
            return None
        return self._artifact_writer().log_path(
            "dataset", root_or_uri, name, aliases=aliases, metadata=metadata,
            description=description or "", edge="used",
        )  # fmt: skip

    def log_code(
        self, root: str | os.PathLike[str] | None = None, name: str = "code"
    ) -> ArtifactHandle:
        """Snapshot the source files (git-tracked, honouring .gitignore; size-capped)."""
        return self._artifact_writer().log_code(root, name)

    def _add_system_sample(self, sample: dict[str, float]) -> None:
        if self._finished or not sample:
            return
        now = time.time()
        self._writer.add_event(dumps({"ts": now, "type": "system", "data": sample}) + b"\n", None)

    def _start(self, *, capture_console: bool, capture_env: bool, system_metrics: bool) -> None:
        try:
            self.path.mkdir(parents=True, exist_ok=True)
            self._write_meta()
            self._write_status()
        except OSError as exc:
            self._warn(
                "write",
                f"Runicorn cannot create the run folder {self.path} ({exc}); training goes on and "
                "the data is kept in memory until a write succeeds.",
            )
        self._index_upsert_full()
        self._writer.start()
        if capture_console:
            self._start_console()
        if capture_env:
            self._start_environment_capture()
        self._sample_system = system_metrics

    def _start_deferred_helpers(self) -> None:
        """On the writer thread, once the run has lived a flush interval: the system sampler.

        A sweep of short runs then starts no sampler threads; the first sample of a longer run
        comes a flush interval later than it would at ``init``.
        """
        with self._lock:
            if self._sample_system and not self._finished:
                self._start_sampler()

    def _start_console(self) -> None:
        try:
            from runicorn.console import start_console_capture

            self._console = start_console_capture(self._writer.add_log)
        except Exception as exc:
            self._warn("console", f"Runicorn cannot capture the console: {exc!r}")

    def _start_sampler(self) -> None:
        try:
            from runicorn.system_metrics import SystemMetricsSampler

            self._sampler = SystemMetricsSampler(
                self._add_system_sample, self.settings.system_interval
            )
            self._sampler.start()
        except Exception as exc:
            self._warn("system", f"Runicorn cannot sample system metrics: {exc!r}")

    def _start_environment_capture(self) -> None:
        """Have environment.json written in the background; nothing ever waits for it."""
        try:
            from runicorn.environment import record_environment

            record_environment(self.path / ENVIRONMENT_FILE)
        except Exception as exc:
            self._warn("environment", f"Runicorn cannot record the environment: {exc!r}")

    def _meta(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "project": self.project,
            "name": self.name,
            "created_at": self._created_at,
            "pid": self._pid,
            "hostname": this_host(),
            "python": sys.version.split()[0],
            "platform": sys.platform,
            "config": self.config,
            "tags": self.tags,
            "notes": self.notes,
            **({"alias": self.alias} if self.alias else {}),
        }

    def _write_meta(self) -> None:
        meta_path = self.path / META_FILE
        existing = read_json(meta_path, {})
        meta = self._meta()
        if isinstance(existing, dict) and existing:
            # A resumed run's config, tags and notes were merged at init; fields written by
            # others (the original SDK's alias, say) stay.
            meta = {**existing, **meta}
        atomic_write_json(meta_path, meta, durable=False)  # synced at finish

    def _heartbeat_time(self) -> float:
        """Now, or the end of the run once it ended: a heartbeat never comes after the end."""
        ended_at = self._ended_at
        return time.time() if ended_at is None else ended_at

    def _status_document(self) -> dict[str, Any]:
        document = {
            "status": self._status,
            "started_at": self._started_at,
            "ended_at": self._ended_at,
            "heartbeat_at": self._heartbeat_time(),
            "heartbeat_interval": self.settings.heartbeat_interval,
            "hostname": this_host(),
            "pid": self._pid,
            "pid_started_at": self._pid_started_at,
            "exit_reason": self._exit_reason,
        }
        if self._exit_code is not None:
            document["exit_code"] = self._exit_code
        return document

    def _write_status(self) -> None:
        # While running, the file is rewritten every heartbeat: only the last one is synced.
        atomic_write_json(self.path / STATUS_FILE, self._status_document(), durable=False)

    def _summary_snapshot(self) -> dict[str, Any] | None:
        with self._lock:
            if self._writer.dropped_events:
                self._summary[DROPPED_SUMMARY_KEY] = self._writer.dropped_events
                self._summary_dirty = True
            if not self._summary_dirty:
                return None
            self._summary_dirty = False
            return dict(self._summary)

    def _heartbeat(self, stats: MetricStats, files_ok: bool) -> None:
        """Refresh status.json, summary.json and the index (runs on the writer thread)."""
        summary = self._summary_snapshot()
        if files_ok:
            try:
                self._write_status()
                if summary is not None:
                    atomic_write_json(self.path / SUMMARY_FILE, summary, durable=False)
            except OSError:
                with self._lock:
                    self._summary_dirty = self._summary_dirty or summary is not None
        self._index_progress(stats, summary)

    def _record(self) -> ExperimentRecord:
        return ExperimentRecord(
            id=self.id,
            project=self.project,
            name=self.name,
            path=self.path.relative_to(self.root).as_posix(),
            status=self._status,
            created_at=self._created_at,
            ended_at=self._ended_at,
            heartbeat_at=self._heartbeat_time(),
            hostname=this_host(),
            pid=self._pid,
            pid_started_at=self._pid_started_at,
            heartbeat_interval=self.settings.heartbeat_interval,
            exit_reason=self._exit_reason,
            config=self.config,
            summary=dict(self._summary),
            tags=self.tags,
            notes=self.notes,
            metrics=dict(self._writer.stats.records),
            last_step=self._step,
            alias=self.alias.strip() if self.alias and self.alias.strip() else None,
        )

    def _index_call(self, action: Callable[[SQLiteStorageBackend], None]) -> bool:
        """Run ``action`` on the index; a failure warns once and is retried later."""
        now = time.monotonic()
        if now < self._index_retry_at:
            return False
        index: SQLiteStorageBackend | None = None
        try:
            index = _shared_indexes.get(self.root)
            action(index)
            return True
        except Exception as exc:
            self._index_retry_at = now + _INDEX_RETRY_SECONDS
            self._index_needs_full = True
            if index is not None:
                _shared_indexes.discard(self.root, index)
            self._warn(
                "index",
                f"Runicorn cannot update the run index ({exc}); the run's files are intact "
                "and `runicorn reindex` rebuilds it.",
            )
            return False

    def _index_upsert_full(self) -> None:
        record = self._record()
        if self._index_call(lambda index: index.upsert_run(record)):
            self._index_needs_full = False

    def _index_progress(self, stats: MetricStats, summary: dict[str, Any] | None) -> None:
        if self._index_needs_full:
            self._index_upsert_full()
            return
        metrics = list(stats.records.values())
        self._index_call(
            lambda index: index.update_progress(
                self.id,
                status=self._status,
                heartbeat_at=self._heartbeat_time(),
                ended_at=self._ended_at,
                exit_reason=self._exit_reason,
                summary=summary,
                last_step=stats.last_step or self._step,
                metrics=metrics,
            )
        )

    def finish(
        self,
        status: str = "finished",
        *,
        exit_reason: str | None = None,
        exit_code: int | None = None,
    ) -> None:
        """End the run: flush and fsync everything, record ``status``. Safe to call twice.

        ``exit_code`` is the process's exit status when the run ends because the script exits
        with one (``sys.exit(2)``); it is kept in ``status.json``.

        In a forked child of the process that started the run this does nothing: the run is
        the parent's to end.
        """
        if os.getpid() != self._pid:
            return
        with self._lock:
            if self._finished:
                return
            self._finished = True
        try:
            self._stop_helpers()
            if self._artifacts is not None:
                self._artifacts.close()
            self._status = status
            self._exit_reason = exit_reason
            self._exit_code = exit_code
            self._ended_at = time.time()
            self._writer.stop()
            self._index_retry_at = 0.0  # the last chance to index the run: try whatever happened
            self._writer.flush(force_heartbeat=True)
            self._writer.warn_if_stalled()
            self._writer.close()
            self._write_events_digest()
            # Everything is written; reaching the disk (fsync) happens off the training thread.
            background_sync.sync_later(
                [
                    *(self.path / name for name in _DURABLE_FILES),
                    self.path,
                ]
            )
            if self._pusher is not None:
                self._pusher.finish()  # at most 30 s; `runicorn sync` delivers anything left
        except Exception as exc:
            self._warn("finish", f"Runicorn could not finish run {self.id} cleanly: {exc!r}")
        finally:
            _forget_run(self)

    def _write_events_digest(self) -> None:
        """Leave the statistics for indexers, so that they need not parse the events again."""
        try:
            self._writer.write_digest()
        except Exception as exc:  # the events stay whole: readers just fold them all
            self._warn("digest", f"Runicorn could not store the run's events digest: {exc!r}")

    def _stop_helpers(self) -> None:
        for helper in (self._sampler, self._console):
            if helper is not None:
                with contextlib.suppress(Exception):
                    helper.stop()

    def _fail(
        self,
        status: str,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        """Record a traceback in logs.txt and finish with ``status``."""
        if exc_type is not None and not self._finished:
            text = "".join(traceback.format_exception(exc_type, exc, tb))
            self._writer.add_log(text)
        reason = exc_type.__name__ if exc_type is not None else None
        self.finish(status, exit_reason=reason)

    def __enter__(self) -> Run:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if exc_type is None:
            self.finish()
        elif issubclass(exc_type, SystemExit):
            _finish_with_exit_code(self, exc.code if isinstance(exc, SystemExit) else None)
        elif issubclass(exc_type, KeyboardInterrupt):
            self._fail("interrupted", exc_type, exc, tb)
        else:
            self._fail("failed", exc_type, exc, tb)

    @property
    def step(self) -> int:
        """The last step recorded."""
        return self._step

    @property
    def status(self) -> str:
        """``running`` until finished, then the final status."""
        return self._status

    def __repr__(self) -> str:
        return f"<runicorn.Run {self.id} {self.project}/{self.name} {self._status}>"


class _RunLogHandler(logging.Handler):
    def __init__(self, run: Run, level: int) -> None:
        super().__init__(level)
        self.run = run
        self.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))

    def emit(self, record: logging.LogRecord) -> None:
        try:
            self.run.log_text(self.format(record))
        except Exception:
            self.handleError(record)


class NoOpRun(LegacyNoOpMethods):
    """What :func:`init` returns when recording is off: the same API, doing nothing."""

    id: str | None = None
    project: str | None = None
    name: str | None = None
    path: Path | None = None
    step = 0
    status = "disabled"
    config: dict[str, Any] = {}  # noqa: RUF012 - never mutated

    def log(
        self,
        data: Mapping[str, Any] | None = None,
        step: int | None = None,
        *,
        stage: str | None = None,
        **metrics: Any,
    ) -> None:
        """Do nothing."""

    def summary(self, values: Mapping[str, Any]) -> None:
        """Do nothing."""

    def log_text(self, text: str) -> None:
        """Do nothing."""

    def log_image(
        self, key: str, image: Any, step: int | None = None, caption: str | None = None
    ) -> None:
        """Do nothing."""

    def alert(self, title: str, text: str = "", level: str = "info") -> None:
        """Do nothing."""

    def logging_handler(self, level: int = logging.INFO) -> logging.Handler:
        """A handler that drops records."""
        return logging.NullHandler(level)

    def log_artifact(self, artifact: Any, aliases: Iterable[str] | None = None) -> ArtifactHandle:
        """Log nothing; the handle's ``wait()`` returns None."""
        from runicorn.artifacts.writer import ArtifactHandle

        handle = ArtifactHandle(str(getattr(artifact, "name", "")))
        handle._finish(None, "recording is off")
        return handle

    def use_artifact(self, reference: str) -> None:
        """Do nothing (returns None)."""

    def log_model(self, *_: Any, **__: Any) -> ArtifactHandle:
        """Log nothing."""
        return self.log_artifact(None)

    def log_code(self, *_: Any, **__: Any) -> ArtifactHandle:
        """Log nothing."""
        return self.log_artifact(None)

    def finish(self, status: str = "finished", *, exit_reason: str | None = None) -> None:
        """Do nothing."""
        global _active_run
        if _active_run is self:
            _active_run = None

    def __enter__(self) -> NoOpRun:
        return self

    def __exit__(self, *exc: object) -> None:
        self.finish()


def _find_existing(root: Path, project: str, name: str, run_id: str) -> Path | None:
    expected = run_dir(root, project, name, run_id)
    if expected.is_dir():
        return expected
    for path in iter_run_dirs(root):
        if path.name == run_id:
            return path
    return None


def _end_torn_line(path: Path) -> None:
    """End a last line left without its newline (a killed process), so that the resumed run's
    first line is not glued onto it and lost with it."""
    try:
        with path.open("rb") as handle:
            handle.seek(-1, os.SEEK_END)
            torn = handle.read(1) != b"\n"
        if torn:
            with path.open("ab") as handle:
                handle.write(b"\n")
    except OSError:
        return  # no events yet (or unreadable: the writer will say so)


def _resume_state(path: Path) -> tuple[ExperimentRecord, EventsDigest]:
    """What a resumed run continues from: config, tags, notes, summary, birth date, last step,
    and what its events hold (from their stored digest when it matches)."""
    _end_torn_line(path / EVENTS_FILE)
    events = EventsDigest()
    events.catch_up(path, path)
    stats = events.stats
    meta = read_json(path / META_FILE, {})
    meta = meta if isinstance(meta, dict) else {}
    summary = read_json(path / SUMMARY_FILE, {})
    record = ExperimentRecord(
        id=path.name,
        project=str(meta.get("project", "")),
        name=str(meta.get("name", "")),
        path="",
        created_at=to_timestamp(meta.get("created_at")),
        config=config if isinstance(config := meta.get("config"), dict) else {},
        summary=summary if isinstance(summary, dict) else {},
        tags=[str(tag) for tag in tags] if isinstance(tags := meta.get("tags"), list) else [],
        notes=notes if isinstance(notes := meta.get("notes"), str) else "",
        last_step=stats.last_step,
    )
    return record, events


def _normalize_config(config: Any) -> dict[str, Any]:
    if config is None:
        return {}
    if isinstance(config, Mapping):
        return {str(k): v for k, v in config.items()}
    for attr in ("to_dict", "_asdict", "__dict__"):
        value = getattr(config, attr, None)
        if callable(value):
            value = value()
        if isinstance(value, Mapping):
            return {str(k): v for k, v in value.items() if not str(k).startswith("_")}
    raise TypeError(
        f"config must be a dict (or an object with to_dict), got {type(config).__name__}"
    )


def _json_safe(value: Any) -> Any:
    """``value`` round-tripped through our encoder, so odd objects become their text."""
    return orjson.loads(dumps(value))


def init(
    project: str = "default",
    name: str = "default",
    *,
    config: Mapping[str, Any] | Any | None = None,
    tags: Iterable[str] | None = None,
    notes: str | None = None,
    run_id: str | None = None,
    resume: bool = False,
    storage: str | os.PathLike[str] | None = None,
    capture_console: bool = True,
    capture_env: bool = True,
    system_metrics: bool = True,
    mode: str = "online",
    monitors: Any = None,
    path: str | None = None,
    alias: str | None = None,
    snapshot_code: bool = False,
    workspace_root: str | os.PathLike[str] | None = None,
    sync: str | None = None,
) -> Run | NoOpRun:
    """Start recording a run and make it the active run.

    Raises :class:`ValueError` for an invalid ``project``, ``name`` or ``run_id``; after that,
    nothing the run does raises. ``mode="disabled"`` (or ``RUNICORN_MODE=disabled``) and
    processes of rank > 0 (``RANK``/``LOCAL_RANK``; set ``RUNICORN_ALL_RANKS=1`` to record them
    too) get a :class:`NoOpRun`, as does everything after ``set_enabled(False)``.

    The original SDK's ``path="cv/yolo/ablation"`` means project ``cv``, name
    ``yolo/ablation``; ``alias`` is kept in meta.json; ``snapshot_code`` zips the workspace
    (``workspace_root``, default the current folder) into the run.

    ``sync="https://team-server"`` (or ``RUNICORN_SYNC_URL``) also pushes the run live to a
    team server from a background thread, with the token in ``RUNICORN_TOKEN``.
    """
    global _active_run
    project, name = project_and_name(path, project, name)
    settings = runicorn_config.SdkSettings.from_env()
    validate_name(project, "project", allow_slash=False)
    validate_name(name, "name")
    if run_id is not None:
        validate_run_id(run_id)
    if mode not in ("online", "disabled"):
        raise ValueError(f"mode must be 'online' or 'disabled', got {mode!r}")
    if (
        mode == "disabled"
        or settings.mode == "disabled"
        or not is_enabled()
        or (runicorn_config.process_rank() > 0 and not runicorn_config.record_all_ranks())
    ):
        _active_run = NoOpRun()
        return _active_run
    config_dict = _json_safe(_normalize_config(config))
    tag_list = list(dict.fromkeys(str(tag) for tag in (tags or ())))
    root = runicorn_config.get_user_root_dir(storage)

    resume_from: ExperimentRecord | None = None
    events: EventsDigest | None = None
    if run_id is not None:
        existing = _find_existing(root, project, name, run_id)
        if existing is not None and not resume:
            raise InvalidNameError(
                f"run {run_id} already exists at {existing}; pass resume=True to continue it"
            )
        if existing is not None:
            resume_from, events = _resume_state(existing)
            if resume_from.project and resume_from.name:
                project, name = resume_from.project, resume_from.name
            # What the run had (including tags and notes edited in the viewer) stays; a config
            # or tags given at resume are merged in, notes given at resume replace the old ones.
            config_dict = {**resume_from.config, **config_dict}
            tag_list = list(dict.fromkeys([*resume_from.tags, *tag_list]))
            notes = resume_from.notes if notes is None else notes
    if _active_run is not None:
        _active_run.finish()

    run = Run(
        root=root,
        project=project,
        name=name,
        run_id=run_id or new_run_id(),
        config=config_dict,
        tags=tag_list,
        notes=notes or "",
        settings=settings,
        resume_from=resume_from,
        events=events,
    )
    run.alias = alias
    run._attach_alerts(monitors)
    _install_hooks()
    _live_runs.append(run)
    _active_run = run
    run._start(
        capture_console=capture_console, capture_env=capture_env, system_metrics=system_metrics
    )
    if snapshot_code:
        run.snapshot_code(workspace_root)
    live_url = runicorn_config.sync_url(sync)
    if live_url:
        from runicorn.pusher import start_live_push

        run._pusher = start_live_push(root, run.path, run.id, live_url)
    return run


def _forget_run(run: Run) -> None:
    global _active_run
    with contextlib.suppress(ValueError):
        _live_runs.remove(run)
    if _active_run is run:
        _active_run = None


def get_active_run() -> Run | NoOpRun | None:
    """The run the module-level functions act on."""
    return _active_run


def _active_or_warn(function: str) -> Run | NoOpRun | None:
    if _active_run is None:
        warnings.warn(
            f"runicorn.{function}() called with no active run; call runicorn.init() first",
            RuntimeWarning,
            stacklevel=3,
        )
    return _active_run


def log(data: Mapping[str, Any], step: int | None = None, *, stage: str | None = None) -> None:
    """:meth:`Run.log` on the active run."""
    run = _active_or_warn("log")
    if run is not None:
        run.log(data, step, stage=stage)


def summary(values: Mapping[str, Any]) -> None:
    """:meth:`Run.summary` on the active run."""
    run = _active_or_warn("summary")
    if run is not None:
        run.summary(values)


def log_text(text: str) -> None:
    """:meth:`Run.log_text` on the active run."""
    run = _active_or_warn("log_text")
    if run is not None:
        run.log_text(text)


def log_image(key: str, image: Any, step: int | None = None, caption: str | None = None) -> None:
    """:meth:`Run.log_image` on the active run."""
    run = _active_or_warn("log_image")
    if run is not None:
        run.log_image(key, image, step, caption)


def alert(title: str, text: str = "", level: str = "info") -> None:
    """:meth:`Run.alert` on the active run."""
    run = _active_or_warn("alert")
    if run is not None:
        run.alert(title, text, level)


def finish(status: str = "finished") -> None:
    """Finish the active run."""
    if _active_run is not None:
        _active_run.finish(status)


# Process hooks: an uncaught exception, SIGTERM and interpreter exit end runs with the right
# status.


def _runs_of_this_process() -> list[Run]:
    """Live runs started by this very process.

    A forked child (a DataLoader worker, a multiprocessing pool) inherits the parent's runs and
    our hooks; when it exits, is terminated or raises, the parent's run goes on.
    """
    pid = os.getpid()
    return [run for run in _live_runs if run._pid == pid]


def _finish_all(status: str, exit_reason: str | None = None) -> None:
    for run in _runs_of_this_process():
        run.finish(status, exit_reason=exit_reason)


def _exit_status(code: object) -> int:
    """The process exit status Python derives from ``sys.exit(code)``."""
    if code is None:
        return 0
    if isinstance(code, int):
        return int(code)
    return 1  # Python prints any other object and exits with 1


def _finish_with_exit_code(run: Run, code: object) -> None:
    status = _exit_status(code)
    if status == 0:
        run.finish()
    else:
        run.finish("failed", exit_reason="SystemExit", exit_code=status)


def _finish_at_exit() -> None:
    """At interpreter exit: ``finished``, or ``failed`` when ``sys.exit`` gave a non-zero code."""
    pid, code = _requested_exit
    for run in _runs_of_this_process():
        _finish_with_exit_code(run, code if pid == os.getpid() else None)
    background_sync.wait(SYNC_WAIT_AT_EXIT)


# (pid, code) of the last ``sys.exit`` called on a main thread; SystemExit skips the excepthook,
# so wrapping ``sys.exit`` is the one way the atexit hook can learn the exit code.
_requested_exit: tuple[int, object] = (0, None)


def _recording_exit(code: object = None) -> NoReturn:
    global _requested_exit
    if threading.current_thread() is threading.main_thread():
        _requested_exit = (os.getpid(), code)
    _previous_exit(code)


def _excepthook(
    exc_type: type[BaseException], exc: BaseException, tb: TracebackType | None
) -> None:
    status = "interrupted" if issubclass(exc_type, KeyboardInterrupt) else "failed"
    for run in _runs_of_this_process():
        with contextlib.suppress(Exception):
            run._fail(status, exc_type, exc, tb)
    _previous_excepthook(exc_type, exc, tb)


_previous_excepthook = sys.excepthook
_previous_exit: Callable[[Any], NoReturn] = sys.exit
_previous_sigterm: Any = signal.SIG_DFL


def _on_sigterm(signum: int, frame: FrameType | None) -> None:
    _finish_all("interrupted", exit_reason="SIGTERM")
    background_sync.wait(SYNC_WAIT_AT_EXIT)
    previous = _previous_sigterm
    if callable(previous):
        previous(signum, frame)
    elif previous == signal.SIG_DFL:
        signal.signal(signum, signal.SIG_DFL)
        os.kill(os.getpid(), signum)


def _install_hooks() -> None:
    global _hooks_installed, _previous_excepthook, _previous_exit, _previous_sigterm
    with _hooks_lock:
        if _hooks_installed:
            return
        _hooks_installed = True
    atexit.register(_shared_indexes.close_all)  # registered first, so it runs after the runs end
    atexit.register(_finish_at_exit)
    _previous_excepthook = sys.excepthook
    sys.excepthook = _excepthook
    _previous_exit = sys.exit
    sys.exit = _recording_exit
    if threading.current_thread() is threading.main_thread():
        try:
            _previous_sigterm = signal.getsignal(signal.SIGTERM)
            if _previous_sigterm != signal.SIG_IGN:
                signal.signal(signal.SIGTERM, _on_sigterm)
        except (ValueError, OSError):
            pass
