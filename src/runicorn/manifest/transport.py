"""The two kinds of storage root a sync reads from and writes to: local folders and SSH hosts.

A :class:`Transport` answers a manifest, reads byte ranges, and writes in the only three ways a
sync writes: appending complete lines to an append-only file at the size it was checked at,
replacing a document atomically, and filling a resumable part file that is renamed into place
once its sha256 is verified. Every destination path goes through :meth:`Transport.target`
checks first: relative, no ``..``, and no symlink anywhere between the root and the file, so a
hostile manifest cannot make a sync write outside the destination root.

Durability is rsync's: run files are not fsynced one by one (that tripled a first sync). A kill
cannot tear them either way (rename, whole lines); after a power cut the next sync finds any
lost or short file and sends it again. Blobs and media, named by their hash, are fsynced before
their rename, since a file with the right name and lost content would never be sent again.
"""

from __future__ import annotations

import abc
import asyncio
import contextlib
import hashlib
import os
import re
import stat
import sys
from collections.abc import AsyncIterator, Sequence
from contextlib import AbstractAsyncContextManager
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING, Any

from runicorn.errors import UnsafePathError
from runicorn.manifest import script
from runicorn.manifest.models import Manifest
from runicorn.security.path_validation import safe_relative_path

if TYPE_CHECKING:
    from runicorn.manifest.indexing import IndexUpdate
    from runicorn.manifest.stream import ByteReader, StreamRequest
    from runicorn.remote.connection import SSHConnection

CHUNK_BYTES = 4 << 20
# zlib level of the stream of new runs: "auto" compresses while it pays (send_script.Pace);
# "0" sends as it is, "1".."9" always compress.
STREAM_LEVEL = "auto"
# Helper processes indexing new runs during a large pass (each reads whole runs: CPU-bound).
INDEX_HELPERS = max(1, min(2, os.cpu_count() or 1))
PART_SUFFIX = ".rnsync-part"


class Location:
    """A parsed SYNC argument: a local folder, or ``[user@]host:/path`` over SSH."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.ssh_target: str | None = None
        self.path = text
        if _is_remote(text):
            host_part, _, path = text.partition(":")
            self.ssh_target = host_part
            self.path = path

    @property
    def is_remote(self) -> bool:
        return self.ssh_target is not None


def _is_remote(text: str) -> bool:
    """Whether ``text`` names an SSH location, as scp and rsync read it."""
    if text.startswith(("/", ".", "~")) or re.match(r"^[A-Za-z]:[\\/]", text):
        return False
    head, sep, _ = text.partition(":")
    return bool(sep) and bool(head) and "/" not in head and "\\" not in head


def part_name(rel: str, key: str) -> str:
    """The resumable part file of ``rel`` for content ``key`` (a dot-file: scans skip it)."""
    parent, _, name = rel.rpartition("/")
    part = f".{name}.{key[:16]}{PART_SUFFIX}"
    return f"{parent}/{part}" if parent else part


class Transport(abc.ABC):
    """One storage root, local or remote, as seen by the sync engine."""

    label: str

    @abc.abstractmethod
    async def manifest(self, *, project: str | None = None, since: float | None = None) -> Manifest:
        """The root's manifest (runs filtered by ``project`` / ``since``)."""

    @abc.abstractmethod
    async def read_range(self, rel: str, offset: int, length: int) -> bytes:
        """Up to ``length`` bytes of ``rel`` from ``offset`` (fewer at the end of the file)."""

    @abc.abstractmethod
    def iter_chunks(self, rel: str, offset: int) -> AsyncIterator[bytes]:
        """The bytes of ``rel`` from ``offset`` to its current end, in chunks."""

    @abc.abstractmethod
    async def file_size(self, rel: str) -> int | None:
        """The size of ``rel``, None if it does not exist."""

    @abc.abstractmethod
    async def append(self, rel: str, data: bytes, at: int) -> None:
        """Append ``data`` to ``rel`` (created when ``at`` is 0) if its size is still ``at``."""

    @abc.abstractmethod
    async def write_atomic(self, rel: str, data: bytes) -> None:
        """Replace ``rel`` with ``data``: readers see the old file or the new one."""

    @abc.abstractmethod
    async def part_state(self, rel: str, key: str) -> tuple[int, Any]:
        """Size of the part file of (``rel``, ``key``) and a sha256 object fed with its bytes."""

    @abc.abstractmethod
    async def write_part(self, rel: str, key: str, offset: int, data: bytes) -> None:
        """Write ``data`` at ``offset`` of the part file (created at offset 0)."""

    @abc.abstractmethod
    async def commit_part(self, rel: str, key: str, *, durable: bool = True) -> None:
        """Rename the part file to ``rel``, flushed to disk first when ``durable``."""

    @abc.abstractmethod
    async def discard_part(self, rel: str, key: str) -> None:
        """Remove the part file, if any."""

    def can_stream(self) -> bool:
        """Whether :meth:`open_stream` can send whole files through one channel."""
        return False

    def open_stream(
        self, requests: Sequence[StreamRequest]
    ) -> AbstractAsyncContextManager[ByteReader]:
        """A reader of the framed stream of ``requests`` (see ``manifest/stream.py``)."""
        raise NotImplementedError

    async def index_early(self, update: IndexUpdate) -> bool:
        """Start indexing a run whose files are all written while the pass goes on; False
        when this transport cannot (the run is then in :meth:`update_index`'s list)."""
        return False

    @abc.abstractmethod
    async def update_index(
        self, updates: Sequence[IndexUpdate], artifacts: Sequence[tuple[str, str]] = ()
    ) -> list[str]:
        """Bring the run folders and artifacts (project, name) a pass wrote into the root's
        index; notes for the report."""

    def forget_state(self) -> None:  # noqa: B027 - only a followed root keeps state
        """Drop what is kept between watch passes (a pass failed midway)."""

    async def close(self) -> None:  # noqa: B027 - most transports hold nothing to release
        """Release what the transport holds (the SSH connection is its owner's)."""


