"""What Runicorn does on the remote host over one SSH connection.

:class:`RemoteViewerManager` finds Python environments and the Runicorn in them, starts and stops
the standard viewer there (bound to the remote loopback, token-protected, tied to its SSH
channel), browses folders over SFTP and reads the host's load, memory, disk and GPUs.

Every command line is built by :mod:`runicorn.remote.commands`: user values are quoted words or
positional parameters, never text pasted into a shell string. Folder browsing uses SFTP, which
takes paths as data, so no shell is involved at all.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import re
import stat
from collections import deque
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field, replace
from importlib import metadata
from pathlib import Path
from typing import Any

import asyncssh

from runicorn.remote.commands import (
    REMOTE_PID_PREFIX,
    VIEWER_MODULE,
    VIEWER_READY_PREFIX,
    expand_home,
    new_token,
    viewer_argv,
    viewer_label,
    with_pid_announcement,
)
from runicorn.remote.connection import SSHConnection
from runicorn.remote.errors import (
    RemoteCommandError,
    RemotePathError,
    RemoteViewerError,
    SSHConnectError,
)

DEFAULT_IDLE_TIMEOUT = 900.0
"""Seconds without a request after which a remote viewer stops itself.

The channel's end stops it at once; this bound covers a link that died without the server
noticing (no TCP reset), where the channel can linger for a long time.
"""
DEFAULT_READY_TIMEOUT = 60.0
MAX_LIST_ENTRIES = 5000
_STDERR_TAIL_LINES = 200
_PROBE_CONCURRENCY = 4

_DISCOVER_SCRIPT = """\
for c in "${CONDA_EXE:-}" conda "$HOME/miniconda3/bin/conda" "$HOME/anaconda3/bin/conda" \
         "$HOME/miniforge3/bin/conda" "$HOME/mambaforge/bin/conda" /opt/conda/bin/conda; do
  [ -n "$c" ] || continue
  p=$(command -v "$c" 2>/dev/null) && [ -n "$p" ] && { echo "CONDA $p"; break; }
done
for c in python3 python; do
  p=$(command -v "$c" 2>/dev/null) && [ -n "$p" ] && echo "PYTHON $p"
done
exit 0
"""

_SCRIPTS = Path(__file__).resolve().parent.parent / "scripts"


def remote_script(name: str) -> str:
    """The source of a script of ``runicorn/remote/scripts``, to send to ``python -``."""
    return (_SCRIPTS / name).read_text(encoding="utf-8")


def local_runicorn_version() -> str:
    """The version of the Runicorn running here, to compare with a remote one."""
    try:
        return metadata.version("runicorn")
    except metadata.PackageNotFoundError:
        return "0.0.0"


def _version_tuple(text: str) -> tuple[int, ...]:
    parts: list[int] = []
    for piece in text.split(".")[:3]:
        digits = "".join(ch for ch in piece if ch.isdigit())
        if not digits:
            break
        parts.append(int(digits))
    return tuple(parts)


def is_compatible_version(remote: str | None, local: str | None = None) -> bool:
    """Whether a remote Runicorn can serve this client: same major version (minor for 0.x)."""
    if not remote:
        return False
    theirs, ours = _version_tuple(remote), _version_tuple(local or local_runicorn_version())
    if not theirs or not ours:
        return False
    if ours[0] == 0:
        return theirs[:2] == ours[:2]
    return theirs[0] == ours[0]


@dataclass(frozen=True)
class PythonEnvironment:
    """A Python interpreter on the remote host and the Runicorn it can import, if any."""

    python: str
    source: str
    name: str
    python_version: str | None = None
    runicorn_version: str | None = None
    compatible: bool = False
    error: str | None = None
    executable: str | None = None
    prefix: str | None = None
    found_as: tuple[str, ...] = ()
    identity: tuple[str, str] | None = field(default=None, compare=False, repr=False)

    def to_dict(self) -> dict[str, Any]:
        """The API shape: ``found_as`` lists every path that reached this environment."""
        data = asdict(self)
        del data["identity"]
        data["found_as"] = list(self.found_as or (self.python,))
        return data


@dataclass
class RemoteViewerProcess:
    """A viewer running on the remote host, attached to its SSH channel."""

    process: asyncssh.SSHClientProcess[str]
    python: str
    root: str | None
    token: str = field(repr=False)
    host: str = "127.0.0.1"
    port: int = 0
    pid: int | None = None
    started_at: float = 0.0
    output_tail: deque[str] = field(default_factory=lambda: deque(maxlen=_STDERR_TAIL_LINES))
    _drains: list[asyncio.Task[None]] = field(default_factory=list, repr=False)

    @property
    def running(self) -> bool:
        """Whether the process's channel is still open (it exits when the channel closes)."""
        return self.process.exit_status is None and not self.process.is_closing()

    def output(self) -> str:
        """The last lines the remote viewer wrote, for error messages."""
        return "".join(self.output_tail)

    def info(self) -> dict[str, Any]:
        """A description without the token."""
        return {
            "python": self.python,
            "root": self.root,
            "remote_host": self.host,
            "remote_port": self.port,
            "remote_pid": self.pid,
            "running": self.running,
        }


