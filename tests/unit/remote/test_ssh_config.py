"""SSHConfig: target parsing, validation, and secrets kept out of repr and listings."""

from __future__ import annotations

import pytest

from runicorn.remote.connection import SSHConfig


@pytest.mark.parametrize(
    ("target", "user", "host", "port"),
    [
        ("gpu01", None, "gpu01", None),
        ("alice@gpu01", "alice", "gpu01", None),
        ("alice@gpu01:2222", "alice", "gpu01", 2222),
        ("gpu01.example.org:22", None, "gpu01.example.org", 22),
        ("ssh://bob@10.0.0.5:2200", "bob", "10.0.0.5", 2200),
        ("carol@[2001:db8::1]:2222", "carol", "2001:db8::1", 2222),
        ("[::1]", None, "::1", None),
    ],
)
def test_targets_are_parsed(target: str, user: str | None, host: str, port: int | None) -> None:
    config = SSHConfig.from_target(target)
    assert (config.user, config.host, config.port) == (user, host, port)


@pytest.mark.parametrize("target", ["", "a b", "user@", "host:notaport", "@host", "host:99999"])
def test_bad_targets_are_refused_with_a_hint(target: str) -> None:
    with pytest.raises(ValueError):
        SSHConfig.from_target(target)


def test_options_fill_what_the_target_leaves_out() -> None:
    config = SSHConfig.from_target("gpu01", port=2222, user="dave", key_file="~/.ssh/k")
    assert (config.user, config.port, config.key_file) == ("dave", 2222, "~/.ssh/k")
    assert SSHConfig.from_target("eve@gpu01:22", user=None).user == "eve"


def test_secrets_stay_out_of_repr_and_public_dict() -> None:
    config = SSHConfig(host="h", user="u", password="s3cret-pw", passphrase="s3cret-pp")
    assert "s3cret" not in repr(config)
    public = config.public_dict()
    assert "s3cret" not in str(public)
    assert public["has_password"] is True and public["has_passphrase"] is True


def test_key_and_display() -> None:
    assert SSHConfig(host="h", user="u", port=2).key == "u@h:2"
    assert SSHConfig(host="h").key == "@h:"
    assert SSHConfig(host="h", user="u", port=2).display == "u@h:2"
    assert SSHConfig(host="h").display == "h"
