"""Log windows: whole lines, tails, partial lines, long lines."""

from __future__ import annotations

from pathlib import Path

from runicorn.viewer.services.logs import read_log_window


def test_whole_lines_from_an_offset(tmp_path: Path) -> None:
    path = tmp_path / "logs.txt"
    path.write_bytes(b"aaa\nbbb\nccc\npart")
    assert read_log_window(path, 0, 6) == {"text": "aaa\n", "offset": 0, "next_offset": 4,
                                           "size": 16}  # fmt: skip
    assert read_log_window(path, 4, 100)["text"] == "bbb\nccc\n"
    done = read_log_window(path, 4, 100, include_partial=True)
    assert done["text"] == "bbb\nccc\npart" and done["next_offset"] == 16
    assert read_log_window(path, 12, 100)["text"] == ""
    assert read_log_window(path, 99, 100)["offset"] == 16


def test_tail_starts_at_a_line_boundary(tmp_path: Path) -> None:
    path = tmp_path / "logs.txt"
    path.write_bytes(b"".join(f"line {i}\n".encode() for i in range(100)))
    tail = read_log_window(path, None, 20)
    assert tail["text"] == "line 98\nline 99\n"
    assert tail["next_offset"] == tail["size"]


def test_a_line_longer_than_the_limit_still_makes_progress(tmp_path: Path) -> None:
    path = tmp_path / "logs.txt"
    path.write_bytes(b"x" * 50 + b"\n")
    first = read_log_window(path, 0, 20)
    assert first["text"] == "x" * 20 and first["next_offset"] == 20


def test_invalid_utf8_is_replaced_and_missing_file_is_empty(tmp_path: Path) -> None:
    path = tmp_path / "logs.txt"
    path.write_bytes(b"caf\xc3\xa9 \xff\n")
    assert read_log_window(path, 0, 100)["text"] == "café \ufffd\n"
    assert read_log_window(tmp_path / "none", 0, 10)["size"] == 0