def check_relative(rel: str) -> PurePosixPath:
    """``rel`` as a clean relative path, or :class:`UnsafePathError` (absolute, ``..``...)."""
    return safe_relative_path(rel)


class LocalTransport(Transport):
    """A storage root on this machine."""

    def __init__(self, root: Path | str, *, follow: bool = False) -> None:
        self.root = Path(root).expanduser().absolute()
        self.label = str(self.root)
        self._indexers: list[asyncio.subprocess.Process] = []
        self._early: list[tuple[int, IndexUpdate]] = []  # (helper, run) pairs
        # Watching: the root's manifest is kept between passes, re-scanning only what changed.
        self._followed = script.FollowedRoot(str(self.root)) if follow else None
        # Folders this pass found to be real folders (or made), the root among them: the
        # checks of a run's first file are not repeated for its others. Forgotten at the next
        # pass (the root may have gone since).
        self._folders: set[str] = set()

    async def manifest(self, *, project: str | None = None, since: float | None = None) -> Manifest:
        self._folders.clear()  # a pass starts here
        if self._followed is not None and project is None and since is None:
            return Manifest.from_dict(await asyncio.to_thread(self._followed.manifest))
        data = await asyncio.to_thread(
            script.generate_data, str(self.root), project=project, since=since, use_cache=True
        )
        return Manifest.from_dict(data)

    def forget_state(self) -> None:
        """Scan the whole root at the next manifest (a pass failed midway)."""
        if self._followed is not None:
            self._followed.forget()

    def _source(self, rel: str) -> Path:
        clean = check_relative(rel)
        path = self.root.joinpath(*clean.parts)
        if path.is_symlink():
            raise UnsafePathError(f"{rel} is a symbolic link; it is not synced")
        return path

    def target(self, rel: str) -> Path:
        """The destination path of ``rel``; no symlink may lie between the root and it."""
        clean = check_relative(rel)
        if self._followed is not None:
            self._followed.wrote(clean.as_posix())
        # Strings, not Path joins: this runs several times per file of every run a sync writes.
        parts = clean.parts
        folder = str(self.root)
        if folder not in self._folders:
            self.root.mkdir(parents=True, exist_ok=True)
            self._folders.add(folder)
        for part in parts[:-1]:
            folder = f"{folder}/{part}"
            if folder in self._folders:
                continue
            try:
                mode = os.lstat(folder).st_mode
            except FileNotFoundError:
                os.mkdir(folder)
                mode = stat.S_IFDIR
            if not stat.S_ISDIR(mode):
                raise UnsafePathError(
                    f"{rel}: {folder} is a symbolic link or a file, not a folder; nothing is "
                    "written through it"
                )
            self._folders.add(folder)
        path = f"{folder}/{parts[-1]}"
        with contextlib.suppress(FileNotFoundError):
            if not stat.S_ISREG(os.lstat(path).st_mode):
                raise UnsafePathError(f"{rel} exists here and is not a regular file")
        return Path(path)

    async def read_range(self, rel: str, offset: int, length: int) -> bytes:
        with self._source(rel).open("rb") as handle:
            handle.seek(offset)
            return handle.read(length)

    async def iter_chunks(self, rel: str, offset: int) -> AsyncIterator[bytes]:
        with self._source(rel).open("rb") as handle:
            handle.seek(offset)
            while chunk := handle.read(CHUNK_BYTES):
                yield chunk

    async def file_size(self, rel: str) -> int | None:
        try:
            st = os.lstat(self.root.joinpath(*check_relative(rel).parts))
        except (FileNotFoundError, NotADirectoryError):
            return None
        return st.st_size if stat.S_ISREG(st.st_mode) else None

    async def append(self, rel: str, data: bytes, at: int) -> None:
        path = self.target(rel)
        flags = os.O_WRONLY | os.O_APPEND | (os.O_CREAT if at == 0 else 0) | os.O_NOFOLLOW
        fd = os.open(path, flags, 0o644)
        try:
            size = os.fstat(fd).st_size
            if size != at:
                raise OSError(f"{rel} changed here during the sync ({size} bytes, not {at})")
            view = memoryview(data)
            while view:
                view = view[os.write(fd, view) :]
        finally:
            os.close(fd)

    async def write_atomic(self, rel: str, data: bytes) -> None:
        path = self.target(rel)
        tmp = path.parent / f".{path.name}.{os.getpid()}.rnsync-tmp"
        try:
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_NOFOLLOW, 0o644)
            with os.fdopen(fd, "wb") as handle:
                handle.write(data)
            os.replace(tmp, path)
        except BaseException:
            with contextlib.suppress(OSError):
                tmp.unlink()
            raise

    async def part_state(self, rel: str, key: str) -> tuple[int, Any]:
        digest = hashlib.sha256()
        path = self.target(part_name(rel, key))
        try:
            with path.open("rb") as handle:
                while chunk := handle.read(CHUNK_BYTES):
                    digest.update(chunk)
                return handle.tell(), digest
        except FileNotFoundError:
            return 0, digest

    async def write_part(self, rel: str, key: str, offset: int, data: bytes) -> None:
        path = self.target(part_name(rel, key))
        flags = os.O_WRONLY | os.O_NOFOLLOW | (os.O_CREAT | os.O_TRUNC if offset == 0 else 0)
        fd = os.open(path, flags, 0o644)
        try:
            os.lseek(fd, offset, os.SEEK_SET)
            view = memoryview(data)
            while view:
                view = view[os.write(fd, view) :]
        finally:
            os.close(fd)

    async def commit_part(self, rel: str, key: str, *, durable: bool = True) -> None:
        part = self.target(part_name(rel, key))
        if durable:
            fd = os.open(part, os.O_RDONLY | os.O_NOFOLLOW)
            try:
                os.fsync(fd)
            finally:
                os.close(fd)
        os.replace(part, self.target(rel))

    async def discard_part(self, rel: str, key: str) -> None:
        with contextlib.suppress(FileNotFoundError):
            self.target(part_name(rel, key)).unlink()

    async def index_early(self, update: IndexUpdate) -> bool:
        # A new run is read whole to be indexed (CPU-bound): helper processes do it on the
        # other cores while this one keeps transferring, and share the backlog at the end.
        if update.events_from is not None:
            return False
        slot = len(self._early) % INDEX_HELPERS
        if slot == len(self._indexers):
            try:
                self._indexers.append(
                    await asyncio.create_subprocess_exec(
                        sys.executable,
                        "-m",
                        "runicorn.manifest",
                        f"--root={self.root}",
                        "--index",
                        stdin=asyncio.subprocess.PIPE,
                        stdout=asyncio.subprocess.PIPE,
                        stderr=asyncio.subprocess.PIPE,
                    )
                )
            except OSError:
                if not self._indexers:
                    return False
                slot = 0
        indexer = self._indexers[slot]
        assert indexer.stdin is not None
        self._early.append((slot, update))
        indexer.stdin.write(update.path.encode() + b"\n")
        await indexer.stdin.drain()
        return True

    async def update_index(
        self, updates: Sequence[IndexUpdate], artifacts: Sequence[tuple[str, str]] = ()
    ) -> list[str]:
        from runicorn.manifest.indexing import index_artifacts, index_runs

        notes: list[str] = []
        todo = list(updates)
        indexers, early = self._indexers, self._early
        self._indexers, self._early = [], []
        for indexer in indexers:
            assert indexer.stdin is not None
            indexer.stdin.close()  # communicate() closes stdin only when it sends input
        for slot, indexer in enumerate(indexers):
            out, err = await indexer.communicate()
            if indexer.returncode == 0:
                notes += out.decode(errors="replace").splitlines()
            else:  # the helper failed: index its runs here
                reason = err.decode(errors="replace").strip()[-300:]
                notes.append(f"the index helper failed ({reason}); indexed in this process")
                todo += [update for owner, update in early if owner == slot]
        if artifacts:
            notes += await asyncio.to_thread(index_artifacts, self.root, artifacts)
        if not todo:
            return notes
        return notes + await asyncio.to_thread(index_runs, self.root, todo)


