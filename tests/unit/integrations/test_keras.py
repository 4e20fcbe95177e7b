"""A Keras 3 fit (torch backend) logging through ``RunicornCallback``."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest

os.environ.setdefault("KERAS_BACKEND", "torch")

import keras

from runicorn.experiment import ExperimentManager
from runicorn.integrations.keras import RunicornCallback
from runicorn.storage.events import read_events


def test_a_fit_is_recorded_epoch_by_epoch(root: Path) -> None:
    assert keras.backend.backend() == "torch"
    keras.utils.set_random_seed(0)
    rng = np.random.default_rng(0)
    x = rng.normal(size=(64, 3)).astype("float32")
    y = x.sum(axis=1, keepdims=True)
    model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(4), keras.layers.Dense(1)])
    model.compile(optimizer=keras.optimizers.Adam(learning_rate=0.01), loss="mse", metrics=["mae"])
    callback = RunicornCallback(project="keras", name="dense", storage=root, log_every_n_batches=2)
    history = model.fit(
        x, y, epochs=2, batch_size=16, validation_split=0.25, callbacks=[callback], verbose=0
    )

    assert callback.run is not None and callback.run.id is not None
    with ExperimentManager(root) as manager:
        record = manager.get(callback.run.id)
        run_path = manager.backend.run_path(record.id)
    assert (record.project, record.name, record.status) == ("keras", "dense", "finished")
    assert record.config["epochs"] == 2
    assert record.config["optimizer"]["learning_rate"] == pytest.approx(0.01)
    rows = [
        e["data"] for e in read_events(run_path / "events.jsonl").events if e["type"] == "metrics"
    ]
    epochs = [row for row in rows if "val_loss" in row]
    assert [row["global_step"] for row in epochs] == [1, 2]
    for key in ("loss", "val_loss", "mae", "val_mae"):
        assert [row[key] for row in epochs] == history.history[key]
    batches = [row for row in rows if "batch/loss" in row]
    assert [row["global_step"] for row in batches] == [2, 4, 6]
