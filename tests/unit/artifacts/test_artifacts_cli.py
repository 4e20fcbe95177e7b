"""``runicorn artifacts``, ``runicorn models`` and ``runicorn gc`` as a user types them."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from typer.testing import CliRunner, Result

from runicorn.cli import app

NewRun = Callable[..., Any]


def invoke(root: Path, *args: str) -> Result:
    return CliRunner().invoke(app, [*args, "--root", str(root)])


def test_ls_show_get_alias_rm(root: Path, new_run: NewRun, workdir: Path, tmp_path: Path) -> None:
    run = new_run()
    run.log_model(workdir / "model.pt", "resnet", aliases=["champion"]).wait()
    (workdir / "model.pt").write_bytes(b"later weights")
    run.log_model(workdir / "model.pt", "resnet").wait()
    run.finish()

    listing = invoke(root, "artifacts", "ls")
    assert listing.exit_code == 0, listing.output
    assert "vision/resnet" in listing.output and "champion" in listing.output
    versions = invoke(root, "artifacts", "ls", "vision/resnet")
    assert "v2" in versions.output and "v1" in versions.output

    shown = invoke(root, "artifacts", "show", "vision/resnet:champion")
    assert "vision/resnet:v1" in shown.output and run.id in shown.output

    out = tmp_path / "got"
    got = invoke(root, "artifacts", "get", "vision/resnet:latest", "-o", str(out))
    assert got.exit_code == 0 and (out / "model.pt").read_bytes() == b"later weights"

    moved = invoke(root, "artifacts", "alias", "vision/resnet:v2", "champion")
    assert moved.exit_code == 0 and "resnet:v2: latest, champion" in moved.output
    removed = invoke(root, "artifacts", "alias", "vision/resnet:v2", "champion", "--remove")
    assert "resnet:v2: latest" in removed.output and "champion" not in removed.output

    deleted = invoke(root, "artifacts", "rm", "vision/resnet:v1", "--yes")
    assert deleted.exit_code == 0 and "deleted vision/resnet:v1" in deleted.output
    gone = invoke(root, "artifacts", "show", "vision/resnet:v1")
    assert gone.exit_code == 1 and "has no version v1" in gone.output


def test_bad_references_are_one_line_errors(root: Path) -> None:
    for args, message in [
        (("artifacts", "show", "resnet"), "names no project"),
        (("artifacts", "show", "vision/resnet:bad alias"), "not valid"),
        (("artifacts", "show", "vision/nothing"), "not found"),
        (("models", "promote", "vision/nothing", "production"), "not found"),
    ]:
        result = invoke(root, *args)
        assert result.exit_code == 1, result.output
        assert message in result.output and "Traceback" not in result.output


def test_models_promote_and_ls(root: Path, new_run: NewRun, workdir: Path) -> None:
    run = new_run()
    run.log_model(workdir / "model.pt", "resnet").wait()
    (workdir / "model.pt").write_bytes(b"better weights")
    run.log_model(workdir / "model.pt", "resnet").wait()
    run.finish()
    first = invoke(root, "models", "promote", "vision/resnet:v1", "production", "--reason", "ok")
    assert "v1: none → production" in first.output
    second = invoke(root, "models", "promote", "vision/resnet:v2", "production")
    assert "v1: production → archived" in second.output
    assert "v2: none → production" in second.output
    listing = invoke(root, "models", "ls")
    assert "vision/resnet" in listing.output and "archived: 1" in listing.output


def test_gc_reports_bytes_and_verify_flags_corruption(
    root: Path, new_run: NewRun, workdir: Path
) -> None:
    run = new_run()
    run.log_model(workdir / "model.pt", "resnet").wait()
    (workdir / "model.pt").write_bytes(b"x" * 5000)
    run.log_model(workdir / "model.pt", "resnet").wait()
    run.finish()
    assert invoke(root, "artifacts", "rm", "vision/resnet:v2", "--yes").exit_code == 0
    dry = invoke(root, "gc", "--dry-run")
    assert "would reclaim 5.0 kB (5000 bytes) in 1 unreferenced blobs; kept 1" in dry.output
    done = invoke(root, "gc")
    assert "reclaimed 5.0 kB (5000 bytes)" in done.output
    assert "reclaimed 0 B (0 bytes)" in invoke(root, "gc").output

    blob = next(p for p in (root / ".runicorn" / "blobs").glob("??/*"))
    blob.chmod(0o644)
    blob.write_bytes(b"\0" * blob.stat().st_size)
    verified = invoke(root, "gc", "--verify")
    assert verified.exit_code == 2
    assert "1 corrupt blobs" in verified.output and blob.name in verified.output
