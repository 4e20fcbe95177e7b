"""Issue 8 item 10: import writes only what the manifest lists, and no more than it declares.

The viewer runs as a real process whose file size limit (``RLIMIT_FSIZE``) is 8 MiB: a write
past that fails, so an import that wrote the crafted 64 MiB member would show it.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import resource
import signal
import subprocess
import sys
import tarfile
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from runicorn.exporters import ArchiveError, export_archive, import_archive
from runicorn.remote.commands import VIEWER_READY_PREFIX
from runicorn.storage.backends import HybridStorageBackend

from .conftest import make_run

FILE_SIZE_LIMIT = 8 << 20
HUGE = 64 << 20


def _limit_file_size() -> None:
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # a write past the limit fails with EFBIG
    resource.setrlimit(resource.RLIMIT_FSIZE, (FILE_SIZE_LIMIT, FILE_SIZE_LIMIT))


@pytest.fixture
def viewer(tmp_path: Path) -> Iterator[tuple[str, Path]]:
    """A viewer process on an empty root, unable to write any file past 8 MiB."""
    target = tmp_path / "target-root"
    target.mkdir()
    process = subprocess.Popen(
        [sys.executable, "-m", "runicorn.viewer", "--root", str(target), "--port", "0"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, preexec_fn=_limit_file_size,
    )  # fmt: skip
    try:
        assert process.stdout is not None
        line = process.stdout.readline()
        assert line.startswith(VIEWER_READY_PREFIX), line
        yield json.loads(line[len(VIEWER_READY_PREFIX) :])["url"], target
    finally:
        process.kill()
        process.wait(timeout=10)


def _two_runs(root: Path) -> tuple[Any, Any, list[tuple[tarfile.TarInfo, bytes]]]:
    """Two runs of a sweep, exported; the archive's members in order (manifest last)."""
    runs = [
        make_run(root, project="vision", name="resnet50/sweep", steps=200,
                 config={"batch_size": bs, "weight decay": 5e-4, "optimizer.betas": [0.9, 0.99]},
                 log=lambda run, step: run.log({"train/loss": 1 / step, "val/acc": step / 200}))
        for bs in (64, 128)
    ]  # fmt: skip
    buffer = io.BytesIO()
    backend = HybridStorageBackend(root)
    export_archive(backend, [r.id for r in runs], buffer)
    backend.close()
    buffer.seek(0)
    members: list[tuple[tarfile.TarInfo, bytes]] = []
    with tarfile.open(fileobj=buffer, mode="r:gz") as tar:
        for info in tar.getmembers():
            members.append((info, tar.extractfile(info).read()))  # type: ignore[union-attr]
    return runs[0], runs[1], members


def _tar(members: list[tuple[tarfile.TarInfo, bytes]]) -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as tar:
        for info, data in members:
            copy = tarfile.TarInfo(info.name)
            copy.size, copy.mode, copy.mtime = len(data), 0o644, info.mtime
            tar.addfile(copy, io.BytesIO(data))
    return buffer.getvalue()


def _files_under(root: Path) -> list[Path]:
    return [p for p in root.rglob("*") if p.is_file() and "cache" not in p.parts]


def test_an_unlisted_member_is_refused_before_a_byte_is_written(
    viewer: tuple[str, Path], root: Path
) -> None:
    url, target = viewer
    first, _, members = _two_runs(root)
    payload = tarfile.TarInfo(f"{first.path.relative_to(root).as_posix()}/media/payload.bin")
    crafted = _tar([(payload, b"\0" * HUGE), *members])
    assert len(crafted) < 600_000  # a small upload that unpacks to 64 MiB
    response = httpx.post(f"{url}api/import", files={"file": ("sweep.tar.gz", crafted)}, timeout=60)
    assert response.status_code == 400
    assert "payload.bin" in response.json()["detail"]
    assert "not listed in manifest.json" in response.json()["detail"]
    assert not any(p.name == "payload.bin" for p in _files_under(target))
    assert list((target / ".runicorn" / "tmp").iterdir()) == []
    listed = httpx.get(f"{url}api/experiments", timeout=10).json()
    assert listed["total"] == 0


def test_a_member_larger_than_declared_is_not_written_and_only_its_run_is_skipped(
    viewer: tuple[str, Path], root: Path
) -> None:
    url, target = viewer
    first, second, members = _two_runs(root)
    second_events = f"{second.path.relative_to(root).as_posix()}/events.jsonl"
    crafted_members = [
        (info, data + b"\0" * HUGE if info.name == second_events else data)
        for info, data in members
    ]
    response = httpx.post(
        f"{url}api/import", files={"file": ("sweep.tar.gz", _tar(crafted_members))}, timeout=60
    )
    assert response.status_code == 200, response.text
    result = response.json()
    assert result["imported"] == [first.id]
    assert [s["id"] for s in result["skipped"]] == [second.id]
    assert "manifest declares" in result["skipped"][0]["reason"]
    assert max(p.stat().st_size for p in _files_under(target)) < FILE_SIZE_LIMIT
    assert not any(second.id in p.parts for p in _files_under(target))
    detail = httpx.get(f"{url}api/runs/{first.id}", timeout=10).json()
    assert detail["config"]["batch_size"] == 64 and detail["metrics"]["val/acc"]["last"] == 1.0


def test_an_archive_with_the_manifest_first_imports_in_one_reading(
    viewer: tuple[str, Path], root: Path
) -> None:
    url, _ = viewer
    first, second, members = _two_runs(root)
    manifest_first = [members[-1], *members[:-1]]
    response = httpx.post(
        f"{url}api/import", files={"file": ("sweep.tar.gz", _tar(manifest_first))}, timeout=60
    )
    assert response.json() == {"imported": [first.id, second.id], "skipped": []}


def test_an_archive_read_from_a_pipe_is_checked_the_same_way(root: Path, tmp_path: Path) -> None:
    """A pipe cannot be read twice: the archive is kept aside (bounded) and checked as above."""
    first, second, members = _two_runs(root)
    payload = tarfile.TarInfo(f"{first.path.relative_to(root).as_posix()}/media/payload.bin")
    target_root = tmp_path / "piped-root"
    target_root.mkdir()
    target = HybridStorageBackend(target_root)
    try:
        for archive, ok in [
            (_tar(members), True),
            (_tar([(payload, b"\0" * 1024), *members]), False),
        ]:
            read_end, write_end = os.pipe()
            writer = threading.Thread(target=_write_all, args=(write_end, archive))
            writer.start()
            with os.fdopen(read_end, "rb") as pipe:
                if ok:
                    result = import_archive(target, pipe)
                    assert result.imported == [first.id, second.id]
                else:
                    with pytest.raises(ArchiveError, match="not listed"):
                        import_archive(target, pipe)
            writer.join()
        assert not any(p.name == "payload.bin" for p in target_root.rglob("*"))
        assert list((target_root / ".runicorn" / "tmp").iterdir()) == []
    finally:
        target.close()


def _write_all(fd: int, data: bytes) -> None:
    with contextlib.suppress(BrokenPipeError), os.fdopen(fd, "wb") as out:
        out.write(data)
