"""The original Runicorn SDK's names, so that its training scripts run unchanged.

``rn.init(path="cv/yolo/ablation", alias="best-v2", snapshot_code=True)``, ``set_enabled``,
``run.set_primary_metric``, ``run.log_config``, ``run.get_logging_handler``,
``run.log_dataset``, ``run.log_pretrained`` and ``run.watch_outputs`` map onto this SDK's run
folder: config goes to ``meta.json`` (and the index), the best value of the primary metric to
``summary.json``, datasets, pretrained weights, code snapshots and outputs to the run's
``assets.json`` (the original's file, which its importer reads too).
"""

from __future__ import annotations

import contextlib
import fnmatch
import functools
import logging
import os
import shutil
import threading
import time
import zipfile
from collections.abc import Callable, Iterable, Iterator, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

import orjson

from runicorn.storage.jsonio import atomic_write_json, dumps, read_json
from runicorn.storage.run_files import flatten_log_config

if TYPE_CHECKING:
    from runicorn.sdk import Run

ASSETS_FILE = "assets.json"
CODE_SNAPSHOT_FILE = "code_snapshot.zip"
OUTPUTS_DIR = "outputs"
PRIMARY_SUMMARY_KEYS = ("best_metric_name", "best_metric_value", "best_metric_step")
_SNAPSHOT_MAX_FILE_BYTES = 5 << 20
_SNAPSHOT_MAX_TOTAL_BYTES = 100 << 20
_SNAPSHOT_SKIP_DIRS = frozenset(
    {".git", ".hg", ".svn", "__pycache__", ".venv", "venv", "node_modules", ".mypy_cache"}
)

_enabled_override: bool | None = None


def is_enabled() -> bool:
    """Whether ``init`` records: ``set_enabled`` wins, else ``RUNICORN_ON``/``RUNICORN_MODE``."""
    if _enabled_override is not None:
        return _enabled_override
    from runicorn.config import SdkSettings

    return SdkSettings.from_env().mode != "disabled"


def set_enabled(flag: bool) -> None:
    """Turn recording on or off for every later ``init`` in this process."""
    global _enabled_override
    _enabled_override = bool(flag)


def reset_enabled() -> None:
    """Forget :func:`set_enabled`; the environment decides again."""
    global _enabled_override
    _enabled_override = None


@contextlib.contextmanager
def enabled(flag: bool) -> Iterator[None]:
    """``with rn.enabled(False): ...``: recording on or off inside the block only."""
    global _enabled_override
    previous = _enabled_override
    _enabled_override = bool(flag)
    try:
        yield
    finally:
        _enabled_override = previous


def project_and_name(path: str | None, project: str, name: str) -> tuple[str, str]:
    """The project and name for ``init``: the original's ``path`` split at its first ``/``.

    ``rn.init("cv/yolo")`` (the original's positional ``path``) is read the same way, since a
    project may not contain ``/``.
    """
    if path is None and "/" in project.strip("/") and name == "default":
        path = project  # "/lead" or "trail/" stay a project name, and fail its validation
    if path is None:
        return project, name
    cleaned = path.replace("\\", "/").strip("/")
    if not cleaned:
        return "default", "default"
    first, _, rest = cleaned.partition("/")
    return first, rest or "default"


class PrimaryMetric:
    """Best value of one metric and the step it was reached at (NaN never wins)."""

    def __init__(self, name: str, mode: str) -> None:
        if mode not in ("max", "min"):
            raise ValueError(f"mode must be 'max' or 'min', got {mode!r}")
        self.name = name
        self.mode = mode
        self.best: float | None = None
        self.best_step: int | None = None

    def observe(self, record: Mapping[str, Any]) -> dict[str, Any] | None:
        """The summary update when ``record`` holds a new best, else None."""
        value = record.get(self.name)
        if not isinstance(value, int | float) or isinstance(value, bool) or value != value:
            return None
        best = self.best
        if best is not None and (value <= best if self.mode == "max" else value >= best):
            return None
        self.best = float(value)
        step = record.get("global_step")
        self.best_step = step if isinstance(step, int) else None
        return self.summary()

    def summary(self) -> dict[str, Any]:
        """The keys the original SDK kept in ``summary.json``."""
        return {
            "best_metric_name": self.name,
            "best_metric_value": self.best,
            "best_metric_step": self.best_step,
            "best_metric_mode": self.mode,
        }


