"""What a run needs to be reproduced later: interpreter, machine, command line, code, packages.

Captured into ``environment.json`` once per process and working directory, in a child process,
and copied into every run the process starts (:func:`record_environment`). Nobody waits for it:
``init`` and ``finish`` return at once and the file appears when the capture is done, possibly
after the run has ended, so readers must accept a run without it. Any part that cannot be read
is ``None``, and the rest is still recorded.
"""

from __future__ import annotations

import atexit
import contextlib
import importlib.metadata
import json
import os
import platform
import queue
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import urlsplit, urlunsplit

import psutil

from runicorn import gpu
from runicorn.storage.jsonio import atomic_write_json, read_json

GIT_TIMEOUT = 3.0
"""Seconds allowed per git command; a repository on a stalled network share must not block."""

MAX_DIFF_BYTES = 1024 * 1024
"""The working-tree diff is cut here, so a modified data file cannot bloat the run record."""

_T = TypeVar("_T")


def capture_environment(
    cwd: Path | None = None, argv: Sequence[str] | None = None
) -> dict[str, Any]:
    """Describe this process and its machine as a JSON-serializable dict; never raises.

    ``cwd`` is where the git repository is looked for (default: the current directory);
    ``argv`` is the command line to record (default: this process's).
    """
    directory = cwd if cwd is not None else _safely(Path.cwd)
    command_line = argv if argv is not None else getattr(sys, "argv", [])
    return {
        "python": _safely(_python_info),
        "platform": _safely(_platform_info),
        "hostname": _safely(socket.gethostname),
        "cpu_count": _safely(os.cpu_count),
        "memory_total": _safely(lambda: int(psutil.virtual_memory().total)),
        "gpus": _safely(_gpus),
        "command": {
            "argv": [str(arg) for arg in command_line],
            "cwd": str(directory) if directory is not None else None,
        },
        "git": _safely(lambda: _git_info(directory)) if directory is not None else None,
        "packages": _safely(_installed_packages),
    }


def _safely(read: Callable[[], _T]) -> _T | None:
    try:
        return read()
    except Exception:
        return None


def _python_info() -> dict[str, str]:
    return {
        "version": platform.python_version(),
        "implementation": platform.python_implementation(),
        "executable": sys.executable,
    }


def _platform_info() -> dict[str, str]:
    return {
        "system": platform.system(),
        "release": platform.release(),
        "machine": platform.machine(),
    }


def _gpus() -> list[dict[str, Any]]:
    return [
        {"index": reading.index, "name": reading.name, "memory_total": reading.memory_total_bytes}
        for reading in gpu.read_gpus().gpus
    ]


def _installed_packages() -> dict[str, str]:
    packages: dict[str, str] = {}
    seen: set[str] = set()
    # Distributions come in sys.path order, so the first of two copies is the one imported.
    for distribution in importlib.metadata.distributions():
        # A half-removed distribution can lack metadata; it is skipped, not fatal.
        name, version = (
            _metadata_field(distribution, "Name"),
            _metadata_field(distribution, "Version"),
        )
        if not name or not version:
            continue
        normalized = re.sub(r"[-_.]+", "-", name).lower()
        if normalized in seen:
            continue
        seen.add(normalized)
        packages[name] = version
    return dict(sorted(packages.items(), key=lambda item: item[0].lower()))


def _metadata_field(distribution: importlib.metadata.Distribution, field: str) -> str | None:
    try:
        value = distribution.metadata[field]
    except Exception:
        return None
    return str(value) if value else None


