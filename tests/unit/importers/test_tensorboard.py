"""Importing TensorBoard event files written by tensorboardX, checked value by value."""

from __future__ import annotations

import math
import subprocess
import sys
from pathlib import Path

import numpy as np
from imported_store import ImportedStore, events, series
from PIL import Image
from tensorboard.backend.event_processing.event_accumulator import EventAccumulator
from tensorboardX import SummaryWriter

from runicorn.importers import import_from
from runicorn.storage.jsonio import read_json

LOSSES = [2.3, 1.7, math.nan, math.inf, 0.9, -math.inf, 0.4]


def write_logs(log_dir: Path) -> None:
    rng = np.random.default_rng(7)
    for experiment, offset in (("resnet", 0.0), ("vit-学习率", 0.5)):
        writer = SummaryWriter(str(log_dir / experiment))
        for step, loss in enumerate(LOSSES):
            writer.add_scalar("train/loss", loss + offset, step * 10)
            if step % 2 == 0:
                writer.add_scalar("val/acc", 0.1 * step, step * 10)
        writer.add_histogram("weights/fc", rng.normal(size=2000), 30)
        writer.add_image("samples", rng.random((3, 6, 4)), 20)
        writer.add_text("notes", "lr lowered at step 40", 40)
        writer.close()


def tensorboard_scalars(folder: Path) -> dict[str, list[tuple[int, float, float]]]:
    accumulator = EventAccumulator(str(folder), size_guidance={"scalars": 0})
    accumulator.Reload()
    return {
        tag: [(e.step, e.wall_time, e.value) for e in accumulator.Scalars(tag)]
        for tag in accumulator.Tags()["scalars"]
    }


def same(a: tuple[int, float, float], b: tuple[int, float, float]) -> bool:
    if a[:2] != b[:2]:
        return False
    return (math.isnan(a[2]) and math.isnan(b[2])) or a[2] == b[2]


def test_every_scalar_keeps_its_step_time_and_value(
    tmp_path: Path, root: Path, store: ImportedStore
) -> None:
    log_dir = tmp_path / "runs"
    write_logs(log_dir)
    report = import_from("tensorboard", log_dir, root=root, project="vision")
    assert sorted(run.name for run in report.imported) == ["resnet", "vit-学习率"]
    assert report.failed == [] and report.not_imported == {}

    for name in ("resnet", "vit-学习率"):
        record, run_path = store.run(name)
        assert (record.project, record.status) == ("vision", "finished")
        ours = series(run_path)
        theirs = tensorboard_scalars(log_dir / name)
        assert sorted(ours) == sorted(theirs) == ["train/loss", "val/acc"]
        for tag, points in theirs.items():
            assert len(ours[tag]) == len(points)
            assert all(same(a, b) for a, b in zip(ours[tag], points, strict=True)), tag
        loss = record.metrics["train/loss"]
        assert loss.count == len(LOSSES) and loss.step == 60

    _, run_path = store.run("resnet")
    (histogram,) = [e["data"] for e in events(run_path, "histogram")]
    assert (histogram["key"], histogram["step"], sum(histogram["counts"])) == (
        "weights/fc",
        30,
        2000,
    )
    assert len(histogram["edges"]) == len(histogram["counts"]) + 1
    assert histogram["edges"] == sorted(histogram["edges"])
    (image,) = [e["data"] for e in events(run_path, "image")]
    assert (image["key"], image["step"]) == ("samples", 20)
    with Image.open(run_path / image["path"]) as picture:
        assert picture.size == (4, 6)
    assert "[notes/text_summary step 40] lr lowered at step 40" in (
        run_path / "logs.txt"
    ).read_text(encoding="utf-8")
    assert read_json(run_path / "meta.json")["imported_from"]["source"] == "tensorboard"


def test_importing_twice_gives_one_run(tmp_path: Path, root: Path, store: ImportedStore) -> None:
    write_logs(tmp_path / "runs")
    first = import_from("tensorboard", tmp_path / "runs", root=root)
    second = import_from("tensorboard", tmp_path / "runs", root=root)
    assert len(first.imported) == 2 and second.imported == []
    assert [reason.startswith("already imported as run") for _, reason in second.skipped] == [
        True,
        True,
    ]
    assert len(store.runs()) == 2


def test_hparams_become_the_config(tmp_path: Path, root: Path, store: ImportedStore) -> None:
    writer = SummaryWriter(str(tmp_path / "runs" / "sweep"))
    writer.add_hparams({"lr": 3e-4, "batch_size": 64, "optimizer": "adamw"}, {"hparam/acc": 0.9})
    writer.close()
    import_from("tensorboard", tmp_path / "runs", root=root)
    configs = [record.config for record, _ in store.runs() if record.config]
    assert configs == [{"lr": 3e-4, "batch_size": 64, "optimizer": "adamw"}]


def test_a_missing_tensorboard_package_says_what_to_install(tmp_path: Path, root: Path) -> None:
    script = (
        "import sys\n"
        "sys.modules['tensorboard'] = None\n"
        "from runicorn.cli import main\n"
        f"sys.argv = ['runicorn', 'import-from', 'tensorboard', {str(tmp_path)!r},"
        f" '--root', {str(root)!r}]\n"
        "main()\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 1
    assert "pip install 'runicorn[tensorboard]'" in done.stderr
