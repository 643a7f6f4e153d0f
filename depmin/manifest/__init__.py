"""Stage 1, the manifest: ``agents.toml`` read and validated into a frozen :class:`~depmin.manifest.fleet.Fleet`.

``fleet`` holds the model and the loader, ``schema`` the typed TOML reader that collects every problem
with its key path. Imports nothing of depmin but :mod:`depmin.errors`.
"""