SOURCE_PREFERENCE = {"user": 0, "conda": 1, "path": 2}


def unique_environments(envs: Sequence[PythonEnvironment]) -> list[PythonEnvironment]:
    """One entry per interpreter, by what it reports for its own executable and prefix.

    ``python`` and ``python3`` of one venv, two pyenv shims, or a conda env that is also on
    PATH are found by different paths but are one environment. The entry kept is the one the
    user named, else conda's (it has the env's name), else PATH's; ``found_as`` lists every
    path. An interpreter that could not be probed is kept as it is.
    """
    kept: dict[tuple[str, str], PythonEnvironment] = {}
    paths: dict[tuple[str, str], list[str]] = {}
    alone: list[PythonEnvironment] = []
    for env in sorted(envs, key=lambda e: SOURCE_PREFERENCE.get(e.source, 3)):
        if env.identity is None:
            alone.append(env)
            continue
        paths.setdefault(env.identity, []).append(env.python)
        kept.setdefault(env.identity, env)
    merged = [replace(env, found_as=tuple(paths[key])) for key, env in kept.items()]
    return merged + alone


class RemoteViewerManager:
    """Remote-side operations over one :class:`SSHConnection`."""

    def __init__(self, connection: SSHConnection) -> None:
        self.connection = connection

    async def probe_python(
        self, python: str, *, source: str = "user", name: str = ""
    ) -> PythonEnvironment:
        """Which Python and Runicorn ``python`` runs; never raises for a broken interpreter."""
        python = expand_home(python, await self._home_or_tilde())
        label = name or python
        try:
            result = await self.connection.run(
                [python, "-c", remote_script("python_info.py")], timeout=60
            )
        except RemoteCommandError as exc:
            return PythonEnvironment(python, source, label, error=str(exc))
        if not result.ok:
            message = (result.stderr or result.stdout).strip()[
                -500:
            ] or f"exit {result.exit_status}"
            if result.exit_status == 127:
                message = f"{python}: not found on the remote host"
            return PythonEnvironment(python, source, label, error=message)
        try:
            data = json.loads(result.stdout.strip().splitlines()[-1])
        except (ValueError, IndexError):
            return PythonEnvironment(
                python, source, label, error=f"unexpected output: {result.stdout[:200]!r}"
            )
        version = data.get("runicorn_version")
        error = data.get("error")
        if version and not is_compatible_version(version):
            error = (
                f"runicorn {version} here is not compatible with runicorn "
                f"{local_runicorn_version()} on this machine: pip install -U runicorn in it"
            )
        elif not version and error:
            error = (
                f"runicorn is not importable ({error}): pip install runicorn in this environment"
            )
        real = (data.get("real_executable"), data.get("real_prefix"))
        return PythonEnvironment(
            python=python,
            source=source,
            name=label,
            python_version=data.get("python_version"),
            runicorn_version=version,
            compatible=bool(version) and is_compatible_version(version),
            error=error,
            executable=data.get("executable"),
            prefix=data.get("prefix"),
            identity=(real[0], real[1]) if all(isinstance(p, str) for p in real) else None,
        )

    async def list_environments(
        self, extra_pythons: tuple[str, ...] = ()
    ) -> list[PythonEnvironment]:
        """Conda environments, ``python3``/``python`` on PATH and ``extra_pythons``, probed.

        Each environment is listed once, however many paths reach it (see
        :func:`unique_environments`). Compatible ones come first. Probes run a few at a time:
        servers cap the channels one connection may open (``MaxSessions``, 10 by default).
        """
        candidates: dict[str, tuple[str, str]] = {}
        for python in extra_pythons:
            candidates.setdefault(python, ("user", python))
        found = await self.connection.run_script(_DISCOVER_SCRIPT, timeout=30)
        conda: str | None = None
        for line in found.stdout.splitlines():
            kind, _, path = line.partition(" ")
            if kind == "CONDA" and path:
                conda = path
            elif kind == "PYTHON" and path:
                candidates.setdefault(path, ("path", path.rsplit("/", 1)[-1]))
        if conda:
            for prefix in await self._conda_envs(conda):
                name = prefix.rstrip("/").rsplit("/", 1)[-1]
                candidates.setdefault(f"{prefix.rstrip('/')}/bin/python", ("conda", name))
        gate = asyncio.Semaphore(_PROBE_CONCURRENCY)

        async def probe(python: str, source: str, name: str) -> PythonEnvironment:
            async with gate:
                return await self.probe_python(python, source=source, name=name)

        envs = await asyncio.gather(*(probe(p, s, n) for p, (s, n) in candidates.items()))
        unique = unique_environments(envs)
        return sorted(unique, key=lambda e: (not e.compatible, e.source != "user", e.name))

    async def _conda_envs(self, conda: str) -> list[str]:
        result = await self.connection.run([conda, "env", "list", "--json"], timeout=60)
        if not result.ok:
            return []
        try:
            envs = json.loads(result.stdout).get("envs", [])
        except (ValueError, AttributeError):
            return []
        return [e for e in envs if isinstance(e, str)]

    async def start_viewer(
        self,
        *,
        python: str,
        root: str | None = None,
        token: str | None = None,
        idle_timeout: float = DEFAULT_IDLE_TIMEOUT,
        ready_timeout: float = DEFAULT_READY_TIMEOUT,
        launcher: tuple[str, ...] | None = None,
    ) -> RemoteViewerProcess:
        """Start the viewer on the remote loopback and wait for its READY line.

        The process has no PTY and exits when its stdin (the SSH channel) closes, so it dies with
        the session. ``launcher`` replaces ``-m runicorn.viewer`` (tests use a stand-in script).
        Raises :class:`RemoteViewerError` with the remote output when it does not come up.
        """
        home = await self._home_or_tilde()
        python = expand_home(python, home)
        root = expand_home(root, home) if root else None
        token = token or new_token()
        argv = viewer_argv(python, token=token, root=root, idle_timeout=idle_timeout)
        if launcher is not None:
            argv = [python, *launcher, *argv[1 + len(VIEWER_MODULE) :]]
        process = await self.connection.create_process(with_pid_announcement(argv))
        process.stdin.write(token + "\n")  # read by --token-stdin, never on a command line
        viewer = RemoteViewerProcess(process=process, python=python, root=root, token=token)
        viewer.started_at = asyncio.get_running_loop().time()
        viewer._drains.append(asyncio.create_task(_drain(process.stderr, viewer.output_tail)))
        try:
            ready = await asyncio.wait_for(_read_ready(viewer), ready_timeout)
        except (asyncio.TimeoutError, RemoteViewerError) as exc:
            await self.stop_viewer(viewer, timeout=2)
            await asyncio.sleep(0)
            reason = (
                f"it did not report ready within {ready_timeout:g}s"
                if isinstance(exc, asyncio.TimeoutError)
                else str(exc)
            )
            raise RemoteViewerError(
                _start_failure(self.connection.key, python, reason, viewer)
            ) from None
        viewer.host = str(ready.get("host") or "127.0.0.1")
        viewer.port = int(ready["port"])
        viewer._drains.append(asyncio.create_task(_drain(process.stdout, viewer.output_tail)))
        return viewer

    async def stop_viewer(self, viewer: RemoteViewerProcess, *, timeout: float = 5.0) -> bool:
        """Stop the viewer and make sure its process is gone; whether it is gone for sure.

        Closing stdin is the polite way (the viewer exits on EOF). A viewer that lingers gets
        TERM, then KILL, sent to the pid it announced.
        """
        process = viewer.process
        with contextlib.suppress(Exception):
            process.stdin.write_eof()
        with contextlib.suppress(asyncio.TimeoutError):
            await asyncio.wait_for(process.wait_closed(), timeout)
        closed_politely = process.is_closing() or process.exit_status is not None
        process.close()
        for task in viewer._drains:
            task.cancel()
        if viewer.pid is None or self.connection.closed:
            return viewer.pid is None and closed_politely
        grace = 1.0 if closed_politely else 0.0
        return await self.ensure_gone(viewer.pid, viewer.token, grace=grace)

    async def viewer_alive(self, pid: int, token: str) -> bool:
        """Whether ``pid`` on the remote host is still our viewer (its command line has our label).

        Matching the label guards against a recycled pid belonging to someone else.
        """
        result = await self.connection.run(["ps", "-o", "args=", "-p", str(pid)], timeout=15)
        return result.ok and viewer_label(token) in result.stdout

    async def ensure_gone(
        self, pid: int, token: str, *, grace: float = 5.0, timeout: float = 3.0
    ) -> bool:
        """Give the viewer ``pid`` ``grace`` seconds to exit, then TERM, then KILL it.

        Returns whether it is gone. Each signal is followed by up to ``timeout`` seconds of
        checking.
        """
        loop = asyncio.get_running_loop()
        for signal_name, wait in ((None, grace), ("TERM", timeout), ("KILL", timeout)):
            if signal_name is not None:
                await self.connection.run(["kill", f"-{signal_name}", str(pid)], timeout=15)
            deadline = loop.time() + wait
            while True:
                if not await self.viewer_alive(pid, token):
                    return True
                if loop.time() >= deadline:
                    break
                await asyncio.sleep(0.1)
        return False

    async def list_dir(self, path: str = "~", *, show_hidden: bool = True) -> dict[str, Any]:
        """The entries of a remote folder (folders first), read over SFTP."""
        sftp = await self.connection.sftp()
        target = expand_home(path or "~", await self.connection.home())
        try:
            names = await sftp.readdir(target)
        except asyncssh.SFTPError as exc:
            raise _path_error(target, exc) from None
        entries: list[dict[str, Any]] = []
        for item in names:
            filename = str(item.filename)
            if filename in (".", ".."):
                continue
            if not show_hidden and filename.startswith("."):
                continue
            entries.append(await _entry(sftp, target, filename, item.attrs))
        entries.sort(key=lambda e: (e["type"] != "dir", e["name"].lower()))
        truncated = len(entries) > MAX_LIST_ENTRIES
        parent = target.rstrip("/").rsplit("/", 1)[0] or "/"
        return {
            "path": target,
            "parent": None if target.rstrip("/") == "" else parent,
            "entries": entries[:MAX_LIST_ENTRIES],
            "truncated": truncated,
        }

    async def exists(self, path: str) -> dict[str, Any]:
        """Whether a remote path exists and what it is, read over SFTP."""
        sftp = await self.connection.sftp()
        target = expand_home(path, await self.connection.home())
        try:
            attrs = await sftp.stat(target)
        except asyncssh.SFTPNoSuchFile:
            return {"path": target, "exists": False, "type": None}
        except asyncssh.SFTPError as exc:
            raise _path_error(target, exc) from None
        return {"path": target, "exists": True, "type": _kind(attrs.permissions)}

    async def status(self, *, python: str = "python3", root: str | None = None) -> dict[str, Any]:
        """Load, memory, disk (of ``root`` or home) and GPUs of the remote host: one round trip."""
        home = await self._home_or_tilde()
        args = [expand_home(python, home), "-", expand_home(root, home) if root else ""]
        result = await self.connection.run(args, input=remote_script("host_status.py"), timeout=60)
        return _json_result(result, f"read the status of {self.connection.key} with {python}")

    async def list_runs(self, root: str | None, *, python: str = "python3") -> dict[str, Any]:
        """The runs under a remote storage root (``root=None``: the remote default), newest first.

        One small script walks the folders on the remote side, so a root with thousands of runs
        costs one round trip, not one per folder; it needs only a Python 3.
        """
        home = await self._home_or_tilde()
        args = [expand_home(python, home), "-", expand_home(root, home) if root else ""]
        result = await self.connection.run(args, input=remote_script("list_runs.py"), timeout=120)
        return _json_result(result, f"list the runs on {self.connection.key} with {python}")

    async def _home_or_tilde(self) -> str:
        try:
            return await self.connection.home()
        except SSHConnectError:
            result = await self.connection.run_script('printf %s "$HOME"', timeout=15)
            return result.stdout or "~"


