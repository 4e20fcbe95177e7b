"""Send files of a storage root to stdout as framed, compressed chunks (standard library only).

    python - --root ROOT --requests REQUESTS

``REQUESTS`` is base64 of zlib-compressed JSON, ``[[rel, start, size, whole], ...]``. This
program runs on a sync's source host, with or without Runicorn (it is sent over the connection),
so that the files of runs new to the destination arrive through one channel instead of a round
trip per file. Per file, in the order asked, it writes frames: a JSON header line
``{"path", "at", "n", "z", "end"}`` followed by ``z`` bytes, the zlib-compressed ``n`` bytes of
the file at offset ``at`` (without ``z`` at ``--level 0``: the ``n`` bytes as they are); or one
header ``{"path", "skip": reason}`` and no bytes when the file cannot be sent as asked (gone,
shorter than asked, or a ``whole`` document whose size changed). Bytes ``start`` to ``size``
are sent, ``size`` being what the manifest saw (what grew since is for the next pass; ``start``
is where a resumed transfer picks up). The receiver checks every header against what it asked
for.
"""

from __future__ import annotations

import argparse
import base64
import json
import os
import sys
import zlib
from typing import IO, Any

CHUNK_BYTES = 4 << 20
LEVEL = 1  # JSON lines shrink ~5x at level 1; higher levels cost more than the bytes they save


Request = tuple[str, int, int, bool]


def decode_requests(text: str) -> list[Request]:
    """The ``--requests`` argument as (relative path, start, size, whole)."""
    data = json.loads(zlib.decompress(base64.b64decode(text)).decode("utf-8"))
    return [(str(rel), int(start), int(size), bool(whole)) for rel, start, size, whole in data]


def encode_requests(requests: list[Request]) -> str:
    """The inverse of :func:`decode_requests`."""
    text = json.dumps([list(r) for r in requests], separators=(",", ":"))
    return base64.b64encode(zlib.compress(text.encode("utf-8"), 9)).decode("ascii")


def open_under(root: str, rel: str) -> int:
    """A read-only descriptor of ``rel`` under ``root``; no link is followed on the way."""
    parts = rel.split("/")
    if rel.startswith("/") or any(part in ("", ".", "..") for part in parts):
        raise OSError(f"{rel!r} is not a clean relative path")
    nofollow = getattr(os, "O_NOFOLLOW", 0)
    folder = os.open(root, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
    try:
        for part in parts[:-1]:
            inner = os.open(part, os.O_RDONLY | os.O_DIRECTORY | nofollow, dir_fd=folder)
            os.close(folder)
            folder = inner
        return os.open(parts[-1], os.O_RDONLY | nofollow, dir_fd=folder)
    finally:
        os.close(folder)


def _header(out: IO[bytes], header: dict[str, Any]) -> None:
    out.write(json.dumps(header, separators=(",", ":")).encode("utf-8") + b"\n")


def send(root: str, requests: list[Request], out: IO[bytes], level: int = LEVEL) -> None:
    """Write the frames of every requested file to ``out`` (zlib ``level``; 0: as they are)."""
    for rel, start, size, whole in requests:
        try:
            fd = open_under(root, rel)
        except OSError as exc:
            _header(out, {"path": rel, "skip": f"cannot be opened ({exc.strerror or exc})"})
            continue
        with os.fdopen(fd, "rb") as handle:
            actual = os.fstat(handle.fileno()).st_size
            if actual < size or (whole and actual != size):
                _header(out, {"path": rel, "skip": "changed since the manifest"})
                continue
            at = start
            handle.seek(start)
            while True:
                count = min(CHUNK_BYTES, size - at)
                data = handle.read(count)
                if len(data) != count:
                    _header(out, {"path": rel, "skip": "changed while it was read"})
                    break
                end = at + count == size
                if level:
                    packed = zlib.compress(data, level)
                    _header(out, {"path": rel, "at": at, "n": count, "z": len(packed), "end": end})
                    out.write(packed)
                else:
                    _header(out, {"path": rel, "at": at, "n": count, "end": end})
                    out.write(data)
                at += count
                if end:
                    break
    out.flush()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="runicorn-send", description=__doc__)
    parser.add_argument("--root", required=True)
    parser.add_argument("--requests", required=True)
    parser.add_argument("--level", type=int, default=LEVEL, choices=range(10))
    args = parser.parse_args(argv)
    root = os.path.expanduser(args.root)
    send(root, decode_requests(args.requests), sys.stdout.buffer, args.level)
    return 0


if __name__ == "__main__":
    sys.exit(main())
