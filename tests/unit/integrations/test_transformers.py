"""A real Hugging Face ``Trainer`` on a tiny model built from a config (no download)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest
import torch

os.environ.setdefault("HF_HUB_OFFLINE", "1")

from transformers import BertConfig, BertForSequenceClassification, Trainer, TrainingArguments

from runicorn.experiment import ExperimentManager
from runicorn.integrations.transformers import RunicornCallback
from runicorn.storage.events import read_events
from runicorn.storage.jsonio import read_json


class TinyTexts(torch.utils.data.Dataset[dict[str, Any]]):
    def __init__(self, count: int, seed: int) -> None:
        generator = torch.Generator().manual_seed(seed)
        self.ids = torch.randint(1, 30, (count, 6), generator=generator)
        self.labels = (self.ids.sum(dim=1) % 2).long()

    def __len__(self) -> int:
        return len(self.ids)

    def __getitem__(self, index: int) -> dict[str, Any]:
        return {
            "input_ids": self.ids[index],
            "attention_mask": torch.ones(6, dtype=torch.long),
            "labels": self.labels[index],
        }


def test_a_trainer_run_is_recorded(
    root: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    torch.manual_seed(0)
    config = BertConfig(
        vocab_size=32,
        hidden_size=8,
        num_hidden_layers=1,
        num_attention_heads=2,
        intermediate_size=16,
        max_position_embeddings=16,
        num_labels=2,
    )
    model = BertForSequenceClassification(config)
    arguments = TrainingArguments(
        output_dir=str(tmp_path / "bert-tiny"),
        num_train_epochs=2,
        per_device_train_batch_size=8,
        per_device_eval_batch_size=8,
        learning_rate=5e-3,
        logging_steps=1,
        eval_strategy="epoch",
        save_strategy="epoch",
        load_best_model_at_end=True,
        metric_for_best_model="eval_loss",
        report_to=[],
        use_cpu=True,
        disable_tqdm=True,
    )
    callback = RunicornCallback(project="nlp", storage=root)
    trainer = Trainer(
        model=model,
        args=arguments,
        train_dataset=TinyTexts(16, 1),
        eval_dataset=TinyTexts(8, 2),
        callbacks=[callback],
    )
    trainer.train()

    assert callback.run is not None and callback.run.id is not None
    with ExperimentManager(root) as manager:
        record = manager.get(callback.run.id)
        run_path = manager.backend.run_path(record.id)
    assert (record.project, record.name, record.status) == ("nlp", "bert-tiny", "finished")
    assert record.config["learning_rate"] == 5e-3 and record.config["num_train_epochs"] == 2
    assert record.config["model"]["hidden_size"] == 8
    rows = [
        e["data"] for e in read_events(run_path / "events.jsonl").events if e["type"] == "metrics"
    ]
    train = [row for row in rows if "train/loss" in row]
    assert [row["global_step"] for row in train] == [1, 2, 3, 4]
    evals = [row for row in rows if "eval/loss" in row]
    assert [row["global_step"] for row in evals] == [2, 4]
    assert record.summary["best_metric_name"] == "eval_loss"
    assert record.summary["best_metric"] == min(row["eval/loss"] for row in evals)
    assert record.summary["best_model_checkpoint"].startswith(str(tmp_path / "bert-tiny"))
    assert record.summary["train_runtime"] > 0
    assert read_json(run_path / "artifacts.json")["produced"] == ["bert-tiny-best:v1"]
