"""Remote command lines: every user value stays one literal word, whatever it contains."""

from __future__ import annotations

import subprocess

import pytest

from runicorn.remote.commands import (
    REMOTE_PID_PREFIX,
    command_line,
    expand_home,
    new_token,
    sh_script,
    viewer_argv,
    viewer_label,
    with_pid_announcement,
)

NASTY = [
    "plain",
    "with space",
    "it's",
    'double "quoted"',
    "$(touch PWNED)",
    "`touch PWNED`",
    "a;b&&c||d|e",
    "$HOME ${HOME} ~",
    "new\nline",
    "glob * ? [a]",
    "-dash-first",
    "",
]


def run_sh(line: str, cwd: str) -> str:
    """Run ``line`` as an SSH server would: through a POSIX login shell's ``-c``."""
    return subprocess.run(
        ["sh", "-c", line], capture_output=True, text=True, cwd=cwd, check=True
    ).stdout


@pytest.mark.parametrize("value", NASTY)
def test_command_line_passes_each_word_literally(value: str, tmp_path: object) -> None:
    out = run_sh(command_line(["printf", "[%s]", value]), str(tmp_path))
    assert out == f"[{value}]"
    assert not (tmp_path / "PWNED").exists()  # type: ignore[operator]


def test_sh_script_gets_user_values_as_positional_parameters(tmp_path: object) -> None:
    line = sh_script('printf "%s|" "$@"', NASTY)
    assert run_sh(line, str(tmp_path)) == "".join(f"{v}|" for v in NASTY)
    assert not (tmp_path / "PWNED").exists()  # type: ignore[operator]


def test_command_line_refuses_an_empty_command() -> None:
    with pytest.raises(ValueError):
        command_line([])


def test_pid_announcement_keeps_the_pid_and_the_arguments(tmp_path: object) -> None:
    line = with_pid_announcement(["sh", "-c", 'echo "$$"; printf "%s" "$1"', "sh", "$(x) 'y'"])
    first, second, third = run_sh(line, str(tmp_path)).split("\n", 2)
    assert first.startswith(REMOTE_PID_PREFIX)
    assert first[len(REMOTE_PID_PREFIX) :] == second, "exec must keep the announced pid"
    assert third == "$(x) 'y'"


def test_expand_home_only_touches_a_leading_tilde() -> None:
    assert expand_home("~", "/home/u") == "/home/u"
    assert expand_home("~/runs", "/home/u/") == "/home/u/runs"
    assert expand_home("/data/~/x", "/home/u") == "/data/~/x"
    assert expand_home("~other/x", "/home/u") == "~other/x"


def test_viewer_argv_follows_the_launch_contract_without_the_token() -> None:
    token = "-T0k-secret"
    argv = viewer_argv("/opt/py/bin/python", token=token, root="-data/a b", idle_timeout=900)
    assert argv == [
        "/opt/py/bin/python", "-m", "runicorn.viewer",
        "--host=127.0.0.1", "--port=0",
        "--root=-data/a b",
        "--token-stdin",
        f"--label={viewer_label(token)}",
        "--idle-timeout=900",
        "--exit-on-stdin-eof",
    ]  # fmt: skip
    assert not any(token in part for part in argv), "a command line is visible to every user"
    assert not any(
        a.startswith("--root") for a in viewer_argv("p", token="t", root=None, idle_timeout=1)
    )


def test_the_real_viewer_parses_the_launch_argv() -> None:
    from runicorn.viewer.__main__ import build_parser

    argv = viewer_argv("python", token="-abc", root="--weird", idle_timeout=5)
    parsed = build_parser().parse_args(argv[3:])
    assert (str(parsed.root), parsed.port, parsed.host) == ("--weird", 0, "127.0.0.1")
    assert parsed.token_stdin and parsed.token is None and parsed.exit_on_stdin_eof
    assert parsed.label == viewer_label("-abc") != viewer_label("-abd")


def test_new_tokens_never_start_with_a_dash() -> None:
    tokens = {new_token() for _ in range(2000)}
    assert len(tokens) == 2000
    assert all(t[0] != "-" and len(t) == 32 for t in tokens)
