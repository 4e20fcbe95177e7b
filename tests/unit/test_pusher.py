"""The SDK's live pusher when no server answers: training goes on, one warning, and finish
returns within its bound."""

from __future__ import annotations

import socket
import time
import warnings
from pathlib import Path

import pytest

import runicorn as rn


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_training_goes_on_while_the_server_is_unreachable(
    root: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("RUNICORN_SYNC_INTERVAL", "0.1")
    monkeypatch.setenv("RUNICORN_TOKEN", "rnt_test")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        run = rn.init(
            project="vision", name="resnet", storage=root,
            sync=f"http://127.0.0.1:{closed_port()}",
            system_metrics=False, capture_console=False, capture_env=False,
        )  # fmt: skip
        assert isinstance(run, rn.Run) and run._pusher is not None
        started = time.perf_counter()
        for step in range(1, 2001):
            run.log({"train/loss": 1.0 / step, "val/acc": step / 2000}, step=step)
        logging_took = time.perf_counter() - started
        time.sleep(1.0)  # several failed passes
        pusher = run._pusher
        before = time.monotonic()
        assert pusher.finish(timeout=1.0) is False
        assert time.monotonic() - before < 5
        run.finish()
    assert logging_took < 2.0
    assert pusher.failures >= 2 and pusher.bytes_sent == 0
    failed = [w for w in caught if "live push of run" in str(w.message)]
    assert len(failed) == 1 and "keeps retrying" in str(failed[0].message)
    assert any("runicorn sync" in str(w.message) for w in caught)
    lines = (run.path / "events.jsonl").read_text().splitlines()
    assert sum('"train/loss"' in line for line in lines) == 2000


def test_sync_url_comes_from_the_environment(root: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RUNICORN_SYNC_URL", f"http://127.0.0.1:{closed_port()}")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        run = rn.init(
            project="vision", name="resnet", storage=root,
            system_metrics=False, capture_console=False, capture_env=False,
        )  # fmt: skip
        assert isinstance(run, rn.Run) and run._pusher is not None
        assert run._pusher.url.startswith("http://127.0.0.1:")
        run._pusher.finish(timeout=0.5)
        run.finish()


def test_no_pusher_without_a_sync_url(root: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("RUNICORN_SYNC_URL", raising=False)
    run = rn.init(
        project="vision", name="resnet", storage=root,
        system_metrics=False, capture_console=False, capture_env=False,
    )  # fmt: skip
    assert isinstance(run, rn.Run) and run._pusher is None
    run.finish()
