"""Under DDP only rank 0 records: the integrations on other ranks write nothing."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

os.environ.setdefault("KERAS_BACKEND", "torch")
os.environ.setdefault("HF_HUB_OFFLINE", "1")

import numpy as np
from lightning.pytorch.utilities import rank_zero_only
from transformers import TrainerControl, TrainerState, TrainingArguments

import runicorn as rn
from runicorn.integrations.keras import RunicornCallback as KerasCallback
from runicorn.integrations.lightning import RunicornLogger
from runicorn.integrations.transformers import RunicornCallback as TransformersCallback


def test_lightning_logger_on_rank_one(root: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(rank_zero_only, "rank", 1)
    logger = RunicornLogger(project="ddp", storage=root)
    logger.log_hyperparams({"lr": 0.1})
    logger.log_metrics({"loss": 1.0}, step=1)
    logger.finalize("success")
    assert list(root.iterdir()) == []


def test_transformers_callback_off_the_main_process(root: Path, tmp_path: Path) -> None:
    callback = TransformersCallback(project="ddp", storage=root)
    arguments = TrainingArguments(output_dir=str(tmp_path / "out"), report_to=[], use_cpu=True)
    state = TrainerState(is_world_process_zero=False)
    callback.on_train_begin(arguments, state, TrainerControl())
    callback.on_log(arguments, state, TrainerControl(), logs={"loss": 1.0})
    callback.on_train_end(arguments, state, TrainerControl())
    assert callback.run is None and list(root.iterdir()) == []


def test_keras_callback_with_rank_set(root: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import keras

    monkeypatch.setenv("RANK", "1")
    model = keras.Sequential([keras.Input((2,)), keras.layers.Dense(1)])
    model.compile(optimizer="sgd", loss="mse")
    callback = KerasCallback(project="ddp", storage=root)
    x = np.zeros((8, 2), dtype="float32")
    model.fit(x, x[:, :1], epochs=1, verbose=0, callbacks=[callback])
    assert isinstance(callback.run, rn.NoOpRun)
    assert list(root.iterdir()) == []
