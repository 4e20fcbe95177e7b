"""Versioned files (checkpoints, datasets, code) with lineage and a model lifecycle (DESIGN §8).

``artifact.py`` describes, ``writer.py`` stores off the training thread, ``blobs.py`` and
``storage.py`` are the store, ``lineage.py`` the graph, ``catalog.py`` what the API and the
CLI show, ``gc.py`` garbage collection, ``transfer.py`` export/import, ``cli.py`` the commands.
The writer is imported with the package so that a run's first ``log_artifact`` only queues.
"""

from runicorn.artifacts.artifact import Artifact
from runicorn.artifacts.writer import ArtifactHandle, StoredArtifact

__all__ = ["Artifact", "ArtifactHandle", "StoredArtifact"]
