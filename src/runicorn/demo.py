"""Synthetic training runs for ``runicorn demo``: realistic curves, made in seconds."""

from __future__ import annotations

import math
import random
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

import runicorn as rn

_LEARNING_RATES = (3e-3, 1e-3, 3e-4, 1e-4, 3e-5)


def record_demo_runs(
    root: Path,
    *,
    runs: int = 3,
    steps: int = 2000,
    progress: Callable[[int, int], None] | None = None,
) -> list[str]:
    """Record ``runs`` runs of a pretend image classifier under ``root``; returns their ids."""
    ids: list[str] = []
    total = runs * steps
    for index in range(runs):
        lr = _LEARNING_RATES[index % len(_LEARNING_RATES)]
        rng = random.Random(index)
        run = rn.init(
            project="demo",
            name="cifar10-resnet18",
            config={
                "lr": lr,
                "batch_size": 128,
                "optimizer": {"name": "adamw", "wd": 0.05},
                "seed": index,
            },
            tags=["demo", "baseline" if index == 0 else "sweep"],
            storage=root,
            capture_console=False,
        )
        speed = 0.002 + lr * 1.5
        best = 0.0
        for step in range(1, steps + 1):
            loss = 2.3 * math.exp(-speed * step) + 0.15 + rng.gauss(0, 0.03)
            acc = min(0.99, (1 - math.exp(-speed * step)) * 0.93 + rng.gauss(0, 0.01))
            run.log(
                {
                    "train/loss": loss,
                    "train/acc": acc,
                    "lr": lr * 0.5 * (1 + math.cos(math.pi * step / steps)),
                }
            )
            if step % 100 == 0:
                val_acc = acc - 0.02 + rng.gauss(0, 0.005)
                best = max(best, val_acc)
                run.log({"val/loss": loss + 0.08, "val/acc": val_acc}, step=step)
                run.log_text(f"step {step}: loss {loss:.4f} val_acc {val_acc:.4f}")
            if step % (steps // 4 or 1) == 0:
                image = np.clip(np.random.default_rng(step).normal(0.5, 0.2, (32, 32, 3)), 0, 1)
                run.log_image("samples", image, step=step, caption=f"step {step}")
            if progress and step % 100 == 0:
                progress(index * steps + step, total)
        run.summary({"best_val_acc": best, "final_loss": loss})
        run.finish()
        ids.append(run.id or "")
    if progress:
        progress(total, total)
    return ids


def record_live_run(root: Path, seconds: float, *, steps_per_second: float = 20.0) -> str:
    """Record one run in real time for ``seconds``, to watch a live run in the viewer."""
    run = rn.init(
        project="demo",
        name="live-finetune",
        config={"lr": 1e-3, "batch_size": 64, "optimizer": {"name": "adamw", "wd": 0.01}},
        tags=["demo", "live"],
        storage=root,
        capture_console=False,
    )
    rng = random.Random(7)
    step = 0
    deadline = time.monotonic() + seconds
    with run:
        while time.monotonic() < deadline:
            step += 1
            loss = 1.6 * math.exp(-step / 400) + 0.2 + rng.gauss(0, 0.02)
            run.log({"train/loss": loss, "train/acc": 1 - loss / 2})
            if step % 50 == 0:
                run.log({"val/loss": loss + 0.05}, step=step)
                run.log_text(f"step {step}: loss {loss:.4f}")
            time.sleep(1.0 / steps_per_second)
        run.summary({"final_loss": loss if step else None, "steps": step})
    return run.id or ""


def start_live_run(root: Path, seconds: float) -> subprocess.Popen[bytes]:
    """Run :func:`record_live_run` in a background process that outlives this command."""
    code = (
        "import sys; from pathlib import Path; from runicorn.demo import record_live_run; "
        "record_live_run(Path(sys.argv[1]), float(sys.argv[2]))"
    )
    return subprocess.Popen(
        [sys.executable, "-c", code, str(root), str(seconds)],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
