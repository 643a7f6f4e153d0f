"""MainPC utilities."""
from .path_manager import PathManager

__all__ = ["PathManager"]
