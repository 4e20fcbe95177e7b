"""Reading ``events.jsonl``, the append-only record of a run.

One JSON object per line: ``{"ts": .., "type": "metrics"|"system"|"image"|..., "data": {...}}``.
Metric lines carry ``global_step`` and ``time`` inside ``data``. A line without its newline is a
write still in progress (or a process killed mid-write): it is left for a later read, never an
error. A complete line that is not JSON is skipped and counted; NUL bytes (left by a crash) end
a line, so they never take the next line with them.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from itertools import chain
from operator import itemgetter
from pathlib import Path
from typing import Any

import numpy as np

from runicorn.errors import UnsafePathError
from runicorn.security.path_validation import open_under
from runicorn.storage.jsonio import NONFINITE_TOKENS, as_float, loads
from runicorn.storage.models import MetricRecord

EVENTS_FILE = "events.jsonl"
STEP_KEY = "global_step"
TIME_KEY = "time"
STAGE_KEY = "stage"
RESERVED_DATA_KEYS = frozenset({STEP_KEY, TIME_KEY, STAGE_KEY})
# Value types add() reads as they are; any other (None, text...) needs its per-value rules.
_PLAIN_NUMBERS = frozenset({int, float, bool})
# One group of rows with the same keys: its metric keys, whether its first column is the step,
# the rows, and the values as a float matrix.
_Matrix = tuple[list[str], bool, list[dict[str, Any]], Any]


@dataclass
class EventChunk:
    """Events parsed from one read, and where the next read starts."""

    events: list[dict[str, Any]]
    next_offset: int
    skipped_lines: int = 0


def read_events(path: Path, offset: int = 0, *, root: Path | None = None) -> EventChunk:
    """Every complete event line of ``path`` from byte ``offset`` on.

    ``path`` must stay under ``root`` (by default its own run folder): a link leading elsewhere
    raises :class:`~runicorn.errors.UnsafePathError` rather than being read.
    """
    try:
        with open_under(root or path.parent, path) as handle:
            handle.seek(offset)
            data = handle.read()
    except FileNotFoundError:
        return EventChunk([], offset)
    return parse_event_bytes(data, offset)


def parse_event_bytes(data: bytes, offset: int = 0) -> EventChunk:
    """Parse the complete lines of ``data`` (which starts at byte ``offset`` of its file)."""
    end = data.rfind(b"\n")
    if end < 0:
        return EventChunk([], offset)
    events: list[dict[str, Any]] = []
    skipped = 0
    body = data[:end]
    if b"\0" in body:
        # A crash can leave a block of NUL bytes where unflushed data was meant to be, with the
        # next line written right after it. NUL never occurs in a JSON text: it ends a line, so
        # only the garbage is lost. Byte for byte, offsets stay the file's.
        body = body.replace(b"\0", b"\n")
    for line in body.split(b"\n"):
        if not line.strip():
            continue
        try:
            event = loads(line)
        except ValueError:
            skipped += 1
            continue
        if isinstance(event, dict):
            events.append(event)
        else:
            skipped += 1
    return EventChunk(events, offset + end + 1, skipped)


def file_size(path: Path) -> int:
    """Size of ``path`` in bytes, 0 when it does not exist."""
    try:
        return os.stat(path).st_size
    except OSError:
        return 0


@dataclass
class MetricStats:
    """Running last/min/max/count per metric key, fed one metrics event at a time."""

    records: dict[str, MetricRecord] = field(default_factory=dict)
    last_step: int = 0
    # Called with (metric keys, steps or None, values matrix) for each batch folded in by
    # add_batch: the SDK's monitors check the matrix built here instead of building their own.
    observer: Callable[[list[str], np.ndarray | None, np.ndarray], None] | None = field(
        default=None, repr=False, compare=False
    )

    def add(self, data: dict[str, Any]) -> None:
        """Fold one metrics event's ``data`` into the statistics."""
        step = data.get(STEP_KEY)
        if type(step) is not int:
            step = None  # a hand-written or foreign file may hold "7" or 7.0: not a step
        elif step > self.last_step:
            self.last_step = step
        records = self.records
        for key, raw in data.items():
            if key in RESERVED_DATA_KEYS:
                continue
            value = as_float(raw)
            if value is None:
                continue
            record = records.get(key)
            if record is None:
                records[key] = MetricRecord(key, value, value, value, step, 1)
            else:
                record.update(value, step)

    def add_batch(self, rows: list[dict[str, Any]]) -> None:
        """Fold many metrics events' ``data`` in at once (the SDK writer's path).

        Rows with the same keys become one NumPy matrix, so the cost per row is a few C-level
        operations rather than a Python loop over every value. A training loop usually logs the
        same keys every step: that batch is checked and converted in one go.
        """
        if not rows:
            return
        key_sets = set(map(tuple, rows))
        if len(key_sets) == 1:
            matrices = [self._matrix(key_sets.pop(), rows)]
        else:
            matrices = self._grouped_matrices(rows)
        if any(matrix is None for matrix in matrices):
            # A value that is not a plain number (None, text, a step of 7.0): fold every row one
            # by one, in order, so that the result is exactly what add() gives.
            for row in rows:
                self.add(row)
            return
        for matrix in matrices:
            assert matrix is not None
            self._add_matrix(*matrix)

    def _grouped_matrices(self, rows: list[dict[str, Any]]) -> list[_Matrix | None]:
        groups: dict[tuple[str, ...], tuple[list[dict[str, Any]], list[int]]] = {}
        for position, row in enumerate(rows):
            keys = tuple(row)
            group = groups.get(keys)
            if group is None:
                group = groups[keys] = ([], [0])
            group[0].append(row)
            group[1][0] = position
        # Oldest group first, so that the group holding a key's newest row sets its last value.
        ordered = sorted(groups.items(), key=lambda item: item[1][1][0])
        return [self._matrix(keys, group_rows) for keys, (group_rows, _) in ordered]

    @staticmethod
    def _matrix(keys: tuple[str, ...], rows: list[dict[str, Any]]) -> _Matrix | None:
        """Rows that all hold exactly ``keys`` as one float matrix; None
        when a value is not a plain number, or a step not an int, as add() reads them."""
        metric_keys = [key for key in keys if key not in RESERVED_DATA_KEYS]
        has_step = STEP_KEY in keys
        columns = [STEP_KEY, *metric_keys] if has_step else metric_keys
        values = list(map(itemgetter(*columns), rows)) if columns else []

        def flat() -> Iterable[Any]:
            return values if len(columns) == 1 else chain.from_iterable(values)

        types = set(map(type, flat()))
        if str in types:
            # The SDK writes NaN and infinities as the text "NaN", "Infinity", "-Infinity"
            # (which NumPy reads as add() does); any other text is not a number to add().
            if not {v for v in flat() if type(v) is str} <= NONFINITE_TOKENS.keys():
                return None
            types.discard(str)
        if not types <= _PLAIN_NUMBERS:
            return None
        if has_step and not set(map(type, (row[STEP_KEY] for row in rows))) <= {int}:
            return None
        if not columns:
            return metric_keys, has_step, rows, np.empty((len(rows), 0))
        matrix = np.array(values, dtype=np.float64).reshape(len(rows), len(columns))
        return metric_keys, has_step, rows, matrix

    def _add_matrix(
        self, metric_keys: list[str], has_step: bool, rows: list[dict[str, Any]], matrix: Any
    ) -> None:
        """Fold one group's matrix (its first column the steps when ``has_step``)."""
        if matrix.shape[1] == 0:
            return
        step: int | None = None
        if has_step:
            steps, matrix = matrix[:, 0], matrix[:, 1:]
            # An explicit step may go back (a resumed loop): the highest one is the last step.
            top = float(np.fmax.reduce(steps))
            if top == top and top > self.last_step:
                self.last_step = int(top)
            last = rows[-1][STEP_KEY]
            step = last if type(last) is int else None
        if not metric_keys:
            return
        if self.observer is not None:
            self.observer(metric_keys, steps if has_step else None, matrix)
        lows = np.fmin.reduce(matrix, axis=0)
        highs = np.fmax.reduce(matrix, axis=0)
        newest = matrix[-1]
        for column, key in enumerate(metric_keys):
            low, high = float(lows[column]), float(highs[column])
            record = self.records.get(key)
            if record is None:
                record = self.records[key] = MetricRecord(key, None, None, None, None, 0)
            record.count += len(rows)
            if low == low and (record.min is None or low < record.min):
                record.min = low
            if high == high and (record.max is None or high > record.max):
                record.max = high
            record.last = float(newest[column])
            if step is not None:
                record.step = step

    def add_events(self, events: Iterable[dict[str, Any]]) -> None:
        """Fold every metrics event of ``events`` into the statistics (as one batch)."""
        rows = []
        for event in events:
            if event.get("type", "metrics") == "metrics":
                data = event.get("data")
                if isinstance(data, dict):
                    rows.append(data)
        self.add_batch(rows)


def metric_stats_of(path: Path, *, root: Path | None = None) -> MetricStats:
    """Statistics of every metric in one ``events.jsonl`` (none when it leads outside ``root``)."""
    stats = MetricStats()
    try:
        events = read_events(path, root=root).events
    except UnsafePathError:
        return stats
    stats.add_events(events)
    return stats
