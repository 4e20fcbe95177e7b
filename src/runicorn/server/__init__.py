"""The team server: the storage interface on PostgreSQL and an S3-compatible object store.

``runicorn server`` serves the same viewer app over :class:`ServerStorageBackend`; see
docs/team-server.md for running it and docs/architecture.md for the module map.
"""