class RunConfig(dict[str, Any]):
    """A run's config that saves itself: ``run.config["lr"] = 1e-3``, ``run.config.update()``.

    Every change calls ``on_change`` (the run rewrites ``meta.json`` and refreshes its index
    row). Values are stored as their JSON form, the way ``init`` stores them.
    """

    def __init__(
        self,
        values: Mapping[str, Any] | None = None,
        on_change: Callable[[], None] | None = None,
    ) -> None:
        super().__init__(values or {})
        self._on_change = on_change

    def _changed(self) -> None:
        if self._on_change is not None:
            self._on_change()

    def __setitem__(self, key: str, value: Any) -> None:
        super().__setitem__(str(key), json_safe(value))
        self._changed()

    def __delitem__(self, key: str) -> None:
        super().__delitem__(key)
        self._changed()

    def update(self, *args: Any, **kwargs: Any) -> None:
        """Merge keys in, like :meth:`dict.update` (also takes an argparse namespace)."""
        merged: dict[str, Any] = {}
        for source in args:
            merged.update(as_mapping(source))
        merged.update(kwargs)
        super().update({str(k): json_safe(v) for k, v in merged.items()})
        self._changed()

    def setdefault(self, key: str, default: Any = None) -> Any:
        if key in self:
            return self[key]
        self[key] = default
        return self[key]

    def pop(self, key: str, *default: Any) -> Any:
        had = key in self
        value = super().pop(key, *default)
        if had:
            self._changed()
        return value

    def clear(self) -> None:
        super().clear()
        self._changed()

    def __ior__(self, other: Any) -> RunConfig:  # type: ignore[override,misc]
        self.update(other)
        return self


def json_safe(value: Any) -> Any:
    """``value`` as JSON would give it back (odd objects become their text)."""
    return orjson.loads(dumps(value))


def as_mapping(source: Any) -> dict[str, Any]:
    """A dict from a mapping, an ``argparse.Namespace``, a dataclass or an object's fields."""
    if source is None:
        return {}
    if isinstance(source, Mapping):
        return {str(k): v for k, v in source.items()}
    for attr in ("to_dict", "_asdict"):
        method = getattr(source, attr, None)
        if callable(method):
            value = method()
            if isinstance(value, Mapping):
                return {str(k): v for k, v in value.items()}
    fields = getattr(source, "__dict__", None)
    if isinstance(fields, Mapping):
        return {str(k): v for k, v in fields.items() if not str(k).startswith("_")}
    raise TypeError(f"expected a mapping or an object with fields, got {type(source).__name__}")


def _fingerprint(path: Path) -> dict[str, Any] | None:
    """Size, file count and newest modification time of a file or folder (cheap: no hashing)."""
    try:
        if path.is_file():
            stat = path.stat()
            return {"kind": "file", "size_bytes": stat.st_size, "mtime": stat.st_mtime}
        if path.is_dir():
            size = count = 0
            newest = 0.0
            for folder, _, files in os.walk(path):
                for file_name in files:
                    with contextlib.suppress(OSError):
                        stat = os.stat(os.path.join(folder, file_name))
                        size += stat.st_size
                        count += 1
                        newest = max(newest, stat.st_mtime)
            return {"kind": "dir", "total_size_bytes": size, "file_count": count, "mtime": newest}
    except OSError:
        return None
    return None


def _snapshot_files(workspace: Path) -> Iterator[tuple[Path, str]]:
    """Source files of ``workspace`` worth keeping: no VCS, caches, envs or large files."""
    for folder, dirs, files in os.walk(workspace):
        dirs[:] = sorted(d for d in dirs if d not in _SNAPSHOT_SKIP_DIRS and not d.startswith("."))
        for file_name in sorted(files):
            path = Path(folder) / file_name
            if path.is_symlink():
                continue
            yield path, path.relative_to(workspace).as_posix()


