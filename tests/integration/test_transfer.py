"""Export and import: archives round-trip, unsafe archives are refused, metric tables."""

from __future__ import annotations

import csv
import hashlib
import io
import json
import math
import tarfile
from pathlib import Path
from typing import Any

import httpx
import pyarrow.parquet as pq
import pytest

from runicorn.exporters import (
    ArchiveError,
    ArchiveTooLargeError,
    export_archive,
    export_metrics,
    import_archive,
)
from runicorn.storage.backends import HybridStorageBackend
from runicorn.viewer import create_app

from .conftest import NO_LIMITS, make_run


@pytest.fixture
def other_root(tmp_path: Path) -> Path:
    path = tmp_path / "other"
    path.mkdir()
    return path


def backend_of(root: Path) -> HybridStorageBackend:
    return HybridStorageBackend(root)


def test_archive_round_trip_indexes_and_skips_collisions(root: Path, other_root: Path) -> None:
    a = make_run(root, steps=20, tags=["t"])
    b = make_run(root, project="nlp", name="bert/large", steps=5)
    (Path(a.path) / "media").mkdir(exist_ok=True)
    (Path(a.path) / "media" / "img.png").write_bytes(b"\x89PNG fake")
    source = backend_of(root)
    archive = root.parent / "runs.tar.gz"
    progress: list[tuple[int, int]] = []
    result = export_archive(
        source, [a.id, b.id], archive, progress=lambda d, t: progress.append((d, t))
    )
    assert result.runs == [a.id, b.id] and result.files >= 6 and progress[-1] == (2, 2)
    with tarfile.open(archive) as tar:
        names = tar.getnames()
        manifest = json.loads(tar.extractfile("manifest.json").read())  # type: ignore[union-attr]
    assert names[-1] == "manifest.json"
    entry = manifest["runs"][0]
    events = (Path(a.path) / "events.jsonl").read_bytes()
    assert entry["files"]["events.jsonl"]["sha256"] == hashlib.sha256(events).hexdigest()

    target = backend_of(other_root)
    imported = import_archive(target, archive)
    assert imported.imported == [a.id, b.id] and imported.skipped == []
    record = target.get_run(a.id)
    assert record.tags == ["t"] and record.metrics["loss"].count == 20
    assert target.get_run(b.id).name == "bert/large"
    copied = other_root / record.path / "media" / "img.png"
    assert copied.read_bytes() == b"\x89PNG fake"

    again = import_archive(target, archive)
    assert again.imported == []
    assert {s["id"] for s in again.skipped} == {a.id, b.id}
    assert "already exists" in again.skipped[0]["reason"]
    assert (other_root / record.path / "events.jsonl").read_bytes() == events
    source.close()
    target.close()


def tar_bytes(members: list[tuple[tarfile.TarInfo, bytes | None]]) -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as tar:
        for info, data in members:
            tar.addfile(info, io.BytesIO(data) if data is not None else None)
    return buffer.getvalue()


def file_member(name: str, data: bytes) -> tuple[tarfile.TarInfo, bytes]:
    info = tarfile.TarInfo(name)
    info.size = len(data)
    return info, data


def manifest_member(runs: list[dict[str, Any]]) -> tuple[tarfile.TarInfo, bytes]:
    return file_member("manifest.json", json.dumps({"format": "runicorn-export", "version": 1,
                                                   "runs": runs}).encode())  # fmt: skip


def link_member(name: str, target: str, kind: bytes) -> tuple[tarfile.TarInfo, None]:
    info = tarfile.TarInfo(name)
    info.type = kind
    info.linkname = target
    return info, None


RUN = "p/n/runs/20260101_000000_aaaaaa"
UNSAFE_ARCHIVES = {
    "zip-slip": [file_member("../../evil.txt", b"x")],
    "zip-slip-nested": [file_member(f"{RUN}/../../../../evil.txt", b"x")],
    "absolute": [file_member("/tmp/evil.txt", b"x")],
    "symlink": [link_member(f"{RUN}/events.jsonl", "/etc/passwd", tarfile.SYMTYPE)],
    "hardlink": [link_member(f"{RUN}/events.jsonl", "/etc/passwd", tarfile.LNKTYPE)],
    "device": [link_member(f"{RUN}/dev", "", tarfile.CHRTYPE)],
    "fifo": [link_member(f"{RUN}/fifo", "", tarfile.FIFOTYPE)],
    "index": [file_member(".runicorn/index.db", b"x")],
    "no-manifest": [file_member(f"{RUN}/events.jsonl", b"{}\n")],
    "stray-member": [file_member("elsewhere/file", b"x"), manifest_member([])],
    "bad-manifest-path": [manifest_member([{"id": "20260101_000000_aaaaaa",
                                            "path": "../20260101_000000_aaaaaa", "files": {}}])],
}  # fmt: skip


