"""An incremental, columnar cache of each run's ``events.jsonl``.

The first read of a run parses its events file once into NumPy columns; later reads parse only
the bytes appended since (complete lines only: a torn last line is read again once finished). A
file that shrank, was replaced or rewritten is parsed again from the start.

Layout per run: one *table* of metric rows (``step``, ``time``) and one of system rows
(``time`` only: system metrics have no step), and per key a value column plus, when the key is
missing from some rows, the row numbers it occupies. Keys logged together on every step (the
common case) share their table's step and time columns, so 10 keys over 1M steps cost ~100 MB
instead of ~240 MB.

The cache is an LRU bounded by bytes, and persists each large run under
``<root>/.runicorn/cache/<run_id>.npz`` (tagged with the events file's identity and the offset
it covers), so a restarted viewer reads a big run without parsing it again.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import os
import tempfile
import threading
import time
from collections import OrderedDict
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from itertools import chain
from operator import itemgetter
from pathlib import Path
from typing import Any, BinaryIO, Literal, cast

import numpy as np
import numpy.typing as npt
import orjson

from runicorn.security.path_validation import open_under
from runicorn.storage.events import RESERVED_DATA_KEYS, STEP_KEY, TIME_KEY, parse_event_bytes
from runicorn.storage.jsonio import as_float

log = logging.getLogger(__name__)

FloatArray = npt.NDArray[np.float64]
IndexArray = npt.NDArray[np.int64]
TableName = Literal["metrics", "system"]

CACHE_FORMAT_VERSION = 1
READ_CHUNK_BYTES = 16 << 20
PARSE_BATCH_BYTES = 128 << 10
HEAD_BYTES = 4096
DEFAULT_MAX_BYTES = 512 << 20
DEFAULT_PERSIST_MIN_BYTES = 1 << 20
DEFAULT_PERSIST_DELAY = 2.0


class _Growable:
    """A NumPy column with amortized O(1) appends; ``view()`` is the filled part."""

    __slots__ = ("buf", "n")

    def __init__(self, dtype: type, initial: np.ndarray | None = None) -> None:
        self.buf: np.ndarray = np.empty(0, dtype=dtype) if initial is None else initial
        self.n = 0 if initial is None else initial.size

    def extend(self, values: np.ndarray) -> None:
        need = self.n + values.size
        if need > self.buf.size:
            grown = np.empty(max(need, self.buf.size * 2, 1024), dtype=self.buf.dtype)
            grown[: self.n] = self.buf[: self.n]
            self.buf = grown
        # Views handed out earlier cover [0, n): writing past n never changes what they see.
        self.buf[self.n : need] = values
        self.n = need

    def view(self) -> np.ndarray:
        return self.buf[: self.n]

    @property
    def nbytes(self) -> int:
        return int(self.buf.nbytes)


class _Table:
    """Rows of one event type: time for every row, step for metric rows."""

    def __init__(self, with_step: bool) -> None:
        self.time = _Growable(np.float64)
        self.step = _Growable(np.float64) if with_step else None

    @property
    def rows(self) -> int:
        return self.time.n


class _KeyColumn:
    """One key's values; ``rows`` is None while the key is in every row of its table."""

    __slots__ = ("rows", "table", "values")

    def __init__(self, table: TableName) -> None:
        self.table: TableName = table
        self.values = _Growable(np.float64)
        self.rows: _Growable | None = None

    def append(self, values: FloatArray, rows: IndexArray | None, table_rows_before: int) -> None:
        """Add values; ``rows`` are table row numbers, or None when the chunk is dense."""
        dense_so_far = self.rows is None and self.values.n == table_rows_before
        if rows is None and dense_so_far:
            self.values.extend(values)
            return
        if self.rows is None:
            self.rows = _Growable(np.int64)
            self.rows.extend(np.arange(self.values.n, dtype=np.int64))
        if rows is None:
            rows = np.arange(values.size, dtype=np.int64)
        self.rows.extend(rows + table_rows_before)
        self.values.extend(values)

    @property
    def nbytes(self) -> int:
        return self.values.nbytes + (self.rows.nbytes if self.rows is not None else 0)


@dataclass(frozen=True)
class Series:
    """One key's points: ``step`` is None for system series (they only have wall time)."""

    key: str
    table: TableName
    step: FloatArray | None
    time: FloatArray
    value: FloatArray


