"""How a team server is reached: its database, its bucket and the local cache folder."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from runicorn.errors import RunicornError


class ServerConfigError(RunicornError, ValueError):
    """A database URL or store URL the server cannot use."""


@dataclass(frozen=True)
class StoreLocation:
    """``s3://bucket/prefix``: where a server keeps its objects."""

    bucket: str
    prefix: str

    @classmethod
    def parse(cls, url: str) -> StoreLocation:
        parts = urlsplit(url)
        if parts.scheme != "s3" or not parts.netloc:
            raise ServerConfigError(
                f"--store {url!r} is not an S3 location: expected s3://bucket/prefix"
            )
        prefix = parts.path.strip("/")
        if any(segment in ("", ".", "..") for segment in prefix.split("/")) and prefix:
            raise ServerConfigError(f"--store {url!r}: the prefix has an empty or '..' segment")
        return cls(parts.netloc, prefix)

    def key(self, *parts: str) -> str:
        """The object key of ``parts`` under the prefix."""
        return "/".join(p for p in (self.prefix, *parts) if p)


@dataclass(frozen=True)
class ServerConfig:
    """Everything a server process needs; checked once, here."""

    database_url: str
    store: StoreLocation
    s3_endpoint: str | None = None
    cache_dir: Path = Path(".")

    def __post_init__(self) -> None:
        scheme = urlsplit(self.database_url).scheme
        if scheme not in ("postgresql", "postgres"):
            raise ServerConfigError(
                "--database must be a postgresql:// URL (or set RUNICORN_DATABASE_URL); "
                f"got scheme {scheme!r}"
            )
