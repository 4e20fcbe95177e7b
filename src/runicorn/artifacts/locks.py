"""A per-artifact lock across processes, for read-modify-write of ``aliases.json``."""

from __future__ import annotations

import os
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

_LOCAL = threading.Lock()


@contextmanager
def artifact_lock(folder: Path) -> Iterator[None]:
    """Hold an exclusive lock on ``folder/.lock`` (and a process-wide one) for the block."""
    folder.mkdir(parents=True, exist_ok=True)
    with _LOCAL:
        if sys.platform == "win32":  # no flock: a lock within this process only
            yield
            return
        import fcntl

        fd = os.open(folder / ".lock", os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            yield
        finally:
            fcntl.flock(fd, fcntl.LOCK_UN)
            os.close(fd)