@dataclass(frozen=True)
class MetricsSnapshot:
    """A consistent, read-only view of a run's cached metrics at one offset."""

    run_id: str
    offset: int
    generation: int
    t0: float | None
    media: tuple[dict[str, Any], ...]
    _tables: dict[str, tuple[FloatArray | None, FloatArray]]
    _keys: dict[str, tuple[TableName, FloatArray, IndexArray | None]]

    def metric_keys(self, table: TableName | None = None) -> list[str]:
        """Every metric key (of ``table`` only, if given), sorted: training keys, then system."""
        keys = self._keys if table is None else [k for k, v in self._keys.items() if v[0] == table]
        return sorted(keys, key=lambda k: (self._keys[k][0] == "system", k))

    def has(self, key: str) -> bool:
        return key in self._keys

    def count(self, key: str) -> int:
        entry = self._keys.get(key)
        return 0 if entry is None else int(entry[1].size)

    def series(self, key: str) -> Series:
        """The columns of ``key`` (:class:`KeyError` if it was never logged)."""
        table, values, rows = self._keys[key]
        step, time = self._tables[table]
        if rows is None:
            n = values.size
            return Series(key, table, None if step is None else step[:n], time[:n], values)
        return Series(key, table, None if step is None else step[rows], time[rows], values)

    def table(
        self, name: TableName, keys: list[str]
    ) -> tuple[FloatArray | None, FloatArray, dict[str, tuple[FloatArray, npt.NDArray[np.bool_]]]]:
        """Row-aligned columns of one table: step (None for system), time, and per key its
        values over every row with a mask of the rows that hold it (for metric tables)."""
        step, time = self._tables[name]
        columns: dict[str, tuple[FloatArray, npt.NDArray[np.bool_]]] = {}
        for key in keys:
            entry = self._keys.get(key)
            if entry is None or entry[0] != name:
                continue
            _, values, rows = entry
            full = np.full(time.size, np.nan)
            present = np.zeros(time.size, dtype=bool)
            picked = slice(0, values.size) if rows is None else rows
            full[picked] = values
            present[picked] = True
            columns[key] = (full, present)
        return step, time, columns

    def series_since(self, key: str, start: int) -> Series:
        """Points ``start..`` of ``key`` (by position in the file)."""
        table, values, rows = self._keys[key]
        step, time = self._tables[table]
        if rows is None:
            n = values.size
            picked: slice | IndexArray = slice(start, n)
        else:
            picked = rows[start:]
        return Series(
            key,
            table,
            None if step is None else step[picked],
            time[picked],
            values[start:],
        )


@dataclass
class _Entry:
    """The cached state of one run."""

    run_id: str
    path: Path
    identity: tuple[int, int] = (0, 0)
    offset: int = 0
    head: bytes = b""
    generation: int = 0
    tables: dict[str, _Table] = field(default_factory=dict)
    keys: dict[str, _KeyColumn] = field(default_factory=dict)
    media: list[dict[str, Any]] = field(default_factory=list)
    t0: float | None = None
    persisted_offset: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)

    def reset(self) -> None:
        self.identity = (0, 0)
        self.offset = 0
        self.head = b""
        self.generation += 1
        self.tables = {"metrics": _Table(True), "system": _Table(False)}
        self.keys = {}
        self.media = []
        self.t0 = None
        self.persisted_offset = 0

    @property
    def nbytes(self) -> int:
        total = sum(c.nbytes for c in self.keys.values())
        for table in self.tables.values():
            total += table.time.nbytes + (table.step.nbytes if table.step is not None else 0)
        return total + 200 * len(self.media) + 1024

    def snapshot(self) -> MetricsSnapshot:
        tables: dict[str, tuple[FloatArray | None, FloatArray]] = {
            name: (None if t.step is None else t.step.view(), t.time.view())
            for name, t in self.tables.items()
        }
        keys = {
            key: (col.table, col.values.view(), None if col.rows is None else col.rows.view())
            for key, col in self.keys.items()
        }
        return MetricsSnapshot(
            self.run_id, self.offset, self.generation, self.t0, tuple(self.media), tables, keys
        )


