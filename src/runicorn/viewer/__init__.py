"""The viewer: a FastAPI app serving the API of docs/api.md and the web UI.

``create_app(root, ...)`` builds the app; ``serve(root, host, port, ...)`` runs it.
"""

from runicorn.viewer.app import create_app
from runicorn.viewer.server import serve

__all__ = ["create_app", "serve"]
