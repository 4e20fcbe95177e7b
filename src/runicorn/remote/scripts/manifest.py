"""Print the manifest of a storage root as JSON (``python - [--root ROOT] ...``).

A manifest says what a root holds, so that two roots can be compared and only what differs
moved: per run its folder, identity and status, and per file its size, mtime and either the
sha256 of the whole file or, for append-only files (``*.jsonl``, ``logs.txt``), the sha256 of
its last 4 KiB; plus the artifact documents under ``.runicorn/artifacts`` and the blobs under
``.runicorn/blobs`` (named by their sha256, so never hashed here).

This one file is both the generator ``runicorn.manifest`` imports and the program sent to a
host without Runicorn: the standard library only, Python 3.8 or later, so both sides always
compute the same manifest. Hashes are kept in ``.runicorn/manifest-cache.json`` keyed by
(size, mtime_ns): a warm run re-reads only files that changed.
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import json
import os
import re
import sys
import tempfile
import time
import zlib
from typing import Any

FORMAT = "runicorn-manifest"
FORMAT_VERSION = 1
TAIL_BYTES = 4096
INDEX_DIR = ".runicorn"
CACHE_FILE = "manifest-cache.json"
RUN_MARKERS = ("meta.json", "status.json", "events.jsonl")
APPEND_ONLY_NAMES = ("logs.txt",)
APPEND_ONLY_SUFFIX = ".jsonl"
# A file changed within this many seconds of a scan may change again within the same mtime
# tick; it is hashed but not cached ("racy" entries, as git calls them).
RACY_SECONDS = 2.0
# What a run's meta.json and status.json contribute to its entry (kept in the cache).
PARSED_KEYS = ("id", "project", "name", "created_at", "status", "started_at")
_CHUNK = 1 << 20
_SHA256 = re.compile(r"[0-9a-f]{64}")


def is_append_only(name: str) -> bool:
    """Whether a file of this name only ever grows (so it is compared by size and tail)."""
    base = name.rsplit("/", 1)[-1]
    return base.endswith(APPEND_ONLY_SUFFIX) or base in APPEND_ONLY_NAMES


def is_sha256(text: str) -> bool:
    """Whether ``text`` is 64 lower-case hex digits."""
    return _SHA256.fullmatch(text) is not None


def sha256_file(path: str) -> str:
    """The sha256 of a whole file, read in chunks."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(_CHUNK), b""):
            digest.update(chunk)
    return digest.hexdigest()


def sha256_tail(path: str, size: int) -> str:
    """The sha256 of the last ``TAIL_BYTES`` of the first ``size`` bytes of a file."""
    start = max(0, size - TAIL_BYTES)
    with open(path, "rb") as handle:
        handle.seek(start)
        data = handle.read(size - start)
    return hashlib.sha256(data).hexdigest()


def read_json_object(path: str) -> dict[str, Any]:
    """A JSON object file's content, or ``{}`` when missing, unreadable or not an object."""
    try:
        with open(path, "rb") as handle:
            data = json.loads(handle.read())
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


