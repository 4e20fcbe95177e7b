"""A ``wandb``-style module for typical training scripts: ``import runicorn.compat.wandb as wandb``.

    run = wandb.init(project="vision", name="resnet50", config={"lr": 3e-4}, tags=["baseline"])
    wandb.config.update({"batch_size": 64})
    wandb.log({"loss": 0.5, "samples": wandb.Image(array, caption="batch 0")})
    wandb.summary["best_acc"] = 0.93
    wandb.finish()

Steps follow W&B: ``_step`` starts at 0 and moves on after each committed ``log``;
``commit=False`` gathers values into the next committed call; an explicit ``step`` is used as
given. Nested dicts are flattened as W&B names them (``{"val": {"acc": 1}}`` is ``val.acc``).
Hub-only features (artifacts upload, sweeps, tables, ``watch``) are accepted and ignored.
"""

from __future__ import annotations

import enum
import os
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from runicorn import sdk
from runicorn.compat._values import histogram_of, log_histogram
from runicorn.legacy import as_mapping


class AlertLevel(str, enum.Enum):
    """W&B's alert levels."""

    INFO = "INFO"
    WARN = "WARN"
    ERROR = "ERROR"


class Image:
    """An image to log: a NumPy array, a tensor, a PIL image or a file path."""

    def __init__(self, data_or_path: Any, mode: str | None = None, caption: str | None = None):
        self.data = data_or_path
        self.caption = caption


class Histogram:
    """A distribution to log, from values or a ready ``np_histogram=(counts, edges)``."""

    def __init__(
        self,
        sequence: Sequence[float] | Any = None,
        np_histogram: tuple[Any, Any] | None = None,
        num_bins: int = 64,
    ) -> None:
        self.edges, self.counts = histogram_of(sequence, bins=num_bins, np_histogram=np_histogram)


def _flatten(values: Mapping[str, Any], prefix: str = "") -> Iterator[tuple[str, Any]]:
    for key, value in values.items():
        full = f"{prefix}{key}"
        if isinstance(value, Mapping):
            yield from _flatten(value, f"{full}.")
        else:
            yield full, value


class Config:
    """``wandb.config``: items and attributes both work; every change is saved with the run."""

    def __init__(self) -> None:
        object.__setattr__(self, "_pending", {})
        object.__setattr__(self, "_run", None)

    def _target(self) -> dict[str, Any]:
        run = self._run
        if isinstance(run, sdk.Run):
            return run.config
        return self._pending  # type: ignore[no-any-return]

    def _bind(self, run: sdk.Run | sdk.NoOpRun | None) -> None:
        pending = dict(self._pending)
        object.__setattr__(self, "_run", run)
        self._pending.clear()
        if pending and isinstance(run, sdk.Run):
            run.config.update(pending)

    def update(
        self, values: Any = None, allow_val_change: bool | None = None, **kwargs: Any
    ) -> None:
        """Merge ``values`` (a dict, an argparse namespace, …) into the config."""
        merged = {**as_mapping(values), **kwargs}
        self._target().update(merged)

    def setdefaults(self, values: Mapping[str, Any]) -> None:
        """Set the keys not set yet."""
        self._target().update({k: v for k, v in values.items() if k not in self._target()})

    def as_dict(self) -> dict[str, Any]:
        """A plain copy."""
        return dict(self._target())

    def get(self, key: str, default: Any = None) -> Any:
        return self._target().get(key, default)

    def keys(self) -> Any:
        return self._target().keys()

    def items(self) -> Any:
        return self._target().items()

    def __getitem__(self, key: str) -> Any:
        return self._target()[key]

    def __setitem__(self, key: str, value: Any) -> None:
        self._target()[key] = value

    def __contains__(self, key: object) -> bool:
        return key in self._target()

    def __iter__(self) -> Iterator[str]:
        return iter(self._target())

    def __len__(self) -> int:
        return len(self._target())

    def __getattr__(self, key: str) -> Any:
        try:
            return self._target()[key]
        except KeyError:
            raise AttributeError(key) from None

    def __setattr__(self, key: str, value: Any) -> None:
        self._target()[key] = value

    def __repr__(self) -> str:
        return f"wandb.config({self._target()!r})"


class Summary:
    """``wandb.summary`` / ``run.summary``: values written to the run's summary."""

    def __init__(self) -> None:
        self._values: dict[str, Any] = {}
        self._run: sdk.Run | sdk.NoOpRun | None = None

    def _bind(self, run: sdk.Run | sdk.NoOpRun | None) -> None:
        self._run = run
        self._values = {}

    def update(self, values: Mapping[str, Any] | None = None, **kwargs: Any) -> None:
        merged = dict(_flatten({**(values or {}), **kwargs}))
        self._values.update(merged)
        if self._run is not None:
            self._run.summary(merged)

    def __setitem__(self, key: str, value: Any) -> None:
        self.update({key: value})

    def __getitem__(self, key: str) -> Any:
        return self._values[key]

    def get(self, key: str, default: Any = None) -> Any:
        return self._values.get(key, default)

    def __contains__(self, key: object) -> bool:
        return key in self._values

    def keys(self) -> Any:
        return self._values.keys()

    def __repr__(self) -> str:
        return f"wandb.summary({self._values!r})"


