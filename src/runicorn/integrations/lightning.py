"""``RunicornLogger``: a Lightning logger recording into a Runicorn run.

    trainer = lightning.Trainer(logger=RunicornLogger(project="vision", name="resnet"))

Hyperparameters (``save_hyperparameters``) go to the config, every ``self.log`` value to the
metrics at the trainer's global step, and, with ``log_checkpoints=True``, the best checkpoint
becomes a model artifact of the run. Only the process of global rank 0 records.
"""

from __future__ import annotations

import os
from argparse import Namespace
from collections.abc import Iterable, Mapping
from typing import Any

from runicorn import sdk
from runicorn.integrations._runs import log_model_file, numbers, start_run, update_config

try:
    from lightning.fabric.loggers.logger import rank_zero_experiment
    from lightning.pytorch.loggers.logger import Logger
    from lightning.pytorch.utilities import rank_zero_only
except ImportError as exc:
    raise ImportError(
        "runicorn.integrations.lightning needs Lightning: pip install 'runicorn[lightning]'"
    ) from exc


class RunicornLogger(Logger):
    """Lightning's logger interface over a Runicorn run."""

    def __init__(
        self,
        project: str = "lightning",
        name: str | None = None,
        *,
        config: Mapping[str, Any] | None = None,
        tags: Iterable[str] | None = None,
        storage: str | os.PathLike[str] | None = None,
        run: sdk.Run | sdk.NoOpRun | None = None,
        log_checkpoints: bool = True,
    ) -> None:
        super().__init__()
        self._project = project
        self._name = name
        self._config = config
        self._tags = tags
        self._storage = storage
        self._run = run
        self._owns_run = False
        self._log_checkpoints = log_checkpoints

    @property
    @rank_zero_experiment
    def experiment(self) -> sdk.Run | sdk.NoOpRun:
        """The Runicorn run (started on first use)."""
        if self._run is None:
            self._run, self._owns_run = start_run(
                self._run,
                project=self._project,
                name=self._name,
                config=self._config,
                tags=self._tags,
                storage=self._storage,
            )
        return self._run

    @property
    def name(self) -> str:
        return self._name or "default"

    @property
    def version(self) -> str:
        run_id = self._run.id if self._run is not None else None
        return run_id or "pending"

    @property
    def save_dir(self) -> str | None:
        """None: checkpoints stay where Lightning puts them (``default_root_dir``)."""
        return None

    @rank_zero_only
    def log_hyperparams(
        self, params: dict[str, Any] | Namespace, *args: Any, **kwargs: Any
    ) -> None:
        update_config(self.experiment, params)

    @rank_zero_only
    def log_metrics(self, metrics: Mapping[str, Any], step: int | None = None) -> None:
        self.experiment.log(numbers(metrics), step=step)

    @rank_zero_only
    def after_save_checkpoint(self, checkpoint_callback: Any) -> None:
        if self._log_checkpoints:
            self._last_checkpoint = getattr(
                checkpoint_callback, "best_model_path", None
            ) or getattr(checkpoint_callback, "last_model_path", None)

    @rank_zero_only
    def finalize(self, status: str) -> None:
        if self._run is None:
            return
        checkpoint = getattr(self, "_last_checkpoint", None)
        if checkpoint and self._run.status == "running":
            log_model_file(self._run, checkpoint, f"{self.name.replace('/', '-')}-checkpoint")
        if self._owns_run:
            self._run.finish("finished" if status in ("success", "finished") else "failed")
