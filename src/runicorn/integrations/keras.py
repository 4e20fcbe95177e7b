"""``RunicornCallback``: a Keras 3 callback recording into a Runicorn run (any backend).

    model.fit(x, y, epochs=10, callbacks=[RunicornCallback(project="vision")])

The fit's parameters (epochs, steps) and the optimizer's settings go to the config, each
epoch's logs (``loss``, ``val_loss``, metrics) to the metrics at step = epoch (from 1), and, with
``log_every_n_batches``, batch logs as ``batch/*``. Only the process of rank 0 records.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from typing import Any

from runicorn import sdk
from runicorn.integrations._runs import numbers, start_run, update_config

try:
    import keras
except ImportError as exc:
    raise ImportError(
        "runicorn.integrations.keras needs Keras 3: pip install 'runicorn[keras]'"
    ) from exc


class RunicornCallback(keras.callbacks.Callback):  # type: ignore[misc]
    """Records a ``fit``: configuration, per-epoch logs and optionally per-batch logs."""

    def __init__(
        self,
        project: str = "keras",
        name: str | None = None,
        *,
        config: Mapping[str, Any] | None = None,
        tags: Iterable[str] | None = None,
        storage: str | os.PathLike[str] | None = None,
        run: sdk.Run | sdk.NoOpRun | None = None,
        log_every_n_batches: int | None = None,
    ) -> None:
        super().__init__()
        self.project = project
        self.run_name = name
        self.run_config = config
        self.tags = tags
        self.storage = storage
        self.run = run
        self.log_every_n_batches = log_every_n_batches
        self._owns_run = False
        self._batches = 0

    def on_train_begin(self, logs: Mapping[str, Any] | None = None) -> None:
        self.run, self._owns_run = start_run(
            self.run,
            project=self.project,
            name=self.run_name or getattr(self.model, "name", None),
            config=self.run_config,
            tags=self.tags,
            storage=self.storage,
        )
        settings: dict[str, Any] = {k: v for k, v in (self.params or {}).items() if v is not None}
        optimizer = getattr(self.model, "optimizer", None)
        if optimizer is not None and hasattr(optimizer, "get_config"):
            settings["optimizer"] = optimizer.get_config()
        update_config(self.run, settings)

    def on_train_batch_end(self, batch: int, logs: Mapping[str, Any] | None = None) -> None:
        self._batches += 1
        every = self.log_every_n_batches
        if self.run is None or not every or self._batches % every or not logs:
            return
        self.run.log({f"batch/{k}": v for k, v in numbers(logs).items()}, step=self._batches)

    def on_epoch_end(self, epoch: int, logs: Mapping[str, Any] | None = None) -> None:
        if self.run is not None and logs:
            self.run.log({**numbers(logs), "epoch": epoch + 1}, step=epoch + 1)

    def on_train_end(self, logs: Mapping[str, Any] | None = None) -> None:
        if self.run is not None and self._owns_run:
            self.run.finish()
