import json
import os
import platform
import shutil
import subprocess
import sys
import time
from importlib.metadata import version

import pytest

from runicorn import environment
from runicorn.environment import MAX_DIFF_BYTES, capture_environment, strip_url_credentials

needs_git = pytest.mark.skipif(shutil.which("git") is None, reason="git is not installed")


def git(cwd, *args):
    subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True)


@pytest.fixture
def repo(tmp_path, monkeypatch):
    """A real repository with one commit; git identity comes from the environment only."""
    monkeypatch.setenv("GIT_CONFIG_GLOBAL", os.devnull)
    monkeypatch.setenv("GIT_CONFIG_NOSYSTEM", "1")
    monkeypatch.setenv("GIT_AUTHOR_NAME", "Test")
    monkeypatch.setenv("GIT_AUTHOR_EMAIL", "test@example.com")
    monkeypatch.setenv("GIT_COMMITTER_NAME", "Test")
    monkeypatch.setenv("GIT_COMMITTER_EMAIL", "test@example.com")
    root = tmp_path / "project"
    root.mkdir()
    git(root, "init", "--quiet", "--initial-branch=main")
    (root / "train.py").write_text("lr = 0.1\n")
    git(root, "add", "train.py")
    git(root, "commit", "--quiet", "-m", "first")
    return root


def test_describes_interpreter_machine_and_command_line(tmp_path):
    env = capture_environment(cwd=tmp_path)

    assert env["python"] == {
        "version": platform.python_version(),
        "implementation": platform.python_implementation(),
        "executable": sys.executable,
    }
    assert env["platform"]["system"] == platform.system()
    assert env["platform"]["machine"] == platform.machine()
    assert env["hostname"]
    assert env["cpu_count"] == os.cpu_count()
    assert env["memory_total"] > 0
    assert isinstance(env["gpus"], list)
    assert env["command"] == {"argv": sys.argv, "cwd": str(tmp_path)}


def test_is_json_serializable(repo):
    env = capture_environment(cwd=repo)

    assert json.loads(json.dumps(env)) == env


def test_lists_installed_packages_with_versions_sorted_by_name(tmp_path):
    packages = capture_environment(cwd=tmp_path)["packages"]

    assert packages["psutil"] == version("psutil")
    assert packages["pytest"] == version("pytest")
    names = list(packages)
    assert names == sorted(names, key=str.lower)


def test_outside_a_repository_git_is_none(tmp_path):
    assert capture_environment(cwd=tmp_path)["git"] is None


def test_without_git_installed_git_is_none_and_the_rest_is_captured(repo, monkeypatch):
    monkeypatch.setenv("PATH", str(repo / "no-such-bin"))

    env = capture_environment(cwd=repo)

    assert env["git"] is None
    assert env["python"]["version"] == platform.python_version()
    assert env["packages"]


def test_missing_working_directory_still_gives_a_record(tmp_path):
    env = capture_environment(cwd=tmp_path / "deleted")

    assert env["git"] is None
    assert env["python"] is not None


@needs_git
def test_clean_checkout_records_commit_branch_and_no_diff(repo):
    head = subprocess.run(
        ["git", "rev-parse", "HEAD"], cwd=repo, capture_output=True, text=True, check=True
    ).stdout.strip()

    info = capture_environment(cwd=repo / ".")["git"]

    assert info["root"] == str(repo.resolve())
    assert info["commit"] == head
    assert info["branch"] == "main"
    assert info["dirty"] is False
    assert info["diff"] == ""
    assert info["diff_truncated"] is False
    assert info["remote_url"] is None


@needs_git
def test_uncommitted_change_is_dirty_with_its_diff(repo):
    (repo / "train.py").write_text("lr = 0.01\n")

    info = capture_environment(cwd=repo)["git"]

    assert info["dirty"] is True
    assert "-lr = 0.1\n+lr = 0.01\n" in info["diff"]
    assert info["diff_truncated"] is False


@needs_git
def test_staged_change_counts_as_dirty(repo):
    (repo / "model.py").write_text("layers = 50\n")
    git(repo, "add", "model.py")

    info = capture_environment(cwd=repo)["git"]

    assert info["dirty"] is True
    assert "+layers = 50" in info["diff"]


@needs_git
def test_huge_diff_is_cut_at_the_cap_and_flagged(repo):
    (repo / "train.py").write_text("x = 1\n" * 400_000)

    info = capture_environment(cwd=repo)["git"]

    assert info["dirty"] is True
    assert info["diff_truncated"] is True
    assert MAX_DIFF_BYTES - 4 <= len(info["diff"].encode()) <= MAX_DIFF_BYTES + 4
    assert info["diff"].startswith("diff --git a/train.py b/train.py")


@needs_git
def test_remote_url_is_recorded_without_its_credentials(repo):
    git(repo, "remote", "add", "origin", "https://alice:ghp_s3cret@github.com/org/model.git")

    env = capture_environment(cwd=repo)

    assert env["git"]["remote_url"] == "https://github.com/org/model.git"
    assert "ghp_s3cret" not in json.dumps(env)


@needs_git
def test_detached_head_has_a_commit_but_no_branch(repo):
    git(repo, "checkout", "--quiet", "--detach")

    info = capture_environment(cwd=repo)["git"]

    assert info["commit"] is not None
    assert info["branch"] is None


@needs_git
def test_repository_without_commits_has_no_commit(tmp_path, monkeypatch):
    monkeypatch.setenv("GIT_CONFIG_GLOBAL", os.devnull)
    git(tmp_path, "init", "--quiet")

    info = capture_environment(cwd=tmp_path)["git"]

    assert info["root"] == str(tmp_path.resolve())
    assert info["commit"] is None
    assert info["dirty"] is None


@needs_git
def test_capture_is_fast(repo):
    capture_environment(cwd=repo)
    started = time.perf_counter()

    capture_environment(cwd=repo)

    # It runs in the training process before the first step; a user would notice seconds.
    assert time.perf_counter() - started < 2.0


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("https://user:token@github.com/org/repo.git", "https://github.com/org/repo.git"),
        (
            "https://oauth2:glpat-x@gitlab.example.com:8443/g/r",
            "https://gitlab.example.com:8443/g/r",
        ),
        ("ssh://git@github.com/org/repo.git", "ssh://github.com/org/repo.git"),
        ("https://github.com/org/repo.git", "https://github.com/org/repo.git"),
        ("git@github.com:org/repo.git", "git@github.com:org/repo.git"),
        ("/srv/git/repo.git", "/srv/git/repo.git"),
        ("https://a:p@ss@host/r", "https://host/r"),
    ],
)
def test_strip_url_credentials(url, expected):
    assert strip_url_credentials(url) == expected


def test_hanging_git_is_abandoned_after_the_timeout(tmp_path, monkeypatch):
    # Stands in for a repository on a stalled network share, where every git call blocks.
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    fake_git = bin_dir / "git"
    fake_git.write_text(f"#!{sys.executable}\nimport time\ntime.sleep(60)\n")
    fake_git.chmod(0o755)
    monkeypatch.setenv("PATH", str(bin_dir))
    monkeypatch.setattr(environment, "GIT_TIMEOUT", 0.3)

    started = time.monotonic()
    env = capture_environment(cwd=tmp_path)

    assert time.monotonic() - started < 3
    assert env["git"] is None
    assert env["python"] is not None
