"""The storage root importer tests import into."""

from __future__ import annotations

from pathlib import Path

import pytest
from imported_store import ImportedStore


@pytest.fixture
def store(root: Path) -> ImportedStore:
    return ImportedStore(root)
