"""Stage 4, locking: hashed, fleet-consistent, cross-target locks per agent.

``engine`` decides what is stale and which scopes to resolve, ``resolve`` runs the resolutions through
:mod:`depmin._backend`, ``files`` reads and writes requirements.lock and pylock.toml, ``sizes`` reads
wheel sizes, ``verify`` checks imports against wheel contents, ``store`` is the on-disk mutex and
the local wheels. May import the stages before it.
"""
