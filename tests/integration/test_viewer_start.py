"""What a viewer process finds at start: a damaged index, a read-only root, runs copied in.

Issue 8: item 3 (a damaged ``index.db`` is moved aside and rebuilt, with one warning, by the
viewer and by ``runicorn reindex``), item 7 (a read-only root is served; changes answer 409) and
item 9 (READY is printed only once every run folder is listed).
"""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from contextlib import closing, contextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest

import runicorn as rn
from runicorn.remote.commands import VIEWER_READY_PREFIX
from runicorn.storage.backends import index_path
from runicorn.storage.layout import new_run_id

DAMAGE_WARNING = "could not be read"


def record_run(root: Path, steps: int, **config: Any) -> str:
    run = rn.init(project="vision", name="resnet50", config=config or None, storage=root,
                  tags=["sweep"], capture_console=False, capture_env=False,
                  system_metrics=False)  # fmt: skip
    for step in range(1, steps + 1):
        run.log({"train/loss": 1.0 / step, "val/acc": step / steps, "lr": 3e-4})
    run.summary({"best_val_acc": 0.9})
    run.finish()
    return run.id


def environment(root: Path, home: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("RUNICORN_")}
    env["RUNICORN_CONFIG_DIR"] = str(home / "config")
    env["HOME"] = str(home)
    env["PYTHONUNBUFFERED"] = "1"
    return env


@contextmanager
def viewer(root: Path, home: Path) -> Iterator[tuple[str, Path]]:
    """A viewer process on ``root``; yields its URL as soon as it printed READY, and its stderr."""
    stderr_path = home / "viewer-stderr.txt"
    with open(stderr_path, "w") as stderr:
        process = subprocess.Popen(
            [sys.executable, "-m", "runicorn", "viewer", "--root", str(root), "--port", "0"],
            stdout=subprocess.PIPE, stderr=stderr, stdin=subprocess.DEVNULL, text=True,
            env=environment(root, home),
        )  # fmt: skip
    assert process.stdout is not None
    try:
        line = process.stdout.readline()
        assert line.startswith(VIEWER_READY_PREFIX), (line, stderr_path.read_text())
        yield json.loads(line[len(VIEWER_READY_PREFIX) :])["url"].rstrip("/"), stderr_path
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=5)
        process.stdout.close()


def damage(path: Path) -> None:
    path.write_bytes(b"this is not an SQLite file\n" * 200)
    for suffix in ("-wal", "-shm"):
        path.with_name(path.name + suffix).unlink(missing_ok=True)


def corrupt_copies(root: Path) -> list[Path]:
    return sorted(index_path(root).parent.glob("index.db.corrupt-*"))


def test_viewer_moves_a_damaged_index_aside_and_lists_every_run(root: Path, tmp_path: Path) -> None:
    ids = {record_run(root, 30, batch_size=bs) for bs in (32, 64, 128)}
    damage(index_path(root))
    with viewer(root, tmp_path) as (url, stderr_path):
        body = httpx.get(f"{url}/api/experiments", params={"limit": 50}, timeout=30).json()
        assert {item["id"] for item in body["items"]} == ids
        found = httpx.get(f"{url}/api/v2/experiments", params={"filter": "config.batch_size > 40"})
        assert found.json()["total"] == 2
    stderr = stderr_path.read_text()
    assert stderr.count(DAMAGE_WARNING) == 1, stderr
    assert "Traceback" not in stderr
    [aside] = corrupt_copies(root)
    assert aside.read_bytes().startswith(b"this is not an SQLite file")