config = _CONFIG = Config()
summary = Summary()
run: WandbRun | None = None


class WandbRun:
    """What ``wandb.init`` returns: ``log``, ``config``, ``summary``, ``finish``, ``alert``."""

    def __init__(self, recorder: sdk.Run | sdk.NoOpRun) -> None:
        self.recorder = recorder
        self.config = config
        self.summary = summary
        self._step = 0
        self._pending: dict[str, Any] = {}

    @property
    def id(self) -> str | None:
        return self.recorder.id

    @property
    def name(self) -> str | None:
        return self.recorder.name

    @property
    def project(self) -> str | None:
        return self.recorder.project

    @property
    def dir(self) -> str | None:
        path = self.recorder.path
        return None if path is None else str(path)

    @property
    def step(self) -> int:
        return self._step

    def log(
        self, data: Mapping[str, Any], step: int | None = None, commit: bool | None = None
    ) -> None:
        """Record ``data``; media objects are saved, numbers charted."""
        if step is not None:
            step = int(step)
            if step > self._step:
                self._flush()
                self._step = step
            self._pending.update(_flatten(data))
            if commit:
                self._flush()
                self._step += 1
            return
        self._pending.update(_flatten(data))
        if commit is False:
            return
        self._flush()
        self._step += 1

    def _flush(self) -> None:
        if not self._pending:
            return
        values, self._pending = self._pending, {}
        numbers: dict[str, Any] = {}
        for key, value in values.items():
            if isinstance(value, Image):
                self.recorder.log_image(key, value.data, step=self._step, caption=value.caption)
            elif isinstance(value, Histogram):
                log_histogram(self.recorder, key, value.edges, value.counts, self._step)
            else:
                numbers[key] = value
        if numbers:
            self.recorder.log(numbers, step=self._step)

    def alert(
        self,
        title: str,
        text: str,
        level: AlertLevel | str | None = None,
        wait_duration: Any = None,
    ) -> None:
        """An alert on the run (shown in the viewer and sent to configured webhooks)."""
        name = level.value if isinstance(level, AlertLevel) else str(level or "INFO")
        mapped = {"INFO": "info", "WARN": "warn", "WARNING": "warn", "ERROR": "error"}
        self.recorder.alert(title, text, mapped.get(name.upper(), "info"))

    def define_metric(self, *args: Any, **kwargs: Any) -> None:
        """Accepted for compatibility; Runicorn charts every metric against its step."""

    def watch(self, *args: Any, **kwargs: Any) -> None:
        """Accepted for compatibility; gradients are not recorded."""

    def finish(self, exit_code: int | None = None, quiet: bool | None = None) -> None:
        """Write what is pending and end the run (``failed`` for a non-zero exit code)."""
        global run
        self._flush()
        self.recorder.finish("failed" if exit_code else "finished")
        if run is self:
            run = None
            config._bind(None)
            summary._bind(None)

    def __enter__(self) -> WandbRun:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, *rest: object) -> None:
        self.finish(exit_code=1 if exc_type is not None else None)


def init(
    project: str | None = None,
    name: str | None = None,
    config: Mapping[str, Any] | Any | None = None,
    tags: Sequence[str] | None = None,
    notes: str | None = None,
    *,
    dir: str | os.PathLike[str] | None = None,
    mode: str | None = None,
    id: str | None = None,
    resume: bool | str | None = None,
    group: str | None = None,
    job_type: str | None = None,
    **_: Any,
) -> WandbRun:
    """Start a run (``mode="disabled"`` or ``"offline"``-style modes are honoured as W&B does:
    disabled records nothing, anything else records locally)."""
    global run
    if run is not None:
        run.finish()
    extra_tags = [t for t in (group, job_type) if t]
    recorder = sdk.init(
        project=project or "uncategorized",
        name=name or "default",
        config=as_mapping(config),
        tags=[*(tags or []), *extra_tags],
        notes=notes,
        run_id=id,
        resume=bool(resume),
        storage=dir,
        mode="disabled" if mode == "disabled" else "online",
    )
    _CONFIG._bind(recorder)
    summary._bind(recorder)
    run = WandbRun(recorder)
    return run


def _current(function: str) -> WandbRun:
    if run is None:
        raise RuntimeError(f"wandb.{function}() called before wandb.init()")
    return run


def log(data: Mapping[str, Any], step: int | None = None, commit: bool | None = None) -> None:
    """:meth:`WandbRun.log` on the current run."""
    _current("log").log(data, step=step, commit=commit)


def alert(
    title: str, text: str, level: AlertLevel | str | None = None, wait_duration: Any = None
) -> None:
    """:meth:`WandbRun.alert` on the current run."""
    _current("alert").alert(title, text, level, wait_duration)


def finish(exit_code: int | None = None, quiet: bool | None = None) -> None:
    """Finish the current run, if any."""
    if run is not None:
        run.finish(exit_code=exit_code)


def define_metric(*args: Any, **kwargs: Any) -> None:
    """Accepted for compatibility."""


def watch(*args: Any, **kwargs: Any) -> None:
    """Accepted for compatibility; gradients are not recorded."""


def login(*args: Any, **kwargs: Any) -> bool:
    """Nothing to log in to: Runicorn is local."""
    return True
