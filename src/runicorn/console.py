"""Copies what a training process prints into the run's ``logs.txt``.

Two ways, chosen by :func:`start_console_capture`. :class:`FileDescriptorCapture` catches output
at file descriptors 1 and 2, so it sees everything: forked DataLoader workers and pool processes,
``logging`` handlers made before ``init`` (they hold the old stream object), C extensions.
Where the descriptors are not the process's console (Jupyter, pytest's capture, no POSIX),
:class:`ConsoleCapture` tees the ``sys.stdout``/``sys.stderr`` objects instead.

Either way the terminal receives every byte unchanged. The log receives whole lines, with
carriage-return redraws (tqdm progress bars) collapsed to the state a reader would last have
seen, so a bar updated ten thousand times costs one line in the log instead of ten thousand, and
without the cursor-movement codes (nested tqdm bars' ``ESC[A``) that only make sense on a screen.
"""

from __future__ import annotations

import codecs
import contextlib
import ctypes
import errno
import os
import re
import select
import struct
import sys
import threading
import time
import warnings
from collections.abc import Callable, Iterable
from typing import Any, Protocol, TextIO

MAX_PENDING_CHARS = 1024 * 1024
"""A partial line longer than this is written out as is, so a newline-less stream stays bounded."""


def collapse_carriage_returns(pending: str, chunk: str) -> tuple[str, str]:
    """Split ``pending + chunk`` into complete collapsed lines and the new pending partial line.

    Each ``\\n``-terminated line keeps only the text after its last ``\\r``, minus the trailing
    spaces tqdm pads a redraw with; ``\\r\\n`` is a plain line ending. The partial line is kept
    for the next call, reduced to its last redraw so that it stays small.
    """
    text = pending + chunk
    if _UP_THEN_NEWLINE in text:
        # A nested tqdm bar redraws its own line as "\n", bar, cursor up: the next "\n" lands on
        # the same line again, which is what "\r" says.
        text = text.replace(_UP_THEN_NEWLINE, "\r")
        chunk = text
    if "\n" not in chunk:
        return "", _last_redraw(text)
    head, _, tail = text.rpartition("\n")
    lines = [_collapse_line(line) for line in head.split("\n")]
    return "\n".join(lines) + "\n", _last_redraw(tail)


_UP_THEN_NEWLINE = "\x1b[A\n"


def _collapse_line(line: str) -> str:
    if "\r" not in line:
        return line
    content = line.rstrip("\r")
    if "\r" not in content:
        return content
    return content.rpartition("\r")[2].rstrip(" ")


# CSI sequences that move the cursor, erase or switch modes; colours (``m``) are kept.
_SCREEN_CONTROL = re.compile(r"\x1b\[[0-9;?]*[@A-HJKLMPSTXZfhlnrsu]")


def strip_screen_controls(text: str) -> str:
    """``text`` without cursor-movement and erase codes, which mean nothing in a log file."""
    return _SCREEN_CONTROL.sub("", text) if "\x1b" in text else text


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

    def _feed(self, tee: _LineSource, text: str) -> None:
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
            self._write(strip_screen_controls(text))
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


class _LineSource(Protocol):
    """A stream being logged: whether it still feeds the log, and its unfinished last line."""

    active: bool
    pending: str


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


def start_console_capture(write: Callable[[str], None]) -> ConsoleCapture | FileDescriptorCapture:
    """Start capturing at the file descriptors when they are the console, else tee the streams."""
    if _streams_are_the_descriptors():
        capture: ConsoleCapture | FileDescriptorCapture = FileDescriptorCapture(write)
        try:
            capture.start()
            return capture
        except OSError:
            pass
    capture = ConsoleCapture(write)
    capture.start()
    return capture


def _streams_are_the_descriptors() -> bool:
    """Whether ``sys.stdout``/``sys.stderr`` write to descriptors 1 and 2 (not Jupyter, pytest)."""
    if os.name != "posix":
        return False
    for name, fd in (("stdout", 1), ("stderr", 2)):
        stream = getattr(sys, name)
        try:
            if stream is None or stream.fileno() != fd:
                return False
        except (AttributeError, OSError, ValueError):
            return False
    return True


