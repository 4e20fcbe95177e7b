"""A ``SummaryWriter`` with tensorboardX's (and ``torch.utils.tensorboard``'s) common methods.

    from runicorn.compat.tensorboard import SummaryWriter
    writer = SummaryWriter("runs/resnet")          # a run in project "tensorboard", name "resnet"
    writer.add_scalar("train/loss", 0.5, global_step=1)
    writer.close()

With a run already started by ``rn.init`` (and no ``project``/``name`` given), the writer logs
into that run and leaves finishing it to its owner. Values logged without ``global_step`` go
to the run's current step, as several ``add_scalar`` calls of one step usually do.
"""

from __future__ import annotations

import os
import socket
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from runicorn import sdk
from runicorn.compat._values import (
    histogram_of,
    hwc_image,
    image_grid,
    log_histogram,
    to_numpy,
)

DEFAULT_PROJECT = "tensorboard"
_UNSAFE = set('<>:"\\|?*')


def _name_from_log_dir(log_dir: str) -> str:
    """A run name from a log folder: its last part, with characters names cannot hold replaced."""
    last = Path(log_dir).name or "default"
    cleaned = "".join("_" if ch in _UNSAFE or ord(ch) < 32 else ch for ch in last).strip(" .")
    return cleaned[:128] or "default"


def _default_log_dir(comment: str) -> str:
    stamp = time.strftime("%b%d_%H-%M-%S")
    return os.path.join("runs", f"{stamp}_{socket.gethostname()}{comment}")


class SummaryWriter:
    """Writes what TensorBoard's writer would into a Runicorn run."""

    def __init__(
        self,
        log_dir: str | os.PathLike[str] | None = None,
        comment: str = "",
        *,
        project: str | None = None,
        name: str | None = None,
        run: sdk.Run | sdk.NoOpRun | None = None,
        config: Mapping[str, Any] | None = None,
        storage: str | os.PathLike[str] | None = None,
        **_: Any,
    ) -> None:
        self.log_dir = str(log_dir) if log_dir is not None else _default_log_dir(comment)
        active = sdk.get_active_run()
        if run is None and project is None and name is None and active is not None:
            run = active
        self._owns_run = run is None
        if run is None:
            run = sdk.init(
                project=project or DEFAULT_PROJECT,
                name=name or _name_from_log_dir(self.log_dir),
                config=config,
                storage=storage,
            )
        self.run = run

    def get_logdir(self) -> str:
        """The log folder this writer stands for (nothing is written there)."""
        return self.log_dir

    def _step(self, global_step: int | None) -> int:
        return self.run.step if global_step is None else int(global_step)

    def add_scalar(
        self,
        tag: str,
        scalar_value: Any,
        global_step: int | None = None,
        walltime: float | None = None,
        **_: Any,
    ) -> None:
        """One value of the series ``tag``."""
        self.run.log({tag: scalar_value}, step=self._step(global_step))

    def add_scalars(
        self,
        main_tag: str,
        tag_scalar_dict: Mapping[str, Any],
        global_step: int | None = None,
        walltime: float | None = None,
    ) -> None:
        """Several series under ``main_tag`` at once (``main_tag/sub_tag``)."""
        values = {f"{main_tag}/{tag}": value for tag, value in tag_scalar_dict.items()}
        self.run.log(values, step=self._step(global_step))

    def add_image(
        self,
        tag: str,
        img_tensor: Any,
        global_step: int | None = None,
        walltime: float | None = None,
        dataformats: str = "CHW",
    ) -> None:
        """One image (``dataformats`` CHW, HWC or HW; floats in 0-1 or 0-255)."""
        try:
            image = hwc_image(img_tensor, dataformats)
        except Exception:
            image = img_tensor  # let log_image report what it cannot read
        self.run.log_image(tag, image, step=self._step(global_step))

    def add_images(
        self,
        tag: str,
        img_tensor: Any,
        global_step: int | None = None,
        walltime: float | None = None,
        dataformats: str = "NCHW",
    ) -> None:
        """A batch of images, tiled into one picture as TensorBoard shows it."""
        try:
            grid: Any = image_grid(to_numpy(img_tensor), dataformats)
        except Exception:
            grid = img_tensor
        self.run.log_image(tag, grid, step=self._step(global_step))

    def add_histogram(
        self,
        tag: str,
        values: Any,
        global_step: int | None = None,
        bins: Any = "tensorflow",
        walltime: float | None = None,
        max_bins: int | None = None,
    ) -> None:
        """The distribution of ``values`` at a step."""
        try:
            edges, counts = histogram_of(values, bins=max_bins or bins)
        except Exception:
            return
        log_histogram(self.run, tag, edges, counts, self._step(global_step))

    def add_text(
        self,
        tag: str,
        text_string: str,
        global_step: int | None = None,
        walltime: float | None = None,
    ) -> None:
        """A line of text, kept in the run's log with its tag and step."""
        self.run.log_text(f"[{tag} step {self._step(global_step)}] {text_string}")

    def add_hparams(
        self,
        hparam_dict: Mapping[str, Any],
        metric_dict: Mapping[str, Any],
        hparam_domain_discrete: Any = None,
        run_name: str | None = None,
        global_step: int | None = None,
    ) -> None:
        """Hyperparameters go to the config, their metrics to the summary."""
        if isinstance(self.run, sdk.Run):
            self.run.config.update(dict(hparam_dict))
        self.run.summary(dict(metric_dict))

    def flush(self) -> None:
        """Ask the run's writer to write what it holds now."""
        writer = getattr(self.run, "_writer", None)
        if writer is not None:
            writer.wake()

    def close(self) -> None:
        """Finish the run if this writer started it."""
        if self._owns_run:
            self.run.finish()

    def __enter__(self) -> SummaryWriter:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