class Scanner:
    """Builds one manifest, reusing the hashes of files whose size and mtime are unchanged."""

    def __init__(self, root: str, *, use_cache: bool = True) -> None:
        self.root = os.path.abspath(os.path.expanduser(root))
        self.use_cache = use_cache
        self.started = time.time()
        self.old_cache: dict[str, list[Any]] = self._load_cache() if use_cache else {}
        self.new_cache: dict[str, list[Any]] = {}

    @property
    def cache_path(self) -> str:
        return os.path.join(self.root, INDEX_DIR, CACHE_FILE)

    def _load_cache(self) -> dict[str, list[Any]]:
        data = read_json_object(self.cache_path)
        if data.get("version") != FORMAT_VERSION or not isinstance(data.get("files"), dict):
            return {}
        files: dict[str, list[Any]] = data["files"]
        return files

    def save_cache(self) -> None:
        """Write the cache atomically; a read-only root just goes without one."""
        if not self.use_cache or self.new_cache == self.old_cache:
            return
        folder = os.path.join(self.root, INDEX_DIR)
        try:
            os.makedirs(folder, exist_ok=True)
            fd, tmp = tempfile.mkstemp(prefix="." + CACHE_FILE + ".", suffix=".tmp", dir=folder)
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                json.dump({"version": FORMAT_VERSION, "files": self.new_cache}, handle)
            os.replace(tmp, self.cache_path)
        except OSError:
            return

    def file_entry(
        self, rel: str, path: str, st: os.stat_result, *, parse: bool = False
    ) -> tuple[dict[str, Any], dict[str, Any] | None]:
        """The manifest entry of one file, and its JSON content when ``parse`` is asked."""
        size, mtime_ns = st.st_size, st.st_mtime_ns
        append_only = is_append_only(rel)
        cached = self.old_cache.get(rel)
        if cached is not None and cached[0] == size and cached[1] == mtime_ns:
            digest = cached[2]
            parsed = cached[3] if len(cached) > 3 and isinstance(cached[3], dict) else None
            if not parse or parsed is not None:
                self.new_cache[rel] = cached
                return self._entry(size, mtime_ns, digest, append_only), parsed
        parsed = None
        if append_only:
            digest = sha256_tail(path, size)
        else:
            digest = sha256_file(path)
            if parse:
                document = read_json_object(path)
                parsed = {k: document[k] for k in PARSED_KEYS if k in document}
        if mtime_ns / 1e9 < self.started - RACY_SECONDS:
            self.new_cache[rel] = [size, mtime_ns, digest, parsed]
        return self._entry(size, mtime_ns, digest, append_only), parsed

    @staticmethod
    def _entry(size: int, mtime_ns: int, digest: str, append_only: bool) -> dict[str, Any]:
        key = "tail" if append_only else "sha256"
        return {"size": size, "mtime_ns": mtime_ns, key: digest}

    def run_dirs(self) -> list[str]:
        """Every run folder (relative to the root) in either layout; links are not followed."""
        found: list[str] = []
        stack = [self.root]
        while stack:
            folder = stack.pop()
            try:
                entries = sorted(os.scandir(folder), key=lambda e: e.name)
            except OSError:
                continue
            for entry in entries:
                if entry.name == INDEX_DIR or not entry.is_dir(follow_symlinks=False):
                    continue
                if any(os.path.isfile(os.path.join(entry.path, m)) for m in RUN_MARKERS):
                    found.append(os.path.relpath(entry.path, self.root).replace(os.sep, "/"))
                else:
                    stack.append(entry.path)
        found.sort()
        return found

    def files_under(self, rel_dir: str) -> list[tuple[str, str, os.stat_result]]:
        """(name relative to ``rel_dir``, absolute path, stat) of every regular file below it.

        Links and dot-files (temp files of writers in progress) are left out.
        """
        out: list[tuple[str, str, os.stat_result]] = []
        base = os.path.join(self.root, rel_dir)
        stack = [("", base)]
        while stack:
            prefix, folder = stack.pop()
            try:
                entries = list(os.scandir(folder))
            except OSError:
                continue
            for entry in entries:
                if entry.name.startswith("."):
                    continue
                name = prefix + entry.name
                if entry.is_dir(follow_symlinks=False):
                    stack.append((name + "/", entry.path))
                elif entry.is_file(follow_symlinks=False):
                    try:
                        out.append((name, entry.path, entry.stat(follow_symlinks=False)))
                    except OSError:
                        continue
        out.sort(key=lambda item: item[0])
        return out

    def run_entry(
        self, rel_dir: str, project: str | None, since: float | None
    ) -> dict[str, Any] | None:
        """One run's entry, or None when the filters leave it out."""
        files: dict[str, Any] = {}
        meta: dict[str, Any] = {}
        status: dict[str, Any] = {}
        for name, path, st in self.files_under(rel_dir):
            parse = name in ("meta.json", "status.json")
            try:
                entry, parsed = self.file_entry(rel_dir + "/" + name, path, st, parse=parse)
            except OSError:
                continue
            files[name] = entry
            if name == "meta.json":
                meta = parsed or {}
            elif name == "status.json":
                status = parsed or {}
        parts = rel_dir.split("/")
        implied_project = parts[1] if parts[0] == "runs" and len(parts) > 2 else parts[0]
        run_project = meta.get("project") if isinstance(meta.get("project"), str) else None
        run_project = run_project or implied_project
        if project is not None and run_project != project:
            return None
        created = meta.get("created_at", status.get("started_at"))
        if since is not None and isinstance(created, (int, float)) and created < since:
            return None
        state = status.get("status")
        return {
            "id": parts[-1],
            "path": rel_dir,
            "project": run_project,
            "name": meta.get("name") if isinstance(meta.get("name"), str) else None,
            "status": state if isinstance(state, str) else "unknown",
            "created_at": created if isinstance(created, (int, float)) else None,
            "identity": {k: meta.get(k) for k in ("id", "project", "name", "created_at")},
            "files": files,
        }

    def artifact_files(self, project: str | None) -> dict[str, Any]:
        """The artifact documents (versions, aliases, lifecycle), relative to the root."""
        rel_base = INDEX_DIR + "/artifacts"
        files: dict[str, Any] = {}
        for name, path, st in self.files_under(rel_base):
            if project is not None and name.split("/", 1)[0] != project:
                continue
            try:
                entry, _ = self.file_entry(rel_base + "/" + name, path, st)
            except OSError:
                continue
            files[rel_base + "/" + name] = entry
        return files

    def blobs(self, wanted: set[str] | None = None) -> dict[str, int]:
        """sha256 -> size of every stored blob (only ``wanted`` ones when given)."""
        found: dict[str, int] = {}
        base = os.path.join(self.root, INDEX_DIR, "blobs")
        try:
            prefixes = [e for e in os.scandir(base) if e.is_dir(follow_symlinks=False)]
        except OSError:
            return found
        for prefix in prefixes:
            if len(prefix.name) != 2:
                continue
            try:
                entries = list(os.scandir(prefix.path))
            except OSError:
                continue
            for entry in entries:
                name = entry.name
                if not (is_sha256(name) and name[:2] == prefix.name):
                    continue
                if wanted is not None and name not in wanted:
                    continue
                if entry.is_file(follow_symlinks=False):
                    try:
                        found[name] = entry.stat(follow_symlinks=False).st_size
                    except OSError:
                        continue
        return found

    def referenced_blobs(self, artifact_files: dict[str, Any]) -> set[str]:
        """The blob hashes the version documents among ``artifact_files`` list."""
        wanted: set[str] = set()
        for rel in artifact_files:
            if rel.endswith(".json") and rel.rsplit("/", 1)[-1][:1] == "v":
                doc = read_json_object(os.path.join(self.root, rel))
                files = doc.get("files")
                for info in (files or {}).values() if isinstance(files, dict) else ():
                    if isinstance(info, dict) and isinstance(info.get("sha256"), str):
                        wanted.add(info["sha256"])
        return wanted

    def manifest(self, *, project: str | None = None, since: float | None = None) -> dict[str, Any]:
        """The whole manifest, as plain JSON-ready data."""
        runs = []
        for rel_dir in self.run_dirs():
            entry = self.run_entry(rel_dir, project, since)
            if entry is not None:
                runs.append(entry)
        artifacts = self.artifact_files(project)
        wanted = self.referenced_blobs(artifacts) if project is not None else None
        return {
            "format": FORMAT,
            "version": FORMAT_VERSION,
            "root": self.root,
            "exists": os.path.isdir(self.root),
            "generated_at": time.time(),
            "runs": runs,
            "artifact_files": artifacts,
            "blobs": self.blobs(wanted),
        }


