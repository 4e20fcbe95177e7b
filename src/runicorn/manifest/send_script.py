"""Send files of a storage root to stdout as framed, compressed chunks (standard library only).

    python - --root ROOT --requests REQUESTS

``REQUESTS`` is base64 of zlib-compressed JSON, ``[[rel, start, size, whole], ...]``. This
program runs on a sync's source host, with or without Runicorn (it is sent over the connection),
so that the files of runs new to the destination arrive through one channel instead of a round
trip per file. Per file, in the order asked, it writes frames: a JSON header line
``{"path", "at", "n", "z", "end"}`` followed by ``z`` bytes, the zlib-compressed ``n`` bytes of
the file at offset ``at`` (without ``z``: the ``n`` bytes as they are); or one
header ``{"path", "skip": reason}`` and no bytes when the file cannot be sent as asked (gone,
shorter than asked, or a ``whole`` document whose size changed). Bytes ``start`` to ``size``
are sent, ``size`` being what the manifest saw (what grew since is for the next pass; ``start``
is where a resumed transfer picks up). The receiver checks every header against what it asked
for.

``--level auto`` (the default) compresses only while it pays: zlib shrinks JSON lines ~5x at
~200 MB/s a core, a win on any network link and a loss where the output drains faster than that
(loopback, 10 GbE), so each chunk is sent compressed or as it is by how fast the output has been
draining against how fast zlib has been running here.
"""

from __future__ import annotations

import argparse
import base64
import json
import os
import sys
import time
import zlib
from typing import IO, Any

CHUNK_BYTES = 4 << 20
# JSON lines shrink ~5x at level 1; higher levels cost more than the bytes they save.
AUTO_LEVEL = 1
# Writes smaller than this say little about the link (they land in buffers).
TIMED_WRITE_BYTES = 64 << 10


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


class Pace:
    """Whether compressing the next chunk pays, from what the last chunks cost.

    Sending a byte as it is costs the time the output takes to drain it; compressed, it costs
    zlib's time plus draining ``ratio`` of it. Both are measured as the stream goes (moving
    averages per byte), starting compressed so a slow link is never flooded. Compression must
    win by a margin: where the two are close, the receiver, which must inflate, prefers raw.
    """

    MARGIN = 0.75
    WEIGHT = 0.3  # of the newest measurement in the moving averages

    def __init__(self) -> None:
        self.drain: float | None = None  # seconds per byte written, on large writes
        self.deflate: float | None = None  # seconds per input byte of zlib
        self.ratio = 0.2  # compressed / raw size

    def compress(self) -> bool:
        if self.drain is None or self.deflate is None:
            return True
        return self.deflate < self.MARGIN * (1.0 - self.ratio) * self.drain

    def _average(self, old: float | None, new: float) -> float:
        return new if old is None else old + self.WEIGHT * (new - old)

    def compressed(self, count: int, packed: int, seconds: float) -> None:
        if count >= TIMED_WRITE_BYTES:
            self.deflate = self._average(self.deflate, seconds / count)
            self.ratio = self._average(self.ratio, packed / count)

    def wrote(self, count: int, seconds: float) -> None:
        if count >= TIMED_WRITE_BYTES:
            self.drain = self._average(self.drain, seconds / count)


def send(root: str, requests: list[Request], out: IO[bytes], level: int | None = None) -> None:
    """Write the frames of every requested file to ``out`` (zlib ``level``, 0: as they are;
    None: compressed while it pays, see :class:`Pace`)."""
    pace = Pace() if level is None else None
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
                header: dict[str, Any] = {"path": rel, "at": at, "n": count, "end": end}
                body = data
                compress = pace.compress() if pace is not None else bool(level)
                if compress:
                    started = time.perf_counter()
                    body = zlib.compress(data, level or AUTO_LEVEL)
                    header["z"] = len(body)
                    if pace is not None:
                        pace.compressed(count, len(body), time.perf_counter() - started)
                started = time.perf_counter()
                _header(out, header)
                out.write(body)
                if pace is not None and len(body) >= TIMED_WRITE_BYTES:
                    out.flush()
                    pace.wrote(len(body), time.perf_counter() - started)
                at += count
                if end:
                    break
    out.flush()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="runicorn-send", description=__doc__)
    parser.add_argument("--root", required=True)
    parser.add_argument("--requests", required=True)
    parser.add_argument("--level", default="auto", choices=["auto", *map(str, range(10))])
    args = parser.parse_args(argv)
    root = os.path.expanduser(args.root)
    level = None if args.level == "auto" else int(args.level)
    send(root, decode_requests(args.requests), sys.stdout.buffer, level)
    return 0


if __name__ == "__main__":
    sys.exit(main())
