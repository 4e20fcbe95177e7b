"""Naming rules, run ids and the folder layout of a storage root (storage/layout.py)."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

import runicorn as rn
from runicorn.errors import InvalidNameError, UnsafePathError
from runicorn.storage.layout import (
    MAX_NAME_LENGTH,
    ensure_within,
    is_run_dir,
    iter_run_dirs,
    location_from_path,
    looks_like_run_id,
    new_run_id,
    run_dir,
    validate_name,
    validate_run_id,
)

RUN_ID = re.compile(r"^\d{8}_\d{6}_[0-9a-z]{6}$")


def start_run(root: Path, project: str = "proj", name: str = "exp", **kwargs: object) -> rn.Run:
    run = rn.init(
        project=project, name=name, storage=root, capture_console=False, capture_env=False,
        system_metrics=False, **kwargs,
    )  # fmt: skip
    assert isinstance(run, rn.Run)
    return run


@pytest.mark.parametrize(
    ("value", "rule"),
    [
        ("", "must not be empty"),
        (".", "'.' and '..' are not allowed"),
        ("..", "'.' and '..' are not allowed"),
        ("a/../b", "'.' and '..' are not allowed"),
        ("a/./b", "'.' and '..' are not allowed"),
        ("/a", "may not start or end with '/'"),
        ("a/", "may not start or end with '/'"),
        ("a//b", "empty path segment"),
        ("a\x00b", "control character"),
        ("tab\there", "control character"),
        ("new\nline", "control character"),
        ("del\x7f", "control character"),
        ("x" * (MAX_NAME_LENGTH + 1), f"longer than {MAX_NAME_LENGTH} characters"),
        ("trailing.", "end with '.'"),
        (" padded", "start or end with a space"),
    ],
)
def test_invalid_name_is_rejected_with_the_rule_it_breaks(value: str, rule: str) -> None:
    with pytest.raises(InvalidNameError, match=re.escape(rule)):
        validate_name(value)


@pytest.mark.parametrize("char", list('<>:"\\|?*'))
def test_each_windows_forbidden_character_is_rejected(char: str) -> None:
    with pytest.raises(InvalidNameError, match="not allowed in file names") as info:
        validate_name(f"run{char}1")
    assert repr(char)[1:-1] in str(info.value)


@pytest.mark.parametrize("device", ["CON", "con", "PRN", "AUX", "NUL", "nul.txt", "COM1", "lpt9"])
def test_windows_device_names_are_rejected(device: str) -> None:
    with pytest.raises(InvalidNameError, match="reserved on Windows"):
        validate_name(device)
    with pytest.raises(InvalidNameError, match="reserved on Windows"):
        validate_name(f"ok/{device}")


@pytest.mark.parametrize("value", ["CONSOLE", "com10", "nullable", "aux_data"])
def test_names_that_only_start_like_device_names_are_accepted(value: str) -> None:
    assert validate_name(value) == value


def test_name_of_exactly_the_maximum_length_is_accepted() -> None:
    value = "x" * MAX_NAME_LENGTH
    assert validate_name(value) == value


def test_non_string_name_is_rejected() -> None:
    with pytest.raises(InvalidNameError, match="must be a string"):
        validate_name(3)  # type: ignore[arg-type]


def test_invalid_name_error_is_a_value_error() -> None:
    with pytest.raises(ValueError, match="must not be empty"):
        validate_name("")


def test_project_may_not_contain_a_slash() -> None:
    with pytest.raises(InvalidNameError, match="may not contain '/'"):
        validate_name("a/b", "project", allow_slash=False)


def test_message_names_which_argument_was_wrong() -> None:
    with pytest.raises(InvalidNameError, match=r"^project "):
        validate_name("a|b", "project")


@pytest.mark.parametrize(
    ("project", "name", "rule"),
    [
        ("", "exp", "project must not be empty"),
        ("a/b", "exp", "may not contain '/'"),
        ("proj", "..", "'.' and '..' are not allowed"),
        ("proj", "/exp", "may not start or end with '/'"),
        ("proj", "exp/", "may not start or end with '/'"),
        ("proj", "a:b", "not allowed in file names"),
        ("proj", "NUL", "reserved on Windows"),
        ("proj", "bell\x07", "control character"),
        ("proj", "y" * 129, "longer than 128"),
    ],
)
def test_init_rejects_invalid_names_and_writes_nothing(
    root: Path, project: str, name: str, rule: str
) -> None:
    with pytest.raises(ValueError, match=re.escape(rule)):
        start_run(root, project, name)
    assert list(root.iterdir()) == []


def test_init_accepts_unicode_letters(root: Path) -> None:
    run = start_run(root, "中文项目", "é/实验")
    run.finish()
    assert run.path == root / "中文项目" / "é" / "实验" / "runs" / run.id
    assert (run.path / "meta.json").is_file()


def test_slash_in_name_nests_folders(root: Path) -> None:
    run = start_run(root, "proj", "a/b")
    run.finish()
    assert run.path.relative_to(root).parts == ("proj", "a", "b", "runs", run.id)
    assert run.name == "a/b"


def test_init_rejects_an_unsafe_run_id(root: Path) -> None:
    with pytest.raises(ValueError, match="run id"):
        start_run(root, run_id="../escape")


def test_run_id_has_date_time_and_six_base36_chars(root: Path) -> None:
    run = start_run(root)
    run.finish()
    assert RUN_ID.match(run.id)
    assert looks_like_run_id(run.id)


def test_run_ids_sort_by_creation_time() -> None:
    times = [1_700_000_000.0, 1_700_000_001.0, 1_700_003_600.0, 1_800_000_000.0]
    ids = [new_run_id(t) for t in times]
    assert ids == sorted(ids)
    assert all(RUN_ID.match(run_id) for run_id in ids)


def test_run_ids_made_in_the_same_second_are_distinct() -> None:
    ids = {new_run_id(1_700_000_000.0) for _ in range(500)}
    assert len(ids) == 500


@pytest.mark.parametrize("text", ["20240101_120000_ABCDEF", "20240101_120000_abc", "run-1", ""])
def test_text_that_is_not_a_generated_run_id_is_recognised(text: str) -> None:
    assert not looks_like_run_id(text)


@pytest.mark.parametrize("run_id", ["custom-run_1.0", "20240101_120000_abc123", "A"])
def test_safe_custom_run_ids_are_accepted(run_id: str) -> None:
    assert validate_run_id(run_id) == run_id


@pytest.mark.parametrize("run_id", ["", "../x", "a/b", ".hidden", "a..b", "x" * 129, "a b"])
def test_unsafe_run_ids_are_rejected(run_id: str) -> None:
    with pytest.raises(InvalidNameError, match="is not valid"):
        validate_run_id(run_id)


def test_run_dir_places_a_run_under_project_name_and_runs(root: Path) -> None:
    path = run_dir(root, "proj", "a/b/c", "20240101_120000_abc123")
    assert path == root / "proj" / "a" / "b" / "c" / "runs" / "20240101_120000_abc123"


def test_ensure_within_accepts_paths_inside_the_root(root: Path) -> None:
    (root / "p").mkdir()
    assert ensure_within(root, root / "p") == (root / "p").resolve()
    assert ensure_within(root, root) == root.resolve()


def test_ensure_within_rejects_dot_dot_escapes(root: Path) -> None:
    with pytest.raises(UnsafePathError, match="leaves the storage root"):
        ensure_within(root, root / "p" / ".." / ".." / "etc")


def test_ensure_within_rejects_a_sibling_with_the_root_as_name_prefix(root: Path) -> None:
    sibling = root.parent / (root.name + "-other")
    sibling.mkdir()
    with pytest.raises(UnsafePathError):
        ensure_within(root, sibling)


def test_ensure_within_rejects_a_symlink_leading_outside(root: Path, tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    os.symlink(outside, root / "link")
    with pytest.raises(UnsafePathError, match="leaves the storage root"):
        ensure_within(root, root / "link")
    with pytest.raises(ValueError, match="leaves the storage root"):
        ensure_within(root, root / "link" / "secret.txt")


def test_ensure_within_follows_a_symlink_that_stays_inside(root: Path) -> None:
    (root / "real").mkdir()
    os.symlink(root / "real", root / "alias")
    assert ensure_within(root, root / "alias") == (root / "real").resolve()


def test_location_is_read_from_the_project_name_runs_layout(root: Path) -> None:
    path = root / "proj" / "a" / "b" / "runs" / "20240101_120000_abc123"
    location = location_from_path(root, path)
    assert location is not None
    assert (location.project, location.name, location.run_id) == (
        "proj", "a/b", "20240101_120000_abc123",
    )  # fmt: skip


def test_location_is_read_from_the_later_runs_path_layout(root: Path) -> None:
    location = location_from_path(root, root / "runs" / "a" / "b" / "c" / "20240101_120000_x")
    assert location is not None
    assert (location.project, location.name) == ("a", "b/c")


def test_location_outside_the_root_is_none(root: Path, tmp_path: Path) -> None:
    assert location_from_path(root, tmp_path / "elsewhere" / "runs" / "x") is None


def test_iter_run_dirs_finds_runs_in_both_layouts(root: Path) -> None:
    sdk_run = start_run(root, "proj", "a/b")
    sdk_run.finish()
    legacy = root / "runs" / "x" / "y" / "20230101_000000_legacy"
    legacy.mkdir(parents=True)
    (legacy / "events.jsonl").write_text("")
    found = set(iter_run_dirs(root))
    assert found == {sdk_run.path, legacy}


def test_iter_run_dirs_skips_the_index_media_and_symlinks(root: Path, tmp_path: Path) -> None:
    run = start_run(root)
    run.log_image("img", [[0, 255], [255, 0]])
    run.finish()
    (run.path / "media" / "meta.json").write_text("{}")  # a media file, not a run
    fake = root / ".runicorn" / "runs" / "20240101_000000_insidx"
    fake.mkdir(parents=True)
    (fake / "meta.json").write_text("{}")
    outside = tmp_path / "outside_run"
    outside.mkdir()
    (outside / "meta.json").write_text("{}")
    os.symlink(outside, root / "proj" / "linked")
    assert list(iter_run_dirs(root)) == [run.path]


def test_iter_run_dirs_on_a_missing_root_yields_nothing(tmp_path: Path) -> None:
    assert list(iter_run_dirs(tmp_path / "missing")) == []


def test_a_folder_is_a_run_when_it_holds_a_marker_file(tmp_path: Path) -> None:
    assert not is_run_dir(tmp_path)
    (tmp_path / "status.json").write_text("{}")
    assert is_run_dir(tmp_path)


@pytest.mark.parametrize(
    ("project", "name"), [("media", "x"), ("p", "media"), ("p", "a/media/b"), ("runs", "runs/x")]
)
def test_runs_whose_names_match_folder_words_are_found(root: Path, project: str, name: str) -> None:
    run = start_run(root, project, name)
    run.finish()
    assert list(iter_run_dirs(root)) == [run.path]
    location = location_from_path(root, run.path)
    assert location is not None
    assert (location.project, location.name) == (project, name)


@pytest.mark.parametrize("value", [".runicorn", ".RUNICORN", "a/.runicorn/b"])
def test_the_index_folder_name_is_reserved(value: str) -> None:
    with pytest.raises(InvalidNameError, match="reserved for the index"):
        validate_name(value)
