"""Everything a request handler needs, built once per app: settings, storage, cache, services."""

from __future__ import annotations

import ipaddress
import logging
import time
from dataclasses import dataclass, field
from pathlib import Path

from runicorn.security.rate_limiter import RateLimiter
from runicorn.storage.backends import HybridStorageBackend
from runicorn.storage.interface import RunStorage, StorageFactory
from runicorn.storage.layout import INDEX_DIR_NAME
from runicorn.viewer.services.logs import LogService
from runicorn.viewer.services.metrics import MetricsService
from runicorn.viewer.services.storage import RunService
from runicorn.viewer.services.system import SystemService
from runicorn.viewer.utils.cache import DEFAULT_MAX_BYTES, MetricCache

log = logging.getLogger(__name__)
LOOPBACK_NAMES = frozenset({"localhost", "127.0.0.1", "::1"})
WILDCARD_HOSTS = frozenset({"", "0.0.0.0", "::"})  # noqa: S104 - names, not a bind
DEFAULT_IMPORT_MAX_BYTES = 2 << 30


def is_loopback(host: str) -> bool:
    """Whether binding ``host`` only accepts connections from this machine."""
    name = host.strip("[]").lower()
    if name in LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(name).is_loopback
    except ValueError:
        return False


@dataclass(frozen=True)
class RateLimits:
    """Requests per second and burst per client, per kind of route."""

    read: tuple[float, float] = (50.0, 200.0)
    mutate: tuple[float, float] = (10.0, 60.0)
    transfer: tuple[float, float] = (1.0, 5.0)
    enabled: bool = True


@dataclass(frozen=True)
class ViewerSettings:
    """How the viewer was started; checked once, here."""

    root: Path
    host: str = "127.0.0.1"
    token: str | None = None
    allowed_hosts: frozenset[str] = frozenset()
    import_max_bytes: int = DEFAULT_IMPORT_MAX_BYTES
    cache_max_bytes: int = DEFAULT_MAX_BYTES
    rate_limits: RateLimits = field(default_factory=RateLimits)
    static_dir: Path | None = None
    # Set when another layer checks a user token on every request (the team server's auth).
    users_authenticated: bool = False

    def __post_init__(self) -> None:
        if not is_loopback(self.host) and not self.token and not self.users_authenticated:
            raise ValueError(
                f"the viewer binds {self.host!r}, which other machines can reach: a token is "
                "required (pass token=..., or let `runicorn viewer` generate one)"
            )
        if self.token is not None and len(self.token) < 8:
            raise ValueError("the token must be at least 8 characters long")

    @property
    def any_host(self) -> bool:
        """A wildcard bind answers to any name, so the Host check cannot narrow it."""
        return self.host.strip("[]") in WILDCARD_HOSTS

    def host_allowed(self, name: str) -> bool:
        """Whether a request's Host name (without port) is one this viewer answers to."""
        name = name.strip("[]").lower()
        if self.any_host or name in LOOPBACK_NAMES or name in self.allowed_hosts:
            return True
        return name == self.host.strip("[]").lower()


class Activity:
    """When the last request arrived and how many WebSockets are open (for --idle-timeout)."""

    def __init__(self) -> None:
        self.last_request = time.monotonic()
        self.open_websockets = 0

    def touch(self) -> None:
        self.last_request = time.monotonic()

    def idle_for(self) -> float:
        if self.open_websockets:
            return 0.0
        return time.monotonic() - self.last_request


class ViewerContext:
    """The storage backend, the metric cache and the services built on them."""

    def __init__(self, settings: ViewerSettings, storage: StorageFactory | None = None) -> None:
        self.settings = settings
        self.backend: RunStorage = storage() if storage else HybridStorageBackend(settings.root)
        self.cache = MetricCache(
            self.backend.root / INDEX_DIR_NAME / "cache", max_bytes=settings.cache_max_bytes
        )
        self.runs = RunService(self.backend, self.cache)
        self.metrics = MetricsService(self.runs, self.cache)
        self.logs = LogService(self.runs)
        self.system = SystemService()
        self.activity = Activity()
        limits = settings.rate_limits
        self.limiters = {
            "read": RateLimiter(*limits.read),
            "mutate": RateLimiter(*limits.mutate),
            "transfer": RateLimiter(*limits.transfer),
        }

    def sync_index(self) -> None:
        """Bring the index up to the run folders: in full after damage or on a read-only root
        (an in-memory index), else only the folders it does not know (copied in by hand)."""
        try:
            if self.backend.needs_rebuild:
                self.backend.reindex()
            else:
                self.runs.index_new_runs()
        except Exception as exc:  # the viewer still serves what the index has
            log.warning("runicorn: indexing the run folders at start failed: %r", exc)

    def close(self) -> None:
        """Persist the cache and release the index."""
        self.cache.close()
        self.backend.close()
