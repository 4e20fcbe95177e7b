"""Reading the framed file stream of ``send_script.py``, trusting none of it.

Runs new to the destination arrive through one remote process instead of a few SFTP round
trips per file. Every header is checked against what was asked, in order: the same path, the
offset where the previous frame ended, no more bytes than the manifest's size, and a body that
decompresses to exactly the announced length. The path in a frame only confirms the request;
what gets written is always the requested path, which already passed the destination's checks.
Any mismatch ends the stream with :class:`StreamRefused`.
"""

from __future__ import annotations

import json
import zlib
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from runicorn.manifest import send_script

SEND_SCRIPT_PATH = Path(send_script.__file__).resolve()
encode_requests = send_script.encode_requests
MAX_HEADER_BYTES = 64 << 10


class ByteReader(Protocol):
    """What the stream is read through (an SSH channel's stdout, an asyncio StreamReader)."""

    async def readline(self) -> bytes: ...

    async def readexactly(self, n: int) -> bytes: ...


@dataclass(frozen=True)
class StreamRequest:
    """One file to send: its bytes ``start`` to ``size``; ``whole`` when it must still be
    that size."""

    rel: str
    size: int
    whole: bool
    start: int = 0

    def as_tuple(self) -> tuple[str, int, int, bool]:
        return (self.rel, self.start, self.size, self.whole)


@dataclass(frozen=True)
class Frame:
    """A piece of a requested file (``skip`` set: the file was not sent, and why)."""

    rel: str
    at: int
    data: bytes
    end: bool
    skip: str | None = None


class StreamRefused(Exception):
    """The sender broke the protocol: a frame for another path, size or offset than asked."""


def _int(header: dict[str, object], key: str) -> int:
    value = header.get(key)
    if type(value) is not int or value < 0:
        raise StreamRefused(f"a frame whose {key!r} is not a size ({value!r})")
    return value


async def read_frames(
    reader: ByteReader, requests: Sequence[StreamRequest]
) -> AsyncIterator[Frame]:
    """The frames of ``requests``, in order, each one checked; StreamRefused on a bad one."""
    for request in requests:
        at = request.start
        while True:
            line = await reader.readline()
            if not line.endswith(b"\n") or len(line) > MAX_HEADER_BYTES:
                raise StreamRefused(f"the stream ended or broke before {request.rel}")
            try:
                header = json.loads(line)
            except ValueError:
                raise StreamRefused(
                    f"a frame header that is not JSON before {request.rel}"
                ) from None
            if not isinstance(header, dict) or header.get("path") != request.rel:
                path = header.get("path") if isinstance(header, dict) else None
                raise StreamRefused(f"a frame for {path!r} where {request.rel!r} was asked")
            if "skip" in header:
                yield Frame(request.rel, at, b"", True, str(header["skip"])[:200])
                break
            start, count = _int(header, "at"), _int(header, "n")
            if count > send_script.CHUNK_BYTES:
                raise StreamRefused(
                    f"{request.rel}: a frame of {count} bytes (the sender sends at most "
                    f"{send_script.CHUNK_BYTES})"
                )
            if start != at or at + count > request.size:
                raise StreamRefused(
                    f"{request.rel}: a frame of bytes {start}..{start + count} where the "
                    f"manifest says {request.size} bytes and {at} had arrived"
                )
            end = at + count == request.size
            if header.get("end") is not end:
                raise StreamRefused(f"{request.rel}: a frame that ends the file at the wrong size")
            if "z" not in header:  # sent as it is
                yield Frame(request.rel, at, await reader.readexactly(count), end)
                at += count
                if end:
                    break
                continue
            packed_size = _int(header, "z")
            if packed_size > count + (count >> 6) + 1024:
                raise StreamRefused(f"{request.rel}: a frame body larger than zlib ever makes")
            packed = await reader.readexactly(packed_size)
            inflater = zlib.decompressobj()
            try:
                data = inflater.decompress(packed, count + 1)
            except zlib.error as exc:
                raise StreamRefused(
                    f"{request.rel}: a frame body that is not zlib ({exc})"
                ) from None
            if len(data) != count or not inflater.eof or inflater.unused_data:
                raise StreamRefused(f"{request.rel}: a frame body of another size than announced")
            yield Frame(request.rel, at, data, end)
            at += count
            if end:
                break
