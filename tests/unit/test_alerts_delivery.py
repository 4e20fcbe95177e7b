"""Webhook delivery against real local HTTP servers: one that answers, one that hangs."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import orjson
import pytest

import runicorn as rn
from runicorn import alerts_delivery
from runicorn.alerts_delivery import Webhook


class Receiver:
    """A real HTTP server on loopback recording the JSON bodies posted to it."""

    def __init__(self, delay: float = 0.0) -> None:
        self.bodies: list[dict] = []
        self.paths: list[str] = []
        self.received = threading.Event()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length", 0))
                body = self.rfile.read(length)
                if delay:
                    time.sleep(delay)
                receiver.paths.append(self.path)
                receiver.bodies.append(orjson.loads(body))
                receiver.received.set()
                self.send_response(200)
                self.end_headers()
                self.wfile.write(b"ok")

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/hooks/alerts"

    def __enter__(self) -> Receiver:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    with Receiver() as server:
        yield server


def test_a_nan_loss_is_posted_as_json_to_the_configured_webhook(
    root: Path, receiver: Receiver, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("RUNICORN_ALERT_WEBHOOK", receiver.url)
    run = rn.init("vision", "resnet50", storage=root, capture_console=False,
                  capture_env=False, system_metrics=False)  # fmt: skip
    run.log({"train/loss": 0.7})
    run.log({"train/loss": float("nan")})
    run.finish()
    assert receiver.received.wait(10)
    body = receiver.bodies[0]
    assert receiver.paths == ["/hooks/alerts"]
    assert body["type"] == "alert" and body["rule"] == "nan_inf"
    assert body["run_id"] == run.id and body["project"] == "vision"
    assert body["key"] == "train/loss" and body["step"] == 2 and body["value"] == "NaN"


def test_slack_format_posts_a_text_message(receiver: Receiver) -> None:
    hook = Webhook.parse({"url": receiver.url, "format": "slack"})
    alert = {"run_id": "20261201_100000_abcdef", "project": "nlp", "name": "bert",
             "level": "error", "title": "train/loss is NaN", "step": 1200, "text": ""}  # fmt: skip
    alerts_delivery.deliver(alert, (hook,))
    assert receiver.received.wait(10)
    assert receiver.bodies[0] == {
        "text": "Runicorn alert [error] nlp/bert (run 20261201_100000_abcdef): "
        "train/loss is NaN at step 1200"
    }


def test_webhooks_come_from_the_user_config(root: Path, receiver: Receiver) -> None:
    from runicorn.config import save_user_config

    save_user_config({"alerts": {"webhooks": [{"url": receiver.url, "format": "json"}]}})
    run = rn.init("p", "n", storage=root, capture_console=False, capture_env=False,
                  system_metrics=False)  # fmt: skip
    run.alert("evaluation done", "mAP 0.41", level="info")
    run.finish()
    assert receiver.received.wait(10)
    assert receiver.bodies[0]["title"] == "evaluation done"
    assert receiver.bodies[0]["text"] == "mAP 0.41"


def test_a_bad_webhook_url_is_refused_with_a_clear_message() -> None:
    with pytest.raises(ValueError, match="http"):
        Webhook.parse("file:///etc/passwd")
    assert Webhook.parse("https://hooks.slack.com/services/T/B/x").format == "slack"


HANGING_SCRIPT = textwrap.dedent(
    """
    import json, sys, time
    import runicorn as rn

    run = rn.init("p", "n", storage=sys.argv[1], capture_console=False, capture_env=False,
                  system_metrics=False)
    run.log({"loss": float("nan")})
    run.alert("second", level="warn")
    slowest = 0.0
    for step in range(2000):
        started = time.perf_counter()
        run.log({"loss": 1.0 / (step + 1)})
        slowest = max(slowest, time.perf_counter() - started)
    started = time.perf_counter()
    run.finish()
    print(json.dumps({"finish": time.perf_counter() - started, "slowest_log": slowest}))
    sys.stdout.flush()
    """
)


def test_a_hanging_webhook_delays_neither_log_nor_finish(root: Path, tmp_path: Path) -> None:
    with Receiver(delay=60.0) as hanging:
        script = tmp_path / "train.py"
        script.write_text(HANGING_SCRIPT)
        env = {**os.environ, "RUNICORN_ALERT_WEBHOOK": hanging.url}
        started = time.monotonic()
        result = subprocess.run(
            [sys.executable, str(script), str(root)],
            env=env, capture_output=True, text=True, timeout=50,
        )  # fmt: skip
        elapsed = time.monotonic() - started
    assert result.returncode == 0, result.stderr
    figures = orjson.loads(result.stdout.strip().splitlines()[-1])
    assert figures["finish"] < 2.0
    assert figures["slowest_log"] < 0.5
    # Pending posts get at most 10 s at exit, then are dropped with a warning.
    assert elapsed < alerts_delivery.EXIT_BUDGET + 8
    assert "dropped" in result.stderr
    assert "runicorn alert [error]" in result.stderr


def test_a_forked_child_does_not_wait_at_exit_for_its_parents_posts() -> None:
    alert = {"run_id": "20261201_100000_abcdef", "project": "p", "name": "n", "level": "warn",
             "title": "slow data loader", "step": 3, "text": ""}  # fmt: skip
    alerts_delivery.deliver(alert, (Webhook("http://127.0.0.1:9/unreachable"),))
    assert alerts_delivery._poster.pending() == 1
    pid = os.fork()
    if pid == 0:  # a DataLoader worker, say, leaving through the normal exit path
        started = time.monotonic()
        alerts_delivery.drain_at_exit()
        os._exit(0 if time.monotonic() - started < 1.0 else 1)
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0
