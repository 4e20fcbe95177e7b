"""Importing MLflow stores (a database and a file store) written by MLflow itself."""

from __future__ import annotations

import math
from pathlib import Path

import pytest
from imported_store import ImportedStore, series
from mlflow.entities import Metric, Param, RunTag
from mlflow.tracking import MlflowClient

from runicorn.importers import import_from


def record_runs(uri: str, artifact_file: Path) -> dict[str, str]:
    """Three runs as MLflow records them; returns run name -> run id."""
    client = MlflowClient(tracking_uri=uri)
    vision = client.create_experiment("vision")
    ids: dict[str, str] = {}
    run = client.create_run(vision, run_name="resnet50", tags={"team": "cv"})
    ids["resnet50"] = run.info.run_id
    client.log_batch(
        run.info.run_id,
        params=[
            Param("lr", "0.0003"),
            Param("batch_size", "64"),
            Param("optimizer.betas", "(0.9, 0.999)"),
            Param("学习率", "1e-3"),
            Param("pretrained", "True"),
        ],
        tags=[RunTag("mlflow.note.content", "baseline, 学习率 tuned")],
    )
    base = 1_790_000_000_000
    for step in range(20):
        loss = math.nan if step == 7 else 2.0 / (step + 1)
        client.log_batch(
            run.info.run_id,
            metrics=[
                Metric("train/loss", loss, base + step * 1000, step),
                Metric("val/acc", 0.05 * step, base + step * 1000, step),
            ],
        )
    client.log_metric(run.info.run_id, "lr", 1e-4, timestamp=base + 99, step=3)
    client.log_artifact(run.info.run_id, str(artifact_file), artifact_path="configs")
    client.set_terminated(run.info.run_id, "FINISHED", end_time=base + 30_000)

    failed = client.create_run(vision, run_name="vit")
    ids["vit"] = failed.info.run_id
    client.log_metric(failed.info.run_id, "train/loss", math.inf, timestamp=base, step=0)
    client.set_terminated(failed.info.run_id, "FAILED", end_time=base + 5_000)

    nlp = client.create_experiment("nlp/bert")
    gone = client.create_run(nlp, run_name="bert-base")
    ids["bert-base"] = gone.info.run_id
    client.set_terminated(gone.info.run_id, "KILLED")
    client.delete_run(gone.info.run_id)
    return ids


@pytest.fixture(params=["sqlite", "file"])
def mlflow_store(
    request: pytest.FixtureRequest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> tuple[str, str, dict[str, str]]:
    monkeypatch.chdir(tmp_path)
    artifact = tmp_path / "model.yaml"
    artifact.write_text("layers: 50\n", encoding="utf-8")
    if request.param == "sqlite":
        uri = f"sqlite:///{tmp_path / 'mlflow.db'}"
        location = uri
    else:
        monkeypatch.setenv("MLFLOW_ALLOW_FILE_STORE", "true")
        location = str(tmp_path / "mlruns")
        uri = f"file://{location}"
    ids = record_runs(uri, artifact)
    monkeypatch.delenv("MLFLOW_ALLOW_FILE_STORE", raising=False)
    return uri, location, ids


def test_runs_params_metrics_tags_and_artifacts_carry_over(
    mlflow_store: tuple[str, str, dict[str, str]], root: Path, store: ImportedStore
) -> None:
    uri, location, ids = mlflow_store
    report = import_from("mlflow", location, root=root)
    assert report.failed == []
    assert sorted(run.name for run in report.imported) == ["bert-base", "resnet50", "vit"]

    record, run_path = store.run("resnet50")
    assert (record.project, record.status) == ("vision", "finished")
    assert record.config == {
        "lr": 0.0003,
        "batch_size": 64,
        "optimizer.betas": "(0.9, 0.999)",
        "学习率": 0.001,
        "pretrained": True,
    }
    assert record.tags == ["team:cv"]
    assert record.notes == "baseline, 学习率 tuned"
    assert record.ended_at == pytest.approx(1_790_000_030.0)
    client = MlflowClient(tracking_uri=uri)
    ours = series(run_path)
    assert sorted(ours) == ["lr", "train/loss", "val/acc"]
    for key, points in ours.items():
        history = client.get_metric_history(ids["resnet50"], key)
        expected = [(m.step, m.timestamp / 1000.0, m.value) for m in history]
        assert len(points) == len(expected)
        for (step, when, value), (e_step, e_when, e_value) in zip(points, expected, strict=True):
            assert (step, when) == (e_step, e_when)
            assert (math.isnan(value) and math.isnan(e_value)) or value == e_value
    assert (
        run_path / "files" / "artifacts" / "configs" / "model.yaml"
    ).read_text() == "layers: 50\n"

    vit, vit_path = store.run("vit")
    assert vit.status == "failed"
    (recorded,) = client.get_metric_history(ids["vit"], "train/loss")
    assert series(vit_path)["train/loss"][0][2] == recorded.value  # a database keeps inf as max
    bert, _ = store.run("bert-base")
    assert (bert.project, bert.status) == ("nlp_bert", "interrupted")
    assert bert.deleted_at is not None


def test_importing_a_store_twice_gives_one_run_each(
    mlflow_store: tuple[str, str, dict[str, str]], root: Path, store: ImportedStore
) -> None:
    _, location, _ = mlflow_store
    import_from("mlflow", location, root=root, project="from-mlflow")
    again = import_from("mlflow", location, root=root, project="from-mlflow")
    assert again.imported == [] and len(again.skipped) == 3
    assert {record.project for record, _ in store.runs()} == {"from-mlflow"}
    assert len(store.runs()) == 3


def test_a_folder_that_is_no_store_is_refused(tmp_path: Path, root: Path) -> None:
    (tmp_path / "empty").mkdir()
    with pytest.raises(ValueError, match="is not an MLflow store"):
        import_from("mlflow", tmp_path / "empty", root=root)


def test_a_sqlite_file_of_another_application_is_left_alone(tmp_path: Path, root: Path) -> None:
    import sqlite3

    other = tmp_path / "app.db"
    with sqlite3.connect(other) as db:
        db.execute("CREATE TABLE notes (text TEXT)")
    before = other.read_bytes()
    with pytest.raises(ValueError, match="not an MLflow database"):
        import_from("mlflow", other, root=root)
    assert other.read_bytes() == before
