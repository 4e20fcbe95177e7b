"""Artifacts, lineage and models in the browser, on a chain recorded by the public SDK:
prepare-cifar10 produces the ``cifar10`` dataset, train-resnet18 uses it and produces two
``resnet18-cifar10`` checkpoints, eval-resnet18 uses the newer checkpoint and the dataset.

The module has a viewer and a root of its own (the shared e2e root must not gain runs), and
overrides ``viewer`` so the shared ``page`` fixture (console errors, screenshots) points at it.
"""

from __future__ import annotations

import json
import os
import re
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

pytest.importorskip("playwright.sync_api", reason="browser tests need the playwright package")
from playwright.sync_api import Locator, Page, expect

import runicorn as rn

from .conftest import ConsoleErrors, Viewer, running_viewer

pytestmark = pytest.mark.e2e

PROJECT = "vision"
DATASET = "cifar10"
MODEL = "resnet18-cifar10"


@dataclass(frozen=True)
class Chain:
    prepare: str
    train: str
    evaluate: str
    checkpoint: bytes
    train_yaml: bytes


def _quiet_run(root: Path, name: str, config: dict[str, object] | None = None) -> rn.Run:
    return rn.init(
        project=PROJECT, name=name, config=config or {}, storage=root,
        capture_console=False, capture_env=False, system_metrics=False,
    )  # fmt: skip


def _record_chain(root: Path, work: Path) -> Chain:
    """dataset → training run → model (v1, v2) → evaluation run, through the public SDK."""
    data = work / "cifar-10-batches"
    (data / "train").mkdir(parents=True)
    (data / "test").mkdir()
    (data / "标注").mkdir()
    (data / "train" / "data_batch_1.bin").write_bytes(os.urandom(30_730))
    (data / "train" / "data_batch_2.bin").write_bytes(os.urandom(30_730))
    (data / "test" / "test_batch.bin").write_bytes(os.urandom(10_243))
    (data / "batches.meta.txt").write_text("airplane\nautomobile\nbird\ncat\ndeer\n")
    labels = json.dumps({"0": "飞机", "1": "汽车"}, ensure_ascii=False)
    (data / "标注" / "类别.json").write_text(labels, encoding="utf-8")

    prepare = _quiet_run(root, "prepare-cifar10")
    dataset = rn.Artifact(
        DATASET, "dataset", description="CIFAR-10, 50k train / 10k test",
        metadata={"classes": 10, "split": {"train": 50_000, "test": 10_000}},
    )  # fmt: skip
    dataset.add_dir(data)
    assert prepare.log_artifact(dataset, aliases=["stable"]).wait(60) is not None
    prepare.finish()

    config = {"lr": 3e-4, "batch_size": 128, "weight decay": 5e-4, "optimizer.betas": [0.9, 0.999]}
    train = _quiet_run(root, "train-resnet18", config)
    used = train.use_artifact(f"{DATASET}:stable")
    assert used is not None
    checkpoints = work / "checkpoints"
    (checkpoints / "config").mkdir(parents=True)
    train_yaml = b"model: resnet18\nlr: 0.0003\nbatch_size: 128\n"
    (checkpoints / "config" / "train.yaml").write_bytes(train_yaml)
    checkpoint = b""
    for epoch, acc in ((10, 0.887), (20, 0.931)):
        for step in range(epoch - 9, epoch + 1):
            train.log({"train/loss": 2.0 / step, "val/acc": acc - 0.01 * (epoch - step)}, step=step)
        checkpoint = os.urandom(64_000)
        (checkpoints / "model.pt").write_bytes(checkpoint)
        handle = train.log_model(
            checkpoints, MODEL, aliases=["candidate"] if epoch == 20 else None,
            metadata={"epoch": epoch, "val/acc": acc, "学习率": 3e-4},
        )  # fmt: skip
        assert handle.wait(60) is not None
    train.finish()

    evaluate = _quiet_run(root, "eval-resnet18")
    assert evaluate.use_artifact(f"{MODEL}:candidate") is not None
    assert evaluate.use_artifact(f"{DATASET}:stable") is not None
    evaluate.summary({"test/acc": 0.928})
    evaluate.finish()
    return Chain(prepare.id, train.id, evaluate.id, checkpoint, train_yaml)