def snapshot_code(workspace: Path, target: Path) -> dict[str, Any]:
    """Zip the source files of ``workspace`` into ``target``; what was kept and skipped."""
    kept = skipped = total = 0
    target.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(target, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for path, arcname in _snapshot_files(workspace):
            if path == target or (path.suffix == ".zip" and path.parent == target.parent):
                continue
            try:
                size = path.stat().st_size
            except OSError:
                continue
            if size > _SNAPSHOT_MAX_FILE_BYTES or total + size > _SNAPSHOT_MAX_TOTAL_BYTES:
                skipped += 1
                continue
            archive.write(path, arcname)
            kept += 1
            total += size
    return {"files": kept, "skipped": skipped, "bytes": total}


class _OutputsWatcher:
    """Copies finished files of output folders into the run (``outputs/``), off the training
    thread: a file is copied once its size and time stay the same over ``stable_required``
    scans, and again whenever it changes."""

    def __init__(
        self,
        run: LegacyRunMethods,
        output_dirs: list[Path],
        patterns: list[str] | None,
        interval: float,
        stable_required: int,
    ) -> None:
        self.run = run
        self.output_dirs = output_dirs
        self.patterns = patterns
        self.interval = interval
        self.stable_required = max(1, stable_required)
        self._seen: dict[Path, tuple[tuple[int, float], int]] = {}
        self._copied: dict[Path, tuple[int, float]] = {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="runicorn-outputs", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self, timeout: float = 5.0) -> None:
        self._stop.set()
        if self._thread.is_alive() and threading.current_thread() is not self._thread:
            self._thread.join(timeout)

    def _loop(self) -> None:
        while not self._stop.is_set() and getattr(self.run, "status", "") == "running":
            with contextlib.suppress(Exception):
                self.scan()
            self._stop.wait(self.interval)

    def _wanted(self, rel: str) -> bool:
        if not self.patterns:
            return True
        return any(
            fnmatch.fnmatch(rel, p) or fnmatch.fnmatch(Path(rel).name, p) for p in self.patterns
        )

    def scan(self) -> int:
        """Copy the files that have become stable; how many were copied."""
        copied = 0
        run_path = self.run.path
        for base in self.output_dirs:
            if not base.is_dir():
                continue
            for folder, _, files in os.walk(base):
                for file_name in files:
                    path = Path(folder) / file_name
                    rel = path.relative_to(base).as_posix()
                    if path.is_symlink() or not self._wanted(rel):
                        continue
                    try:
                        stat = path.stat()
                    except OSError:
                        continue
                    state = (stat.st_size, stat.st_mtime)
                    previous, seen = self._seen.get(path, (None, 0))
                    seen = seen + 1 if previous == state else 1
                    self._seen[path] = (state, seen)
                    if seen < self.stable_required or self._copied.get(path) == state:
                        continue
                    target = run_path / OUTPUTS_DIR / base.name / rel
                    target.parent.mkdir(parents=True, exist_ok=True)
                    shutil.copy2(path, target)
                    self._copied[path] = state
                    copied += 1
                    self.run._update_assets(
                        functools.partial(_record_output, base=base, rel=rel, state=state)
                    )
        return copied


def _record_output(assets: dict[str, Any], base: Path, rel: str, state: tuple[int, float]) -> None:
    outputs = assets.setdefault("outputs", {})
    key = f"{base.name}/{rel}"
    outputs[key] = {
        "source": str(base / rel),
        "path": f"{OUTPUTS_DIR}/{key}",
        "size_bytes": state[0],
        "mtime": state[1],
        "archived_at": time.time(),
    }


class LegacyRunMethods:
    """The original SDK's run methods, mixed into :class:`runicorn.Run`."""

    alias: str | None = None
    _primary: PrimaryMetric | None = None
    _config: RunConfig
    _assets_lock: threading.Lock | None = None
    _watchers: list[_OutputsWatcher] | None = None

    if TYPE_CHECKING:
        path: Path
        _index_needs_full: bool
        _warn: Callable[[str, str], None]

        @property
        def status(self) -> str: ...
        def summary(self, values: Mapping[str, Any]) -> None: ...
        def logging_handler(self, level: int = logging.INFO) -> logging.Handler: ...
        def _write_meta(self) -> None: ...

    @property
    def config(self) -> RunConfig:
        """The run's config; changes are saved to ``meta.json`` and the index."""
        return self._config

    @config.setter
    def config(self, values: Mapping[str, Any]) -> None:
        self._config = RunConfig(values, on_change=self._config_changed)

    def _config_changed(self) -> None:
        try:
            self._write_meta()
            self._index_needs_full = True  # the writer thread upserts the whole row, config too
        except Exception as exc:
            self._warn("config-save", f"Runicorn could not save the config change: {exc!r}")

    def set_primary_metric(self, metric_name: str, mode: str = "max") -> None:
        """Track the best value of ``metric_name`` (``mode`` max or min) in the summary."""
        self._primary = PrimaryMetric(str(metric_name), mode)

    def _observe_primary(self, record: Mapping[str, Any]) -> None:
        primary = self._primary
        if primary is None:
            return
        update = primary.observe(record)
        if update is not None:
            self.summary(update)

    def log_config(
        self,
        *,
        args: Any = None,
        extra: Mapping[str, Any] | None = None,
        config_files: Iterable[str | os.PathLike[str]] | None = None,
    ) -> None:
        """Merge ``args`` (argparse namespace or dict), ``extra`` and file paths into config,
        flat, the way a migrated run's ``assets.json`` record is read (one rule for both)."""
        try:
            logged: dict[str, Any] = {"args": as_mapping(args), "extra": as_mapping(extra)}
            if config_files is not None:
                logged["config_files"] = [str(Path(p)) for p in config_files]
            self.config.update(flatten_log_config(logged))
        except Exception as exc:
            self._warn("log-config", f"Runicorn could not record the config: {exc!r}")

    def get_logging_handler(
        self, level: int = logging.INFO, fmt: str | None = None
    ) -> logging.Handler:
        """A :class:`logging.Handler` writing to the run's ``logs.txt`` (the original's name)."""
        handler = self.logging_handler(level)
        if fmt is not None:
            handler.setFormatter(logging.Formatter(fmt))
        return handler

    def _update_assets(self, change: Callable[[dict[str, Any]], None]) -> None:
        """Read, change and atomically rewrite the run's ``assets.json``."""
        if self._assets_lock is None:
            self._assets_lock = threading.Lock()
        with self._assets_lock:
            target = self.path / ASSETS_FILE
            assets = read_json(target, {})
            assets = assets if isinstance(assets, dict) else {}
            change(assets)
            atomic_write_json(target, assets)

    def log_dataset(
        self,
        name: str,
        root_or_uri: str | os.PathLike[str] | Mapping[str, Any],
        *,
        context: str = "train",
        save: bool = False,
        description: str | None = None,
        **_: Any,
    ) -> None:
        """Record which dataset the run used (path or URI, a size/mtime fingerprint)."""
        self._log_asset("datasets", name, root_or_uri, save, {"context": context}, description)

    def log_pretrained(
        self,
        name: str,
        *,
        path_or_uri: str | os.PathLike[str] | Mapping[str, Any] | None = None,
        save: bool = False,
        source_type: str = "unknown",
        description: str | None = None,
        **_: Any,
    ) -> None:
        """Record which pretrained weights the run started from."""
        self._log_asset(
            "pretrained", name, path_or_uri, save, {"source_type": source_type}, description
        )

    def _log_asset(
        self,
        section: str,
        name: str,
        location: str | os.PathLike[str] | Mapping[str, Any] | None,
        save: bool,
        details: dict[str, Any],
        description: str | None,
    ) -> None:
        try:
            entry: dict[str, Any] = {"name": str(name), **details, "description": description}
            if isinstance(location, Mapping):
                entry["uri"] = json_safe(dict(location))
            elif location is not None:
                local = Path(location).expanduser()
                entry["uri"] = str(local)
                entry["fingerprint"] = _fingerprint(local)
            entry["saved"] = False
            if save and isinstance(location, str | os.PathLike):
                entry["saved"] = self._save_copy(section, str(name), Path(location).expanduser())
            entry["logged_at"] = time.time()

            def add(assets: dict[str, Any]) -> None:
                assets.setdefault(section, []).append(entry)

            self._update_assets(add)
        except Exception as exc:
            self._warn(f"{section}-error", f"Runicorn could not record {section} {name!r}: {exc!r}")

    def _save_copy(self, section: str, name: str, source: Path) -> bool:
        """Keep a copy inside the run folder (``save=True`` of the original)."""
        safe = "".join(ch if ch.isalnum() or ch in "-_." else "_" for ch in name) or "asset"
        target = self.path / section / safe
        if source.is_dir():
            shutil.copytree(source, target, dirs_exist_ok=True, symlinks=True)
            return True
        if source.is_file():
            target.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target / source.name)
            return True
        return False

    def snapshot_code(self, workspace_root: str | os.PathLike[str] | None = None) -> None:
        """Zip the workspace's source files into the run (capped: 5 MiB a file, 100 MiB in all)."""
        workspace = Path(workspace_root or os.getcwd()).resolve()
        try:
            stats = snapshot_code(workspace, self.path / CODE_SNAPSHOT_FILE)

            def add(assets: dict[str, Any]) -> None:
                assets["code"] = {
                    "snapshot": {
                        "saved": True,
                        "workspace_root": str(workspace),
                        "format": "zip",
                        "path": CODE_SNAPSHOT_FILE,
                        "created_at": time.time(),
                        **stats,
                    }
                }

            self._update_assets(add)
        except Exception as exc:
            self._warn("snapshot", f"Runicorn could not snapshot the code: {exc!r}")

    def watch_outputs(
        self,
        *,
        output_dirs: Iterable[str | os.PathLike[str]],
        interval_sec: float = 10.0,
        patterns: list[str] | None = None,
        stable_required: int = 2,
        **_: Any,
    ) -> None:
        """Copy files the script writes to ``output_dirs`` into the run as they settle."""
        try:
            watcher = _OutputsWatcher(
                self,
                [Path(p).expanduser().resolve() for p in output_dirs],
                patterns,
                max(0.05, float(interval_sec)),
                stable_required,
            )
            self._watchers = [*(self._watchers or []), watcher]
            watcher.start()
        except Exception as exc:
            self._warn("watch-outputs", f"Runicorn could not watch outputs: {exc!r}")

    def scan_outputs_once(self, **_: Any) -> int:
        """Copy the settled output files now; how many were copied."""
        return sum(watcher.scan() for watcher in self._watchers or [])

    def stop_outputs_watch(self) -> None:
        """Stop watching output folders, after one last scan."""
        for watcher in self._watchers or []:
            watcher.stop()
            with contextlib.suppress(Exception):
                watcher.scan()
        self._watchers = None