def _batches(data: bytes) -> Iterator[bytes]:
    """``data`` (whole lines) cut into whole-line batches of about ``PARSE_BATCH_BYTES``.

    Parsing and columnarizing a few hundred lines at a time keeps the Python objects of a batch
    in the CPU cache; a 300 MB file parsed as one list would hold gigabytes of dicts.
    """
    start, size = 0, len(data)
    while start < size:
        end = data.rfind(b"\n", start, start + PARSE_BATCH_BYTES)
        if end < start:
            end = data.find(b"\n", start + PARSE_BATCH_BYTES)
            end = size - 1 if end < 0 else end
        yield data[start : end + 1]
        start = end + 1


def _decode_lines(data: bytes) -> list[dict[str, Any]]:
    """The events of ``data`` (complete lines only), parsed in one call when possible."""
    body = data.rstrip(b"\r\n")
    if not body:
        return []
    try:
        # One parse of the whole chunk as a JSON array is several times faster than a call per
        # line; any odd line (blank, bare NaN, garbage) sends the chunk to the careful path.
        parsed = orjson.loads(b"[" + body.replace(b"\n", b",") + b"]")
    except orjson.JSONDecodeError:
        return parse_event_bytes(data).events
    if set(map(type, parsed)) == {dict}:
        return parsed  # type: ignore[no-any-return]
    return [event for event in parsed if isinstance(event, dict)]


def _floats(column: list[Any]) -> FloatArray:
    return np.array(column, dtype=np.float64)


def _numbers_one_by_one(values: list[Any]) -> tuple[FloatArray, IndexArray]:
    """Numeric values and their positions, skipping what is not a number (the slow path)."""
    rows: list[int] = []
    numbers: list[float] = []
    for i, raw in enumerate(values):
        try:
            number = as_float(raw)
        except OverflowError:  # an integer beyond float range (written by another tool)
            continue
        if number is not None:
            rows.append(i)
            numbers.append(number)
    return np.array(numbers, dtype=np.float64), np.array(rows, dtype=np.int64)


def _column(values: list[Any]) -> tuple[FloatArray, IndexArray | None]:
    """``values`` as floats (None: all were numbers), else the numeric ones and their positions."""
    try:
        return _floats(values), None
    except (TypeError, ValueError, OverflowError):
        return _numbers_one_by_one(values)


@dataclass
class _Chunk:
    """Columns parsed from a batch of events of one table."""

    steps: FloatArray
    times: FloatArray
    keys: dict[str, tuple[FloatArray, IndexArray | None]]


def _layouts(datas: list[dict[str, Any]]) -> tuple[dict[tuple[Any, ...], int], IndexArray | None]:
    """The distinct key sets of ``datas`` and which one each dict has (None: all the same)."""
    sizes = set(map(len, datas))
    if len(sizes) == 1:
        # Same size and a union of that size: every dict has exactly the same keys.
        union = set().union(*datas)
        if len(union) == next(iter(sizes)):
            return {tuple(datas[0]): 0}, None
    layouts: dict[tuple[Any, ...], int] = {}
    ids = np.array([layouts.setdefault(tuple(sorted(d, key=str)), len(layouts)) for d in datas])
    return layouts, ids


def _columns_of(datas: list[dict[str, Any]], events: list[dict[str, Any]]) -> _Chunk:
    """Columnar form of event ``data`` dicts: one group per distinct key set, vectorized."""
    uniform = _uniform_columns(datas)
    steps, times, columns = uniform if uniform is not None else _grouped_columns(datas)
    missing = np.isnan(times)
    if missing.any():
        fallback = _column([event.get("ts") for event in events])
        if fallback[1] is None:
            times[missing] = fallback[0][missing]
    return _Chunk(steps, times, columns)


_Columns = dict[str, tuple[FloatArray, IndexArray | None]]


def _uniform_columns(datas: list[dict[str, Any]]) -> tuple[FloatArray, FloatArray, _Columns] | None:
    """The columns of a batch as a training loop writes it, in one conversion, else None.

    That batch is every line with the same keys, a step, a time and numbers only: step, time
    and every metric become one NumPy matrix. Anything else (a stage, a missing key, a value
    that is not a number) returns None for the general path.
    """
    first = datas[0]
    if STEP_KEY not in first or TIME_KEY not in first or len(set(map(len, datas))) != 1:
        return None
    keys = [key for key in first if key not in RESERVED_DATA_KEYS]
    if len(keys) != len(first) - 2:
        return None
    width = len(keys) + 2
    row_values = map(itemgetter(STEP_KEY, TIME_KEY, *keys), datas)
    try:
        # One flat stream of floats converts about twice as fast as a list of row tuples.
        flat = np.fromiter(chain.from_iterable(row_values), np.float64, len(datas) * width)
    except (KeyError, TypeError, ValueError, OverflowError):
        return None
    matrix = flat.reshape(len(datas), width)
    columns: _Columns = {key: (matrix[:, j + 2], None) for j, key in enumerate(keys)}
    return matrix[:, 0].copy(), matrix[:, 1].copy(), columns