@pytest.fixture(scope="module")
def chain_root(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Chain]:
    root = tmp_path_factory.mktemp("artifacts-root")
    return root, _record_chain(root, tmp_path_factory.mktemp("artifacts-work"))


@pytest.fixture(scope="module")
def chain(chain_root: tuple[Path, Chain]) -> Chain:
    return chain_root[1]


@pytest.fixture(scope="module")
def viewer(
    chain_root: tuple[Path, Chain], tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Viewer]:
    """A viewer of this module's own on the chain's root."""
    with running_viewer(chain_root[0], tmp_path_factory.mktemp("artifacts-viewer"), 3) as server:
        yield server


def _node(page: Page, node_id: str) -> Locator:
    return page.locator(f'[data-testid="lineage-node"][data-node-id="{node_id}"]')


def _viewport_transform(page: Page) -> str:
    return page.locator(".react-flow__viewport").evaluate("el => el.style.transform")


def _transform_after_change(page: Page, before: str, timeout: float = 5.0) -> str:
    """The graph's viewport transform once it differs from ``before`` (zooms may animate)."""
    deadline = time.monotonic() + timeout
    while (now := _viewport_transform(page)) == before:
        assert time.monotonic() < deadline, f"the graph's viewport stayed at {before}"
        page.wait_for_timeout(50)
    return now