DRAIN_TIMEOUT = 2.0
"""Seconds :meth:`FileDescriptorCapture.stop` waits for the reader to log what was printed."""


class FileDescriptorCapture:
    """Points descriptors 1 and 2 at pipes whose reader copies to the terminal and the log.

    A descriptor that was a terminal gets a pseudo-terminal instead of a pipe, with the same
    window size, so programs still see a terminal (colours, bar widths) and the terminal receives
    the same bytes. Forked children inherit the descriptors, so their output is logged too.
    :meth:`stop` puts the original descriptors back; output of children that outlive the run
    still reaches the terminal (not the log) until they exit.
    """

    def __init__(self, write: Callable[[str], None]) -> None:
        self._log = ConsoleCapture(write)
        self._lock = threading.Lock()
        self._streams: list[_Descriptor] = []
        self._thread: threading.Thread | None = None
        self._wake: tuple[int, int] | None = None
        self._drained = threading.Event()

    def start(self) -> None:
        """Redirect the descriptors; raises :class:`OSError` (undoing everything) when it cannot."""
        with self._lock:
            if self._streams:
                return
            _flush_output()
            streams: list[_Descriptor] = []
            try:
                for fd in (1, 2):
                    streams.append(_Descriptor.redirect(fd))
                self._wake = os.pipe()
            except OSError:
                for stream in streams:
                    stream.restore()
                    stream.close_reader()
                    stream.close_saved()
                raise
            self._streams = streams
            self._drained.clear()
            self._thread = threading.Thread(
                target=self._read, args=(streams, self._wake), name="runicorn-console", daemon=True
            )
            self._thread.start()

    def stop(self) -> None:
        """Log everything printed so far, then put the original descriptors back."""
        with self._lock:
            streams, self._streams = self._streams, []
            if not streams or self._wake is None:
                return
            _flush_output()
            for stream in streams:
                stream.restore()
            with contextlib.suppress(OSError):
                os.write(self._wake[1], b"x")
            with contextlib.suppress(OSError):
                os.close(self._wake[1])
            self._drained.wait(DRAIN_TIMEOUT)
            if self._thread is None or not self._thread.is_alive():
                for stream in streams:
                    stream.close_saved()

    def _read(self, streams: list[_Descriptor], wake: tuple[int, int]) -> None:
        """The reader thread: forward and log until stopped, then only forward until EOF."""
        open_streams = {stream.reader: stream for stream in streams}
        watching = [wake[0]]
        try:
            while open_streams:
                ready, _, _ = select.select([*open_streams, *watching], [], [])
                if wake[0] in ready:
                    self._drain(streams, open_streams)
                    watching = []
                    continue
                for fd in ready:
                    self._pass_on(open_streams, open_streams[fd])
            # Every writer closed before the wake-up was seen (no children): log the rest now.
            self._stop_logging(streams)
        except Exception as exc:  # the reader must not die silently: the terminal depends on it
            self._log._warn_once(exc)
        finally:
            self._drained.set()
            for stream in streams:
                stream.close_reader()
                if stream.restored:  # else stop() still needs it to put the descriptor back
                    stream.close_saved()
            with contextlib.suppress(OSError):
                os.close(wake[0])

    def _pass_on(self, open_streams: dict[int, _Descriptor], stream: _Descriptor) -> None:
        data = stream.read()
        if not data:
            del open_streams[stream.reader]
            return
        stream.forward(data)
        if stream.active:
            text = stream.decode(data)
            if text:
                self._log._feed(stream, text)

    def _drain(self, streams: list[_Descriptor], open_streams: dict[int, _Descriptor]) -> None:
        """Log what is already in the pipes, the unfinished last lines too, then stop logging.

        Children that keep printing could keep the pipes busy forever: draining is bounded.
        """
        deadline = time.monotonic() + DRAIN_TIMEOUT / 2
        for stream in streams:
            while (
                stream.reader in open_streams
                and time.monotonic() < deadline
                and select.select([stream.reader], [], [], 0)[0]
            ):
                self._pass_on(open_streams, stream)
        self._stop_logging(streams)
        self._drained.set()

    def _stop_logging(self, streams: list[_Descriptor]) -> None:
        """Log the unfinished last lines once; from then on output only reaches the terminal."""
        last_lines = []
        for stream in streams:
            if stream.active:
                stream.active = False
                last_lines.append(_collapse_line(stream.pending + stream.decode(b"", final=True)))
                stream.pending = ""
        remainder = "".join(f"{line}\n" for line in last_lines if line)
        if remainder:
            self._log._deliver(remainder)


