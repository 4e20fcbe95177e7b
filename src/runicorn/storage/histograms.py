"""Reading a run's histogram events (``rn.Histogram``) for the viewer, incrementally.

Only lines that mention ``"histogram"`` are parsed, so a run with a million metric lines costs
a byte scan, not a million JSON parses. A reader remembers its offset in ``events.jsonl`` and
reads only what was appended since, as the metric cache does.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from runicorn.storage.appended import AppendedCache, read_appended_lines
from runicorn.storage.jsonio import loads

_MARKER = b'"histogram"'


@dataclass
class HistogramSeries:
    """One key's histograms in step order."""

    steps: list[int] = field(default_factory=list)
    edges: list[list[float]] = field(default_factory=list)
    counts: list[list[float]] = field(default_factory=list)

    def add(self, step: int, edges: list[float], counts: list[float]) -> None:
        if self.steps and step < self.steps[-1]:  # logged out of order: keep steps sorted
            at = int(np.searchsorted(np.asarray(self.steps), step, side="right"))
            self.steps.insert(at, step)
            self.edges.insert(at, edges)
            self.counts.insert(at, counts)
            return
        self.steps.append(step)
        self.edges.append(edges)
        self.counts.append(counts)


@dataclass
class RunHistograms:
    """Every histogram of one run read so far, and where the next read starts."""

    path: Path
    offset: int = 0
    series: dict[str, HistogramSeries] = field(default_factory=dict)

    def clear(self) -> None:
        self.series.clear()

    def keys(self) -> list[dict[str, Any]]:
        return [
            {"key": key, "steps": len(s.steps), "first_step": s.steps[0], "last_step": s.steps[-1]}
            for key, s in sorted(self.series.items())
            if s.steps
        ]

    def select(
        self, key: str, start: float | None, end: float | None, max_steps: int
    ) -> dict[str, Any]:
        """``key``'s histograms with ``start <= step <= end``, thinned evenly to ``max_steps``."""
        found = self.series.get(key)
        if found is None:
            return {"key": key, "steps": [], "edges": [], "counts": [], "total": 0}
        steps = np.asarray(found.steps, dtype=np.int64)
        lo = 0 if start is None else int(np.searchsorted(steps, start, side="left"))
        hi = len(steps) if end is None else int(np.searchsorted(steps, end, side="right"))
        total = max(0, hi - lo)
        if total > max_steps:
            # First and last always kept; the rest evenly between them.
            picks = np.unique(np.linspace(lo, hi - 1, max_steps).round().astype(np.int64))
        else:
            picks = np.arange(lo, hi)
        chosen = picks.tolist()
        return {
            "key": key,
            "steps": [found.steps[i] for i in chosen],
            "edges": [found.edges[i] for i in chosen],
            "counts": [found.counts[i] for i in chosen],
            "total": total,
        }


def read_appended(root: Path, state: RunHistograms) -> None:
    """Add the histogram events appended to ``state.path`` since ``state.offset``."""
    read_appended_lines(root, state, lambda body: _parse_lines(body, state.series))


def _parse_lines(body: bytes, series: dict[str, HistogramSeries]) -> None:
    start = 0
    while True:
        hit = body.find(_MARKER, start)
        if hit < 0:
            return
        line_start = body.rfind(b"\n", 0, hit) + 1
        line_end = body.find(b"\n", hit)
        if line_end < 0:
            line_end = len(body)
        start = line_end + 1
        try:
            event = loads(body[line_start:line_end])
        except ValueError:
            continue
        _add_event(event, series)


def _add_event(event: Any, series: dict[str, HistogramSeries]) -> None:
    if not isinstance(event, dict) or event.get("type") != "histogram":
        return
    data = event.get("data")
    if not isinstance(data, dict):
        return
    key, step, edges, counts = (data.get(k) for k in ("key", "step", "edges", "counts"))
    if not isinstance(key, str) or not isinstance(step, int) or isinstance(step, bool):
        return
    if not isinstance(edges, list) or not isinstance(counts, list):
        return
    if counts and len(edges) != len(counts) + 1:
        return  # not a histogram the panel could draw; skipped like a torn line
    series.setdefault(key, HistogramSeries()).add(step, edges, counts)


def histogram_cache(max_runs: int = 16) -> AppendedCache[RunHistograms]:
    """The histograms of the runs read last, keyed by ``events.jsonl``, refreshed on each read."""
    return AppendedCache(RunHistograms, read_appended, max_runs)