def test_artifacts_version_lineage_and_producer_run(
    page: Page, chain: Chain, screenshot: Callable[[Page, str], None]
) -> None:
    page.goto("/")
    page.get_by_test_id("nav-artifacts").click()
    rows = page.get_by_test_id("artifact-row")
    expect(rows.first).to_be_visible()
    page.get_by_test_id("artifacts-project").select_option(PROJECT)
    expect(rows).to_have_count(2)
    expect(page.get_by_test_id("artifacts-count")).to_have_attribute("data-total", "2")
    page.get_by_test_id("artifacts-type").select_option("dataset")
    expect(rows).to_have_count(1)
    expect(rows.first).to_have_attribute("data-name", DATASET)
    expect(page).to_have_url(re.compile(rf"/artifacts\?project={PROJECT}&type=dataset$"))
    page.get_by_test_id("artifacts-type").select_option("")
    page.get_by_test_id("artifacts-search").fill("RESNET")
    expect(rows).to_have_count(1)
    model_row = page.locator(f'[data-testid="artifact-row"][data-name="{MODEL}"]')
    expect(model_row).to_contain_text("candidate → v2")

    # The artifact's versions, then the newest one.
    model_row.get_by_test_id("artifact-link").click()
    expect(page.get_by_test_id("version-row")).to_have_count(2)
    page.locator('[data-testid="version-row"][data-version="2"]').get_by_test_id(
        "version-link"
    ).click()
    expect(page.get_by_test_id("version-title")).to_have_text(f"{MODEL}:v2")

    # Files as a tree with real sizes; the checkpoint downloads byte for byte.
    tree = page.get_by_test_id("file-tree")
    expect(tree).to_have_attribute("data-files", "2")
    expect(page.get_by_test_id("file-total")).to_have_attribute(
        "data-bytes", str(len(chain.checkpoint) + len(chain.train_yaml))
    )
    config_dir = page.locator('[data-testid="file-row"][data-path="config"]')
    expect(config_dir).to_have_attribute("data-kind", "dir")
    yaml_row = page.locator('[data-testid="file-row"][data-path="config/train.yaml"]')
    yaml_size = yaml_row.get_by_test_id("file-size")
    expect(yaml_size).to_have_attribute("data-bytes", str(len(chain.train_yaml)))
    config_dir.get_by_test_id("file-dir-toggle").click()
    expect(yaml_row).to_have_count(0)
    config_dir.get_by_test_id("file-dir-toggle").click()
    expect(yaml_row).to_be_visible()
    model_file = page.locator('[data-testid="file-row"][data-path="model.pt"]')
    with page.expect_download() as download_info:
        model_file.get_by_test_id("file-download").click()
    download = download_info.value
    assert download.suggested_filename == "model.pt"
    assert Path(download.path()).read_bytes() == chain.checkpoint
    with page.expect_download() as zip_info:
        page.get_by_test_id("version-download").click()
    assert zip_info.value.suggested_filename == f"{MODEL}-v2.zip"

    # Producer and consumer runs are links.
    expect(page.get_by_test_id("producer-link")).to_have_attribute("data-run-id", chain.train)
    expect(page.get_by_test_id("consumer-link")).to_have_count(1)
    expect(page.get_by_test_id("consumer-link")).to_have_attribute("data-run-id", chain.evaluate)

    page.get_by_test_id("version-tab-metadata").click()
    metadata = page.get_by_test_id("metadata-table")
    expect(metadata.locator('tr[data-key="val/acc"]')).to_contain_text("0.931")
    expect(metadata.locator('tr[data-key="学习率"]')).to_contain_text("3e-4")

    # The lineage: dataset → train → v1, v2 → eval (and the dataset → eval edge), centred on v2.
    page.get_by_test_id("version-tab-lineage").click()
    expect(page).to_have_url(re.compile(r"tab=lineage"))
    graph = page.get_by_test_id("lineage-graph")
    expect(graph).to_have_attribute("data-nodes", "6")
    expect(graph).to_have_attribute("data-edges", "6")
    root = _node(page, f"artifact:{PROJECT}/{MODEL}:v2")
    expect(root).to_have_attribute("data-root", "true")
    for run_id in (chain.prepare, chain.train, chain.evaluate):
        expect(_node(page, f"run:{run_id}")).to_be_visible()
    dataset_box = _node(page, f"artifact:{PROJECT}/{DATASET}:v1").bounding_box()
    train_box = _node(page, f"run:{chain.train}").bounding_box()
    eval_box = _node(page, f"run:{chain.evaluate}").bounding_box()
    assert dataset_box and train_box and eval_box
    assert dataset_box["x"] < train_box["x"] < eval_box["x"], "data flows left to right"

    screenshot(page, "lineage")

    # Zoom with the control, pan by dragging the empty canvas.
    before = _viewport_transform(page)
    page.locator(".react-flow__controls-zoomin").click()
    zoomed = _transform_after_change(page, before)
    pane = graph.locator(".react-flow__pane")
    box = pane.bounding_box()
    assert box
    page.mouse.move(box["x"] + 40, box["y"] + 40)
    page.mouse.down()
    page.mouse.move(box["x"] + 140, box["y"] + 90, steps=5)
    page.mouse.up()
    _transform_after_change(page, zoomed)

    # Click through to the producer run.
    _node(page, f"run:{chain.train}").click()
    expect(page).to_have_url(re.compile(rf"/runs/{chain.train}$"))
    expect(page.get_by_test_id("run-title")).to_contain_text("train-resnet18")

    # The run's own artifacts tab: what it used and produced, and its lineage.
    page.get_by_test_id("tab-artifacts").click()
    expect(page).to_have_url(re.compile(r"tab=artifacts"))
    used = page.locator('[data-testid="run-artifact-row"][data-direction="used"]')
    produced = page.locator('[data-testid="run-artifact-row"][data-direction="produced"]')
    expect(used).to_have_count(1)
    expect(used.first).to_have_attribute("data-name", DATASET)
    expect(produced).to_have_count(2)
    expect(page.get_by_test_id("lineage-graph")).to_have_attribute("data-nodes", "6")
    expect(_node(page, f"run:{chain.train}")).to_have_attribute("data-root", "true")
    used.first.get_by_test_id("run-artifact-link").click()
    expect(page.get_by_test_id("version-title")).to_have_text(f"{DATASET}:v1")
    expect(page.locator('[data-testid="file-row"][data-path="标注/类别.json"]')).to_be_visible()


