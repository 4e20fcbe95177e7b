"""Rules that watch a run's metrics and raise alerts, before anyone looks at a chart.

Rules are evaluated on the SDK writer's thread, on the matrices the writer already builds for
its statistics (one per set of keys logged together), so the training thread never pays for
them. A rule is plain configuration; what it remembers about each key lives in a per-run state,
so one rule list can serve several runs.

A firing carries the step of the first offending point. Each rule fires at most once per key
per cool-down (60 s of wall time by default); :class:`NanInf` also waits for the key to be
finite again before it can fire again.
"""

from __future__ import annotations

import fnmatch
import math
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from runicorn.alerts_delivery import Webhook, deliver, logger
from runicorn.config import AlertSettings
from runicorn.storage.alerts import ALERT_LEVELS, AlertRecord, normalize_level
from runicorn.storage.jsonio import dumps

__all__ = [
    "DEFAULT_COOLDOWN",
    "Diverge",
    "Firing",
    "MonitorSet",
    "NanInf",
    "Plateau",
    "Rule",
    "RunAlerts",
    "Spike",
    "Threshold",
    "default_rules",
    "resolve_monitors",
    "rules_from_config",
    "run_alerts",
]

DEFAULT_COOLDOWN = 60.0
MANUAL_RULE = "manual"

Steps = np.ndarray
Values = np.ndarray


@dataclass(frozen=True)
class Firing:
    """Where a rule found trouble: index into the batch, and why."""

    index: int
    title: str
    text: str = ""


class Rule:
    """A condition on one metric series. Subclasses say which keys and how to check them."""

    rule_name = "rule"
    level = "warn"

    def __init__(self, keys: str | Sequence[str], level: str | None = None) -> None:
        patterns = [keys] if isinstance(keys, str) else list(keys)
        if not patterns or not all(isinstance(p, str) and p for p in patterns):
            raise ValueError(f"{type(self).__name__}: keys must be metric names or glob patterns")
        self.patterns = tuple(patterns)
        if level is not None:
            if level not in ALERT_LEVELS:
                raise ValueError(f"level must be one of {', '.join(ALERT_LEVELS)}, got {level!r}")
            self.level = level

    def matches(self, key: str) -> bool:
        """Whether this rule watches ``key`` (exact name or glob, case-sensitive)."""
        return any(fnmatch.fnmatchcase(key, pattern) for pattern in self.patterns)

    def new_state(self) -> Any:
        """What this rule remembers about one key between batches."""
        return None

    def check(self, state: Any, key: str, steps: Steps, values: Values) -> Firing | None:
        """The first offending point of a batch (updating ``state`` with all of it), or None."""
        raise NotImplementedError

    def fired(self, state: Any) -> None:
        """Called when a firing was delivered (not suppressed by the cool-down)."""

    def __repr__(self) -> str:
        return f"{type(self).__name__}({', '.join(self.patterns)})"


class _NanState:
    __slots__ = ("armed",)

    def __init__(self) -> None:
        self.armed = True


class NanInf(Rule):
    """A value became NaN or infinite. Re-arms only once the key is finite again."""

    rule_name = "nan_inf"
    level = "error"

    def __init__(self, keys: str | Sequence[str] = "*loss*", level: str | None = None) -> None:
        super().__init__(keys, level)

    def new_state(self) -> _NanState:
        return _NanState()

    def check(self, state: _NanState, key: str, steps: Steps, values: Values) -> Firing | None:
        bad = ~np.isfinite(values)
        start = 0
        if not state.armed:
            finite = np.flatnonzero(~bad)
            if finite.size == 0:
                return None
            state.armed = True
            start = int(finite[0])
        offending = np.flatnonzero(bad[start:])
        if offending.size == 0:
            return None
        index = start + int(offending[0])
        return Firing(index, f"{key} is {_describe(float(values[index]))}")

    def fired(self, state: _NanState) -> None:
        state.armed = False


