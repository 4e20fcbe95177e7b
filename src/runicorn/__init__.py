"""Runicorn: a local-first experiment tracker.

import runicorn as rn
run = rn.init(project="vision", name="resnet50", config={"lr": 3e-4})
run.log({"loss": 0.5})
run.finish()
"""

from runicorn.artifacts import Artifact
from runicorn.errors import (
    InvalidNameError,
    InvalidQueryError,
    RunicornError,
    RunNotFoundError,
    StorageError,
)
from runicorn.histogram import Histogram
from runicorn.legacy import enabled, is_enabled, reset_enabled, set_enabled
from runicorn.sdk import (
    NoOpRun,
    Run,
    alert,
    finish,
    get_active_run,
    init,
    log,
    log_image,
    log_text,
    summary,
)

__version__ = "0.1.0"


def __getattr__(name: str) -> object:
    # sync pulls in the SSH stack: loaded on first use, so `import runicorn` stays light.
    if name == "sync":
        from runicorn.manifest.session import sync

        return sync
    raise AttributeError(f"module 'runicorn' has no attribute {name!r}")


__all__ = [
    "Artifact",
    "Histogram",
    "InvalidNameError",
    "InvalidQueryError",
    "NoOpRun",
    "Run",
    "RunNotFoundError",
    "RunicornError",
    "StorageError",
    "__version__",
    "alert",
    "enabled",
    "finish",
    "get_active_run",
    "init",
    "is_enabled",
    "log",
    "log_image",
    "log_text",
    "reset_enabled",
    "set_enabled",
    "summary",
    "sync",
]
