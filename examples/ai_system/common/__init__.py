"""Shared building blocks for MainPC and PC2 agents.

Keep this module light: it runs on every ``import common.x``. Standard library only.
"""
import logging

__version__ = "2.3.0"
__all__ = ["__version__"]

logging.getLogger(__name__).addHandler(logging.NullHandler())
