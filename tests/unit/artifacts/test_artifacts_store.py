"""The artifact store as a training script and a user see it: versions, dedup, aliases,
lineage, the model lifecycle, garbage collection, bad input."""

from __future__ import annotations

import os
import shutil
import time
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

import runicorn as rn
from runicorn.artifacts import catalog
from runicorn.artifacts.gc import collect_garbage
from runicorn.artifacts.lineage import lineage
from runicorn.artifacts.storage import ArtifactStore
from runicorn.errors import ArtifactNotFoundError, CorruptBlobError, InvalidNameError
from runicorn.storage.backends import HybridStorageBackend

NewRun = Callable[..., Any]


def blob_files(root: Path) -> list[Path]:
    blobs = root / ".runicorn" / "blobs"
    return [p for p in blobs.glob("??/*") if p.is_file()]


def test_identical_content_is_one_version_and_one_blob_per_file(
    root: Path, new_run: NewRun, workdir: Path
) -> None:
    first = new_run("prep")
    art = rn.Artifact("mnist", "dataset").add_dir(workdir / "data")
    stored = first.log_artifact(art).wait()
    first.finish()
    second = new_run("prep")
    again = second.log_artifact(rn.Artifact("mnist", "dataset").add_dir(workdir / "data"))
    copy = second.log_model(workdir / "model.pt", "resnet")  # other artifact, other content
    second.finish()

    assert stored is not None and again.wait() is not None
    assert again.wait().version == stored.version == 1
    assert sorted(stored.files) == ["labels.json", "训练/part-0.csv"]
    assert copy.wait() is not None
    assert len(blob_files(root)) == 3
    # The same bytes under another artifact are stored once too.
    third = new_run("other")
    twin = third.log_model(workdir / "model.pt", "resnet-copy").wait()
    third.finish()
    assert twin is not None and twin.files["model.pt"] == copy.wait().files["model.pt"]
    assert len(blob_files(root)) == 3


def test_latest_follows_the_newest_version_and_aliases_move(
    root: Path, new_run: NewRun, workdir: Path
) -> None:
    run = new_run()
    checkpoint = workdir / "model.pt"
    v1 = run.log_model(checkpoint, "resnet", aliases=["champion"]).wait()
    checkpoint.write_bytes(b"epoch 2 weights")
    v2 = run.log_model(checkpoint, "resnet").wait()
    checkpoint.write_bytes(b"epoch 3 weights")
    v3 = run.log_model(checkpoint, "resnet", aliases=["champion"]).wait()
    run.finish()
    assert (v1.version, v2.version, v3.version) == (1, 2, 3)
    assert v3.aliases == ["latest", "champion"]

    with ArtifactStore(root) as store:
        assert store.resolve("vision", "resnet", "latest").version == 3
        assert store.resolve("vision", "resnet", "champion").version == 3
        assert store.resolve("vision", "resnet", "v1").aliases == []
        store.add_alias("vision", "resnet", "v2", "champion")
        assert store.resolve("vision", "resnet", "champion").version == 2
        store.delete_version("vision", "resnet", "v3")
        assert store.resolve("vision", "resnet", "latest").version == 2
        again = store.create_version(
            project="vision", name="resnet", type="model",
            files=store.resolve("vision", "resnet", "v1").files | {},
        )  # fmt: skip
        assert again.version == 1  # identical content: the existing version
    run = new_run()
    checkpoint.write_bytes(b"epoch 4 weights")
    v4 = run.log_model(checkpoint, "resnet").wait()
    run.finish()
    assert v4.version == 4  # a deleted number is never reused


def test_use_artifact_gives_files_path_and_download(
    root: Path, new_run: NewRun, workdir: Path, tmp_path: Path
) -> None:
    producer = new_run("prep")
    producer.log_artifact(
        rn.Artifact("mnist", "dataset").add_dir(workdir / "data"), aliases=["best"]
    )
    producer.finish()
    consumer = new_run("train")
    data = consumer.use_artifact("mnist:best")
    assert data is not None
    assert data.path("训练/part-0.csv").read_text(encoding="utf-8") == "x,y\n1,2\n"
    out = data.download(tmp_path / "out")
    assert (out / "labels.json").read_text(encoding="utf-8") == '{"学习率": 0.1}'
    assert consumer.use_artifact("vision/mnist:v1").version == 1
    consumer.finish()
    edges = (consumer.path / "artifacts.json").read_text()
    assert '"mnist:v1"' in edges


