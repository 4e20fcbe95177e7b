"""Building the manifest of a local storage root, incrementally.

The scan itself is the stdlib-only program of :mod:`runicorn.manifest.script` (the one sent to
hosts without Runicorn). Hashes are cached in ``<root>/.runicorn/manifest-cache.json`` by
(size, mtime_ns): a file whose size and mtime are unchanged is not read again, which keeps a
warm manifest of 10,000 runs fast.
"""

from __future__ import annotations

from pathlib import Path

from runicorn.manifest import script
from runicorn.manifest.models import Manifest


def generate(
    root: Path | str,
    *,
    project: str | None = None,
    since: float | None = None,
    use_cache: bool = True,
) -> Manifest:
    """The manifest of the storage root ``root``: all of it, or only ``project``'s runs and
    artifacts, or only runs created at or after ``since`` (Unix time)."""
    data = script.generate_data(str(root), project=project, since=since, use_cache=use_cache)
    return Manifest.from_dict(data)
