"""Token buckets per client."""

from __future__ import annotations

import pytest

from runicorn.security.rate_limiter import RateLimiter


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_burst_then_refill_at_the_rate() -> None:
    clock = Clock()
    limiter = RateLimiter(rate=2.0, burst=3, clock=clock)
    assert [limiter.acquire("a") for _ in range(3)] == [0.0, 0.0, 0.0]
    assert limiter.acquire("a") == pytest.approx(0.5)
    assert limiter.retry_after("a") == 1
    clock.now = 0.5
    assert limiter.acquire("a") == 0.0
    assert limiter.acquire("b") == 0.0  # another client has its own bucket


def test_refusals_do_not_drain_the_bucket_further() -> None:
    clock = Clock()
    limiter = RateLimiter(rate=1.0, burst=1, clock=clock)
    limiter.acquire("a")
    for _ in range(100):
        limiter.acquire("a")
    clock.now = 1.0
    assert limiter.acquire("a") == 0.0


def test_idle_clients_are_forgotten() -> None:
    clock = Clock()
    limiter = RateLimiter(rate=10.0, burst=1, max_keys=10, clock=clock)
    for i in range(10):
        limiter.acquire(f"c{i}")
    clock.now = 5.0
    limiter.acquire("new")
    assert len(limiter._buckets) <= 10
    for i in range(50):
        limiter.acquire(f"busy{i}")
    assert len(limiter._buckets) <= 11


def test_configuration_is_checked() -> None:
    with pytest.raises(ValueError):
        RateLimiter(rate=0, burst=1)
