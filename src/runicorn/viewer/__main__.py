"""``python -m runicorn.viewer``: start the viewer (the CLI's ``runicorn viewer`` does the same)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from runicorn.config import get_user_root_dir
from runicorn.viewer.server import DEFAULT_PORT, ViewerStartupError, serve


def build_parser() -> argparse.ArgumentParser:
    """The options of ``python -m runicorn.viewer`` (the remote launcher's contract)."""
    parser = argparse.ArgumentParser(prog="python -m runicorn.viewer", description=__doc__)
    parser.add_argument("--root", type=Path, default=None, help="storage root")
    parser.add_argument("--host", default="127.0.0.1", help="address to bind (default loopback)")
    parser.add_argument("--port", type=int, default=DEFAULT_PORT, help="0 picks a free port")
    parser.add_argument("--token", default=None, help="require this token (generated off loopback)")
    parser.add_argument(
        "--token-stdin",
        action="store_true",
        help="read the token from the first line of stdin (keeps it out of `ps`)",
    )
    parser.add_argument("--label", default=None, help="a name for `ps` to find this viewer by")
    parser.add_argument("--open", action="store_true", help="open a browser once ready")
    parser.add_argument("--idle-timeout", type=float, default=None, metavar="S")
    parser.add_argument("--exit-on-stdin-eof", action="store_true")
    parser.add_argument("--log-level", default="warning")
    return parser


def main(argv: list[str] | None = None) -> None:
    """Parse the options and serve until stopped."""
    parser = build_parser()
    args = parser.parse_args(argv)
    token = args.token
    if args.token_stdin:
        token = sys.stdin.readline().strip() or None
        if token is None:
            parser.error("--token-stdin: stdin closed before a token line arrived")
    # Unlike `runicorn viewer`, a --root that does not exist yet is served (and created when a
    # run writes there): the remote launcher starts this, after its page warned about it.
    try:
        serve(
            get_user_root_dir(args.root),
            host=args.host,
            port=args.port,
            token=token,
            open_browser=args.open,
            idle_timeout=args.idle_timeout,
            exit_on_stdin_eof=args.exit_on_stdin_eof,
            log_level=args.log_level,
        )
    except ViewerStartupError as exc:
        parser.exit(1, f"error: {exc}\n")


if __name__ == "__main__":
    main()
