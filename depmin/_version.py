"""depmin's version: one place, read by the package, the parse cache's key and the build backend."""

__version__ = "0.1.0"