def test_lineage_three_hops_dataset_train_model_eval(
    root: Path, new_run: NewRun, workdir: Path
) -> None:
    prep = new_run("prep")
    prep.log_artifact(rn.Artifact("mnist", "dataset").add_dir(workdir / "data")).wait()
    prep.finish()
    train = new_run("train")
    train.use_artifact("mnist:latest")
    train.log_model(workdir / "model.pt", "resnet", aliases=["champion"])
    train.finish()
    evaluation = new_run("eval")
    evaluation.use_artifact("resnet:champion")
    evaluation.finish()

    with ArtifactStore(root) as store:
        graph = lineage(store.index, version=("vision", "mnist", 1), depth=3).to_dict()
        edges = {(e["from"], e["to"], e["kind"]) for e in graph["edges"]}
        assert edges == {
            (f"run:{prep.id}", "artifact:vision/mnist:v1", "produced"),
            ("artifact:vision/mnist:v1", f"run:{train.id}", "used"),
            (f"run:{train.id}", "artifact:vision/resnet:v1", "produced"),
            ("artifact:vision/resnet:v1", f"run:{evaluation.id}", "used"),
        }
        runs = {n["run_id"]: n for n in graph["nodes"] if n["kind"] == "run"}
        assert runs[evaluation.id]["name"] == "eval" and runs[evaluation.id]["status"] == "finished"
        # From the evaluation run backwards, one hop short of the dataset's producer.
        back = lineage(store.index, run_id=evaluation.id, depth=3).to_dict()
        assert f"run:{prep.id}" not in {n["id"] for n in back["nodes"]}
        assert "artifact:vision/mnist:v1" in {n["id"] for n in back["nodes"]}
        detail = catalog.version_detail(store, "vision", "resnet", "champion")
        assert detail["producer"]["run_id"] == train.id
        assert [c["run_id"] for c in detail["consumers"]] == [evaluation.id]


def test_promote_archives_the_previous_production_with_its_own_history_line(
    root: Path, new_run: NewRun, workdir: Path
) -> None:
    run = new_run()
    for epoch in range(3):
        (workdir / "model.pt").write_bytes(f"weights of epoch {epoch}".encode())
        run.log_model(workdir / "model.pt", "resnet").wait()
    run.finish()
    with ArtifactStore(root) as store:
        store.transition("vision", "resnet", "v1", "staging", reason="candidate", by="alice")
        store.transition("vision", "resnet", "v1", "production", reason="val/acc 0.91")
        lines = store.transition("vision", "resnet", "v3", "production", reason="val/acc 0.93")
        assert [(t.version, t.from_stage, t.to_stage) for t in lines] == [
            (1, "production", "archived"),
            (3, "none", "production"),
        ]
        assert store.stages("vision", "resnet") == {1: "archived", 3: "production"}
        history = catalog.model_history(store, "vision", "resnet")["items"]
        assert [(h["version"], h["to"], h["reason"]) for h in history] == [
            (3, "production", "val/acc 0.93"),
            (1, "archived", "replaced by v3"),
            (1, "production", "val/acc 0.91"),
            (1, "staging", "candidate"),
        ]
        store.transition("vision", "resnet", "v2", "production", archive_previous=False)
        assert catalog.list_models(store)["items"][0]["stages"] == {
            "archived": 1, "production": 2,
        }  # fmt: skip
        with pytest.raises(InvalidNameError, match="stage 'live'"):
            store.transition("vision", "resnet", "v2", "live")


def test_gc_keeps_shared_blobs_and_reclaims_orphans(
    root: Path, new_run: NewRun, workdir: Path
) -> None:
    run = new_run()
    shared = workdir / "model.pt"
    (workdir / "opt.pt").write_bytes(os.urandom(5000))
    keep = rn.Artifact("resnet", "model").add_file(shared).add_file(workdir / "opt.pt")
    run.log_artifact(keep).wait()
    (workdir / "opt.pt").write_bytes(os.urandom(7000))
    doomed = rn.Artifact("resnet", "model").add_file(shared).add_file(workdir / "opt.pt")
    run.log_artifact(doomed).wait()
    run.finish()
    with ArtifactStore(root) as store:
        orphan = store.resolve("vision", "resnet", "v2").files["opt.pt"].sha256
        store.delete_version("vision", "resnet", "v2")
        dry = collect_garbage(store, dry_run=True)
        assert dry.removed == [orphan] and dry.bytes_reclaimed == 7000
        assert store.blobs.exists(orphan)
        report = collect_garbage(store)
        assert report.removed == [orphan] and report.bytes_reclaimed == 7000
        assert not store.blobs.exists(orphan)
        v1 = store.resolve("vision", "resnet", "v1")
        for entry in v1.files.values():  # the shared checkpoint and v1's own file survive
            assert store.verified_blob(entry).is_file()