def _git_info(cwd: Path) -> dict[str, Any] | None:
    executable = shutil.which("git")
    if executable is None:
        return None
    root = _git_text(executable, cwd, "rev-parse", "--show-toplevel")
    if root is None:
        return None
    commit = _git_text(executable, cwd, "rev-parse", "--verify", "--quiet", "HEAD")
    remote = _git_text(executable, cwd, "remote", "get-url", "origin")
    info: dict[str, Any] = {
        "root": root,
        "commit": commit,
        # Fails on a detached HEAD, which has no branch to report.
        "branch": _git_text(executable, cwd, "symbolic-ref", "--short", "--quiet", "HEAD"),
        "dirty": None,
        "remote_url": strip_url_credentials(remote) if remote is not None else None,
        "diff": None,
        "diff_truncated": False,
    }
    if commit is None:
        return info
    diff = _run_git(
        executable,
        cwd,
        ["diff", "HEAD", "--no-color", "--no-ext-diff", "--no-textconv"],
        MAX_DIFF_BYTES,
    )
    if diff is not None:
        output, truncated = diff
        # Tracked changes only, staged or not; untracked files are not part of the code state
        # git can restore, and listing them can be slow in large trees.
        info["dirty"] = bool(output)
        info["diff"] = output.decode("utf-8", errors="replace")
        info["diff_truncated"] = truncated
    return info


def strip_url_credentials(url: str) -> str:
    """Drop ``user:password@`` from a URL, so a token in a remote never lands in the record.

    The scp-like form ``git@host:path`` names only a user and is returned as is.
    """
    if "://" not in url:
        return url
    parts = urlsplit(url)
    if "@" not in parts.netloc:
        return url
    return urlunsplit(parts._replace(netloc=parts.netloc.rpartition("@")[2]))


def _git_text(executable: str, cwd: Path, *args: str) -> str | None:
    result = _run_git(executable, cwd, list(args), 64 * 1024)
    if result is None:
        return None
    text = result[0].decode("utf-8", errors="replace").strip()
    return text or None


def _run_git(
    executable: str, cwd: Path, args: list[str], max_bytes: int
) -> tuple[bytes, bool] | None:
    """Run git and return at most ``max_bytes`` of its output and whether more followed.

    ``None`` when git fails or runs past :data:`GIT_TIMEOUT`. Output is read as it arrives so
    that a huge diff is cut off instead of being held in memory whole.
    """
    env = {
        **os.environ,
        "GIT_TERMINAL_PROMPT": "0",
        # Read-only commands must not take index.lock while the user runs git themselves.
        "GIT_OPTIONAL_LOCKS": "0",
    }
    try:
        process = subprocess.Popen(
            [executable, *args],
            cwd=cwd,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            env=env,
        )
    except (OSError, ValueError):
        return None
    chunks: list[bytes] = []
    truncated = threading.Event()

    def read_output() -> None:
        assert process.stdout is not None
        size = 0
        try:
            while chunk := process.stdout.read(64 * 1024):
                chunks.append(chunk)
                size += len(chunk)
                if size > max_bytes:
                    truncated.set()
                    process.kill()
                    return
        except (OSError, ValueError):
            # The pipe was closed under us after a timeout; the caller has given up already.
            return

    reader = threading.Thread(target=read_output, name="runicorn-git-output", daemon=True)
    reader.start()
    reader.join(GIT_TIMEOUT)
    timed_out = reader.is_alive()
    if timed_out:
        process.kill()
        reader.join(GIT_TIMEOUT)
    try:
        returncode = process.wait(GIT_TIMEOUT)
    except subprocess.TimeoutExpired:
        process.kill()
        return None
    finally:
        if process.stdout is not None:
            process.stdout.close()
    if timed_out:
        return None
    if truncated.is_set():
        return b"".join(chunks)[:max_bytes], True
    if returncode != 0:
        return None
    return b"".join(chunks), False


CAPTURE_TIMEOUT = 60.0
"""Seconds the capture child may take before it is given up (git is bounded per command)."""

EXIT_WAIT = 10.0
"""Seconds interpreter exit waits for queued copies of a capture still running."""


