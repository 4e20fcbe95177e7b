"""A stand-in for ``python -m runicorn.viewer`` that follows its launch contract, and no more.

It lets the tunnel and session tests run before (or without) the real viewer: it binds the given
host and port (0 picks one), prints ``RUNICORN_VIEWER_READY {json}`` once listening, answers
``/api/health`` and ``/api/experiments`` (the run folders under ``--root``) to requests carrying
the token, exits on stdin EOF with ``--exit-on-stdin-eof``, and after ``--idle-timeout`` seconds
without a request. Usage: ``python standin_viewer.py --host ... --port ... --token ...``.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlparse

last_request = time.monotonic()


def run_ids(root: Path) -> list[str]:
    return sorted(p.parent.name for p in root.glob("**/runs/*/meta.json"))


def make_handler(token: str, root: Path) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: object) -> None:
            sys.stderr.write("standin: " + (format % args) + "\n")

        def do_GET(self) -> None:
            global last_request
            last_request = time.monotonic()
            url = urlparse(self.path)
            given = parse_qs(url.query).get("token", [""])[0]
            auth = self.headers.get("Authorization", "")
            if token and given != token and auth != f"Bearer {token}":
                self.reply(401, {"detail": "token required"})
                return
            if url.path == "/api/health":
                self.reply(200, {"status": "ok", "version": "standin", "root": str(root)})
            elif url.path == "/api/experiments":
                ids = run_ids(root)
                self.reply(200, {"items": [{"id": i} for i in ids], "total": len(ids)})
            elif url.path == "/api/pid":
                self.reply(200, {"pid": os.getpid()})
            else:
                self.reply(404, {"detail": "not found"})

        def reply(self, status: int, body: dict[str, object]) -> None:
            data = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

    return Handler


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--root", default=".")
    parser.add_argument("--token", default="")
    parser.add_argument("--token-stdin", action="store_true")
    parser.add_argument("--label", default="")
    parser.add_argument("--idle-timeout", type=float, default=0.0)
    parser.add_argument("--exit-on-stdin-eof", action="store_true")
    args = parser.parse_args()
    if args.token_stdin:
        args.token = sys.stdin.readline().strip()
    root = Path(args.root)
    server = ThreadingHTTPServer((args.host, args.port), make_handler(args.token, root))
    port = server.server_address[1]
    ready = {"host": args.host, "port": port, "url": f"http://{args.host}:{port}/"}
    print("RUNICORN_VIEWER_READY " + json.dumps(ready), flush=True)
    if args.exit_on_stdin_eof:

        def watch_stdin() -> None:
            while sys.stdin.buffer.read(65536):
                pass
            os._exit(0)

        threading.Thread(target=watch_stdin, daemon=True).start()
    if args.idle_timeout > 0:

        def watch_idle() -> None:
            while time.monotonic() - last_request < args.idle_timeout:
                time.sleep(0.2)
            os._exit(0)

        threading.Thread(target=watch_idle, daemon=True).start()
    server.serve_forever()


if __name__ == "__main__":
    main()
