"""``/api/v2/fields`` names every key so the same name sorts and filters (issue 8, item 1)."""

from __future__ import annotations

from pathlib import Path

import httpx
from tests.integration.conftest import LiveServer, make_run

CONFIGS = [
    {"batch_size": 32, "weight decay": 0.05, "optimizer.betas": [0.9, 0.95],
     "optimizer": {"name": "adamw"}, "学习率": 1e-3},
    {"batch_size": 256, "weight decay": 0.0, "optimizer.betas": [0.9, 0.999],
     "optimizer": {"name": "sgd"}, "学习率": 3e-4},
    {"batch_size": 64, "weight decay": 0.01, "optimizer.betas": [0.8, 0.99],
     "optimizer": {"name": "adamw"}, "学习率": 1e-2},
]  # fmt: skip


def test_fields_with_spaces_dots_and_unicode_sort_and_filter_over_http(
    root: Path, live_server: LiveServer
) -> None:
    runs = [
        make_run(root, config=config, summary={"best_val_acc": 0.7 + i / 10},
                 log=lambda run, step: run.log({"val/acc": step / 10, "train/loss": 1 / step}))
        for i, config in enumerate(CONFIGS)
    ]  # fmt: skip
    with httpx.Client(base_url=live_server.url, timeout=30) as http:
        fields = http.get("/api/v2/fields").json()
        config = {entry["key"]: entry for entry in fields["config"]}
        assert config["weight decay"]["field"] == 'config."weight decay"'
        assert config["weight decay"]["path"] == ["weight decay"]
        assert config["optimizer.betas"]["field"] == 'config."optimizer.betas"'
        assert config["optimizer.name"]["path"] == ["optimizer", "name"]
        assert config["batch_size"]["field"] == "config.batch_size"
        summary = {entry["key"]: entry["field"] for entry in fields["summary"]}
        metrics = {entry["key"]: entry["field"] for entry in fields["metrics"]}

        def order(sort: str) -> list[str]:
            response = http.get("/api/v2/experiments", params={"sort": sort})
            assert response.status_code == 200, response.text
            return [item["id"] for item in response.json()["items"]]

        ids = [run.id for run in runs]
        assert order(config["weight decay"]["field"]) == [ids[1], ids[2], ids[0]]
        assert order("-" + config["batch_size"]["field"]) == [ids[1], ids[2], ids[0]]
        assert order(config["学习率"]["field"]) == [ids[1], ids[0], ids[2]]
        assert order("-" + summary["best_val_acc"]) == [ids[2], ids[1], ids[0]]
        assert order(config["optimizer.betas"]["field"] + "," + metrics["val/acc"] + ".max")
        for entry in fields["config"] + fields["summary"]:
            assert (
                http.get("/api/v2/experiments", params={"sort": entry["field"]}).status_code == 200
            )

        def matching(expression: str) -> list[str]:
            response = http.get("/api/v2/experiments", params={"filter": expression})
            assert response.status_code == 200, response.text
            return sorted(item["id"] for item in response.json()["items"])

        assert matching(f"{config['weight decay']['field']} > 0.005") == sorted([ids[0], ids[2]])
        assert matching(f"{config['optimizer.betas']['field']} contains 0.8") == [ids[2]]
        assert matching(f"{config['optimizer.name']['field']} = sgd") == [ids[1]]
