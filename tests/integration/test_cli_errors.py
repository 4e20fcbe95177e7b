"""What the ``runicorn`` command prints when it cannot do what was asked: one clear line each.

Each case runs the real command in a subprocess, the way a user meets it in a terminal.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

import runicorn as rn

VIEWER_COMMANDS = {
    "runicorn viewer": [sys.executable, "-m", "runicorn", "viewer"],
    "python -m runicorn.viewer": [sys.executable, "-m", "runicorn.viewer"],
}


def run(argv: list[str], **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        argv,
        capture_output=True,
        text=True,
        timeout=60,
        stdin=subprocess.DEVNULL,
        env={**os.environ, **env},
    )


def assert_one_line_error(result: subprocess.CompletedProcess[str]) -> str:
    assert result.returncode != 0, result.stdout
    assert "Traceback" not in result.stderr, result.stderr
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("error: "), lines[0]
    return lines[0]


@pytest.fixture
def busy_port() -> Iterator[int]:
    holder = socket.socket()
    holder.bind(("127.0.0.1", 0))
    holder.listen()
    try:
        yield int(holder.getsockname()[1])
    finally:
        holder.close()


@pytest.mark.parametrize("command", VIEWER_COMMANDS)
def test_port_in_use_is_one_line_suggesting_port_0(
    command: str, root: Path, busy_port: int
) -> None:
    result = run([*VIEWER_COMMANDS[command], "--root", str(root), "--port", str(busy_port)])
    line = assert_one_line_error(result)
    assert f"port {busy_port}" in line and "in use" in line and "--port 0" in line


def test_a_root_that_does_not_exist_is_refused_not_created(tmp_path: Path) -> None:
    typo = tmp_path / "Runicron Data"
    result = run([*VIEWER_COMMANDS["runicorn viewer"], "--root", str(typo), "--port", "0"])
    line = assert_one_line_error(result)
    assert str(typo) in line and "does not exist" in line and "--set-root" in line
    assert not typo.exists()


def test_config_set_root_creates_the_folder_the_viewer_then_accepts(tmp_path: Path) -> None:
    new_root = tmp_path / "experiments 2026"
    result = run([sys.executable, "-m", "runicorn", "config", "--set-root", str(new_root)])
    assert result.returncode == 0, result.stderr
    assert new_root.is_dir()


def test_a_short_token_is_one_line(root: Path) -> None:
    result = run([*VIEWER_COMMANDS["runicorn viewer"], "--root", str(root), "--port", "0",
                  "--token", "abc"])  # fmt: skip
    line = assert_one_line_error(result)
    assert "token" in line and "8 characters" in line


@pytest.mark.parametrize(
    ("options", "words"),
    [
        (["--log-level", "chatty"], ["log level", "debug"]),
        (["--host", "nosuchhost.invalid"], ["nosuchhost.invalid", "--host"]),
        (["--port", "70000"], ["70000", "0 for a free one"]),
    ],
)
def test_other_bad_options_are_one_line(root: Path, options: list[str], words: list[str]) -> None:
    result = run([*VIEWER_COMMANDS["runicorn viewer"], "--root", str(root), *options])
    line = assert_one_line_error(result)
    assert all(word in line for word in words), line


def test_an_index_that_cannot_be_opened_is_one_line(root: Path) -> None:
    run_ = rn.init(project="vision", name="resnet50", storage=root, config={"batch_size": 64},
                   capture_console=False, capture_env=False, system_metrics=False)  # fmt: skip
    run_.log({"train/loss": 0.5})
    run_.finish()
    # The index's folder is a file: the viewer cannot create the index there, whatever it does
    # about a corrupt index.db.
    index_folder = root / ".runicorn"
    for path in sorted(index_folder.rglob("*"), reverse=True):
        path.rmdir() if path.is_dir() else path.unlink()
    index_folder.rmdir()
    index_folder.write_text("not a folder")
    result = run([*VIEWER_COMMANDS["runicorn viewer"], "--root", str(root), "--port", "0"])
    line = assert_one_line_error(result)
    assert ".runicorn" in line


def test_the_parquet_hint_keeps_its_brackets(root: Path, tmp_path: Path) -> None:
    run_ = rn.init(project="vision", name="resnet50", storage=root, capture_console=False,
                   capture_env=False, system_metrics=False)  # fmt: skip
    run_.log({"train/loss": 0.5, "val/acc": 0.7})
    run_.finish()
    assert run_.id is not None
    # pyarrow is installed here: a None entry in sys.modules is how Python says "not installed".
    without_pyarrow = (
        "import sys; sys.modules['pyarrow'] = None; "
        "from runicorn.cli import main; sys.argv[0] = 'runicorn'; main()"
    )
    output = tmp_path / "metrics.parquet"
    export = ["export", run_.id, "-o", str(output), "--format", "parquet", "--root", str(root)]
    result = run([sys.executable, "-c", without_pyarrow, *export])
    assert result.returncode == 1
    assert "pip install 'runicorn[parquet]'" in result.stderr, result.stderr


def test_paths_with_brackets_print_whole(tmp_path: Path) -> None:
    bracketed = tmp_path / "runs [bold]2026[/bold] [parquet]"
    command = [sys.executable, "-m", "runicorn", "config"]
    result = run([*command, "--set-root", str(bracketed)], COLUMNS="1000")
    assert result.returncode == 0, result.stderr
    assert f"storage root set to {bracketed}" in result.stdout, result.stdout
    shown = run(command, COLUMNS="1000")
    assert str(bracketed) in shown.stdout, shown.stdout


@pytest.mark.parametrize(
    "command", [["reindex"], ["migrate"], ["export", "20260101_000000_abcdef", "-o", "out.tar.gz"]]
)
def test_commands_reading_a_root_refuse_one_that_does_not_exist(
    tmp_path: Path, command: list[str]
) -> None:
    typo = tmp_path / "Runicron Data"
    result = run([sys.executable, "-m", "runicorn", *command, "--root", str(typo)])
    line = assert_one_line_error(result)
    assert str(typo) in line and "does not exist" in line
    assert not typo.exists()
