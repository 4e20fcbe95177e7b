"""One sync pass: compare two manifests and move only what the destination lacks.

Per run, nothing is written until the whole run has been checked: its id must be a safe folder
name at a safe path, its identity (``meta.json``'s id, project, name, created_at) must match the
destination's copy, and every append-only file the destination already holds must end with the
same bytes as the source at that size (the tail check). A run failing a check is reported as a
conflict, by run id, and left alone. Then, in an order that keeps a reader's view consistent:

- other files (media...) are copied into a part file named after their sha256, verified and
  renamed into place; a part left by an interrupted sync is continued, not started over;
- append-only files get the source's bytes past the destination's size, complete lines only;
- JSON documents are replaced atomically, ``status.json`` among the last, so a run never
  looks finished before its data arrived.

Blobs move by hash (verified) before the artifact versions that list them; the destination's
index is updated once the pass has written its runs.
"""

from __future__ import annotations

import asyncio
import hashlib
import re
import time
from collections.abc import Callable, Coroutine
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from runicorn.errors import RunicornError, StorageError, UnsafePathError
from runicorn.manifest.indexing import INCREMENTAL_FILES, IndexUpdate
from runicorn.manifest.models import Conflict, FileEntry, Manifest, RunEntry, SyncReport
from runicorn.manifest.script import TAIL_BYTES, is_append_only, is_sha256
from runicorn.manifest.stream import StreamRefused, StreamRequest, read_frames
from runicorn.manifest.transport import Transport, check_relative, part_name
from runicorn.storage.layout import INDEX_DIR_NAME, location_from_path, validate_run_id

ARTIFACTS_PREFIX = f"{INDEX_DIR_NAME}/artifacts/"
_VERSION_FILE = re.compile(r"^v[0-9]+\.json$")
_LAST_DOCUMENTS = ("meta.json", "status.json")
# New runs this large in all are indexed by a helper process while the pass goes on.
EARLY_INDEX_BYTES = 32 << 20
# New runs this large in all arrive through one framed stream (manifest/stream.py) instead of
# SFTP requests per file; a stream holds up to so many runs or bytes.
STREAM_MIN_BYTES = 1 << 20
STREAM_BATCH_RUNS = 100
STREAM_BATCH_BYTES = 256 << 20
APPEND_PART_KEY = "lines"
# Growth of an append-only file up to this size is read in the same request as its tail check.
PREFETCH_BYTES = 8 << 20


@dataclass
class SyncProgress:
    """How far a pass is: bytes moved of those planned, runs done of those seen."""

    bytes_done: int = 0
    bytes_total: int = 0
    runs_done: int = 0
    runs_total: int = 0


ProgressCallback = Callable[[SyncProgress], None]


@dataclass(frozen=True)
class _Action:
    """One file to bring over: ``kind`` is append, copy (verified by sha256) or document."""

    kind: str
    rel: str
    entry: FileEntry
    have: int = 0
    # The new bytes of an append, when the tail check read them along (small growth).
    data: bytes | None = None

    @property
    def planned_bytes(self) -> int:
        return max(0, self.entry.size - self.have) if self.kind == "append" else self.entry.size


class _Refused(Exception):
    """A manifest entry names a path that would leave the destination root."""


class _Conflicting(Exception):
    """Both sides hold the item with different content."""


