"""The viewer: a FastAPI app serving the API of docs/api.md and the web UI.

``create_app(root, ...)`` builds the app; ``serve(root, host, port, ...)`` runs it. Both are
imported on first use, so code that only needs a helper (the metric cache, for
``ExperimentManager.history``) does not load FastAPI and uvicorn.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from runicorn.viewer.app import create_app
    from runicorn.viewer.server import serve

__all__ = ["create_app", "serve"]


def __getattr__(name: str) -> Any:
    if name == "create_app":
        from runicorn.viewer.app import create_app

        return create_app
    if name == "serve":
        from runicorn.viewer.server import serve

        return serve
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
