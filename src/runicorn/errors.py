"""The one exception hierarchy of Runicorn.

Every error a caller can act on derives from :class:`RunicornError`; the viewer maps these to HTTP
status codes in one place (``viewer/errors.py``).
"""

from __future__ import annotations


class RunicornError(Exception):
    """Base class for every error Runicorn raises on purpose."""


class InvalidNameError(RunicornError, ValueError):
    """A project, name or run id breaks a naming rule; the message names the rule."""


class RunNotFoundError(RunicornError, LookupError):
    """No run with this id exists under the storage root."""


class StorageError(RunicornError, OSError):
    """The storage root or the index cannot be read or written."""


class ReadOnlyStorageError(StorageError):
    """A change was asked of a storage root that is served read-only."""


class InvalidQueryError(RunicornError, ValueError):
    """A filter or sort expression is malformed; ``position`` points at the offending character."""

    def __init__(self, message: str, position: int | None = None) -> None:
        super().__init__(message)
        self.position = position


class UnsafePathError(RunicornError, ValueError):
    """A path built from outside input would leave the storage root."""


class ArtifactNotFoundError(RunicornError, LookupError):
    """No artifact, version or alias by this name exists in the artifact store."""


class ArtifactError(RunicornError, ValueError):
    """An artifact cannot be built or stored as asked (a missing file, an alias already taken)."""


class MissingBlobError(ArtifactError):
    """A version names a blob that is not in the store (a concurrent ``gc`` removed it)."""


class CorruptBlobError(RunicornError):
    """A stored blob's bytes no longer match its sha256; it is never served as valid."""
