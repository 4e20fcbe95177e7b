"""Manifests and sync: compare two storage roots and move only what differs.

    import runicorn
    manifest = runicorn.manifest.generate("~/RunicornData")
    report = runicorn.sync("alice@gpu01:/data/runs", "~/RunicornData")
    print(report.bytes_moved, report.conflicts)

The contract is DESIGN §9; ``docs/architecture.md`` maps the modules.
"""

from runicorn.manifest.generator import generate
from runicorn.manifest.models import (
    Conflict,
    FileEntry,
    Manifest,
    ManifestError,
    RunEntry,
    SyncReport,
)
from runicorn.manifest.session import sync
from runicorn.manifest.transfer import SyncProgress

__all__ = [
    "Conflict",
    "FileEntry",
    "Manifest",
    "ManifestError",
    "RunEntry",
    "SyncProgress",
    "SyncReport",
    "generate",
    "sync",
]