def test_reindex_repairs_a_damaged_index(root: Path, tmp_path: Path) -> None:
    ids = {record_run(root, 20, **{"weight decay": wd}) for wd in (0.0, 0.01)}
    damage(index_path(root))
    result = subprocess.run(
        [sys.executable, "-m", "runicorn", "reindex", "--root", str(root)],
        capture_output=True, text=True, env=environment(root, tmp_path), timeout=120,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert "indexed 2 runs" in result.stdout
    assert (result.stdout + result.stderr).count(DAMAGE_WARNING) == 1
    assert len(corrupt_copies(root)) == 1
    with viewer(root, tmp_path) as (url, stderr_path):
        body = httpx.get(f"{url}/api/experiments", timeout=30).json()
        assert {item["id"] for item in body["items"]} == ids
    assert DAMAGE_WARNING not in stderr_path.read_text()


def test_reindex_repairs_an_index_damaged_past_its_header(root: Path, tmp_path: Path) -> None:
    ids = {record_run(root, 5, seed=seed) for seed in range(40)}
    path = index_path(root)
    with closing(sqlite3.connect(path)) as conn:  # everything into the main file first
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    data = bytearray(path.read_bytes())
    assert len(data) > 8 * 4096
    data[4096 : len(data)] = os.urandom(len(data) - 4096)  # every page after the first
    path.write_bytes(bytes(data))
    for suffix in ("-wal", "-shm"):
        path.with_name(path.name + suffix).unlink(missing_ok=True)
    result = subprocess.run(
        [sys.executable, "-m", "runicorn", "reindex", "--root", str(root)],
        capture_output=True, text=True, env=environment(root, tmp_path), timeout=120,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert "indexed 40 runs" in result.stdout
    assert len(corrupt_copies(root)) == 1
    with viewer(root, tmp_path) as (url, _):
        body = httpx.get(f"{url}/api/experiments", params={"limit": 100}, timeout=30).json()
        assert {item["id"] for item in body["items"]} == ids


def copy_run(source: Path, root: Path, project: str, name: str) -> str:
    run_id = new_run_id()
    shutil.copytree(source, root / project / name / "runs" / run_id)
    return run_id


def test_ready_comes_after_runs_copied_in_are_indexed(root: Path, tmp_path: Path) -> None:
    record_run(root, 10)  # the index exists and knows this one
    donor = tmp_path / "donor"
    donor.mkdir()
    donor_id = record_run(donor, 20_000)
    donor_path = next(donor.glob(f"*/*/runs/{donor_id}"))
    copied = {copy_run(donor_path, root, "copied", f"trial-{i}") for i in range(12)}
    with viewer(root, tmp_path) as (url, _):
        body = httpx.get(f"{url}/api/experiments", params={"limit": 100}, timeout=30).json()
        assert body["total"] == 13
        assert copied <= {item["id"] for item in body["items"]}
        projects = httpx.get(f"{url}/api/projects", timeout=30).json()
        # The copies keep the donor's meta.json, so they count under its project.
        assert {p["project"]: p["runs"] for p in projects["items"]} == {"vision": 13}


@contextmanager
def read_only(folder: Path) -> Iterator[None]:
    """``folder`` made read-only for this process: a read-only bind mount as root, else modes."""
    if os.geteuid() == 0:
        mounted = subprocess.run(["mount", "--bind", str(folder), str(folder)], capture_output=True)
        if mounted.returncode != 0:
            pytest.skip(f"cannot bind-mount as root here: {mounted.stderr.decode().strip()}")
        try:
            subprocess.run(["mount", "-o", "remount,bind,ro", str(folder)], check=True)
            yield
        finally:
            subprocess.run(["umount", str(folder)], check=True)
        return
    paths = [folder, *folder.rglob("*")]
    modes = {path: path.stat().st_mode for path in paths}
    for path in paths:
        path.chmod(modes[path] & ~0o222)
    try:
        yield
    finally:
        for path in reversed(paths):
            path.chmod(modes[path])


def test_a_read_only_root_is_served_and_changes_are_refused(root: Path, tmp_path: Path) -> None:
    run_ids = [record_run(root, 50, batch_size=bs) for bs in (16, 64)]
    with read_only(root):
        assert not os.access(root, os.W_OK)
        with (
            viewer(root, tmp_path) as (url, stderr_path),
            httpx.Client(base_url=url, timeout=30) as http,
        ):
            listed = http.get("/api/experiments").json()
            assert {item["id"] for item in listed["items"]} == set(run_ids)
            ordered = http.get("/api/v2/experiments", params={"sort": "-config.batch_size"})
            assert [item["id"] for item in ordered.json()["items"]] == run_ids[::-1]
            series = http.get(f"/api/metrics/{run_ids[0]}", params={"keys": "val/acc"})
            assert series.json()["series"]["val/acc"]["count"] == 50
            assert http.get(f"/api/runs/{run_ids[0]}/logs").status_code == 200

            for response in (
                http.patch(f"/api/runs/{run_ids[0]}", json={"tags": ["keep"]}),
                http.delete(f"/api/runs/{run_ids[0]}"),
                http.post("/api/runs/delete", json={"ids": run_ids}),
            ):
                assert response.status_code == 409, response.text
                assert "read-only" in response.json()["detail"]
            assert http.get("/api/experiments").json()["total"] == 2
        stderr = stderr_path.read_text()
    assert "Traceback" not in stderr, stderr