def _grouped_columns(datas: list[dict[str, Any]]) -> tuple[FloatArray, FloatArray, _Columns]:
    """Steps, times and per-key columns of dicts with differing key sets, a group at a time."""
    n = len(datas)
    layouts, layout_ids = _layouts(datas)
    steps = np.full(n, np.nan)
    times = np.full(n, np.nan)
    parts: dict[str, list[tuple[IndexArray | None, FloatArray, IndexArray | None]]] = {}
    for layout, group_id in layouts.items():
        rows: IndexArray | None = None
        group = datas
        if layout_ids is not None and len(layouts) > 1:
            rows = np.flatnonzero(layout_ids == group_id)
            group = [datas[i] for i in rows]
        target = slice(None) if rows is None else rows
        if STEP_KEY in layout:
            raw_steps = [d[STEP_KEY] for d in group]
            try:
                steps[target] = _floats(raw_steps)
            except (TypeError, ValueError):
                steps[target] = [s if type(s) is int else np.nan for s in raw_steps]
        if TIME_KEY in layout:
            values, picked = _column([d[TIME_KEY] for d in group])
            if picked is None:
                times[target] = values
        keys = [k for k in layout if k not in RESERVED_DATA_KEYS and isinstance(k, str)]
        if not keys:
            continue
        matrix = None
        if len(keys) > 1:
            try:
                matrix = _floats(list(map(itemgetter(*keys), group)))
            except (TypeError, ValueError, OverflowError):
                matrix = None
        for j, key in enumerate(keys):
            if matrix is not None:
                column, picked = matrix[:, j], None
            else:
                column, picked = _column([d[key] for d in group])
            parts.setdefault(key, []).append((rows, column, picked))
    return steps, times, {key: _merge(p, n) for key, p in parts.items()}


def _merge(
    parts: list[tuple[IndexArray | None, FloatArray, IndexArray | None]], n: int
) -> tuple[FloatArray, IndexArray | None]:
    """One key's values across layout groups, in row order; rows None when in every row."""
    if len(parts) == 1:
        rows, values, picked = parts[0]
        if rows is None:
            return values, picked
        return values, rows if picked is None else rows[picked]
    all_rows = np.concatenate(
        [
            (np.arange(values.size) if rows is None else rows)
            if picked is None
            else (picked if rows is None else rows[picked])
            for rows, values, picked in parts
        ]
    )
    all_values = np.concatenate([values for _, values, _ in parts])
    order = np.argsort(all_rows, kind="stable")
    all_rows, all_values = all_rows[order], all_values[order]
    if all_rows.size == n:
        return all_values, None
    return all_values, all_rows


def _add_events(entry: _Entry, events: list[dict[str, Any]]) -> None:
    """Fold parsed events into the entry's columns."""
    kinds = [event.get("type", "metrics") for event in events]
    if kinds.count("metrics") == len(kinds):
        raw = [event.get("data") for event in events]
        if set(map(type, raw)) != {dict}:
            events = [e for e, d in zip(events, raw, strict=True) if isinstance(d, dict)]
            raw = [d for d in raw if isinstance(d, dict)]
        _add_table(entry, "metrics", cast("list[dict[str, Any]]", raw), events)
        return
    batches: dict[TableName, tuple[list[dict[str, Any]], list[dict[str, Any]]]] = {
        "metrics": ([], []),
        "system": ([], []),
    }
    for kind, event in zip(kinds, events, strict=True):
        data = event.get("data")
        if not isinstance(data, dict):
            continue
        if kind == "metrics" or kind == "system":
            batches[kind][0].append(data)
            batches[kind][1].append(event)
        elif isinstance(data.get("path"), str):
            entry.media.append(
                {
                    "key": data.get("key"),
                    "path": data["path"],
                    "step": data.get("step"),
                    "caption": data.get("caption"),
                    "ts": event.get("ts"),
                    "type": kind,
                }
            )
    for table, (datas, table_events) in batches.items():
        _add_table(entry, table, datas, table_events)


