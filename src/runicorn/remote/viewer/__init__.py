"""The remote side of remote viewing: start the viewer there, tunnel to it, keep it alive."""

from runicorn.remote.viewer.manager import (
    PythonEnvironment,
    RemoteViewerManager,
    RemoteViewerProcess,
)
from runicorn.remote.viewer.session import SessionState, ViewerSession
from runicorn.remote.viewer.tunnel import SSHTunnel

__all__ = [
    "PythonEnvironment",
    "RemoteViewerManager",
    "RemoteViewerProcess",
    "SSHTunnel",
    "SessionState",
    "ViewerSession",
]
