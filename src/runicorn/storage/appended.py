"""Reading what was appended to a run's ``events.jsonl`` since the last read, for derived views.

Histograms and stage spans are each found in a few lines of a file that may hold millions; a
reader keeps its offset and its partial result per run, so a page visit costs the bytes logged
since the previous one instead of a scan of the whole file.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable
from pathlib import Path
from typing import Generic, Protocol, TypeVar

from runicorn.security.path_validation import open_under

_READ_BLOCK = 8 << 20


class AppendedState(Protocol):
    """What a reader keeps between reads: the file, how far it was read, and a way to forget."""

    path: Path
    offset: int

    def clear(self) -> None: ...


S = TypeVar("S", bound=AppendedState)


def read_appended_lines(root: Path, state: AppendedState, parse: Callable[[bytes], None]) -> None:
    """Pass the complete lines appended to ``state.path`` since ``state.offset`` to ``parse``.

    ``parse`` gets blocks of whole lines joined by newlines. A torn last line (a write in
    progress) waits for the next read; a file shorter than the offset was replaced, so the state
    is cleared and the file read from its start.
    """
    try:
        handle = open_under(root, state.path)
    except FileNotFoundError:
        return
    with handle:
        if handle.seek(0, 2) < state.offset:
            state.offset = 0
            state.clear()
        handle.seek(state.offset)
        carry = b""
        while block := handle.read(_READ_BLOCK):
            # NUL bytes (left by a crash) end a line, as for every reader of events.jsonl.
            data = carry + block.replace(b"\0", b"\n")
            end = data.rfind(b"\n")
            if end < 0:
                carry = data
                continue
            parse(data[:end])
            state.offset += end + 1
            carry = data[end + 1 :]


class AppendedCache(Generic[S]):
    """The states of the runs read last (bounded by run count), each brought up to date on get."""

    def __init__(
        self,
        new_state: Callable[[Path], S],
        read: Callable[[Path, S], None],
        max_runs: int = 16,
    ) -> None:
        self._new_state = new_state
        self._read = read
        self._runs: OrderedDict[Path, S] = OrderedDict()
        self._max_runs = max_runs
        self._lock = threading.Lock()

    def get(self, root: Path, events: Path) -> S:
        """``events``' state after reading what was appended since the last call."""
        with self._lock:
            state = self._runs.pop(events, None) or self._new_state(events)
            self._runs[events] = state
            while len(self._runs) > self._max_runs:
                self._runs.popitem(last=False)
            self._read(root, state)
            return state


__all__ = ["AppendedCache", "AppendedState", "read_appended_lines"]