def _add_table(
    entry: _Entry,
    table_name: TableName,
    datas: list[dict[str, Any]],
    events: list[dict[str, Any]],
) -> None:
    if not datas:
        return
    table = entry.tables[table_name]
    before = table.rows
    chunk = _columns_of(datas, events)
    if table.step is not None:
        table.step.extend(chunk.steps)
    table.time.extend(chunk.times)
    finite = chunk.times[~np.isnan(chunk.times)]
    if finite.size:
        first = float(finite.min())
        entry.t0 = first if entry.t0 is None else min(entry.t0, first)
    for key, (values, rows) in chunk.keys.items():
        column = entry.keys.get(key)
        if not values.size or (column is not None and column.table != table_name):
            continue  # the same key in both tables: the first kind seen wins
        if column is None:
            column = entry.keys[key] = _KeyColumn(table_name)
        column.append(values, rows, before)


class MetricCache:
    """Per-run columnar metrics, kept fresh incrementally, LRU-bounded by bytes, persisted."""

    def __init__(
        self,
        cache_dir: Path | None,
        *,
        max_bytes: int = DEFAULT_MAX_BYTES,
        persist_min_bytes: int = DEFAULT_PERSIST_MIN_BYTES,
        persist_delay: float = DEFAULT_PERSIST_DELAY,
    ) -> None:
        self.cache_dir = cache_dir
        self.max_bytes = max_bytes
        self.persist_min_bytes = persist_min_bytes
        self.persist_delay = persist_delay
        self._closing = threading.Event()
        self._entries: OrderedDict[str, _Entry] = OrderedDict()
        self._lock = threading.Lock()
        self._writer = ThreadPoolExecutor(max_workers=1, thread_name_prefix="runicorn-cache")
        self._pending: dict[str, Future[None]] = {}
        self._warned_damage = False

    def get(self, run_id: str, events_path: Path, *, root: Path | None = None) -> MetricsSnapshot:
        """The run's metrics, including every complete line currently in ``events_path``.

        With ``root`` (the storage root of a path from a request or an index) the file is
        opened only if it stays under ``root``, links included, and the check holds for the
        descriptor read: a link swapped in after the check is refused too
        (:class:`~runicorn.errors.UnsafePathError`). Without it the caller trusts the path.
        """
        entry = self._entry(run_id, events_path)
        with entry.lock:
            self._refresh(entry, root)
            snapshot = entry.snapshot()
            dirty = entry.offset - entry.persisted_offset
            if self._worth_persisting(entry, dirty):
                self._persist_later(entry, snapshot)
        self._evict(keep=run_id)
        return snapshot

    @property
    def nbytes(self) -> int:
        """Bytes held by cached columns."""
        with self._lock:
            entries = list(self._entries.values())
        return sum(entry.nbytes for entry in entries)

    def forget(self, run_id: str) -> None:
        """Drop a run from memory and disk (after it is deleted for good)."""
        with self._lock:
            self._entries.pop(run_id, None)
        path = self._file(run_id)
        if path is not None:
            with contextlib.suppress(OSError):
                path.unlink()

    def close(self) -> None:
        """Persist what is worth keeping and stop the writer thread."""
        self._closing.set()
        with self._lock:
            entries = list(self._entries.values())
        for entry in entries:
            with entry.lock:
                if entry.offset > entry.persisted_offset and self._worth_persisting(entry, 1):
                    self._persist_later(entry, entry.snapshot())
        self._writer.shutdown(wait=True)

    def wait_persisted(self) -> None:
        """Block until pending cache files are written (for tests and benchmarks)."""
        self._closing.set()
        for future in list(self._pending.values()):
            with contextlib.suppress(Exception):
                future.result()

    def _entry(self, run_id: str, events_path: Path) -> _Entry:
        with self._lock:
            entry = self._entries.get(run_id)
            if entry is not None and entry.path == events_path:
                self._entries.move_to_end(run_id)
                return entry
            entry = _Entry(run_id, events_path)
            entry.reset()
            self._entries[run_id] = entry
        with entry.lock:
            self._load(entry)
        return entry

    def _refresh(self, entry: _Entry, root: Path | None) -> None:
        try:
            if root is None:
                handle: BinaryIO = open(entry.path, "rb")  # noqa: SIM115 - closed below
            else:
                handle = open_under(root, entry.path)
        except FileNotFoundError:
            if entry.offset:
                entry.reset()
            return
        with handle:
            stat = os.fstat(handle.fileno())
            identity = (stat.st_dev, stat.st_ino)
            if entry.offset and not self._same_file(entry, handle, identity, stat.st_size):
                entry.reset()
            if stat.st_size <= entry.offset:
                return
            entry.identity = identity
            handle.seek(entry.offset)
            self._read_from(entry, handle, stat.st_size)

    @staticmethod
    def _same_file(entry: _Entry, handle: Any, identity: tuple[int, int], size: int) -> bool:
        if identity != entry.identity or size < entry.offset:
            return False
        head = handle.read(len(entry.head))
        if head != entry.head:
            return False
        handle.seek(entry.offset - 1)
        return bool(handle.read(1) == b"\n")

    @staticmethod
    def _read_from(entry: _Entry, handle: Any, size: int) -> None:
        carry = b""
        position = entry.offset
        while position < size:
            chunk = handle.read(min(READ_CHUNK_BYTES, size - position))
            if not chunk:
                break
            position += len(chunk)
            data = carry + chunk if carry else chunk
            end = data.rfind(b"\n")
            if end < 0:
                carry = data
                continue
            if end == len(data) - 1:  # the usual case at the end of the file: no copy
                complete, carry = data, b""
            else:
                complete, carry = data[: end + 1], data[end + 1 :]
            if entry.offset < HEAD_BYTES:
                entry.head = (entry.head + complete[:HEAD_BYTES])[:HEAD_BYTES]
            for batch in _batches(complete):
                _add_events(entry, _decode_lines(batch))
            entry.offset += len(complete)

    def _worth_persisting(self, entry: _Entry, dirty: int) -> bool:
        if self.cache_dir is None or dirty <= 0 or entry.offset < self.persist_min_bytes:
            return False
        # A live run is rewritten only after it has grown by a quarter (or 64 MiB).
        return entry.persisted_offset == 0 or dirty >= min(entry.offset // 4, 64 << 20)

    def _evict(self, keep: str) -> None:
        with self._lock:
            total = sum(entry.nbytes for entry in self._entries.values())
            while total > self.max_bytes and len(self._entries) > 1:
                run_id, entry = next(iter(self._entries.items()))
                if run_id == keep:
                    self._entries.move_to_end(run_id)
                    run_id, entry = next(iter(self._entries.items()))
                del self._entries[run_id]
                total -= entry.nbytes

    def _file(self, run_id: str) -> Path | None:
        if self.cache_dir is None:
            return None
        return self.cache_dir / f"{run_id}.npz"

    def _persist_later(self, entry: _Entry, snapshot: MetricsSnapshot) -> None:
        target = self._file(entry.run_id)
        if target is None:
            return
        entry.persisted_offset = entry.offset
        meta = {
            "version": CACHE_FORMAT_VERSION,
            "run_id": entry.run_id,
            "events_path": str(entry.path),
            "identity": list(entry.identity),
            "offset": entry.offset,
            "head_sha256": hashlib.sha256(entry.head).hexdigest(),
            "head_length": len(entry.head),
            "t0": entry.t0,
            "media": list(snapshot.media),
        }
        self._pending[entry.run_id] = self._writer.submit(self._write, target, snapshot, meta)

    def _write(self, target: Path, snapshot: MetricsSnapshot, meta: dict[str, Any]) -> None:
        # Wait a little so the write does not compete with the read that asked for it (the
        # response is usually still being encoded); closing cuts the wait short.
        self._closing.wait(self.persist_delay)
        _write_npz(target, snapshot, meta)

    def _load(self, entry: _Entry) -> None:
        """Adopt the persisted columns of ``entry``'s run if they match its events file."""
        path = self._file(entry.run_id)
        if path is None or not path.is_file():
            return
        try:
            with np.load(path, allow_pickle=False) as archive:
                meta = orjson.loads(archive["meta"].tobytes())
                if not _meta_matches(meta, entry):
                    return
                _restore(entry, archive, meta)
        except Exception as exc:  # any damage: the events file is the truth, parse it again
            entry.reset()
            self._move_aside(path, exc)

    def _move_aside(self, path: Path, exc: Exception) -> None:
        """Keep a damaged cache file for inspection under another name; warn once per cache."""
        target = path.with_name(f"{path.name}.corrupt-{time.strftime('%Y%m%d-%H%M%S')}")
        try:
            path.replace(target)
        except OSError:
            target = path
        if self._warned_damage:
            log.debug("damaged metric cache %s moved to %s", path, target, exc_info=exc)
            return
        self._warned_damage = True
        log.warning(
            "runicorn: the metric cache %s could not be read (%s); moved it to %s and "
            "reading the run's events.jsonl instead",
            path,
            exc,
            target.name,
        )


def _meta_matches(meta: dict[str, Any], entry: _Entry) -> bool:
    if meta.get("version") != CACHE_FORMAT_VERSION or meta.get("events_path") != str(entry.path):
        return False
    try:
        stat = entry.path.stat()
        with open(entry.path, "rb") as handle:
            head = handle.read(int(meta["head_length"]))
    except OSError:
        return False
    return (
        [stat.st_dev, stat.st_ino] == meta.get("identity")
        and stat.st_size >= int(meta["offset"])
        and hashlib.sha256(head).hexdigest() == meta.get("head_sha256")
    )


def _restore(entry: _Entry, archive: Any, meta: dict[str, Any]) -> None:
    """Adopt the arrays of a cache file, refusing (ValueError) any that do not fit together."""
    entry.reset()
    entry.tables["metrics"].time = _Growable(np.float64, archive["metrics_time"])
    entry.tables["metrics"].step = _Growable(np.float64, archive["metrics_step"])
    entry.tables["system"].time = _Growable(np.float64, archive["system_time"])
    rows = {name: table.rows for name, table in entry.tables.items()}
    if len(entry.tables["metrics"].step.view()) not in (0, rows["metrics"]):
        raise ValueError("the step and time columns differ in length")
    for i, spec in enumerate(meta["keys"]):
        table: TableName = "system" if spec["table"] == "system" else "metrics"
        column = _KeyColumn(table)
        column.values = _Growable(np.float64, archive[f"v{i}"])
        if spec["sparse"]:
            column.rows = _Growable(np.int64, archive[f"r{i}"])
            positions = column.rows.view()
            if len(positions) != len(column.values.view()) or (
                len(positions) and (positions.min() < 0 or positions.max() >= rows[table])
            ):
                raise ValueError(f"the rows of key {spec['key']!r} do not fit its table")
        elif len(column.values.view()) != rows[table]:
            raise ValueError(f"key {spec['key']!r} has another length than its table")
        entry.keys[spec["key"]] = column
    entry.identity = (int(meta["identity"][0]), int(meta["identity"][1]))
    entry.offset = entry.persisted_offset = int(meta["offset"])
    with open(entry.path, "rb") as handle:
        entry.head = handle.read(int(meta["head_length"]))
    entry.t0 = meta.get("t0")
    entry.media = list(meta.get("media") or [])


def _write_npz(target: Path, snapshot: MetricsSnapshot, meta: dict[str, Any]) -> None:
    arrays: dict[str, np.ndarray] = {}
    step, time = snapshot._tables["metrics"]
    arrays["metrics_step"] = step if step is not None else np.empty(0)
    arrays["metrics_time"] = time
    arrays["system_time"] = snapshot._tables["system"][1]
    specs = []
    for i, (key, (table, values, rows)) in enumerate(snapshot._keys.items()):
        specs.append({"key": key, "table": table, "sparse": rows is not None})
        arrays[f"v{i}"] = values
        if rows is not None:
            arrays[f"r{i}"] = rows
    meta = {**meta, "keys": specs}
    arrays["meta"] = np.frombuffer(orjson.dumps(meta), dtype=np.uint8)
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp_name = tempfile.mkstemp(prefix=f".{target.stem}.", suffix=".tmp", dir=target.parent)
        with os.fdopen(fd, "wb") as handle:
            np.savez(handle, **arrays)  # type: ignore[arg-type]
        Path(tmp_name).replace(target)
    except OSError:
        # A read-only storage root simply has no persisted cache.
        log.debug("cannot write metric cache %s", target, exc_info=True)
        with contextlib.suppress(OSError, UnboundLocalError):
            Path(tmp_name).unlink()