def test_alias_edit_moves_the_alias_and_refuses_bad_names(page: Page, viewer: Viewer) -> None:
    page.goto(f"/artifacts/{PROJECT}/{MODEL}/v1")
    editor = page.get_by_test_id("alias-editor")
    expect(editor.get_by_test_id("alias-chip")).to_have_count(0)

    alias_input = page.get_by_test_id("alias-input")
    alias_input.fill("v7")
    expect(page.get_by_test_id("alias-problem")).to_be_visible()
    expect(page.get_by_test_id("alias-add")).to_be_disabled()

    # "candidate" is on v2: adding it here moves it.
    alias_input.fill("candidate")
    page.get_by_test_id("alias-add").click()
    expect(editor.locator('[data-alias="candidate"]')).to_be_visible()
    alias_input.fill("baseline")
    alias_input.press("Enter")
    expect(editor.locator('[data-alias="baseline"]')).to_be_visible()
    page.reload()
    expect(editor.get_by_test_id("alias-chip")).to_have_count(2)
    stored = viewer.api(f"/api/artifacts/{PROJECT}/{MODEL}")["items"]
    by_version = {v["version"]: v["aliases"] for v in stored}
    assert sorted(by_version[1]) == ["baseline", "candidate"]
    assert "candidate" not in by_version[2]

    editor.locator('[data-alias="baseline"]').get_by_test_id("alias-remove").click()
    expect(editor.locator('[data-alias="baseline"]')).to_have_count(0)
    # Put things back as the other tests expect them.
    with httpx.Client(base_url=viewer.url, timeout=30) as client:
        client.put(
            f"/api/artifacts/{PROJECT}/{MODEL}/2/aliases", json={"aliases": ["candidate"]}
        ).raise_for_status()
    assert viewer.api(f"/api/artifacts/{PROJECT}/{MODEL}/1")["aliases"] == []


def test_promote_a_model_with_a_reason_and_see_the_history(
    page: Page, viewer: Viewer, screenshot: Callable[[Page, str], None]
) -> None:
    page.goto("/")
    page.get_by_test_id("nav-models").click()
    row = page.locator(f'[data-testid="model-row"][data-name="{MODEL}"]')
    expect(row.get_by_test_id("model-production")).to_have_attribute("data-version", "")
    row.get_by_test_id("model-link").click()
    expect(page.get_by_test_id("model-title")).to_have_text(MODEL)
    v1 = page.locator('[data-testid="model-version-row"][data-version="1"]')
    v2 = page.locator('[data-testid="model-version-row"][data-version="2"]')
    expect(v2).to_have_attribute("data-stage", "none")
    expect(page.get_by_test_id("history-empty")).to_be_visible()

    # v1 goes to production first, straight from the stage list.
    v1.get_by_test_id("promote").click()
    form = page.get_by_test_id("transition-form")
    form.get_by_test_id("transition-stage").select_option("production")
    form.get_by_test_id("transition-reason").fill("baseline for the demo")
    form.get_by_test_id("transition-submit").click()
    expect(v1).to_have_attribute("data-stage", "production")
    expect(page.get_by_test_id("model-page")).to_have_attribute("data-production", "1")

    # v2 via staging to production, which archives v1.
    v2.get_by_test_id("promote").click()
    expect(form.get_by_test_id("transition-stage")).to_have_value("staging")
    form.get_by_test_id("transition-reason").fill("val/acc 0.931 on the held-out split")
    form.get_by_test_id("transition-submit").click()
    expect(v2).to_have_attribute("data-stage", "staging")
    expect(v2.get_by_test_id("stage-cell-staging")).to_have_attribute("data-current", "true")
    v2.get_by_test_id("promote").click()
    expect(form.get_by_test_id("transition-stage")).to_have_value("production")
    expect(form.get_by_test_id("transition-archive-previous")).to_be_checked()
    form.get_by_test_id("transition-reason").fill("best val/acc: 0.931 vs 0.887")
    form.get_by_test_id("transition-submit").click()
    expect(v2).to_have_attribute("data-stage", "production")
    expect(v1).to_have_attribute("data-stage", "archived")
    expect(page.get_by_test_id("transition-notice")).to_contain_text("v1: production → archived")

    history = page.get_by_test_id("history-row")
    expect(history).to_have_count(4)
    newest = history.first
    expect(newest).to_have_attribute("data-version", "2")
    expect(newest).to_have_attribute("data-to", "production")
    expect(newest.get_by_test_id("history-reason")).to_have_text("best val/acc: 0.931 vs 0.887")
    archived = page.locator('[data-testid="history-row"][data-version="1"][data-to="archived"]')
    expect(archived.get_by_test_id("history-reason")).to_have_text("replaced by v2")
    expect(newest).to_contain_text("viewer")
    screenshot(page, "history")

    page.get_by_test_id("nav-models").click()
    expect(row.get_by_test_id("model-production")).to_have_attribute("data-version", "2")
    assert viewer.api(f"/api/model-lifecycle/models/{PROJECT}/{MODEL}")["production_version"] == 2