class LegacyNoOpMethods:
    """The same names on a run that records nothing."""

    alias: str | None = None

    def set_primary_metric(self, metric_name: str, mode: str = "max") -> None:
        """Do nothing."""

    def log_config(self, **_: Any) -> None:
        """Do nothing."""

    def get_logging_handler(
        self, level: int = logging.INFO, fmt: str | None = None
    ) -> logging.Handler:
        """A handler that drops records."""
        return logging.NullHandler(level)

    def log_dataset(self, *_: Any, **__: Any) -> None:
        """Do nothing."""

    def log_pretrained(self, *_: Any, **__: Any) -> None:
        """Do nothing."""

    def snapshot_code(self, workspace_root: str | os.PathLike[str] | None = None) -> None:
        """Do nothing."""

    def watch_outputs(self, **_: Any) -> None:
        """Do nothing."""

    def scan_outputs_once(self, **_: Any) -> int:
        """Do nothing."""
        return 0

    def stop_outputs_watch(self) -> None:
        """Do nothing."""


def start_legacy_options(
    run: Run, *, snapshot: bool, workspace_root: str | os.PathLike[str] | None
) -> None:
    """What ``init`` does after the run has started for the original's options."""
    if snapshot:
        run.snapshot_code(workspace_root)


def split_legacy_keys(
    data: Mapping[str, Any], step: int | None, stage: str | None
) -> tuple[dict[str, Any], int | None, str | None]:
    """The original's ``{"step": 3, "stage": "val", ...}`` as (metrics, step, stage)."""
    values = dict(data)
    for key in ("step", "global_step"):
        if key in values:
            raw = values.pop(key)
            if step is None and isinstance(raw, int | float) and not isinstance(raw, bool):
                step = int(raw)
    if "stage" in values:
        raw_stage = values.pop("stage")
        if stage is None and raw_stage is not None:
            stage = str(raw_stage)
    return values, step, stage
