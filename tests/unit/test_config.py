"""Storage root resolution, the user config file and SDK settings (config.py)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

import runicorn as rn
from runicorn import config
from runicorn.cli import app
from runicorn.errors import StorageError

# rich lays tables out for the terminal width; a wide one keeps long paths on one line.
WIDE = CliRunner(env={"COLUMNS": "1000"})


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = tmp_path / "home"
    path.mkdir()
    monkeypatch.setenv("HOME", str(path))
    return path


def flat(text: str) -> str:
    """Output without whitespace, so paths wrapped by rich still match."""
    return "".join(text.split())


def test_default_root_is_under_the_home_folder(home: Path) -> None:
    assert config.get_user_root_dir() == (home / "RunicornData").resolve()
    assert config.root_dir_source() == "default"


def test_config_file_root_beats_the_default(home: Path, tmp_path: Path) -> None:
    config.set_user_root_dir(tmp_path / "from_config")
    assert config.get_user_root_dir() == (tmp_path / "from_config").resolve()
    assert config.root_dir_source().startswith("config file ")


def test_environment_variable_beats_the_config_file(
    home: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config.set_user_root_dir(tmp_path / "from_config")
    monkeypatch.setenv("RUNICORN_DIR", str(tmp_path / "from_env"))
    assert config.get_user_root_dir() == (tmp_path / "from_env").resolve()
    assert config.root_dir_source() == "RUNICORN_DIR"


def test_storage_argument_beats_everything(
    home: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config.set_user_root_dir(tmp_path / "from_config")
    monkeypatch.setenv("RUNICORN_DIR", str(tmp_path / "from_env"))
    assert config.get_user_root_dir(tmp_path / "arg") == (tmp_path / "arg").resolve()
    assert config.get_user_root_dir(str(tmp_path / "arg")) == (tmp_path / "arg").resolve()
    assert config.root_dir_source(tmp_path / "arg") == "argument"


def test_empty_environment_variable_is_ignored(home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RUNICORN_DIR", "")
    assert config.get_user_root_dir() == (home / "RunicornData").resolve()


def test_tilde_in_a_root_expands_to_home(home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RUNICORN_DIR", "~/runs")
    assert config.get_user_root_dir() == (home / "runs").resolve()


def test_resolving_the_root_does_not_create_it(home: Path) -> None:
    config.get_user_root_dir()
    assert not (home / "RunicornData").exists()


def test_set_user_root_dir_creates_the_folder_and_persists(tmp_path: Path) -> None:
    chosen = config.set_user_root_dir(tmp_path / "a" / "b")
    assert chosen == (tmp_path / "a" / "b").resolve()
    assert chosen.is_dir()
    saved = json.loads(config.config_file_path().read_text())
    assert saved == {"user_root_dir": str(chosen)}
    assert config.get_user_root_dir() == chosen


def test_config_file_lives_in_the_configured_folder(tmp_path: Path) -> None:
    # The autouse fixture points RUNICORN_CONFIG_DIR at tmp_path / "config".
    assert config.config_file_path() == tmp_path / "config" / "config.json"


def test_saving_config_merges_with_what_is_there(tmp_path: Path) -> None:
    config.save_user_config({"theme": "dark"})
    config.set_user_root_dir(tmp_path / "r")
    assert config.load_user_config() == {"theme": "dark", "user_root_dir": str(tmp_path / "r")}


@pytest.mark.parametrize("content", ["{broken", "[1, 2]", '"text"'])
def test_unreadable_config_file_counts_as_empty(content: str, home: Path) -> None:
    path = config.config_file_path()
    path.parent.mkdir(parents=True)
    path.write_text(content)
    assert config.load_user_config() == {}
    assert config.get_user_root_dir() == (home / "RunicornData").resolve()


def test_root_that_cannot_be_created_raises_storage_error(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("x")
    with pytest.raises(StorageError, match="cannot create the storage root"):
        config.set_user_root_dir(blocker / "root")
    assert config.load_user_config() == {}


def test_init_without_storage_writes_under_the_configured_root(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("RUNICORN_DIR", str(tmp_path / "env_root"))
    run = rn.init(project="p", name="n", capture_console=False, capture_env=False,
                  system_metrics=False)  # fmt: skip
    run.finish()
    assert run.path is not None
    assert run.path.is_relative_to((tmp_path / "env_root").resolve())


def test_cli_set_root_remembers_the_folder(tmp_path: Path) -> None:
    target = tmp_path / "cli_root"
    result = CliRunner().invoke(app, ["config", "--set-root", str(target)])
    assert result.exit_code == 0, result.output
    assert "storage root set to" in result.output
    assert flat(str(target.resolve())) in flat(result.output)
    assert target.is_dir()
    assert config.get_user_root_dir() == target.resolve()


def test_cli_config_shows_the_root_and_what_chose_it(tmp_path: Path) -> None:
    CliRunner().invoke(app, ["config", "--set-root", str(tmp_path / "shown")])
    result = WIDE.invoke(app, ["config"])
    assert result.exit_code == 0, result.output
    out = flat(result.output)
    assert flat("storage root") in out
    assert str((tmp_path / "shown").resolve()) in out
    assert "chosenbyconfigfile" in out
    assert str(config.config_file_path()) in out


def test_cli_config_names_the_environment_variable_when_it_wins(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("RUNICORN_DIR", str(tmp_path / "env"))
    result = WIDE.invoke(app, ["config"])
    assert result.exit_code == 0, result.output
    assert "chosenbyRUNICORN_DIR" in flat(result.output)
    assert str((tmp_path / "env").resolve()) in flat(result.output)


def test_cli_config_shows_a_long_root_in_full_on_a_narrow_terminal(tmp_path: Path) -> None:
    target = tmp_path / ("deep_" * 12) / "root"
    CliRunner().invoke(app, ["config", "--set-root", str(target)])
    result = CliRunner(env={"COLUMNS": "80"}).invoke(app, ["config"])
    assert str(target.resolve()) in flat(result.output)


def test_cli_set_root_failure_is_a_clean_error(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("x")
    result = CliRunner().invoke(app, ["config", "--set-root", str(blocker / "root")])
    assert result.exit_code == 1
    assert "cannot create the storage root" in result.stderr
    assert result.exception is None or isinstance(result.exception, SystemExit)


def test_sdk_settings_read_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RUNICORN_FLUSH_INTERVAL", "2.5")
    monkeypatch.setenv("RUNICORN_HEARTBEAT_INTERVAL", "30")
    monkeypatch.setenv("RUNICORN_SYSTEM_INTERVAL", "5")
    monkeypatch.setenv("RUNICORN_FLUSH_BYTES", "4096")
    monkeypatch.setenv("RUNICORN_MODE", " Disabled ")
    settings = config.SdkSettings.from_env()
    assert (settings.flush_interval, settings.heartbeat_interval, settings.system_interval) == (
        2.5, 30.0, 5.0,
    )  # fmt: skip
    assert settings.flush_bytes == 4096
    assert settings.mode == "disabled"


@pytest.mark.parametrize("switch", ["0", "false", "OFF", " off "])
def test_original_kill_switch_runicorn_on_disables_recording(
    switch: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("RUNICORN_ON", switch)
    assert config.SdkSettings.from_env().mode == "disabled"
    run = rn.init(project="vision", name="resnet50", storage=tmp_path, config={"batch_size": 64})
    run.log({"train/loss": 0.5})
    run.finish()
    assert isinstance(run, rn.NoOpRun)
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("switch", ["1", "true", "on", ""])
def test_runicorn_on_set_to_yes_keeps_recording(
    switch: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("RUNICORN_ON", switch)
    assert config.SdkSettings.from_env().mode == "online"


def test_sdk_settings_clamp_tiny_values_and_ignore_garbage(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("RUNICORN_FLUSH_INTERVAL", "0")
    monkeypatch.setenv("RUNICORN_HEARTBEAT_INTERVAL", "soon")
    monkeypatch.setenv("RUNICORN_MAX_BUFFER_BYTES", "1")
    settings = config.SdkSettings.from_env()
    assert settings.flush_interval == 0.01
    assert settings.heartbeat_interval == 10.0
    assert settings.max_buffer_bytes == 1024


def test_sdk_settings_defaults_without_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("RUNICORN_FLUSH_INTERVAL")
    monkeypatch.delenv("RUNICORN_HEARTBEAT_INTERVAL")
    assert config.SdkSettings.from_env() == config.SdkSettings()


@pytest.mark.parametrize(
    ("env", "rank"),
    [({}, 0), ({"RANK": "3"}, 3), ({"LOCAL_RANK": "2"}, 2), ({"RANK": "x", "LOCAL_RANK": "1"}, 1),
     ({"RANK": "0", "LOCAL_RANK": "5"}, 0)],
)  # fmt: skip
def test_process_rank_reads_rank_then_local_rank(
    env: dict[str, str], rank: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    assert config.process_rank() == rank


def test_processes_of_higher_rank_record_only_when_asked(
    root: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("RANK", "1")
    quiet = rn.init(project="p", name="n", storage=root, capture_console=False,
                    capture_env=False, system_metrics=False)  # fmt: skip
    assert isinstance(quiet, rn.NoOpRun)
    quiet.finish()
    monkeypatch.setenv("RUNICORN_ALL_RANKS", "true")
    assert config.record_all_ranks()
    loud = rn.init(project="p", name="n", storage=root, capture_console=False,
                   capture_env=False, system_metrics=False)  # fmt: skip
    assert isinstance(loud, rn.Run)
    loud.finish()
