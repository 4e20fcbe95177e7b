"""``python -m runicorn.viewer``: start the viewer (the CLI's ``runicorn viewer`` does the same)."""

from __future__ import annotations

import argparse
from pathlib import Path

from runicorn.config import get_user_root_dir
from runicorn.viewer.server import DEFAULT_PORT, serve


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m runicorn.viewer", description=__doc__)
    parser.add_argument("--root", type=Path, default=None, help="storage root")
    parser.add_argument("--host", default="127.0.0.1", help="address to bind (default loopback)")
    parser.add_argument("--port", type=int, default=DEFAULT_PORT, help="0 picks a free port")
    parser.add_argument("--token", default=None, help="require this token (generated off loopback)")
    parser.add_argument("--open", action="store_true", help="open a browser once ready")
    parser.add_argument("--idle-timeout", type=float, default=None, metavar="S")
    parser.add_argument("--exit-on-stdin-eof", action="store_true")
    parser.add_argument("--log-level", default="warning")
    args = parser.parse_args(argv)
    serve(
        get_user_root_dir(args.root),
        host=args.host,
        port=args.port,
        token=args.token,
        open_browser=args.open,
        idle_timeout=args.idle_timeout,
        exit_on_stdin_eof=args.exit_on_stdin_eof,
        log_level=args.log_level,
    )


if __name__ == "__main__":
    main()