@pytest.mark.parametrize("kind", sorted(UNSAFE_ARCHIVES))
def test_unsafe_archives_are_refused_and_leave_nothing(
    kind: str, other_root: Path, tmp_path: Path
) -> None:
    data = tar_bytes(UNSAFE_ARCHIVES[kind])
    target = backend_of(other_root)
    with pytest.raises(ArchiveError):
        import_archive(target, io.BytesIO(data))
    assert not (tmp_path / "evil.txt").exists() and not Path("/tmp/evil.txt").exists()
    leftovers = [p for p in other_root.rglob("*") if ".runicorn" not in p.parts]
    assert leftovers == []
    assert list((other_root / ".runicorn" / "tmp").iterdir()) == []
    target.close()


def test_size_limits_are_checked_while_streaming(root: Path, other_root: Path) -> None:
    run = make_run(root, steps=2000)
    archive = io.BytesIO()
    export_archive(backend_of(root), [run.id], archive)
    data = archive.getvalue()
    target = backend_of(other_root)
    with pytest.raises(ArchiveTooLargeError, match="larger than the limit"):
        import_archive(target, io.BytesIO(data), max_bytes=len(data) // 2)
    with pytest.raises(ArchiveTooLargeError, match="unpacks to more"):
        import_archive(target, io.BytesIO(data), max_unpacked_bytes=1000)
    bomb = tar_bytes([file_member(f"{RUN}/events.jsonl", b"\0" * (5 << 20))])
    assert len(bomb) < 20_000
    with pytest.raises(ArchiveTooLargeError):
        import_archive(target, io.BytesIO(bomb), max_unpacked_bytes=1 << 20)
    assert import_archive(target, io.BytesIO(data)).imported == [run.id]
    target.close()


def test_altered_files_are_skipped_with_the_reason(root: Path, other_root: Path) -> None:
    run = make_run(root, steps=3)
    archive = io.BytesIO()
    export_archive(backend_of(root), [run.id], archive)
    archive.seek(0)
    members: list[tuple[tarfile.TarInfo, bytes | None]] = []
    with tarfile.open(fileobj=archive, mode="r:gz") as tar:
        for info in tar.getmembers():
            data = tar.extractfile(info).read()  # type: ignore[union-attr]
            if info.name.endswith("events.jsonl"):
                data = data.replace(b'"loss":1.0', b'"loss":9.0')
            members.append((info, data))
    result = import_archive(backend_of(other_root), io.BytesIO(tar_bytes(members)))
    assert result.imported == []
    assert result.skipped == [{"id": run.id, "reason": result.skipped[0]["reason"]}]
    assert "checksum mismatch for events.jsonl" in result.skipped[0]["reason"]
    assert not any(other_root.glob("vision/**/events.jsonl"))


def test_metric_tables_csv_json_parquet(root: Path, tmp_path: Path) -> None:
    def log(run: Any, step: int) -> None:
        run.log({"loss": 1.0 / step if step != 2 else float("nan")})
        if step % 2 == 0:
            run.log({"val": float(step)}, step=step)

    a = make_run(root, steps=4, log=log)
    b = make_run(root, steps=2)
    backend = backend_of(root)
    export_metrics(backend, [a.id, b.id], tmp_path / "m.csv", fmt="csv")
    rows = list(csv.DictReader((tmp_path / "m.csv").open()))
    assert list(rows[0]) == ["run_id", "step", "time", "acc", "loss", "val"]
    first_run = [r for r in rows if r["run_id"] == a.id]
    assert [r["step"] for r in first_run] == ["1", "2", "2", "3", "4", "4"]
    assert (
        first_run[1]["loss"] == "NaN"
        and first_run[2]["loss"] == ""
        and first_run[2]["val"] == "2.0"
    )
    assert [r["acc"] for r in rows if r["run_id"] == b.id] == ["0.5", "1.0"]

    export_metrics(backend, [a.id], tmp_path / "m.json", fmt="json", keys=["loss"])
    records = json.loads((tmp_path / "m.json").read_text())
    assert set(records[0]) == {"run_id", "project", "name", "step", "time", "loss"}
    assert [r["step"] for r in records[:3]] == [1, 2, 2] and records[0]["run_id"] == a.id
    assert records[0]["loss"] == 1.0 and math.isnan(records[1]["loss"])
    assert records[2]["loss"] is None

    export_metrics(backend, [a.id, b.id], tmp_path / "m.parquet", fmt="parquet")
    table = pq.read_table(tmp_path / "m.parquet").to_pydict()
    assert table["step"][:3] == [1, 2, 2] and table["val"][2] == 2.0 and table["val"][0] is None
    assert str(table["run_id"][0]) == a.id and len(table["run_id"]) == 8
    backend.close()


@pytest.fixture
async def small_limit_client(root: Path) -> Any:
    app = create_app(root, rate_limits=NO_LIMITS, import_max_bytes=20_000, static_dir=None,
                     index_on_start=False)  # fmt: skip
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1") as client:
        yield client
    app.state.ctx.close()


async def test_export_and_import_over_http(
    client: httpx.AsyncClient, root: Path, tmp_path: Path
) -> None:
    run = make_run(root, steps=50)
    response = await client.post("/api/export", json={"ids": [run.id]})
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/gzip"
    assert "attachment" in response.headers["content-disposition"]
    archive = response.content
    for fmt, marker in [
        ("csv", b"run_id,step,time"),
        ("json", b'[{"run_id"'),
        ("parquet", b"PAR1"),
    ]:
        table = await client.post("/api/export", json={"ids": [run.id], "format": fmt})
        assert table.status_code == 200 and marker in table.content[:200], fmt
    assert (
        await client.post("/api/export", json={"ids": ["20260101_000000_zzzzzz"]})
    ).status_code == 404
    assert (await client.post("/api/export", json={"ids": ["../x"]})).status_code == 400

    collision = await client.post("/api/import", files={"file": ("runs.tar.gz", archive)})
    assert collision.status_code == 200
    assert collision.json()["imported"] == [] and collision.json()["skipped"][0]["id"] == run.id

    other = tmp_path / "other-root"
    other.mkdir()
    app = create_app(other, rate_limits=NO_LIMITS, static_dir=None, index_on_start=False)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1") as fresh:
        result = await fresh.post("/api/import", files={"file": ("runs.tar.gz", archive)})
        assert result.json() == {"imported": [run.id], "skipped": []}
        listed = (await fresh.get("/api/experiments")).json()
        assert [i["id"] for i in listed["items"]] == [run.id]
        slip = tar_bytes(UNSAFE_ARCHIVES["zip-slip"])
        refused = await fresh.post("/api/import", files={"file": ("x.tar.gz", slip)})
        assert refused.status_code == 400 and "leaves the archive" in refused.json()["detail"]
        link = tar_bytes(UNSAFE_ARCHIVES["symlink"])
        refused = await fresh.post("/api/import", files={"file": ("x.tar.gz", link)})
        assert refused.status_code == 400 and "link" in refused.json()["detail"]
        garbage = await fresh.post("/api/import", files={"file": ("x.tar.gz", b"not gzip")})
        assert garbage.status_code == 400
        wrong_field = await fresh.post("/api/import", files={"other": ("a", b"x")})
        assert wrong_field.status_code == 422
        assert (await fresh.post("/api/import", json={"file": "x"})).status_code == 415
    app.state.ctx.close()


async def test_oversized_upload_is_refused_while_streaming(
    small_limit_client: httpx.AsyncClient,
) -> None:
    big = b"\0" * 200_000
    response = await small_limit_client.post("/api/import", files={"file": ("x.tar.gz", big)})
    assert response.status_code == 413 and "limit" in response.json()["detail"]

    async def chunks() -> Any:  # no Content-Length: the stream itself must be cut off
        yield b'--b\r\nContent-Disposition: form-data; name="file"; filename="a"\r\n\r\n'
        for _ in range(100):
            yield b"\0" * 10_000

    streamed = await small_limit_client.post(
        "/api/import", content=chunks(),
        headers={"Content-Type": "multipart/form-data; boundary=b"},
    )  # fmt: skip
    assert streamed.status_code == 413


def test_json_metric_export_reads_into_pandas_as_float_columns(root: Path, tmp_path: Path) -> None:
    pd = pytest.importorskip("pandas")
    losses = [2.5, float("nan"), 0.1 + 0.2, float("inf"), 1.2345678901234567e-7]

    def log(run: Any, step: int) -> None:
        run.log({"train/loss": losses[step - 1], "val/acc": -float("inf") if step == 5 else 0.5})

    run = make_run(root, project="视觉", name="resnet/学习率", steps=5, log=log)
    backend = backend_of(root)
    export_metrics(backend, [run.id], tmp_path / "m.json", fmt="json")
    frame = pd.read_json(tmp_path / "m.json", precise_float=True)  # exact to the last bit
    backend.close()
    assert str(frame["train/loss"].dtype) == "float64" and str(frame["val/acc"].dtype) == "float64"
    assert frame["train/loss"].isna().tolist() == [False, True, False, False, False]
    assert frame["train/loss"].tolist()[2:] == losses[2:]
    assert frame["train/loss"][0] == 2.5 and frame["val/acc"].tolist()[-1] == -math.inf
    assert frame["step"].tolist() == [1, 2, 3, 4, 5] and set(frame["run_id"]) == {run.id}
    assert set(frame["name"]) == {"resnet/学习率"} and set(frame["project"]) == {"视觉"}
