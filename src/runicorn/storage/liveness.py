"""Telling a live run from a crashed one.

A running SDK refreshes ``heartbeat_at`` every ``heartbeat_interval`` seconds. A reader reports
``crashed`` when the heartbeat is older than three intervals or, on the host that ran it, at once
when the recorded process is gone. The process is identified by pid *and* start time, so a pid
reused by another program is not mistaken for the run.
"""

from __future__ import annotations

import socket
import time
from dataclasses import dataclass

import psutil

DEFAULT_HEARTBEAT_INTERVAL = 10.0
STALE_AFTER_INTERVALS = 3
_START_TIME_TOLERANCE = 1.0

_HOSTNAME = socket.gethostname()


def this_host() -> str:
    """The name this machine records in runs it starts."""
    return _HOSTNAME


def process_start_time(pid: int) -> float | None:
    """When process ``pid`` started (Unix time), or None if there is no such process."""
    try:
        return float(psutil.Process(pid).create_time())
    except (psutil.Error, ValueError, OSError):
        return None


@dataclass(frozen=True)
class Heartbeat:
    """What a run's status file says about the process writing it."""

    hostname: str | None
    pid: int | None
    pid_started_at: float | None
    heartbeat_at: float | None
    heartbeat_interval: float | None


def process_is_gone(beat: Heartbeat) -> bool:
    """Whether the run's process is known to have exited (only decidable on its own host)."""
    if beat.hostname != _HOSTNAME or not beat.pid:
        return False
    started = process_start_time(beat.pid)
    if started is None:
        return True
    if beat.pid_started_at is None:
        return False
    return abs(started - beat.pid_started_at) > _START_TIME_TOLERANCE


def heartbeat_is_stale(beat: Heartbeat, now: float | None = None) -> bool:
    """Whether the heartbeat is older than three intervals."""
    if beat.heartbeat_at is None:
        return False
    interval = beat.heartbeat_interval or DEFAULT_HEARTBEAT_INTERVAL
    current = time.time() if now is None else now
    return current - beat.heartbeat_at > STALE_AFTER_INTERVALS * interval


def looks_crashed(beat: Heartbeat, now: float | None = None) -> bool:
    """Whether a run whose files say ``running`` has in fact stopped without finishing."""
    return process_is_gone(beat) or heartbeat_is_stale(beat, now)
