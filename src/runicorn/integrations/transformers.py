"""``RunicornCallback``: a Hugging Face ``TrainerCallback`` recording into a Runicorn run.

    trainer = Trainer(..., callbacks=[RunicornCallback(project="nlp")])

The training arguments (and the model's config, under ``model``) go to the config; training
logs are charted as ``train/*``, evaluation logs as ``eval/*`` at the global step; the final
statistics (runtime, samples per second, FLOPs) and the best metric and checkpoint go to the
summary; the best model becomes a model artifact of the run. Only the main process records.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from runicorn import sdk
from runicorn.integrations._runs import log_model_file, numbers, start_run, update_config

try:
    from transformers import TrainerCallback
except ImportError as exc:
    raise ImportError(
        "runicorn.integrations.transformers needs transformers: "
        "pip install 'runicorn[transformers]'"
    ) from exc

_FINAL_KEYS = ("train_runtime", "train_samples_per_second", "train_steps_per_second", "total_flos")


def _chart_key(key: str) -> str:
    for prefix in ("eval", "test", "predict"):
        if key.startswith(f"{prefix}_"):
            return f"{prefix}/{key[len(prefix) + 1 :]}"
    return f"train/{key}"


class RunicornCallback(TrainerCallback):
    """Records a ``Trainer``'s arguments, logs and best model."""

    def __init__(
        self,
        project: str = "huggingface",
        name: str | None = None,
        *,
        tags: Iterable[str] | None = None,
        storage: str | os.PathLike[str] | None = None,
        run: sdk.Run | sdk.NoOpRun | None = None,
        log_model: bool = True,
    ) -> None:
        self.project = project
        self.name = name
        self.tags = tags
        self.storage = storage
        self.run = run
        self.log_model = log_model
        self._owns_run = False

    def _ensure_run(self, args: Any, model: Any) -> sdk.Run | sdk.NoOpRun:
        if self.run is None:
            name = self.name or getattr(args, "run_name", None) or Path(args.output_dir).name
            self.run, self._owns_run = start_run(
                None,
                project=self.project,
                name=str(name).strip("/") or "default",
                config=None,
                tags=self.tags,
                storage=self.storage,
            )
            update_config(self.run, args.to_dict())
            model_config = getattr(model, "config", None)
            if model_config is not None and hasattr(model_config, "to_dict"):
                update_config(self.run, {"model": model_config.to_dict()})
        return self.run

    def on_train_begin(
        self, args: Any, state: Any, control: Any, model: Any = None, **kwargs: Any
    ) -> None:
        if state.is_world_process_zero:
            self._ensure_run(args, model)

    def on_log(
        self,
        args: Any,
        state: Any,
        control: Any,
        logs: dict[str, Any] | None = None,
        model: Any = None,
        **kwargs: Any,
    ) -> None:
        if not state.is_world_process_zero or not logs:
            return
        run = self._ensure_run(args, model)
        values = numbers(logs)
        final = {key: values.pop(key) for key in _FINAL_KEYS if key in values}
        if final:
            if "train_loss" in values:
                final["train_loss"] = values.pop("train_loss")
            run.summary(final)
        charted = {_chart_key(key): value for key, value in values.items()}
        if charted:
            run.log(charted, step=state.global_step)

    def on_train_end(
        self, args: Any, state: Any, control: Any, model: Any = None, **kwargs: Any
    ) -> None:
        if not state.is_world_process_zero or self.run is None:
            return
        best: dict[str, Any] = {}
        if state.best_metric is not None:
            best["best_metric"] = state.best_metric
            best["best_metric_name"] = args.metric_for_best_model
        if state.best_model_checkpoint:
            best["best_model_checkpoint"] = state.best_model_checkpoint
        if best:
            self.run.summary(best)
        if self.log_model and state.best_model_checkpoint:
            log_model_file(
                self.run,
                state.best_model_checkpoint,
                f"{self.run.name or 'model'}-best".replace("/", "-"),
            )
        if self._owns_run:
            self.run.finish()
