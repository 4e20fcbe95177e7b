"""A real two-epoch Lightning fit logging through ``RunicornLogger``."""

from __future__ import annotations

from pathlib import Path

import lightning
import torch
from torch.utils.data import DataLoader, TensorDataset

from runicorn.experiment import ExperimentManager
from runicorn.integrations.lightning import RunicornLogger
from runicorn.storage.events import read_events
from runicorn.storage.jsonio import read_json


class TinyRegressor(lightning.LightningModule):
    def __init__(self, lr: float = 0.05, hidden: int = 4) -> None:
        super().__init__()
        self.save_hyperparameters()
        self.net = torch.nn.Sequential(
            torch.nn.Linear(3, hidden), torch.nn.ReLU(), torch.nn.Linear(hidden, 1)
        )

    def training_step(self, batch: tuple[torch.Tensor, torch.Tensor], index: int) -> torch.Tensor:
        x, y = batch
        loss = torch.nn.functional.mse_loss(self.net(x), y)
        self.log("train/loss", loss)
        return loss

    def validation_step(self, batch: tuple[torch.Tensor, torch.Tensor], index: int) -> None:
        x, y = batch
        self.log("val/loss", torch.nn.functional.mse_loss(self.net(x), y))

    def configure_optimizers(self) -> torch.optim.Optimizer:
        return torch.optim.SGD(self.parameters(), lr=self.hparams.lr)


def loader(seed: int) -> DataLoader[tuple[torch.Tensor, ...]]:
    generator = torch.Generator().manual_seed(seed)
    x = torch.randn(32, 3, generator=generator)
    return DataLoader(TensorDataset(x, x.sum(dim=1, keepdim=True)), batch_size=8)


def test_a_two_epoch_fit_is_recorded(root: Path, tmp_path: Path) -> None:
    torch.manual_seed(0)
    logger = RunicornLogger(project="lightning", name="tiny-regressor", storage=root)
    trainer = lightning.Trainer(
        max_epochs=2,
        logger=logger,
        default_root_dir=tmp_path,
        accelerator="cpu",
        log_every_n_steps=1,
        enable_progress_bar=False,
        enable_model_summary=False,
    )
    trainer.fit(TinyRegressor(), loader(1), loader(2))

    run_id = logger.version
    with ExperimentManager(root) as manager:
        record = manager.get(run_id)
        run_path = manager.backend.run_path(run_id)
    assert (record.project, record.name, record.status) == (
        "lightning",
        "tiny-regressor",
        "finished",
    )
    assert record.config == {"lr": 0.05, "hidden": 4}
    rows = [
        e["data"] for e in read_events(run_path / "events.jsonl").events if e["type"] == "metrics"
    ]
    train = [row for row in rows if "train/loss" in row]
    assert [row["global_step"] for row in train] == list(range(0, 8))
    val = [row for row in rows if "val/loss" in row]
    assert [(row["global_step"], row["epoch"]) for row in val] == [(3, 0), (7, 1)]
    assert record.metrics["val/loss"].last == val[-1]["val/loss"]
    assert trainer.checkpoint_callback is not None
    best = Path(trainer.checkpoint_callback.best_model_path)
    assert best.is_file() and tmp_path in best.parents
    assert read_json(run_path / "artifacts.json")["produced"] == ["tiny-regressor-checkpoint:v1"]
