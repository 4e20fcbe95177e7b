"""JSON encoding shared by every file Runicorn writes.

Non-finite floats are signals in training (a diverged loss), so they are kept: written as the
strings ``"NaN"``, ``"Infinity"`` and ``"-Infinity"`` and read back as floats. Readers also accept
the bare ``NaN``/``Infinity`` tokens the original Runicorn SDK wrote.
"""

from __future__ import annotations

import contextlib
import json
import math
import os
import tempfile
from pathlib import Path
from typing import Any

import orjson

NONFINITE_TOKENS: dict[str, float] = {
    "NaN": math.nan,
    "Infinity": math.inf,
    "-Infinity": -math.inf,
}


def encode_nonfinite(value: float) -> str:
    """The string token written for a NaN or infinite float."""
    if math.isnan(value):
        return "NaN"
    return "Infinity" if value > 0 else "-Infinity"


def replace_nonfinite(obj: Any) -> Any:
    """A copy of ``obj`` whose non-finite floats are replaced by their string tokens."""
    if isinstance(obj, float):
        return obj if math.isfinite(obj) else encode_nonfinite(obj)
    if isinstance(obj, dict):
        return {k: replace_nonfinite(v) for k, v in obj.items()}
    if isinstance(obj, list | tuple):
        return [replace_nonfinite(v) for v in obj]
    if hasattr(obj, "item") and not isinstance(obj, str | bytes | int):
        try:  # NumPy scalars and 0-d tensors
            return replace_nonfinite(obj.item())
        except (TypeError, ValueError):
            return obj
    return obj


def dumps(obj: Any, *, indent: bool = False) -> bytes:
    """Encode ``obj`` as JSON bytes, keeping non-finite floats as tokens."""
    option = orjson.OPT_SERIALIZE_NUMPY | orjson.OPT_NON_STR_KEYS
    if indent:
        option |= orjson.OPT_INDENT_2
    # orjson writes non-finite floats as null, which would lose them: replace them first.
    return orjson.dumps(replace_nonfinite(obj), option=option, default=_fallback)


def _fallback(value: Any) -> Any:
    """Encode what orjson cannot: sets, paths and other objects, by their text."""
    if isinstance(value, set | frozenset):
        return sorted(value, key=str)
    return str(value)


def loads(data: bytes | str) -> Any:
    """Decode JSON, accepting the original SDK's bare ``NaN``/``Infinity`` tokens."""
    try:
        return orjson.loads(data)
    except orjson.JSONDecodeError:
        # The stdlib parser accepts NaN/Infinity literals; it raises ValueError on anything else.
        return json.loads(data)


def as_float(value: Any) -> float | None:
    """A metric value read from disk as a float, or None when it is not numeric."""
    if type(value) is float:
        return value
    if type(value) is int or type(value) is bool:
        return float(value)
    if type(value) is str:
        return NONFINITE_TOKENS.get(value)
    return None


def read_json(path: Path, default: Any = None) -> Any:
    """The decoded content of ``path``, or ``default`` when it is missing or unreadable."""
    try:
        return loads(path.read_bytes())
    except (OSError, ValueError):
        return default


def atomic_write_json(path: Path, obj: Any, *, durable: bool = True) -> None:
    """Write ``obj`` to ``path`` so that a reader sees the old or the new file, never a torn one.

    ``durable`` also syncs the data to disk before the rename, so that it survives a power cut;
    a file rewritten every few seconds (a heartbeat) skips that cost.
    """
    data = dumps(obj, indent=True)
    fd, tmp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as tmp:
            tmp.write(data)
            tmp.flush()
            if durable:
                os.fsync(tmp.fileno())
        os.replace(tmp_name, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp_name)
        raise