def generate(
    root: str,
    *,
    project: str | None = None,
    since: float | None = None,
    use_cache: bool = True,
) -> dict[str, Any]:
    """The manifest of ``root`` as plain data; the hash cache is updated as a side effect."""
    scanner = Scanner(root, use_cache=use_cache)
    data = scanner.manifest(project=project, since=since)
    if data["exists"]:
        scanner.save_cache()
    return data


def configured_root() -> str | None:
    """The root chosen on this host by RUNICORN_DIR or ``runicorn config --set-root``."""
    if os.environ.get("RUNICORN_DIR"):
        return os.environ["RUNICORN_DIR"]
    folder = os.environ.get("RUNICORN_CONFIG_DIR")
    candidates = [folder] if folder else []
    xdg = os.path.expanduser(os.environ.get("XDG_CONFIG_HOME") or "~/.config")
    candidates += [os.path.join(xdg, "runicorn")]
    candidates += [os.path.expanduser("~/Library/Application Support/runicorn")]
    for candidate in candidates:
        value = read_json_object(os.path.join(candidate, "config.json")).get("user_root_dir")
        if isinstance(value, str) and value:
            return value
    return None


def encode(data: dict[str, Any], *, compress: bool) -> str:
    """The manifest as one line: JSON, or base64 of zlib-compressed JSON."""
    text = json.dumps(data, separators=(",", ":"))
    if not compress:
        return text
    return "z:" + base64.b64encode(zlib.compress(text.encode("utf-8"), 6)).decode("ascii")


def decode(line: str) -> Any:
    """The inverse of :func:`encode`."""
    line = line.strip()
    if line.startswith("z:"):
        return json.loads(zlib.decompress(base64.b64decode(line[2:])).decode("utf-8"))
    return json.loads(line)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="runicorn-manifest", description=__doc__)
    parser.add_argument("--root", default="")
    parser.add_argument("--project")
    parser.add_argument("--since", type=float, help="only runs created at or after (Unix time)")
    parser.add_argument("--no-cache", action="store_true")
    parser.add_argument("--compress", action="store_true")
    parser.add_argument("-o", "--output")
    args = parser.parse_args(argv)
    root = args.root or configured_root() or "~/RunicornData"
    data = generate(root, project=args.project, since=args.since, use_cache=not args.no_cache)
    line = encode(data, compress=args.compress)
    if args.output:
        with open(args.output, "w", encoding="utf-8") as handle:
            handle.write(line + "\n")
    else:
        sys.stdout.write(line + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