class SSHTransport(Transport):
    """A storage root on an SSH host: the manifest by a remote command, bytes over SFTP.

    The connection belongs to the caller (a CLI session or the viewer's pool). The manifest is
    computed remotely by the stdlib-only script sent on stdin (the same file as
    ``python -m runicorn.manifest``, without Runicorn's import time); files of new runs come
    through the framed stream of ``send_script.py``. Updating the host's index needs Runicorn
    there.
    """

    def __init__(self, conn: SSHConnection, root: str, *, python: str = "python3") -> None:
        self.conn = conn
        self.root_arg = root
        self.python = python
        self.abs_root: str | None = None
        self.has_runicorn: bool | None = None
        self.label = f"{conn.key}:{root}"
        self.manifest_bytes = 0
        self._checked_dirs: set[str] = set()
        from runicorn.manifest.stream import SEND_SCRIPT_PATH

        # The sender program run on the host (a test may point it at a misbehaving one).
        self.send_script: Path = SEND_SCRIPT_PATH
        self.stream_level = STREAM_LEVEL

    async def _probe(self) -> bool:
        if self.has_runicorn is None:
            check = (
                "import sys\nfrom runicorn.manifest.script import FORMAT_VERSION as v\n"
                f"sys.exit(0 if v == {script.FORMAT_VERSION} else 3)\n"
            )
            result = await self.conn.run([self.python, "-c", check], timeout=60)
            self.has_runicorn = result.ok
        return self.has_runicorn

    async def manifest(self, *, project: str | None = None, since: float | None = None) -> Manifest:
        from runicorn.remote.errors import RemoteCommandError

        args = ["--compress"]
        if self.root_arg:
            args.append(f"--root={self.root_arg}")
        if project is not None:
            args.append(f"--project={project}")
        if since is not None:
            args.append(f"--since={since!r}")
        # Always the stdlib program on stdin, even where Runicorn is installed: importing
        # Runicorn there costs most of a second, and the program is the same file.
        argv, stdin = [self.python, "-", *args], script.script_source()
        self._checked_dirs.clear()
        result = await self.conn.run(argv, input=stdin, timeout=600)
        lines = result.stdout.strip().splitlines()
        if not result.ok or not lines:
            raise RemoteCommandError(
                f"the manifest of {self.label} could not be made (exit {result.exit_status}): "
                f"{result.stderr.strip()[-500:]}"
            )
        self.manifest_bytes += len(lines[-1])
        manifest = Manifest.from_dict(script.decode(lines[-1]))
        self.abs_root = manifest.root
        return manifest

    def _path(self, rel: str) -> str:
        clean = check_relative(rel)
        if self.abs_root is None:
            raise RuntimeError("the remote root is known once its manifest has been read")
        return self.abs_root.rstrip("/") + "/" + clean.as_posix()

    async def _sftp(self) -> Any:
        return await self.conn.sftp()

    def can_stream(self) -> bool:
        return self.abs_root is not None

    @contextlib.asynccontextmanager
    async def open_stream(self, requests: Sequence[StreamRequest]) -> AsyncIterator[ByteReader]:
        from runicorn.manifest.stream import encode_requests
        from runicorn.remote.errors import RemoteCommandError

        if self.abs_root is None:
            raise RuntimeError("the remote root is known once its manifest has been read")
        wanted = [r.as_tuple() for r in requests]
        argv = [
            self.python, "-", f"--root={self.abs_root}", f"--requests={encode_requests(wanted)}",
            f"--level={self.stream_level}",
        ]  # fmt: skip
        process = await self.conn.create_byte_process(argv)
        try:
            process.stdin.write(self.send_script.read_bytes())
            process.stdin.write_eof()
            yield process.stdout
            await process.wait_closed()
            if process.exit_status not in (0, None):
                stderr = (await process.stderr.read()).decode(errors="replace")
                raise RemoteCommandError(
                    f"sending files from {self.label} failed: {stderr.strip()[-300:]}"
                )
        finally:
            process.close()

    async def read_range(self, rel: str, offset: int, length: int) -> bytes:
        sftp = await self._sftp()
        async with sftp.open(self._path(rel), "rb") as handle:
            data: bytes = await handle.read(length, offset)
            return data

    async def iter_chunks(self, rel: str, offset: int) -> AsyncIterator[bytes]:
        sftp = await self._sftp()
        async with sftp.open(self._path(rel), "rb") as handle:
            # Exact ranges up to the size at open: a read past the end would still send its
            # whole burst of parallel requests (a small file would cost dozens of them).
            end = int((await handle.stat()).size or 0)
            while offset < end:
                chunk: bytes = await handle.read(min(CHUNK_BYTES, end - offset), offset)
                if not chunk:
                    return
                offset += len(chunk)
                yield chunk

    async def target(self, rel: str) -> str:
        """The remote path of ``rel`` after checking no symlink lies on the way (SFTP lstat)."""
        import asyncssh

        sftp = await self._sftp()
        clean = check_relative(rel)
        if self.abs_root is None:
            raise RuntimeError("the remote root is known once its manifest has been read")
        folder = self.abs_root.rstrip("/")
        if folder not in self._checked_dirs:
            await sftp.makedirs(folder, exist_ok=True)
            self._checked_dirs.add(folder)
        for part in clean.parts[:-1]:
            folder = f"{folder}/{part}"
            if folder in self._checked_dirs:
                continue
            try:
                attrs = await sftp.lstat(folder)
            except asyncssh.SFTPNoSuchFile:
                with contextlib.suppress(asyncssh.SFTPFailure):  # made meanwhile by another task
                    await sftp.mkdir(folder)
                attrs = await sftp.lstat(folder)
            if attrs.type != asyncssh.FILEXFER_TYPE_DIRECTORY:
                raise UnsafePathError(f"{rel}: {folder} on the remote host is not a real folder")
            self._checked_dirs.add(folder)
        path = f"{folder}/{clean.parts[-1]}"
        with contextlib.suppress(asyncssh.SFTPNoSuchFile):
            attrs = await sftp.lstat(path)
            if attrs.type != asyncssh.FILEXFER_TYPE_REGULAR:
                raise UnsafePathError(f"{rel} exists on the remote host and is not a regular file")
        return path

    async def file_size(self, rel: str) -> int | None:
        import asyncssh

        sftp = await self._sftp()
        try:
            attrs = await sftp.lstat(self._path(rel))
        except asyncssh.SFTPNoSuchFile:
            return None
        return int(attrs.size or 0)

    async def append(self, rel: str, data: bytes, at: int) -> None:
        import asyncssh

        sftp = await self._sftp()
        path = await self.target(rel)
        # Write (creating) without truncating: a file that appeared meanwhile fails the check.
        flags = asyncssh.FXF_WRITE | asyncssh.FXF_CREAT
        async with sftp.open(path, flags, encoding=None) as handle:
            size = int((await handle.stat()).size or 0)
            if size != at:
                raise OSError(f"{rel} changed on the remote host during the sync")
            await handle.write(data, at)

    async def write_atomic(self, rel: str, data: bytes) -> None:
        sftp = await self._sftp()
        path = await self.target(rel)
        parent, _, name = path.rpartition("/")
        tmp = f"{parent}/.{name}.rnsync-tmp"
        async with sftp.open(tmp, "wb") as handle:
            await handle.write(data)
        await sftp.posix_rename(tmp, path)

    async def part_state(self, rel: str, key: str) -> tuple[int, Any]:
        import asyncssh

        digest = hashlib.sha256()
        sftp = await self._sftp()
        path = await self.target(part_name(rel, key))
        size = 0
        try:
            async with sftp.open(path, "rb") as handle:
                while chunk := await handle.read(CHUNK_BYTES):
                    digest.update(chunk)
                    size += len(chunk)
        except asyncssh.SFTPNoSuchFile:
            pass
        return size, digest

    async def write_part(self, rel: str, key: str, offset: int, data: bytes) -> None:
        sftp = await self._sftp()
        path = await self.target(part_name(rel, key))
        async with sftp.open(path, "r+b" if offset else "wb") as handle:
            await handle.write(data, offset)

    async def commit_part(self, rel: str, key: str, *, durable: bool = True) -> None:
        sftp = await self._sftp()
        part = await self.target(part_name(rel, key))
        if durable:
            async with sftp.open(part, "r+b") as handle:
                with contextlib.suppress(Exception):
                    await handle.fsync()
        await sftp.posix_rename(part, await self.target(rel))

    async def discard_part(self, rel: str, key: str) -> None:
        import asyncssh

        sftp = await self._sftp()
        with contextlib.suppress(asyncssh.SFTPNoSuchFile):
            await sftp.remove(await self.target(part_name(rel, key)))

    async def update_index(
        self, updates: Sequence[IndexUpdate], artifacts: Sequence[tuple[str, str]] = ()
    ) -> list[str]:
        # Artifacts: a viewer on that host indexes artifact folders changed behind its index.
        run_paths = [update.path for update in updates]
        if not run_paths or self.abs_root is None:
            return []
        if not await self._probe():
            return [
                f"the index on {self.conn.key} was not updated: its Python has no Runicorn "
                "(a viewer started there indexes the new runs when it starts)"
            ]
        argv = [self.python, "-m", "runicorn.manifest", f"--root={self.abs_root}", "--index"]
        result = await self.conn.run(argv, input="\n".join(run_paths) + "\n", timeout=600)
        if not result.ok:
            return [f"the index on {self.conn.key} was not updated: {result.stderr.strip()[-300:]}"]
        return [line for line in result.stdout.splitlines() if line.strip()]