def test_gc_verify_reports_a_changed_blob_and_it_is_never_served(
    root: Path, new_run: NewRun, workdir: Path
) -> None:
    run = new_run()
    stored = run.log_model(workdir / "model.pt", "resnet").wait()
    run.finish()
    with ArtifactStore(root) as store:
        entry = store.resolve("vision", "resnet").files["model.pt"]
        blob = store.blobs.path_of(entry.sha256)
        os.chmod(blob, 0o644)
        with open(blob, "r+b") as handle:  # same size, one byte flipped
            handle.write(b"\xff")
        with pytest.raises(CorruptBlobError, match="no longer matches"):
            store.verified_blob(entry)
        with pytest.raises(CorruptBlobError):
            stored.path("model.pt")
        report = collect_garbage(store, verify=True)
        assert report.corrupt == [entry.sha256]
        with pytest.raises(ArtifactNotFoundError, match="missing"):
            store.verified_blob(entry)  # set aside: never read as that hash again


def test_bad_input_warns_and_the_run_goes_on(root: Path, new_run: NewRun, workdir: Path) -> None:
    run = new_run()
    run.log_model(workdir / "model.pt", "resnet", aliases=["best"]).wait()
    with pytest.warns(RuntimeWarning, match="is a folder: use add_dir"):
        folder_as_file = rn.Artifact("data", "dataset").add_file(workdir / "data")
    with pytest.warns(RuntimeWarning, match="was not logged"):
        assert run.log_artifact(folder_as_file).wait() is None
    with pytest.warns(RuntimeWarning, match="does not exist"):
        rn.Artifact("data").add_file(workdir / "missing.bin")
    with pytest.warns(RuntimeWarning, match="not valid"):
        bad_name = rn.Artifact("bad:name").add_file(workdir / "model.pt")
    with pytest.warns(RuntimeWarning):
        assert run.log_artifact(bad_name).wait() is None
    with pytest.warns(RuntimeWarning, match="no alias 'nope'"):
        assert run.use_artifact("resnet:nope") is None
    with pytest.warns(RuntimeWarning, match="looks like a version"):
        assert run.log_model(workdir / "model.pt", "resnet", aliases=["v7"]).wait() is None
    with pytest.warns(RuntimeWarning, match="does not exist"):
        assert run.log_model(workdir / "nothing.pt", "resnet").wait() is None
    run.log({"train/loss": 0.5})
    run.finish()
    assert run.status == "finished"
    with ArtifactStore(root) as store:  # what was stored before is intact
        assert store.version_numbers("vision", "resnet") == [1]
        assert store.resolve("vision", "resnet", "best").version == 1
        assert store.version_numbers("vision", "data") == []