class _Descriptor:
    """One redirected descriptor: the pipe's read end, and a copy of what it pointed to."""

    def __init__(self, fd: int, saved: int, reader: int) -> None:
        self.fd = fd
        self.saved = saved
        self.reader = reader
        self.active = True
        self.pending = ""
        self._decoder = codecs.getincrementaldecoder("utf-8")("replace")
        self._forwarding = True
        self.restored = False
        self._close_lock = threading.Lock()
        self._saved_open = True

    @classmethod
    def redirect(cls, fd: int) -> _Descriptor:
        import fcntl
        import termios
        import tty

        saved = os.dup(fd)
        try:
            if os.isatty(fd):
                reader, writer = os.openpty()
                _copy_window_size(saved, writer)
                tty.setraw(writer)  # the terminal does its own newline translation
            else:
                reader, writer = os.pipe()
                # A bigger pipe lets C code that holds the GIL print more before it blocks.
                with contextlib.suppress(OSError, AttributeError):
                    fcntl.fcntl(writer, fcntl.F_SETPIPE_SZ, 1 << 20)
        except (OSError, termios.error) as exc:
            os.close(saved)
            raise OSError(f"cannot redirect descriptor {fd}: {exc}") from exc
        try:
            os.dup2(writer, fd)
        except OSError:
            os.close(saved)
            os.close(reader)
            raise
        finally:
            os.close(writer)
        return cls(fd, saved, reader)

    def read(self) -> bytes:
        try:
            return os.read(self.reader, 1 << 16)
        except OSError as exc:
            if exc.errno == errno.EIO:  # a pseudo-terminal whose writers are all gone
                return b""
            raise

    def forward(self, data: bytes) -> None:
        """Copy ``data`` to the original descriptor; a closed terminal is given up on quietly."""
        view = memoryview(data)
        while view and self._forwarding:
            try:
                view = view[os.write(self.saved, view) :]
            except InterruptedError:
                continue
            except OSError:
                self._forwarding = False

    def decode(self, data: bytes, *, final: bool = False) -> str:
        return self._decoder.decode(data, final)

    def restore(self) -> None:
        with contextlib.suppress(OSError):
            os.dup2(self.saved, self.fd)
        self.restored = True

    def close_reader(self) -> None:
        with contextlib.suppress(OSError):
            os.close(self.reader)

    def close_saved(self) -> None:
        """Close the copy of the original once (its number may be reused right after)."""
        with self._close_lock:
            if self._saved_open:
                self._saved_open = False
                with contextlib.suppress(OSError):
                    os.close(self.saved)


def _copy_window_size(terminal: int, pseudo_terminal: int) -> None:
    import fcntl
    import termios

    with contextlib.suppress(OSError, termios.error):
        size = fcntl.ioctl(terminal, termios.TIOCGWINSZ, struct.pack("HHHH", 0, 0, 0, 0))
        fcntl.ioctl(pseudo_terminal, termios.TIOCSWINSZ, size)


def _flush_output() -> None:
    """Push what Python and C buffered for descriptors 1 and 2 out before they change."""
    for stream in (sys.stdout, sys.stderr, sys.__stdout__, sys.__stderr__):
        if stream is not None:
            with contextlib.suppress(Exception):
                stream.flush()
    with contextlib.suppress(Exception):
        ctypes.CDLL(None).fflush(None)