def _json_result(result: Any, action: str) -> dict[str, Any]:
    if not result.ok:
        raise RemoteCommandError(
            f"could not {action}: exit {result.exit_status}: {result.stderr.strip()[-1000:]}",
            exit_status=result.exit_status,
            stderr=result.stderr,
        )
    try:
        data = json.loads(result.stdout.strip().splitlines()[-1])
    except (ValueError, IndexError):
        raise RemoteCommandError(
            f"could not {action}: unexpected output {result.stdout[:300]!r}"
        ) from None
    if not isinstance(data, dict):
        raise RemoteCommandError(f"could not {action}: unexpected output {result.stdout[:300]!r}")
    return data


async def _drain(stream: asyncssh.SSHReader[str], tail: deque[str]) -> None:
    """Keep reading a remote stream: an unread channel fills its window and blocks the viewer."""
    with contextlib.suppress(Exception):
        while True:
            line = await stream.readline()
            if not line:
                return
            tail.append(line)


async def _read_ready(viewer: RemoteViewerProcess) -> dict[str, Any]:
    stdout = viewer.process.stdout
    while True:
        line = await stdout.readline()
        if not line:
            await viewer.process.wait_closed()
            raise RemoteViewerError(f"it exited with status {viewer.process.exit_status}")
        if line.startswith(REMOTE_PID_PREFIX):
            with contextlib.suppress(ValueError):
                viewer.pid = int(line[len(REMOTE_PID_PREFIX) :].strip())
            continue
        if line.startswith(VIEWER_READY_PREFIX):
            try:
                ready = json.loads(line[len(VIEWER_READY_PREFIX) :])
                int(ready["port"])
            except (ValueError, KeyError, TypeError):
                raise RemoteViewerError(f"its READY line is malformed: {line.strip()!r}") from None
            if not isinstance(ready, dict):
                raise RemoteViewerError(f"its READY line is malformed: {line.strip()!r}")
            return ready
        viewer.output_tail.append(line)