class Threshold(Rule):
    """A value went above ``above`` or below ``below``."""

    rule_name = "threshold"

    def __init__(
        self,
        key: str | Sequence[str],
        *,
        above: float | None = None,
        below: float | None = None,
        level: str | None = None,
    ) -> None:
        super().__init__(key, level)
        if above is None and below is None:
            raise ValueError("Threshold needs above= or below=")
        self.above = above
        self.below = below

    def check(self, state: None, key: str, steps: Steps, values: Values) -> Firing | None:
        bad = np.zeros(values.shape, dtype=bool)
        if self.above is not None:
            bad |= values > self.above
        if self.below is not None:
            bad |= values < self.below
        offending = np.flatnonzero(bad)
        if offending.size == 0:
            return None
        index = int(offending[0])
        value = float(values[index])
        if self.above is not None and value > self.above:
            return Firing(index, f"{key} = {value:.6g} is above {self.above:g}")
        return Firing(index, f"{key} = {value:.6g} is below {self.below:g}")


class _WindowState:
    """The last finite values of a key, kept for rolling statistics."""

    __slots__ = ("history",)

    def __init__(self) -> None:
        self.history = np.empty(0, dtype=np.float64)


def _finite(steps: Steps, values: Values) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Finite points only, with their positions in the batch."""
    keep = np.flatnonzero(np.isfinite(values))
    return keep, steps[keep] if steps.size else steps, values[keep]


class Spike(Rule):
    """A value lies more than ``z`` standard deviations from the mean of the previous ``window``.

    Noise in a healthy loss is a few standard deviations at most; a six-sigma jump is an event.
    The rule needs ``min_points`` earlier values before it judges.
    """

    rule_name = "spike"

    def __init__(
        self,
        key: str | Sequence[str],
        z: float = 6.0,
        window: int = 200,
        *,
        min_points: int = 30,
        level: str | None = None,
    ) -> None:
        super().__init__(key, level)
        if z <= 0 or window < 2:
            raise ValueError("Spike needs z > 0 and window >= 2")
        self.z = float(z)
        self.window = int(window)
        self.min_points = max(2, min(int(min_points), self.window))

    def new_state(self) -> _WindowState:
        return _WindowState()

    def check(self, state: _WindowState, key: str, steps: Steps, values: Values) -> Firing | None:
        positions, _, finite = _finite(steps, values)
        if finite.size == 0:
            return None
        history = state.history
        series = np.concatenate((history, finite))
        state.history = series[-self.window :]
        # Rolling sums over the previous `window` points of each new point, centred on a
        # reference value so that large, nearly constant series keep their precision.
        reference = series[0]
        centred = series - reference
        sums = np.concatenate(([0.0], np.cumsum(centred)))
        squares = np.concatenate(([0.0], np.cumsum(centred * centred)))
        ends = np.arange(history.size, series.size)
        starts = np.maximum(ends - self.window, 0)
        counts = ends - starts
        judged = counts >= self.min_points
        if not judged.any():
            return None
        ends, starts, counts = ends[judged], starts[judged], counts[judged]
        means = (sums[ends] - sums[starts]) / counts
        variances = np.maximum((squares[ends] - squares[starts]) / counts - means * means, 0.0)
        stds = np.sqrt(variances)
        deviations = np.abs(centred[ends] - means)
        # A perfectly flat history has no spread: any change from it counts as a spike only
        # when it is large relative to the value itself.
        floor = 1e-9 * np.maximum(np.abs(means + reference), 1e-12)
        offending = np.flatnonzero(deviations > self.z * np.maximum(stds, floor))
        if offending.size == 0:
            return None
        at = int(offending[0])
        index = int(positions[int(np.flatnonzero(judged)[at])])
        value = float(values[index])
        mean = float(means[at] + reference)
        sigmas = float(deviations[at] / max(float(stds[at]), float(floor[at])))
        return Firing(
            index,
            f"{key} spiked to {value:.6g}",
            f"{sigmas:.1f} standard deviations from the mean {mean:.6g} of the previous "
            f"{int(counts[at])} values",
        )


class _PlateauState:
    __slots__ = ("best", "best_step", "waiting")

    def __init__(self) -> None:
        self.best: float | None = None
        self.best_step = 0.0
        self.waiting = True


class Plateau(Rule):
    """The best value has not improved by ``min_delta`` for ``steps`` steps.

    ``mode="min"`` (a loss) or ``"max"`` (an accuracy). Fires once per plateau: it re-arms when
    the metric improves again.
    """

    rule_name = "plateau"
    level = "info"

    def __init__(
        self,
        key: str | Sequence[str],
        steps: int = 1000,
        min_delta: float = 0.0,
        *,
        mode: str = "min",
        level: str | None = None,
    ) -> None:
        super().__init__(key, level)
        if steps < 1 or min_delta < 0 or mode not in ("min", "max"):
            raise ValueError("Plateau needs steps >= 1, min_delta >= 0 and mode 'min' or 'max'")
        self.steps = int(steps)
        self.min_delta = float(min_delta)
        self.mode = mode

    def new_state(self) -> _PlateauState:
        return _PlateauState()

    def check(self, state: _PlateauState, key: str, steps: Steps, values: Values) -> Firing | None:
        positions, at_steps, finite = _finite(steps, values)
        if finite.size == 0 or at_steps.size == 0:
            return None
        signed = finite if self.mode == "min" else -finite
        firing: Firing | None = None
        start = 0
        if state.best is None:
            state.best, state.best_step = float(signed[0]), float(at_steps[0])
            start = 1
        while start < signed.size:
            # The next improvement, then whether the plateau was reached before it.
            better = np.flatnonzero(signed[start:] < state.best - self.min_delta)
            end = start + int(better[0]) if better.size else signed.size
            if state.waiting and firing is None:
                stale = np.flatnonzero(at_steps[start:end] - state.best_step >= self.steps)
                if stale.size:
                    index = int(positions[start + int(stale[0])])
                    best = state.best if self.mode == "min" else -state.best
                    firing = Firing(
                        index,
                        f"{key} has plateaued",
                        f"no improvement of more than {self.min_delta:g} on its best value "
                        f"{best:.6g} (step {int(state.best_step)}) for {self.steps} steps",
                    )
            if end >= signed.size:
                break
            state.best, state.best_step = float(signed[end]), float(at_steps[end])
            state.waiting = True
            start = end + 1
        return firing

    def fired(self, state: _PlateauState) -> None:
        state.waiting = False


class _DivergeState:
    __slots__ = ("best", "history")

    def __init__(self) -> None:
        self.history = np.empty(0, dtype=np.float64)
        self.best: float | None = None


class Diverge(Rule):
    """The mean of the last ``window`` values rose to ``factor`` times its lowest level.

    For a positive, decreasing metric (a loss): training that diverges climbs back far above
    where it had been, well beyond what noise does.
    """

    rule_name = "diverge"
    level = "error"

    def __init__(
        self,
        key: str | Sequence[str],
        factor: float = 3.0,
        window: int = 100,
        *,
        level: str | None = None,
    ) -> None:
        super().__init__(key, level)
        if factor <= 1 or window < 1:
            raise ValueError("Diverge needs factor > 1 and window >= 1")
        self.factor = float(factor)
        self.window = int(window)

    def new_state(self) -> _DivergeState:
        return _DivergeState()

    def check(self, state: _DivergeState, key: str, steps: Steps, values: Values) -> Firing | None:
        positions, _, finite = _finite(steps, values)
        if finite.size == 0:
            return None
        history = state.history
        series = np.concatenate((history, finite))
        state.history = series[-(self.window - 1) :] if self.window > 1 else series[:0]
        if series.size < self.window:
            return None
        sums = np.concatenate(([0.0], np.cumsum(series)))
        means = (sums[self.window :] - sums[: -self.window]) / self.window
        # means[j] ends at series index j + window - 1; keep the ones ending at new points.
        first_new = max(0, history.size - self.window + 1)
        means = means[first_new:]
        ends = np.arange(first_new, first_new + means.size) + self.window - 1 - history.size
        previous = math.inf if state.best is None else state.best
        lowest = np.minimum.accumulate(np.concatenate(([previous], means)))[:-1]
        state.best = float(min(previous, float(means.min())))
        offending = np.flatnonzero(
            (lowest > 0) & np.isfinite(lowest) & (means > self.factor * lowest)
        )
        if offending.size == 0:
            return None
        at = int(offending[0])
        index = int(positions[int(ends[at])])
        return Firing(
            index,
            f"{key} is diverging",
            f"its mean over {self.window} values rose to {float(means[at]):.6g}, "
            f"{float(means[at] / lowest[at]):.1f}x its lowest {float(lowest[at]):.6g}",
        )


def _describe(value: float) -> str:
    if math.isnan(value):
        return "NaN"
    return "+Infinity" if value > 0 else "-Infinity"


_RULES: dict[str, type[Rule]] = {
    cls.rule_name: cls for cls in (NanInf, Spike, Threshold, Plateau, Diverge)
}


def default_rules() -> list[Rule]:
    """The rules every run gets unless told otherwise: NaN/Inf on any ``*loss*`` key."""
    return [NanInf()]


def rules_from_config(value: Any) -> list[Rule]:
    """Rules from the user config's ``alerts.monitors`` list, e.g.

    ``[{"rule": "nan_inf", "keys": "*loss*"}, {"rule": "spike", "key": "train/loss", "z": 8}]``.
    Raises :class:`ValueError` naming the entry that is wrong.
    """
    if not isinstance(value, list):
        raise ValueError("alerts.monitors must be a list of rules or false")
    rules: list[Rule] = []
    for position, entry in enumerate(value):
        if not isinstance(entry, dict) or entry.get("rule") not in _RULES:
            raise ValueError(
                f"alerts.monitors[{position}]: expected {{'rule': one of {sorted(_RULES)}, ...}}"
            )
        options = {k: v for k, v in entry.items() if k != "rule"}
        if "key" in options and "keys" not in options and entry["rule"] == "nan_inf":
            options["keys"] = options.pop("key")
        try:
            rules.append(_RULES[entry["rule"]](**options))
        except TypeError as exc:
            raise ValueError(f"alerts.monitors[{position}]: {exc}") from exc
    return rules


class MonitorSet:
    """Rules with their per-key state and cool-downs; fed the writer's matrices."""

    def __init__(
        self,
        rules: Iterable[Rule],
        *,
        cooldown: float = DEFAULT_COOLDOWN,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.rules = list(rules)
        self.cooldown = float(cooldown)
        self.clock = clock
        self._watched: dict[str, list[int]] = {}
        self._states: dict[tuple[int, str], Any] = {}
        self._last_fired: dict[tuple[int, str], float] = {}

    def _rules_for(self, key: str) -> list[int]:
        watched = self._watched.get(key)
        if watched is None:
            watched = self._watched[key] = [
                number for number, rule in enumerate(self.rules) if rule.matches(key)
            ]
        return watched

    def check(
        self, keys: Sequence[str], steps: np.ndarray | None, matrix: np.ndarray
    ) -> list[dict[str, Any]]:
        """Alert data for every rule that fires on a batch (rows = points, columns = ``keys``)."""
        alerts: list[dict[str, Any]] = []
        if not self.rules or matrix.size == 0:
            return alerts
        at_steps = steps if steps is not None else np.empty(0)
        for column, key in enumerate(keys):
            numbers = self._rules_for(key)
            if not numbers:
                continue
            values = matrix[:, column]
            for number in numbers:
                rule = self.rules[number]
                slot = (number, key)
                state = self._states.get(slot)
                if state is None:
                    state = self._states[slot] = rule.new_state()
                firing = rule.check(state, key, at_steps, values)
                if firing is None:
                    continue
                now = self.clock()
                last = self._last_fired.get(slot)
                if last is not None and now - last < self.cooldown:
                    continue
                self._last_fired[slot] = now
                rule.fired(state)
                step = at_steps[firing.index] if at_steps.size else None
                alerts.append(
                    {
                        "rule": rule.rule_name,
                        "key": key,
                        "step": int(step) if step is not None and step == step else None,
                        "value": float(values[firing.index]),
                        "level": rule.level,
                        "title": firing.title,
                        "text": firing.text,
                    }
                )
        return alerts


@dataclass
class RunAlerts:
    """One run's alerts: rule firings and manual ones become events, deliveries and index rows.

    ``observe`` runs on the writer thread inside its statistics; ``drain`` is the writer's
    per-flush hook returning the alert lines to append. ``raise_alert`` may be called from any
    thread.
    """

    run_id: str
    project: str
    name: str
    monitors: MonitorSet
    deliver: Callable[[dict[str, Any]], None]
    record_in_index: Callable[[list[AlertRecord]], bool]
    _lines: deque[bytes] = field(default_factory=deque)
    _unindexed: deque[AlertRecord] = field(default_factory=deque)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def observe(self, keys: Sequence[str], steps: np.ndarray | None, matrix: np.ndarray) -> None:
        """Check one batch matrix (called by the writer's statistics)."""
        for data in self.monitors.check(keys, steps, matrix):
            self._emit(data)

    def raise_alert(
        self, title: str, text: str = "", level: str = "info", step: int | None = None
    ) -> None:
        """Record an alert raised by hand."""
        self._emit(
            {
                "rule": MANUAL_RULE,
                "key": None,
                "step": step,
                "value": None,
                "level": normalize_level(level),
                "title": str(title),
                "text": str(text),
            }
        )

    def _emit(self, data: dict[str, Any]) -> None:
        now = time.time()
        self._lines.append(dumps({"ts": now, "type": "alert", "data": data}) + b"\n")
        value = data.get("value")
        self._unindexed.append(
            AlertRecord(
                run_id=self.run_id,
                ts=now,
                rule=data["rule"],
                level=data["level"],
                title=data["title"],
                text=data["text"],
                key=data.get("key"),
                step=data.get("step"),
                value=value if isinstance(value, float) else None,
            )
        )
        self.deliver(
            {"ts": now, "run_id": self.run_id, "project": self.project, "name": self.name, **data}
        )

    def drain(self) -> list[bytes]:
        """Alert lines to append now; also records pending alerts in the index."""
        lines = [self._lines.popleft() for _ in range(len(self._lines))]
        if self._unindexed:
            with self._lock:
                pending = list(self._unindexed)
                if self.record_in_index(pending):
                    for _ in pending:
                        self._unindexed.popleft()
        return lines


def resolve_monitors(monitors: Any, settings: AlertSettings) -> list[Rule]:
    """The rules of a run: ``monitors=False`` none; ``None``/``True`` the defaults; a list adds
    its rules to the defaults. Defaults come from the user config (``alerts.monitors``), else
    :func:`default_rules`. A bad argument raises :class:`TypeError`; a bad config entry warns.
    """
    if monitors is False:
        return []
    extra: list[Rule] = []
    if monitors is not None and monitors is not True:
        if isinstance(monitors, Rule):
            monitors = [monitors]
        if not isinstance(monitors, list | tuple) or not all(
            isinstance(rule, Rule) for rule in monitors
        ):
            raise TypeError(
                "monitors must be False, or a list of rules such as [runicorn.monitors.Spike("
                f"'loss')], got {monitors!r}"
            )
        extra = list(monitors)
    configured = settings.monitors
    if configured is False:
        base: list[Rule] = []
    elif configured is None:
        base = default_rules()
    else:
        try:
            base = rules_from_config(configured)
        except ValueError as exc:
            logger.warning("runicorn: ignoring the configured monitors (%s); using defaults", exc)
            base = default_rules()
    return base + extra


def run_alerts(
    run_id: str,
    project: str,
    name: str,
    rules: list[Rule],
    settings: AlertSettings,
    record_in_index: Callable[[list[AlertRecord]], bool],
) -> RunAlerts:
    """A run's alert pipeline, delivering to the configured webhooks."""
    webhooks: list[Webhook] = []
    for value in settings.webhooks:
        try:
            webhooks.append(Webhook.parse(value))
        except ValueError as exc:
            logger.warning("runicorn: ignoring an alert webhook: %s", exc)
    hooks = tuple(webhooks)
    return RunAlerts(
        run_id=run_id,
        project=project,
        name=name,
        monitors=MonitorSet(rules, cooldown=settings.cooldown_seconds),
        deliver=lambda alert: deliver(alert, hooks),
        record_in_index=record_in_index,
    )
