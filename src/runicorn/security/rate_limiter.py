"""A token-bucket rate limiter keyed by client address.

Each client gets ``burst`` tokens, refilled at ``rate`` per second; a request costs one. The key
is the socket's peer address, never an ``X-Forwarded-For`` header (which any client can forge).
Idle clients are forgotten so the table stays small.
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable


class RateLimiter:
    """Token buckets per key; :meth:`acquire` says how long to wait when a bucket is empty."""

    def __init__(
        self,
        rate: float,
        burst: float,
        *,
        max_keys: int = 10_000,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if rate <= 0 or burst < 1:
            raise ValueError("rate must be > 0 and burst >= 1")
        self.rate = rate
        self.burst = burst
        self.max_keys = max_keys
        self._clock = clock
        self._buckets: dict[str, tuple[float, float]] = {}
        self._lock = threading.Lock()

    def acquire(self, key: str, cost: float = 1.0) -> float:
        """0.0 if ``key`` may proceed (and charge it), else the seconds until it may."""
        now = self._clock()
        with self._lock:
            tokens, last = self._buckets.get(key, (self.burst, now))
            tokens = min(self.burst, tokens + (now - last) * self.rate)
            if tokens >= cost:
                self._buckets[key] = (tokens - cost, now)
                if len(self._buckets) > self.max_keys:
                    self._forget_idle(now)
                return 0.0
            self._buckets[key] = (tokens, now)
            return (cost - tokens) / self.rate

    def retry_after(self, key: str, cost: float = 1.0) -> int:
        """:meth:`acquire`, rounded up to whole seconds for a ``Retry-After`` header."""
        wait = self.acquire(key, cost)
        return 0 if wait == 0 else max(1, math.ceil(wait))

    def _forget_idle(self, now: float) -> None:
        full_after = self.burst / self.rate
        idle = [k for k, (_, last) in self._buckets.items() if now - last >= full_after]
        for key in idle:
            del self._buckets[key]
        if len(self._buckets) > self.max_keys:
            # Still too many active clients: drop the oldest half rather than grow forever.
            oldest = sorted(self._buckets, key=lambda k: self._buckets[k][1])
            for key in oldest[: len(oldest) // 2]:
                del self._buckets[key]