@dataclass
class SyncPass:
    """Brings ``source`` into ``destination`` once."""

    source: Transport
    destination: Transport
    project: str | None = None
    since: float | None = None
    dry_run: bool = False
    concurrency: int = 8
    progress: ProgressCallback | None = None
    report: SyncReport = field(default_factory=SyncReport)
    state: SyncProgress = field(default_factory=SyncProgress)
    stream_min_bytes: int | None = None  # None: STREAM_MIN_BYTES
    _index_early: bool = False
    _streaming: bool = False
    # New runs whose files wait for the stream: the run and its actions left after copies.
    _deferred: list[tuple[RunEntry, list[_Action]]] = field(default_factory=list)

    async def run(self) -> SyncReport:
        """Do the pass; the report says what moved, what conflicted and what was refused."""
        started = time.monotonic()
        report = self.report
        report.source, report.destination = self.source.label, self.destination.label
        report.dry_run, report.passes = self.dry_run, 1
        # Both sides scan at once (a remote scan runs on its host, a local one in a thread).
        here, there = await asyncio.gather(
            self.source.manifest(project=self.project, since=self.since),
            self.destination.manifest(),
        )
        if not here.exists:
            raise StorageError(
                f"the source root {self.source.label} does not exist; check the path"
            )
        report.runs_seen = len(here.runs)
        self.state.runs_total = len(here.runs)
        self._tick()
        await self._sync_blobs(here, there)
        artifacts = await self._sync_artifact_files(here, there)
        known = {run.id for run in there.runs}
        new_bytes = sum(run.size for run in here.runs if run.id not in known)
        self._index_early = new_bytes >= EARLY_INDEX_BYTES and not self.dry_run
        self._streaming = (
            not self.dry_run
            and new_bytes
            >= (STREAM_MIN_BYTES if self.stream_min_bytes is None else self.stream_min_bytes)
            and self.source.can_stream()
        )
        touched = await self._sync_runs(here, there)
        if not self.dry_run:
            indexing = time.monotonic()
            report.notes += await self.destination.update_index(touched, artifacts)
            report.index_seconds = time.monotonic() - indexing
        report.seconds = time.monotonic() - started
        return report

    def _tick(self) -> None:
        if self.progress is not None:
            self.progress(self.state)

    # ---- runs

    async def _sync_runs(self, here: Manifest, there: Manifest) -> list[IndexUpdate]:
        theirs: dict[str, RunEntry] = {}
        for run in there.runs:
            theirs.setdefault(run.id, run)
        seen: set[str] = set()
        gate = asyncio.Semaphore(self.concurrency)
        touched: list[IndexUpdate] = []

        async def one(run: RunEntry) -> None:
            async with gate:
                await self._guarded(run, self._sync_run(run, theirs.get(run.id)), touched)

        tasks = []
        for run in here.runs:
            if run.id in seen:
                self.report.conflicts.append(
                    Conflict(f"run {run.id}", "the source holds two folders with this run id")
                )
                continue
            seen.add(run.id)
            tasks.append(one(run))
        await asyncio.gather(*tasks)
        await self._stream_deferred(touched)
        return sorted(touched, key=lambda update: update.path)

    async def _guarded(
        self,
        run: RunEntry,
        work: Coroutine[Any, Any, IndexUpdate | _Deferred | None],
        touched: list[IndexUpdate],
    ) -> None:
        """Do one run's work; its failure is reported by run id and never stops the others."""
        deferred = False
        try:
            update = await work
            deferred = update is _DEFERRED
            if isinstance(update, IndexUpdate):
                await self._index(update, touched)
        except (_Refused, UnsafePathError, StreamRefused) as exc:
            self.report.refused.append(f"run {run.id!r}: {exc}")
        except _Conflicting as exc:
            self.report.conflicts.append(Conflict(f"run {run.id}", str(exc)))
        except (RunicornError, OSError) as exc:
            self.report.errors.append(f"run {run.id}: {exc}")
        finally:
            if not deferred:
                self.state.runs_done += 1
                self._tick()

    async def _index(self, update: IndexUpdate, touched: list[IndexUpdate]) -> None:
        if not (self._index_early and await self.destination.index_early(update)):
            touched.append(update)

    def _check_run_paths(self, run: RunEntry) -> None:
        try:
            validate_run_id(run.id)
            parts = check_relative(run.path).parts
            base = Path("/root")  # only the shape of the path is checked here
            if (
                parts[0].lower() == INDEX_DIR_NAME
                or parts[-1] != run.id
                or location_from_path(base, base.joinpath(*parts)) is None
            ):
                raise UnsafePathError(f"{run.path!r} is not a run folder path")
            for name in run.files:
                if any(p.startswith(".") for p in check_relative(name).parts):
                    raise UnsafePathError(f"file {name!r} has a hidden path segment")
        except (UnsafePathError, ValueError) as exc:
            raise _Refused(str(exc)) from None

    async def _sync_run(
        self, run: RunEntry, theirs: RunEntry | None
    ) -> IndexUpdate | _Deferred | None:
        self._check_run_paths(run)
        if theirs is not None:
            if theirs.path != run.path:
                raise _Conflicting(
                    f"it is at {theirs.path} in the destination and at {run.path} in the source"
                )
            if "meta.json" in run.files and "meta.json" in theirs.files:
                differ = [k for k in run.identity if run.identity[k] != theirs.identity.get(k)]
                if differ:
                    raise _Conflicting(f"meta.json differs in {', '.join(differ)}")
        actions = await self._plan(run, theirs)
        self.state.bytes_total += sum(a.planned_bytes for a in actions)
        if not actions:
            return None
        if self.dry_run:
            self.report.bytes_moved += sum(a.planned_bytes for a in actions)
        elif theirs is None and self._streaming:
            # Copies (media, verified by sha256, resumable parts) keep their own path; the
            # run's lines and documents wait for the stream.
            for action in actions:
                if action.kind == "copy":
                    await self._apply(action)
            self._deferred.append((run, [a for a in actions if a.kind != "copy"]))
            return _DEFERRED
        else:
            for action in actions:
                await self._apply(action)
        if theirs is None:
            self.report.runs_new.append(run.id)
        else:
            self.report.runs_updated.append(run.id)
        return _index_update(run, actions, theirs)

    async def _plan(self, run: RunEntry, theirs: RunEntry | None) -> list[_Action]:
        copies: list[_Action] = []
        appends: list[_Action] = []
        documents: list[_Action] = []
        for name, entry in run.files.items():
            rel = f"{run.path}/{name}"
            have = theirs.files.get(name) if theirs is not None else None
            if is_append_only(name):
                action = await self._plan_append(rel, entry, have, f"run {run.id}")
                if action is not None:
                    appends.append(action)
            elif have is None or have.sha256 != entry.sha256:
                target = documents if name.endswith(".json") else copies
                target.append(_Action("document" if target is documents else "copy", rel, entry))
        documents.sort(key=lambda a: a.rel.rsplit("/", 1)[-1] in _LAST_DOCUMENTS)
        return copies + appends + documents

    async def _plan_append(
        self, rel: str, entry: FileEntry, have: FileEntry | None, owner: str
    ) -> _Action | None:
        if entry.tail is None:
            raise _Conflicting(f"{rel} is append-only here but hashed whole in the source")
        if have is None:
            return _Action("append", rel, entry, 0) if entry.size else None
        if have.size == entry.size:
            if have.tail != entry.tail:
                raise _Conflicting(f"{rel} has the same size on both sides but other content")
            return None
        if have.size > entry.size:
            raise _Conflicting(f"{rel} is longer in the destination than in the source")
        start = max(0, have.size - TAIL_BYTES)
        span = have.size - start
        # A small growth is read with the tail, in one request instead of a second one later.
        growth = entry.size - have.size if entry.size - have.size <= PREFETCH_BYTES else 0
        theirs = await self.destination.read_range(rel, start, span)
        ours = await self.source.read_range(rel, start, span + growth)
        self.report.bytes_read += len(ours)
        if theirs != ours[:span]:
            raise _Conflicting(
                f"{rel} does not end, at the destination's {have.size} bytes, with the "
                f"source's bytes ({owner} diverged)"
            )
        return _Action("append", rel, entry, have.size, ours[span:] if growth else None)

    # ---- the stream of new runs

    async def _stream_deferred(self, touched: list[IndexUpdate]) -> None:
        """Bring the deferred new runs over through framed streams, a batch at a time."""
        deferred, self._deferred = self._deferred, []
        batch: list[tuple[RunEntry, list[_Action]]] = []
        size = 0
        for item in deferred:
            batch.append(item)
            size += sum(a.planned_bytes for a in item[1])
            if len(batch) >= STREAM_BATCH_RUNS or size >= STREAM_BATCH_BYTES:
                await self._stream_batch(batch, touched)
                batch, size = [], 0
        if batch:
            await self._stream_batch(batch, touched)

    async def _stream_batch(
        self, batch: list[tuple[RunEntry, list[_Action]]], touched: list[IndexUpdate]
    ) -> None:
        requests = [
            StreamRequest(a.rel, a.entry.size, a.kind == "document", await self._resume_at(a))
            for _, actions in batch
            for a in actions
        ]
        part_end = {r.rel: r.start for r in requests}
        owner = {a.rel: (run, a) for run, actions in batch for a in actions}
        left = {run.id: len(actions) for run, actions in batch}
        done: set[str] = set()
        finished: set[str] = set()
        ended = 0
        carry = b""
        document: list[bytes] = []
        try:
            async with self.source.open_stream(requests) as reader:
                async for frame in read_frames(reader, requests):
                    run, action = owner[frame.rel]
                    self.report.bytes_read += len(frame.data)
                    complete = frame.skip is None
                    if complete and action.kind == "append":
                        # Into a part file renamed into place at the end: a kill never leaves
                        # a visible file torn, and the next pass continues the part.
                        buffer = carry + frame.data
                        cut = buffer.rfind(b"\n") + 1
                        if cut:
                            at = frame.at - len(carry)
                            await self.destination.write_part(
                                frame.rel, APPEND_PART_KEY, at, buffer[:cut]
                            )
                            part_end[frame.rel] = at + cut
                            self._moved(cut)
                        # A live run's file may end mid-line: that part waits for a later pass.
                        carry = buffer[cut:]
                        if frame.end:
                            complete = await self._commit_lines(frame.rel, part_end[frame.rel])
                    elif complete:
                        document.append(frame.data)
                        if frame.end:
                            complete = await self._write_document(action, b"".join(document))
                    if not frame.end:
                        continue
                    carry, document = b"", []
                    ended += 1
                    left[run.id] -= 1
                    if complete:
                        done.add(frame.rel)
                        self.report.files_written += 1
                    if not left[run.id] and all(a.rel in done for a in _actions_of(batch, run)):
                        finished.add(run.id)
                        await self._guarded(run, self._finish_new_run(run, []), touched)
        except StreamRefused as exc:
            run = owner[requests[ended].rel][0]
            finished.add(run.id)
            self.state.runs_done += 1
            self.report.refused.append(f"run {run.id!r}: the source's stream sent {exc}")
        except (RunicornError, OSError, EOFError, asyncio.IncompleteReadError) as exc:
            self.report.notes.append(f"the stream of new runs stopped ({exc}); sent file by file")
        # What the stream did not bring (a file skipped or changed, the stream cut) goes by file.
        for run, actions in batch:
            if run.id not in finished:
                rest = [a for a in actions if a.rel not in done]
                await self._guarded(run, self._finish_new_run(run, rest), touched)

    async def _resume_at(self, action: _Action) -> int:
        """Where the stream of a new append-only file starts: the end of a part file left by
        an interrupted pass, when its last bytes are the source's; else 0."""
        if action.kind != "append":
            return 0
        part = part_name(action.rel, APPEND_PART_KEY)
        have = await self.destination.file_size(part) or 0
        if not have:
            return 0
        start = max(0, have - TAIL_BYTES)
        if have <= action.entry.size and await self.destination.read_range(
            part, start, have - start
        ) == await self.source.read_range(action.rel, start, have - start):
            return have
        await self.destination.discard_part(action.rel, APPEND_PART_KEY)
        return 0

    async def _commit_lines(self, rel: str, size: int) -> bool:
        """Rename a streamed append-only file into place (False: nothing to commit)."""
        if not size:
            return False
        if await self.destination.file_size(rel) is not None:
            raise OSError(f"{rel} appeared here during the sync; it is compared next pass")
        await self.destination.commit_part(rel, APPEND_PART_KEY, durable=False)
        return True

    async def _finish_new_run(self, run: RunEntry, rest: list[_Action]) -> IndexUpdate:
        """Send what the stream left of a new run file by file; the run is then complete."""
        for action in rest:
            if action.kind == "append":
                if await self.destination.file_size(action.rel) is None:
                    # Lines this process streamed into a part end with a whole line.
                    part = part_name(action.rel, APPEND_PART_KEY)
                    if await self.destination.file_size(part):
                        await self.destination.commit_part(
                            action.rel, APPEND_PART_KEY, durable=False
                        )
                have = await self.destination.file_size(action.rel) or 0
                if have < action.entry.size:
                    await self._append(action.rel, have)
                self.report.files_written += 1
            else:
                await self._apply(action)
        self.report.runs_new.append(run.id)
        return IndexUpdate(run.path)

    async def _write_document(self, action: _Action, data: bytes) -> bool:
        """Write a streamed document; False when it is not the one the manifest saw (it
        changed meanwhile: it is then read again file by file)."""
        sha256 = action.entry.sha256
        if sha256 is not None and hashlib.sha256(data).hexdigest() != sha256:
            return False
        await self.destination.write_atomic(action.rel, data)
        self._moved(len(data))
        return True

    # ---- moving bytes

    async def _apply(self, action: _Action) -> None:
        if action.kind == "append" and action.data is not None:
            cut = action.data.rfind(b"\n") + 1
            if cut:
                await self.destination.append(action.rel, action.data[:cut], action.have)
                self._moved(cut)
        elif action.kind == "append":
            await self._append(action.rel, action.have)
        elif action.kind == "document":
            data = b"".join([chunk async for chunk in self.source.iter_chunks(action.rel, 0)])
            self.report.bytes_read += len(data)
            await self.destination.write_atomic(action.rel, data)
            self._moved(len(data))
        else:
            await self._copy_verified(action.rel, action.entry.size, action.entry.sha256 or "")
        self.report.files_written += 1

    def _moved(self, count: int) -> None:
        self.report.bytes_moved += count
        self.state.bytes_done += count
        self._tick()

    async def _append(self, rel: str, at: int) -> None:
        carry = b""
        async for chunk in self.source.iter_chunks(rel, at):
            self.report.bytes_read += len(chunk)
            buffer = carry + chunk
            cut = buffer.rfind(b"\n") + 1
            if cut:
                await self.destination.append(rel, buffer[:cut], at)
                at += cut
                self._moved(cut)
            carry = buffer[cut:]

    async def _copy_verified(self, rel: str, size: int, sha256: str) -> None:
        offset, digest = await self.destination.part_state(rel, sha256)
        if offset > size:
            await self.destination.discard_part(rel, sha256)
            offset, digest = await self.destination.part_state(rel, sha256)
        async for chunk in self.source.iter_chunks(rel, offset):
            self.report.bytes_read += len(chunk)
            await self.destination.write_part(rel, sha256, offset, chunk)
            digest.update(chunk)
            offset += len(chunk)
            self._moved(len(chunk))
        if digest.hexdigest() != sha256:
            await self.destination.discard_part(rel, sha256)
            raise OSError(f"{rel} changed while it was copied; it is copied again next pass")
        await self.destination.commit_part(rel, sha256)

    # ---- artifacts and blobs

    async def _sync_blobs(self, here: Manifest, there: Manifest) -> None:
        missing = {sha: size for sha, size in here.blobs.items() if sha not in there.blobs}
        self.state.bytes_total += sum(missing.values())
        for sha, size in sorted(missing.items()):
            rel = f"{INDEX_DIR_NAME}/blobs/{sha[:2]}/{sha}"
            if self.dry_run:
                self.report.bytes_moved += size
                continue
            try:
                await self._copy_verified(rel, size, sha)
                self.report.blobs_copied += 1
                self.report.files_written += 1
            except (RunicornError, OSError) as exc:
                self.report.errors.append(f"blob {sha}: {exc}")

    async def _sync_artifact_files(self, here: Manifest, there: Manifest) -> list[tuple[str, str]]:
        """Bring the artifact documents over; the (project, name) of each artifact written."""
        # Versions first: aliases and lifecycle lines never name a version not yet here.
        order = sorted(here.artifact_files, key=lambda rel: not _is_version_file(rel))
        written: set[tuple[str, str]] = set()
        for rel in order:
            entry = here.artifact_files[rel]
            have = there.artifact_files.get(rel)
            try:
                if not rel.startswith(ARTIFACTS_PREFIX) or any(
                    p.startswith(".") for p in check_relative(rel[len(ARTIFACTS_PREFIX) :]).parts
                ):
                    raise _Refused(f"{rel!r} is not an artifact file path")
                action = await self._plan_artifact_file(rel, entry, have)
                if action is None:
                    continue
                self.state.bytes_total += action.planned_bytes
                if self.dry_run:
                    self.report.bytes_moved += action.planned_bytes
                else:
                    await self._apply(action)
                    parts = rel[len(ARTIFACTS_PREFIX) :].split("/")
                    if len(parts) >= 3:
                        written.add((parts[0], "/".join(parts[1:-1])))
            except (_Refused, UnsafePathError, ValueError) as exc:
                self.report.refused.append(f"artifact file: {exc}")
            except _Conflicting as exc:
                self.report.conflicts.append(Conflict(rel, str(exc)))
            except (RunicornError, OSError) as exc:
                self.report.errors.append(f"{rel}: {exc}")
        return sorted(written)

    async def _plan_artifact_file(
        self, rel: str, entry: FileEntry, have: FileEntry | None
    ) -> _Action | None:
        if is_append_only(rel):
            return await self._plan_append(rel, entry, have, "the model's lifecycle")
        if have is not None and have.sha256 == entry.sha256:
            return None
        if _is_version_file(rel):
            if have is not None:
                raise _Conflicting("this artifact version exists on both sides with other files")
            if entry.sha256 is None or not is_sha256(entry.sha256):
                raise _Refused(f"{rel} has no sha256")
            return _Action("copy", rel, entry)
        return _Action("document", rel, entry)


def _index_update(run: RunEntry, actions: list[_Action], theirs: RunEntry | None) -> IndexUpdate:
    """How the index learns of a run the pass wrote: from its new lines when it only grew."""
    names = {action.rel[len(run.path) + 1 :] for action in actions}
    grown = next((a for a in actions if a.rel.endswith("/events.jsonl")), None)
    if theirs is None or not names <= INCREMENTAL_FILES:
        return IndexUpdate(run.path)
    if grown is not None:
        return IndexUpdate(run.path, grown.have)
    events = theirs.files.get("events.jsonl")
    return IndexUpdate(run.path, events.size if events is not None else 0)


def _actions_of(batch: list[tuple[RunEntry, list[_Action]]], run: RunEntry) -> list[_Action]:
    return next(actions for entry, actions in batch if entry is run)


class _Deferred:
    """What a run's sync returns when its files wait for the stream of new runs."""


_DEFERRED = _Deferred()


def _is_version_file(rel: str) -> bool:
    return bool(_VERSION_FILE.match(rel.rsplit("/", 1)[-1]))
