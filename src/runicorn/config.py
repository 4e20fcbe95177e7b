"""Where Runicorn keeps its data, and every setting read from the environment.

This is the only module that reads environment variables or the user config file, so the rest
of the package receives plain values and tests can set them in one place.

The storage root is chosen, first match wins, from: the ``storage=`` argument, ``RUNICORN_DIR``,
the user config file (``runicorn config --set-root``), then ``~/RunicornData``.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from runicorn.errors import StorageError
from runicorn.storage.jsonio import atomic_write_json, read_json

APP_NAME = "runicorn"
DEFAULT_ROOT_NAME = "RunicornData"


def config_file_path() -> Path:
    """The user config file (``RUNICORN_CONFIG_DIR`` overrides its folder, for tests)."""
    folder = os.environ.get("RUNICORN_CONFIG_DIR")
    if not folder:
        import platformdirs  # only here: a training script given storage= never needs it

        folder = platformdirs.user_config_dir(APP_NAME)
    return Path(folder) / "config.json"


def load_user_config() -> dict[str, Any]:
    """The user config file's content, or an empty dict when it is missing or unreadable."""
    data = read_json(config_file_path(), default={})
    return data if isinstance(data, dict) else {}


def save_user_config(values: dict[str, Any]) -> None:
    """Merge ``values`` into the user config file."""
    path = config_file_path()
    merged = {**load_user_config(), **values}
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        atomic_write_json(path, merged)
    except OSError as exc:
        raise StorageError(f"cannot write the config file {path}: {exc}") from exc


def get_user_root_dir(storage: str | os.PathLike[str] | None = None) -> Path:
    """The storage root, resolved as the module docstring says; it is not created here."""
    if storage:
        return Path(storage).expanduser().resolve()
    env_dir = os.environ.get("RUNICORN_DIR")
    if env_dir:
        return Path(env_dir).expanduser().resolve()
    configured = load_user_config().get("user_root_dir")
    if isinstance(configured, str) and configured:
        return Path(configured).expanduser().resolve()
    return (Path.home() / DEFAULT_ROOT_NAME).resolve()


def root_dir_source(storage: str | os.PathLike[str] | None = None) -> str:
    """Which rule chose the storage root, for ``runicorn config`` to explain itself."""
    if storage:
        return "argument"
    if os.environ.get("RUNICORN_DIR"):
        return "RUNICORN_DIR"
    if load_user_config().get("user_root_dir"):
        return f"config file {config_file_path()}"
    return "default"


def set_user_root_dir(path: str | os.PathLike[str]) -> Path:
    """Remember ``path`` as the storage root in the user config file, creating it."""
    root = Path(path).expanduser().resolve()
    try:
        root.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise StorageError(f"cannot create the storage root {root}: {exc}") from exc
    save_user_config({"user_root_dir": str(root)})
    return root


def _env_float(name: str, default: float, minimum: float) -> float:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    try:
        return max(float(raw), minimum)
    except ValueError:
        return default


@dataclass(frozen=True)
class SdkSettings:
    """Timings and limits of the recording SDK, read once per ``init``."""

    flush_interval: float = 1.0
    heartbeat_interval: float = 10.0
    system_interval: float = 10.0
    flush_bytes: int = 1 << 20
    max_buffer_bytes: int = 64 << 20
    mode: str = "online"

    @classmethod
    def from_env(cls) -> SdkSettings:
        """Settings with ``RUNICORN_*`` environment variables applied."""
        return cls(
            flush_interval=_env_float("RUNICORN_FLUSH_INTERVAL", 1.0, 0.01),
            heartbeat_interval=_env_float("RUNICORN_HEARTBEAT_INTERVAL", 10.0, 0.05),
            system_interval=_env_float("RUNICORN_SYSTEM_INTERVAL", 10.0, 0.05),
            flush_bytes=int(_env_float("RUNICORN_FLUSH_BYTES", float(1 << 20), 1)),
            max_buffer_bytes=int(_env_float("RUNICORN_MAX_BUFFER_BYTES", float(64 << 20), 1024)),
            mode=_recording_mode(),
        )


def _recording_mode() -> str:
    """``RUNICORN_MODE``, where the original SDK's kill switch ``RUNICORN_ON=0|false|off`` wins."""
    if os.environ.get("RUNICORN_ON", "").strip().lower() in ("0", "false", "off"):
        return "disabled"
    return os.environ.get("RUNICORN_MODE", "online").strip().lower() or "online"


def process_rank() -> int:
    """This process's rank in a distributed job (``RANK``, else ``LOCAL_RANK``), 0 when alone."""
    for name in ("RANK", "LOCAL_RANK"):
        raw = os.environ.get(name)
        if raw:
            try:
                return int(raw)
            except ValueError:
                continue
    return 0


def record_all_ranks() -> bool:
    """Whether processes of rank > 0 record too (``RUNICORN_ALL_RANKS=1``)."""
    return os.environ.get("RUNICORN_ALL_RANKS", "").strip().lower() in ("1", "true", "yes")


DEFAULT_STALL_MINUTES = 10.0


@dataclass(frozen=True)
class AlertSettings:
    """Alert options from the user config's ``alerts`` section and ``RUNICORN_ALERT_WEBHOOK``.

    ``{"alerts": {"webhooks": ["https://…", {"url": "https://hooks.slack.com/…", "format":
    "slack"}], "monitors": [{"rule": "spike", "key": "train/loss"}] | false,
    "cooldown_seconds": 60, "stall_minutes": 10}}``. ``monitors`` is kept raw (``None`` when
    unset) for :func:`runicorn.monitors.rules_from_config` to check.
    """

    webhooks: tuple[Any, ...] = ()
    monitors: Any = None
    cooldown_seconds: float = 60.0
    stall_minutes: float = DEFAULT_STALL_MINUTES


def alert_settings() -> AlertSettings:
    """The alert options in force now (the env webhook list comes first; comma-separated)."""
    section = load_user_config().get("alerts")
    section = section if isinstance(section, dict) else {}
    hooks: list[Any] = [
        url.strip()
        for url in os.environ.get("RUNICORN_ALERT_WEBHOOK", "").split(",")
        if url.strip()
    ]
    configured = section.get("webhooks")
    if isinstance(configured, list):
        hooks.extend(configured)
    elif isinstance(configured, str | dict):
        hooks.append(configured)
    cooldown = section.get("cooldown_seconds", 60.0)
    stall = section.get("stall_minutes", DEFAULT_STALL_MINUTES)
    return AlertSettings(
        webhooks=tuple(hooks),
        monitors=section.get("monitors"),
        cooldown_seconds=float(cooldown) if isinstance(cooldown, int | float) else 60.0,
        stall_minutes=float(stall) if isinstance(stall, int | float) and stall > 0 else 10.0,
    )


def sync_url(explicit: str | None = None) -> str | None:
    """The team server a run pushes to live: ``init(sync=…)``, else ``RUNICORN_SYNC_URL``."""
    url = explicit if explicit is not None else os.environ.get("RUNICORN_SYNC_URL", "")
    return url.strip() or None


def push_token(explicit: str | None = None) -> str | None:
    """The user token for pushes to a team server: ``--token``, else ``RUNICORN_TOKEN``."""
    token = explicit if explicit is not None else os.environ.get("RUNICORN_TOKEN", "")
    return token.strip() or None


def push_interval() -> float:
    """Seconds between two live pushes of a run (``RUNICORN_SYNC_INTERVAL``, default 2)."""
    return _env_float("RUNICORN_SYNC_INTERVAL", 2.0, 0.1)
