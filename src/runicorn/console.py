"""Tee of ``sys.stdout``/``sys.stderr`` into the run's ``logs.txt``.

The terminal receives every byte unchanged. The log receives whole lines, with carriage-return
redraws (tqdm progress bars) collapsed to the state a reader would last have seen, so a bar
updated ten thousand times costs one line in the log instead of ten thousand.
"""

from __future__ import annotations

import contextlib
import sys
import threading
import warnings
from collections.abc import Callable, Iterable
from typing import Any, TextIO

MAX_PENDING_CHARS = 1024 * 1024
"""A partial line longer than this is written out as is, so a newline-less stream stays bounded."""


def collapse_carriage_returns(pending: str, chunk: str) -> tuple[str, str]:
    """Split ``pending + chunk`` into complete collapsed lines and the new pending partial line.

    Each ``\\n``-terminated line keeps only the text after its last ``\\r``, minus the trailing
    spaces tqdm pads a redraw with; ``\\r\\n`` is a plain line ending. The partial line is kept
    for the next call, reduced to its last redraw so that it stays small.
    """
    text = pending + chunk
    if "\n" not in chunk:
        return "", _last_redraw(text)
    head, _, tail = text.rpartition("\n")
    lines = [_collapse_line(line) for line in head.split("\n")]
    return "\n".join(lines) + "\n", _last_redraw(tail)


def _collapse_line(line: str) -> str:
    if "\r" not in line:
        return line
    content = line.rstrip("\r")
    if "\r" not in content:
        return content
    return content.rpartition("\r")[2].rstrip(" ")


def _last_redraw(partial: str) -> str:
    # A final "\r" may be the first half of a "\r\n" split across two writes, so keep it.
    cut = partial.rfind("\r", 0, len(partial) - 1)
    return partial[cut:] if cut > 0 else partial


class ConsoleCapture:
    """Replaces ``sys.stdout`` and ``sys.stderr`` with tees that also feed ``write``.

    ``write`` receives whole collapsed lines. It is called under a lock, so lines printed from
    several threads reach it one call at a time; if it raises, the user's ``print`` still
    succeeds and a single ``RuntimeWarning`` says the log is incomplete.
    """

    def __init__(self, write: Callable[[str], None]) -> None:
        self._write = write
        # Reentrant so that a ``write`` which ends the capture (stop on a fatal error) cannot
        # deadlock on the lock held while it is being called.
        self._lock = threading.RLock()
        self._in_write = threading.local()
        self._warned = False
        self._tees: dict[str, _TeeStream] = {}

    def start(self) -> None:
        """Install the tees; a second call while started does nothing."""
        with self._lock:
            if self._tees:
                return
            for name in ("stdout", "stderr"):
                original = getattr(sys, name)
                # pythonw.exe and some service runners have no console streams at all.
                if original is None:
                    continue
                tee = _TeeStream(original, self)
                self._tees[name] = tee
                setattr(sys, name, tee)

    def stop(self) -> None:
        """Write out any partial lines and put the original streams back.

        A stream that someone replaced after :meth:`start` is left as they set it; our tee
        underneath keeps passing text through but no longer feeds the log.
        """
        with self._lock:
            tees, self._tees = self._tees, {}
            for name, tee in tees.items():
                tee.active = False
                if getattr(sys, name) is tee:
                    setattr(sys, name, tee.original)
            last_lines = [_collapse_line(tee.pending) for tee in tees.values()]
            for tee in tees.values():
                tee.pending = ""
            remainder = "".join(f"{line}\n" for line in last_lines if line)
            if remainder:
                self._deliver(remainder)

    def _feed(self, tee: _TeeStream, text: str) -> None:
        # Text printed by ``write`` itself (a warning, a logging handler) must not loop back.
        if getattr(self._in_write, "active", False):
            return
        with self._lock:
            if not tee.active:
                return
            complete, tee.pending = collapse_carriage_returns(tee.pending, text)
            if len(tee.pending) > MAX_PENDING_CHARS:
                complete, tee.pending = complete + tee.pending, ""
            if complete:
                self._deliver(complete)

    def _deliver(self, text: str) -> None:
        self._in_write.active = True
        try:
            self._write(text)
        except Exception as exc:
            self._warn_once(exc)
        finally:
            self._in_write.active = False

    def _warn_once(self, exc: Exception) -> None:
        if self._warned:
            return
        self._warned = True
        # Under ``-W error`` the warning itself raises; the user's print must still succeed.
        with contextlib.suppress(Exception):
            warnings.warn(
                f"runicorn: console output could not be written to the run's log "
                f"({type(exc).__name__}: {exc}); the terminal is unaffected",
                RuntimeWarning,
                stacklevel=1,
            )


class _TeeStream:
    """Stands in for a console stream: writes go through unchanged and are fed to the log.

    Everything this class does not define (``buffer``, ``mode``, ``reconfigure``…) is looked up
    on the original stream, so code that inspects ``sys.stdout`` sees what it saw before.
    """

    def __init__(self, original: TextIO, capture: ConsoleCapture) -> None:
        self.original = original
        self.capture = capture
        self.active = True
        self.pending = ""

    def write(self, text: str) -> int:
        written = self.original.write(text)
        if self.active and text:
            self.capture._feed(self, text)
        return written

    def writelines(self, lines: Iterable[str]) -> None:
        for line in lines:
            self.write(line)

    def flush(self) -> None:
        self.original.flush()

    def isatty(self) -> bool:
        return self.original.isatty()

    def fileno(self) -> int:
        return self.original.fileno()

    @property
    def encoding(self) -> str:
        return self.original.encoding

    @property
    def errors(self) -> str | None:
        return self.original.errors

    def __getattr__(self, name: str) -> Any:
        # Only reached for names not found normally; "original" is missing only mid-construction
        # (copy, pickle), where delegating would recurse forever.
        if name == "original":
            raise AttributeError(name)
        return getattr(self.original, name)