def test_pages_in_chinese_and_dark(page: Page, chain: Chain) -> None:
    page.goto(f"/artifacts/{PROJECT}/{DATASET}/stable?tab=lineage")
    page.get_by_test_id("lang-zh").click()
    page.get_by_test_id("theme-toggle").click()
    expect(page.locator("html")).to_have_attribute("data-theme", "dark")
    expect(page.get_by_test_id("nav-artifacts")).to_have_text("制品")
    expect(page.get_by_test_id("version-tab-lineage")).to_have_text("血缘")
    expect(page.get_by_test_id("lineage-count")).to_contain_text("个节点")
    expect(page.get_by_test_id("lineage-graph").locator(".react-flow.dark")).to_have_count(1)
    expect(_node(page, f"run:{chain.prepare}")).to_be_visible()
    page.get_by_test_id("nav-models").click()
    expect(page.get_by_test_id("models-table")).to_contain_text("生产版本")


def test_unknown_artifacts_versions_and_models_say_so(
    page: Page, console_errors: ConsoleErrors
) -> None:
    # Chromium logs the API's 404 answers itself; those are the point here.
    console_errors.allow(r"status of 404")
    page.goto(f"/artifacts/{PROJECT}/imagenet-21k")
    expect(page.get_by_test_id("artifact-not-found")).to_contain_text(f"{PROJECT}/imagenet-21k")
    page.goto(f"/artifacts/{PROJECT}/{MODEL}/v99")
    expect(page.get_by_test_id("version-not-found")).to_be_visible()
    page.get_by_test_id("version-not-found").get_by_role("link").click()
    expect(page.get_by_test_id("version-row")).to_have_count(2)
    page.goto(f"/models/{PROJECT}/{DATASET}")
    expect(page.get_by_test_id("model-not-found")).to_be_visible()


def test_deleting_a_version_keeps_it_in_the_lineage_as_deleted(
    page: Page, viewer: Viewer, tmp_path: Path
) -> None:
    run = rn.init(
        project="nlp", name="train-tokenizer", storage=viewer.root,
        capture_console=False, capture_env=False, system_metrics=False,
    )  # fmt: skip
    vocab = tmp_path / "vocab.json"
    for size in (8_000, 32_000):
        vocab.write_text(json.dumps({f"tok{i}": i for i in range(size // 100)}))
        assert run.log_model(vocab, "bpe-tokenizer", metadata={"vocab_size": size}).wait(60)
    run.finish()
    deadline = time.monotonic() + 30
    while viewer.api("/api/artifacts", project="nlp")["total"] < 1:
        assert time.monotonic() < deadline, "the viewer did not see the new artifact"
        time.sleep(0.1)

    page.goto("/artifacts/nlp/bpe-tokenizer/v1")
    expect(page.get_by_test_id("version-title")).to_have_text("bpe-tokenizer:v1")
    page.get_by_test_id("version-delete").click()
    page.get_by_test_id("version-delete-confirm").click()
    expect(page).to_have_url(re.compile(r"/artifacts/nlp/bpe-tokenizer$"))
    expect(page.get_by_test_id("version-row")).to_have_count(1)
    expect(page.get_by_test_id("version-row")).to_have_attribute("data-version", "2")

    page.goto(f"/runs/{run.id}?tab=artifacts")
    expect(
        page.locator('[data-testid="run-artifact-row"][data-direction="produced"]')
    ).to_have_count(1)
    gone = _node(page, "artifact:nlp/bpe-tokenizer:v1")
    expect(gone).to_have_attribute("data-href", "")
    expect(gone).to_contain_text("deleted version")
    gone.click()
    expect(page).to_have_url(re.compile(rf"/runs/{run.id}\?tab=artifacts$"))
