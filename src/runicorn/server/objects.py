"""The object store: run files, segments and blobs in an S3-compatible bucket (boto3).

Keys (DESIGN §12): ``<prefix>/<project>/<name>/runs/<id>/events/<start-offset>.jsonl`` for
segments of an append-only file (``logs/<start-offset>.txt`` for ``logs.txt``),
``<prefix>/<project>/<name>/runs/<id>/<path>`` for JSON documents and media, and
``<prefix>/blobs/<sha256>`` for artifact blobs. Credentials come the standard AWS way
(environment, config files); ``endpoint`` points at MinIO, Ceph, moto... (path-style).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
from boto3.exceptions import S3UploadFailedError
from boto3.s3.transfer import TransferConfig
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

from runicorn.errors import StorageError
from runicorn.server.config import StoreLocation

# Large blobs go up in 64 MiB parts, four at a time: bounded memory, few requests.
_TRANSFER = TransferConfig(
    multipart_threshold=64 << 20, multipart_chunksize=64 << 20, max_concurrency=4
)
APPEND_ONLY_FILES = {"events.jsonl": ("events", ".jsonl"), "logs.txt": ("logs", ".txt")}


class ObjectStoreError(StorageError):
    """The object store refused or could not be reached."""


def segment_key_parts(file: str, start: int) -> tuple[str, str]:
    """The folder and name of the segment of ``file`` starting at byte ``start``."""
    folder, suffix = APPEND_ONLY_FILES[file]
    return folder, f"{start}{suffix}"


class ObjectStore:
    """Put, get, list and delete objects under one bucket and prefix."""

    def __init__(self, location: StoreLocation, *, endpoint: str | None = None) -> None:
        self.location = location
        self._client: Any = boto3.client(
            "s3",
            endpoint_url=endpoint,
            config=Config(
                s3={"addressing_style": "path"},
                retries={"max_attempts": 3, "mode": "standard"},
                connect_timeout=5,
                read_timeout=30,
            ),
        )

    def ensure_bucket(self) -> None:
        """Create the bucket when it does not exist (a fresh MinIO, a test server)."""
        try:
            self._client.head_bucket(Bucket=self.location.bucket)
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") not in ("404", "NoSuchBucket"):
                raise self._error("cannot open the bucket", exc) from exc
            try:
                self._client.create_bucket(Bucket=self.location.bucket)
            except (ClientError, BotoCoreError) as create_exc:
                raise self._error("cannot create the bucket", create_exc) from create_exc
        except BotoCoreError as exc:
            raise self._error("cannot reach the object store", exc) from exc

    def run_key(self, run_path: str, *parts: str) -> str:
        """The key of ``parts`` in the run folder ``run_path`` (``project/name/runs/id``)."""
        return self.location.key(run_path, *parts)

    def put(self, key: str, data: bytes) -> None:
        try:
            self._client.put_object(Bucket=self.location.bucket, Key=key, Body=data)
        except (ClientError, BotoCoreError) as exc:
            raise self._error(f"cannot write {key}", exc) from exc

    def get(self, key: str) -> bytes:
        try:
            body = self._client.get_object(Bucket=self.location.bucket, Key=key)["Body"]
            return bytes(body.read())
        except (ClientError, BotoCoreError) as exc:
            raise self._error(f"cannot read {key}", exc) from exc

    def put_file(self, key: str, path: Path) -> None:
        """Upload a local file (in parts when large: memory stays bounded)."""
        try:
            self._client.upload_file(str(path), self.location.bucket, key, Config=_TRANSFER)
        except (ClientError, BotoCoreError, S3UploadFailedError) as exc:
            raise self._error(f"cannot write {key}", exc) from exc

    def get_chunks(
        self, key: str, chunk_size: int = 1 << 20, *, byte_range: tuple[int, int] | None = None
    ) -> Iterator[bytes]:
        """The object's bytes (``byte_range``: from start to end, exclusive) in pieces;
        :class:`KeyError` when there is no such object."""
        extra = {"Range": f"bytes={byte_range[0]}-{byte_range[1] - 1}"} if byte_range else {}
        try:
            body = self._client.get_object(Bucket=self.location.bucket, Key=key, **extra)["Body"]
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") in ("404", "NoSuchKey", "NotFound"):
                raise KeyError(key) from exc
            raise self._error(f"cannot read {key}", exc) from exc
        except BotoCoreError as exc:
            raise self._error(f"cannot read {key}", exc) from exc
        try:
            yield from body.iter_chunks(chunk_size)
        except (ClientError, BotoCoreError) as exc:
            raise self._error(f"cannot read {key}", exc) from exc
        finally:
            body.close()

    def exists(self, key: str) -> bool:
        try:
            self._client.head_object(Bucket=self.location.bucket, Key=key)
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") in ("404", "NoSuchKey", "NotFound"):
                return False
            raise self._error(f"cannot look up {key}", exc) from exc
        except BotoCoreError as exc:
            raise self._error(f"cannot look up {key}", exc) from exc
        return True

    def keys(self, prefix: str) -> Iterator[str]:
        """Every key under ``prefix`` (a folder: pass it with its trailing slash)."""
        paginator = self._client.get_paginator("list_objects_v2")
        try:
            for page in paginator.paginate(Bucket=self.location.bucket, Prefix=prefix):
                for item in page.get("Contents", ()):
                    yield str(item["Key"])
        except (ClientError, BotoCoreError) as exc:
            raise self._error(f"cannot list {prefix}", exc) from exc

    def entries(self, prefix: str) -> Iterator[tuple[str, float, int]]:
        """``(key, last modified as a Unix time, size)`` of every object under ``prefix``."""
        paginator = self._client.get_paginator("list_objects_v2")
        try:
            for page in paginator.paginate(Bucket=self.location.bucket, Prefix=prefix):
                for item in page.get("Contents", ()):
                    modified = item["LastModified"].timestamp()
                    yield str(item["Key"]), float(modified), int(item["Size"])
        except (ClientError, BotoCoreError) as exc:
            raise self._error(f"cannot list {prefix}", exc) from exc

    def delete(self, key: str) -> None:
        try:
            self._client.delete_object(Bucket=self.location.bucket, Key=key)
        except (ClientError, BotoCoreError) as exc:
            raise self._error(f"cannot delete {key}", exc) from exc

    def delete_prefix(self, prefix: str) -> int:
        """Delete every object under ``prefix``; returns how many."""
        keys = list(self.keys(prefix))
        for start in range(0, len(keys), 1000):
            batch = [{"Key": k} for k in keys[start : start + 1000]]
            try:
                self._client.delete_objects(
                    Bucket=self.location.bucket, Delete={"Objects": batch, "Quiet": True}
                )
            except (ClientError, BotoCoreError) as exc:
                raise self._error(f"cannot delete under {prefix}", exc) from exc
        return len(keys)

    def _error(self, what: str, exc: BaseException) -> ObjectStoreError:
        return ObjectStoreError(
            f"object store s3://{self.location.bucket}/{self.location.prefix}: {what}: {exc}"
        )