def _start_failure(target: str, python: str, reason: str, viewer: RemoteViewerProcess) -> str:
    output = viewer.output().strip()
    hint = ""
    if re.search(r"No module named '?runicorn'?(\s|$)", output):
        hint = (
            f" runicorn is not installed for {python}: pip install runicorn there, or pick "
            "another environment."
        )
    elif "No such file" in output or "not found" in output:
        hint = f" {python} was not found on {target}: give the full path of the interpreter."
    tail = f"\nremote output:\n{output[-3000:]}" if output else ""
    return f"the remote viewer did not start on {target} with {python}: {reason}.{hint}{tail}"


def _kind(permissions: int | None) -> str:
    if permissions is None:
        return "other"
    if stat.S_ISDIR(permissions):
        return "dir"
    if stat.S_ISREG(permissions):
        return "file"
    if stat.S_ISLNK(permissions):
        return "link"
    return "other"


async def _entry(
    sftp: asyncssh.SFTPClient, folder: str, filename: str, attrs: asyncssh.SFTPAttrs
) -> dict[str, Any]:
    full = folder.rstrip("/") + "/" + filename
    kind = _kind(attrs.permissions)
    target_kind = None
    if kind == "link":
        with contextlib.suppress(asyncssh.SFTPError):
            target_kind = _kind((await sftp.stat(full)).permissions)
    return {
        "name": filename,
        "path": full,
        "type": target_kind if target_kind in ("dir", "file") else kind,
        "is_link": kind == "link",
        "size": attrs.size,
        "mtime": attrs.mtime,
    }


def _path_error(path: str, exc: asyncssh.SFTPError) -> RemotePathError:
    if isinstance(exc, asyncssh.SFTPNoSuchFile):
        return RemotePathError(f"remote path {path!r} does not exist")
    if isinstance(exc, asyncssh.SFTPPermissionDenied):
        return RemotePathError(f"permission denied reading remote path {path!r}")
    if isinstance(exc, asyncssh.SFTPNoSuchPath):
        return RemotePathError(f"remote path {path!r} does not exist")
    return RemotePathError(f"cannot read remote path {path!r}: {exc.reason}")