def start_capture(output: Path, cwd: str | None = None) -> subprocess.Popen[bytes] | None:
    """Capture this process's environment into ``output`` from a child process.

    Reading package metadata and running git takes a few hundred milliseconds of CPU; in a
    child it never competes with the training loop for the GIL. The child sees this process's
    ``sys.path`` and command line, and ``cwd`` (default: this process's working directory).
    None when no child can be started.
    """
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(entry for entry in sys.path if entry)
    code = (
        "import json, sys; from pathlib import Path; "
        "from runicorn.environment import capture_environment; "
        "from runicorn.storage.jsonio import atomic_write_json; "
        "atomic_write_json(Path(sys.argv[1]), capture_environment(argv=json.loads(sys.argv[2])))"
    )
    try:
        return subprocess.Popen(
            [sys.executable, "-c", code, str(output), json.dumps(list(sys.argv))],
            env=env,
            cwd=cwd,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
    except (OSError, ValueError):
        return None


class EnvironmentRecorder:
    """Writes ``environment.json`` into run folders from one background thread.

    The first run of a working directory starts the capture child and the thread waits for it;
    later runs receive a copy of its result. A script that creates a thousand short runs thus
    pays for one capture, and ``finish`` never waits for one. At interpreter exit, copies still
    queued are written (waiting at most :data:`EXIT_WAIT` for a capture in flight); a capture
    with nothing queued behind it finishes in its child on its own.
    """

    def __init__(self) -> None:
        self._exit_hook = False
        self._captured: dict[str, bytes] = {}  # cwd -> environment.json's bytes
        self._forget_threads()
        # A fork can happen while the worker holds the lock: the child starts afresh.
        if hasattr(os, "register_at_fork"):  # POSIX only; Windows does not fork
            os.register_at_fork(after_in_child=self._forget_threads)

    def _forget_threads(self) -> None:
        self._lock = threading.Lock()
        self._queued = 0
        self._jobs: queue.SimpleQueue[tuple[str, Path] | None] = queue.SimpleQueue()
        self._thread: threading.Thread | None = None

    def record(self, output: Path) -> None:
        """Have ``output`` written soon; returns at once and never raises."""
        try:
            cwd = os.getcwd()
        except OSError:
            return
        with self._lock:
            self._queued += 1
            self._jobs.put((cwd, output))
            if self._thread is None:
                self._thread = threading.Thread(
                    target=self._work, args=(self._jobs,), name="runicorn-environment", daemon=True
                )
                self._thread.start()
            if not self._exit_hook:
                self._exit_hook = True
                atexit.register(self._finish_queue)

    def _finish_queue(self) -> None:
        """Write what is still queued before the interpreter goes (this process's queue only)."""
        with self._lock:
            thread = self._thread
            if thread is None or self._queued == 0:
                return
            self._jobs.put(None)
        thread.join(EXIT_WAIT)

    def _work(self, jobs: queue.SimpleQueue[tuple[str, Path] | None]) -> None:
        while True:
            job = jobs.get()
            if job is None:
                return
            with self._lock:
                self._queued -= 1
            cwd, output = job
            try:
                self._write(cwd, output)
            except Exception:  # noqa: S112 - a missing environment.json is allowed; go on
                continue

    def _write(self, cwd: str, output: Path) -> None:
        content = self._captured.get(cwd)
        if content is None:
            captured = _capture_into(output, cwd)
            if captured is not None:
                self._captured[cwd] = captured
            return
        if output.parent.is_dir():
            _write_bytes_atomically(output, content)


def _capture_into(output: Path, cwd: str) -> bytes | None:
    """Capture into ``output`` (in a child when possible) and return the file's bytes."""
    process = start_capture(output, cwd)
    if process is None:
        atomic_write_json(output, capture_environment(cwd=Path(cwd)))
    else:
        try:
            process.wait(CAPTURE_TIMEOUT)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
            return None
    if not isinstance(read_json(output, None), dict):
        return None
    return output.read_bytes()


def _write_bytes_atomically(path: Path, content: bytes) -> None:
    """Write a copy so that readers see no file or the whole file, never part of one."""
    fd, tmp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as tmp:
            tmp.write(content)
        os.replace(tmp_name, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp_name)
        raise


_recorder = EnvironmentRecorder()


def record_environment(output: Path) -> None:
    """Write this process's environment to ``output`` in the background (see the module doc)."""
    _recorder.record(output)
