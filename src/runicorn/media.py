"""Turning what a training script hands ``log_image`` into a file in the run's ``media/``."""

from __future__ import annotations

import io
import os
import shutil
from pathlib import Path
from typing import Any


def save_image(image: Any, folder: Path, stem: str) -> str:
    """Write ``image`` into ``folder`` as ``<stem>.png`` (or a copy of a file) and return its name.

    Accepts a PIL image, an array-like of shape HxW, HxWxC or CxHxW (a torch tensor's layout),
    floats in 0-1 or 0-255, or a path to an existing image file.
    """
    if isinstance(image, str | os.PathLike):
        source = Path(image)
        target = folder / f"{stem}{source.suffix.lower() or '.bin'}"
        shutil.copyfile(source, target)
        return target.name
    from PIL import Image

    if not isinstance(image, Image.Image):
        import numpy as np

        if hasattr(image, "detach"):  # a torch tensor, maybe on a GPU
            image = image.detach().cpu().numpy()
        array = np.asarray(image)
        if array.ndim == 3 and array.shape[0] in (1, 3, 4) and array.shape[-1] not in (1, 3, 4):
            array = np.moveaxis(array, 0, -1)  # CHW (torch) to HWC
        if array.ndim == 3 and array.shape[-1] == 1:
            array = array[..., 0]
        if array.dtype != np.uint8:
            array = np.nan_to_num(array.astype(np.float64))
            if array.max(initial=0.0) <= 1.0:
                array = array * 255.0
            array = np.clip(array, 0, 255).astype(np.uint8)
        image = Image.fromarray(array)
    target = folder / f"{stem}.png"
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    target.write_bytes(buffer.getvalue())
    return target.name
