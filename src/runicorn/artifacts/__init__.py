"""Versioned files (checkpoints, datasets, code) with lineage and a model lifecycle (DESIGN §8).

``artifact.py`` describes, ``writer.py`` stores off the training thread, ``blobs.py`` and
``storage.py`` are the store, ``lineage.py`` the graph, ``catalog.py`` what the API and the
CLI show, ``gc.py`` garbage collection, ``cli.py`` the commands.
"""

from runicorn.artifacts.artifact import Artifact

__all__ = ["Artifact"]
