"""Paths from requests stay under the folder they are meant for."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from runicorn.errors import InvalidNameError, UnsafePathError
from runicorn.security.path_validation import (
    open_under,
    read_json_under,
    resolve_under,
    safe_relative_path,
    safe_run_id,
)


@pytest.mark.parametrize(
    "bad", ["", "..", "../x", "a/../../b", "/etc/passwd", "a//b", "a\\b", "a\x00b", "C:/x", "a/"]
)
def test_unsafe_relative_paths_are_refused(bad: str) -> None:
    with pytest.raises(UnsafePathError):
        safe_relative_path(bad)


def test_clean_relative_paths_pass(tmp_path: Path) -> None:
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "f.png").write_bytes(b"x")
    assert resolve_under(tmp_path, "sub/f.png") == (tmp_path / "sub" / "f.png").resolve()
    assert safe_relative_path("a/./b").as_posix() == "a/b"


def test_symlinks_leading_outside_are_refused(tmp_path: Path) -> None:
    base = tmp_path / "base"
    base.mkdir()
    (tmp_path / "secret").write_text("s")
    os.symlink(tmp_path / "secret", base / "link")
    os.symlink(tmp_path, base / "up")
    (base / "inner").write_text("i")
    os.symlink(base / "inner", base / "ok-link")
    for name in ("link", "up/secret"):
        with pytest.raises(UnsafePathError):
            resolve_under(base, name)
    assert resolve_under(base, "ok-link") == (base / "inner").resolve()


@pytest.mark.parametrize("bad", ["..", "../x", "a/b", "a b", "", ".hidden", "x" * 200])
def test_run_ids_must_be_single_safe_names(bad: str) -> None:
    with pytest.raises(InvalidNameError):
        safe_run_id(bad)
    assert safe_run_id("20261126_101500_a1b2c3") == "20261126_101500_a1b2c3"


def test_open_under_reads_files_and_refuses_escapes(tmp_path: Path) -> None:
    root = tmp_path / "root"
    run = root / "vision" / "resnet" / "runs" / "20261126_101500_a1b2c3"
    run.mkdir(parents=True)
    (tmp_path / "id_rsa").write_text("PRIVATE KEY")
    (run / "logs.txt").write_text("epoch 1\n")
    with open_under(root, run / "logs.txt") as handle:
        assert handle.read() == b"epoch 1\n"
    os.symlink(tmp_path / "id_rsa", run / "events.jsonl")
    os.symlink(tmp_path, run / "up")
    os.mkfifo(run / "status.json")
    for name in ("events.jsonl", "up/id_rsa", "status.json"):
        with pytest.raises(UnsafePathError):
            open_under(root, run / name)
    with pytest.raises(FileNotFoundError):
        open_under(root, run / "environment.json")
    assert read_json_under(root, run / "events.jsonl") is None