def test_disabled_and_rank_above_zero_runs_log_nothing(
    root: Path, workdir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    disabled = rn.init(project="vision", name="off", storage=root, mode="disabled")
    handle = disabled.log_artifact(rn.Artifact("resnet", "model").add_file(workdir / "model.pt"))
    assert handle.wait() is None
    assert disabled.use_artifact("resnet:latest") is None
    assert disabled.log_model(workdir / "model.pt", "resnet").wait() is None
    disabled.finish()
    monkeypatch.setenv("RANK", "1")
    worker = rn.init(project="vision", name="ddp", storage=root)
    assert worker.log_model(workdir / "model.pt", "resnet").wait() is None
    worker.finish()
    assert not (root / ".runicorn" / "artifacts").exists()


def test_log_code_honours_gitignore_and_size_caps(
    root: Path, new_run: NewRun, tmp_path: Path
) -> None:
    import subprocess

    repo = tmp_path / "repo"
    (repo / "src").mkdir(parents=True)
    (repo / "src" / "train.py").write_text("print('train')\n")
    (repo / "notes.md").write_text("# notes\n")
    (repo / ".gitignore").write_text("secrets.env\noutputs/\n")
    (repo / "secrets.env").write_text("TOKEN=1\n")
    (repo / "outputs").mkdir()
    (repo / "outputs" / "big.py").write_text("x = 1\n")
    (repo / "huge.py").write_text("#" * (2 << 20))
    subprocess.run(["git", "init", "-q", str(repo)], check=True)
    subprocess.run(["git", "-C", str(repo), "add", "src/train.py"], check=True)
    run = new_run()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        code = run.log_code(repo).wait()
    run.finish()
    assert code is not None
    assert sorted(code.files) == [".gitignore", "notes.md", "src/train.py"]
    assert any("left out 1 files" in str(w.message) for w in caught)


def test_reindex_rebuilds_the_artifact_tables_from_the_files(
    root: Path, new_run: NewRun, workdir: Path
) -> None:
    run = new_run()
    run.log_model(workdir / "model.pt", "resnet", aliases=["champion"]).wait()
    run.finish()
    (root / ".runicorn" / "index.db").unlink()
    for suffix in ("-wal", "-shm"):
        (root / ".runicorn" / f"index.db{suffix}").unlink(missing_ok=True)
    with HybridStorageBackend(root) as backend:
        backend.reindex()
    with ArtifactStore(root) as store:
        assert store.reindex() == 1
        page = catalog.list_artifacts(store)
        assert page["total"] == 1 and page["items"][0]["aliases"]["champion"] == 1
        graph = lineage(store.index, run_id=run.id, depth=1).to_dict()
        assert graph["edges"] == [
            {"from": f"run:{run.id}", "to": "artifact:vision/resnet:v1", "kind": "produced"}
        ]


def test_lists_pick_up_versions_written_behind_the_index_back(
    root: Path, new_run: NewRun, workdir: Path, tmp_path: Path
) -> None:
    run = new_run()
    run.log_model(workdir / "model.pt", "resnet").wait()
    run.finish()
    with ArtifactStore(root) as viewer_side:
        assert catalog.list_artifacts(viewer_side)["total"] == 1
        # Another root's store copied in (a sync, a restore): files only, no index rows.
        other = tmp_path / "other"
        other_run = start_other_run(other, workdir)
        other_store = other / ".runicorn"
        for folder in ("blobs", "artifacts"):
            shutil.copytree(other_store / folder, root / ".runicorn" / folder, dirs_exist_ok=True)
        time.sleep(catalog.REFRESH_INTERVAL)  # lists look for such changes at most this often
        page = catalog.list_artifacts(viewer_side)
        assert sorted(a["name"] for a in page["items"]) == ["bert", "resnet"]
        assert catalog.list_versions(viewer_side, "vision", "bert")["items"][0]["created_by"] == (
            other_run
        )
        shutil.rmtree(root / ".runicorn" / "artifacts" / "vision" / "bert")
        time.sleep(catalog.REFRESH_INTERVAL)
        assert catalog.list_artifacts(viewer_side)["total"] == 1


def start_other_run(other: Path, workdir: Path) -> str:
    run = rn.init(
        project="vision", name="nlp", storage=other,
        capture_console=False, capture_env=False, system_metrics=False,
    )  # fmt: skip
    (workdir / "bert.pt").write_bytes(b"bert weights")
    run.log_model(workdir / "bert.pt", "bert").wait()
    run.finish()
    return str(run.id)


def test_a_gc_between_copying_and_recording_a_version_is_survived(
    root: Path, new_run: NewRun, workdir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    original = ArtifactStore.create_version
    collected: list[int] = []

    def gc_at_the_worst_moment(self: ArtifactStore, **kwargs: Any) -> Any:
        if not collected:  # as a `runicorn gc` in another process would, right now
            collected.append(collect_garbage(self).bytes_reclaimed)
        return original(self, **kwargs)

    monkeypatch.setattr(ArtifactStore, "create_version", gc_at_the_worst_moment)
    run = new_run()
    stored = run.log_model(workdir / "model.pt", "resnet").wait()
    run.finish()
    assert collected == [(workdir / "model.pt").stat().st_size]  # the fresh blob was taken
    assert stored is not None
    assert stored.path("model.pt").read_bytes() == (workdir / "model.pt").read_bytes()
