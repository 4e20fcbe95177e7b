"""A watching sync keeps the destination's manifest between passes instead of re-scanning it."""

from __future__ import annotations

import asyncio
import os
import time
from pathlib import Path
from typing import Any

import pytest

import runicorn as rn
from runicorn.manifest import generate
from runicorn.manifest.script import FollowedRoot, _script
from runicorn.manifest.session import sync_async


def record_run(root: Path, *, name: str, steps: int) -> rn.Run:
    run = rn.init(
        project="vision",
        name=name,
        storage=str(root),
        config={"batch_size": 64, "学习率": 1e-3},
        capture_console=False,
        system_metrics=False,
        capture_env=False,
    )
    for step in range(steps):
        run.log({"train/loss": 1 / (step + 1), "val/acc": 0.5})
    run.finish()
    assert isinstance(run, rn.Run)
    return run


@pytest.fixture
def scanned(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The run folders scanned file by file."""
    seen: list[str] = []
    real = _script.Scanner.run_entry

    def spy(self: Any, rel_dir: str, project: Any, since: Any) -> Any:
        seen.append(rel_dir)
        return real(self, rel_dir, project, since)

    monkeypatch.setattr(_script.Scanner, "run_entry", spy)
    return seen


AGED = time.time() - 60


def _age(root: Path) -> None:
    """Move every mtime out of the racy window, as minutes of watching would."""
    old = AGED
    for path in root.rglob("*"):
        os.utime(path, (old, old), follow_symlinks=False)


def _runs(data: dict[str, Any]) -> dict[str, Any]:
    return {run["path"]: run for run in data["runs"]}


def test_a_followed_root_rescans_only_what_was_written_or_changed(
    tmp_path: Path, scanned: list[str]
) -> None:
    runs = [record_run(tmp_path, name=f"sweep{i}", steps=20) for i in range(4)]
    _age(tmp_path)
    followed = FollowedRoot(str(tmp_path))
    followed.manifest()
    scanned.clear()

    assert _runs(followed.manifest()) == _runs(generate(tmp_path).to_dict())
    scanned.clear()
    written = runs[0].path / "events.jsonl"
    with written.open("ab") as handle:
        handle.write(b'{"ts": 9.0, "type": "metrics", "data": {"train/loss": 0.1}}\n')
    followed.wrote(written.relative_to(tmp_path).as_posix())
    (runs[1].path / "summary.json").write_text('{"best_acc": 0.99}')  # another writer
    again = followed.manifest()

    rel = {r.path.relative_to(tmp_path).as_posix(): r for r in runs}
    assert sorted(scanned) == sorted(list(rel)[:2])
    scanned.clear()
    assert _runs(again) == _runs(generate(tmp_path).to_dict())
    new = record_run(tmp_path, name="late", steps=5)
    assert new.path.relative_to(tmp_path).as_posix() in _runs(followed.manifest())


def test_watch_passes_do_not_rescan_the_destination(tmp_path: Path, scanned: list[str]) -> None:
    source, destination = tmp_path / "gpu01", tmp_path / "laptop"
    for i in range(3):
        record_run(source, name=f"sweep{i}", steps=20)

    async def watch() -> Any:
        # Aged after each pass: out of the racy window, as passes seconds apart would be.
        return await sync_async(
            source, destination, watch=0.05, max_passes=4, on_pass=lambda _: _age(destination)
        )

    report = asyncio.run(watch())

    assert report.passes == 4 and report.ok
    per_folder = {p: scanned.count(p) for p in set(scanned)}
    # Each run: scanned in the source every pass; in the destination once, after the pass that
    # wrote it (then kept), not at every pass.
    assert per_folder == dict.fromkeys(per_folder, 4 + 1), per_folder
    assert len(per_folder) == 3
